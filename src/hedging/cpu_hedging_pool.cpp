// The CPU backend's hedging of an options AMM's book that customers trade (order_flow:): the pool tile
// (HedgeTile<T, L, TileKind::pool>), in a unit of its own (cpu_hedge_tiles.hpp says why).
#include "cpu_hedge_tiles.hpp"

namespace hedgesim {

template <>
void cpu_simulate_tiles<TileKind::pool>(const SimulationJob& job, const HedgeParams& hedge, PathRange range,
                                  unsigned threads, std::vector<double>& out, CpuIsa isa) {
  run_tiles<TileKind::pool>(job, hedge, range, threads, out, isa);
}

}  // namespace hedgesim
