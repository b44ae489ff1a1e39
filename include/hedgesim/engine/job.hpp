#pragma once
// What a backend is asked to simulate, and what it returns. A backend call covers a path range and
// its result depends only on the job and the path indices (never on threads, blocks or batching).
#include <cstdint>
#include <string>
#include <vector>

#include "hedgesim/engine/path.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

struct PathRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t size() const { return end - begin; }
};

struct SimulationJob {
  ModelParams model;
  Measure measure = Measure::physical;
  Precision precision = Precision::float32;
  std::uint32_t steps = 0;
  double dt_years = 0.0;
  std::uint64_t seed = 0;
  RecordSteps record;
};

/// The simulation job of a spec on its time grid (engine/grid.hpp), recording the state at every
/// distinct expiry of the book.
SimulationJob make_simulation_job(const RunSpec& spec);

/// Per-path samples at the recorded steps, row-major: index (path − range.begin) · records + k.
struct TerminalSamples {
  PathRange range;
  unsigned records = 0;
  std::vector<double> log_return;  ///< ln(S/S0)
  std::vector<double> variance;

  void resize(PathRange r, unsigned n) {
    range = r;
    records = n;
    log_return.assign(r.size() * n, 0.0);
    variance.assign(r.size() * n, 0.0);
  }
};

/// Instruction sets the CPU backend's per-path loops are compiled for (engine/cpu_tile.hpp):
/// the build's own (HEDGESIM_CPU_ARCH), and on x86-64 with GCC also x86-64-v4 (AVX-512, 512-bit
/// vectors), chosen at run time when the CPU has it. Every variant gives the same bits: FP
/// contraction is off and the loops use only IEEE operations (tests/test_cpu_isa.cpp).
enum class CpuIsa { build, x86_64_v4 };

struct BackendInfo {
  BackendKind kind = BackendKind::cpu;  ///< cpu or cuda, never automatic
  std::string device;                   ///< CPU model / GPU name
  unsigned threads = 1;                 ///< CPU worker threads
  CpuIsa cpu_isa = CpuIsa::build;       ///< the CPU loops' instruction set
  int cuda_device = 0;                  ///< the first of cuda_devices (single-device jobs run here)
  std::vector<int> cuda_devices;        ///< CUDA devices a hedging run splits its batches over
  std::uint64_t cuda_batch_paths = 0;   ///< paths per CUDA batch; 0: the default (tests vary it)
};

/// What a job ran and how fast; every job's report starts with it.
struct RunInfo {
  BackendInfo backend;
  std::uint64_t paths = 0;
  std::uint32_t steps = 0;
  std::uint64_t seed = 0;
  Precision precision = Precision::float32;
  double elapsed_s = 0.0;         ///< simulation and reduction, excluding start-up and output
  double path_steps_per_s = 0.0;  ///< paths × steps / elapsed_s
  double kernel_s = 0.0;          ///< CUDA: hedging kernel time (events), summed over batches and devices; CPU: 0

  RunInfo() = default;
  RunInfo(const SimulationJob& job, const BackendInfo& b, std::uint64_t n_paths, double seconds)
      : backend(b),
        paths(n_paths),
        steps(job.steps),
        seed(job.seed),
        precision(job.precision),
        elapsed_s(seconds),
        path_steps_per_s(seconds > 0 ? static_cast<double>(n_paths) * job.steps / seconds : 0.0) {}
};

}  // namespace hedgesim
