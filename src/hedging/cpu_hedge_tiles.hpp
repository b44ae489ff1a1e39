#pragma once
// The CPU backend's hedging loop (cpu_hedging.cpp): the engine's tiles (engine/cpu_tile.hpp) with a
// HedgeTile watching each, over chunks of paths on the threads, for the build's ISA and as an x86-64-v4
// clone. Each tile kind (TileKind) is compiled in a unit of its own, which defines its
// cpu_simulate_tiles: cpu_hedging.cpp the standard tile, cpu_hedging_surface.cpp,
// cpu_hedging_everlasting.cpp, cpu_hedging_margin.cpp and cpu_hedging_pool.cpp the others. GCC's inlining
// limits are per unit: with two tiles in one, the standard tile compiled to other code (0.012% more
// instructions on btc_short_calls_perp.yaml, callgrind); apart, it is the code it was before the others existed.
#include <algorithm>
#include <memory>
#include <vector>

#include "hedgesim/engine/cpu_tile.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/hedge_observer.hpp"
#include "hedgesim/models/model.hpp"

namespace hedgesim {

/// cpu_simulate_hedging with tile kind K (out sized and threads resolved by the caller), defined in K's unit.
template <TileKind K>
void cpu_simulate_tiles(const SimulationJob& job, const HedgeParams& hedge, PathRange range, unsigned threads,
                        std::vector<double>& out, CpuIsa isa);
template <>
void cpu_simulate_tiles<TileKind::standard>(const SimulationJob&, const HedgeParams&, PathRange, unsigned,
                                            std::vector<double>&, CpuIsa);
template <>
void cpu_simulate_tiles<TileKind::surface>(const SimulationJob&, const HedgeParams&, PathRange, unsigned,
                                           std::vector<double>&, CpuIsa);
template <>
void cpu_simulate_tiles<TileKind::everlasting>(const SimulationJob&, const HedgeParams&, PathRange, unsigned,
                                               std::vector<double>&, CpuIsa);
template <>
void cpu_simulate_tiles<TileKind::margin>(const SimulationJob&, const HedgeParams&, PathRange, unsigned,
                                          std::vector<double>&, CpuIsa);
template <>
void cpu_simulate_tiles<TileKind::pool>(const SimulationJob&, const HedgeParams&, PathRange, unsigned,
                                        std::vector<double>&, CpuIsa);

namespace {

using cpu::kLanes;

/// The tile's steps out of line: the model's step loop (cpu::simulate_tile) calls them, once a step for
/// all its lanes, so the hedging code is compiled once per precision, tile kind and ISA instead of once
/// per model too. Inlined into each of the seven models' loops it made every tile unit take 7-10 minutes
/// of CI's 2 cores.
template <class T, class Tile>
struct TileSteps {
  Tile& tile;
  [[gnu::noinline]] void begin(const T* x, const T* v) { tile.begin(x, v); }
  [[gnu::noinline]] void after_step(std::uint32_t n, const T* x, const T* v) { tile.after_step(n, x, v); }
};

/// The hedged tiles of paths [chunk_first, chunk_last) of range; Steps: how the model's loop reaches the
/// tile (TileSteps, TileStepsV4).
template <class T, template <class, class> class Steps, class Model, class Tile>
void hedge_chunk(const Model& model, const SimulationJob& job, PathRange range, std::uint64_t chunk_first,
                 std::uint64_t chunk_last, Tile& tile) {
  Steps<T, Tile> steps{tile};
  for (std::uint64_t first = chunk_first; first < chunk_last; first += kLanes) {
    tile.place(first - range.begin, first, static_cast<unsigned>(std::min<std::uint64_t>(kLanes, chunk_last - first)));
    cpu::simulate_tile<T>(model, job, first, steps);
  }
}

#if HS_CPU_V4
/// TileSteps compiled for x86-64-v4: the hedging code inlined into each step with 512-bit vectors.
template <class T, class Tile>
struct TileStepsV4 {
  Tile& tile;
  HS_TARGET_V4 [[gnu::noinline]] void begin(const T* x, const T* v) { tile.begin(x, v); }
  HS_TARGET_V4 [[gnu::noinline]] void after_step(std::uint32_t n, const T* x, const T* v) {
    tile.after_step(n, x, v);
  }
};

template <class T, class Model, class Tile>
HS_TARGET_V4 void hedge_chunk_v4(const Model& model, const SimulationJob& job, PathRange range,
                                 std::uint64_t chunk_first, std::uint64_t chunk_last, Tile& tile) {
  hedge_chunk<T, TileStepsV4>(model, job, range, chunk_first, chunk_last, tile);
}
#endif

/// Every path of range hedged by HedgeTile<T, kLanes, K> (hedge_observer.hpp).
template <class T, TileKind K>
void run_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, unsigned threads,
                 std::vector<double>& out, CpuIsa isa) {
  visit_model<T>(job.model, job.measure, job.dt_years, [&](const auto& model) {
    cpu::parallel_chunks(range, threads, [&](std::uint64_t chunk_first, std::uint64_t chunk_last) {
      // ~120 KB of lanes per tile (kMaxPolicies): on the heap, one per chunk, not on the thread's stack.
      auto tile = std::make_unique<HedgeTile<T, kLanes, K>>(hedge, out.data(), range.size(), 0, job.seed, 0, 0);
#if HS_CPU_V4
      if (isa == CpuIsa::x86_64_v4) return hedge_chunk_v4<T>(model, job, range, chunk_first, chunk_last, *tile);
#endif
      (void)isa;
      hedge_chunk<T, TileSteps>(model, job, range, chunk_first, chunk_last, *tile);
    });
  });
}

/// The body of K's cpu_simulate_tiles: run_hedging in the job's precision.
template <TileKind K>
void run_tiles(const SimulationJob& job, const HedgeParams& hedge, PathRange range, unsigned threads,
               std::vector<double>& out, CpuIsa isa) {
  if (job.precision == Precision::float32) {
    run_hedging<float, K>(job, hedge, range, threads, out, isa);
  } else {
    run_hedging<double, K>(job, hedge, range, threads, out, isa);
  }
}

}  // namespace
}  // namespace hedgesim
