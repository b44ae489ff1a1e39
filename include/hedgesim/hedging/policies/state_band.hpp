#pragma once
// `state_band`: a delta band whose half-width follows the market state — a small learned rule for
// "when to rebalance", fitted by `hedgesim optimise`:
//   w = exp(θ_const + θ_tau·x_tau + θ_gamma·x_gamma + θ_vol·x_vol + θ_gas·x_gas)   (coins),
//   x_tau   = τ / τ_0            time left to the last live expiry, 1 at inception, 0 at expiry
//   x_gamma = ln(|Γ_book|·S / g_0) log book gamma per unit relative move, 0 at inception
//   x_vol   = ln(σ_t / σ_0)      σ_t = √v_t (GBM: its vol), 0 at the initial vol
//   x_gas   = ln(g_t / ḡ)        log gas price over its long-run level (0 without gas)
// so exp(θ_const) is the width at inception and θ_gamma, θ_vol, θ_gas are power-law exponents
// (θ_gamma = 2/3 is Whalley–Wilmott's Γ^{2/3}). Outside the band it trades to
// target + f·w·sign(error): f = 0 to the target, f = 1 to the band edge.
// Keys: theta {const, tau, gamma, vol, gas} (required; finite loadings, left-out ones 0),
// rebalance_fraction f ([0, 1], default 0). Optimiser: theta.const, theta.tau, theta.gamma,
// theta.vol, theta.gas, rebalance_fraction (linear).
#include <cmath>

#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

struct StateBandRule {
  /// PolicyParams::value: kWidth holds e^{θ_const} (set on the host), then the other loadings, then
  /// the feature scales τ_0, g_0 and σ_0 of the run (PolicyGrid).
  enum Slot : unsigned { kWidth, kThetaTau, kThetaGamma, kThetaVol, kThetaGas, kFraction, kTau0, kGamma0, kVol0, kSlots };
  static constexpr bool kReadsMarketState = true;

  /// Each feature enters only when its loading is non-zero (a select, so the lane loop stays
  /// branch-free); logs and exponentials are math.hpp's.
  HS_HD static double half_width(const PolicyParams& p, const DecisionContext& c) {
    const double x_tau = c.tau_last / p.value[kTau0];
    const double x_gamma = m::log_pos(m::max(m::fabs(c.gamma) * c.spot, 1e-300) / p.value[kGamma0]);
    const double x_vol = 0.5 * m::log_pos(m::max(c.variance, 1e-300)) - m::log_pos(p.value[kVol0]);
    double e = 0.0;
    e += p.value[kThetaTau] != 0.0 ? p.value[kThetaTau] * x_tau : 0.0;
    e += p.value[kThetaGamma] != 0.0 ? p.value[kThetaGamma] * x_gamma : 0.0;
    e += p.value[kThetaVol] != 0.0 ? p.value[kThetaVol] * x_vol : 0.0;
    e += p.value[kThetaGas] != 0.0 ? p.value[kThetaGas] * c.log_gas_ratio : 0.0;
    return e == 0.0 ? p.value[kWidth] : p.value[kWidth] * m::exp_finite(e);
  }

  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    const double w = half_width(p, c);
    const double error = s.hedge - c.target;
    const double moved = c.target + (error > 0 ? 1.0 : -1.0) * p.value[kFraction] * w;
    return m::fabs(error) > w ? moved : s.hedge;
  }
};

#if !defined(__CUDACC__)
/// The loadings' names, in the order const, then the Slot order from kThetaTau.
inline constexpr std::string_view kStateBandFeatures[] = {"const", "tau", "gamma", "vol", "gas"};

template <>
struct PolicyConfig<StateBandRule> {
  static constexpr PolicyKey keys[] = {
      PolicyKey::group("theta", kStateBandFeatures, "a map of loadings such as {const: -3.0, tau: 0.5, gamma: 0.67}",
                       "a finite number (loading of the band's log half-width)")
          .required()
          .means("loadings of the band's log half-width on the features const, tau, gamma, vol and gas; left-out ones are 0"),
      PolicyKey::number("rebalance_fraction", "a number in [0, 1] (0: trade to the target, 1: to the band edge)")
          .means("where a trade goes: target + fraction x half-width towards the edge"),
  };
  static constexpr ParameterInfo parameters[] = {
      ParameterInfo{"theta.const", ParameterScale::linear}.required(),
      ParameterInfo{"theta.tau", ParameterScale::linear},
      ParameterInfo{"theta.gamma", ParameterScale::linear},
      ParameterInfo{"theta.vol", ParameterScale::linear},
      ParameterInfo{"theta.gas", ParameterScale::linear},
      ParameterInfo{"rebalance_fraction", ParameterScale::linear}.in_unit_interval()};

  static double theta(const PolicySpec& p, std::size_t i) {
    return p.get("theta." + std::string(kStateBandFeatures[i]));
  }
  static void validate(const PolicySpec& p, const PolicyChecks& c) {
    for (std::size_t i = 0; i < std::size(kStateBandFeatures); ++i) c.require_finite("theta", theta(p, i));
    const double f = p.get("rebalance_fraction");
    if (!(f >= 0.0 && f <= 1.0)) {
      c.fail("rebalance_fraction", f, "must be in [0, 1] (0: trade to the target, 1: to the band edge)");
    }
  }
  static void to_params(const PolicySpec& p, const PolicyGrid& g, PolicyParams& out) {
    out.value[StateBandRule::kTau0] = g.tau0;
    out.value[StateBandRule::kGamma0] = g.gamma0;
    out.value[StateBandRule::kVol0] = g.vol0;
    out.value[StateBandRule::kWidth] = std::exp(theta(p, 0));
    for (std::size_t i = 1; i < std::size(kStateBandFeatures); ++i) {
      out.value[StateBandRule::kThetaTau + i - 1] = theta(p, i);
    }
    out.value[StateBandRule::kFraction] = p.get("rebalance_fraction");
  }
  static bool needs_gamma(const PolicySpec& p) { return theta(p, 2) != 0.0; }
};
#endif

}  // namespace hedgesim
