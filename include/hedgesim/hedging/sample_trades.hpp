#pragma once
// When each policy rebalanced on the first few paths (the sample paths of a run file), for plots of
// paths with their rebalance times. Recorded by replaying those paths through the same per-path
// hedging code on the host (HedgeObserver, one path at a time): the same random numbers and the same
// decisions as the run. With order_flow, the pool's inventory greeks along those paths too.
#include <cstdint>
#include <vector>

#include "hedgesim/engine/job.hpp"
#include "hedgesim/hedging/hedge_job.hpp"

namespace hedgesim {

struct SampleTrades {
  std::uint64_t count = 0;  ///< sample paths
  unsigned policies = 0;
  std::uint32_t points = 0;  ///< steps + 1 (decision times 0 … steps)
  /// 1 where the policy executed a trade at that step: [policy][path][step], row-major.
  std::vector<std::uint32_t> executed;
  /// order_flow only (else empty): the pool's inventory at each decision, [path][step] — delta (coins), gamma
  /// (per USD) and vega (USD per vol point), of the board's series it holds after that step's customers
  /// (the config's book left out); 0 at the horizon, where it is closed.
  std::vector<double> pool_delta, pool_gamma, pool_vega;
};

SampleTrades cpu_sample_trades(const SimulationJob& job, const HedgeParams& hedge, std::uint64_t count);

}  // namespace hedgesim
