// Summary statistics: streaming moments and their merge against two-pass formulas, type-7 quantiles
// against hand-computed (numpy) values, VaR/ES against the exact Acerbi–Tasche formulas on known
// samples, edge cases (n = 0, n = 1, non-finite values) and histograms.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/stats/summary.hpp"

namespace hedgesim {
namespace {

using test::near;

// Deterministic samples independent of the standard library's distributions.
struct Rng {
  std::mt19937_64 eng;
  explicit Rng(std::uint64_t seed) : eng(seed) {}
  double uniform() { return (static_cast<double>(eng() >> 11) + 0.5) * 0x1p-53; }  // (0, 1)
  double normal() {
    const double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
};

// Skewed, heavy-ish tailed data with an offset, so every moment is far from 0.
std::vector<double> skewed_sample(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> v(n);
  for (auto& x : v) x = 100.0 + std::exp(0.5 * rng.normal());
  return v;
}

struct TwoPass {
  double mean, variance, skewness, kurtosis;
};

// Reference: two passes in long double.
TwoPass two_pass(const std::vector<double>& v) {
  const long double n = static_cast<long double>(v.size());
  long double sum = 0;
  for (double x : v) sum += x;
  const long double mean = sum / n;
  long double m2 = 0, m3 = 0, m4 = 0;
  for (double x : v) {
    const long double d = x - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  return {static_cast<double>(mean), static_cast<double>(m2 / (n - 1)),
          static_cast<double>(std::sqrt(n) * m3 / (m2 * std::sqrt(m2))), static_cast<double>(n * m4 / (m2 * m2) - 3)};
}

Moments one_pass(const std::vector<double>& v, std::size_t begin, std::size_t end) {
  Moments m;
  for (std::size_t i = begin; i < end; ++i) m.add(v[i]);
  return m;
}

::testing::AssertionResult near_rel(const std::string& what, double computed, double expected, double rel) {
  return near(what, computed, expected, rel * std::fabs(expected));
}

// Type 7 by a full sort: the reference for the selection-based implementation.
double type7_sorted(const std::vector<double>& sorted, double p) {
  const std::size_t n = sorted.size();
  const double h = static_cast<double>(n - 1) * p;
  const double j = std::floor(h);
  if (j >= static_cast<double>(n - 1)) return sorted[n - 1];
  const auto i = static_cast<std::size_t>(j);
  const double t = h - j;
  return t == 0.0 ? sorted[i] : sorted[i] + t * (sorted[i + 1] - sorted[i]);
}

// Acerbi–Tasche ES by a full sort, in long double.
double es_sorted(const std::vector<double>& sorted, double beta) {
  const long double nb = static_cast<long double>(sorted.size()) * beta;
  const auto k = static_cast<std::size_t>(std::floor(nb));
  long double s = 0;
  for (std::size_t i = 0; i < k; ++i) s += sorted[i];
  if (nb > k) s += (nb - k) * sorted[k];
  return static_cast<double>(-s / nb);
}

// ---- Moments

TEST(Moments, HandExample) {
  // 2 4 4 4 5 5 7 9: mean 5, M2 = 32, M3 = 42, M4 = 356.
  Moments m;
  for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) m.add(x);
  EXPECT_EQ(m.count, 8u);
  EXPECT_TRUE(near("mean", m.mean(), 5.0, 1e-15));
  EXPECT_TRUE(near("variance", m.variance(), 32.0 / 7.0, 1e-14));
  EXPECT_TRUE(near("stddev", m.stddev(), std::sqrt(32.0 / 7.0), 1e-14));
  EXPECT_TRUE(near("stderr", m.stderr_of_mean(), std::sqrt(32.0 / 7.0 / 8.0), 1e-14));
  EXPECT_TRUE(near("skewness g1 = (42/8)/(32/8)^1.5", m.skewness(), 0.65625, 1e-14));
  EXPECT_TRUE(near("excess kurtosis g2 = (356/8)/(32/8)^2 - 3", m.kurtosis(), -0.21875, 1e-14));
}

TEST(Moments, OnePassMatchesTwoPass) {
  const auto v = skewed_sample(200000, 1);
  const TwoPass ref = two_pass(v);
  const Moments m = one_pass(v, 0, v.size());
  EXPECT_TRUE(near_rel("mean", m.mean(), ref.mean, 1e-13));
  EXPECT_TRUE(near_rel("variance", m.variance(), ref.variance, 1e-11));
  EXPECT_TRUE(near_rel("skewness", m.skewness(), ref.skewness, 1e-10));
  EXPECT_TRUE(near_rel("kurtosis", m.kurtosis(), ref.kurtosis, 1e-10));
}

TEST(Moments, BlockOfMatchesOneValueAtATimeAndMerges) {
  const auto v = skewed_sample(200000, 3);
  const Moments one = one_pass(v, 0, v.size());
  const Moments block = Moments::of(v);
  EXPECT_EQ(block.count, v.size());
  EXPECT_TRUE(near_rel("mean", block.mean(), one.mean(), 1e-13));
  EXPECT_TRUE(near_rel("variance", block.variance(), one.variance(), 1e-11));
  EXPECT_TRUE(near_rel("skewness", block.skewness(), one.skewness(), 1e-10));
  EXPECT_TRUE(near_rel("kurtosis", block.kurtosis(), one.kurtosis(), 1e-10));
  Moments merged = Moments::of({v.data(), 1234});
  merged.merge(Moments::of({v.data() + 1234, v.size() - 1234}));
  EXPECT_TRUE(near_rel("merged variance", merged.variance(), one.variance(), 1e-11));
  EXPECT_EQ(Moments::of({}).count, 0u);
  Moments hand = Moments::of(std::vector<double>{2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_EQ(hand.mean(), 5.0);
  EXPECT_EQ(hand.m2, 32.0);
  EXPECT_EQ(hand.m3, 42.0);
  EXPECT_EQ(hand.m4, 356.0);
}

TEST(Moments, MergeOfUnevenSplitsEqualsOnePass) {
  const auto v = skewed_sample(100000, 2);
  const Moments whole = one_pass(v, 0, v.size());
  // Uneven pieces, including one of a single value and an empty one.
  const std::vector<std::size_t> cuts = {0, 1, 1, 8, 1000, 1001, 33333, 70000, v.size()};
  std::vector<Moments> parts;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) parts.push_back(one_pass(v, cuts[i], cuts[i + 1]));

  // Left to right.
  Moments seq;
  for (const auto& p : parts) seq.merge(p);
  // Right to left (merge into the later piece), and as a pairwise tree.
  Moments rev;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    Moments p = *it;
    p.merge(rev);
    rev = p;
  }
  std::vector<Moments> level = parts;
  while (level.size() > 1) {
    std::vector<Moments> next;
    for (std::size_t i = 0; i < level.size(); i += 2) {
      Moments p = level[i];
      if (i + 1 < level.size()) p.merge(level[i + 1]);
      next.push_back(p);
    }
    level = next;
  }
  const Moments tree = level[0];

  for (const auto& [name, m] : {std::pair<const char*, Moments>{"sequential", seq}, {"reversed", rev}, {"tree", tree}}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(m.count, whole.count);
    EXPECT_TRUE(near_rel("mean", m.mean(), whole.mean(), 1e-12));
    EXPECT_TRUE(near_rel("variance", m.variance(), whole.variance(), 1e-12));
    EXPECT_TRUE(near_rel("skewness", m.skewness(), whole.skewness(), 1e-12));
    EXPECT_TRUE(near_rel("kurtosis", m.kurtosis(), whole.kurtosis(), 1e-12));
    EXPECT_TRUE(near_rel("M3", m.m3, whole.m3, 1e-12));
    EXPECT_TRUE(near_rel("M4", m.m4, whole.m4, 1e-12));
  }
}

TEST(Moments, MergeWithEmptyIsIdentity) {
  Moments a;
  for (double x : {1.0, 2.5, -3.0}) a.add(x);
  Moments left = a, right;
  left.merge(Moments{});
  right.merge(a);
  for (const Moments& m : {left, right}) {
    EXPECT_EQ(m.count, a.count);
    EXPECT_EQ(m.mu, a.mu);
    EXPECT_EQ(m.m2, a.m2);
    EXPECT_EQ(m.m3, a.m3);
    EXPECT_EQ(m.m4, a.m4);
  }
}

TEST(Moments, LargeNormalSampleHasZeroSkewAndExcessKurtosis) {
  const std::size_t n = 1000000;
  Rng rng(3);
  Moments m;
  for (std::size_t i = 0; i < n; ++i) m.add(2.0 + 3.0 * rng.normal());
  const double dn = static_cast<double>(n);
  EXPECT_TRUE(near("mean within 4 standard errors", m.mean(), 2.0, 4.0 * 3.0 / std::sqrt(dn)));
  EXPECT_TRUE(near("variance within 4 standard errors", m.variance(), 9.0, 4.0 * 9.0 * std::sqrt(2.0 / (dn - 1))));
  EXPECT_TRUE(near("skewness within 4 sqrt(6/n)", m.skewness(), 0.0, 4.0 * std::sqrt(6.0 / dn)));
  EXPECT_TRUE(near("excess kurtosis within 4 sqrt(24/n)", m.kurtosis(), 0.0, 4.0 * std::sqrt(24.0 / dn)));
}

TEST(Moments, DegenerateCountsGiveNaN) {
  Moments m;
  EXPECT_TRUE(std::isnan(m.mean()));
  EXPECT_TRUE(std::isnan(m.variance()));
  EXPECT_TRUE(std::isnan(m.skewness()));
  m.add(4.0);
  EXPECT_EQ(m.mean(), 4.0);
  EXPECT_TRUE(std::isnan(m.variance()));
  EXPECT_TRUE(std::isnan(m.stderr_of_mean()));
  EXPECT_TRUE(std::isnan(m.skewness()));
  EXPECT_TRUE(std::isnan(m.kurtosis()));
  m.add(4.0);
  EXPECT_EQ(m.variance(), 0.0);
  EXPECT_TRUE(std::isnan(m.skewness())) << "skewness of constant data is 0/0";
}

// ---- Quantiles

TEST(Summary, QuantilesMatchNumpyType7ByHand) {
  // Sorted: 1 1 2 3 4 5 6 9 (n = 8, h = 7p). numpy.quantile gives
  //   p=0 → 1, 0.1 → h=0.7: 1, 0.25 → h=1.75: 1+0.75·1 = 1.75, 0.5 → h=3.5: 3.5, 0.75 → h=5.25: 5.25,
  //   0.9 → h=6.3: 6+0.3·3 = 6.9, 0.95 → h=6.65: 6+0.65·3 = 7.95, 1 → 9.
  const std::vector<double> x = {3, 1, 4, 1, 5, 9, 2, 6};
  const std::vector<double> levels = {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0};
  const std::vector<double> expected = {1.0, 1.0, 1.75, 3.5, 5.25, 6.9, 7.95, 9.0};
  const Summary s = summarize(x, levels);
  ASSERT_EQ(s.quantiles.size(), levels.size());
  EXPECT_EQ(s.quantile_levels, levels);
  for (std::size_t i = 0; i < levels.size(); ++i)
    EXPECT_TRUE(near("q_" + std::to_string(levels[i]), s.quantiles[i], expected[i], 1e-14));
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 9.0);
  // VaR95 = −q_0.05: h = 0.35 → 1; VaR99: h = 0.07 → 1. ES: n·β < 1, so ES = −x_(0) = −1.
  EXPECT_TRUE(near("var_95", s.var_95, -1.0, 0));
  EXPECT_TRUE(near("es_95", s.es_95, -1.0, 0));
  EXPECT_TRUE(near("es_99", s.es_99, -1.0, 0));
}

TEST(Summary, DefaultLevels) {
  std::vector<double> x(101);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(100 - i);  // 0 … 100, reversed
  const Summary s = summarize(x);
  ASSERT_EQ(s.quantile_levels.size(), kDefaultQuantileLevels.size());
  for (std::size_t i = 0; i < s.quantiles.size(); ++i)  // h = 100 p: q_p = 100 p
    EXPECT_TRUE(near("q_" + std::to_string(s.quantile_levels[i]), s.quantiles[i], 100.0 * s.quantile_levels[i], 1e-12));
}

TEST(Summary, QuantilesMatchFullSortOnRandomData) {
  Rng rng(4);
  std::vector<double> levels = {0.0, 0.001, 0.01, 0.05, 0.1, 0.333, 0.5, 0.5, 0.9, 0.99, 0.999, 1.0};
  for (std::size_t n : {1u, 2u, 3u, 19u, 20u, 21u, 99u, 100u, 101u, 1000u, 12345u}) {
    std::vector<double> v(n);
    for (auto& x : v) x = std::floor(rng.normal() * 10.0) / 4.0;  // many ties
    std::vector<double> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    const Summary s = summarize(v, levels);
    SCOPED_TRACE("n = " + std::to_string(n));
    for (std::size_t i = 0; i < levels.size(); ++i) EXPECT_EQ(s.quantiles[i], type7_sorted(sorted, levels[i])) << "p " << levels[i];
    EXPECT_EQ(s.var_95, -type7_sorted(sorted, 0.05));
    EXPECT_EQ(s.var_99, -type7_sorted(sorted, 0.01));
    EXPECT_TRUE(near("es_95", s.es_95, es_sorted(sorted, 0.05), 1e-12 * (1.0 + std::fabs(s.es_95))));
    EXPECT_TRUE(near("es_99", s.es_99, es_sorted(sorted, 0.01), 1e-12 * (1.0 + std::fabs(s.es_99))));
    EXPECT_EQ(s.min, sorted.front());
    EXPECT_EQ(s.max, sorted.back());
  }
}

// ---- VaR and ES

TEST(Summary, VarEsOfNegatedIntegers1To100) {
  // P&L −1 … −100; ascending x_(i) = −(100 − i), i = 0 … 99.
  std::vector<double> pnl(100);
  for (std::size_t i = 0; i < pnl.size(); ++i) pnl[i] = -static_cast<double>(i + 1);
  const Summary s = summarize(pnl);
  // q_0.05: h = 99·0.05 = 4.95 → −96 + 0.95 = −95.05. q_0.01: h = 0.99 → −100 + 0.99 = −99.01.
  EXPECT_TRUE(near("var_95", s.var_95, 95.05, 1e-12));
  EXPECT_TRUE(near("var_99", s.var_99, 99.01, 1e-12));
  // nβ = 5: (100+99+98+97+96)/5 = 98; nβ = 1: 100.
  EXPECT_TRUE(near("es_95", s.es_95, 98.0, 1e-12));
  EXPECT_TRUE(near("es_99", s.es_99, 100.0, 1e-12));
  EXPECT_TRUE(near("mean", s.mean, -50.5, 1e-12));
  EXPECT_TRUE(near("std", s.std, std::sqrt(100.0 * 101.0 / 12.0), 1e-12));  // (n² − 1)/12 · n/(n − 1)
  EXPECT_TRUE(near("mean_stderr", s.mean_stderr, std::sqrt(100.0 * 101.0 / 12.0 / 100.0), 1e-12));
  EXPECT_TRUE(near("skewness", s.skewness, 0.0, 1e-12));
  // Discrete uniform on n points: excess kurtosis −6(n² + 1)/(5(n² − 1)).
  EXPECT_TRUE(near("excess_kurtosis", s.excess_kurtosis, -6.0 * 10001.0 / (5.0 * 9999.0), 1e-12));
  EXPECT_EQ(s.min, -100.0);
  EXPECT_EQ(s.max, -1.0);
}

TEST(Summary, VarEsWithFractionalTail) {
  // P&L −1 … −110: nβ = 5.5 and 1.1, so the boundary order statistic gets weight 0.5 and 0.1.
  std::vector<double> pnl(110);
  for (std::size_t i = 0; i < pnl.size(); ++i) pnl[i] = -static_cast<double>(i + 1);
  const Summary s = summarize(pnl);
  // ES95 = (110+109+108+107+106 + 0.5·105)/5.5, ES99 = (110 + 0.1·109)/1.1.
  EXPECT_TRUE(near("es_95", s.es_95, 592.5 / 5.5, 1e-12));
  EXPECT_TRUE(near("es_99", s.es_99, 120.9 / 1.1, 1e-12));
  // q_0.05: h = 109·0.05 = 5.45 → −105 + 0.45; q_0.01: h = 1.09 → −109 + 0.09.
  EXPECT_TRUE(near("var_95", s.var_95, 104.55, 1e-12));
  EXPECT_TRUE(near("var_99", s.var_99, 108.91, 1e-12));
}

TEST(Summary, VarEsOfUniformGridApproachContinuousValues) {
  // P&L on the midpoint grid of U(−1, 1): VaR95 → 0.9, ES95 → 0.95, VaR99 → 0.98, ES99 → 0.99.
  const std::size_t n = 200000;
  std::vector<double> pnl(n);
  for (std::size_t i = 0; i < n; ++i) pnl[(i * 7919) % n] = -1.0 + 2.0 * (static_cast<double>(i) + 0.5) / n;
  const Summary s = summarize(pnl);
  const double tol = 2.0 / n;
  EXPECT_TRUE(near("var_95", s.var_95, 0.90, tol));
  EXPECT_TRUE(near("es_95", s.es_95, 0.95, tol));
  EXPECT_TRUE(near("var_99", s.var_99, 0.98, tol));
  EXPECT_TRUE(near("es_99", s.es_99, 0.99, tol));
}

TEST(Summary, EsIsNeverBelowVar) {
  Rng rng(5);
  for (std::size_t n = 1; n <= 400; ++n) {
    for (int kind = 0; kind < 4; ++kind) {
      std::vector<double> v(n);
      for (auto& x : v) {
        switch (kind) {
          case 0: x = rng.normal(); break;
          case 1: x = 0.1; break;                                   // constant, not exactly representable
          case 2: x = std::floor(3.0 * rng.uniform()) * 0.1; break;  // heavy ties
          default: x = -std::exp(3.0 * rng.normal()); break;         // long left tail
        }
      }
      const Summary s = summarize(v);
      EXPECT_GE(s.es_95, s.var_95) << "n " << n << " kind " << kind;
      EXPECT_GE(s.es_99, s.var_99) << "n " << n << " kind " << kind;
      EXPECT_GE(s.var_99, s.var_95) << "n " << n << " kind " << kind;
    }
  }
}

// ---- Edge cases and determinism

TEST(Summary, EmptyGivesCountZeroAndNaN) {
  const Summary s = summarize(std::span<const double>{});
  EXPECT_EQ(s.count, 0u);
  for (double f : {s.mean, s.mean_stderr, s.std, s.skewness, s.excess_kurtosis, s.min, s.max, s.var_95, s.es_95,
                   s.var_99, s.es_99})
    EXPECT_TRUE(std::isnan(f));
  ASSERT_EQ(s.quantiles.size(), kDefaultQuantileLevels.size());
  for (double q : s.quantiles) EXPECT_TRUE(std::isnan(q));
}

TEST(Summary, SingleValue) {
  const std::vector<double> v = {-7.5};
  const Summary s = summarize(v);
  EXPECT_EQ(s.count, 1u);
  EXPECT_EQ(s.mean, -7.5);
  EXPECT_EQ(s.min, -7.5);
  EXPECT_EQ(s.max, -7.5);
  EXPECT_EQ(s.var_95, 7.5);
  EXPECT_EQ(s.es_95, 7.5);
  EXPECT_EQ(s.var_99, 7.5);
  EXPECT_EQ(s.es_99, 7.5);
  for (double q : s.quantiles) EXPECT_EQ(q, -7.5);
  EXPECT_TRUE(std::isnan(s.std));
  EXPECT_TRUE(std::isnan(s.mean_stderr));
  EXPECT_TRUE(std::isnan(s.skewness));
  EXPECT_TRUE(std::isnan(s.excess_kurtosis));
}

TEST(Summary, NonFiniteValuesThrowWithTheirCount) {
  std::vector<double> v(50, 1.0);
  v[3] = std::numeric_limits<double>::quiet_NaN();
  v[10] = std::numeric_limits<double>::quiet_NaN();
  v[20] = std::numeric_limits<double>::infinity();
  try {
    summarize(v);
    FAIL() << "expected RuntimeFailure";
  } catch (const RuntimeFailure& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("3 of 50"), std::string::npos) << msg;
    EXPECT_NE(msg.find("index 3"), std::string::npos) << msg;
  }
  EXPECT_THROW(histogram(v, 10), RuntimeFailure);
}

TEST(Summary, LevelsOutsideUnitIntervalAreInputErrors) {
  const std::vector<double> v = {1.0, 2.0};
  for (double p : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    const std::vector<double> levels = {0.5, p};
    EXPECT_THROW(summarize(v, levels), InputError) << p;
  }
}

TEST(Summary, DeterministicAndOrderIndependentTail) {
  const auto v = skewed_sample(50000, 6);
  const Summary a = summarize(v), b = summarize(v);
  const auto same = [](double x, double y) { return std::bit_cast<std::uint64_t>(x) == std::bit_cast<std::uint64_t>(y); };
  for (auto [x, y] : {std::pair{a.mean, b.mean}, {a.std, b.std}, {a.skewness, b.skewness}, {a.es_95, b.es_95}, {a.es_99, b.es_99}})
    EXPECT_TRUE(same(x, y));
  EXPECT_EQ(a.quantiles, b.quantiles);
  // Order statistics and ES (summed over the sorted tail) do not depend on the input order.
  std::vector<double> shuffled = v;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(7));
  const Summary c = summarize(shuffled);
  EXPECT_EQ(a.quantiles, c.quantiles);
  for (auto [x, y] : {std::pair{a.var_95, c.var_95}, {a.es_95, c.es_95}, {a.var_99, c.var_99}, {a.es_99, c.es_99},
                      {a.min, c.min}, {a.max, c.max}})
    EXPECT_TRUE(same(x, y));
  // The moments agree up to rounding.
  EXPECT_TRUE(near_rel("mean, shuffled", c.mean, a.mean, 1e-13));
  EXPECT_TRUE(near_rel("std, shuffled", c.std, a.std, 1e-10));
}

// ---- Histogram

// Counts by the definition: bin i holds edges[i] ≤ x < edges[i+1], the last also x = edges.back().
std::vector<std::uint64_t> brute_counts(const std::vector<double>& v, const Histogram& h) {
  const std::size_t bins = h.counts.size();
  std::vector<std::uint64_t> c(bins, 0);
  for (double x : v) {
    for (std::size_t i = 0; i < bins; ++i) {
      if (x >= h.edges[i] && (x < h.edges[i + 1] || (i + 1 == bins && x <= h.edges[i + 1]))) {
        ++c[i];
        break;
      }
    }
  }
  return c;
}

TEST(Histogram, CountsSumToNAndMatchEdges) {
  Rng rng(8);
  for (unsigned bins : {1u, 2u, 7u, 50u, 1000u}) {
    std::vector<double> v(10007);
    for (auto& x : v) x = std::round(rng.normal() * 8.0) / 8.0;  // many values on or near edges
    const Histogram h = histogram(v, bins);
    ASSERT_EQ(h.edges.size(), bins + 1u);
    ASSERT_EQ(h.counts.size(), bins);
    std::uint64_t total = 0;
    for (auto c : h.counts) total += c;
    EXPECT_EQ(total, v.size()) << "bins " << bins;
    EXPECT_EQ(h.edges.front(), *std::min_element(v.begin(), v.end()));
    EXPECT_EQ(h.edges.back(), *std::max_element(v.begin(), v.end()));
    EXPECT_TRUE(std::is_sorted(h.edges.begin(), h.edges.end()));
    EXPECT_EQ(h.counts, brute_counts(v, h)) << "bins " << bins;
  }
}

TEST(Histogram, HandExample) {
  // [0, 4] in 4 bins: edges 0 1 2 3 4; 1 and 2 on edges go up, 4 (the max) into the last bin.
  const std::vector<double> v = {0.0, 0.5, 1.0, 2.0, 2.5, 3.999, 4.0};
  const Histogram h = histogram(v, 4);
  EXPECT_EQ(h.edges, (std::vector<double>{0.0, 1.0, 2.0, 3.0, 4.0}));
  EXPECT_EQ(h.counts, (std::vector<std::uint64_t>{2, 1, 2, 2}));
}

TEST(Histogram, AllEqualAndEmpty) {
  const std::vector<double> v(5, 3.0);
  const Histogram h = histogram(v, 3);
  EXPECT_EQ(h.edges.front(), 2.5);
  EXPECT_EQ(h.edges.back(), 3.5);
  EXPECT_EQ(h.counts, (std::vector<std::uint64_t>{0, 5, 0}));
  const Histogram one = histogram(v, 1);
  EXPECT_EQ(one.counts, (std::vector<std::uint64_t>{5}));

  const Histogram e = histogram(std::span<const double>{}, 4);
  ASSERT_EQ(e.edges.size(), 5u);
  EXPECT_EQ(e.edges.front(), -0.5);
  EXPECT_EQ(e.edges.back(), 0.5);
  EXPECT_EQ(e.counts, (std::vector<std::uint64_t>(4, 0)));

  EXPECT_THROW(histogram(v, 0), InputError);
}


// ---- Summary and histogram from order statistics (what the CUDA backend hands over)

bool same_bits(double x, double y) { return std::bit_cast<std::uint64_t>(x) == std::bit_cast<std::uint64_t>(y); }

// The order statistics of v by a full sort, as a device that sorted the values would gather them.
OrderStatistics by_full_sort(std::vector<double> v, std::span<const double> levels) {
  std::sort(v.begin(), v.end());
  OrderStatistics o;
  o.count = v.size();
  if (v.empty()) return o;
  o.min = v.front();
  o.max = v.back();
  o.indices = summary_order_indices(v.size(), levels);
  for (const std::uint64_t k : o.indices) o.values.push_back(v[k]);
  o.tail.assign(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(summary_tail_size(v.size())));
  return o;
}

// Heavy ties (a coarse grid) and no −0.0 (+ 0.0 turns it into +0.0: ±0 compare equal, so which zero a
// minimum reports would depend on the input order).
std::vector<double> tied_sample(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> v(n);
  for (auto& x : v) x = std::round(rng.normal() * 4.0) / 4.0 + 0.0;
  return v;
}

void expect_same_summary(const Summary& a, const Summary& b, const std::string& what) {
  EXPECT_EQ(a.count, b.count) << what;
  const std::pair<const char*, std::pair<double, double>> fields[] = {
      {"mean", {a.mean, b.mean}},     {"mean_stderr", {a.mean_stderr, b.mean_stderr}},
      {"std", {a.std, b.std}},        {"skewness", {a.skewness, b.skewness}},
      {"kurtosis", {a.excess_kurtosis, b.excess_kurtosis}},
      {"min", {a.min, b.min}},        {"max", {a.max, b.max}},
      {"var_95", {a.var_95, b.var_95}}, {"es_95", {a.es_95, b.es_95}},
      {"var_99", {a.var_99, b.var_99}}, {"es_99", {a.es_99, b.es_99}}};
  for (const auto& [name, xy] : fields)
    EXPECT_TRUE(same_bits(xy.first, xy.second)) << what << " " << name << ": " << xy.first << " vs " << xy.second;
  EXPECT_EQ(a.quantile_levels, b.quantile_levels) << what;
  ASSERT_EQ(a.quantiles.size(), b.quantiles.size()) << what;
  for (std::size_t i = 0; i < a.quantiles.size(); ++i)
    EXPECT_TRUE(same_bits(a.quantiles[i], b.quantiles[i]))
        << what << " q" << a.quantile_levels[i] << ": " << a.quantiles[i] << " vs " << b.quantiles[i];
}

TEST(SummaryFromOrderStatistics, EqualsSummarizeBitForBit) {
  const std::vector<double> odd_levels = {0.0, 0.013, 0.05, 0.0501, 1.0 / 3.0, 0.5, 0.77, 0.999, 1.0};
  const std::vector<double> no_levels;
  for (const std::size_t n : {0u, 1u, 2u, 3u, 19u, 20u, 21u, 1000u})
    for (const std::uint64_t seed : {1u, 2u}) {
      const std::vector<double> v = seed == 1 ? tied_sample(n, 11 + n) : skewed_sample(n, 12 + n);
      for (const std::span<const double> levels :
           {std::span<const double>(kDefaultQuantileLevels), std::span<const double>(odd_levels),
            std::span<const double>(no_levels)}) {
        const std::string what = "n " + std::to_string(n) + " seed " + std::to_string(seed) + " levels " +
                                 std::to_string(levels.size());
        expect_same_summary(summarize_order_statistics(Moments::of(v), by_full_sort(v, levels), levels),
                            summarize(v, levels), what);
      }
    }
}

TEST(SummaryFromOrderStatistics, IndicesCoverEveryLevelAndVar) {
  EXPECT_TRUE(summary_order_indices(0, kDefaultQuantileLevels).empty());
  EXPECT_EQ(summary_order_indices(1, kDefaultQuantileLevels), (std::vector<std::uint64_t>{0}));
  // n = 101: h = 100p is an integer for every default level, so only x_(h) is read.
  EXPECT_EQ(summary_order_indices(101, kDefaultQuantileLevels),
            (std::vector<std::uint64_t>{1, 5, 10, 25, 50, 75, 90, 95, 99}));
  // n = 21, p = 0.5: h = 10; p = 0.01: h = 0.2 reads x_(0) and x_(1); p = 0.05: h = 1.
  const std::vector<double> half = {0.5};
  EXPECT_EQ(summary_order_indices(21, half), (std::vector<std::uint64_t>{0, 1, 10}));
  EXPECT_EQ(summary_tail_size(0), 0u);
  EXPECT_EQ(summary_tail_size(1), 1u);
  EXPECT_EQ(summary_tail_size(19), 1u);
  EXPECT_EQ(summary_tail_size(20), 2u);
  EXPECT_EQ(summary_tail_size(1000), 51u);
  const std::vector<double> bad = {1.5};
  EXPECT_THROW(summary_order_indices(10, bad), InputError);
}

TEST(SummaryFromOrderStatistics, InputsThatDoNotFitThrow) {
  const std::vector<double> v = skewed_sample(100, 3);
  const OrderStatistics good = by_full_sort(v, kDefaultQuantileLevels);
  const Moments m = Moments::of(v);
  OrderStatistics o = good;
  o.tail.pop_back();
  EXPECT_THROW(summarize_order_statistics(m, o), InputError);
  o = good;
  o.indices.pop_back();
  o.values.pop_back();
  EXPECT_THROW(summarize_order_statistics(m, o), InputError);
  Moments wrong = m;
  wrong.count = 99;
  EXPECT_THROW(summarize_order_statistics(wrong, good), InputError);
  o = good;
  o.max = std::numeric_limits<double>::quiet_NaN();  // a NaN sorts to an end
  EXPECT_THROW(summarize_order_statistics(m, o), RuntimeFailure);
}

// The histogram from min/max and, per edge, how many sorted values lie below it.
Histogram histogram_by_counts_below(std::vector<double> v, unsigned bins) {
  std::sort(v.begin(), v.end());
  std::vector<double> edges = histogram_edges(v.size(), v.empty() ? 0.0 : v.front(), v.empty() ? 0.0 : v.back(), bins);
  std::vector<std::uint64_t> below;
  for (const double e : edges) below.push_back(static_cast<std::uint64_t>(std::lower_bound(v.begin(), v.end(), e) - v.begin()));
  return histogram_from_counts_below(std::move(edges), below, v.size());
}

TEST(HistogramFromCounts, EqualsHistogramBitForBit) {
  for (const std::size_t n : {0u, 1u, 2u, 3u, 19u, 20u, 21u, 1000u, 10007u})
    for (const unsigned bins : {1u, 2u, 7u, 50u, 1000u})
      for (const std::uint64_t seed : {1u, 2u}) {
        const std::vector<double> v = seed == 1 ? tied_sample(n, 31 + n) : skewed_sample(n, 32 + n);
        const Histogram a = histogram(v, bins), b = histogram_by_counts_below(v, bins);
        const std::string what = "n " + std::to_string(n) + " bins " + std::to_string(bins) + " seed " + std::to_string(seed);
        ASSERT_EQ(a.edges.size(), b.edges.size()) << what;
        for (std::size_t i = 0; i < a.edges.size(); ++i) EXPECT_TRUE(same_bits(a.edges[i], b.edges[i])) << what << " edge " << i;
        EXPECT_EQ(a.counts, b.counts) << what;
      }
  // Values exactly on edges: 1 and 2 go up, the max into the last bin (Histogram.HandExample).
  const std::vector<double> on_edges = {0.0, 0.5, 1.0, 2.0, 2.5, 3.999, 4.0};
  EXPECT_EQ(histogram_by_counts_below(on_edges, 4).counts, (std::vector<std::uint64_t>{2, 1, 2, 2}));
}

TEST(HistogramFromCounts, BadInputsThrow) {
  EXPECT_THROW(histogram_edges(3, 0.0, 1.0, 0), InputError);
  EXPECT_THROW(histogram_edges(3, 0.0, std::numeric_limits<double>::infinity(), 4), RuntimeFailure);
  EXPECT_THROW(histogram_edges(3, -std::numeric_limits<double>::max(), std::numeric_limits<double>::max(), 4),
               RuntimeFailure);
  const std::vector<std::uint64_t> short_below = {0, 1};
  EXPECT_THROW(histogram_from_counts_below({0.0, 1.0, 2.0}, short_below, 3), InputError);
  const std::vector<std::uint64_t> decreasing = {0, 2, 1};
  EXPECT_THROW(histogram_from_counts_below({0.0, 1.0, 2.0}, decreasing, 3), InputError);
  const std::vector<std::uint64_t> too_many = {0, 1, 4};
  EXPECT_THROW(histogram_from_counts_below({0.0, 1.0, 2.0}, too_many, 3), InputError);
}

}  // namespace
}  // namespace hedgesim
