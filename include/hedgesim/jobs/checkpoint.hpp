#pragma once
// Checkpoint and resume of `hedgesim run` on the CPU backend (issue 12, docs/cluster.md "Checkpoint and
// resume"). Each rank r of R keeps its own checkpoint, PATH.rank<r>of<R>: an append-only data file
// (PATH.rank<r>of<R>.values: per batch, its path count and the batch's P&L, cost and, with
// output.per_path, every field of every policy) and a small metadata file (PATH.rank<r>of<R>) replaced
// atomically after each batch. The metadata holds the run's identity, the next path, the valid length
// of the data file and every segment's TileFold, with a checksum. A kill -9 loses at most the batch in
// flight: bytes beyond the recorded length are discarded on resume, and the metadata is always the old
// or the new one whole.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hedgesim/engine/job.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/spec.hpp"
#include "hedgesim/stats/tile_fold.hpp"

namespace hedgesim {

/// `hedgesim run --checkpoint PATH [--resume]`.
struct CheckpointOptions {
  std::string path;  ///< "" = no checkpoint
  bool resume = false;  ///< continue from the checkpoint (a missing one starts afresh)
  /// Paths per batch (and per checkpoint); 0 = the run's default (2^18). A multiple of kMomentTile. For
  /// tests: the result does not depend on it.
  std::uint64_t batch_paths = 0;
  /// Test hook: request a stop after this many batches of this process (0 = never), as SIGTERM would.
  std::uint64_t stop_after_batches = 0;
  bool enabled() const { return !path.empty(); }
};

/// The stop request SIGTERM and SIGINT make once install_stop_handlers() ran. request_stop is
/// async-signal-safe.
void request_stop() noexcept;
bool stop_requested() noexcept;
void clear_stop_request() noexcept;
/// SIGTERM and SIGINT set the stop request instead of ending the process.
void install_stop_handlers();

/// What a checkpoint must match to be resumed.
struct CheckpointIdentity {
  std::uint64_t config_hash = 0;  ///< FNV-1a of the config text
  std::uint64_t paths = 0, seed = 0;
  std::uint32_t precision = 0, per_path = 0, policies = 0, rank = 0, ranks = 1;
  std::uint32_t fields = kBasePathFields;  ///< path fields of a path (output.attribution: all)
  std::string version;  ///< hedgesim version and git commit
  std::string cpu_code;  ///< the CPU code path (ISA): another one need not give the same bits
};
CheckpointIdentity checkpoint_identity(const RunSpec& spec, const BackendInfo& backend, unsigned rank, unsigned ranks);

/// PATH.rank<r>of<R>.
std::string checkpoint_file(const std::string& path, unsigned rank, unsigned ranks);

/// A rank's state after its last completed batch.
struct CheckpointState {
  std::uint64_t next_path = 0;
  std::vector<TileFold> folds;  ///< [field · policies + policy]
  std::vector<std::vector<double>> pnl, cost;  ///< [policy][path]
  std::vector<std::array<std::vector<double>, kPathFields>> per_path;  ///< [policy][field][path]; output.per_path only
};

/// One rank's checkpoint files.
class Checkpoint {
 public:
  /// Opens the checkpoint at checkpoint_file(path, id.rank, id.ranks). With `resume` and a checkpoint
  /// there, loads it into state(): InputError naming what differs when its identity is not `id`, or
  /// when its files are damaged (the data file is cut back to its recorded length first). Without
  /// `resume`, an existing checkpoint is refused (InputError: give --resume or remove it); otherwise
  /// the files are created empty. A checkpoint of the same PATH for another rank count is refused.
  Checkpoint(const std::string& path, const CheckpointIdentity& id, bool resume, std::uint64_t first_path);
  ~Checkpoint();
  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  /// The loaded state, when resumed from a checkpoint.
  const std::optional<CheckpointState>& state() const { return state_; }
  std::optional<CheckpointState> take_state() { return std::move(state_); }

  /// After a completed batch of n paths: appends its values (pnl and cost: [policy · n + i]; all: the
  /// batch's raw [field · policies + policy] · n layout, only with per_path) to the data file, fsyncs
  /// it, then atomically replaces the metadata with next_path and the folds. RuntimeFailure on I/O.
  void commit(std::uint64_t n, const double* pnl, const double* cost, const double* all, std::uint64_t next_path,
              const std::vector<TileFold>& folds);

  /// Removes both files (after the results are safe).
  void remove();

  const std::string& file() const { return meta_; }

 private:
  std::string meta_, data_;
  CheckpointIdentity id_;
  int data_fd_ = -1;
  std::uint64_t data_bytes_ = 0;
  std::optional<CheckpointState> state_;
};

}  // namespace hedgesim
