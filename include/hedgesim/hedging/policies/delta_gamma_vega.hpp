#pragma once
// `delta_gamma_vega`: hedge the book's gamma and vega with the two hedge options (hedge.options[0] and
// [1]), then its delta with the perpetual/spot hedge. When the net gamma leaves its band (|Γ_net| >
// gamma_band × |Γ_book at inception|) or the net vega its band (vega_band × |ν_book at inception|; 0:
// every decision), the positions solve
//     Γ_1·q_1 + Γ_2·q_2 = −Γ_book,   ν_1·q_1 + ν_2·q_2 = −ν_book.
// A singular system falls back to delta_gamma with the first option (q_1 = −Γ_book/Γ_1, q_2 = 0): its
// determinant, each row scaled by its largest greek, |Γ_1ν_2 − Γ_2ν_1| / (max(|Γ_1|, |Γ_2|)·max(|ν_1|, |ν_2|)),
// at most kSingularTolerance — two options of the same expiry and strike, one of them expired, or one
// whose gamma and vega have both died away next to the other's (a short-dated option far from the money
// near its expiry), which the system would otherwise answer with positions that overflow. The hedge
// follows a delta band of half-width `width` coins around −(Δ_book + coin + q_1·Δ_1 + q_2·Δ_2).
// Keys: gamma_band, vega_band (>= 0, default 0), width (>= 0, default 0), rebalance_to. Optimiser
// parameters: gamma_band, vega_band and width (log scale).
#include "hedgesim/hedging/policies/delta_gamma.hpp"

namespace hedgesim {

/// Size of the row-scaled 2×2 determinant below which delta_gamma_vega's system counts as singular.
constexpr double kSingularTolerance = 1e-8;

struct DeltaGammaVegaRule {
  static constexpr unsigned kHedgeOptions = 2;
  enum Slot : unsigned { kWidth, kToEdge, kGammaBand, kGammaScale, kVegaBand, kVegaScale, kSlots };
  HS_HD static void options(const PolicyParams& p, const OptionContext& c, const double* held, double* want) {
    const double net_gamma = c.book_gamma + held[0] * c.gamma[0] + held[1] * c.gamma[1];
    const double net_vega = c.book_vega + held[0] * c.vega[0] + held[1] * c.vega[1];
    const bool trade = outside_band(net_gamma, p.value[kGammaBand], p.value[kGammaScale]) ||
                       outside_band(net_vega, p.value[kVegaBand], p.value[kVegaScale]);
    const double det = c.gamma[0] * c.vega[1] - c.gamma[1] * c.vega[0];
    const double scale = m::max(m::fabs(c.gamma[0]), m::fabs(c.gamma[1])) * m::max(m::fabs(c.vega[0]), m::fabs(c.vega[1]));
    const bool singular = !(m::fabs(det) > kSingularTolerance * scale);
    const double inv = singular ? 0.0 : 1.0 / det;
    // Cramer's rule on [Γ_1 Γ_2; ν_1 ν_2]·q = −[Γ_book; ν_book].
    const double q0 = (-c.book_gamma * c.vega[1] + c.book_vega * c.gamma[1]) * inv;
    const double q1 = (-c.book_vega * c.gamma[0] + c.book_gamma * c.vega[0]) * inv;
    want[0] = trade ? (singular ? neutralising(c.book_gamma, c.gamma[0]) : q0) : held[0];
    want[1] = trade ? (singular ? 0.0 : q1) : held[1];
  }
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    return band_decision(s.hedge, c.target, p.value[kWidth], p.value[kToEdge]);
  }
};

#if !defined(__CUDACC__)
template <>
struct PolicyConfig<DeltaGammaVegaRule> {
  static constexpr PolicyKey keys[] = {kGammaBandKey, kVegaBandKey, kOptionDeltaWidthKey, kRebalanceToKey};
  static constexpr ParameterInfo parameters[] = {ParameterInfo{"gamma_band", ParameterScale::log},
                                                 ParameterInfo{"vega_band", ParameterScale::log},
                                                 ParameterInfo{"width", ParameterScale::log}.infinity_allowed()};
  static void validate(const PolicySpec& p, const PolicyChecks& c) {
    require_option_band(c, "gamma_band", p.get("gamma_band"));
    require_option_band(c, "vega_band", p.get("vega_band"));
    require_option_width(c, p.get("width"));
  }
  static void to_params(const PolicySpec& p, const PolicyGrid& g, PolicyParams& out) {
    out.value[DeltaGammaVegaRule::kWidth] = p.get("width");
    out.value[DeltaGammaVegaRule::kToEdge] = p.get("rebalance_to");
    out.value[DeltaGammaVegaRule::kGammaBand] = p.get("gamma_band");
    out.value[DeltaGammaVegaRule::kGammaScale] = g.book_gamma0;
    out.value[DeltaGammaVegaRule::kVegaBand] = p.get("vega_band");
    out.value[DeltaGammaVegaRule::kVegaScale] = g.book_vega0;
  }
  static bool needs_gamma(const PolicySpec&) { return true; }
};
#endif

}  // namespace hedgesim
