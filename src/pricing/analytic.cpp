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
// φ = exp(A(T) + B(T) v0) is affine. With z = iu + u², β = κ − iρξu, d = √(β² + ξ² z) (Re d ≥ 0),
// g = (β − d)/(β + d) = −ξ² z/(β + d)², E = e^{−dτ} (the "little Heston trap" form, Albrecher et al.):
//   B(τ) = −z (1 − E) / ((β + d)(1 − g E)),
//   A_H(τ) = κθ [ −z τ/(β + d) − (2/ξ²) ln((1 − g E)/(1 − g)) ].
// The logarithm is written log1p(w), w = g(1 − E)/(1 − g), and w/ξ² is formed without dividing by ξ²,
// so ξ → 0 stays accurate.
// Bates adds λτ(e^{iuμ_J − u²σ_J²/2} − 1 − iu k̄), k̄ = e^{μ_J + σ_J²/2} − 1.
// SVCJ (Duffie–Pan–Singleton 2000) adds λ ∫_0^τ [e^{iuμ_S − u²σ_S²/2}/(1 − (iuρ_J + B(s))μ_v) − 1 − iu k̄] ds,
// k̄ = e^{μ_S + σ_S²/2}/(1 − ρ_J μ_v) − 1. B(s) is a Möbius map of e^{−ds}, so with c = 1 − iuρ_J μ_v,
// a = c + μ_v z/(β + d), b = −c g − μ_v z/(β + d):
//   ∫_0^τ ds/(1 − (iuρ_J + B(s))μ_v) = τ/a + 2 μ_v z (1 − E)/((β + d)² a (a + b)) · log1p(w₂)/w₂,
//   w₂ = −b(1 − E)/(a + b),  1 + w₂ = (1 − (iuρ_J + B(τ))μ_v)(1 − g E) / ((1 − iuρ_J μ_v)(1 − g)).
// For large |w₂| the logarithm is taken factor by factor, each factor in the right half-plane or the
// Heston one, so it stays continuous in u.
#include "hedgesim/pricing/analytic.hpp"

#include <algorithm>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <vector>
#include <limits>
#include <sstream>
#include <string>

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

[[noreturn]] void reject(const char* name, double value, const char* allowed) {
  std::ostringstream msg;
  msg.precision(17);
  msg << "analytic pricer: " << name << " = " << value << " is invalid; allowed: " << allowed;
  throw InputError(msg.str());
}

void require(bool ok, const char* name, double value, const char* allowed) {
  if (!ok) reject(name, value, allowed);
}

void validate(const ModelParams& p, double strike, double maturity) {
  const auto finite = [](double x) { return std::isfinite(x); };
  require(finite(p.spot) && p.spot > 0, "spot", p.spot, "finite and > 0");
  require(finite(strike) && strike > 0, "strike", strike, "finite and > 0");
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

/// ln φ(u) of X = ln(S_T/F_T) for the Heston family (jump parts by model type).
cplx log_cf_sv(const ModelParams& p, cplx u, double tau) {
  const cplx iu(-u.imag(), u.real());
  const cplx z = iu + u * u;
  const cplx beta = p.kappa - p.rho * p.xi * iu;
  const cplx d = std::sqrt(beta * beta + p.xi * p.xi * z);
  const cplx bd = beta + d;
  const cplx one_minus_e = -expm1(-d * tau);  // 1 − E
  const cplx e = 1.0 - one_minus_e;
  const cplx g_over_xi2 = -z / (bd * bd);
  const cplx g = p.xi * p.xi * g_over_xi2;
  const cplx one_minus_g = 1.0 - g;
  const cplx b_coef = -z * one_minus_e / (bd * (1.0 - g * e));
  const cplx w = g * one_minus_e / one_minus_g;
  const cplx w_over_xi2 = g_over_xi2 * one_minus_e / one_minus_g;
  const cplx log_ratio = log1p(w);  // ln((1 − gE)/(1 − g))
  const cplx a_heston = p.kappa * p.theta * (-z * tau / bd - 2.0 * w_over_xi2 * log1p_over(w));
  cplx result = a_heston + b_coef * p.v0;
  if (p.type == ModelType::heston || p.jump_intensity == 0.0) return result;

  const double sj2 = p.jump_stdev * p.jump_stdev;
  const cplx jump_cf = std::exp(iu * p.jump_mean - 0.5 * u * u * sj2);
  if (p.type == ModelType::bates || p.var_jump_mean == 0.0) {
    const double kbar = std::expm1(p.jump_mean + 0.5 * sj2);
    return result + p.jump_intensity * tau * (jump_cf - 1.0 - iu * kbar);
  }
  const double mv = p.var_jump_mean;
  const double kbar = std::exp(p.jump_mean + 0.5 * sj2) / (1.0 - p.jump_rho * mv) - 1.0;
  const cplx c = 1.0 - iu * p.jump_rho * mv;
  const cplx mz = mv * z / bd;
  const cplx a = c + mz;
  const cplx apb = c * one_minus_g;  // a + b
  const cplx b = apb - a;
  const cplx w2 = -b * one_minus_e / apb;
  cplx log_term_over_w2;  // ln(1 + w₂)/w₂ on the continuous branch
  if (std::abs(w2) < 0.5) {
    log_term_over_w2 = log1p_over(w2);
  } else {
    const cplx jump_factor = 1.0 - (iu * p.jump_rho + b_coef) * mv;  // right half-plane
    log_term_over_w2 = (std::log(jump_factor) - std::log(c) + log_ratio) / w2;
  }
  const cplx integral = tau / a + 2.0 * mz * one_minus_e / (bd * a * apb) * log_term_over_w2;
  return result + p.jump_intensity * (jump_cf * integral - tau * (1.0 + iu * kbar));
}

/// Variance per year of the Black–Scholes control variate: the model's mean variance over [0, T],
/// jumps included, so φ − φ_BS is small and the integrand decays fast.
double control_variance(const ModelParams& p, double tau) {
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

/// One Gauss–Kronrod panel: the Kronrod estimate and |Kronrod − Gauss| as its error.
struct Panel {
  double a, b, value, error;
};

template <class F>
Panel kronrod_panel(const F& f, double a, double b) {
  using Rule = boost::math::quadrature::gauss_kronrod<double, kKronrodPoints>;
  using Gauss = boost::math::quadrature::gauss<double, (kKronrodPoints - 1) / 2>;
  const auto& x = Rule::abscissa();
  const auto& wk = Rule::weights();
  const auto& wg = Gauss::weights();
  const double mid = 0.5 * (a + b), half = 0.5 * (b - a);
  // The Gauss order (N − 1)/2 is odd for the 15/31/… rules, so the centre is a Gauss node, and
  // Gauss nodes sit at the even Kronrod indices.
  static_assert(((kKronrodPoints - 1) / 2) % 2 == 1);
  const double f0 = f(mid);
  double kronrod = f0 * wk[0], gauss = f0 * wg[0];
  for (std::size_t i = 1; i < x.size(); ++i) {
    const double pair = f(mid + half * x[i]) + f(mid - half * x[i]);
    kronrod += pair * wk[i];
    if (i % 2 == 0) gauss += pair * wg[i / 2];
  }
  return {a, b, half * kronrod, half * std::fabs(kronrod - gauss)};
}

/// ∫_a^b f, globally adaptive (QUADPACK QAG): bisect the panel with the largest error estimate until
/// the estimates sum to at most tol. Starts from `panels` equal panels so that no panel spans more
/// than a couple of oscillations of the integrand.
template <class F>
double integrate_adaptive(const F& f, double a, double b, int panels, double tol) {
  const auto by_error = [](const Panel& x, const Panel& y) { return x.error < y.error; };
  std::vector<Panel> heap;
  heap.reserve(static_cast<std::size_t>(panels) + kMaxBisections);
  double total_error = 0.0;
  for (int i = 0; i < panels; ++i) {
    heap.push_back(kronrod_panel(f, a + (b - a) * i / panels, a + (b - a) * (i + 1) / panels));
    total_error += heap.back().error;
  }
  std::make_heap(heap.begin(), heap.end(), by_error);
  for (int n = 0; n < kMaxBisections && total_error > tol; ++n) {
    std::pop_heap(heap.begin(), heap.end(), by_error);
    const Panel worst = heap.back();
    heap.pop_back();
    const double mid = 0.5 * (worst.a + worst.b);
    for (const Panel& half : {kronrod_panel(f, worst.a, mid), kronrod_panel(f, mid, worst.b)}) {
      heap.push_back(half);
      std::push_heap(heap.begin(), heap.end(), by_error);
      total_error += half.error;
    }
    total_error -= worst.error;
  }
  double sum = 0.0;
  for (const Panel& p : heap) sum += p.value;
  return sum;
}

double price_fourier(const ModelParams& p, OptionType type, double strike, double tau) {
  const double fwd = p.spot * std::exp((p.rate - p.dividend) * tau);
  const double k = std::log(fwd / strike);
  const double cv_var = control_variance(p, tau);
  const double scale = std::sqrt(fwd * strike) * std::exp(-p.rate * tau) / kPi;
  const auto envelope = [&](double u) {
    const double u2q = u * u + 0.25;
    return (std::exp(log_cf_sv(p, cplx(u, -0.5), tau).real()) + std::exp(-0.5 * cv_var * tau * u2q)) / u2q;
  };
  const auto integrand = [&](double u) {
    const double u2q = u * u + 0.25;
    const cplx phi = std::exp(log_cf_sv(p, cplx(u, -0.5), tau));
    const cplx osc(std::cos(u * k), std::sin(u * k));
    const double diff = (osc * phi).real() - osc.real() * std::exp(-0.5 * cv_var * tau * u2q);
    return diff / u2q;
  };
  // Absolute tolerance on the integral for kPriceTolerance·spot on the price.
  const double tol = kPriceTolerance * p.spot / scale;
  // Truncate where the integrand's envelope, which decays at least like 1/u², leaves a tail below
  // a tenth of the tolerance.
  double u_max = 1.0;
  while (envelope(u_max) * u_max > 0.1 * tol && u_max < kMaxFrequency) u_max *= 1.5;
  const int panels = std::clamp(static_cast<int>(std::fabs(k) * u_max / kPi) + 1, 4, kMaxInitialPanels);
  const double integral = integrate_adaptive(integrand, 0.0, u_max, panels, tol);
  const double bs =
      black_scholes_linear(type, p.spot, strike, tau, p.rate, p.dividend, std::sqrt(cv_var)).price;
  return bs - scale * integral;
}

}  // namespace

std::complex<double> log_forward_cf(const ModelParams& model, std::complex<double> u,
                                    double maturity_years) {
  validate(model, 1.0, maturity_years);
  if (model.type == ModelType::gbm) {
    const cplx iu(-u.imag(), u.real());
    return std::exp(-0.5 * model.vol * model.vol * maturity_years * (iu + u * u));
  }
  return std::exp(log_cf_sv(model, u, maturity_years));
}

double analytic_price(const ModelParams& model, OptionType type, double strike, double maturity_years) {
  validate(model, strike, maturity_years);
  if (maturity_years == 0.0) {
    const double gap = type == OptionType::call ? model.spot - strike : strike - model.spot;
    return gap > 0 ? gap : 0.0;
  }
  if (model.type == ModelType::gbm) {
    return black_scholes_linear(type, model.spot, strike, maturity_years, model.rate, model.dividend,
                                model.vol)
        .price;
  }
  return price_fourier(model, type, strike, maturity_years);
}

}  // namespace hedgesim
