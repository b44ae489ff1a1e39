#pragma once
// `hybrid`: a delta band checked only at scheduled times (every_steps), and/or a full rebalance when
// max_steps have passed since the last trade.
#include "hedgesim/hedging/policies/context.hpp"
#include "hedgesim/hedging/policies/delta_band.hpp"

namespace hedgesim {

struct HybridRule {
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    const bool overdue =
        p.max_steps > 0 && (s.traded == 0.0 || static_cast<double>(c.step) - s.last_trade_step >= static_cast<double>(p.max_steps));
    const double banded = c.step % p.every_steps != 0
                              ? s.hedge
                              : band_decision(s.hedge, c.target, delta_band_half_width(p, c), p.rebalance_to);
    return overdue ? c.target : banded;
  }
};

}  // namespace hedgesim
