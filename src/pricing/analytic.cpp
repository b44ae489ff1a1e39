// Closed-form European prices.
//
// gbm: Black–Scholes (black_scholes.hpp).
//
// heston, bates, svcj: the Lewis (2001) single-integral formula on the characteristic function φ of
// X = ln(S_T/F_T), F_T = S e^{(r−q)T}, k = ln(F_T/K):
//   call = S e^{−qT} − √(F K) e^{−rT}/π ∫_0^∞ Re[e^{iuk} φ(u − i/2)] / (u² + 1/4) du.
// A Black–Scholes control variate with the model's mean variance σ̄² is subtracted under the
// integral: V = V_BS(σ̄) − √(F K) e^{−rT}/π ∫_0^∞ Re[e^{iuk}(φ(u − i/2) − φ_BS(u − i/2))]/(u² + 1/4) du.
// The correction is the same for calls and puts (both obey put–call parity), so puts use it too.
//
// φ = exp(A(τ) + B(τ) v0) is affine. With z = iu + u², β = κ − iρξu, d = √(β² + ξ² z) (Re d ≥ 0),
// E = e^{−dτ}, q = (1 − E)/(2d) and t = (β − d)/ξ² = −z/(β + d), the "little Heston trap" form
// (Albrecher et al. 2007; g = (β − d)/(β + d) multiplied out) is
//   B(τ) = −z (1 − E) / ((β + d) − (β − d) E),
//   A_H(τ) = κθ [ t τ − 2 t q · log1p(w)/w ],  w = (β − d) q,  1 + w = (1 − gE)/(1 − g).
// (β + d)(β − d) = −ξ² z gives the smaller factor from the larger without cancellation, and nothing
// divides by ξ², so ξ → 0 stays accurate.
// Bates adds λτ(e^{iuμ_J − u²σ_J²/2} − 1 − iu k̄), k̄ = e^{μ_J + σ_J²/2} − 1.
// SVCJ (Duffie–Pan–Singleton 2000) adds λ ∫_0^τ [e^{iuμ_S − u²σ_S²/2}/(1 − (iuρ_J + B(s))μ_v) − 1 − iu k̄] ds,
// k̄ = e^{μ_S + σ_S²/2}/(1 − ρ_J μ_v) − 1. B(s) is a Möbius map of e^{−ds}, so the integral is
// elementary: with c = 1 − iuρ_J μ_v and a = c − μ_v t,
//   ∫_0^τ ds/(1 − (iuρ_J + B(s))μ_v) = τ/a − 2 μ_v t q/(a c) · log1p(w₂)/w₂,
//   w₂ = (c(β − d) + μ_v z) q/c,  1 + w₂ = (1 − (iuρ_J + B(τ))μ_v)(1 − gE) / (c (1 − g)).
// For large |w₂| the logarithm is taken factor by factor — the first factor lies in the right
// half-plane, the second is Heston's — so it stays continuous in u.
//
// Quadrature: globally adaptive Gauss–Kronrod on [0, u_max], u_max where an upper envelope of the
// integrand leaves a negligible tail; absolute tolerance 1e-14·spot on the price.
#include "hedgesim/pricing/analytic.hpp"

#include <algorithm>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "hedgesim/errors.hpp"
#include "hedgesim/pricing/black_scholes.hpp"

namespace hedgesim {
namespace {

using cplx = std::complex<double>;
constexpr double kPi = 3.14159265358979323846;
/// Absolute price accuracy aimed at, as a fraction of spot.
constexpr double kPriceTolerance = 1e-14;
constexpr int kKronrodPoints = 31;
constexpr int kMaxBisections = 4000;
constexpr int kMaxInitialPanels = 4000;
/// Largest u integrated to: beyond it even v0 = 0 with a one-hour expiry has a negligible tail.
constexpr double kMaxFrequency = 1e7;

const char* model_name(ModelType t) {
  switch (t) {
    case ModelType::gbm: return "gbm";
    case ModelType::heston: return "heston";
    case ModelType::bates: return "bates";
    case ModelType::svcj: return "svcj";
  }
  return "unknown";
}

void require_param(bool ok, ModelType model, const char* name, double value, const char* allowed) {
  if (ok) return;
  std::ostringstream msg;
  msg.precision(17);
  msg << "analytic price (" << model_name(model) << " model): " << name << " = " << value
      << " is invalid; allowed: " << allowed;
  throw InputError(msg.str());
}

void validate_strike(const ModelParams& p, double strike) {
  require_param(std::isfinite(strike) && strike > 0, p.type, "strike", strike, "finite and > 0");
}

void validate(const ModelParams& p, double maturity) {
  const auto finite = [](double x) { return std::isfinite(x); };
  const auto require = [&](bool ok, const char* name, double value, const char* allowed) {
    require_param(ok, p.type, name, value, allowed);
  };
  require(finite(p.spot) && p.spot > 0, "spot", p.spot, "finite and > 0");
  require(finite(maturity) && maturity >= 0, "maturity_years", maturity, "finite and >= 0");
  require(finite(p.rate), "rate", p.rate, "finite");
  require(finite(p.dividend), "dividend", p.dividend, "finite");
  if (p.type == ModelType::gbm) {
    require(finite(p.vol) && p.vol > 0, "vol", p.vol, "finite and > 0");
    return;
  }
  require(finite(p.v0) && p.v0 >= 0, "v0", p.v0, "finite and >= 0");
  require(finite(p.theta) && p.theta >= 0, "theta", p.theta, "finite and >= 0");
  require(p.v0 + p.theta > 0, "v0 + theta", p.v0 + p.theta, "> 0 (some variance)");
  require(finite(p.kappa) && p.kappa > 0, "kappa", p.kappa, "finite and > 0");
  require(finite(p.xi) && p.xi >= 0, "xi", p.xi, "finite and >= 0");
  require(finite(p.rho) && p.rho >= -1 && p.rho <= 1, "rho", p.rho, "in [-1, 1]");
  if (p.type == ModelType::heston) return;
  require(finite(p.jump_intensity) && p.jump_intensity >= 0, "jump_intensity", p.jump_intensity,
          "finite and >= 0");
  require(finite(p.jump_mean), "jump_mean", p.jump_mean, "finite");
  require(finite(p.jump_stdev) && p.jump_stdev >= 0, "jump_stdev", p.jump_stdev, "finite and >= 0");
  if (p.type == ModelType::bates) return;
  require(finite(p.var_jump_mean) && p.var_jump_mean >= 0, "var_jump_mean", p.var_jump_mean,
          "finite and >= 0");
  require(finite(p.jump_rho), "jump_rho", p.jump_rho, "finite");
  require(p.jump_rho * p.var_jump_mean < 1, "jump_rho * var_jump_mean", p.jump_rho * p.var_jump_mean,
          "< 1 (the jump compensator exists)");
}

/// e^z − 1 without cancellation for small |z|.
cplx expm1(cplx z) {
  const double x = z.real(), y = z.imag();
  const double s = std::sin(0.5 * y);
  return {std::expm1(x) * std::cos(y) - 2.0 * s * s, std::exp(x) * std::sin(y)};
}

/// Principal ln(1 + w) without cancellation for small |w|.
cplx log1p(cplx w) {
  const double x = w.real(), y = w.imag();
  return {0.5 * std::log1p(x * (2.0 + x) + y * y), std::atan2(y, 1.0 + x)};
}

/// ln(1 + w)/w, continuous at w = 0.
cplx log1p_over(cplx w) { return std::abs(w) < 1e-300 ? cplx(1.0) : log1p(w) / w; }

/// The Heston part of ln φ(u) and the intermediate terms the SVCJ jump part reuses.
struct HestonPart {
  cplx iu, z, d;
  cplx bmd;          ///< β − d
  cplx t1;           ///< (β − d)/ξ² = −z/(β + d)
  cplx q;            ///< (1 − E)/(2d)
  cplx b_coef;       ///< B(τ)
  cplx log_ratio;    ///< ln((1 − gE)/(1 − g)) = log1p((β − d) q)
  cplx log_cf;       ///< A_H(τ) + B(τ) v0
};

HestonPart heston_part(const ModelParams& p, cplx u, double tau) {
  HestonPart h;
  h.iu = cplx(-u.imag(), u.real());
  h.z = h.iu + u * u;
  const cplx beta = p.kappa - p.rho * p.xi * h.iu;
  h.d = std::sqrt(beta * beta + p.xi * p.xi * h.z);
  // (β + d)(β − d) = −ξ² z: form the smaller factor from the larger so neither cancels. β + d is the
  // small one only near z = 0 with Re β < 0 (u ≈ −i when ρξ > κ), where ξ is not small.
  cplx bpd = beta + h.d;
  if (h.z == 0.0) {
    h.bmd = h.t1 = 0.0;  // B ≡ 0 solves the Riccati equation
  } else if (std::abs(bpd) >= std::abs(beta - h.d)) {
    h.t1 = -h.z / bpd;
    h.bmd = p.xi * p.xi * h.t1;
  } else {
    h.bmd = beta - h.d;
    h.t1 = h.bmd / (p.xi * p.xi);
    bpd = -p.xi * p.xi * h.z / h.bmd;
  }
  const cplx dt = h.d * tau;
  const cplx one_minus_e = -expm1(-dt);
  h.q = std::abs(dt) < 1e-6 ? 0.5 * tau * (1.0 - 0.5 * dt + dt * dt / 6.0) : one_minus_e / (2.0 * h.d);
  const cplx e = 1.0 - one_minus_e;
  h.b_coef = h.z == 0.0 ? cplx(0.0) : -h.z * one_minus_e / (bpd - h.bmd * e);
  const cplx w = h.bmd * h.q;
  h.log_ratio = log1p(w);
  // A_H = κθ[(β − d)τ/ξ² − (2/ξ²) log1p(w)] with w/ξ² = t1·q.
  const cplx a_heston = p.kappa * p.theta * (h.t1 * tau - 2.0 * h.t1 * h.q * log1p_over(w));
  h.log_cf = a_heston + h.b_coef * p.v0;
  return h;
}

/// The jump part of ln φ(u): zero for heston, the compound-Poisson term for bates, and the
/// Duffie–Pan–Singleton integral for svcj (formulas at the top).
cplx jump_log_cf(const ModelParams& p, cplx u, double tau, const HestonPart& h) {
  if (p.type == ModelType::heston || p.jump_intensity == 0.0) return 0.0;
  const double sj2 = p.jump_stdev * p.jump_stdev;
  const cplx jump_cf = std::exp(h.iu * p.jump_mean - 0.5 * u * u * sj2);
  if (p.type == ModelType::bates || p.var_jump_mean == 0.0) {
    const double kbar = std::expm1(p.jump_mean + 0.5 * sj2);
    return p.jump_intensity * tau * (jump_cf - 1.0 - h.iu * kbar);
  }
  const double mv = p.var_jump_mean;
  const double kbar = std::exp(p.jump_mean + 0.5 * sj2) / (1.0 - p.jump_rho * mv) - 1.0;
  const cplx c = 1.0 - h.iu * p.jump_rho * mv;
  const cplx a = c - mv * h.t1;
  const cplx w2 = (c * h.bmd + mv * h.z) * h.q / c;
  cplx log_term_over_w2;  // ln(1 + w₂)/w₂ on the continuous branch
  if (std::abs(w2) < 0.5) {
    log_term_over_w2 = log1p_over(w2);
  } else {
    const cplx jump_factor = 1.0 - (h.iu * p.jump_rho + h.b_coef) * mv;  // right half-plane
    log_term_over_w2 = (std::log(jump_factor) - std::log(c) + h.log_ratio) / w2;
  }
  const cplx integral = tau / a - 2.0 * mv * h.t1 * h.q / (a * c) * log_term_over_w2;
  return p.jump_intensity * (jump_cf * integral - tau * (1.0 + h.iu * kbar));
}

/// ln φ(u) of X = ln(S_T/F_T) for the Heston family.
cplx log_cf_sv(const ModelParams& p, cplx u, double tau) {
  const HestonPart h = heston_part(p, u, tau);
  return h.log_cf + jump_log_cf(p, u, tau, h);
}

/// An upper bound of Re ln φ_jump(u − i/2) that decreases in u ≥ 0. |φ_jump| itself oscillates with
/// period 2π/|μ_J| when σ_J is small, so it cannot tell where the integrand has died out. Uses
/// |e^{i(u−i/2)μ − (u−i/2)²σ²/2}| = e^{μ/2 + σ²/8 − u²σ²/2} and, for svcj,
/// |1/(1 − (iuρ_J + B)μ_v)| ≤ 1/(1 − max(ρ_J, 0)μ_v/2) as Re B ≤ 0 on this line.
double jump_log_bound(const ModelParams& p, double u, double tau) {
  if (p.type == ModelType::heston || p.jump_intensity == 0.0) return 0.0;
  const double sj2 = p.jump_stdev * p.jump_stdev;
  const double size = std::exp(0.5 * p.jump_mean + 0.125 * sj2 - 0.5 * u * u * sj2);
  double kbar = std::expm1(p.jump_mean + 0.5 * sj2);
  double loading = 1.0;
  if (p.type == ModelType::svcj && p.var_jump_mean > 0.0) {
    const double mv = p.var_jump_mean;
    kbar = std::exp(p.jump_mean + 0.5 * sj2) / (1.0 - p.jump_rho * mv) - 1.0;
    loading = 1.0 / (1.0 - std::max(p.jump_rho, 0.0) * 0.5 * mv);
  }
  return p.jump_intensity * tau * (size * loading - 1.0 - 0.5 * kbar);
}

/// A panel of the adaptive quadrature. Its n integral estimates live in a shared buffer at
/// [slot·n, slot·n + n); error is the largest |Kronrod − Gauss| over the n integrands, each in units
/// of that integrand's tolerance.
struct Panel {
  double a, b, error;
  std::size_t slot;
};

/// Gauss–Kronrod (kKronrodPoints) on [a, b] for an integrand f(u, out) that writes n values.
template <class F>
Panel kronrod_panel(const F& f, std::span<const double> tol, double a, double b, std::size_t slot,
                    std::vector<double>& sums, std::vector<double>& scratch) {
  using Rule = boost::math::quadrature::gauss_kronrod<double, kKronrodPoints>;
  using Gauss = boost::math::quadrature::gauss<double, (kKronrodPoints - 1) / 2>;
  // The Gauss order (N − 1)/2 is odd, so the centre is a Gauss node and the other Gauss nodes sit at
  // the even Kronrod indices.
  static_assert(((kKronrodPoints - 1) / 2) % 2 == 1);
  const auto& x = Rule::abscissa();
  const auto& wk = Rule::weights();
  const auto& wg = Gauss::weights();
  const std::size_t n = tol.size();
  const double mid = 0.5 * (a + b), half = 0.5 * (b - a);
  double* kronrod = &sums[slot * n];
  double* gauss = scratch.data();
  double* fp = scratch.data() + n;
  double* fm = scratch.data() + 2 * n;
  f(mid, fp);
  for (std::size_t j = 0; j < n; ++j) {
    kronrod[j] = fp[j] * wk[0];
    gauss[j] = fp[j] * wg[0];
  }
  for (std::size_t i = 1; i < x.size(); ++i) {
    f(mid + half * x[i], fp);
    f(mid - half * x[i], fm);
    for (std::size_t j = 0; j < n; ++j) {
      const double pair = fp[j] + fm[j];
      kronrod[j] += pair * wk[i];
      if (i % 2 == 0) gauss[j] += pair * wg[i / 2];
    }
  }
  double error = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    error = std::max(error, half * std::fabs(kronrod[j] - gauss[j]) / tol[j]);
    kronrod[j] *= half;
  }
  return {a, b, error, slot};
}

/// ∫_a^b of n integrands at once, globally adaptive (QUADPACK's QAG): bisect the panel with the
/// largest error until the errors, in units of each integrand's tolerance, sum to at most 1. Starts
/// from `panels` equal panels so that none spans more than a few oscillations.
template <class F>
void integrate_adaptive(const F& f, double a, double b, int panels, std::span<const double> tol,
                        std::span<double> result) {
  const std::size_t n = tol.size();
  const auto by_error = [](const Panel& x, const Panel& y) { return x.error < y.error; };
  std::vector<Panel> heap;
  heap.reserve(static_cast<std::size_t>(panels) + kMaxBisections + 1);
  std::vector<double> sums(n * (static_cast<std::size_t>(panels) + kMaxBisections + 1));
  std::vector<double> scratch(3 * n);
  double total_error = 0.0;
  for (int i = 0; i < panels; ++i) {
    heap.push_back(kronrod_panel(f, tol, a + (b - a) * i / panels, a + (b - a) * (i + 1) / panels,
                                 heap.size(), sums, scratch));
    total_error += heap.back().error;
  }
  std::make_heap(heap.begin(), heap.end(), by_error);
  for (int k = 0; k < kMaxBisections && total_error > 1.0; ++k) {
    std::pop_heap(heap.begin(), heap.end(), by_error);
    const Panel worst = heap.back();
    heap.pop_back();
    const double mid = 0.5 * (worst.a + worst.b);
    // The left half reuses the bisected panel's slot, the right half takes a fresh one.
    const std::size_t fresh = static_cast<std::size_t>(panels) + k;
    for (const Panel& half : {kronrod_panel(f, tol, worst.a, mid, worst.slot, sums, scratch),
                              kronrod_panel(f, tol, mid, worst.b, fresh, sums, scratch)}) {
      heap.push_back(half);
      std::push_heap(heap.begin(), heap.end(), by_error);
      total_error += half.error;
    }
    total_error -= worst.error;
  }
  std::fill(result.begin(), result.end(), 0.0);
  for (const Panel& panel : heap)
    for (std::size_t j = 0; j < n; ++j) result[j] += sums[panel.slot * n + j];
}

/// Lewis prices of several options of one maturity, sharing the characteristic function (see top).
void price_fourier(const ModelParams& p, double tau, std::span<const OptionType> types,
                   std::span<const double> strikes, std::span<double> prices) {
  const std::size_t n = strikes.size();
  const double fwd = p.spot * std::exp((p.rate - p.dividend) * tau);
  const double cv_var = lewis_control_variance(p, tau);
  std::vector<double> log_moneyness(n), scale(n), tol(n);
  double max_abs_k = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    log_moneyness[j] = std::log(fwd / strikes[j]);
    max_abs_k = std::max(max_abs_k, std::fabs(log_moneyness[j]));
    scale[j] = std::sqrt(fwd * strikes[j]) * std::exp(-p.rate * tau) / kPi;
    // Absolute tolerance on the integral for kPriceTolerance·spot on the price.
    tol[j] = kPriceTolerance * p.spot / scale[j];
  }
  const auto integrand = [&](double u, double* out) {
    const double u2q = u * u + 0.25;
    const cplx phi = std::exp(log_cf_sv(p, cplx(u, -0.5), tau));
    const double phi_bs = std::exp(-0.5 * cv_var * tau * u2q);
    for (std::size_t j = 0; j < n; ++j) {
      const double c = std::cos(u * log_moneyness[j]), s = std::sin(u * log_moneyness[j]);
      out[j] = (c * (phi.real() - phi_bs) - s * phi.imag()) / u2q;
    }
  };
  // Truncate where the integrand's envelope, which decays at least like 1/u², leaves a tail below
  // a tenth of the tightest tolerance.
  const auto envelope = [&](double u) {
    const double u2q = u * u + 0.25;
    const double log_bound = heston_part(p, cplx(u, -0.5), tau).log_cf.real() + jump_log_bound(p, u, tau);
    return (std::exp(log_bound) + std::exp(-0.5 * cv_var * tau * u2q)) / u2q;
  };
  const double min_tol = *std::min_element(tol.begin(), tol.end());
  double u_max = 1.0;
  while (envelope(u_max) * u_max > 0.1 * min_tol && u_max < kMaxFrequency) u_max *= 1.5;
  // One starting panel per two periods 2π/|k| of e^{iuk}: the 31-point rule resolves that, and the
  // Gauss–Kronrod difference then measures the error reliably.
  const int panels = std::clamp(static_cast<int>(max_abs_k * u_max / (4 * kPi)) + 1, 2, kMaxInitialPanels);
  std::vector<double> integral(n);
  integrate_adaptive(integrand, 0.0, u_max, panels, tol, integral);
  const double sigma_cv = std::sqrt(cv_var);
  for (std::size_t j = 0; j < n; ++j) {
    const double bs = black_scholes_linear(types[j], p.spot, strikes[j], tau, p.rate, p.dividend, sigma_cv).price;
    prices[j] = bs - scale[j] * integral[j];
  }
}

}  // namespace

double lewis_control_variance(const ModelParams& p, double tau) {
  const double kt = p.kappa * tau;
  const double mean_reversion = kt > 1e-8 ? -std::expm1(-kt) / kt : 1.0 - 0.5 * kt;
  double theta = p.theta;
  double jump_var = 0.0;
  if (p.type == ModelType::bates || p.type == ModelType::svcj) {
    jump_var = p.jump_intensity * (p.jump_mean * p.jump_mean + p.jump_stdev * p.jump_stdev);
    if (p.type == ModelType::svcj) theta += p.jump_intensity * p.var_jump_mean / p.kappa;
  }
  const double var = theta + (p.v0 - theta) * mean_reversion + jump_var;
  return var > 1e-8 ? var : 1e-8;
}

std::complex<double> log_forward_cf(const ModelParams& model, std::complex<double> u,
                                    double maturity_years) {
  validate(model, maturity_years);
  if (model.type == ModelType::gbm) {
    const cplx iu(-u.imag(), u.real());
    return std::exp(-0.5 * model.vol * model.vol * maturity_years * (iu + u * u));
  }
  return std::exp(log_cf_sv(model, u, maturity_years));
}

namespace {

/// The checks every batch entry point makes: one type per strike, then the model, maturity and strikes.
void validate_batch(const char* name, const ModelParams& model, double maturity_years,
                    std::span<const OptionType> types, std::span<const double> strikes) {
  if (types.size() != strikes.size()) {
    throw InputError(std::string(name) + ": " + std::to_string(types.size()) + " option types for " +
                     std::to_string(strikes.size()) + " strikes; allowed: one type per strike");
  }
  validate(model, maturity_years);
  for (double k : strikes) validate_strike(model, k);
}

}  // namespace

std::vector<double> analytic_prices(const ModelParams& model, double maturity_years,
                                    std::span<const OptionType> types, std::span<const double> strikes) {
  validate_batch("analytic_prices", model, maturity_years, types, strikes);
  std::vector<double> prices(strikes.size());
  if (strikes.empty()) return prices;
  if (maturity_years == 0.0 || model.type == ModelType::gbm) {
    for (std::size_t j = 0; j < strikes.size(); ++j) {
      // σ = 0 gives the intrinsic value.
      const double sigma = maturity_years == 0.0 ? 0.0 : model.vol;
      prices[j] = black_scholes_linear(types[j], model.spot, strikes[j], maturity_years, model.rate,
                                       model.dividend, sigma)
                      .price;
    }
    return prices;
  }
  price_fourier(model, maturity_years, types, strikes, prices);
  return prices;
}

double analytic_price(const ModelParams& model, OptionType type, double strike, double maturity_years) {
  return analytic_prices(model, maturity_years, std::span(&type, 1), std::span(&strike, 1))[0];
}

}  // namespace hedgesim

// ---- Delta and gamma.
//
// Differentiating the Lewis formula in S at fixed K, with F ∝ S, √(FK) ∝ √S and ∂k/∂S = 1/S, and
// (1/2 + iu)/(u² + 1/4) = 1/(1/2 − iu):
//   Δ = e^{−qT} − √(FK) e^{−rT}/(π S) ∫_0^∞ Re[e^{iuk} φ(u − i/2) / (1/2 − iu)] du,
//   Γ = √(FK) e^{−rT}/(π S²) ∫_0^∞ Re[e^{iuk} φ(u − i/2)] du.
// The same Black–Scholes control variate as the price: Δ_BS(σ̄), Γ_BS(σ̄) outside, φ − φ_BS inside.
//
// Tail split (bates, svcj). Short maturities at low variance make φ decay only where u reaches the
// inverse of the tiny diffusive standard deviation, and strikes the jumps reach lie far out, so the
// integrand e^{iuk}φ oscillates thousands of times. But φ = A + (φ − A) with
// A(u) = e^{−λτ(1 + iu k̄)}·φ_H(u), the paths without a jump (φ_H the Heston part: no price or
// variance jump), and φ − A decays with the jump-size characteristic function. A is e^{−λτ} times the
// law of X_H + c, c = −λτk̄, whose delta integral is e^{−λτ}e^{c/2}·G_H(k + c); beyond kHestonTailSds
// standard deviations of X_H, G_H(k') is its deep-strike limit, π e^{k'/2} out of the money and 0 in
// it (Δ_H = 0 or e^{−qT}), and the gamma integral 0. Those strikes integrate only φ − A, over the
// jump CF's short range, and add that limit; the error is the Heston tail probability beyond
// kHestonTailSds standard deviations (below 1e-6 in delta even for ξ = 1.5, 2κθ = 0.5 at v = 0).
namespace hedgesim {
namespace {

/// Absolute accuracy aimed at for delta, and for gamma in units of 1/(S·σ̄√T).
constexpr double kGreekTolerance = 1e-11;
/// Jump models: strikes beyond this many standard deviations of the no-jump distribution take the
/// tail split (below).
constexpr double kHestonTailSds = 24.0;

/// The delta and gamma integrals of one ψ for strikes k_g,
///   ∫_0^{u_max} Re[e^{iuk_g} ψ(u)/(1/2 − iu)] du  and  ∫_0^{u_max} Re[e^{iuk_g} ψ(u)] du,
/// by the globally adaptive Gauss–Kronrod scheme of integrate_adaptive. At the nodes
/// u = mid ± h·x_i of a panel, e^{iuk} = e^{i·mid·k}·e^{±i·h·x_i·k}; the second factor depends only
/// on the panel's width, which is the initial width halved `level` times, so it is tabulated once per
/// level and a panel costs one sincos per strike instead of one per node and strike.
class FourierGreekIntegrals {
 public:
  FourierGreekIntegrals(std::span<const double> k, std::span<const double> tol) : k_(k), tol_(tol) {}

  template <class Psi>
  std::vector<double> integrate(const Psi& psi, double u_max, int panels) {
    const std::size_t m = k_.size();
    half0_ = 0.5 * u_max / panels;
    const auto by_error = [](const Panel& x, const Panel& y) { return x.error < y.error; };
    std::vector<Panel> heap;
    sums_.clear();
    double total_error = 0.0;
    for (int i = 0; i < panels; ++i) {
      heap.push_back(panel(psi, 2.0 * half0_ * i, 0, heap.size()));
      total_error += heap.back().error;
    }
    std::make_heap(heap.begin(), heap.end(), by_error);
    for (int k = 0; k < kMaxBisections && total_error > 1.0; ++k) {
      std::pop_heap(heap.begin(), heap.end(), by_error);
      const Panel worst = heap.back();
      heap.pop_back();
      // Panel::b holds the level; the halves start at a and a + width/2.
      const int level = static_cast<int>(worst.b) + 1;
      const double half = std::ldexp(half0_, -level);
      const std::size_t fresh = static_cast<std::size_t>(panels) + k;
      for (const Panel& p : {panel(psi, worst.a, level, worst.slot), panel(psi, worst.a + 2.0 * half, level, fresh)}) {
        heap.push_back(p);
        std::push_heap(heap.begin(), heap.end(), by_error);
        total_error += p.error;
      }
      total_error -= worst.error;
    }
    std::vector<double> result(2 * m, 0.0);
    for (const Panel& p : heap)
      for (std::size_t j = 0; j < 2 * m; ++j) result[j] += sums_[p.slot * 2 * m + j];
    return result;
  }

 private:
  using Rule = boost::math::quadrature::gauss_kronrod<double, kKronrodPoints>;
  using Gauss = boost::math::quadrature::gauss<double, (kKronrodPoints - 1) / 2>;

  /// e^{i·h·x_i·k_g} for the panel width of `level`, i = 1 … 15 (row i − 1).
  const std::vector<cplx>& rotations(int level) {
    while (static_cast<int>(rotations_.size()) <= level) {
      const double half = std::ldexp(half0_, -static_cast<int>(rotations_.size()));
      const auto& x = Rule::abscissa();
      std::vector<cplx> r((x.size() - 1) * k_.size());
      for (std::size_t i = 1; i < x.size(); ++i)
        for (std::size_t g = 0; g < k_.size(); ++g) r[(i - 1) * k_.size() + g] = std::polar(1.0, half * x[i] * k_[g]);
      rotations_.push_back(std::move(r));
    }
    return rotations_[level];
  }

  /// One panel [a, a + 2h], h = half0·2^{−level}; its Kronrod sums go to slot `slot`. The returned
  /// Panel keeps the level in `b`.
  template <class Psi>
  Panel panel(const Psi& psi, double a, int level, std::size_t slot) {
    const std::size_t m = k_.size();
    const double half = std::ldexp(half0_, -level);
    const double mid = a + half;
    const auto& x = Rule::abscissa();
    const auto& wk = Rule::weights();
    const auto& wg = Gauss::weights();
    const std::vector<cplx>& rot = rotations(level);
    if (sums_.size() < (slot + 1) * 2 * m) sums_.resize((slot + 1) * 2 * m);
    base_.resize(m);
    gauss_.assign(2 * m, 0.0);
    double* kronrod = &sums_[slot * 2 * m];
    std::fill(kronrod, kronrod + 2 * m, 0.0);
    for (std::size_t g = 0; g < m; ++g) base_[g] = std::polar(1.0, mid * k_[g]);
    // Adds Re[e·w], Re[e·ψ] with weights to the sums, e = e^{iuk_g} = base·(rotation or 1).
    const auto add = [&](double u, const cplx* rot_row, bool conj, double w_k, double w_g) {
      const cplx p = psi(u);
      const cplx w = p * cplx(0.5, u) / (u * u + 0.25);  // ψ/(1/2 − iu)
      for (std::size_t g = 0; g < m; ++g) {
        cplx e = base_[g];
        if (rot_row != nullptr) e *= conj ? std::conj(rot_row[g]) : rot_row[g];
        const double d = e.real() * w.real() - e.imag() * w.imag();
        const double c = e.real() * p.real() - e.imag() * p.imag();
        kronrod[2 * g] += w_k * d;
        kronrod[2 * g + 1] += w_k * c;
        gauss_[2 * g] += w_g * d;
        gauss_[2 * g + 1] += w_g * c;
      }
    };
    add(mid, nullptr, false, wk[0], wg[0]);
    for (std::size_t i = 1; i < x.size(); ++i) {
      const double w_g = i % 2 == 0 ? wg[i / 2] : 0.0;
      add(mid + half * x[i], &rot[(i - 1) * m], false, wk[i], w_g);
      add(mid - half * x[i], &rot[(i - 1) * m], true, wk[i], w_g);
    }
    double error = 0.0;
    for (std::size_t j = 0; j < 2 * m; ++j) {
      error = std::max(error, half * std::fabs(kronrod[j] - gauss_[j]) / tol_[j]);
      kronrod[j] *= half;
    }
    return {a, static_cast<double>(level), error, slot};
  }

  std::span<const double> k_, tol_;
  double half0_ = 0.0;
  std::vector<std::vector<cplx>> rotations_;
  std::vector<double> sums_, gauss_;
  std::vector<cplx> base_;
};

/// Fourier delta and gamma of several options of one maturity (formulas above).
void greeks_fourier(const ModelParams& p, double tau, std::span<const OptionType> types,
                    std::span<const double> strikes, std::span<AnalyticGreeks> greeks) {
  const std::size_t n = strikes.size();
  const double fwd = p.spot * std::exp((p.rate - p.dividend) * tau);
  const double cv_var = lewis_control_variance(p, tau);
  const double cv_sd = std::sqrt(cv_var * tau);
  const double df_q = std::exp(-p.dividend * tau);
  std::vector<double> log_moneyness(n), scale(n), tol(2 * n);
  for (std::size_t j = 0; j < n; ++j) {
    log_moneyness[j] = std::log(fwd / strikes[j]);
    scale[j] = std::sqrt(fwd * strikes[j]) * std::exp(-p.rate * tau) / kPi;
    // Integral tolerances: delta error = scale/S · integral error; gamma error = scale/S² · integral
    // error, aimed at kGreekTolerance/(S·σ̄√T).
    tol[2 * j] = kGreekTolerance * p.spot / scale[j];
    tol[2 * j + 1] = kGreekTolerance * p.spot / (scale[j] * cv_sd);
  }

  // Jump models: strikes far outside the no-jump (Heston) distribution take the split described at
  // greeks_fourier_tail_split; the rest the full integrand.
  const bool split = (p.type == ModelType::bates || p.type == ModelType::svcj) && p.jump_intensity > 0.0 &&
                     p.jump_stdev > 0.0;
  double kbar = 0.0, shift = 0.0, tail_from = HUGE_VAL;
  if (split) {
    const double sj2 = p.jump_stdev * p.jump_stdev;
    kbar = p.type == ModelType::svcj && p.var_jump_mean > 0.0
               ? std::exp(p.jump_mean + 0.5 * sj2) / (1.0 - p.jump_rho * p.var_jump_mean) - 1.0
               : std::expm1(p.jump_mean + 0.5 * sj2);
    shift = -p.jump_intensity * tau * kbar;
    const double kt = p.kappa * tau;
    const double heston_var = p.theta * tau + (p.v0 - p.theta) * (kt > 1e-8 ? -std::expm1(-kt) / p.kappa : tau);
    tail_from = kHestonTailSds * std::sqrt(std::max(heston_var, 0.0));
  }
  std::vector<std::size_t> core, tail;
  for (std::size_t j = 0; j < n; ++j)
    (std::fabs(log_moneyness[j] + shift) > tail_from ? tail : core).push_back(j);

  // ∫_0^{u_max} of the delta and gamma integrands of ψ for the strikes in `group`, u_max where
  // envelope(u)·(1 + u) (the gamma integrand has no 1/u² factor) is below a hundredth of the
  // tightest tolerance.
  const auto integrate = [&](const std::vector<std::size_t>& group, const auto& psi_of, const auto& envelope) {
    const std::size_t m = group.size();
    std::vector<double> k(m), group_tol(2 * m);
    double max_abs_k = 0.0;
    for (std::size_t g = 0; g < m; ++g) {
      k[g] = log_moneyness[group[g]];
      max_abs_k = std::max(max_abs_k, std::fabs(k[g]));
      group_tol[2 * g] = tol[2 * group[g]];
      group_tol[2 * g + 1] = tol[2 * group[g] + 1];
    }
    const double min_tol = *std::min_element(group_tol.begin(), group_tol.end());
    double u_max = 1.0;
    while (envelope(u_max) * (1.0 + u_max) > 0.01 * min_tol && u_max < kMaxFrequency) u_max *= 1.5;
    const int panels = std::clamp(static_cast<int>(max_abs_k * u_max / (4 * kPi)) + 1, 2, kMaxInitialPanels);
    return FourierGreekIntegrals(k, group_tol).integrate(psi_of, u_max, panels);
  };

  if (!core.empty()) {
    const auto psi = [&](double u) {
      return std::exp(log_cf_sv(p, cplx(u, -0.5), tau)) - std::exp(-0.5 * cv_var * tau * (u * u + 0.25));
    };
    const auto envelope = [&](double u) {
      const double log_bound = heston_part(p, cplx(u, -0.5), tau).log_cf.real() + jump_log_bound(p, u, tau);
      return std::exp(log_bound) + std::exp(-0.5 * cv_var * tau * (u * u + 0.25));
    };
    const std::vector<double> integral = integrate(core, psi, envelope);
    const double sigma_cv = std::sqrt(cv_var);
    for (std::size_t g = 0; g < core.size(); ++g) {
      const std::size_t j = core[g];
      const Greeks<double> bs = black_scholes_linear(types[j], p.spot, strikes[j], tau, p.rate, p.dividend, sigma_cv);
      greeks[j].delta = bs.delta - scale[j] / p.spot * integral[2 * g];
      greeks[j].gamma = bs.gamma + scale[j] / (p.spot * p.spot) * integral[2 * g + 1];
    }
  }
  if (!tail.empty()) {
    const double lt = p.jump_intensity * tau;
    // ψ = φ − A, A = φ_H e^{−λτ(1 + i(u − i/2)k̄)}: e^{ln φ_jump + λτ(1 + iu k̄)} − 1 is the part of the
    // jump factor that decays with the jump-size characteristic function.
    const auto psi = [&](double u) {
      const HestonPart h = heston_part(p, cplx(u, -0.5), tau);
      const cplx compensator = lt * (1.0 + h.iu * kbar);
      return std::exp(h.log_cf - compensator) * expm1(jump_log_cf(p, cplx(u, -0.5), tau, h) + compensator);
    };
    // |e^x − 1| ≤ |x| e^{|x|} with |x| ≤ λτ·|jump CF|·(svcj loading), as in jump_log_bound.
    const double sj2 = p.jump_stdev * p.jump_stdev;
    const double loading = p.type == ModelType::svcj && p.var_jump_mean > 0.0
                               ? 1.0 / (1.0 - std::max(p.jump_rho, 0.0) * 0.5 * p.var_jump_mean)
                               : 1.0;
    const auto envelope = [&](double u) {
      const double x = lt * loading * std::exp(0.5 * p.jump_mean + 0.125 * sj2 - 0.5 * u * u * sj2);
      return std::exp(heston_part(p, cplx(u, -0.5), tau).log_cf.real() - lt * (1.0 + 0.5 * kbar)) * x * std::exp(x);
    };
    const std::vector<double> integral = integrate(tail, psi, envelope);
    const double a_weight = std::exp(-lt + 0.5 * shift);  // e^{−λτ} e^{c/2}
    for (std::size_t g = 0; g < tail.size(); ++g) {
      const std::size_t j = tail[g];
      const double kc = log_moneyness[j] + shift;
      const double a_delta = kc < 0.0 ? a_weight * kPi * std::exp(0.5 * kc) : 0.0;
      const double call_delta = df_q - scale[j] / p.spot * (integral[2 * g] + a_delta);
      greeks[j].delta = types[j] == OptionType::call ? call_delta : call_delta - df_q;
      greeks[j].gamma = scale[j] / (p.spot * p.spot) * integral[2 * g + 1];
    }
  }
}

}  // namespace

std::vector<AnalyticGreeks> analytic_greeks(const ModelParams& model, double maturity_years,
                                            std::span<const OptionType> types, std::span<const double> strikes) {
  validate_batch("analytic_greeks", model, maturity_years, types, strikes);
  std::vector<AnalyticGreeks> greeks(strikes.size());
  if (strikes.empty()) return greeks;
  if (maturity_years == 0.0 || model.type == ModelType::gbm) {
    for (std::size_t j = 0; j < strikes.size(); ++j) {
      const double sigma = maturity_years == 0.0 ? 0.0 : model.vol;
      const Greeks<double> bs = black_scholes_linear(types[j], model.spot, strikes[j], maturity_years,
                                                     model.rate, model.dividend, sigma);
      greeks[j] = {bs.delta, bs.gamma};
    }
    return greeks;
  }
  greeks_fourier(model, maturity_years, types, strikes, greeks);
  return greeks;
}

double analytic_delta(const ModelParams& model, OptionType type, double strike, double maturity_years) {
  return analytic_greeks(model, maturity_years, std::span(&type, 1), std::span(&strike, 1))[0].delta;
}

}  // namespace hedgesim
