#pragma once
// `whalley_wilmott`: the asymptotically optimal no-trade band for proportional cost c and risk
// aversion a (Whalley & Wilmott 1997, DESIGN.md §5):
//   w = (3·c·Γ²·S·e^{−r(T−t)} / (2a))^{1/3},
// with Γ the book gamma and T − t the time to the book's last live expiry; trades to the band edge by
// default, as the optimal strategy does.
#include <math.h>

#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

/// w³; the rule compares the error's cube with it and takes the cube root only on steps that trade.
HS_HD double whalley_wilmott_width_cubed(const PolicyParams& p, const DecisionContext& c) {
  const double discount = c.hedge->rate == 0.0 ? 1.0 : exp(-c.hedge->rate * c.tau_last);
  return 3.0 * c.hedge->fee_rate * c.gamma * c.gamma * c.spot * discount / (2.0 * p.risk_aversion);
}

HS_HD double decide_whalley_wilmott(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
  const double w3 = whalley_wilmott_width_cubed(p, c);
  const double error = m::fabs(s.hedge - c.target);
  if (!(error * error * error > w3)) return s.hedge;
  return band_decision(s.hedge, c.target, cbrt(w3), p.rebalance_to);
}

}  // namespace hedgesim
