#pragma once
// `hedgesim run`: simulate the book on every path, hedge it with every policy on the same paths, and
// reduce each policy's per-path results to risk and cost statistics.
#include <array>
#include <string>
#include <vector>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/job.hpp"
#include "hedgesim/jobs/checkpoint.hpp"
#include "hedgesim/jobs/price_job.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/hedging/sample_trades.hpp"
#include "hedgesim/spec.hpp"
#include "hedgesim/stats/collectives.hpp"
#include "hedgesim/stats/summary.hpp"

namespace hedgesim {

/// The flat hedging parameters of a validated spec (premiums from the closed forms, intervals in steps).
HedgeParams make_hedge_params(const RunSpec& spec);
/// hp's policies (and Leland's sign) for a book struck as hp holds it, at inception at `spot` with the book
/// marked at vol sigma0 (with surface marks, on the surface) and the model's vol vol0: the scales the rules' bands and features are relative
/// to (PolicyGrid). make_hedge_params calls it at the spec's spot; a backtest at each window's.
void set_policies(const RunSpec& spec, double spot, double sigma0, double vol0, HedgeParams& hp);

struct PolicyResult {
  PolicySpec spec;
  Summary pnl;   ///< P&L of the whole position, USD
  Summary cost;  ///< all costs incl. funding, USD
  std::array<Moments, kPathFields> fields;  ///< the run's per-path fields (PathField order; RunReport::path_fields)
  Histogram pnl_histogram;
  std::array<std::vector<double>, kPathFields> per_path;  ///< filled when output.per_path (the run's fields)
};

struct RunReport : RunInfo {
  std::vector<double> premiums;   ///< USD per unit, per book option
  std::vector<PolicyResult> policies;
  unsigned path_fields = kBasePathFields;  ///< fields [0, path_fields) of PolicyResult are the run's (path_fields(hp))
  SamplePaths sample_paths;  ///< output.sample_paths of the same paths, for plots
  SampleTrades sample_trades;  ///< when each policy traded on those sample paths
};

/// The backend of a job over `ranks`: the config's kind and threads and `devices` (--devices; "" =
/// device 0). A rank of several on CUDA without `devices` takes one GPU of its node (node-local rank
/// modulo the node's GPUs). Every rank must resolve the same kind: CPU and CUDA ranks would not give
/// the same bits (the backends agree to rounding). Collective; a failure on any rank is every rank's.
BackendInfo resolve_rank_backend(const SimulationSpec& simulation, const std::string& devices, Collectives& ranks);

/// The run over `ranks` (cluster/ranks.hpp): each rank hedges its rank_paths(); rank 0 gets the report
/// (policies, sample paths and trades; other ranks only the RunInfo), the same bits for any number of
/// ranks. A failure on any rank is thrown on every rank (agree_on_failure). Progress is rank 0's share.
RunReport run_hedging_job(const RunSpec& spec, const BackendInfo& backend, Collectives& ranks,
                          const ProgressFn& progress = {});
/// The same with a checkpoint (CPU backend only; InputError on CUDA): each rank commits its state after
/// every batch, resumes from it with checkpoint.resume, and on a stop request (stop_requested() on any
/// rank after a batch) every rank throws Interrupted with its checkpoint written. The result is the
/// same bits as a run without a checkpoint. The checkpoint files stay; the caller removes them
/// (remove_run_checkpoint) once the results are safe.
RunReport run_hedging_job(const RunSpec& spec, const BackendInfo& backend, Collectives& ranks,
                          const ProgressFn& progress, const CheckpointOptions& checkpoint);
/// Removes this rank's checkpoint files of `checkpoint.path` (no error when there are none).
void remove_run_checkpoint(const CheckpointOptions& checkpoint, const Collectives& ranks);
/// The run in one process.
inline RunReport run_hedging_job(const RunSpec& spec, const BackendInfo& backend, const ProgressFn& progress = {}) {
  SoloCollectives solo;
  return run_hedging_job(spec, backend, solo, progress);
}

/// Per-path P&L and cost of every policy (path order) and the moments of each field, without
/// summaries, histograms or sample paths: the optimiser's candidate evaluation (risk measures at any
/// level need every path).
struct PolicyPaths : RunInfo {
  std::vector<std::vector<double>> pnl;   ///< [policy][path], USD
  std::vector<std::vector<double>> cost;  ///< [policy][path], USD
  std::vector<std::array<Moments, kPathFields>> fields;  ///< [policy][field]
};

/// `failure_stream0`: the spec's policies draw execution failures as policies failure_stream0, … of a run
/// (HedgeParams::failure_stream0), at most kMaxPolicies in all.
PolicyPaths run_hedging_paths(const RunSpec& spec, const BackendInfo& backend, unsigned failure_stream0 = 0,
                              const ProgressFn& progress = {});

}  // namespace hedgesim
