// The CPU backend's hedging of jobs with surface marks: the surface tile
// (HedgeTile<T, L, TileKind::surface>), in a unit of its own (cpu_hedge_tiles.hpp says why).
#include "cpu_hedge_tiles.hpp"

namespace hedgesim {

template <>
void cpu_simulate_tiles<TileKind::surface>(const SimulationJob& job, const HedgeParams& hedge, PathRange range,
                                  unsigned threads, std::vector<double>& out, CpuIsa isa) {
  run_tiles<TileKind::surface>(job, hedge, range, threads, out, isa);
}

}  // namespace hedgesim
