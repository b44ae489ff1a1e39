#pragma once
// Backend entry points. The CUDA ones exist in every build: without CUDA they are stubs that report
// no device and throw NotCompiled, so callers carry no #ifdefs.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hedgesim/engine/job.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/stats/summary.hpp"

namespace hedgesim {

/// The fastest CPU loop variant this build has and this CPU runs.
CpuIsa cpu_best_isa();
/// Whether this build has the variant and this CPU can run it.
bool cpu_isa_available(CpuIsa isa);
/// "x86-64-v4 (AVX-512)", or the build's -march ("x86-64-v3", "compiler default").
std::string cpu_isa_name(CpuIsa isa);

/// Simulates job over range on `threads` CPU threads (0: all hardware threads).
void cpu_simulate_terminal(const SimulationJob& job, PathRange range, unsigned threads, TerminalSamples& out,
                           CpuIsa isa = cpu_best_isa());
unsigned cpu_hardware_threads();

/// Paths 0 … n−1 of the job at every step (the same paths every backend simulates), for plots:
/// time[k] in days, spot and variance row-major [path][k], k = 0 … steps.
struct SamplePaths {
  std::uint64_t count = 0;
  std::vector<double> time_days;
  std::vector<double> spot;
  std::vector<double> variance;
};
SamplePaths cpu_sample_paths(const SimulationJob& job, std::uint64_t count);
std::string cpu_model_name();

bool cuda_compiled();
/// Number of usable CUDA devices; 0 without a CUDA build, driver or device.
int cuda_device_count();
std::string cuda_device_name(int device);
void cuda_simulate_terminal(const SimulationJob& job, PathRange range, int device, TerminalSamples& out);

/// Hedges paths `range` of `job` with every policy of `hedge`. `out` receives kPathFields ×
/// n_policies × range.size() values, index (field·n_policies + policy)·range.size() + (path − begin).
void cpu_simulate_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, unsigned threads,
                          std::vector<double>& out, CpuIsa isa = cpu_best_isa());

/// A batch of hedged paths reduced where they were simulated: moments of every field (on the device
/// for CUDA runs), the P&L and cost of every path (their quantiles need all values), and every field
/// per path only when asked for.
struct HedgingBatch {
  PathRange range;
  unsigned policies = 0;
  std::vector<Moments> moments;  ///< [field · policies + policy]
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
  double kernel_s = 0.0;  ///< hedging kernel time summed over batches (and devices), CUDA events
};

/// Hedges paths [0, total) with every policy. P&L and cost stay resident in device memory until the
/// end (2 × policies × 8 bytes per path, split over the devices); throws RuntimeFailure before
/// starting when a device lacks the memory, naming the estimate. progress(done, total) as batches
/// finish, in path order.
CudaHedgingRun cuda_run_hedging(const SimulationJob& job, const HedgeParams& hedge, std::uint64_t total,
                                const CudaRunOptions& options,
                                const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

/// Picks the backend for a request: automatic means CUDA when a device is present, else CPU.
/// Asking for cuda without a CUDA build or device throws RuntimeFailure (exit code 3).
/// `devices` (a --devices value, parse_device_list): the CUDA devices to use, "all" for every visible
/// one; empty means device 0. A listed device that does not exist is a RuntimeFailure; a list with
/// --backend cpu an InputError; with automatic and no device the list is ignored (CPU run).
BackendInfo resolve_backend(BackendKind requested, unsigned threads, const std::string& devices = {});

/// Dispatch to the resolved backend.
void simulate_terminal(const SimulationJob& job, PathRange range, const BackendInfo& backend, TerminalSamples& out);
void simulate_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, const BackendInfo& backend,
                      bool keep_all, HedgingBatch& out);

}  // namespace hedgesim

namespace hedgesim {

/// Philox4x32-10 blocks computed on the device for the known-answer test: counters holds 4 words per
/// block, the result 4 words per block.
std::vector<std::uint32_t> cuda_philox_blocks(const std::vector<std::uint32_t>& counters, std::uint32_t k0,
                                              std::uint32_t k1, int device);

}  // namespace hedgesim
