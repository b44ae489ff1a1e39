#pragma once
// Reductions that turn per-path results (P&L, cost, trades, …) into a per-policy summary (host code):
// streaming moments that merge across batches and workers, order statistics (quantiles, VaR, ES) and
// histograms. docs/architecture.md "Conventions": VaR and ES are positive loss amounts,
//   VaR_α = −q_{1−α}(P&L),   ES_α = −E[P&L | P&L ≤ q_{1−α}].
// Everything is deterministic: the same values in the same order give the same bits.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "hedgesim/hd.hpp"

namespace hedgesim {

/// Mergeable streaming accumulator of the first four central moments: count n, mean, and the sums of
/// powers of deviations M_k = Σ (x_i − mean)^k for k = 2, 3, 4.
///
/// add() is the one-pass Welford update extended by Pébay (2008, SAND2008-6212, eqs. 1.2–1.5);
/// merge() is the Chan et al. (1979) / Pébay pairwise combination (eqs. 2.1–2.4), so batches and workers
/// accumulated separately and merged give the one-pass result up to rounding. An empty accumulator is
/// the identity of merge().
struct Moments {
  std::uint64_t count = 0;
  double mu = 0.0;  ///< running mean (0 while empty; mean() is NaN then)
  double m2 = 0.0;  ///< Σ (x − mean)²
  double m3 = 0.0;  ///< Σ (x − mean)³
  double m4 = 0.0;  ///< Σ (x − mean)⁴

  /// Adds one value. Plain arithmetic only (HS_HD), so device reductions can use the same update.
  HS_HD void add(double x) {
    const double n1 = static_cast<double>(count);
    ++count;
    const double n = static_cast<double>(count);
    const double delta = x - mu;
    const double delta_n = delta / n;
    const double delta_n2 = delta_n * delta_n;
    const double term1 = delta * delta_n * n1;
    mu += delta_n;
    m4 += term1 * delta_n2 * (n * n - 3.0 * n + 3.0) + 6.0 * delta_n2 * m2 - 4.0 * delta_n * m3;
    m3 += term1 * delta_n * (n - 2.0) - 3.0 * delta_n * m2;
    m2 += term1;
  }

  /// The moments of a block of values in two passes (the mean, then the sums of powers of deviations
  /// from it): no division per value, and at least as accurate as add() one value at a time; blocks
  /// then merge() like any accumulators.
  static Moments of(std::span<const double> values);

  /// Combines with an accumulator of other values, as if they had been added to this one.
  HS_HD void merge(const Moments& b) {
    if (b.count == 0) return;
    if (count == 0) {
      *this = b;
      return;
    }
    const double na = static_cast<double>(count);
    const double nb = static_cast<double>(b.count);
    const double n = na + nb;
    const double delta = b.mu - mu;
    const double delta_n = delta / n;
    const double delta_n2 = delta_n * delta_n;
    const double na_nb = na * nb;
    const double new_m4 = m4 + b.m4 + delta * delta_n * delta_n2 * na_nb * (na * na - na_nb + nb * nb) +
                          6.0 * delta_n2 * (na * na * b.m2 + nb * nb * m2) + 4.0 * delta_n * (na * b.m3 - nb * m3);
    const double new_m3 =
        m3 + b.m3 + delta * delta_n2 * na_nb * (na - nb) + 3.0 * delta_n * (na * b.m2 - nb * m2);
    const double new_m2 = m2 + b.m2 + delta * delta_n * na_nb;
    mu += delta_n * nb;
    m2 = new_m2;
    m3 = new_m3;
    m4 = new_m4;
    count += b.count;
  }

  /// Sample mean; NaN when empty.
  double mean() const;
  /// Sample (unbiased) variance M2/(n − 1); NaN when n < 2.
  double variance() const;
  /// √variance(); NaN when n < 2.
  double stddev() const;
  /// Standard error of the mean, stddev()/√n; NaN when n < 2.
  double stderr_of_mean() const;
  /// Sample skewness g1 = m3/m2^{3/2} with the biased central moments m_k = M_k/n (scipy.stats.skew's
  /// default, bias=True; Joanes & Gill 1998). 0 for a normal population. NaN when n = 0 or M2 = 0.
  double skewness() const;
  /// Sample excess kurtosis g2 = m4/m2² − 3 with m_k = M_k/n (scipy.stats.kurtosis' default,
  /// fisher=True, bias=True). 0 for a normal population. NaN when n = 0 or M2 = 0.
  double kurtosis() const;
};

/// The order-preserving key of a finite double: key(a) < key(b) exactly when a < b, and −0 < +0.
constexpr std::uint64_t order_key(double x) {
  const auto bits = __builtin_bit_cast(std::uint64_t, x);
  return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
}
/// The double of an order_key.
constexpr double from_order_key(std::uint64_t key) {
  const std::uint64_t bits = (key >> 63) != 0 ? key & ~(std::uint64_t{1} << 63) : ~key;
  return __builtin_bit_cast(double, bits);
}

/// Quantile levels reported when none are given.
inline constexpr std::array<double, 9> kDefaultQuantileLevels = {0.01, 0.05, 0.10, 0.25, 0.50,
                                                                 0.75, 0.90, 0.95, 0.99};

struct Summary {
  std::uint64_t count = 0;
  double mean = 0.0;
  double mean_stderr = 0.0;      ///< std/√n
  double std = 0.0;              ///< sample standard deviation (n − 1)
  double skewness = 0.0;         ///< g1, see Moments::skewness
  double excess_kurtosis = 0.0;  ///< g2, see Moments::kurtosis
  double min = 0.0;
  double max = 0.0;
  double var_95 = 0.0;  ///< −q_{0.05}, a positive number is a loss
  double es_95 = 0.0;   ///< −(mean of the worst 5%), ≥ var_95
  double var_99 = 0.0;  ///< −q_{0.01}
  double es_99 = 0.0;   ///< −(mean of the worst 1%), ≥ var_99
  std::vector<double> quantile_levels;
  std::vector<double> quantiles;  ///< quantiles[i] = q_{quantile_levels[i]}
};

/// Summary statistics of `values` (e.g. one policy's per-path P&L).
///
/// Moments: Moments::add over the values in input order.
///
/// Quantiles q_p: linear interpolation between order statistics, Hyndman–Fan type 7 (numpy's and R's
/// default): with x_(0) ≤ … ≤ x_(n−1), h = (n − 1)p, j = ⌊h⌋, q_p = x_(j) + (h − j)(x_(j+1) − x_(j))
/// (q_p = x_(n−1) when j = n − 1). Agrees with numpy.quantile up to rounding.
///
/// VaR_α = −q_{1−α} (type 7). ES_α with β = 1 − α (= 1/20 and 1/100 here): the Acerbi–Tasche (2002)
/// estimator that weights the order statistic at the tail boundary by the fractional tail size,
///   ES_α = −(1/(nβ)) (Σ_{i<⌊nβ⌋} x_(i) + (nβ − ⌊nβ⌋) x_(⌊nβ⌋)),
/// computed from the sorted tail (ascending, compensated sum), so its bits do not depend on the
/// input order. ES_α ≥ VaR_α holds exactly for β = 1/m; the result is clamped to VaR_α to remove a
/// rounding ulp where the tail is constant.
///
/// Order statistics come from std::nth_element on a copy (the worst 5% is then sorted):
/// O(n + nβ log(nβ) + n log k) for k quantile levels.
///
/// n = 0: count 0 and every other field NaN (quantile_levels still echoed). n = 1: mean, min, max and
/// quantiles are the value, VaR and ES its negation, the rest NaN (as for constant data, skewness and
/// kurtosis are NaN whenever the variance is 0).
/// Throws InputError if a level is outside [0, 1]; throws RuntimeFailure naming how many values are not
/// finite (NaN or ±∞): a non-finite per-path result is a bug upstream and is never silently dropped.
Summary summarize(std::span<const double> values,
                  std::span<const double> quantile_levels = kDefaultQuantileLevels);

/// The pieces of a Summary that need the values in sorted order, for callers that hold the values
/// where sorting is cheap (the CUDA backend sorts on the device and hands over only these):
/// summarize() computes the same pieces by selection and builds its Summary with
/// summarize_order_statistics(), so both give the same bits from the same values.
///
/// Indices are into the ascending order x_(0) ≤ … ≤ x_(n−1).
struct OrderStatistics {
  std::uint64_t count = 0;           ///< n
  double min = 0.0;                  ///< x_(0)
  double max = 0.0;                  ///< x_(n−1)
  std::vector<std::uint64_t> indices;  ///< summary_order_indices(n, levels)
  std::vector<double> values;          ///< values[i] = x_(indices[i])
  std::vector<double> tail;            ///< x_(0) … x_(summary_tail_size(n) − 1), ascending
};

/// The OrderStatistics of `values` at `quantile_levels`, by selection in place (the values are
/// reordered): O(n + nβ log(nβ) + n log k). Ties are ordered by order_key (−0 before +0), so the result
/// does not depend on the input order. Throws as summarize() does.
OrderStatistics select_order_statistics(std::span<double> values,
                                        std::span<const double> quantile_levels = kDefaultQuantileLevels);

/// The order-statistic indices a Summary of n values at `quantile_levels` reads: the type-7 pair
/// x_(j), x_(j+1) (x_(j) alone when the weight of x_(j+1) is 0) of every level and of VaR95/VaR99
/// (levels 0.05 and 0.01), ascending and unique. Empty when n = 0. Throws InputError if a level is
/// outside [0, 1].
std::vector<std::uint64_t> summary_order_indices(std::uint64_t n, std::span<const double> quantile_levels);

/// How many of the smallest values ES95 and ES99 read: ⌊n/20⌋ + 1, at most n.
std::uint64_t summary_tail_size(std::uint64_t n);

/// The Summary of n values from their moments (count must be n) and order statistics: quantiles,
/// VaR and ES exactly as summarize() computes them. The tail is summed in index order (Neumaier), so
/// the bits depend only on the sorted values. n = 0 gives summarize()'s empty Summary.
/// Throws InputError if a level is outside [0, 1] or the inputs do not fit each other (sizes, an
/// index missing), RuntimeFailure if min or max is not finite (a non-finite value sorts to an end).
Summary summarize_order_statistics(const Moments& moments, const OrderStatistics& order,
                                   std::span<const double> quantile_levels = kDefaultQuantileLevels);

/// Equal-width histogram: edges.size() = bins + 1, counts.size() = bins.
struct Histogram {
  std::vector<double> edges;
  std::vector<std::uint64_t> counts;
};

/// Histogram of `values` over [min, max] in `bins` equal-width bins. Bin i holds
/// edges[i] ≤ x < edges[i + 1]; the last bin also holds x = max, so the counts sum to n. The bin of
/// each value is decided against the stored edges, so counts and edges always agree.
/// edges[i] = lo + (hi − lo)·(i/bins), with edges[0] = lo and edges[bins] = hi exactly.
/// All values equal to v: [lo, hi] = [v − w/2, v + w/2] with w = max(1, 1e-12·|v|), still `bins` bins
/// (every policy's histogram keeps the requested shape). n = 0: as if v = 0, all counts 0.
/// Throws InputError if bins = 0; RuntimeFailure (with the count) if any value is not finite, or if
/// max − min overflows.
Histogram histogram(std::span<const double> values, unsigned bins);

/// The edges histogram() uses for n values with extremes min and max (n = 0: as if all were 0):
/// equal width, edges[0] = lo and edges[bins] = hi exactly, non-decreasing. Throws InputError if
/// bins = 0, RuntimeFailure if min or max is not finite or max − min overflows.
std::vector<double> histogram_edges(std::uint64_t n, double min, double max, unsigned bins);

/// The histogram of n values from `edges` (histogram_edges) and below[i] = how many values are
/// < edges[i] (i = 0 … bins; with sorted values, std::lower_bound of the edge): bin i < bins − 1
/// holds below[i + 1] − below[i], the last bin the rest, so the counts equal histogram()'s
/// "edges[i] ≤ x < edges[i + 1], the last bin holds max". Throws InputError if the sizes disagree or
/// below is not non-decreasing within [0, n].
Histogram histogram_from_counts_below(std::vector<double> edges, std::span<const std::uint64_t> below,
                                      std::uint64_t n);

}  // namespace hedgesim
