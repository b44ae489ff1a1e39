#pragma once
// `whalley_wilmott`: the asymptotically optimal no-trade band for proportional cost c and risk
// aversion a (Whalley & Wilmott 1997, DESIGN.md §5):
//   w = (3·c·Γ²·S·e^{−r(T−t)} / (2a))^{1/3},
// with Γ the book gamma and T − t the time to the book's last live expiry; trades to the band edge by
// default, as the optimal strategy does.
#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

/// w³; the rule compares the error's cube with it.
HS_HD double whalley_wilmott_width_cubed(const PolicyParams& p, const DecisionContext& c) {
  return 3.0 * c.hedge->fee_rate * c.gamma * c.gamma * c.spot * c.discount_last / (2.0 * p.risk_aversion);
}

struct WhalleyWilmottRule {
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    const double w3 = whalley_wilmott_width_cubed(p, c);
    const double error = m::fabs(s.hedge - c.target);
    const double moved = band_decision(s.hedge, c.target, m::cbrt_nonneg(w3), p.rebalance_to);
    return error * error * error > w3 ? moved : s.hedge;
  }
};

}  // namespace hedgesim
