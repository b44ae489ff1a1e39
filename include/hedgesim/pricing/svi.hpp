#pragma once
// A volatility surface of raw SVI slices (Gatheral 2004), one per expiry, as plain data both backends
// read (HedgeParams carries it by value), and its evaluation, single-source __host__ __device__.
//
// Slice j, at T_j years (ACT/365), gives the total implied variance at log-moneyness k = ln(K/F(T_j)):
//   w_j(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²)),   b ≥ 0, |ρ| < 1, σ > 0,
// so the implied vol is √(w/T). Between slices the surface is linear in total variance at fixed k:
//   T_j ≤ τ ≤ T_{j+1}:  w(k, τ) = w_j(k) + (τ − T_j)/(T_{j+1} − T_j)·(w_{j+1}(k) − w_j(k));
// before the first slice the first slice's implied vol at k is held (w = w_1(k)·τ/T_1), and after the
// last the last one's (w = w_N(k)·τ/T_N). Both rules keep w non-decreasing in τ when the slices are
// (calendar), and w(k, 0) = 0.
//
// No arbitrage (svi_butterfly_g, checked on a k grid by the fit and when a surface file is read):
// butterfly — Gatheral's density factor
//   g(k) = (1 − k·w'/(2w))² − (w'²/4)·(1/w + 1/4) + w''/2 ≥ 0;
// calendar — w_{j+1}(k) ≥ w_j(k) at every k of the grid.
//
// Every evaluation is arithmetic and two square roots per slice (no branches on k), so a lane loop over
// a CPU tile's paths vectorises; which slices bracket τ is the same on every path and is found once per
// option and step (svi_time_weights).
#include "hedgesim/hd.hpp"
#include "hedgesim/math.hpp"

namespace hedgesim {

/// Slices a surface holds at most (a Deribit chain lists about ten expiries within a year).
constexpr unsigned kMaxSviSlices = 16;

/// One raw SVI slice: its time to expiry and parameters.
struct SviSlice {
  double t;  ///< years, ACT/365
  double a, b, rho, m, sigma;
};

/// The surface: slices in ascending t (n = 0: no surface).
struct SviSurface {
  unsigned n = 0;
  SviSlice slice[kMaxSviSlices] = {};
};

/// Total variance and its first two k-derivatives.
struct SviValue {
  double w, dw, d2w;
};

HS_HD SviValue svi_value(const SviSlice& s, double k) {
  const double x = k - s.m;
  const double r2 = x * x + s.sigma * s.sigma;
  const double r = m::sqrt(r2);
  return {s.a + s.b * (s.rho * x + r), s.b * (s.rho + x / r), s.b * s.sigma * s.sigma / (r2 * r)};
}

/// Gatheral's butterfly factor g(k) of a slice (≥ 0 where the density is); −1 where w ≤ 0.
HS_HD double svi_butterfly_g(const SviSlice& s, double k) {
  const SviValue v = svi_value(s, k);
  if (!(v.w > 0.0)) return -1.0;
  const double u = 1.0 - k * v.dw / (2.0 * v.w);
  return u * u - 0.25 * v.dw * v.dw * (1.0 / v.w + 0.25) + 0.5 * v.d2w;
}

/// Which slices bracket τ and their weights: w(k, τ) = lo·w_{j0}(k) + hi·w_{j1}(k) (file comment).
struct SviTimeWeights {
  unsigned j0, j1;
  double lo, hi;
};

HS_HD SviTimeWeights svi_time_weights(const SviSurface& s, double tau) {
  const unsigned last = s.n - 1;
  if (tau <= s.slice[0].t) return {0, 0, tau / s.slice[0].t, 0.0};
  if (tau >= s.slice[last].t) return {last, last, tau / s.slice[last].t, 0.0};
  unsigned j = 0;
  while (j + 1 < last && s.slice[j + 1].t < tau) ++j;
  const double theta = (tau - s.slice[j].t) / (s.slice[j + 1].t - s.slice[j].t);
  return {j, j + 1, 1.0 - theta, theta};
}

/// The implied vol at k and time τ, with its k-derivatives: Σ, ∂Σ/∂k, ∂²Σ/∂k².
struct SmileVol {
  double vol, dvol, d2vol;
};

/// Σ(k, τ) = √(w(k, τ)/τ) with the weights of svi_time_weights(s, τ), and its k-derivatives:
/// Σ_k = w_k/(2τΣ), Σ_kk = w_kk/(2τΣ) − w_k²/(4τ²Σ³). τ > 0.
HS_HD SmileVol svi_vol(const SviSurface& s, const SviTimeWeights& tw, double tau, double k) {
  const SviValue a = svi_value(s.slice[tw.j0], k), b = svi_value(s.slice[tw.j1], k);
  const double w = m::max(tw.lo * a.w + tw.hi * b.w, 1e-16);
  const double dw = tw.lo * a.dw + tw.hi * b.dw, d2w = tw.lo * a.d2w + tw.hi * b.d2w;
  const double vol = m::sqrt(w / tau);
  const double inv = 1.0 / (2.0 * tau * vol);
  const double dvol = dw * inv;
  return {vol, dvol, d2w * inv - dvol * dvol / vol};
}

/// Total variance w(k, τ) of the surface.
HS_HD double svi_total_variance(const SviSurface& s, double tau, double k) {
  const SviTimeWeights tw = svi_time_weights(s, tau);
  return tw.lo * svi_value(s.slice[tw.j0], k).w + tw.hi * svi_value(s.slice[tw.j1], k).w;
}

}  // namespace hedgesim
