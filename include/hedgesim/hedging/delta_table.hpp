#pragma once
// Model-consistent hedge ratios for heston, bates and svcj (`hedge.delta: model`): a table of call
// delta built on the host from the closed-form pricer before the run (delta_table_builder.hpp), and
// its interpolation per path, single-source for both backends.
//
// What is tabulated. The model's call price is homogeneous of degree one in (S, K), so its delta
// depends on the strike only through x = ln(S/K), and on time only through τ: one table of the call
// delta Δ_c(x, v, τ) serves every option of the book, whatever its strike and expiry. Puts follow by
// parity, Δ_p = Δ_c − e^{−qτ}; gamma is shared. Values are USD (linear) greeks; the hedge observer
// adds the coin exposure of inverse options as it does for Black–Scholes.
//
// Axes (uniform in a mapped coordinate, so a lookup is arithmetic, no search):
//   time     u = √n, n = expiry_step − step the steps left (1 ≤ n ≤ the last expiry); slices at
//            u_j = 1 + j/inv_du, τ_j = u_j²·dt: denser near expiry, where delta changes fastest. The
//            first slice is exactly one step before expiry, the last time an option is hedged.
//   variance σ = √v at σ_i = σ₀·(e^{i·ds} − 1), i = 0 … n_var − 1 (delta_table_sigma), v_max = σ_max²:
//            geometric above the knee σ₀, uniform below it. Delta at fixed z departs from N(z) by
//            terms like ρξ√τ/σ and (jump size)/(σ√τ), smooth in ln σ but not in σ, so equal ratios
//            between nodes spread the interpolation error evenly over the axis.
//   spot     z = (x + (r − q)τ + w/2)/√w, the Black–Scholes d₁ at the diffusive variance to expiry
//            w = delta_table_variance(v, τ). Nodes are uniform in ζ, ζ_m = −ζ_max + m·dζ, with
//            z = ζ on the core |ζ| ≤ c and |z| = c + a·(e^{(|ζ|−c)/a} − 1) beyond (delta_table_z):
//            each row's tail scale a puts its last node at the reach of the jumps (and 8 diffusive
//            standard deviations), so short maturities resolve the diffusive step finely and still
//            carry the jump tails, which can be 10⁻² of delta far out of the money.
// Row (j, i) holds, at τ_j and v_i on its own spot nodes, Δ_c and ∂Δ_c/∂ζ (from the Fourier greeks,
// analytic_greeks). A lookup computes the query's z with its own v and τ, evaluates the 2 × 2
// bracketing (slice, σ) rows at that z by cubic Hermite interpolation in ζ, and blends them linearly
// in σ's coordinate and in u. In the Black–Scholes limit (Δ = N(d₁) at every node) the v and τ
// interpolation is then exact: only the model's smooth departures from N(d₁) are interpolated.
// Gamma is the exact spot derivative of the interpolated delta: Σ weights·∂Δ/∂z/(√w·S). A call's
// delta stays non-decreasing in spot (linear blends of monotone rows).
//
// Outside the grid: v < 0 reads as 0 and v > v_max as v_max; |ζ| > ζ_max takes the row's edge value
// (delta within ~1e-6 of 0 or e^{−qτ} there) and zero gamma. At and after expiry (step ≥
// expiry_step) delta is the intrinsic one (1 call / −1 put in the money, else 0) and gamma 0, as
// black_scholes_linear at τ = 0. Every hedge time before expiry (n ≥ 1) lies inside the time axis,
// so no Black–Scholes fallback is needed near expiry.
//
// Buffer layout (doubles, one allocation, so a device copy is one memcpy and a view is pointer +
// sizes + scalars):
//   [0, 4·n_options)   per option: ln K, +1 call / −1 put, expiry_step, K
//   then the rows      row (j, i) at ((j·n_var + i)·(2·n_z + 2)): a, 0, then [Δ_c, ∂Δ_c/∂ζ] × n_z
//
// Cost of a lookup: one log, one log1p, two sqrt, one expm1 (one exp more for a put; one log1p per
// row in the tails) and 4 Hermite cubics reading 4 × 32 contiguous bytes (plus 4 row headers).
#include <cstddef>
#include <cstdint>

#include "hedgesim/hd.hpp"
#include "hedgesim/math.hpp"

namespace hedgesim {

/// Floor on a slice's total variance w (√w = 1e-7), also applied by the builder.
constexpr double kDeltaTableMinVariance = 1e-14;

/// A read-only view of a delta table: the buffer (host or device memory) and its sizes and axes.
/// Plain data: copy it by value into kernels.
struct DeltaTableView {
  const double* data = nullptr;
  unsigned n_options = 0;
  unsigned n_time = 0;  ///< time slices (≥ 1)
  unsigned n_var = 0;   ///< variance nodes (≥ 2)
  unsigned n_z = 0;     ///< spot nodes per (slice, variance) (≥ 4)
  double dt = 0.0;      ///< years per step
  double dividend = 0.0;
  double carry = 0.0;       ///< r − q
  double inv_du = 0.0;      ///< 1/Δ√n between time slices (0 when n_time = 1)
  double sigma_knee = 0.0;  ///< σ₀
  double inv_ds = 0.0;      ///< 1/ds, ds = ln(1 + σ_max/σ₀)/(n_var − 1)
  double sigma_max = 0.0;   ///< √v_max
  double z_core = 0.0;      ///< c: the spot axis is uniform in z on [−c, c]
  double zeta_max = 0.0;    ///< nodes ζ_m = −ζ_max + m·dζ
  double dzeta = 0.0;
  // The normalising variance (delta_table_variance).
  double long_run_variance = 0.0;  ///< θ' (gbm: σ²)
  double kappa = 0.0;
  double v_weight = 0.0;  ///< 1, or 0 for gbm (the variance state is ignored)
};

/// The total variance w the spot axis is normalised by at instantaneous variance v and time left tau
/// (years): the diffusive variance expected to expiry,
///   w = θ'τ + (v − θ')(1 − e^{−κτ})/κ   (gbm: σ²τ),
/// floored at kDeltaTableMinVariance. Jumps are left out: they would widen the axis and blur the
/// diffusive step of delta, which is its sharpest feature; the axis reaches them through its
/// geometric tails instead. Shared by the builder and the lookup.
HS_HD double delta_table_variance(const DeltaTableView& t, double v, double tau) {
  const double kt = t.kappa * tau;
  const double frac = kt > 1e-8 ? -m::expm1(-kt) / kt : 1.0 - 0.5 * kt;  // (1 − e^{−κτ})/(κτ)
  const double w = tau * (t.long_run_variance + t.v_weight * (v - t.long_run_variance) * frac);
  return m::max(w, kDeltaTableMinVariance);
}

/// z of spot node ζ in a row with tail scale a (the inverse of the map in detail::delta_row):
/// z = ζ on the core |ζ| ≤ c, then |z| = c + a·(e^{(|ζ|−c)/a} − 1), nodes spaced geometrically.
HS_HD double delta_table_z(const DeltaTableView& t, double a, double zeta) {
  const double az = m::fabs(zeta);
  const double z = az <= t.z_core ? az : t.z_core + a * m::expm1((az - t.z_core) / a);
  return zeta < 0.0 ? -z : z;
}

/// σ = √v of variance node i.
HS_HD double delta_table_sigma(const DeltaTableView& t, unsigned i) {
  return i + 1 == t.n_var ? t.sigma_max : t.sigma_knee * m::expm1(static_cast<double>(i) / t.inv_ds);
}

/// Delta (∂V/∂S, USD per unit of underlying per option unit) and gamma (∂²V/∂S²) of one option.
struct TableGreeks {
  double delta;
  double gamma;
};

namespace detail {

struct HermiteSample {
  double value;
  double slope;  ///< ∂/∂z
};

/// Cubic Hermite interpolation of one (slice, variance) row at z: the row's tail scale a, a spare
/// double, then [Δ, ∂Δ/∂ζ] at the n_z nodes ζ_m. Constant beyond the ends.
HS_HD HermiteSample delta_row(const double* row, const DeltaTableView& t, double z) {
  const double a = row[0];
  const double az = m::fabs(z);
  double zeta = az, dz_dzeta = 1.0;
  if (az > t.z_core) {
    const double y = (az - t.z_core) / a;
    zeta = t.z_core + a * m::log1p(y);
    dz_dzeta = 1.0 + y;
  }
  const double p = ((z < 0.0 ? -zeta : zeta) + t.zeta_max) / t.dzeta;
  const double* r = row + 2;
  if (!(p > 0.0)) return {r[0], 0.0};
  if (p >= static_cast<double>(t.n_z - 1)) return {r[2 * (t.n_z - 1)], 0.0};
  unsigned k = static_cast<unsigned>(p);
  if (k > t.n_z - 2) k = t.n_z - 2;
  const double s = p - static_cast<double>(k);
  r += 2 * k;
  const double f0 = r[0], d0 = r[1] * t.dzeta, f1 = r[2], d1 = r[3] * t.dzeta;
  const double s2 = s * s, s3 = s2 * s;
  const double value = (2 * s3 - 3 * s2 + 1) * f0 + (s3 - 2 * s2 + s) * d0 + (3 * s2 - 2 * s3) * f1 + (s3 - s2) * d1;
  const double slope_zeta =
      ((6 * s2 - 6 * s) * (f0 - f1) + (3 * s2 - 4 * s + 1) * d0 + (3 * s2 - 2 * s) * d1) / t.dzeta;
  return {value, slope_zeta / dz_dzeta};
}

}  // namespace detail

/// Delta and gamma of book option `option` at `spot`, instantaneous variance `variance` and time
/// `step` (file comment for the axes, clamping and the expiry limit).
HS_HD TableGreeks table_greeks(const DeltaTableView& t, unsigned option, double spot, double variance,
                               std::uint32_t step) {
  const double* opt = t.data + 4 * option;
  const double log_k = opt[0], sign = opt[1];
  const std::uint32_t expiry = static_cast<std::uint32_t>(opt[2]);
  if (step >= expiry) {
    const bool itm = sign * (spot - opt[3]) > 0.0;
    return {itm ? sign : 0.0, 0.0};
  }
  const std::uint32_t n = expiry - step;
  const double tau = static_cast<double>(n) * t.dt;
  const double* grid = t.data + 4 * t.n_options;
  const std::size_t row_len = 2 * static_cast<std::size_t>(t.n_z) + 2;

  // Time: u = √n between slices j0 and j1.
  unsigned j0 = 0;
  double wt = 0.0;
  if (t.n_time > 1) {
    const double u = m::min((m::sqrt(static_cast<double>(n)) - 1.0) * t.inv_du, static_cast<double>(t.n_time - 1));
    j0 = m::min(static_cast<unsigned>(u), t.n_time - 2);
    wt = u - static_cast<double>(j0);
  }
  const unsigned j1 = t.n_time > 1 ? j0 + 1 : 0;

  // Variance: σ = √v between nodes i0 and i0 + 1, clamped to the axis; linear in ln(1 + σ/σ₀).
  const double sigma = m::min(m::sqrt(m::max(variance, 0.0)), t.sigma_max);
  const double v = sigma * sigma;
  const double sv = m::log1p(sigma / t.sigma_knee) * t.inv_ds;
  const unsigned i0 = m::min(static_cast<unsigned>(sv), t.n_var - 2);
  const double wv = m::min(sv - static_cast<double>(i0), 1.0);

  // Spot: the query's d₁, looked up at the same z in all four rows.
  const double w = delta_table_variance(t, v, tau);
  const double inv_sd = 1.0 / m::sqrt(w);
  const double z = (m::log(spot) - log_k + t.carry * tau + 0.5 * w) * inv_sd;
  double delta = 0.0, ddelta_dz = 0.0;
  for (unsigned k = 0; k < 2; ++k) {
    const double w_time = k == 0 ? 1.0 - wt : wt;
    const double* row = grid + (static_cast<std::size_t>(k == 0 ? j0 : j1) * t.n_var + i0) * row_len;
    const detail::HermiteSample lo = detail::delta_row(row, t, z);
    const detail::HermiteSample hi = detail::delta_row(row + row_len, t, z);
    delta += w_time * ((1.0 - wv) * lo.value + wv * hi.value);
    ddelta_dz += w_time * ((1.0 - wv) * lo.slope + wv * hi.slope);
  }
  if (sign < 0.0) delta -= m::exp(-t.dividend * static_cast<double>(n) * t.dt);
  return {delta, ddelta_dz * inv_sd / spot};
}

/// Delta only (table_greeks; the gamma arithmetic is dropped when inlined).
HS_HD double table_delta(const DeltaTableView& t, unsigned option, double spot, double variance, std::uint32_t step) {
  return table_greeks(t, option, spot, variance, step).delta;
}

/// Gamma only.
HS_HD double table_gamma(const DeltaTableView& t, unsigned option, double spot, double variance, std::uint32_t step) {
  return table_greeks(t, option, spot, variance, step).gamma;
}

}  // namespace hedgesim
