#pragma once
// What the distributed-summary tests share: bit-for-bit comparison of two summaries, and P&L-like
// sample values (test_distributed_summary.cpp with ranks as threads, test_mpi.cpp under mpirun).
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "hedgesim/stats/distributed_summary.hpp"

namespace hedgesim::test {

inline bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

inline void expect_same(const DistributedSummary& a, const DistributedSummary& b, const std::string& what) {
  const Summary &x = a.summary, &y = b.summary;
  EXPECT_EQ(x.count, y.count) << what;
  for (const auto& [name, u, v] : {std::tuple{"mean", x.mean, y.mean}, {"mean_stderr", x.mean_stderr, y.mean_stderr},
                                   {"std", x.std, y.std}, {"skewness", x.skewness, y.skewness},
                                   {"excess_kurtosis", x.excess_kurtosis, y.excess_kurtosis}, {"min", x.min, y.min},
                                   {"max", x.max, y.max}, {"var_95", x.var_95, y.var_95}, {"es_95", x.es_95, y.es_95},
                                   {"var_99", x.var_99, y.var_99}, {"es_99", x.es_99, y.es_99}})
    EXPECT_TRUE(same_bits(u, v) || (std::isnan(u) && std::isnan(v))) << what << " " << name << ": " << u << " vs " << v;
  ASSERT_EQ(x.quantiles.size(), y.quantiles.size()) << what;
  for (std::size_t i = 0; i < x.quantiles.size(); ++i)
    EXPECT_TRUE(same_bits(x.quantiles[i], y.quantiles[i])) << what << " quantile " << i;
  EXPECT_EQ(a.histogram.counts, b.histogram.counts) << what;
  ASSERT_EQ(a.histogram.edges.size(), b.histogram.edges.size()) << what;
  for (std::size_t i = 0; i < a.histogram.edges.size(); ++i)
    EXPECT_TRUE(same_bits(a.histogram.edges[i], b.histogram.edges[i])) << what << " edge " << i;
}

/// The TileFold of `values`, the paths of tiles from `first_tile` on.
inline TileFold fold_values(std::span<const double> values, std::uint64_t first_tile = 0) {
  TileFold fold(first_tile);
  fold.add_values(values);
  return fold;
}

/// P&L-like values: a skewed body, a heavy left tail, many exact ties (rounded to a grid), ±0.
inline std::vector<double> sample(std::size_t n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> z;
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    double x = 100.0 * z(gen);
    if (i % 7 == 0) x = -std::exp(3.0 + z(gen)) * 50.0;  // losses far in the tail
    if (i % 5 == 0) x = std::round(x / 25.0) * 25.0;      // ties
    if (i % 97 == 0) x = (i % 2 == 0) ? 0.0 : -0.0;
    v[i] = x;
  }
  return v;
}

}  // namespace hedgesim::test
