// Two-sample Kolmogorov–Smirnov statistic and its asymptotic p-value (two_sample.hpp).
#include "hedgesim/stats/two_sample.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

namespace hedgesim {

double ks_statistic(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> x(a.begin(), a.end()), y(b.begin(), b.end());
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  const double na = static_cast<double>(x.size()), nb = static_cast<double>(y.size());
  std::size_t i = 0, j = 0;
  double d = 0.0;
  while (i < x.size() && j < y.size()) {
    const double v = std::min(x[i], y[j]);
    while (i < x.size() && x[i] == v) ++i;
    while (j < y.size() && y[j] == v) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  return d;
}

double kolmogorov_q(double lambda) {
  if (!(lambda > 0.0)) return 1.0;
  if (lambda < 1.18) {
    const double pi = std::numbers::pi;
    const double w = pi * pi / (8.0 * lambda * lambda);
    double sum = 0.0;
    for (int k = 1; k <= 20; ++k) sum += std::exp(-static_cast<double>((2 * k - 1) * (2 * k - 1)) * w);
    return std::clamp(1.0 - std::sqrt(2.0 * pi) / lambda * sum, 0.0, 1.0);
  }
  double sum = 0.0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * lambda * lambda);
    sum += (k % 2 == 1 ? term : -term);
    if (term < 1e-17) break;
  }
  return std::clamp(2.0 * sum, 0.0, 1.0);
}

double ks_p_value(double d, double n_a, double n_b) {
  if (!std::isfinite(d) || !(n_a > 0.0) || !(n_b > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  const double ne = n_a * n_b / (n_a + n_b);
  const double root = std::sqrt(ne);
  return kolmogorov_q((root + 0.12 + 0.11 / root) * d);
}

}  // namespace hedgesim
