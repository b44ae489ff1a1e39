// Checkpoint and resume of `hedgesim run` (jobs/checkpoint.hpp).
#include "hedgesim/jobs/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>

#include <fmt/format.h>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/version.hpp"

namespace hedgesim {
namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int) { g_stop = 1; }

constexpr char kMagic[8] = {'H', 'S', 'C', 'K', 'P', 'T', '0', '1'};
constexpr std::uint32_t kFormat = 2;  // 2: the identity holds the path fields

std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h = 14695981039346656037ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

std::string errno_text() { return std::strerror(errno); }

/// Appends plain values to a byte buffer, and reads them back.
struct Writer {
  std::string bytes;
  template <class T>
  void put(const T& v) {
    bytes.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void put_string(const std::string& s) {
    put<std::uint64_t>(s.size());
    bytes += s;
  }
};

struct Reader {
  std::string_view bytes;
  std::string file;
  std::size_t at = 0;
  void need(std::size_t n) {
    if (bytes.size() - at < n) throw InputError(fmt::format("checkpoint '{}' is damaged (truncated); remove it and start afresh", file));
  }
  template <class T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, bytes.data() + at, sizeof v);
    at += sizeof v;
    return v;
  }
  std::string get_string() {
    const auto n = get<std::uint64_t>();
    need(n);
    std::string s(bytes.substr(at, n));
    at += n;
    return s;
  }
};

void write_all(int fd, const void* data, std::size_t n, const std::string& file) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw RuntimeFailure(fmt::format("cannot write checkpoint '{}': {}", file, errno_text()));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void fsync_dir_of(const std::string& file) {
  std::string dir = std::filesystem::path(file).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

/// Replaces `file` whole: a temporary beside it, fsync, rename, fsync of the directory.
void replace_file(const std::string& file, const std::string& bytes) {
  const std::string tmp = file + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw RuntimeFailure(fmt::format("cannot write checkpoint '{}': {}", tmp, errno_text()));
  try {
    write_all(fd, bytes.data(), bytes.size(), tmp);
    if (::fsync(fd) != 0) throw RuntimeFailure(fmt::format("cannot write checkpoint '{}': {}", tmp, errno_text()));
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw RuntimeFailure(fmt::format("cannot write checkpoint '{}': {}", file, why));
  }
  fsync_dir_of(file);
}

std::string read_whole(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(fmt::format("cannot read checkpoint '{}': {}", file, errno_text()));
  return {std::istreambuf_iterator<char>(in), {}};
}

/// What differs between the checkpoint's identity and this run's, as "what: there vs here" parts.
std::string differences(const CheckpointIdentity& a, const CheckpointIdentity& b) {
  std::string out;
  const auto add = [&](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  if (a.ranks != b.ranks || a.rank != b.rank)
    add(fmt::format("rank count: rank {} of {} there, rank {} of {} here", a.rank, a.ranks, b.rank, b.ranks));
  if (a.config_hash != b.config_hash) add("config: the config file's text (or its surface file) differs");
  if (a.seed != b.seed) add(fmt::format("seed: {} there, {} here", a.seed, b.seed));
  if (a.paths != b.paths) add(fmt::format("paths: {} there, {} here", a.paths, b.paths));
  if (a.precision != b.precision)
    add(fmt::format("precision: {} there, {} here", to_string(static_cast<Precision>(a.precision)),
                    to_string(static_cast<Precision>(b.precision))));
  if (a.per_path != b.per_path) add(fmt::format("output.per_path: {} there, {} here", a.per_path != 0, b.per_path != 0));
  if (a.fields != b.fields) add(fmt::format("path fields (output.attribution): {} there, {} here", a.fields, b.fields));
  if (a.policies != b.policies) add(fmt::format("policies: {} there, {} here", a.policies, b.policies));
  if (a.version != b.version) add(fmt::format("version: {} there, {} here", a.version, b.version));
  if (a.cpu_code != b.cpu_code) add(fmt::format("CPU code path: {} there, {} here", a.cpu_code, b.cpu_code));
  return out;
}

void put_identity(Writer& w, const CheckpointIdentity& id) {
  w.put(id.config_hash);
  w.put(id.paths);
  w.put(id.seed);
  w.put(id.precision);
  w.put(id.per_path);
  w.put(id.fields);
  w.put(id.policies);
  w.put(id.rank);
  w.put(id.ranks);
  w.put_string(id.version);
  w.put_string(id.cpu_code);
}

CheckpointIdentity get_identity(Reader& r) {
  CheckpointIdentity id;
  id.config_hash = r.get<std::uint64_t>();
  id.paths = r.get<std::uint64_t>();
  id.seed = r.get<std::uint64_t>();
  id.precision = r.get<std::uint32_t>();
  id.per_path = r.get<std::uint32_t>();
  id.fields = r.get<std::uint32_t>();
  if (id.fields != path_fields(false, false, false, false) && id.fields != path_fields(false, true, false, false) &&
      id.fields != path_fields(false, false, false, true) && id.fields != path_fields(false, false, true, false) &&
      id.fields != path_fields(true, false, false, false))
    throw InputError(fmt::format("checkpoint: {} path fields; expected {}, {}, {}, {} or {}", id.fields,
                                 path_fields(false, false, false, false), path_fields(false, true, false, false),
                                 path_fields(false, false, false, true), path_fields(false, false, true, false),
                                 path_fields(true, false, false, false)));
  id.policies = r.get<std::uint32_t>();
  id.rank = r.get<std::uint32_t>();
  id.ranks = r.get<std::uint32_t>();
  id.version = r.get_string();
  id.cpu_code = r.get_string();
  return id;
}

/// Checkpoints of the same PATH for another rank count (PATH.rank<r>of<S>, S ≠ R).
std::optional<std::string> other_rank_count(const std::string& path, unsigned ranks) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  const std::string prefix = p.filename().string() + ".rank";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::size_t of = name.find("of", prefix.size());
    if (of == std::string::npos) continue;
    const std::string count = name.substr(of + 2, name.find('.', of) == std::string::npos ? std::string::npos
                                                                                          : name.find('.', of) - of - 2);
    if (count != std::to_string(ranks)) return (dir / name).string();
  }
  return std::nullopt;
}

}  // namespace

void request_stop() noexcept { g_stop = 1; }
bool stop_requested() noexcept { return g_stop != 0; }
void clear_stop_request() noexcept { g_stop = 0; }

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
}

CheckpointIdentity checkpoint_identity(const RunSpec& spec, const BackendInfo& backend, unsigned rank, unsigned ranks) {
  CheckpointIdentity id;
  id.config_hash = fnv1a(spec.config_text.data(), spec.config_text.size());
  // The surface file's content counts as the config's: a refitted surface is another run.
  if (spec.hedge.marks == MarkSource::surface) {
    const SviSurface& s = spec.hedge.surface.slices;  // the slices, not the struct's padding
    id.config_hash = fnv1a(s.slice, sizeof(SviSlice) * s.n, id.config_hash);
  }
  id.paths = spec.simulation.paths;
  id.seed = spec.simulation.seed;
  id.precision = static_cast<std::uint32_t>(spec.simulation.precision);
  id.per_path = spec.output.per_path ? 1 : 0;
  id.fields = path_fields(spec.output.attribution, has_everlasting(spec.book), spec.hedge.margin.enabled(),
                          spec.order_flow.enabled());
  id.policies = static_cast<std::uint32_t>(spec.policies.size());
  id.rank = rank;
  id.ranks = ranks;
  id.version = fmt::format("{} (commit {})", HEDGESIM_VERSION, HEDGESIM_GIT_COMMIT);
  id.cpu_code = cpu_isa_name(backend.cpu_isa);
  return id;
}

std::string checkpoint_file(const std::string& path, unsigned rank, unsigned ranks) {
  return fmt::format("{}.rank{}of{}", path, rank, ranks);
}

Checkpoint::Checkpoint(const std::string& path, const CheckpointIdentity& id, bool resume, std::uint64_t first_path)
    : meta_(checkpoint_file(path, id.rank, id.ranks)), data_(meta_ + ".values"), id_(id) {
  if (const auto other = other_rank_count(path, id.ranks))
    throw InputError(fmt::format("checkpoint '{}' is of a run over another number of MPI ranks (this run has {}); "
                                 "resume with the same number of ranks, or remove PATH.rank* to start afresh",
                                 *other, id.ranks));
  std::error_code ec;
  const bool exists = std::filesystem::exists(meta_, ec);
  if (exists && !resume)
    throw InputError(fmt::format("checkpoint '{}' exists: give --resume to continue it, or remove it (and '{}') to "
                                 "start afresh",
                                 meta_, data_));
  if (!exists) {
    data_fd_ = ::open(data_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (data_fd_ < 0) throw InputError(fmt::format("cannot create checkpoint '{}': {}", data_, errno_text()));
    return;
  }

  // Resume: the metadata, checked whole, then the data file up to its recorded length.
  const std::string bytes = read_whole(meta_);
  const std::string damaged = fmt::format("checkpoint '{}' is damaged; remove it and '{}' to start afresh", meta_, data_);
  if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw InputError(fmt::format("'{}' is not a hedgesim checkpoint", meta_));
  std::uint64_t sum;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  if (fnv1a(bytes.data(), bytes.size() - 8) != sum) throw InputError(damaged);
  Reader r{std::string_view(bytes).substr(0, bytes.size() - 8), meta_, sizeof kMagic};
  const auto format = r.get<std::uint32_t>();
  if (format != kFormat)
    throw InputError(fmt::format("checkpoint '{}' has format {}; this hedgesim reads format {}", meta_, format, kFormat));
  const CheckpointIdentity saved = get_identity(r);
  if (const std::string diff = differences(saved, id); !diff.empty())
    throw InputError(fmt::format("checkpoint '{}' is of another run ({}); run with the same config, seed, paths, "
                                 "precision, version and ranks, or remove it to start afresh",
                                 meta_, diff));
  CheckpointState s;
  data_bytes_ = r.get<std::uint64_t>();
  s.next_path = r.get<std::uint64_t>();
  const auto n_folds = r.get<std::uint64_t>();
  if (n_folds != static_cast<std::uint64_t>(id.fields) * id.policies) throw InputError(damaged);
  for (std::uint64_t i = 0; i < n_folds; ++i) {
    const auto first = r.get<std::uint64_t>();
    const auto next = r.get<std::uint64_t>();
    const auto n = r.get<std::uint64_t>();
    r.need(n * (sizeof(std::uint64_t) + sizeof(Moments)));
    std::vector<std::uint64_t> starts(n);
    std::vector<Moments> pieces(n);
    for (auto& v : starts) v = r.get<std::uint64_t>();
    for (auto& v : pieces) v = r.get<Moments>();
    s.folds.push_back(TileFold::restore(first, next, std::move(starts), std::move(pieces)));
  }

  data_fd_ = ::open(data_.c_str(), O_RDWR | O_CLOEXEC);
  if (data_fd_ < 0) throw InputError(fmt::format("cannot open checkpoint '{}': {}", data_, errno_text()));
  struct stat st {};
  if (::fstat(data_fd_, &st) != 0 || static_cast<std::uint64_t>(st.st_size) < data_bytes_)
    throw InputError(fmt::format("checkpoint '{}' is shorter than its metadata says ({} bytes); {}", data_, data_bytes_, damaged));
  // What a kill -9 left of an unfinished append goes.
  if (::ftruncate(data_fd_, static_cast<off_t>(data_bytes_)) != 0)
    throw RuntimeFailure(fmt::format("cannot truncate checkpoint '{}': {}", data_, errno_text()));
  std::string values(data_bytes_, '\0');
  for (std::size_t at = 0; at < values.size();) {
    const ssize_t got = ::pread(data_fd_, values.data() + at, values.size() - at, static_cast<off_t>(at));
    if (got <= 0) {
      if (got < 0 && errno == EINTR) continue;
      throw InputError(damaged);
    }
    at += static_cast<std::size_t>(got);
  }
  if (::lseek(data_fd_, 0, SEEK_END) < 0) throw RuntimeFailure(fmt::format("cannot seek '{}': {}", data_, errno_text()));

  const unsigned n_pol = id.policies;
  s.pnl.resize(n_pol);
  s.cost.resize(n_pol);
  if (id.per_path) s.per_path.resize(n_pol);
  Reader d{values, data_};
  std::uint64_t paths = 0;
  while (d.at < values.size()) {
    const auto n = d.get<std::uint64_t>();
    const std::uint64_t blocks = 2 + (id.per_path ? id.fields : 0);
    if (n == 0 || n > (values.size() - d.at) / (sizeof(double) * n_pol * blocks)) throw InputError(damaged);
    const auto* base = reinterpret_cast<const char*>(values.data() + d.at);
    const auto take = [&](std::vector<double>& to, std::size_t block) {
      const std::size_t old = to.size();
      to.resize(old + n);
      std::memcpy(to.data() + old, base + block * n * sizeof(double), n * sizeof(double));
    };
    for (unsigned p = 0; p < n_pol; ++p) take(s.pnl[p], p);
    for (unsigned p = 0; p < n_pol; ++p) take(s.cost[p], n_pol + p);
    if (id.per_path)
      for (unsigned f = 0; f < id.fields; ++f)
        for (unsigned p = 0; p < n_pol; ++p) take(s.per_path[p][f], 2 * n_pol + f * n_pol + p);
    d.at += n * n_pol * blocks * sizeof(double);
    paths += n;
  }
  if (first_path + paths != s.next_path) throw InputError(damaged);
  state_ = std::move(s);
}

Checkpoint::~Checkpoint() {
  if (data_fd_ >= 0) ::close(data_fd_);
}

void Checkpoint::commit(std::uint64_t n, const double* pnl, const double* cost, const double* all,
                        std::uint64_t next_path, const std::vector<TileFold>& folds) {
  const std::uint64_t n_pol = id_.policies;
  write_all(data_fd_, &n, sizeof n, data_);
  write_all(data_fd_, pnl, n * n_pol * sizeof(double), data_);
  write_all(data_fd_, cost, n * n_pol * sizeof(double), data_);
  std::uint64_t added = sizeof n + 2 * n * n_pol * sizeof(double);
  if (id_.per_path) {
    write_all(data_fd_, all, n * n_pol * id_.fields * sizeof(double), data_);
    added += n * n_pol * id_.fields * sizeof(double);
  }
  if (::fsync(data_fd_) != 0) throw RuntimeFailure(fmt::format("cannot write checkpoint '{}': {}", data_, errno_text()));
  data_bytes_ += added;

  Writer w;
  w.bytes.assign(kMagic, sizeof kMagic);
  w.put(kFormat);
  put_identity(w, id_);
  w.put(data_bytes_);
  w.put(next_path);
  w.put<std::uint64_t>(folds.size());
  for (const TileFold& f : folds) {
    w.put(f.first_tile());
    w.put(f.next_tile());
    w.put<std::uint64_t>(f.starts().size());
    for (const std::uint64_t s : f.starts()) w.put(s);
    for (const Moments& m : f.pieces()) w.put(m);
  }
  w.put(fnv1a(w.bytes.data(), w.bytes.size()));
  replace_file(meta_, w.bytes);
}

void Checkpoint::remove() {
  if (data_fd_ >= 0) {
    ::close(data_fd_);
    data_fd_ = -1;
  }
  ::unlink(meta_.c_str());
  ::unlink(data_.c_str());
  fsync_dir_of(meta_);
}

}  // namespace hedgesim
