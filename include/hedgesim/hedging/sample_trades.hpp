#pragma once
// When each policy rebalanced on the first few paths (the sample paths of a run file), for plots of
// paths with their rebalance times. Recorded by replaying those paths through the same per-path
// hedging code on the host (HedgeObserver, one path at a time): the same random numbers and the same
// decisions as the run.
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
};

SampleTrades cpu_sample_trades(const SimulationJob& job, const HedgeParams& hedge, std::uint64_t count);

}  // namespace hedgesim
