#pragma once
// `delta_band`: rebalance when |position − target| exceeds the half-width w, to the target or the band
// edge. w is in coins, or with width_per_gamma the delta drift of a relative move `width`:
// w = width·|Γ_book|·S. Width 0 trades whenever the target moves (every_step); infinity never trades.
#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

HS_HD double delta_band_half_width(const PolicyParams& p, const DecisionContext& c) {
  return p.width_per_gamma ? p.width * m::fabs(c.gamma) * c.spot : p.width;
}

struct DeltaBandRule {
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    return band_decision(s.hedge, c.target, delta_band_half_width(p, c), p.rebalance_to);
  }
};

}  // namespace hedgesim
