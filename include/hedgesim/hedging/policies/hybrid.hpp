#pragma once
// `hybrid`: a delta band checked only at scheduled times (every_steps), and/or a full rebalance when
// max_steps have passed since the last trade.
#include "hedgesim/hedging/policies/context.hpp"
#include "hedgesim/hedging/policies/delta_band.hpp"

namespace hedgesim {

HS_HD double decide_hybrid(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
  if (p.max_steps > 0 && (!s.traded || c.step - s.last_trade_step >= p.max_steps)) return c.target;
  if (c.step % p.every_steps != 0) return s.hedge;
  return band_decision(s.hedge, c.target, delta_band_half_width(p, c), p.rebalance_to);
}

}  // namespace hedgesim
