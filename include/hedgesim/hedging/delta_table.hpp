#pragma once
// The model table (`hedge.delta: model`, `hedge.marks: model`) for heston, bates and svcj: the model's
// call delta, and with marks its price, vega (∂C/∂v) and theta (∂C/∂t), built on the host from the
// closed-form pricer before the run (delta_table_builder.hpp), and their interpolation per path,
// single-source for both backends. The hedge reads the delta (table_greeks), model marks — the book's
// for the P&L attribution, the hedge options' — read everything (table_marks, through book_marks.hpp).
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
// Marks (built only for hedge.marks: model). The price is interpolated the same way, as what the
// model adds to Black–Scholes at the axis' own variance: with B(x, w, τ) the call at total variance
// w per unit of spot, e^{−qτ}N(d₁) − e^{−x−rτ}N(d₁ − √w), each marks row holds at its nodes
//   R = C/S − B,   ν = ∂R/∂v,   ϑ = ∂R/∂τ   (at fixed x; w = delta_table_variance(v, τ) inside B),
// each with its ∂/∂ζ, so a lookup adds Hermite-interpolated residuals to the exact B and its
// derivatives at the query's own (x, w, τ): value S·(B + R), vega ∂C/∂v = S·(B_w·∂w/∂v + ν), theta
// ∂C/∂t = −S·(B_τ + B_w·∂w/∂τ + ϑ). In the Black–Scholes limit R = ν = ϑ = 0 and the marks are exact;
// otherwise only the model's smooth departure is interpolated. The marks' delta and gamma are the
// table's delta and gamma above (the hedge's, with hedge.delta: model). The residuals come from the
// closed-form prices and Fourier deltas at the node and at v ± h_v and τ ± h_τ (central differences,
// one-sided at v = 0; delta_table.cpp), ∂R/∂x = (Δ_c − C/S) − (Δ_B − B) by homogeneity.
//
// Outside the grid: v < 0 reads as 0 and v > v_max as v_max (the marks' vega is then 0: they stop
// moving with v); |ζ| > ζ_max takes the row's edge value (delta within ~1e-6 of 0 or e^{−qτ} there)
// and zero gamma. At and after expiry (step ≥ expiry_step) delta is the intrinsic one (1 call / −1 put
// in the money, else 0) and gamma 0, as black_scholes_linear at τ = 0, and the marks the intrinsic
// value. Every hedge time before expiry (n ≥ 1) lies inside the time axis, so no Black–Scholes
// fallback is needed near expiry.
//
// Buffer layout (doubles, one allocation, so a device copy is one memcpy and a view is pointer +
// sizes + scalars):
//   [0, 4·n_options)   per option (the book's; with marks then the hedge options'): ln K, +1 call / −1
//                      put, expiry_step, K
//   then the rows      row (j, i) at ((j·n_var + i)·(2·n_z + 2)): a, 0, then [Δ_c, ∂Δ_c/∂ζ] × n_z
//   then the marks     (hedge.marks: model only, from marks_offset) row (j, i) at (j·n_var + i)·6·n_z:
//                      [R, ∂R/∂ζ, ν, ∂ν/∂ζ, ϑ, ∂ϑ/∂ζ] × n_z, on the delta row's nodes (its a)
//
// Cost of a lookup: one log, one log1p, two sqrt, one expm1 (one exp more for a put; one log1p per
// row in the tails) and 4 Hermite cubics reading 4 × 32 contiguous bytes (plus 4 row headers). The
// marks add 4 rows of 3 residual cubics, two exponentials, Φ and φ at z and Φ at z − √w.
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
  // Marks (hedge.marks: model).
  double rate = 0.0;
  std::size_t marks_offset = 0;  ///< where the marks rows start in data; 0: the table has none
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

/// Where z falls in a row with tail scale a: node interval k and fraction s of the way to node k + 1,
/// ∂z/∂ζ there; edge < 0 before the first node, > 0 past the last (then k, s are unused).
struct RowPosition {
  unsigned k;
  double s;
  double dz_dzeta;
  int edge;
};

HS_HD RowPosition row_position(double a, const DeltaTableView& t, double z) {
  const double az = m::fabs(z);
  double zeta = az, dz_dzeta = 1.0;
  if (az > t.z_core) {
    const double y = (az - t.z_core) / a;
    zeta = t.z_core + a * m::log1p(y);
    dz_dzeta = 1.0 + y;
  }
  const double p = ((z < 0.0 ? -zeta : zeta) + t.zeta_max) / t.dzeta;
  if (!(p > 0.0)) return {0, 0.0, dz_dzeta, -1};
  if (p >= static_cast<double>(t.n_z - 1)) return {t.n_z - 1, 0.0, dz_dzeta, 1};
  unsigned k = static_cast<unsigned>(p);
  if (k > t.n_z - 2) k = t.n_z - 2;
  return {k, p - static_cast<double>(k), dz_dzeta, 0};
}

/// Cubic Hermite interpolation of one (slice, variance) row at z: the row's tail scale a, a spare
/// double, then [Δ, ∂Δ/∂ζ] at the n_z nodes ζ_m. Constant beyond the ends.
HS_HD HermiteSample delta_row(const double* row, const DeltaTableView& t, double z) {
  const RowPosition at = row_position(row[0], t, z);
  const double* r = row + 2;
  if (at.edge < 0) return {r[0], 0.0};
  if (at.edge > 0) return {r[2 * (t.n_z - 1)], 0.0};
  const double s = at.s;
  r += 2 * at.k;
  const double f0 = r[0], d0 = r[1] * t.dzeta, f1 = r[2], d1 = r[3] * t.dzeta;
  const double s2 = s * s, s3 = s2 * s;
  const double value = (2 * s3 - 3 * s2 + 1) * f0 + (s3 - 2 * s2 + s) * d0 + (3 * s2 - 2 * s3) * f1 + (s3 - s2) * d1;
  const double slope_zeta =
      ((6 * s2 - 6 * s) * (f0 - f1) + (3 * s2 - 4 * s + 1) * d0 + (3 * s2 - 2 * s) * d1) / t.dzeta;
  return {value, slope_zeta / at.dz_dzeta};
}

/// The residuals of one marks row at z, Hermite in ζ like delta_row (constant beyond the ends):
/// R, ν, ϑ (file comment). `a` is the tail scale of the delta row on whose nodes it lies.
struct MarkSample {
  double price, vega, tau;
};
HS_HD MarkSample mark_row(const double* row, double a, const DeltaTableView& t, double z) {
  const RowPosition at = row_position(a, t, z);
  if (at.edge != 0) {
    const double* r = row + 6 * at.k;
    return {r[0], r[2], r[4]};
  }
  const double s = at.s, s2 = s * s, s3 = s2 * s;
  const double h00 = 2 * s3 - 3 * s2 + 1, h10 = (s3 - 2 * s2 + s) * t.dzeta, h01 = 3 * s2 - 2 * s3,
               h11 = (s3 - s2) * t.dzeta;
  const double* r = row + 6 * at.k;
  const auto cubic = [&](unsigned f) { return h00 * r[f] + h10 * r[f + 1] + h01 * r[6 + f] + h11 * r[7 + f]; };
  return {cubic(0), cubic(2), cubic(4)};
}

/// A query's place in the table: n steps to expiry, τ, the bracketing slices j0, j0 + 1 (weight wt on
/// the second) and variance nodes i0, i0 + 1 (weight wv), the clamped variance v, the axis variance w
/// and the query's z.
struct TablePoint {
  std::uint32_t n;
  double tau;
  unsigned j0, j1, i0;
  double wt, wv;
  double v, w, inv_sd, z;
};

HS_HD TablePoint table_point(const DeltaTableView& t, std::uint32_t n, double spot, double log_k, double variance) {
  TablePoint q;
  q.n = n;
  q.tau = static_cast<double>(n) * t.dt;

  // Time: u = √n between slices j0 and j1.
  q.j0 = 0;
  q.wt = 0.0;
  if (t.n_time > 1) {
    const double u = m::min((m::sqrt(static_cast<double>(n)) - 1.0) * t.inv_du, static_cast<double>(t.n_time - 1));
    q.j0 = m::min(static_cast<unsigned>(u), t.n_time - 2);
    q.wt = u - static_cast<double>(q.j0);
  }
  q.j1 = t.n_time > 1 ? q.j0 + 1 : 0;

  // Variance: σ = √v between nodes i0 and i0 + 1, clamped to the axis; linear in ln(1 + σ/σ₀).
  const double sigma = m::min(m::sqrt(m::max(variance, 0.0)), t.sigma_max);
  q.v = sigma * sigma;
  const double sv = m::log1p(sigma / t.sigma_knee) * t.inv_ds;
  q.i0 = m::min(static_cast<unsigned>(sv), t.n_var - 2);
  q.wv = m::min(sv - static_cast<double>(q.i0), 1.0);

  // Spot: the query's d₁, looked up at the same z in all four rows.
  q.w = delta_table_variance(t, q.v, q.tau);
  q.inv_sd = 1.0 / m::sqrt(q.w);
  q.z = (m::log(spot) - log_k + t.carry * q.tau + 0.5 * q.w) * q.inv_sd;
  return q;
}

/// The first of the 2 × 2 rows of q (slice k of 2; the variance node above is one row further).
HS_HD std::size_t row_index(const DeltaTableView& t, const TablePoint& q, unsigned k) {
  return static_cast<std::size_t>(k == 0 ? q.j0 : q.j1) * t.n_var + q.i0;
}

/// Call delta and ∂Δ/∂z at q: the four delta rows at q.z, blended.
HS_HD HermiteSample blended_delta(const DeltaTableView& t, const TablePoint& q) {
  const double* grid = t.data + 4 * t.n_options;
  const std::size_t row_len = 2 * static_cast<std::size_t>(t.n_z) + 2;
  double delta = 0.0, ddelta_dz = 0.0;
  for (unsigned k = 0; k < 2; ++k) {
    const double w_time = k == 0 ? 1.0 - q.wt : q.wt;
    const double* row = grid + row_index(t, q, k) * row_len;
    const HermiteSample lo = delta_row(row, t, q.z);
    const HermiteSample hi = delta_row(row + row_len, t, q.z);
    delta += w_time * ((1.0 - q.wv) * lo.value + q.wv * hi.value);
    ddelta_dz += w_time * ((1.0 - q.wv) * lo.slope + q.wv * hi.slope);
  }
  return {delta, ddelta_dz};
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
  const detail::TablePoint q = detail::table_point(t, expiry - step, spot, log_k, variance);
  const detail::HermiteSample d = detail::blended_delta(t, q);
  const double delta = sign < 0.0 ? d.value - m::exp(-t.dividend * static_cast<double>(q.n) * t.dt) : d.value;
  return {delta, d.slope * q.inv_sd / spot};
}

/// The variance the table reads for v: clamped to [0, v_max] (table_point; the marks' vol state).
HS_HD double table_variance(const DeltaTableView& t, double variance) {
  const double sigma = m::min(m::sqrt(m::max(variance, 0.0)), t.sigma_max);
  return sigma * sigma;
}

/// An option's marks (USD per unit, linear): value, delta, gamma, theta ∂C/∂t (per year), vega ∂C/∂v
/// (per unit of variance; vega_per_vol_point converts), and quote_vega, the Black–Scholes vega ∂B/∂σ at
/// the axis variance w (the term vol √(w/τ)): what a price quoted in implied-vol points moves by per
/// unit of σ (book_marks.hpp charges the option half-spread on it).
struct TableMarks {
  double value, delta, gamma, theta, vega, quote_vega;
};

/// ∂C/∂σ per vol point (0.01 of σ = √v) of a vega ∂C/∂v at variance v: ∂C/∂σ = 2σ·∂C/∂v.
HS_HD double vega_per_vol_point(double vega, double variance) { return 0.02 * m::sqrt(m::max(variance, 0.0)) * vega; }

/// The marks of an option of `strike` (ln K = log_k; sign +1 call, −1 put) expiring at step `expiry` at
/// `spot`, variance `variance` and time `step` (hedge.marks: model; the table must have been built with
/// marks, its time axis reaching expiry − step). Delta and gamma are table_greeks'. The table's options
/// are one such call each (below); a rolling hedge option's series, whose strikes are the path's, another.
HS_HD TableMarks table_marks(const DeltaTableView& t, double sign, double log_k, double strike, std::uint32_t expiry,
                             double spot, double variance, std::uint32_t step) {
  if (step >= expiry) {
    const double intrinsic = m::max(sign * (spot - strike), 0.0);
    return {intrinsic, intrinsic > 0.0 ? sign : 0.0, 0.0, 0.0, 0.0, 0.0};
  }
  const detail::TablePoint q = detail::table_point(t, expiry - step, spot, log_k, variance);
  const detail::HermiteSample d = detail::blended_delta(t, q);

  // The residuals R, ν, ϑ of the four rows at q.z.
  const double* grid = t.data + 4 * t.n_options;
  const double* marks = t.data + t.marks_offset;
  const std::size_t row_len = 2 * static_cast<std::size_t>(t.n_z) + 2, marks_len = 6 * static_cast<std::size_t>(t.n_z);
  double r = 0.0, nu = 0.0, vartheta = 0.0;
  for (unsigned k = 0; k < 4; ++k) {
    const std::size_t row = detail::row_index(t, q, k / 2) + k % 2;
    const double weight = (k / 2 == 0 ? 1.0 - q.wt : q.wt) * (k % 2 == 0 ? 1.0 - q.wv : q.wv);
    const detail::MarkSample x = detail::mark_row(marks + row * marks_len, grid[row * row_len], t, q.z);
    r += weight * x.price;
    nu += weight * x.vega;
    vartheta += weight * x.tau;
  }

  // Black–Scholes at the axis variance w (USD, call) and its partials in w and in τ at fixed w.
  // (e^{−qτ} as table_greeks takes it, so that a put's delta is its bits.)
  const double tau = q.tau, sd = q.w * q.inv_sd;
  const double df_q = m::exp(-t.dividend * static_cast<double>(q.n) * t.dt), df_r = m::exp(-t.rate * tau);
  const m::CdfPdf<double> n1 = m::norm_cdf_pdf(q.z);
  const double n2 = m::norm_cdf_pdf(q.z - sd).cdf;
  const double spot_part = spot * df_q * n1.cdf, strike_part = strike * df_r * n2;
  const double b_w = 0.5 * spot * df_q * n1.pdf * q.inv_sd;
  const double b_tau = -t.dividend * spot_part + t.rate * strike_part;
  // ∂w/∂v and ∂w/∂τ of delta_table_variance (0 in v where w is floored, or past v_max).
  const double kt = t.kappa * tau;
  const double frac = kt > 1e-8 ? -m::expm1(-kt) / kt : 1.0 - 0.5 * kt;
  const bool floored = q.w <= kDeltaTableMinVariance;
  const bool clamped = variance > t.sigma_max * t.sigma_max;
  const double w_v = floored || clamped ? 0.0 : t.v_weight * tau * frac;
  const double w_tau = floored ? 0.0 : t.long_run_variance + t.v_weight * (q.v - t.long_run_variance) * m::exp(-kt);
  const double d_dtau = b_tau + b_w * w_tau + spot * vartheta;  // ∂C/∂τ of the call, and of the put
  const double parity_tau = t.dividend * spot * df_q - t.rate * strike * df_r;  // ∂(P − C)/∂τ
  const double call = spot_part - strike_part + spot * r;
  const bool put = sign < 0.0;
  TableMarks out;
  out.value = put ? call - spot * df_q + strike * df_r : call;
  out.delta = put ? d.value - df_q : d.value;
  out.gamma = d.slope * q.inv_sd / spot;
  out.theta = -(put ? d_dtau + parity_tau : d_dtau);
  out.vega = clamped ? 0.0 : b_w * w_v + spot * nu;
  out.quote_vega = spot * df_q * n1.pdf * m::sqrt(tau);  // ∂B/∂σ = B_w·2σ_wτ at σ_w = √(w/τ)
  return out;
}

/// The marks of the table's option `option` (the book's, then the hedge options': DeltaTable).
HS_HD TableMarks table_marks(const DeltaTableView& t, unsigned option, double spot, double variance, std::uint32_t step) {
  const double* opt = t.data + 4 * option;
  return table_marks(t, opt[1], opt[0], opt[3], static_cast<std::uint32_t>(opt[2]), spot, variance, step);
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
