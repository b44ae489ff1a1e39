// Dispatch of hedging to the resolved backend; a CPU batch is reduced here the way a CUDA batch is on
// its device (tile moments of every field, P&L and cost per path).
#include <utility>
#include <vector>

#include "hedgesim/hedging/backends.hpp"

namespace hedgesim {

void simulate_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, const BackendInfo& backend,
                      bool keep_all, HedgingBatch& out) {
  if (backend.kind == BackendKind::cuda) {
    cuda_simulate_hedging(job, hedge, range, backend.cuda_device, keep_all, out);
    return;
  }
  std::vector<double> raw;
  cpu_simulate_hedging(job, hedge, range, backend.threads, raw, backend.cpu_isa);
  const std::size_t n = range.size();
  const unsigned policies = hedge.n_policies;
  out.range = range;
  out.policies = policies;
  const std::size_t segments = static_cast<std::size_t>(path_fields(hedge)) * policies;
  out.tiles.clear();
  out.tiles.reserve(segments * moment_tiles(n));
  for (std::size_t k = 0; k < segments; ++k) append_tile_moments({raw.data() + k * n, n}, out.tiles);
  const auto segment = [&](PathField f) {
    const auto first = raw.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(f) * policies * n);
    return std::vector<double>(first, first + static_cast<std::ptrdiff_t>(policies * n));
  };
  out.pnl = segment(PathField::pnl);
  out.cost = segment(PathField::cost);
  out.all = keep_all ? std::move(raw) : std::vector<double>{};
}

}  // namespace hedgesim
