// The CPU backend's hedging of books with everlasting options: the everlasting tile
// (HedgeTile<T, L, false, true>), in a unit of its own (cpu_hedge_tiles.hpp says why).
#include "cpu_hedge_tiles.hpp"

namespace hedgesim {

void cpu_simulate_everlasting_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range,
                                      unsigned threads, std::vector<double>& out, CpuIsa isa) {
  if (job.precision == Precision::float32) {
    run_hedging<float, false, true>(job, hedge, range, threads, out, isa);
  } else {
    run_hedging<double, false, true>(job, hedge, range, threads, out, isa);
  }
}

}  // namespace hedgesim
