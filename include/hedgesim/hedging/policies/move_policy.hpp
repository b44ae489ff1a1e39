#pragma once
// `move`: rebalance to the full hedge when the price has moved more than a fraction since the last
// trade (and at t = 0, to put the first hedge on).
#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

struct MoveRule {
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    const bool moved = m::fabs(c.spot / s.last_trade_spot - 1.0) > p.move;
    return s.traded == 0.0 || moved ? c.target : s.hedge;
  }
};

}  // namespace hedgesim
