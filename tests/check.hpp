#pragma once
// Assertion helpers that print computed, expected, error and tolerance, as every numerical test of
// hedgesim must on failure.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace hedgesim::test {

inline ::testing::AssertionResult near(const std::string& what, double computed, double expected, double tolerance) {
  const double error = computed - expected;
  const std::string line = fmt::format("{}: computed {:.10g}, expected {:.10g}, error {:.3g}, tolerance {:.3g}", what,
                                       computed, expected, error, tolerance);
  if (std::isfinite(computed) && std::fabs(error) <= tolerance) {
    // HEDGESIM_TEST_VERBOSE=1 prints passing checks too, to see how much room each tolerance leaves.
    if (std::getenv("HEDGESIM_TEST_VERBOSE")) std::printf("  ok %s\n", line.c_str());
    return ::testing::AssertionSuccess() << line;
  }
  return ::testing::AssertionFailure() << line;
}

/// Sample mean and standard error.
struct MeanSe {
  double mean = 0.0;
  double se = 0.0;
};

template <class F>
MeanSe mean_se(std::size_t n, F&& sample) {
  double mean = 0.0, m2 = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = sample(i);
    const double d = x - mean;
    mean += d / static_cast<double>(i + 1);
    m2 += d * (x - mean);
  }
  return {mean, n > 1 ? std::sqrt(m2 / static_cast<double>(n - 1) / static_cast<double>(n)) : 0.0};
}

}  // namespace hedgesim::test
