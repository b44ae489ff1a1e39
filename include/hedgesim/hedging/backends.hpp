#pragma once
// The hedging entry points of both backends: the CPU's (src/hedging/cpu_hedging.cpp, on the engine's
// tiles) and the CUDA's (kernels/hedging_backend.cu; without CUDA, stubs that throw NotCompiled).
// Backend selection and the path simulation itself are the engine's (engine/backends.hpp).
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/stats/summary.hpp"
#include "hedgesim/stats/tile_fold.hpp"

namespace hedgesim {

/// Hedges paths `range` of `job` with every policy of `hedge`. `out` receives kPathFields ×
/// n_policies × range.size() values, index (field·n_policies + policy)·range.size() + (path − begin).
void cpu_simulate_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, unsigned threads,
                          std::vector<double>& out, CpuIsa isa = cpu_best_isa());

/// A batch of hedged paths reduced where they were simulated: the tile moments of every field (on the
/// device for CUDA runs; stats/tile_fold.hpp), the P&L and cost of every path (their quantiles need all
/// values), and every field per path only when asked for.
struct HedgingBatch {
  PathRange range;
  unsigned policies = 0;
  std::vector<Moments> tiles;    ///< [(field · policies + policy) · moment_tiles(n) + tile]
  std::vector<double> pnl;       ///< [policy · range.size() + (path − begin)]
  std::vector<double> cost;      ///< same layout
  std::vector<double> all;       ///< the raw layout of cpu_simulate_hedging; empty unless keep_all
  double kernel_s = 0.0;         ///< time in the hedging kernel (CUDA events); 0 on the CPU
};

void cuda_simulate_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, int device,
                           bool keep_all, HedgingBatch& out);

/// A whole hedging run on one or more CUDA devices, reduced there (`hedgesim run`).
struct CudaRunOptions {
  std::vector<int> devices = {0};  ///< CUDA ordinals; batches are dealt round-robin (plan_batches)
  std::uint64_t batch_paths = 0;   ///< 0: kCudaBatchPaths; rounded up to whole moment tiles
  bool keep_all = false;           ///< bring every field of every path to the host (output.per_path)
  unsigned histogram_bins = 50;    ///< of each policy's P&L
  /// One rank of several: bring every path's P&L and cost to the host (pnl_values, cost_values) for the
  /// ranks' distributed summary, instead of summarising them on the device.
  bool host_values = false;
};

/// What run_hedging_job needs of a CUDA run. The moments of every field are per-tile moments merged in
/// global path order, and the P&L and cost Summaries take their moments from them; quantiles, VaR,
/// ES and the histogram come from the exact order statistics of every path, sorted on the device.
/// The bits do not depend on the batch size or the number of devices.
struct CudaHedgingRun {
  std::vector<std::array<Moments, kPathFields>> fields;  ///< [policy][field]
  std::vector<Summary> pnl;                              ///< [policy]
  std::vector<Summary> cost;                             ///< [policy]
  std::vector<Histogram> pnl_histogram;                  ///< [policy]
  std::vector<std::array<std::vector<double>, kPathFields>> per_path;  ///< [policy][field][path]; keep_all only
  std::vector<TileFold> folds;             ///< [field · policies + policy]: the tiles behind `fields`
  std::vector<std::vector<double>> pnl_values, cost_values;  ///< [policy][path, any order]; host_values only
  double kernel_s = 0.0;  ///< hedging kernel time summed over batches (and devices), CUDA events
};

/// Hedges `paths` (starting on a moment tile) with every policy. P&L and cost stay resident in device memory until the
/// end (2 × policies × 8 bytes per path, split over the devices); throws RuntimeFailure before
/// starting when a device lacks the memory, naming the estimate. progress(done, total) as batches
/// finish, in path order.
CudaHedgingRun cuda_run_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange paths,
                                const CudaRunOptions& options,
                                const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

/// Dispatch to the resolved backend (resolve_backend).
void simulate_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, const BackendInfo& backend,
                      bool keep_all, HedgingBatch& out);

}  // namespace hedgesim
