// Implied volatility by Newton's method on s = σ√T, safeguarded by a bracket that every step
// shrinks: an out-of-range Newton step is replaced by bisection, so it always converges. The price is
// monotone in s (vega > 0), which makes the bracket valid.
#include "hedgesim/calibration/implied_vol.hpp"

#include <cmath>
#include <limits>

#include "hedgesim/math.hpp"

namespace hedgesim {
namespace {

using m::norm_cdf;
using m::norm_pdf;

/// Normalised price at total volatility s > 0.
double price_at(OptionType type, double x, double s) {
  const double d1 = -std::log(x) / s + 0.5 * s, d2 = d1 - s;
  return type == OptionType::call ? norm_cdf(d1) - x * norm_cdf(d2) : x * norm_cdf(-d2) - norm_cdf(-d1);
}

}  // namespace

double black_normalised(OptionType type, double moneyness, double maturity, double sigma) {
  if (!(sigma > 0.0) || !(maturity > 0.0))
    return type == OptionType::call ? std::fmax(1.0 - moneyness, 0.0) : std::fmax(moneyness - 1.0, 0.0);
  return price_at(type, moneyness, sigma * std::sqrt(maturity));
}

double black_normalised_vega(double moneyness, double maturity, double sigma) {
  if (!(sigma > 0.0) || !(maturity > 0.0)) return 0.0;
  const double s = sigma * std::sqrt(maturity);
  const double d1 = -std::log(moneyness) / s + 0.5 * s;
  return norm_pdf(d1) * std::sqrt(maturity);
}

double implied_vol(OptionType type, double moneyness, double maturity, double price, double guess) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!(maturity > 0.0) || !(moneyness > 0.0) || !std::isfinite(price)) return nan;
  const double x = moneyness;
  const double intrinsic = type == OptionType::call ? std::fmax(1.0 - x, 0.0) : std::fmax(x - 1.0, 0.0);
  const double upper = type == OptionType::call ? 1.0 : x;
  if (!(price > intrinsic) || !(price < upper)) return nan;
  const double sqrt_t = std::sqrt(maturity);
  double lo = 1e-8, hi = 50.0;  // total vol s = σ√T
  double s = guess > 0.0 ? guess * sqrt_t : std::sqrt(2.0 * std::fabs(std::log(x))) + 0.2;
  if (!(s > lo && s < hi)) s = 0.5;
  for (int it = 0; it < 200; ++it) {
    const double f = price_at(type, x, s) - price;
    if (f > 0.0) hi = s; else lo = s;
    const double d1 = -std::log(x) / s + 0.5 * s;
    const double vega = norm_pdf(d1);  // ∂price/∂s
    double next = vega > 0.0 ? s - f / vega : 0.5 * (lo + hi);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::fabs(next - s) <= 1e-12 * std::fmax(1.0, s) || hi - lo <= 1e-14) return next / sqrt_t;
    s = next;
  }
  return s / sqrt_t;
}

}  // namespace hedgesim
