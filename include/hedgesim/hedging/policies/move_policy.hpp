#pragma once
// `move`: rebalance to the full hedge when the price has moved more than a fraction since the last
// trade (and at t = 0, to put the first hedge on).
#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

HS_HD double decide_move(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
  if (!s.traded) return c.target;
  return m::fabs(c.spot / s.last_trade_spot - 1.0) > p.move ? c.target : s.hedge;
}

}  // namespace hedgesim
