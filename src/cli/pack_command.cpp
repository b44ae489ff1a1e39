#include "pack_command.hpp"

#include <algorithm>
#include <charconv>
#include <exception>
#include <filesystem>
#include <iostream>
#include <vector>

#include <fmt/format.h>

#include "hedgesim/errors.hpp"
#include "hedgesim/io/atomic_file.hpp"
#include "hedgesim/jobs/pack_job.hpp"

namespace hedgesim::cli {
namespace {

namespace fs = std::filesystem;

/// The output folder, created if missing (true then). A folder that cannot be one is bad input, as an
/// output file that cannot be written is for `run`.
bool prepare_out_dir(const std::string& dir) {
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (fs::exists(st) && !fs::is_directory(st))
    throw InputError(fmt::format("output folder '{}' (--out-dir or the pack's output_dir) exists and is not a folder", dir));
  if (fs::exists(st)) return false;
  fs::create_directories(dir, ec);
  if (ec) throw InputError(fmt::format("output folder '{}' (--out-dir or the pack's output_dir) cannot be created: {}", dir, ec.message()));
  return true;
}

std::size_t task_number(const std::string& text, std::size_t tasks) {
  std::size_t i = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, i);
  if (text.empty() || ec != std::errc() || p != end || i >= tasks)
    throw InputError(fmt::format("--task = '{}': expected a task number from 0 to {} (the pack has {} task(s); "
                                 "hedgesim pack PACK --list lists them)",
                                 text, tasks - 1, tasks));
  return i;
}

void print_record(const TaskRecord& r, std::size_t tasks) {
  std::cout << fmt::format("{:>4}/{:<4} {:<20} {:<24} {:<8} {:>9.3f} s  {}\n", r.task, tasks, r.book, r.scenario, r.status,
                           r.wall_s, r.status == "ok" ? r.file : r.message);
  std::cout.flush();
}

int merge(const PackPlan& plan) {
  std::vector<TaskRecord> records;
  std::vector<std::size_t> missing;
  bool failed = false;
  for (const PackTask& t : plan.tasks) {
    const std::string path = fragment_path(plan.out_dir, t.index);
    std::optional<TaskRecord> r = read_fragment(path);
    if (!r) {
      records.push_back(missing_record(t, fmt::format("no fragment {}: the task did not run or did not finish", path)));
      missing.push_back(t.index);
    } else if (r->task != t.index || r->book != t.book || r->scenario != t.scenario || r->config_hash != t.config_hash) {
      records.push_back(missing_record(
          t, fmt::format("stale fragment {} (task {}, {}/{}, config hash {}): the pack now gives {}/{} with config hash "
                         "{}; run the task again",
                         path, r->task, r->book, r->scenario, r->config_hash, t.book, t.scenario, t.config_hash)));
      missing.push_back(t.index);
    } else {
      failed = failed || r->status != "ok";
      records.push_back(std::move(*r));
    }
  }
  const std::string index = index_path(plan.out_dir);
  write_index(index, records);
  for (const TaskRecord& r : records) print_record(r, plan.tasks.size());
  std::cerr << "wrote " << index << "\n";
  if (!missing.empty()) {
    std::string list;
    for (const std::size_t i : missing) list += fmt::format("{}{}", list.empty() ? "" : ",", i);
    std::cerr << fmt::format("error: {} of {} task(s) missing from the index: {} (rerun them with --task I, then "
                             "--merge-index again)\n",
                             missing.size(), plan.tasks.size(), list);
  }
  if (failed) std::cerr << "error: a task failed: the index's status and message columns say which and why\n";
  return missing.empty() && !failed ? 0 : 3;
}

}  // namespace

CLI::App* add_pack_command(CLI::App& app, PackCommandFlags& f) {
  CLI::App* cmd = app.add_subcommand(
      "pack", "Run a risk pack: every book under every stress scenario; one HDF5 file each and index.csv");
  cmd->add_option("PACK", f.pack, "YAML risk pack: books and scenarios (docs/cluster.md)")->required();
  cmd->add_option("--out-dir", f.pack_flags.out_dir, "folder of the results (overrides the pack's output_dir)");
  cmd->add_flag("--list", f.list, "print the tasks, one line each: index, book, scenario, file (tab-separated); run nothing");
  cmd->add_option("--task", f.task, "run only task I (0-based, as --list numbers them) and write its index fragment");
  cmd->add_flag("--merge-index", f.merge_index, "build index.csv from the --task runs' fragments; report missing tasks");
  cmd->add_option("--paths", f.pack_flags.simulation.paths, "Monte Carlo paths of every task (overrides simulation.paths)");
  cmd->add_option("--seed", f.pack_flags.simulation.seed, "random seed of every task (overrides simulation.seed)");
  cmd->add_option("--threads", f.pack_flags.simulation.threads, "CPU threads, 0 = all (overrides simulation.threads)");
  cmd->add_option("--backend", f.pack_flags.backend, "auto | cpu | cuda (overrides simulation.backend)");
  cmd->add_option("--precision", f.pack_flags.precision, "float32 | float64 (overrides simulation.precision)");
  cmd->add_option("--devices", f.pack_flags.devices, "CUDA devices, e.g. 0,1 or all (default 0), as for run");
  return cmd;
}

int run_pack(const PackCommandFlags& f, Collectives& ranks) {
  // Over several ranks every task runs on all of them (run_and_write); rank 0 alone prints and writes
  // the index, and every rank ends with rank 0's exit code.
  const auto agreed = [&](auto&& step) { run_and_agree(ranks, step); };
  const auto exit_code = [&](int code) {
    std::vector<std::uint64_t> c = {static_cast<std::uint64_t>(code)};
    ranks.broadcast(c);
    return static_cast<int>(c[0]);
  };
  PackPlan plan;
  agreed([&] {
    if (int(f.list) + int(f.task.has_value()) + int(f.merge_index) > 1)
      throw InputError("--list, --task and --merge-index are exclusive: give one (or none, to run every task)");
    plan = load_pack(f.pack, f.pack_flags);
  });
  if (f.list) {
    if (ranks.is_root())
      for (const PackTask& t : plan.tasks) std::cout << fmt::format("{}\t{}\t{}\t{}\n", t.index, t.book, t.scenario, t.file);
    return 0;
  }
  std::vector<const PackTask*> chosen;
  int merged = 0;
  agreed([&] {
    if (f.task) {
      chosen.push_back(&plan.tasks[task_number(*f.task, plan.tasks.size())]);
    } else if (!f.merge_index) {
      for (const PackTask& t : plan.tasks) chosen.push_back(&t);
    }
    if (!ranks.is_root()) return;
    const bool created = prepare_out_dir(plan.out_dir);
    if (f.merge_index) {
      merged = merge(plan);
      return;
    }
    // Every path is checked before the first task runs, so a bad one fails at once and writes nothing
    // (a folder made just now is removed again).
    try {
      for (const PackTask* t : chosen) check_output_writable(t->spec.output.file);
      if (f.task) {
        prepare_out_dir(fs::path(fragment_path(plan.out_dir, chosen.front()->index)).parent_path().string());
        check_output_writable(fragment_path(plan.out_dir, chosen.front()->index));
      } else {
        check_output_writable(index_path(plan.out_dir));
      }
    } catch (const InputError&) {
      std::error_code ec;
      if (created) fs::remove(plan.out_dir, ec);
      throw;
    }
  });
  if (f.merge_index) return exit_code(merged);
  if (ranks.is_root())
    std::cerr << fmt::format("hedgesim pack: {} task(s) of {} into {}{}\n", chosen.size(), plan.tasks.size(),
                             plan.out_dir, ranks.size() > 1 ? fmt::format(", each over {} ranks", ranks.size()) : "");
  std::vector<TaskRecord> records;
  bool failed = false;
  for (const PackTask* t : chosen) {
    records.push_back(run_pack_task(*t, [&](const PackTask& task) {
      RunSpec spec = task.spec;
      record_provenance(spec, f.command_line);
      return run_and_write(spec, plan.devices, ranks);
    }));
    failed = failed || records.back().status != "ok";
    if (ranks.is_root()) print_record(records.back(), plan.tasks.size());
  }
  int code = failed ? 3 : 0;
  agreed([&] {
    if (!ranks.is_root()) return;
    if (f.task) {
      const std::string path = fragment_path(plan.out_dir, chosen.front()->index);
      write_fragment(path, records.front());
      std::cerr << "wrote " << path << "\n";
    } else {
      write_index(index_path(plan.out_dir), records);
      std::cerr << "wrote " << index_path(plan.out_dir) << "\n";
    }
    if (failed) std::cerr << "error: a task failed: its row in the index says why; the other tasks ran\n";
  });
  return exit_code(code);
}

}  // namespace hedgesim::cli
