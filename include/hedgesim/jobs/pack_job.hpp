#pragma once
// `hedgesim pack PACK.yaml` (issue 12's risk pack, docs/cluster.md "Risk packs"): every (book,
// scenario) task of a pack runs as `hedgesim run` would run its effective config, writes one HDF5
// file and one group of rows of the index (index.csv: one row per task and policy). The pack file's
// reading and the scenarios' shocks are the config code's (config/pack.hpp); this unit runs tasks and
// writes their files. Every file is published by write_atomically (io/atomic_file.hpp), so a reader
// sees an old file or a whole new one, never a partial one.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

/// One (book, scenario) run of a pack: its effective, validated config and where its results go.
struct PackTask {
  std::size_t index = 0;    ///< 0-based, in the pack's order (books outer, scenarios inner)
  std::string book;         ///< the book's name in the pack
  std::string scenario;     ///< the scenario's name
  std::string file;         ///< the results file's name in the output directory: BOOK__SCENARIO.h5
  std::string config_hash;  ///< config_hash(spec.config_text)
  RunSpec spec;             ///< validated for `run`; output.file is the task's results path
};

/// A pack read and validated whole: every task's config passed the config's own checks.
struct PackPlan {
  std::string pack_path;
  std::string out_dir;  ///< results files, index.csv and index.parts/ go here
  std::string devices;  ///< --devices, as `run` takes it ("" = device 0)
  std::vector<PackTask> tasks;
};

/// 64-bit FNV-1a of `text` as 16 lowercase hex digits: stable across builds, platforms and runs, so
/// a night's index can be compared with the last one's (same hash: the same effective config).
std::string config_hash(std::string_view text);

/// The headline numbers of one policy in the index (USD; VaR/ES as losses, as `run` prints them).
struct PolicyHeadline {
  std::string policy;
  double pnl_mean = 0, pnl_std = 0, var_95 = 0, es_95 = 0, var_99 = 0, es_99 = 0, cost_mean = 0, trades_mean = 0;
};

/// What the index says of one task.
struct TaskRecord {
  std::size_t task = 0;
  std::string book, scenario;
  std::string file;  ///< the results file's name in the output directory; empty unless status is ok
  std::string config_hash;
  std::uint64_t seed = 0, paths = 0;
  std::string status;   ///< ok, failed (message says why), or missing (merge: no fragment)
  std::string message;  ///< empty when ok
  double wall_s = 0;
  std::vector<PolicyHeadline> policies;
};

/// The headlines of a report, one per policy in the config's order.
std::vector<PolicyHeadline> headlines(const RunReport& report);

/// The one call that turns a validated spec into a report and its results file, as `hedgesim run`
/// does: resolve the backend (resolve_rank_backend, `devices` as --devices), run_hedging_job over
/// `ranks`, and on rank 0 write_run_hdf5 to spec.output.file.
RunReport run_and_write(const RunSpec& spec, const std::string& devices, Collectives& ranks,
                        const ProgressFn& progress = {});

/// Runs a task's spec with `run` (run_and_write in the CLI; tests inject failures) and records it. A
/// failure of the run (any exception) is a record with status failed and its message, not an
/// exception: one scenario's failure must not stop the others.
using TaskRunner = std::function<RunReport(const PackTask&)>;
TaskRecord run_pack_task(const PackTask& task, const TaskRunner& run);

/// The index as CSV (RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled):
/// a header, then for each record one row per policy, or one row with empty policy and numbers when
/// it has none (failed, missing). Numbers are written in their shortest exact form.
std::string index_csv(const std::vector<TaskRecord>& records);

/// The CSV header of index_csv, for docs and readers.
std::string_view index_header();

/// `dir`/index.csv and `dir`/index.parts/task-NNNNNN.json.
std::string index_path(const std::string& out_dir);
std::string fragment_path(const std::string& out_dir, std::size_t task);

/// Writes index_csv(records) to `path` atomically.
void write_index(const std::string& path, const std::vector<TaskRecord>& records);

/// One task's record as a JSON fragment (a Slurm array task's share of the index), written atomically
/// (the parent folder is created), and read back: nullopt when the file does not exist; InputError
/// naming the file when it is not a fragment.
void write_fragment(const std::string& path, const TaskRecord& record);
std::optional<TaskRecord> read_fragment(const std::string& path);

/// The record that stands for a task whose fragment is absent or stale in a merge.
TaskRecord missing_record(const PackTask& task, const std::string& why);

}  // namespace hedgesim
