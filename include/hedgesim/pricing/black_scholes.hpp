#pragma once
// Black–Scholes price and greeks for European options, linear and inverse settlement. Header-only and
// __host__ __device__ because hedge ratios are computed per path on both backends.
//
// Linear: pays max(S−K,0) (call) or max(K−S,0) (put) USD. With d± = (ln(S/K) + (r−q ± σ²/2)τ)/(σ√τ):
//   call = S e^{−qτ} N(d+) − K e^{−rτ} N(d−),  put = K e^{−rτ} N(−d−) − S e^{−qτ} N(−d+).
// Inverse (Deribit style): pays the same amount divided by S_T, in coin. That coin amount is worth
// exactly the linear payoff in USD at expiry, so the USD value is the linear one; the coin price is
// V/S. Greeks of an inverse option are those of the coin price a coin-accounted holder carries,
// in Deribit's convention: delta_coin = Δ − V/S (coin of underlying exposure), gamma_coin =
// ∂delta_coin/∂S, vega_coin = vega/S, theta_coin = theta/S.
#include "hedgesim/hd.hpp"
#include "hedgesim/math.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

template <class T>
struct Greeks {
  T price;  ///< USD per unit (linear) or coin per unit (inverse)
  T delta;  ///< ∂price/∂S for linear; Deribit coin delta for inverse
  T gamma;  ///< ∂delta/∂S
  T vega;   ///< ∂price/∂σ per unit of σ (not per vol point)
  T theta;  ///< ∂price/∂t per year (calendar time passing, τ shrinking)
};

/// Linear (USD-settled) price and greeks. tau ≤ 0 or sigma ≤ 0 give the intrinsic value and its delta.
/// Normal CDF, density and discount factors come from math.hpp's branch-free functions, which the
/// hedge loop's deltas share bit for bit on both backends.
template <class T>
HS_HD Greeks<T> black_scholes_linear(OptionType type, T spot, T strike, T tau, T rate, T dividend,
                                     T sigma) {
  const T sign = type == OptionType::call ? T(1) : T(-1);
  if (!(tau > T(0)) || !(sigma > T(0))) {
    const T fwd_gap = sign * (spot - strike);
    const bool itm = fwd_gap > T(0);
    return {itm ? fwd_gap : T(0), itm ? sign : T(0), T(0), T(0), T(0)};
  }
  const T sqrt_tau = m::sqrt(tau);
  const T sig_sqrt = sigma * sqrt_tau;
  const T d_plus = (m::log_pos(spot / strike) + (rate - dividend + T(0.5) * sigma * sigma) * tau) / sig_sqrt;
  const T d_minus = d_plus - sig_sqrt;
  const T df_q = m::exp_finite(-dividend * tau);
  const T df_r = m::exp_finite(-rate * tau);
  const m::CdfPdf<T> plus = m::norm_cdf_pdf(sign * d_plus);
  const T nd_plus = plus.cdf;
  const T nd_minus = m::norm_cdf_pdf(sign * d_minus).cdf;
  const T pdf_plus = plus.pdf;
  Greeks<T> g;
  g.price = sign * (spot * df_q * nd_plus - strike * df_r * nd_minus);
  g.delta = sign * df_q * nd_plus;
  g.gamma = df_q * pdf_plus / (spot * sig_sqrt);
  g.vega = spot * df_q * pdf_plus * sqrt_tau;
  g.theta = -spot * df_q * pdf_plus * sigma / (T(2) * sqrt_tau) +
            sign * (dividend * spot * df_q * nd_plus - rate * strike * df_r * nd_minus);
  return g;
}

/// Delta and gamma of a linear option alone — the hedge loop's hot path, which needs neither the
/// price nor the second normal CDF, and takes from the caller what it knows already or what is the
/// same on many paths: ln(S/K) (from the path's log price), 1/(σ√τ) (once per step when every path
/// hedges at one vol) and df_q = e^{−qτ}. Without branches on the arguments (the intrinsic case is a
/// select), so a lane loop over paths vectorises. Agrees with black_scholes_linear to rounding
/// (tests/test_hedging.cpp).
template <class T>
struct DeltaGamma {
  T delta, gamma;
};
template <class T>
HS_HD DeltaGamma<T> black_scholes_delta_gamma(OptionType type, T spot, T strike, T log_moneyness, T tau, T rate,
                                              T dividend, T sigma, T inv_sig_sqrt, T df_q) {
  const T sign = type == OptionType::call ? T(1) : T(-1);
  const bool live = tau > T(0) && sigma > T(0);
  const T inv = live ? inv_sig_sqrt : T(0);
  const T d_plus = (log_moneyness + (rate - dividend + T(0.5) * sigma * sigma) * tau) * inv;
  const m::CdfPdf<T> plus = m::norm_cdf_pdf(sign * d_plus);
  const T intrinsic = sign * (spot - strike) > T(0) ? sign : T(0);
  return {live ? sign * df_q * plus.cdf : intrinsic, live ? df_q * plus.pdf * inv / spot : T(0)};
}

/// Converts linear greeks to the coin-denominated ones of an inverse option (see file comment).
template <class T>
HS_HD Greeks<T> to_inverse(const Greeks<T>& lin, T spot) {
  Greeks<T> g;
  g.price = lin.price / spot;
  g.delta = lin.delta - g.price;
  // d/dS (Δ − V/S) = Γ − Δ/S + V/S².
  g.gamma = lin.gamma - lin.delta / spot + lin.price / (spot * spot);
  g.vega = lin.vega / spot;
  g.theta = lin.theta / spot;
  return g;
}

template <class T>
HS_HD Greeks<T> black_scholes(OptionType type, Settlement settlement, T spot, T strike, T tau, T rate,
                              T dividend, T sigma) {
  const Greeks<T> lin = black_scholes_linear(type, spot, strike, tau, rate, dividend, sigma);
  return settlement == Settlement::linear ? lin : to_inverse(lin, spot);
}

}  // namespace hedgesim
