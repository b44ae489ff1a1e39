#pragma once
// `time`: rebalance to the full hedge every N steps (every_hours on the grid), starting at t = 0.
#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

struct TimeRule {
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    return c.step % p.every_steps == 0 ? c.target : s.hedge;
  }
};

}  // namespace hedgesim
