// Per-policy summary statistics: moments, type-7 quantiles, VaR/ES and histograms (summary.hpp).
//
// Order statistics are found by selection on one copy of the values: the worst ⌊n/20⌋ + 1 values are
// separated by std::nth_element and sorted (ES95 and ES99 sum them in ascending order, and every
// quantile that falls among them is read directly), and the other order statistics the quantile
// levels need are placed by a recursive multi-select (nth_element at the middle wanted index, then
// each side), O(n log k) for k wanted indices. Neither libstdc++'s nth_element nor sort uses
// randomness, so the same input gives the same bits.
#include "hedgesim/stats/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hedgesim/errors.hpp"

namespace hedgesim {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Throws RuntimeFailure naming how many values are not finite, and the first one.
void require_finite(std::span<const double> values, const char* what) {
  std::size_t bad = 0, first = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      if (bad == 0) first = i;
      ++bad;
    }
  }
  if (bad != 0)
    throw RuntimeFailure(fmt::format("{}: {} of {} values are not finite (first at index {}: {}); expected only "
                                     "finite per-path results (a non-finite result is a bug upstream)",
                                     what, bad, values.size(), first, values[first]));
}

// Places buf[k] for every k in the sorted, unique `wanted` (all in [first, last)) at its sorted
// position, with everything before it ≤ and after it ≥.
void multiselect(std::vector<double>& buf, std::size_t first, std::size_t last, const std::size_t* wanted_begin,
                 const std::size_t* wanted_end) {
  while (wanted_begin != wanted_end) {
    const std::size_t* mid = wanted_begin + (wanted_end - wanted_begin) / 2;
    const std::size_t k = *mid;
    std::nth_element(buf.begin() + static_cast<std::ptrdiff_t>(first), buf.begin() + static_cast<std::ptrdiff_t>(k),
                     buf.begin() + static_cast<std::ptrdiff_t>(last));
    // Left half recursively, right half by iteration.
    multiselect(buf, first, k, wanted_begin, mid);
    first = k + 1;
    wanted_begin = mid + 1;
  }
}

// Type-7 position of level p in a sample of n: x_(j) + t (x_(j+1) − x_(j)).
struct Position {
  std::size_t j;
  double t;
};

Position type7_position(std::size_t n, double p) {
  const double h = static_cast<double>(n - 1) * p;
  double j = std::floor(h);
  if (j >= static_cast<double>(n - 1)) return {n - 1, 0.0};
  if (j < 0.0) j = 0.0;
  return {static_cast<std::size_t>(j), h - j};
}

double lerp_order(const std::vector<double>& sorted_at, Position pos) {
  const double a = sorted_at[pos.j];
  if (pos.t == 0.0) return a;
  const double b = sorted_at[pos.j + 1];
  return a + pos.t * (b - a);
}

// Neumaier-compensated sum of buf[0, k), in index order.
double tail_sum(const std::vector<double>& buf, std::size_t k) {
  double sum = 0.0, comp = 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    const double x = buf[i];
    const double s = sum + x;
    comp += std::fabs(sum) >= std::fabs(x) ? (sum - s) + x : (x - s) + sum;
    sum = s;
  }
  return sum + comp;
}

// ES with β = 1/m from the ascending-sorted tail buf[0, ⌊n/m⌋] (Acerbi–Tasche):
//   ES = −(1/(nβ))(Σ_{i<K} x_(i) + (nβ − K) x_(K)) = −(m Σ_{i<K} x_(i) + r x_(K)) / n,
// K = ⌊n/m⌋, r = n mod m, all in integers so the tail size is exact.
double expected_shortfall(const std::vector<double>& buf, std::size_t n, std::size_t m) {
  const std::size_t k = n / m, r = n % m;
  double total = static_cast<double>(m) * tail_sum(buf, k);
  if (r != 0) total += static_cast<double>(r) * buf[k];
  return -total / static_cast<double>(n);
}

}  // namespace

Moments Moments::of(std::span<const double> values) {
  Moments m;
  if (values.empty()) return m;
  double sum = 0.0;
  for (const double x : values) sum += x;
  m.count = values.size();
  m.mu = sum / static_cast<double>(values.size());
  for (const double x : values) {
    const double d = x - m.mu, d2 = d * d;
    m.m2 += d2;
    m.m3 += d2 * d;
    m.m4 += d2 * d2;
  }
  return m;
}

double Moments::mean() const { return count == 0 ? kNaN : mu; }

double Moments::variance() const { return count < 2 ? kNaN : m2 / static_cast<double>(count - 1); }

double Moments::stddev() const { return std::sqrt(variance()); }

double Moments::stderr_of_mean() const { return std::sqrt(variance() / static_cast<double>(count)); }

double Moments::skewness() const {
  if (count == 0 || !(m2 > 0.0)) return kNaN;
  const double n = static_cast<double>(count);
  return std::sqrt(n) * m3 / (m2 * std::sqrt(m2));
}

double Moments::kurtosis() const {
  if (count == 0 || !(m2 > 0.0)) return kNaN;
  const double n = static_cast<double>(count);
  return n * m4 / (m2 * m2) - 3.0;
}

Summary summarize(std::span<const double> values, std::span<const double> quantile_levels) {
  for (const double p : quantile_levels)
    if (!(p >= 0.0 && p <= 1.0))
      throw InputError(fmt::format("quantile level {}: expected a level in [0, 1]", p));
  require_finite(values, "summarize");

  Summary s;
  s.quantile_levels.assign(quantile_levels.begin(), quantile_levels.end());
  const std::size_t n = values.size();
  s.count = n;
  if (n == 0) {
    s.mean = s.mean_stderr = s.std = s.skewness = s.excess_kurtosis = kNaN;
    s.min = s.max = s.var_95 = s.es_95 = s.var_99 = s.es_99 = kNaN;
    s.quantiles.assign(quantile_levels.size(), kNaN);
    return s;
  }

  const Moments mom = Moments::of(values);
  double lo = values[0], hi = values[0];
  for (const double x : values) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  s.mean = mom.mean();
  s.mean_stderr = mom.stderr_of_mean();
  s.std = mom.stddev();
  s.skewness = mom.skewness();
  s.excess_kurtosis = mom.kurtosis();
  s.min = lo;
  s.max = hi;

  // The worst tail, sorted: buf[0, tail) with tail = ⌊n/20⌋ + 1 ≤ n holds x_(0) … x_(⌊n/20⌋), which
  // covers ES95's and ES99's order statistics (⌊n/100⌋ ≤ ⌊n/20⌋).
  std::vector<double> buf(values.begin(), values.end());
  const std::size_t tail = std::min(n, n / 20 + 1);
  if (tail < n) std::nth_element(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(tail), buf.end());
  std::sort(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(tail));

  // Every other order statistic a quantile needs: x_(j) and x_(j+1) for j ≥ tail.
  std::vector<Position> positions;
  positions.reserve(quantile_levels.size() + 2);
  for (const double p : quantile_levels) positions.push_back(type7_position(n, p));
  const Position pos95 = type7_position(n, 0.05), pos99 = type7_position(n, 0.01);
  positions.push_back(pos95);
  positions.push_back(pos99);
  std::vector<std::size_t> wanted;
  for (const Position& pos : positions) {
    wanted.push_back(pos.j);
    if (pos.t != 0.0) wanted.push_back(pos.j + 1);
  }
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  // Indices < tail are already in place; buf[tail] was placed by nth_element (when tail < n).
  const auto first_wanted = std::upper_bound(wanted.begin(), wanted.end(), tail);
  if (tail < n) multiselect(buf, tail + 1, n, wanted.data() + (first_wanted - wanted.begin()), wanted.data() + wanted.size());

  s.quantiles.reserve(quantile_levels.size());
  for (std::size_t i = 0; i < quantile_levels.size(); ++i) s.quantiles.push_back(lerp_order(buf, positions[i]));

  s.var_95 = -lerp_order(buf, pos95);
  s.var_99 = -lerp_order(buf, pos99);
  // In exact arithmetic ES ≥ VaR here (β = 1/m, so nβ − ⌊nβ⌋ ≥ β whenever it is not 0, and the type-7
  // index ⌊(n − 1)β⌋ ≥ ⌊nβ⌋ then); the clamp only removes a rounding ulp of a constant tail.
  s.es_95 = std::max(expected_shortfall(buf, n, 20), s.var_95);
  s.es_99 = std::max(expected_shortfall(buf, n, 100), s.var_99);
  return s;
}

Histogram histogram(std::span<const double> values, unsigned bins) {
  if (bins == 0) throw InputError("histogram bins = 0: expected at least 1");
  require_finite(values, "histogram");

  double lo = 0.0, hi = 0.0;
  if (!values.empty()) {
    const auto [mn, mx] = std::minmax_element(values.begin(), values.end());
    lo = *mn;
    hi = *mx;
  }
  if (lo == hi) {
    const double v = lo;
    const double half = 0.5 * std::max(1.0, 1e-12 * std::fabs(v));
    lo = v - half;
    hi = v + half;
  }
  const double range = hi - lo;
  if (!std::isfinite(range))
    throw RuntimeFailure(fmt::format("histogram: range [{}, {}] overflows; expected max − min to be finite", lo, hi));

  Histogram h;
  h.edges.resize(bins + 1);
  h.counts.assign(bins, 0);
  const double nb = static_cast<double>(bins);
  for (unsigned i = 0; i <= bins; ++i) h.edges[i] = lo + range * (static_cast<double>(i) / nb);
  h.edges[0] = lo;
  h.edges[bins] = hi;

  for (const double x : values) {
    double guess = std::floor((x - lo) / range * nb);
    guess = std::clamp(guess, 0.0, nb - 1.0);
    auto i = static_cast<unsigned>(guess);
    // Settle against the stored edges, so a value on an edge lands where the edges say.
    while (i > 0 && x < h.edges[i]) --i;
    while (i + 1 < bins && x >= h.edges[i + 1]) ++i;
    ++h.counts[i];
  }
  return h;
}

}  // namespace hedgesim
