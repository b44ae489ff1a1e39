#pragma once
// `whalley_wilmott`: the asymptotically optimal no-trade band for proportional cost c and risk
// aversion a (Whalley & Wilmott 1997; docs/models.md, "Reference values"):
//   w = (3·c·Γ²·S·e^{−r(T−t)} / (2a))^{1/3},
// with Γ the book gamma at the decision (its live options') and T − t the time to the book's last live
// expiry: the factor discounts terminal wealth, so T is the horizon of the hedger's utility, one for the
// whole book rather than each option's own (docs/hedging.md, "Policies"). Trades to the band edge by
// default, as the optimal strategy does.
// Keys: risk_aversion (> 0 per USD, required), rebalance_to (center|edge, default edge); needs
// costs.fee_bps > 0. Optimiser: risk_aversion (log scale).
#include "hedgesim/hedging/policies/context.hpp"
#include "hedgesim/hedging/policies/delta_band.hpp"

namespace hedgesim {

/// w³; the rule compares the error's cube with it.
HS_HD double whalley_wilmott_width_cubed(double risk_aversion, const DecisionContext& c) {
  return 3.0 * c.hedge->fee_rate * c.gamma * c.gamma * c.spot * c.discount_last / (2.0 * risk_aversion);
}

struct WhalleyWilmottRule {
  enum Slot : unsigned { kRiskAversion, kToEdge, kSlots };  ///< PolicyParams::value
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    const double w3 = whalley_wilmott_width_cubed(p.value[kRiskAversion], c);
    const double error = m::fabs(s.hedge - c.target);
    const double moved = band_decision(s.hedge, c.target, m::cbrt_nonneg(w3), p.value[kToEdge]);
    return error * error * error > w3 ? moved : s.hedge;
  }
};

#if !defined(__CUDACC__)
template <>
struct PolicyConfig<WhalleyWilmottRule> {
  static constexpr PolicyKey keys[] = {
      PolicyKey::number("risk_aversion", "a number > 0 (per USD)")
          .required()
          .means("risk aversion a of the band w = (3 c gamma^2 S e^(-r(T-t)) / (2a))^(1/3); needs costs.fee_bps > 0"),
      kRebalanceToKey.defaults_to(1.0),  // edge, the utility-optimal rule
  };
  static constexpr ParameterInfo parameters[] = {ParameterInfo{"risk_aversion", ParameterScale::log}.required()};

  static void validate(const PolicySpec& p, const PolicyChecks& c) {
    c.require_positive("risk_aversion", p.get("risk_aversion"));
    if (!(c.fee_bps() > 0.0)) {
      c.fail("type", std::string("whalley_wilmott"),
             "needs a proportional cost, but " + c.fee_text() +
                 ": the Whalley-Wilmott half-band (3 c Gamma^2 S e^(-r(T-t)) / (2 a))^(1/3) would be 0, i.e. "
                 "hedging every step; set costs.fee_bps > 0 or use type every_step");
    }
  }
  static void to_params(const PolicySpec& p, const PolicyGrid&, PolicyParams& out) {
    out.value[WhalleyWilmottRule::kRiskAversion] = p.get("risk_aversion");
    out.value[WhalleyWilmottRule::kToEdge] = p.get("rebalance_to");
  }
  static bool needs_gamma(const PolicySpec&) { return true; }
};
#endif

}  // namespace hedgesim
