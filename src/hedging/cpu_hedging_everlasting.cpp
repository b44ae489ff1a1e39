// The CPU backend's hedging of books with everlasting options: the everlasting tile
// (HedgeTile<T, L, TileKind::everlasting>), in a unit of its own (cpu_hedge_tiles.hpp says why).
#include "cpu_hedge_tiles.hpp"

namespace hedgesim {

template <>
void cpu_simulate_tiles<TileKind::everlasting>(const SimulationJob& job, const HedgeParams& hedge, PathRange range,
                                  unsigned threads, std::vector<double>& out, CpuIsa isa) {
  run_tiles<TileKind::everlasting>(job, hedge, range, threads, out, isa);
}

}  // namespace hedgesim
