#pragma once
// Delta and gamma of the live part of the book at one time, on a tile of L paths at once (L = 1 on
// the GPU, one path per thread), by Black–Scholes at a per-path volatility or from the model's delta
// table. Linear and inverse options share the USD greeks (black_scholes.hpp); the coin held for
// inverse premiums and payoffs is a separate exposure the hedge observer adds. Everything that is the
// same on every path (which options are live, τ, e^{−qτ}) is computed once per option and step.
#include <cstdint>
#include <type_traits>

#include "hedgesim/hd.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/hedging/option_vol.hpp"
#include "hedgesim/pricing/black_scholes.hpp"
#include "hedgesim/pricing/everlasting.hpp"

namespace hedgesim {

/// Years to the book's last live expiry at `step` (0 when none is live). kEverlasting: the book may hold
/// everlasting options, whose "expiry" here is the mean expiry of their Europeans, Σ 2^{−(j+1)}(θ + jΔ) = θ + Δ.
template <bool kEverlasting = false>
HS_HD double book_tau_last(const HedgeParams& hp, std::uint32_t step) {
  double tau_last = 0.0;
  for (unsigned i = 0; i < hp.n_options; ++i) {
    const BookOption& o = hp.options[i];
    if constexpr (kEverlasting) {
      if (o.funding_steps != 0) {
        tau_last = m::max(tau_last, funding_theta(o, step, hp.dt) + funding_period(o, hp.dt));
        continue;
      }
    }
    if (o.expiry_step > step) tau_last = m::max(tau_last, static_cast<double>(o.expiry_step - step) * hp.dt);
  }
  return tau_last;
}

/// ln(S0/K) of each option of the book, out[i] for hp.options[i].
HS_HD void log_spot0_strike(const HedgeParams& hp, double* out) {
  for (unsigned i = 0; i < hp.n_options; ++i) out[i] = m::log(hp.spot0 / hp.options[i].strike);
}

/// Adds inverse option o's Deribit premium-adjusted delta Δ − V/S (the coin price's delta, black_scholes.hpp
/// to_inverse), which needs the price, and its USD gamma (what the rules read) times q_gamma, at τ = tau.
template <class G, unsigned L>
HS_HD_COLD void premium_adjusted_greeks(const BookOption& o, G tau, double rate, double dividend, double q_gamma,
                                        const double* spot, const double* sigma, double* delta, double* gamma) {
  for (unsigned l = 0; l < L; ++l) {
    const Greeks<G> g = black_scholes_linear(o.type, static_cast<G>(spot[l]), static_cast<G>(o.strike), tau,
                                             static_cast<G>(rate), static_cast<G>(dividend), static_cast<G>(sigma[l]));
    delta[l] += o.quantity * (static_cast<double>(g.delta) - static_cast<double>(g.price) / spot[l]);
    gamma[l] += q_gamma * static_cast<double>(g.gamma);
  }
}

/// Adds everlasting option o's delta and its gamma times q_gamma at `step`, on every lane at sigma[l]: the
/// sum of its Europeans 2^{−(j+1)}·C(θ + jΔ), j < o.terms (pricing/everlasting.hpp), in precision G.
template <class G, unsigned L>
HS_HD_COLD void everlasting_greeks(const HedgeParams& hp, const BookOption& o, std::uint32_t step, double q_gamma,
                                   const double* spot, const double* sigma, double* delta, double* gamma) {
  const G theta = static_cast<G>(funding_theta(o, step, hp.dt)), period = static_cast<G>(funding_period(o, hp.dt));
  for (unsigned l = 0; l < L; ++l) {
    const Greeks<G> g = everlasting_linear<G>(o.type, static_cast<G>(spot[l]), static_cast<G>(o.strike), theta, period,
                                              o.terms, static_cast<G>(hp.rate), static_cast<G>(hp.dividend),
                                              static_cast<G>(sigma[l]));
    delta[l] += o.quantity * static_cast<double>(g.delta);
    gamma[l] += q_gamma * static_cast<double>(g.gamma);
  }
}

/// delta[l] and gamma[l] of the book with surface marks (hp.marks = surface, whose hedge ratios are
/// the surface's): each option at its own vol with the surface's total greeks, in double
/// (option_vol.hpp). MarketTile::decision_greeks calls it in place of book_greeks in the surface tile.
template <unsigned L>
HS_HD void surface_book_greeks(const HedgeParams& hp, std::uint32_t step, const double* spot, const double* log_spot,
                               const double* log_spot0_strike, double* delta, double* gamma) {
  for (unsigned l = 0; l < L; ++l) delta[l] = gamma[l] = 0.0;
  for (unsigned i = 0; i < hp.n_options; ++i) {
    const BookOption& o = hp.options[i];
    if (o.expiry_step <= step) continue;
    const double tau = static_cast<double>(o.expiry_step - step) * hp.dt;
    const double q_gamma = hp.needs_gamma ? o.quantity : 0.0;
    const SurfaceOption so = surface_option(hp.surface, hp.sticky_delta, hp.rate, hp.dividend, log_spot0_strike[i], tau);
    HS_LANES
    for (unsigned l = 0; l < L; ++l) {
      const OptionMarks mk = surface_marks(hp.surface, so, o.type, o.strike, spot[l], log_spot[l]);
      delta[l] += o.quantity * mk.delta;
      gamma[l] += q_gamma * mk.gamma;
    }
  }
}

/// delta[l] and gamma[l] (USD greeks per USD of spot: coins) of the book on lane l, at sigma[l] — or
/// at variance[l] from the model table when the job hedges with model deltas (hp.model_deltas).
/// ln(S/K) = log_spot[l] + log_spot0_strike[i]: the path's own log price ln(S/S0) plus option i's
/// ln(S0/K), taken once per tile (log_spot0_strike below), so the step needs no logarithm; with
/// uniform_sigma every lane hedges at sigma[0] and 1/(σ√τ) is taken once per option. With
/// hp.premium_adjusted an inverse option's delta is Deribit's premium-adjusted Δ − V/S instead;
/// kPremiumAdjusted = false leaves that code out (the GPU's standard kernel, which such jobs do not run).
/// kEverlasting: the book may hold everlasting options (everlasting_greeks; never with model deltas or
/// premium-adjusted deltas: the config refuses them).
/// gamma is only accumulated when some policy reads it (hp.needs_gamma); else it stays 0.
/// Black–Scholes greeks are computed in precision G, the path's (float32 runs get 8-wide float lanes
/// and deltas within ~1e-6 of double ones, far inside any hedging tolerance); sums are double.
template <class G, unsigned L, bool kPremiumAdjusted = true, bool kEverlasting = false>
HS_HD void book_greeks(const HedgeParams& hp, std::uint32_t step, const double* spot, const double* log_spot,
                       const double* log_spot0_strike, const double* sigma, bool uniform_sigma, const double* variance,
                       double* delta, double* gamma) {
  for (unsigned l = 0; l < L; ++l) delta[l] = gamma[l] = 0.0;
  for (unsigned i = 0; i < hp.n_options; ++i) {
    const BookOption& o = hp.options[i];
    if constexpr (kEverlasting) {
      if (o.funding_steps != 0) {
        everlasting_greeks<G, L>(hp, o, step, hp.needs_gamma ? o.quantity : 0.0, spot, sigma, delta, gamma);
        continue;
      }
    }
    if (o.expiry_step <= step) continue;
    const double tau = static_cast<double>(o.expiry_step - step) * hp.dt;
    const double q_gamma = hp.needs_gamma ? o.quantity : 0.0;
    if (hp.model_deltas) {
      for (unsigned l = 0; l < L; ++l) {
        const TableGreeks t = table_greeks(hp.table, i, spot[l], variance[l], step);
        delta[l] += o.quantity * t.delta;
        gamma[l] += q_gamma * t.gamma;
      }
      continue;
    }
    const G tau_g = static_cast<G>(tau), strike = static_cast<G>(o.strike);
    const G rate = static_cast<G>(hp.rate), dividend = static_cast<G>(hp.dividend);
    const G df_q = m::exp_finite(-dividend * tau_g);
    const G log_s0k = static_cast<G>(log_spot0_strike[i]);
    const G sqrt_tau = m::sqrt(tau_g);
    if (kPremiumAdjusted && hp.premium_adjusted && o.settlement == Settlement::inverse) {
      premium_adjusted_greeks<G, L>(o, tau_g, hp.rate, hp.dividend, q_gamma, spot, sigma, delta, gamma);
      continue;
    }
    // Two loops rather than a select, so the per-lane division is left out when σ is uniform.
    const auto lanes = [&](auto uniform) {
      const G inv_uniform = decltype(uniform)::value ? G(1) / (static_cast<G>(sigma[0]) * sqrt_tau) : G(0);
      HS_LANES
      for (unsigned l = 0; l < L; ++l) {
        const G sig = static_cast<G>(sigma[l]);
        const G inv = decltype(uniform)::value ? inv_uniform : G(1) / (sig * sqrt_tau);
        const DeltaGamma<G> bs = black_scholes_delta_gamma(o.type, static_cast<G>(spot[l]), strike,
                                                           static_cast<G>(log_spot[l]) + log_s0k, tau_g, rate,
                                                           dividend, sig, inv, df_q);
        delta[l] += o.quantity * static_cast<double>(bs.delta);
        gamma[l] += q_gamma * static_cast<double>(bs.gamma);
      }
    };
    if (uniform_sigma) {
      lanes(std::true_type{});
    } else {
      lanes(std::false_type{});
    }
  }
}

}  // namespace hedgesim
