// Per-policy summary statistics: moments, type-7 quantiles, VaR/ES and histograms (summary.hpp).
//
// Order statistics are found by selection on one copy of the values: the worst ⌊n/20⌋ + 1 values are
// separated by std::nth_element and sorted (ES95 and ES99 sum them in ascending order, and every
// quantile that falls among them is read directly), and the other order statistics the quantile
// levels need are placed by a recursive multi-select (nth_element at the middle wanted index, then
// each side), O(n log k) for k wanted indices. Neither libstdc++'s nth_element nor sort uses
// randomness, so the same input gives the same bits. The Summary is then built from those order
// statistics by summarize_order_statistics(), the function the CUDA backend calls with order
// statistics of values sorted on the device; histograms likewise share histogram_edges().
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
void multiselect(std::span<double> buf, std::size_t first, std::size_t last, const std::size_t* wanted_begin,
                 const std::size_t* wanted_end) {
  while (wanted_begin != wanted_end) {
    const std::size_t* mid = wanted_begin + (wanted_end - wanted_begin) / 2;
    const std::size_t k = *mid;
    std::nth_element(buf.begin() + static_cast<std::ptrdiff_t>(first), buf.begin() + static_cast<std::ptrdiff_t>(k),
                     buf.begin() + static_cast<std::ptrdiff_t>(last),
                     [](double a, double b) { return order_key(a) < order_key(b); });
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

void check_levels(std::span<const double> quantile_levels) {
  for (const double p : quantile_levels)
    if (!(p >= 0.0 && p <= 1.0))
      throw InputError(fmt::format("quantile level {}: expected a level in [0, 1]", p));
}

// x_(k) from the gathered order statistics (k must be one of order.indices).
double order_value(const OrderStatistics& order, std::uint64_t k) {
  const auto it = std::lower_bound(order.indices.begin(), order.indices.end(), k);
  if (it == order.indices.end() || *it != k)
    throw InputError(fmt::format("order statistic x_({}) of {} values was not gathered", k, order.count));
  return order.values[static_cast<std::size_t>(it - order.indices.begin())];
}

double lerp_order(const OrderStatistics& order, Position pos) {
  const double a = order_value(order, pos.j);
  if (pos.t == 0.0) return a;
  const double b = order_value(order, pos.j + 1);
  return a + pos.t * (b - a);
}

// Neumaier-compensated sum of tail[0, k), in index order.
double tail_sum(const std::vector<double>& tail, std::size_t k) {
  double sum = 0.0, comp = 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    const double x = tail[i];
    const double s = sum + x;
    comp += std::fabs(sum) >= std::fabs(x) ? (sum - s) + x : (x - s) + sum;
    sum = s;
  }
  return sum + comp;
}

// ES with β = 1/m from the ascending-sorted tail x_(0) … x_(⌊n/m⌋) (Acerbi–Tasche):
//   ES = −(1/(nβ))(Σ_{i<K} x_(i) + (nβ − K) x_(K)) = −(m Σ_{i<K} x_(i) + r x_(K)) / n,
// K = ⌊n/m⌋, r = n mod m, all in integers so the tail size is exact.
double expected_shortfall(const std::vector<double>& tail, std::size_t n, std::size_t m) {
  const std::size_t k = n / m, r = n % m;
  double total = static_cast<double>(m) * tail_sum(tail, k);
  if (r != 0) total += static_cast<double>(r) * tail[k];
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

std::vector<std::uint64_t> summary_order_indices(std::uint64_t n, std::span<const double> quantile_levels) {
  check_levels(quantile_levels);
  std::vector<std::uint64_t> wanted;
  if (n == 0) return wanted;
  const auto want = [&](double p) {
    const Position pos = type7_position(n, p);
    wanted.push_back(pos.j);
    if (pos.t != 0.0) wanted.push_back(pos.j + 1);
  };
  for (const double p : quantile_levels) want(p);
  want(0.05);  // VaR95
  want(0.01);  // VaR99
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  return wanted;
}

std::uint64_t summary_tail_size(std::uint64_t n) { return std::min(n, n / 20 + 1); }

Summary summarize_order_statistics(const Moments& moments, const OrderStatistics& order,
                                   std::span<const double> quantile_levels) {
  std::vector<std::uint64_t> expected = summary_order_indices(order.count, quantile_levels);  // checks the levels
  Summary s;
  s.quantile_levels.assign(quantile_levels.begin(), quantile_levels.end());
  const std::uint64_t n = order.count;
  s.count = n;
  if (n == 0) {
    s.mean = s.mean_stderr = s.std = s.skewness = s.excess_kurtosis = kNaN;
    s.min = s.max = s.var_95 = s.es_95 = s.var_99 = s.es_99 = kNaN;
    s.quantiles.assign(quantile_levels.size(), kNaN);
    return s;
  }
  if (moments.count != n || order.indices != expected || order.values.size() != order.indices.size() ||
      order.tail.size() != summary_tail_size(n))
    throw InputError(fmt::format("order statistics of {} values: {} moments counted, {} of {} indices as expected, "
                                 "{} values, {} tail values (expected {}); expected inputs that fit each other",
                                 n, moments.count, order.indices == expected ? expected.size() : 0, expected.size(),
                                 order.values.size(), order.tail.size(), summary_tail_size(n)));
  if (!std::isfinite(order.min) || !std::isfinite(order.max))
    throw RuntimeFailure(fmt::format("summarize: values range over [{}, {}]; expected only finite per-path results "
                                     "(a non-finite result is a bug upstream)",
                                     order.min, order.max));
  s.mean = moments.mean();
  s.mean_stderr = moments.stderr_of_mean();
  s.std = moments.stddev();
  s.skewness = moments.skewness();
  s.excess_kurtosis = moments.kurtosis();
  s.min = order.min;
  s.max = order.max;

  s.quantiles.reserve(quantile_levels.size());
  for (const double p : quantile_levels) s.quantiles.push_back(lerp_order(order, type7_position(n, p)));
  s.var_95 = -lerp_order(order, type7_position(n, 0.05));
  s.var_99 = -lerp_order(order, type7_position(n, 0.01));
  // In exact arithmetic ES ≥ VaR here (β = 1/m, so nβ − ⌊nβ⌋ ≥ β whenever it is not 0, and the type-7
  // index ⌊(n − 1)β⌋ ≥ ⌊nβ⌋ then); the clamp only removes a rounding ulp of a constant tail.
  s.es_95 = std::max(expected_shortfall(order.tail, n, 20), s.var_95);
  s.es_99 = std::max(expected_shortfall(order.tail, n, 100), s.var_99);
  return s;
}

OrderStatistics select_order_statistics(std::span<double> values, std::span<const double> quantile_levels) {
  check_levels(quantile_levels);
  require_finite(values, "summarize");
  const std::size_t n = values.size();
  OrderStatistics order;
  order.count = n;
  if (n == 0) return order;
  const auto less = [](double a, double b) { return order_key(a) < order_key(b); };
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end(), less);
  order.min = *lo;
  order.max = *hi;

  // The worst tail, sorted: values[0, tail) with tail = ⌊n/20⌋ + 1 ≤ n holds x_(0) … x_(⌊n/20⌋), which
  // covers ES95's and ES99's order statistics (⌊n/100⌋ ≤ ⌊n/20⌋).
  const auto at = [&](std::size_t k) { return values.begin() + static_cast<std::ptrdiff_t>(k); };
  const std::size_t tail = summary_tail_size(n);
  if (tail < n) std::nth_element(values.begin(), at(tail), values.end(), less);
  std::sort(values.begin(), at(tail), less);

  // Every other order statistic a quantile needs: x_(j) and x_(j+1) for j > tail.
  order.indices = summary_order_indices(n, quantile_levels);
  const std::vector<std::size_t> wanted(order.indices.begin(), order.indices.end());
  // Indices < tail are already in place; values[tail] was placed by nth_element (when tail < n).
  const auto first_wanted = std::upper_bound(wanted.begin(), wanted.end(), tail);
  if (tail < n) multiselect(values, tail + 1, n, wanted.data() + (first_wanted - wanted.begin()), wanted.data() + wanted.size());

  order.values.reserve(wanted.size());
  for (const std::size_t k : wanted) order.values.push_back(values[k]);
  order.tail.assign(values.begin(), at(tail));
  return order;
}

Summary summarize(std::span<const double> values, std::span<const double> quantile_levels) {
  std::vector<double> buf(values.begin(), values.end());
  const OrderStatistics order = select_order_statistics(buf, quantile_levels);
  return summarize_order_statistics(values.empty() ? Moments{} : Moments::of(values), order, quantile_levels);
}

std::vector<double> histogram_edges(std::uint64_t n, double min, double max, unsigned bins) {
  if (bins == 0) throw InputError("histogram bins = 0: expected at least 1");
  double lo = n == 0 ? 0.0 : min, hi = n == 0 ? 0.0 : max;
  if (!std::isfinite(lo) || !std::isfinite(hi))
    throw RuntimeFailure(fmt::format("histogram: values range over [{}, {}]; expected only finite per-path results "
                                     "(a non-finite result is a bug upstream)",
                                     lo, hi));
  if (lo == hi) {
    const double v = lo;
    const double half = 0.5 * std::max(1.0, 1e-12 * std::fabs(v));
    lo = v - half;
    hi = v + half;
  }
  const double range = hi - lo;
  if (!std::isfinite(range))
    throw RuntimeFailure(fmt::format("histogram: range [{}, {}] overflows; expected max − min to be finite", lo, hi));
  std::vector<double> edges(bins + 1);
  const double nb = static_cast<double>(bins);
  for (unsigned i = 0; i <= bins; ++i) edges[i] = lo + range * (static_cast<double>(i) / nb);
  edges[0] = lo;
  edges[bins] = hi;
  return edges;
}

Histogram histogram_from_counts_below(std::vector<double> edges, std::span<const std::uint64_t> below,
                                      std::uint64_t n) {
  if (edges.size() < 2 || below.size() != edges.size())
    throw InputError(fmt::format("histogram of {} values: {} edges and {} counts below them; expected at least 2 "
                                 "edges and one count per edge",
                                 n, edges.size(), below.size()));
  for (std::size_t i = 0; i < below.size(); ++i)
    if (below[i] > n || (i > 0 && below[i] < below[i - 1]))
      throw InputError(fmt::format("histogram of {} values: {} values below edge {}; expected non-decreasing counts "
                                   "within [0, {}]",
                                   n, below[i], i, n));
  const std::size_t bins = edges.size() - 1;
  Histogram h;
  h.edges = std::move(edges);
  h.counts.resize(bins);
  for (std::size_t i = 0; i + 1 < bins; ++i) h.counts[i] = below[i + 1] - below[i];
  h.counts[bins - 1] = n - below[bins - 1];
  return h;
}

Histogram histogram(std::span<const double> values, unsigned bins) {
  if (bins == 0) throw InputError("histogram bins = 0: expected at least 1");
  require_finite(values, "histogram");

  double mn = 0.0, mx = 0.0;
  if (!values.empty()) {
    // By order_key, as every order statistic here: −0 is below +0, whatever the input order.
    const auto [a, b] = std::minmax_element(values.begin(), values.end(),
                                            [](double x, double y) { return order_key(x) < order_key(y); });
    mn = *a;
    mx = *b;
  }
  Histogram h;
  h.edges = histogram_edges(values.size(), mn, mx, bins);
  h.counts.assign(bins, 0);
  const double lo = h.edges[0];
  const double range = h.edges[bins] - lo;  // the same hi − lo histogram_edges used
  const double nb = static_cast<double>(bins);
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
