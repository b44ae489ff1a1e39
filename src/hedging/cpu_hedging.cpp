// The CPU backend's hedging: the engine's tiles (engine/cpu_tile.hpp) with a HedgeTile watching each,
// so every policy hedges a tile's paths as they are stepped (cpu_hedge_tiles.hpp). A job with surface
// marks runs the surface tile, compiled in cpu_hedging_surface.cpp, and a book with everlasting options
// the everlasting tile, in cpu_hedging_everlasting.cpp.
#include "cpu_hedge_tiles.hpp"

namespace hedgesim {

void cpu_simulate_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, unsigned threads,
                          std::vector<double>& out, CpuIsa isa) {
  cpu::require_isa(isa);
  out.assign(static_cast<std::size_t>(path_fields(hedge)) * hedge.n_policies * range.size(), 0.0);
  if (threads == 0) threads = cpu_hardware_threads();
  if (hedge.marks == MarkSource::surface) {
    cpu_simulate_surface_hedging(job, hedge, range, threads, out, isa);
  } else if (hedge.everlasting) {
    cpu_simulate_everlasting_hedging(job, hedge, range, threads, out, isa);
  } else if (job.precision == Precision::float32) {
    run_hedging<float, false>(job, hedge, range, threads, out, isa);
  } else {
    run_hedging<double, false>(job, hedge, range, threads, out, isa);
  }
}

}  // namespace hedgesim
