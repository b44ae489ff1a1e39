// CPU backend: the per-path code of include/hedgesim/ on std::threads. Paths are handed out in small
// chunks from an atomic counter (dynamic balance; jump steps make paths uneven), and each path writes
// only its own row of the output, so results do not depend on the number of threads.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/path.hpp"
#include "hedgesim/models/model.hpp"

namespace hedgesim {
namespace {

constexpr std::uint64_t kChunk = 256;

template <class T, class Model>
void run_range(const Model& model, const SimulationJob& job, PathRange range, unsigned threads,
               TerminalSamples& out) {
  const unsigned records = job.record.count;
  const std::uint64_t chunks = (range.size() + kChunk - 1) / kChunk;
  std::atomic<std::uint64_t> next{0};
  auto worker = [&] {
    for (std::uint64_t c = next.fetch_add(1); c < chunks; c = next.fetch_add(1)) {
      const std::uint64_t first = range.begin + c * kChunk;
      const std::uint64_t last = std::min(range.end, first + kChunk);
      for (std::uint64_t path = first; path < last; ++path) {
        const std::uint64_t row = (path - range.begin) * records;
        TerminalRecorder<T> rec{job.record, out.log_return.data() + row, out.variance.data() + row};
        simulate_path<T>(model, job.steps, job.seed, path, rec);
      }
    }
  };
  const unsigned n = static_cast<unsigned>(std::min<std::uint64_t>(threads, std::max<std::uint64_t>(chunks, 1)));
  std::vector<std::jthread> pool;
  pool.reserve(n > 0 ? n - 1 : 0);
  for (unsigned i = 1; i < n; ++i) pool.emplace_back(worker);
  worker();
}

template <class T>
void run_precision(const SimulationJob& job, PathRange range, unsigned threads, TerminalSamples& out) {
  visit_model<T>(job.model, job.measure, job.dt_years,
                 [&](const auto& model) { run_range<T>(model, job, range, threads, out); });
}

}  // namespace

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

void cpu_simulate_terminal(const SimulationJob& job, PathRange range, unsigned threads, TerminalSamples& out) {
  out.resize(range, job.record.count);
  if (threads == 0) threads = cpu_hardware_threads();
  if (job.precision == Precision::float32) {
    run_precision<float>(job, range, threads, out);
  } else {
    run_precision<double>(job, range, threads, out);
  }
}

}  // namespace hedgesim
