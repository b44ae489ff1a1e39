// The CPU backend's hedging: the engine's tiles (engine/cpu_tile.hpp) with a HedgeTile watching each,
// so every policy hedges a tile's paths as they are stepped (cpu_hedge_tiles.hpp). This unit compiles the
// standard tile; a job of another tile kind runs the one compiled in its own unit.
#include "cpu_hedge_tiles.hpp"

namespace hedgesim {

template <>
void cpu_simulate_tiles<TileKind::standard>(const SimulationJob& job, const HedgeParams& hedge, PathRange range,
                                            unsigned threads, std::vector<double>& out, CpuIsa isa) {
  run_tiles<TileKind::standard>(job, hedge, range, threads, out, isa);
}

void cpu_simulate_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, unsigned threads,
                          std::vector<double>& out, CpuIsa isa) {
  cpu::require_isa(isa);
  out.assign(static_cast<std::size_t>(path_fields(hedge)) * hedge.n_policies * range.size(), 0.0);
  if (threads == 0) threads = cpu_hardware_threads();
  with_tile_kind(hedge, [&](auto kind) { cpu_simulate_tiles<decltype(kind)::value>(job, hedge, range, threads, out, isa); });
}

}  // namespace hedgesim
