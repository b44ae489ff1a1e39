// Temporary name, fsync, rename: the one way hedgesim publishes an output file (atomic_file.hpp).
#include "hedgesim/io/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <system_error>

#include <fmt/format.h>

#include "hedgesim/errors.hpp"
#include "hedgesim/io/input_file.hpp"

namespace hedgesim {
namespace {

std::string os_reason(int err) { return std::error_code(err, std::generic_category()).message(); }

/// Throws InputError when something other than a regular file is at `path`: rename(2) would replace
/// a device node, FIFO or symbolic link (`--out /dev/null` once made /dev/null an HDF5 file).
void require_regular_or_absent(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return;
  std::string what(file_type_name(st.st_mode));
  std::error_code ec;
  if (S_ISLNK(st.st_mode)) {
    const std::filesystem::path target = std::filesystem::read_symlink(path, ec);
    if (!ec) what += fmt::format(" to '{}'", target.string());
    what += "; neither the link nor its target is changed";
  }
  throw InputError(fmt::format("output file '{}' (output.file or --out) is {}: only a regular file (which is "
                               "replaced) or a new name in a writable directory may be given",
                               path, what));
}

/// Makes the written bytes durable before the rename publishes them.
void sync_file(const std::string& file_path) {
  const int fd = ::open(file_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw RuntimeFailure(fmt::format("reopening '{}' to sync it: {}", file_path, os_reason(errno)));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw RuntimeFailure(fmt::format("fsync('{}'): {}", file_path, os_reason(err)));
}

// ---- Signals while a temporary file exists.
//
// The only global mutable state in hedgesim, because a signal handler can reach nothing else: the
// path of the temporary file now being written, for the handler to unlink. It is written only under
// g_temp_file_mutex and only while no handler of ours is installed; the handler only reads it.
char g_signal_temp_path[PATH_MAX];
std::mutex g_temp_file_mutex;
constexpr std::array<int, 3> kCleanupSignals = {SIGINT, SIGTERM, SIGHUP};

extern "C" void unlink_temp_and_die(int sig) {
  // unlink and raise are async-signal-safe. SA_RESETHAND has already restored the default action, so
  // the re-raised signal, delivered when this handler returns, ends the process as it would have.
  ::unlink(g_signal_temp_path);
  ::raise(sig);
}

/// For its lifetime, SIGINT, SIGTERM and SIGHUP remove `tmp` before ending the process. It also
/// serialises temporary files within the process, since there is one path for the handler (HDF5,
/// built without thread safety on Debian, could not write two files at once anyway).
class TempFileSignalGuard {
 public:
  explicit TempFileSignalGuard(const std::string& tmp) : lock_(g_temp_file_mutex) {
    if (tmp.size() >= sizeof g_signal_temp_path)
      throw InputError(fmt::format("output path '{}' is longer than the system's {} bytes", tmp, PATH_MAX - 1));
    std::memcpy(g_signal_temp_path, tmp.c_str(), tmp.size() + 1);
    struct sigaction action {};
    action.sa_handler = unlink_temp_and_die;
    sigfillset(&action.sa_mask);  // a second signal waits until the first has unlinked the file
    action.sa_flags = SA_RESETHAND;
    for (std::size_t i = 0; i < kCleanupSignals.size(); ++i) {
      struct sigaction current {};
      if (::sigaction(kCleanupSignals[i], nullptr, &current) != 0) continue;
      // An ignored signal (nohup, a background job of a script) or a caller's own handler stays as it is.
      if ((current.sa_flags & SA_SIGINFO) != 0 || current.sa_handler != SIG_DFL) continue;
      installed_[i] = ::sigaction(kCleanupSignals[i], &action, &saved_[i]) == 0;
    }
  }
  ~TempFileSignalGuard() {
    for (std::size_t i = 0; i < kCleanupSignals.size(); ++i)
      if (installed_[i]) ::sigaction(kCleanupSignals[i], &saved_[i], nullptr);
  }
  TempFileSignalGuard(const TempFileSignalGuard&) = delete;
  TempFileSignalGuard& operator=(const TempFileSignalGuard&) = delete;

 private:
  std::lock_guard<std::mutex> lock_;  // released after the destructor has restored the handlers
  std::array<struct sigaction, kCleanupSignals.size()> saved_{};
  std::array<bool, kCleanupSignals.size()> installed_{};
};

}  // namespace

void check_output_writable(const std::string& path) {
  if (path.empty()) throw InputError("output file (output.file or --out) is an empty path");
  require_regular_or_absent(path);
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  const std::string tmp = atomic_temp_name(path);
  const TempFileSignalGuard guard(tmp);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    throw InputError(fmt::format("output file '{}' (output.file or --out) cannot be written: creating a file in "
                                 "directory '{}' failed: {}",
                                 path, dir, os_reason(errno)));
  }
  ::close(fd);
  ::unlink(tmp.c_str());
}

std::string atomic_temp_name(const std::string& path) {
  return fmt::format("{}.tmp-{}", path, static_cast<long>(::getpid()));
}

std::vector<std::string> remove_stale_temp_files(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string prefix = target.filename().string() + ".tmp-";
  std::vector<std::string> removed;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    long pid = 0;
    const auto [ptr, err] = std::from_chars(first, last, pid);
    if (err != std::errc() || ptr != last || first == last || *first == '0' || pid <= 0 ||
        pid > std::numeric_limits<pid_t>::max())
      continue;
    // kill(pid, 0) fails with ESRCH only when no such process exists; EPERM means another user's live one.
    if (static_cast<pid_t>(pid) == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::error_code type_ec;
    if (it->symlink_status(type_ec).type() != fs::file_type::regular) continue;
    const fs::path stale = dir / name;
    if (::unlink(stale.c_str()) == 0) removed.push_back(stale.string());
  }
  return removed;
}

void write_atomically(const std::string& path, std::string_view what,
                      const std::function<void(const std::string& tmp)>& write) {
  const std::string tmp = atomic_temp_name(path);
  remove_stale_temp_files(path);
  const TempFileSignalGuard guard(tmp);
  try {
    write(tmp);
    sync_file(tmp);
    // The job may have run for hours since check_output_writable: look again just before replacing.
    require_regular_or_absent(path);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw RuntimeFailure(fmt::format("renaming '{}' to '{}': {}", tmp, path, os_reason(errno)));
  } catch (const RuntimeFailure& e) {
    ::unlink(tmp.c_str());
    throw RuntimeFailure(fmt::format("cannot write {} '{}': {}", what, path, e.what()));
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace hedgesim
