// CPU backend of the engine: terminal samples and sample paths on the tiles and threads of
// engine/cpu_tile.hpp (the hedging layer runs its own observer on them: src/hedging/cpu_hedging.cpp),
// and what the backend reports about the CPU.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/cpu_tile.hpp"
#include "hedgesim/engine/path.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/models/model.hpp"

namespace hedgesim {
namespace {

/// Terminal samples of paths [chunk_first, chunk_last) of range.
template <class T, class Model>
void terminal_chunk(const Model& model, const SimulationJob& job, PathRange range, std::uint64_t chunk_first,
                    std::uint64_t chunk_last, TerminalSamples& out) {
  const unsigned records = job.record.count;
  cpu::simulate_tiles<T, Model, TerminalRecorder<T>>(model, job, chunk_first, chunk_last, [&](std::uint64_t path) {
    const std::uint64_t row = (path - range.begin) * records;
    return TerminalRecorder<T>{job.record, out.log_return.data() + row, out.variance.data() + row};
  });
}

#if HS_CPU_V4
template <class T, class Model>
HS_TARGET_V4 void terminal_chunk_v4(const Model& model, const SimulationJob& job, PathRange range,
                                    std::uint64_t chunk_first, std::uint64_t chunk_last, TerminalSamples& out) {
  terminal_chunk<T>(model, job, range, chunk_first, chunk_last, out);
}
#endif

template <class T>
void run_precision(const SimulationJob& job, PathRange range, unsigned threads, TerminalSamples& out, CpuIsa isa) {
  visit_model<T>(job.model, job.measure, job.dt_years, [&](const auto& model) {
    cpu::parallel_chunks(range, threads, [&](std::uint64_t chunk_first, std::uint64_t chunk_last) {
#if HS_CPU_V4
      if (isa == CpuIsa::x86_64_v4) return terminal_chunk_v4<T>(model, job, range, chunk_first, chunk_last, out);
#endif
      (void)isa;
      terminal_chunk<T>(model, job, range, chunk_first, chunk_last, out);
    });
  });
}

}  // namespace

bool cpu_isa_available(CpuIsa isa) {
  if (isa == CpuIsa::build) return true;
#if HS_CPU_V4
  return __builtin_cpu_supports("x86-64-v4");
#else
  return false;
#endif
}

CpuIsa cpu_best_isa() { return cpu_isa_available(CpuIsa::x86_64_v4) ? CpuIsa::x86_64_v4 : CpuIsa::build; }

std::string cpu_isa_name(CpuIsa isa) {
  if (isa == CpuIsa::x86_64_v4) return "x86-64-v4 (AVX-512)";
  const std::string arch = HEDGESIM_CPU_ARCH_NAME;
  return arch.empty() ? "compiler default" : arch;
}

void cpu::require_isa(CpuIsa isa) {
  if (!cpu_isa_available(isa)) {
    throw RuntimeFailure("the CPU loops for " + cpu_isa_name(isa) +
                         " are not in this build or not supported by this CPU");
  }
}

namespace {

/// Observer that writes spot and variance after every step.
template <class T>
struct PathRecorder {
  double spot0;
  double* spot;
  double* variance;
  void begin(const PathState<T>& s) { after_step(0, s); }
  void after_step(std::uint32_t n, const PathState<T>& s) {
    spot[n] = spot0 * std::exp(static_cast<double>(s.x));
    variance[n] = static_cast<double>(s.v);
  }
};

template <class T>
void sample_paths_at(const SimulationJob& job, SamplePaths& out) {
  const std::size_t row = job.steps + 1;
  visit_model<T>(job.model, job.measure, job.dt_years, [&](const auto& model) {
    for (std::uint64_t p = 0; p < out.count; ++p) {
      PathRecorder<T> rec{job.model.spot, out.spot.data() + p * row, out.variance.data() + p * row};
      simulate_path<T>(model, job.steps, job.seed, p, rec);
    }
  });
}

}  // namespace

SamplePaths cpu_sample_paths(const SimulationJob& job, std::uint64_t count) {
  SamplePaths out;
  out.count = count;
  const std::size_t row = job.steps + 1;
  out.time_days.resize(row);
  for (std::size_t k = 0; k < row; ++k) out.time_days[k] = static_cast<double>(k) * job.dt_years * kDaysPerYear;
  out.spot.assign(count * row, 0.0);
  out.variance.assign(count * row, 0.0);
  if (job.precision == Precision::float32) {
    sample_paths_at<float>(job, out);
  } else {
    sample_paths_at<double>(job, out);
  }
  return out;
}

unsigned cpu_hardware_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown CPU";
}

void cpu_simulate_terminal(const SimulationJob& job, PathRange range, unsigned threads, TerminalSamples& out,
                           CpuIsa isa) {
  cpu::require_isa(isa);
  out.resize(range, job.record.count);
  if (threads == 0) threads = cpu_hardware_threads();
  if (job.precision == Precision::float32) {
    run_precision<float>(job, range, threads, out, isa);
  } else {
    run_precision<double>(job, range, threads, out, isa);
  }
}

}  // namespace hedgesim
