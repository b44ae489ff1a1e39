#pragma once
// Options marked on a volatility surface (hedge.marks: surface, docs/hedging.md "Volatility surface"):
// each option's own vol read from the SVI surface (pricing/svi.hpp) at its time to expiry τ and
// log-moneyness k = ln(K/F(τ)), F(τ) = S·e^{(r−q)τ}, single-source for both backends. Used for the book's
// hedge ratios (book_greeks.hpp), the book's marks (MarketTile::mark_book) and the hedge options'
// (MarketTile::hedge_option_marks), and the premiums (jobs/run_job.cpp). The dynamics say which S:
//   sticky_strike  S = S0: the vol of strike K is the inception surface's at K for the τ left, whatever
//                  the spot does (it moves only as τ rolls down the surface);
//   sticky_delta   S = S_t: the smile moves with the spot, each option keeps the vol of its moneyness,
//                  so σ depends on S and the smile-consistent greeks carry its slope.
// A mark with a surface is V(S, t) = BS(S, K, τ, σ(S, τ)), a function of the spot and time only (the
// surface does not move by itself under either dynamics), so its greeks are total derivatives:
//   delta  Δ_BS + ν·σ_S,   gamma  Γ_BS + 2·vanna·σ_S + volga·σ_S² + ν·σ_SS,   theta  Θ_BS + ν·σ_t,
// with σ_S = −Σ_k/S and σ_SS = (Σ_kk + Σ_k)/S² under sticky delta (0 under sticky strike), and
// σ_t = (r − q)·Σ_k − Σ_τ, the roll-down at fixed S and K (Σ the surface's vol as a function of (k, τ)).
// vega is Black–Scholes' ν at the option's vol: the value's change per unit of a parallel move of the
// surface, which no path makes (so the attribution's vega pieces are 0) but which vega hedging
// (delta_vega) neutralises and option half-spreads are quoted in.
#include "hedgesim/hd.hpp"
#include "hedgesim/math.hpp"
#include "hedgesim/pricing/black_scholes.hpp"
#include "hedgesim/pricing/svi.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

/// What the surface gives one option at one step, the same on every path.
struct SurfaceOption {
  SviTimeWeights tw;
  double dlo, dhi;  ///< ∂(lo, hi)/∂τ: w_τ = dlo·w_{j0} + dhi·w_{j1}
  double tau, sqrt_tau;
  double k0;  ///< ln(K/S0) − (r − q)τ: k at S = S0
  double df_q, df_r;
  double rate, dividend;
  bool sticky_delta;
};

/// Option with ln(S0/K) = log_s0k, τ = tau > 0 years left, on surface s.
HS_HD SurfaceOption surface_option(const SviSurface& s, bool sticky_delta, double rate, double dividend,
                                   double log_s0k, double tau) {
  SurfaceOption o;
  o.tw = svi_time_weights(s, tau);
  if (o.tw.j0 == o.tw.j1) {  // held vol: w = w_j·τ/T_j
    o.dlo = 1.0 / s.slice[o.tw.j0].t;
    o.dhi = 0.0;
  } else {
    const double span = s.slice[o.tw.j1].t - s.slice[o.tw.j0].t;
    o.dlo = -1.0 / span;
    o.dhi = 1.0 / span;
  }
  o.tau = tau;
  o.sqrt_tau = m::sqrt(tau);
  o.k0 = -log_s0k - (rate - dividend) * tau;
  o.df_q = m::exp_finite(-dividend * tau);
  o.df_r = m::exp_finite(-rate * tau);
  o.rate = rate;
  o.dividend = dividend;
  o.sticky_delta = sticky_delta;
  return o;
}

/// One linear option's marks, whatever their source (book_marks.hpp): value (USD per unit), delta, gamma,
/// theta (per year), vega (per unit of the source's vol state) and the quote vega its half-spread is
/// charged on (Black–Scholes ∂C/∂σ at the option's vol).
struct OptionMarks {
  double value, delta, gamma, theta, vega, quote_vega;
};
/// Black–Scholes greeks as marks: the vega (per unit of σ) is also the quote vega.
HS_HD OptionMarks option_marks(const Greeks<double>& g) { return {g.price, g.delta, g.gamma, g.theta, g.vega, g.vega}; }

/// The mark of option o (type, strike K) on a path at spot s = S0·e^{log_spot}: Black–Scholes at the
/// surface's vol, with the surface's total greeks (file comment). Branch-free on the path's values.
HS_HD OptionMarks surface_marks(const SviSurface& surface, const SurfaceOption& o, OptionType type, double strike,
                                double s, double log_spot) {
  const double k = o.k0 - (o.sticky_delta ? log_spot : 0.0);
  const SviValue a = svi_value(surface.slice[o.tw.j0], k), b = svi_value(surface.slice[o.tw.j1], k);
  const double w = m::max(o.tw.lo * a.w + o.tw.hi * b.w, 1e-16);
  const double dw = o.tw.lo * a.dw + o.tw.hi * b.dw, d2w = o.tw.lo * a.d2w + o.tw.hi * b.d2w;
  const double w_tau = o.dlo * a.w + o.dhi * b.w;
  const double tau = o.tau;
  const double vol = m::sqrt(w / tau);
  const double half_inv = 1.0 / (2.0 * tau * vol);
  const double vol_k = dw * half_inv;
  const double vol_kk = d2w * half_inv - vol_k * vol_k / vol;
  const double vol_tau = (w_tau - w / tau) * half_inv;

  // Black–Scholes at vol: ln(S/K) + (r − q)τ = −k at the path's spot.
  const double log_sk_carry = o.k0 - log_spot;  // ln(K/S) − (r − q)τ, i.e. −(ln(S/K) + (r − q)τ)
  const double sign = type == OptionType::call ? 1.0 : -1.0;
  const double sig_sqrt = vol * o.sqrt_tau;
  const double inv = 1.0 / sig_sqrt;
  const double d_plus = (-log_sk_carry + 0.5 * vol * vol * tau) * inv;
  const double d_minus = d_plus - sig_sqrt;
  const m::CdfPdf<double> plus = m::norm_cdf_pdf(sign * d_plus);
  const double nd_minus = m::norm_cdf_pdf(sign * d_minus).cdf;
  const double spot_part = s * o.df_q * plus.cdf, strike_part = strike * o.df_r * nd_minus;
  const double density = s * o.df_q * plus.pdf;  // S·e^{−qτ}·φ(d₊)
  const double vega = density * o.sqrt_tau;
  const double vanna = -o.df_q * plus.pdf * d_minus / vol;
  const double volga = vega * d_plus * d_minus / vol;

  const double vol_s = o.sticky_delta ? -vol_k / s : 0.0;
  const double vol_ss = o.sticky_delta ? (vol_kk + vol_k) / (s * s) : 0.0;
  const double vol_t = (o.rate - o.dividend) * vol_k - vol_tau;
  OptionMarks r;
  r.value = sign * (spot_part - strike_part);
  r.delta = sign * o.df_q * plus.cdf + vega * vol_s;
  r.gamma = density * inv / (s * s) + 2.0 * vanna * vol_s + volga * vol_s * vol_s + vega * vol_ss;
  r.theta = -density * vol / (2.0 * o.sqrt_tau) + sign * (o.dividend * spot_part - o.rate * strike_part) + vega * vol_t;
  r.vega = vega;
  r.quote_vega = vega;
  return r;
}

/// The surface's at-the-money (k = 0) vol at τ > 0 years: the one vol of a job with surface marks (its
/// returns' scale for stochastic funding and gas; HedgeParams::implied_vol), taken at the book's last
/// expiry at inception.
inline double surface_reference_vol(const SviSurface& s, double tau) {
  return tau > 0.0 ? m::sqrt(m::max(svi_total_variance(s, tau, 0.0), 0.0) / tau) : 0.0;
}

}  // namespace hedgesim
