// Running a risk pack's tasks and writing the index (jobs/pack_job.hpp).
#include "hedgesim/jobs/pack_job.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <new>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/io/atomic_file.hpp"
#include "hedgesim/io/hdf5_writer.hpp"
#include "hedgesim/io/input_file.hpp"

namespace hedgesim {
namespace {

constexpr std::string_view kHeader =
    "task,book,scenario,policy,status,message,file,config_hash,seed,paths,wall_s,"
    "pnl_mean,pnl_std,var_95,es_95,var_99,es_99,cost_mean,trades_mean";

/// A fragment this large is not one (a task's record is a few KB even with a thousand policies).
constexpr std::size_t kFragmentCap = std::size_t{16} << 20;

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// Shortest text that reads back as the same double, so the index holds the HDF5 file's numbers exactly.
std::string number(double x) { return fmt::format("{}", x); }

}  // namespace

std::string config_hash(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

std::vector<PolicyHeadline> headlines(const RunReport& report) {
  std::vector<PolicyHeadline> out;
  for (const PolicyResult& r : report.policies) {
    out.push_back({r.spec.name, r.pnl.mean, r.pnl.std, r.pnl.var_95, r.pnl.es_95, r.pnl.var_99, r.pnl.es_99,
                   r.cost.mean, r.fields[static_cast<unsigned>(PathField::trades)].mean()});
  }
  return out;
}

RunReport run_and_write(const RunSpec& spec, const std::string& devices, Collectives& ranks,
                        const ProgressFn& progress) {
  const BackendInfo backend = resolve_rank_backend(spec.simulation, devices, ranks);
  RunReport report = run_hedging_job(spec, backend, ranks, progress);
  if (ranks.is_root() && !spec.output.file.empty()) write_run_hdf5(spec.output.file, spec, report);
  return report;
}

namespace {

/// What a task's record says whatever its outcome: which task, its config and seed.
TaskRecord record_of(const PackTask& task) {
  TaskRecord r;
  r.task = task.index;
  r.book = task.book;
  r.scenario = task.scenario;
  r.config_hash = task.config_hash;
  r.seed = task.spec.simulation.seed;
  r.paths = task.spec.simulation.paths;
  return r;
}

}  // namespace

TaskRecord run_pack_task(const PackTask& task, const TaskRunner& run) {
  TaskRecord r = record_of(task);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    const RunReport report = run(task);
    r.policies = headlines(report);
    r.status = "ok";
    r.file = task.file;
  } catch (const std::bad_alloc&) {
    r.status = "failed";
    r.message = "out of memory";
  } catch (const std::exception& e) {
    r.status = "failed";
    r.message = e.what();
  }
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::string_view index_header() { return kHeader; }

std::string index_csv(const std::vector<TaskRecord>& records) {
  std::string out(kHeader);
  out += "\n";
  for (const TaskRecord& r : records) {
    const std::string head = fmt::format("{},{},{}", r.task, csv_field(r.book), csv_field(r.scenario));
    const std::string tail = fmt::format("{},{},{},{},{},{},{}", csv_field(r.status), csv_field(r.message),
                                         csv_field(r.file), r.config_hash, r.seed, r.paths, number(r.wall_s));
    if (r.policies.empty()) {
      out += fmt::format("{},,{},,,,,,,,\n", head, tail);
      continue;
    }
    for (const PolicyHeadline& p : r.policies) {
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", head, csv_field(p.policy), tail, number(p.pnl_mean),
                         number(p.pnl_std), number(p.var_95), number(p.es_95), number(p.var_99), number(p.es_99),
                         number(p.cost_mean), number(p.trades_mean));
    }
  }
  return out;
}

std::string index_path(const std::string& out_dir) { return (std::filesystem::path(out_dir) / "index.csv").string(); }

std::string fragment_path(const std::string& out_dir, std::size_t task) {
  return (std::filesystem::path(out_dir) / "index.parts" / fmt::format("task-{:06}.json", task)).string();
}

namespace {

void write_text(const std::string& path, std::string_view what, const std::string& text) {
  write_atomically(path, what, [&](const std::string& tmp) {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) throw RuntimeFailure(fmt::format("writing '{}' failed", tmp));
  });
}

}  // namespace

void write_index(const std::string& path, const std::vector<TaskRecord>& records) {
  write_text(path, "pack index", index_csv(records));
}

void write_fragment(const std::string& path, const TaskRecord& r) {
  nlohmann::json policies = nlohmann::json::array();
  for (const PolicyHeadline& p : r.policies) {
    policies.push_back({{"policy", p.policy},   {"pnl_mean", p.pnl_mean}, {"pnl_std", p.pnl_std},
                        {"var_95", p.var_95},   {"es_95", p.es_95},       {"var_99", p.var_99},
                        {"es_99", p.es_99},     {"cost_mean", p.cost_mean}, {"trades_mean", p.trades_mean}});
  }
  const nlohmann::json j = {{"format", "hedgesim pack index fragment"},
                            {"task", r.task},
                            {"book", r.book},
                            {"scenario", r.scenario},
                            {"file", r.file},
                            {"config_hash", r.config_hash},
                            {"seed", r.seed},
                            {"paths", r.paths},
                            {"status", r.status},
                            {"message", r.message},
                            {"wall_s", r.wall_s},
                            {"policies", policies}};
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) throw RuntimeFailure(fmt::format("cannot create the folder of '{}': {}", path, ec.message()));
  write_text(path, "pack index fragment", j.dump(1) + "\n");
}

std::optional<TaskRecord> read_fragment(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) return std::nullopt;
  const std::string text = read_input_file(path, "pack index fragment", kFragmentCap);
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (j.at("format") != "hedgesim pack index fragment") throw std::runtime_error("not a fragment");
    TaskRecord r;
    r.task = j.at("task").get<std::size_t>();
    r.book = j.at("book").get<std::string>();
    r.scenario = j.at("scenario").get<std::string>();
    r.file = j.at("file").get<std::string>();
    r.config_hash = j.at("config_hash").get<std::string>();
    r.seed = j.at("seed").get<std::uint64_t>();
    r.paths = j.at("paths").get<std::uint64_t>();
    r.status = j.at("status").get<std::string>();
    r.message = j.at("message").get<std::string>();
    r.wall_s = j.at("wall_s").get<double>();
    for (const nlohmann::json& p : j.at("policies")) {
      r.policies.push_back({p.at("policy").get<std::string>(), p.at("pnl_mean").get<double>(),
                            p.at("pnl_std").get<double>(), p.at("var_95").get<double>(), p.at("es_95").get<double>(),
                            p.at("var_99").get<double>(), p.at("es_99").get<double>(), p.at("cost_mean").get<double>(),
                            p.at("trades_mean").get<double>()});
    }
    return r;
  } catch (const std::exception& e) {
    throw InputError(fmt::format("pack index fragment '{}' is not one written by `hedgesim pack --task` ({}): "
                                 "remove it and run its task again",
                                 path, e.what()));
  }
}

TaskRecord missing_record(const PackTask& task, const std::string& why) {
  TaskRecord r = record_of(task);
  r.status = "missing";
  r.message = why;
  return r;
}

}  // namespace hedgesim
