#pragma once
// The marks of options along a path — the book's value, delta, gamma, theta and vega, summed with their
// quantities, on a tile of L paths (L = 1 on the GPU), for the P&L attribution (output.attribution,
// MarketTile::attribute); and one hedge option's marks (MarketTile::hedge_option_marks). Where an
// option's marks come from (hedge.marks) is decided here and nowhere else:
//   black_scholes  Black–Scholes at the decision vol σ_n (hedge.implied_vol, or the path's √v); vega
//                  ∂C/∂σ, and the marks' vol state is σ_n;
//   model          the model's own prices: heston, bates and svcj from the model table (table_marks in
//                  delta_table.hpp: the closed form tabulated over (τ, v, moneyness); the book's options,
//                  then the hedge options), vega ∂C/∂v and the vol state v (clamped to the table's axis);
//                  gbm: Black–Scholes at model.vol, the vol state σ = model.vol;
//   surface        Black–Scholes at each option's own vol on the SVI surface with the surface's total
//                  greeks (surface_book_marks, option_vol.hpp), vega Black–Scholes' at that vol; the vol
//                  state is the job's one decision vol, which never moves (HedgeParams::implied_vol), so
//                  the vega piece is 0. A compile-time source only (MarketTile::mark_book_from<kMarks>): the
//                  surface tile and kernels call it, book_marks' runtime choice is between the other two.
// The attribution's vega piece is vega·(state_{n+1} − state_n), so each source's vega goes with its own
// state, and the vega rules (delta_vega, delta_gamma_vega) neutralise the source's vega. An option's
// half-spread, quoted in implied-vol points, is charged on its quote vega: Black–Scholes ∂C/∂σ, at the
// decision vol for black_scholes marks (the marks' own vega), at the option's term vol √(w/τ) for
// model marks (w the table's expected diffusive variance to its expiry, delta_table_variance; gbm:
// model.vol), and at its own vol on the surface for surface marks. Marks are in double whatever
// simulation.precision; inverse options are marked in USD like linear ones (the coin they pay is the
// hedge observer's).
#include <cstdint>

#include "hedgesim/hd.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/hedging/option_vol.hpp"
#include "hedgesim/math.hpp"
#include "hedgesim/pricing/black_scholes.hpp"
#include "hedgesim/pricing/everlasting.hpp"

namespace hedgesim {

/// The book's marks on L lanes: value (USD), delta, gamma, theta (per year), vega (per unit of the vol
/// state) and the vol state they were taken at.
template <unsigned L>
struct BookMarks {
  double value[L], delta[L], gamma[L], theta[L], vega[L], state[L];
  /// Adds q units of one option's marks m on lane l.
  HS_HD void add(unsigned l, double q, const OptionMarks& m) {
    value[l] += q * m.value;
    delta[l] += q * m.delta;
    gamma[l] += q * m.gamma;
    theta[l] += q * m.theta;
    vega[l] += q * m.vega;
  }
};

/// Adds everlasting option o's marks at step n on every lane at sigma[l]: the sum of its Europeans
/// 2^{−(j+1)}·C(θ + jΔ), j < o.terms (pricing/everlasting.hpp).
template <unsigned L>
HS_HD_COLD void everlasting_marks(const HedgeParams& hp, const BookOption& o, std::uint32_t n, const double* spot,
                                  const double* sigma, BookMarks<L>& out) {
  const double theta = funding_theta(o, n, hp.dt), period = funding_period(o, hp.dt), q = o.quantity;
  for (unsigned l = 0; l < L; ++l) {
    out.add(l, q, option_marks(everlasting_linear<double>(o.type, spot[l], o.strike, theta, period, o.terms, hp.rate,
                                                          hp.dividend, sigma[l])));
  }
}

/// Black–Scholes marks of the live book at sigma[l] (black_scholes_linear's formulas) option by option,
/// lanes inside and without branches so that the tile's loop vectorises: ln(S/K) from the path's log
/// price, and the intrinsic value (black_scholes_linear's) on a lane whose vol is 0. Adds to out.
/// kEverlasting: the book may hold everlasting options (everlasting_marks).
template <unsigned L, bool kEverlasting = false>
HS_HD void black_scholes_marks(const HedgeParams& hp, std::uint32_t n, const double* spot, const double* log_spot,
                               const double* log_s0k, const double* sigma, BookMarks<L>& out) {
  for (unsigned i = 0; i < hp.n_options; ++i) {
    const BookOption& o = hp.options[i];
    if constexpr (kEverlasting) {
      if (o.funding_steps != 0) {
        everlasting_marks<L>(hp, o, n, spot, sigma, out);
        continue;
      }
    }
    if (o.expiry_step <= n) continue;
    const double tau = static_cast<double>(o.expiry_step - n) * hp.dt;
    const double sqrt_tau = sqrt(tau), df_q = m::exp_finite(-hp.dividend * tau), df_r = m::exp_finite(-hp.rate * tau);
    const double sign = o.type == OptionType::call ? 1.0 : -1.0, strike = o.strike, q = o.quantity;
    const double log_s0k_i = log_s0k[i], carry = (hp.rate - hp.dividend) * tau;
    HS_LANES
    for (unsigned l = 0; l < L; ++l) {
      const double sig = sigma[l], s = spot[l];
      const bool live = sig > 0.0;
      const double sig_sqrt = sig * sqrt_tau;
      const double inv = live ? 1.0 / sig_sqrt : 0.0;
      const double d_plus = (log_spot[l] + log_s0k_i + carry + 0.5 * sig * sig * tau) * inv;
      const m::CdfPdf<double> plus = m::norm_cdf_pdf(sign * d_plus);
      const double nd_minus = m::norm_cdf_pdf(sign * (d_plus - sig_sqrt)).cdf;
      const double intrinsic = m::max(sign * (s - strike), 0.0);
      const double spot_part = s * df_q * plus.cdf, strike_part = strike * df_r * nd_minus;
      const double density = s * df_q * plus.pdf;
      out.value[l] += q * (live ? sign * (spot_part - strike_part) : intrinsic);
      out.delta[l] += q * (live ? sign * df_q * plus.cdf : (intrinsic > 0.0 ? sign : 0.0));
      out.gamma[l] += q * (live ? density * inv / (s * s) : 0.0);
      out.vega[l] += q * (live ? density * sqrt_tau : 0.0);
      out.theta[l] += q * (live ? -density * sig / (2.0 * sqrt_tau) + sign * (hp.dividend * spot_part - hp.rate * strike_part)
                                : 0.0);
    }
  }
}

/// hedge.marks: black_scholes — Black–Scholes at the decision vol sigma[l], which is the marks' vol
/// state. Into out.
template <unsigned L, bool kEverlasting = false>
HS_HD void decision_vol_marks(const HedgeParams& hp, std::uint32_t n, const double* spot, const double* log_spot,
                              const double* log_s0k, const double* sigma, BookMarks<L>& out) {
  for (unsigned l = 0; l < L; ++l) {
    out.value[l] = out.delta[l] = out.gamma[l] = out.theta[l] = out.vega[l] = 0.0;
    out.state[l] = sigma[l];
  }
  black_scholes_marks<L, kEverlasting>(hp, n, spot, log_spot, log_s0k, sigma, out);
}

/// The vol state of model marks at variance v: v clamped to the table's axis, or gbm's model.vol (no
/// table).
HS_HD double model_marks_state(const HedgeParams& hp, double variance) {
  return hp.table.data != nullptr ? table_variance(hp.table, variance) : hp.model_vol;
}

/// hedge.marks: model — the model table's marks at the variance (the state: the variance clamped to the
/// table's axis), or, for gbm (no table), Black–Scholes at model.vol. Into out.
template <unsigned L>
HS_HD void model_marks(const HedgeParams& hp, std::uint32_t n, const double* spot, const double* log_spot,
                       const double* log_s0k, const double* variance, BookMarks<L>& out) {
  const bool table = hp.table.data != nullptr;
  for (unsigned l = 0; l < L; ++l) {
    out.value[l] = out.delta[l] = out.gamma[l] = out.theta[l] = out.vega[l] = 0.0;
    out.state[l] = model_marks_state(hp, variance[l]);
  }
  if (!table) {
    black_scholes_marks<L>(hp, n, spot, log_spot, log_s0k, out.state, out);
    return;
  }
  for (unsigned i = 0; i < hp.n_options; ++i) {
    const BookOption& o = hp.options[i];
    if (o.expiry_step <= n) continue;
    for (unsigned l = 0; l < L; ++l) {
      const TableMarks t = table_marks(hp.table, i, spot[l], variance[l], n);
      out.value[l] += o.quantity * t.value;
      out.delta[l] += o.quantity * t.delta;
      out.gamma[l] += o.quantity * t.gamma;
      out.theta[l] += o.quantity * t.theta;
      out.vega[l] += o.quantity * t.vega;
    }
  }
}

/// gbm's model marks (it has no table): Black–Scholes at model.vol; an option at or past its expiry has
/// its intrinsic value and no greeks.
HS_HD OptionMarks gbm_model_marks(const HedgeParams& hp, OptionType type, double strike, std::uint32_t expiry_step,
                                  std::uint32_t n, double spot) {
  const double tau = expiry_step > n ? static_cast<double>(expiry_step - n) * hp.dt : 0.0;
  return option_marks(black_scholes_linear<double>(type, spot, strike, tau, hp.rate, hp.dividend, hp.model_vol));
}

/// hedge.marks: model — one option's marks at step n: option `index` of the model table (the book's
/// options first, then the hedge options: DeltaTable), or, for gbm, gbm_model_marks.
HS_HD OptionMarks model_option_marks(const HedgeParams& hp, unsigned index, OptionType type, double strike,
                                     std::uint32_t expiry_step, std::uint32_t n, double spot, double variance) {
  if (hp.table.data == nullptr) return gbm_model_marks(hp, type, strike, expiry_step, n, spot);
  const TableMarks t = table_marks(hp.table, index, spot, variance, n);
  return {t.value, t.delta, t.gamma, t.theta, t.vega, t.quote_vega};
}

/// The same for a series of any strike (a rolling hedge option's: its strike is the path's), from the
/// table's rows directly.
HS_HD OptionMarks model_series_marks(const HedgeParams& hp, OptionType type, double strike, std::uint32_t expiry_step,
                                     std::uint32_t n, double spot, double variance) {
  if (hp.table.data == nullptr) return gbm_model_marks(hp, type, strike, expiry_step, n, spot);
  const TableMarks t = table_marks(hp.table, type == OptionType::call ? 1.0 : -1.0, m::log(strike), strike,
                                   expiry_step, spot, variance, n);
  return {t.value, t.delta, t.gamma, t.theta, t.vega, t.quote_vega};
}

/// hedge.marks: surface — each live option at its own vol on the surface (option_vol.hpp), options outside
/// and lanes inside; the state is the decision vol sigma[l], the same at every step. Into out.
template <unsigned L>
HS_HD void surface_book_marks(const HedgeParams& hp, std::uint32_t n, const double* spot, const double* log_spot,
                              const double* log_s0k, const double* sigma, BookMarks<L>& out) {
  for (unsigned l = 0; l < L; ++l) {
    out.value[l] = out.delta[l] = out.gamma[l] = out.theta[l] = out.vega[l] = 0.0;
    out.state[l] = sigma[l];
  }
  for (unsigned i = 0; i < hp.n_options; ++i) {
    const BookOption& o = hp.options[i];
    if (o.expiry_step <= n) continue;
    const double tau = static_cast<double>(o.expiry_step - n) * hp.dt;
    const SurfaceOption so = surface_option(hp.surface, hp.sticky_delta, hp.rate, hp.dividend, log_s0k[i], tau);
    const double q = o.quantity;
    HS_LANES
    for (unsigned l = 0; l < L; ++l) out.add(l, q, surface_marks(hp.surface, so, o.type, o.strike, spot[l], log_spot[l]));
  }
}

/// The marks of the live book at step n (options expiring at or before n are left out: their payoffs
/// are settled) on lanes of spot, ln(S/S0), ln(S0/K) per option, the decision vol sigma and the
/// variance, from the source hp.marks, black_scholes or model (file comment; surface marks are taken by
/// surface_book_marks in the surface tile and kernels). kEverlasting: the book may hold everlasting
/// options (marked at the decision vol: the config refuses model and surface marks for them).
template <unsigned L, bool kEverlasting = false>
HS_HD void book_marks(const HedgeParams& hp, std::uint32_t n, const double* spot, const double* log_spot,
                      const double* log_s0k, const double* sigma, const double* variance, BookMarks<L>& out) {
  if (hp.marks == MarkSource::model) {
    model_marks<L>(hp, n, spot, log_spot, log_s0k, variance, out);
  } else {
    decision_vol_marks<L, kEverlasting>(hp, n, spot, log_spot, log_s0k, sigma, out);
  }
}

}  // namespace hedgesim
