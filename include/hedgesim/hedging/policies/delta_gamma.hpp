#pragma once
// `delta_gamma`: hedge the book's gamma with the first hedge option (hedge.options[0]), then its delta
// (book + coin + the option's) with the perpetual/spot hedge. At a decision the option position is set to
// q = −Γ_book / Γ_option when the net gamma |Γ_book + q_held·Γ_option| exceeds gamma_band × |Γ_book at
// inception| (0: every decision), else kept; the hedge then follows a delta band of half-width `width`
// coins around its target −(Δ_book + coin + q·Δ_option), to the target or the band's edge (as
// delta_band). An option whose gamma is 0 (expired, or so far from the money that its gamma underflows)
// is held at 0.
// Keys: gamma_band (>= 0, default 0), width (>= 0, default 0; .inf: never trade the hedge), rebalance_to
// (center|edge, default center). Optimiser parameters (hedgesim optimise): gamma_band and width, both on a
// log scale (a family that leaves one out keeps the policy's value, 0 by default).
#include <cmath>

#include "hedgesim/hedging/policies/context.hpp"
#include "hedgesim/hedging/policies/delta_band.hpp"  // band_decision's keys (rebalance_to)

namespace hedgesim {

/// Whether |x| exceeds band × scale: a band of 0 trades whenever x is not 0.
HS_HD bool outside_band(double x, double band, double scale) { return m::fabs(x) > band * scale; }

/// The position in an option that makes `exposure` + q·per_unit zero; 0 when per_unit is 0.
HS_HD double neutralising(double exposure, double per_unit) { return per_unit != 0.0 ? -exposure / per_unit : 0.0; }

struct DeltaGammaRule {
  static constexpr unsigned kHedgeOptions = 1;
  enum Slot : unsigned { kWidth, kToEdge, kGammaBand, kGammaScale, kSlots };  ///< PolicyParams::value
  HS_HD static void options(const PolicyParams& p, const OptionContext& c, const double* held, double* want) {
    const double net = c.book_gamma + held[0] * c.gamma[0];
    const bool trade = outside_band(net, p.value[kGammaBand], p.value[kGammaScale]);
    want[0] = trade ? neutralising(c.book_gamma, c.gamma[0]) : held[0];
  }
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    return band_decision(s.hedge, c.target, p.value[kWidth], p.value[kToEdge]);
  }
};

#if !defined(__CUDACC__)
/// The keys the option-hedging policies share.
inline constexpr PolicyKey kOptionDeltaWidthKey =
    PolicyKey::number("width", "a number >= 0 (.inf: never trade the hedge)")
        .infinity_allowed()
        .means("half-width of the no-trade band of the perpetual/spot hedge around its target (which includes the "
               "hedge options' deltas), in coins; 0: every decision");
inline constexpr PolicyKey kGammaBandKey =
    PolicyKey::number("gamma_band", "a number >= 0")
        .means("trade the option(s) when abs(net gamma) > gamma_band x abs(book gamma at inception); 0: every decision");
inline constexpr PolicyKey kVegaBandKey =
    PolicyKey::number("vega_band", "a number >= 0")
        .means("trade the option(s) when abs(net vega) > vega_band x abs(book vega at inception); 0: every decision");

inline void require_option_band(const PolicyChecks& c, std::string_view key, double band) {
  if (!std::isfinite(band) || band < 0.0) c.fail(key, band, "must be a finite number >= 0 (0: trade every decision)");
}
inline void require_option_width(const PolicyChecks& c, double width) {
  if (std::isnan(width) || width < 0.0) c.fail("width", width, "must be >= 0 (.inf: never trade the hedge)");
}

template <>
struct PolicyConfig<DeltaGammaRule> {
  static constexpr PolicyKey keys[] = {kGammaBandKey, kOptionDeltaWidthKey, kRebalanceToKey};
  static constexpr ParameterInfo parameters[] = {ParameterInfo{"gamma_band", ParameterScale::log},
                                                 ParameterInfo{"width", ParameterScale::log}.infinity_allowed()};
  static void validate(const PolicySpec& p, const PolicyChecks& c) {
    require_option_band(c, "gamma_band", p.get("gamma_band"));
    require_option_width(c, p.get("width"));
  }
  static void to_params(const PolicySpec& p, const PolicyGrid& g, PolicyParams& out) {
    out.value[DeltaGammaRule::kWidth] = p.get("width");
    out.value[DeltaGammaRule::kToEdge] = p.get("rebalance_to");
    out.value[DeltaGammaRule::kGammaBand] = p.get("gamma_band");
    out.value[DeltaGammaRule::kGammaScale] = g.book_gamma0;
  }
  static bool needs_gamma(const PolicySpec&) { return true; }
};
#endif

}  // namespace hedgesim
