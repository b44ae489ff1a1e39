#pragma once
// Everlasting options (White & Bankman-Fried, "Everlasting Options", Paradigm 2021): a call or put of
// strike K that never expires. Its holder pays funding at every funding time t_i = i·Δ (Δ the funding
// period), equal to mark − payoff:
//   F_i = V(t_i⁻) − P(S_{t_i}),   P(S) = max(±(S − K), 0),
// where the mark V(t_i⁻) is the contract's price at the funding instant, before the payment (the price
// it has traded at up to then); right after the payment it trades at V(t_i⁺) = V(t_i⁻) + F_i. A holder
// who buys just after one funding time and sells just after the next pays V(t_i⁺), pays F_{i+1} and
// receives V(t_{i+1}⁺), so no arbitrage gives V(t_i⁺) = e^{−rΔ}E[V(t_{i+1}⁺) − F_{i+1}]
// = e^{−rΔ}E[(V(t_{i+1}⁺) + P(S_{t_{i+1}}))/2], whose solution is a weighted sum of Europeans: with θ ∈ (0, Δ]
// the time to the next funding time,
//   V(θ) = Σ_{j≥1} 2^{−j} C(θ + (j−1)Δ),
// C(τ) the European of expiry τ (docs/models.md "Everlasting options" derives it and its put–call
// parity). Inception and every funding time have θ = Δ (weights 1/2, 1/4, … on Δ, 2Δ, …); as θ → 0 the
// first European is the payoff, so the mark the funding reads is V(0) = P/2 + V(Δ)/2 and F = (V(Δ) − P)/2.
// Here C is Black–Scholes at the pricing vol, as the book's Europeans are marked.
//
// The sum is truncated after N terms, N the smallest with tail weight 2^{−N} at most the configured bound
// (book[i].tail_weight); the truncated price is below the full one by at most everlasting_tail_bound.
// Header-only and __host__ __device__: the hedge loop marks and hedges everlasting books per path.
#include <limits>

#include "hedgesim/hd.hpp"
#include "hedgesim/math.hpp"
#include "hedgesim/pricing/black_scholes.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

/// At most this many Europeans per everlasting option (a tail weight of 2^−64 is far below rounding).
constexpr unsigned kMaxEverlastingTerms = 64;

/// N: the fewest terms whose tail weight 2^{−N} is at most `tail_weight` (at least 1, at most
/// kMaxEverlastingTerms). Exact: halving is exact in binary floating point.
HS_HD unsigned everlasting_terms(double tail_weight) {
  unsigned n = 1;
  double tail = 0.5;
  while (tail > tail_weight && n < kMaxEverlastingTerms) {
    tail *= 0.5;
    ++n;
  }
  return n;
}

/// Price and greeks (black_scholes.hpp's Greeks, USD per unit) of a linear everlasting option whose next
/// funding time is `theta` years away (0 < theta ≤ period; 0: at the funding instant, the mark the
/// funding reads), with funding period `period` years, summed over `terms` Europeans. Theta is the
/// change of the price with calendar time between funding times (each European's τ shrinking).
template <class T>
HS_HD Greeks<T> everlasting_linear(OptionType type, T spot, T strike, T theta, T period, unsigned terms, T rate,
                                   T dividend, T sigma) {
  Greeks<T> sum{T(0), T(0), T(0), T(0), T(0)};
  T weight = T(0.5);
  for (unsigned j = 0; j < terms; ++j) {
    const Greeks<T> g =
        black_scholes_linear(type, spot, strike, theta + static_cast<T>(j) * period, rate, dividend, sigma);
    sum.price += weight * g.price;
    sum.delta += weight * g.delta;
    sum.gamma += weight * g.gamma;
    sum.vega += weight * g.vega;
    sum.theta += weight * g.theta;
    weight *= T(0.5);
  }
  return sum;
}

/// Linear or inverse (coin-settled: premium, funding and the close in coin, its greeks in Deribit's
/// convention, black_scholes.hpp's to_inverse), as black_scholes() does for Europeans.
template <class T>
HS_HD Greeks<T> everlasting(OptionType type, Settlement settlement, T spot, T strike, T theta, T period,
                            unsigned terms, T rate, T dividend, T sigma) {
  const Greeks<T> lin = everlasting_linear(type, spot, strike, theta, period, terms, rate, dividend, sigma);
  return settlement == Settlement::linear ? lin : to_inverse(lin, spot);
}

/// The funding one unit's holder pays at a funding time, USD: the mark at the funding instant (θ = 0)
/// less the payoff, i.e. (V(Δ) − P)/2 for the full sum.
template <class T>
HS_HD T everlasting_funding(OptionType type, T spot, T strike, T period, unsigned terms, T rate, T dividend, T sigma) {
  const T sign = type == OptionType::call ? T(1) : T(-1);
  const T payoff = m::max(sign * (spot - strike), T(0));
  return everlasting_linear(type, spot, strike, T(0), period, terms, rate, dividend, sigma).price - payoff;
}

/// Put–call parity of everlasting options: call − put of the same strike, theta, period and terms,
///   Σ_{j<N} 2^{−(j+1)} (S e^{−qτ_j} − K e^{−rτ_j}),  τ_j = θ + jΔ,
/// = S e^{−qθ}(1 − (e^{−qΔ}/2)^N)/(2 − e^{−qΔ}) − K e^{−rθ}(1 − (e^{−rΔ}/2)^N)/(2 − e^{−rΔ}),
/// and S e^{−qθ}/(2 − e^{−qΔ}) − K e^{−rθ}/(2 − e^{−rΔ}) for the full sum (N → ∞); S − K when r = q = 0.
inline double everlasting_parity(double spot, double strike, double theta, double period, unsigned terms, double rate,
                                 double dividend) {
  const auto leg = [&](double carry) {
    const double a = m::exp(-carry * period) / 2.0;
    double a_n = 1.0;
    for (unsigned j = 0; j < terms; ++j) a_n *= a;
    return m::exp(-carry * theta) * (1.0 - a_n) / (2.0 - 2.0 * a);
  };
  return spot * leg(dividend) - strike * leg(rate);
}

/// An upper bound of what truncation after `terms` Europeans leaves out of the price (the full sum less
/// the truncated one, which is ≥ 0): each European left out is at most X e^{cτ} — a call S e^{−qτ}, a put
/// K e^{−rτ}, with c = max(0, −q) or max(0, −r) — so the tail is at most
///   X e^{cθ} Σ_{j>N} 2^{−j} a^{j−1} = X e^{cθ} (a/2)^N / (2 − a),  a = e^{cΔ},
/// which is X·2^{−N} for a non-negative carry. Infinite when a ≥ 2: the sum itself diverges then (the
/// config refuses such a funding period, docs/models.md).
inline double everlasting_tail_bound(OptionType type, double spot, double strike, double theta, double period,
                                     unsigned terms, double rate, double dividend) {
  const bool call = type == OptionType::call;
  const double x = call ? spot : strike;
  const double c = m::max(0.0, call ? -dividend : -rate);
  const double a = m::exp(c * period);
  if (!(a < 2.0)) return std::numeric_limits<double>::infinity();
  double half_a_n = 1.0;
  for (unsigned j = 0; j < terms; ++j) half_a_n *= a / 2.0;
  return x * m::exp(c * theta) * half_a_n / (2.0 - a);
}

}  // namespace hedgesim
