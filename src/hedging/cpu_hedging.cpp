// The CPU backend's hedging: the engine's tiles (engine/cpu_tile.hpp) with a HedgeTile watching each,
// so every policy hedges a tile's paths as they are stepped.
#include <memory>
#include <vector>

#include "hedgesim/engine/cpu_tile.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/hedge_observer.hpp"
#include "hedgesim/models/model.hpp"

namespace hedgesim {
namespace {

using cpu::kLanes;

/// The hedged tiles of paths [chunk_first, chunk_last) of range.
template <class T, class Model>
void hedge_chunk(const Model& model, const SimulationJob& job, PathRange range, std::uint64_t chunk_first,
                 std::uint64_t chunk_last, HedgeTile<T, kLanes>& tile) {
  for (std::uint64_t first = chunk_first; first < chunk_last; first += kLanes) {
    tile.place(first - range.begin, first, static_cast<unsigned>(std::min<std::uint64_t>(kLanes, chunk_last - first)));
    cpu::simulate_tile<T>(model, job, first, tile);
  }
}

#if HS_CPU_V4
template <class T, class Model>
HS_TARGET_V4 void hedge_chunk_v4(const Model& model, const SimulationJob& job, PathRange range,
                                 std::uint64_t chunk_first, std::uint64_t chunk_last, HedgeTile<T, kLanes>& tile) {
  hedge_chunk<T>(model, job, range, chunk_first, chunk_last, tile);
}
#endif

template <class T>
void run_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, unsigned threads,
                 std::vector<double>& out, CpuIsa isa) {
  visit_model<T>(job.model, job.measure, job.dt_years, [&](const auto& model) {
    cpu::parallel_chunks(range, threads, [&](std::uint64_t chunk_first, std::uint64_t chunk_last) {
      // ~120 KB of lanes per tile (kMaxPolicies): on the heap, one per chunk, not on the thread's stack.
      auto tile = std::make_unique<HedgeTile<T, kLanes>>(hedge, out.data(), range.size(), 0, job.seed, 0, 0);
#if HS_CPU_V4
      if (isa == CpuIsa::x86_64_v4) return hedge_chunk_v4<T>(model, job, range, chunk_first, chunk_last, *tile);
#endif
      (void)isa;
      hedge_chunk<T>(model, job, range, chunk_first, chunk_last, *tile);
    });
  });
}

}  // namespace

void cpu_simulate_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, unsigned threads,
                          std::vector<double>& out, CpuIsa isa) {
  cpu::require_isa(isa);
  out.assign(static_cast<std::size_t>(path_fields(hedge)) * hedge.n_policies * range.size(), 0.0);
  if (threads == 0) threads = cpu_hardware_threads();
  if (job.precision == Precision::float32) {
    run_hedging<float>(job, hedge, range, threads, out, isa);
  } else {
    run_hedging<double>(job, hedge, range, threads, out, isa);
  }
}

}  // namespace hedgesim
