#pragma once
// The engine's backend entry points: path simulation on the CPU and CUDA backends, and backend
// selection. The CUDA ones exist in every build: without CUDA they are stubs that report no device and
// throw NotCompiled, so callers carry no #ifdefs. (The hedging layer's entry points: hedging/backends.hpp.)
#include <cstdint>
#include <string>
#include <vector>

#include "hedgesim/engine/job.hpp"

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

/// Picks the backend for a request: automatic means CUDA when a device is present, else CPU.
/// Asking for cuda without a CUDA build or device throws RuntimeFailure (exit code 3).
/// `devices` (a --devices value, parse_device_list): the CUDA devices to use, "all" for every visible
/// one; empty means device 0. A listed device that does not exist is a RuntimeFailure; a list with
/// --backend cpu an InputError; with automatic and no device the list is ignored (CPU run).
BackendInfo resolve_backend(BackendKind requested, unsigned threads, const std::string& devices = {});

/// Dispatch to the resolved backend.
void simulate_terminal(const SimulationJob& job, PathRange range, const BackendInfo& backend, TerminalSamples& out);

/// Philox4x32-10 blocks computed on the device for the known-answer test: counters holds 4 words per
/// block, the result 4 words per block.
std::vector<std::uint32_t> cuda_philox_blocks(const std::vector<std::uint32_t>& counters, std::uint32_t k0,
                                              std::uint32_t k1, int device);

}  // namespace hedgesim
