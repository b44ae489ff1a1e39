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
#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

/// p.width holds e^{θ_const} (set on the host). Each feature enters only when its loading is
/// non-zero (a select, so the lane loop stays branch-free); logs and exponentials are math.hpp's.
HS_HD double state_band_half_width(const PolicyParams& p, const DecisionContext& c) {
  const HedgeParams& hp = *c.hedge;
  const double x_tau = c.tau_last / hp.state_tau0;
  const double x_gamma = m::log_pos(m::max(m::fabs(c.gamma) * c.spot, 1e-300) / hp.state_gamma0);
  const double x_vol = 0.5 * m::log_pos(m::max(c.variance, 1e-300)) - m::log_pos(hp.state_vol0);
  double e = 0.0;
  e += p.theta[1] != 0.0 ? p.theta[1] * x_tau : 0.0;
  e += p.theta[2] != 0.0 ? p.theta[2] * x_gamma : 0.0;
  e += p.theta[3] != 0.0 ? p.theta[3] * x_vol : 0.0;
  e += p.theta[4] != 0.0 ? p.theta[4] * c.log_gas_ratio : 0.0;
  return e == 0.0 ? p.width : p.width * m::exp_finite(e);
}

struct StateBandRule {
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    const double w = state_band_half_width(p, c);
    const double error = s.hedge - c.target;
    const double moved = c.target + (error > 0 ? 1.0 : -1.0) * p.rebalance_fraction * w;
    return m::fabs(error) > w ? moved : s.hedge;
  }
};

}  // namespace hedgesim
