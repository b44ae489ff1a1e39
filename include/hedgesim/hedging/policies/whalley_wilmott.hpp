#pragma once
// `whalley_wilmott`: the asymptotically optimal no-trade band for proportional cost c and risk
// aversion a (Whalley & Wilmott 1997, DESIGN.md §5):
//   w = (3·c·Γ²·S·e^{−r(T−t)} / (2a))^{1/3},
// with Γ the book gamma and T − t the time to the book's last live expiry; trades to the band edge by
// default, as the optimal strategy does.
#include <math.h>

#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

HS_HD double whalley_wilmott_half_width(const PolicyParams& p, const DecisionContext& c) {
  const double discount = exp(-c.hedge->rate * c.tau_last);
  return cbrt(3.0 * c.hedge->fee_rate * c.gamma * c.gamma * c.spot * discount / (2.0 * p.risk_aversion));
}

HS_HD double decide_whalley_wilmott(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
  return band_decision(s.hedge, c.target, whalley_wilmott_half_width(p, c), p.rebalance_to);
}

}  // namespace hedgesim
