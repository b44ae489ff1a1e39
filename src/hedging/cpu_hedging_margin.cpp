// The CPU backend's hedging of hedges on margin (hedge.margin): the margin tile
// (HedgeTile<T, L, TileKind::margin>), in a unit of its own (cpu_hedge_tiles.hpp says why).
#include "cpu_hedge_tiles.hpp"

namespace hedgesim {

template <>
void cpu_simulate_tiles<TileKind::margin>(const SimulationJob& job, const HedgeParams& hedge, PathRange range,
                                  unsigned threads, std::vector<double>& out, CpuIsa isa) {
  run_tiles<TileKind::margin>(job, hedge, range, threads, out, isa);
}

}  // namespace hedgesim
