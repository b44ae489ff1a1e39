#pragma once
// `delta_vega`: hedge the book's vega with the first hedge option (hedge.options[0]), then its delta with
// the perpetual/spot hedge. The option position is set to q = −ν_book / ν_option when the net vega
// |ν_book + q_held·ν_option| exceeds vega_band × |ν_book at inception| (0: every decision), else kept; the
// hedge follows a delta band of half-width `width` coins around −(Δ_book + coin + q·Δ_option). An option
// whose vega is 0 (expired, or underflowed) is held at 0.
// Keys: vega_band (>= 0, default 0), width (>= 0, default 0), rebalance_to (center|edge). Optimiser
// parameters: vega_band and width (log scale).
#include "hedgesim/hedging/policies/delta_gamma.hpp"

namespace hedgesim {

struct DeltaVegaRule {
  static constexpr unsigned kHedgeOptions = 1;
  enum Slot : unsigned { kWidth, kToEdge, kVegaBand, kVegaScale, kSlots };  ///< PolicyParams::value
  HS_HD static void options(const PolicyParams& p, const OptionContext& c, const double* held, double* want) {
    const double net = c.book_vega + held[0] * c.vega[0];
    const bool trade = outside_band(net, p.value[kVegaBand], p.value[kVegaScale]);
    want[0] = trade ? neutralising(c.book_vega, c.vega[0]) : held[0];
  }
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    return band_decision(s.hedge, c.target, p.value[kWidth], p.value[kToEdge]);
  }
};

#if !defined(__CUDACC__)
template <>
struct PolicyConfig<DeltaVegaRule> {
  static constexpr PolicyKey keys[] = {kVegaBandKey, kOptionDeltaWidthKey, kRebalanceToKey};
  static constexpr ParameterInfo parameters[] = {ParameterInfo{"vega_band", ParameterScale::log},
                                                 ParameterInfo{"width", ParameterScale::log}.infinity_allowed()};
  static void validate(const PolicySpec& p, const PolicyChecks& c) {
    require_option_band(c, "vega_band", p.get("vega_band"));
    require_option_width(c, p.get("width"));
  }
  static void to_params(const PolicySpec& p, const PolicyGrid& g, PolicyParams& out) {
    out.value[DeltaVegaRule::kWidth] = p.get("width");
    out.value[DeltaVegaRule::kToEdge] = p.get("rebalance_to");
    out.value[DeltaVegaRule::kVegaBand] = p.get("vega_band");
    out.value[DeltaVegaRule::kVegaScale] = g.book_vega0;
  }
  static bool needs_gamma(const PolicySpec&) { return true; }  // the option context's book gamma
};
#endif

}  // namespace hedgesim
