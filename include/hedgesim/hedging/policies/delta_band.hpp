#pragma once
// `delta_band`: rebalance when |position − target| exceeds the half-width w, to the target or the band
// edge. w is in coins, or with width_per_gamma the delta drift of a relative move `width`:
// w = width·|Γ_book|·S. Width 0 trades whenever the target moves (every_step); infinity never trades.
// Keys: width (>= 0, required; .inf allowed), width_per_gamma (default false), rebalance_to
// (center|edge, default center). Optimiser: width (log scale), rebalance_fraction ([0, 1]: 0 trades
// to the target, 1 to the band edge; given, it turns the candidate into the equivalent state_band
// with θ_const = ln width).
#include <cmath>

#include "hedgesim/hedging/policies/context.hpp"
#include "hedgesim/hedging/policies/state_band.hpp"  // a family candidate becomes a state_band

namespace hedgesim {

/// The band's half-width in coins (shared with hybrid).
HS_HD double delta_band_half_width(double width, double per_gamma, const DecisionContext& c) {
  return per_gamma != 0.0 ? width * m::fabs(c.gamma) * c.spot : width;
}

struct DeltaBandRule {
  enum Slot : unsigned { kWidth, kPerGamma, kToEdge, kSlots };  ///< PolicyParams::value
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    return band_decision(s.hedge, c.target, delta_band_half_width(p.value[kWidth], p.value[kPerGamma], c),
                         p.value[kToEdge]);
  }
};

#if !defined(__CUDACC__)
/// The band keys delta_band and hybrid share.
inline constexpr PolicyKey kBandWidthKey =
    PolicyKey::number("width", "a number >= 0 (.inf: never rebalance)")
        .required()
        .infinity_allowed()
        .means("half-width of the no-trade band around the target hedge, in coins (with width_per_gamma: a "
               "relative price move, w = width x abs(book gamma) x S)");
inline constexpr PolicyKey kWidthPerGammaKey =
    PolicyKey::flag("width_per_gamma").means("true: width is a relative move, turned into coins by the book's gamma");
inline constexpr PolicyKey kRebalanceToKey =  // default center
    PolicyKey::choice("rebalance_to", kRebalanceToNames).means("where a trade goes: the target (center) or the nearest band edge");

inline void require_band_width(const PolicyChecks& c, double width) {
  // +infinity is allowed: a band that never triggers.
  if (std::isnan(width) || width < 0.0) c.fail("width", width, "must be >= 0 (.inf: never rebalance)");
}

template <>
struct PolicyConfig<DeltaBandRule> {
  static constexpr PolicyKey keys[] = {kBandWidthKey, kWidthPerGammaKey, kRebalanceToKey};
  static constexpr ParameterInfo parameters[] = {
      ParameterInfo{"width", ParameterScale::log}.required().infinity_allowed(),
      ParameterInfo{"rebalance_fraction", ParameterScale::linear}.in_unit_interval()};

  static void validate(const PolicySpec& p, const PolicyChecks& c) { require_band_width(c, p.get("width")); }
  static void to_params(const PolicySpec& p, const PolicyGrid&, PolicyParams& out) {
    out.value[DeltaBandRule::kWidth] = p.get("width");
    out.value[DeltaBandRule::kPerGamma] = p.get("width_per_gamma");
    out.value[DeltaBandRule::kToEdge] = p.get("rebalance_to");
  }
  static bool needs_gamma(const PolicySpec& p) { return p.flag("width_per_gamma"); }

  static void check_family(const PolicySpec& base, const FamilyChecks& c) {
    if (c.given("rebalance_fraction") && base.flag("width_per_gamma")) {
      c.fail_family("rebalance_fraction is not available with width_per_gamma: true; use rebalance_to instead");
    }
  }
  /// A candidate with a rebalance fraction is the same band with a partial rebalance: state_band with
  /// only the constant loading.
  static void family_policy(PolicySpec& p) {
    if (!p.values.contains("rebalance_fraction")) return;
    PolicySpec band;
    band.name = p.name;
    band.type = policy_type_of<StateBandRule>();
    band.leland = p.leland;
    band.set("theta.const", std::log(p.get("width")));
    band.set("rebalance_fraction", p.get("rebalance_fraction"));
    p = std::move(band);
  }
};
#endif

}  // namespace hedgesim
