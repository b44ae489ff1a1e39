// The path engine: layout independence (bit-identical per-path results for any path ranges and thread
// counts, and the CPU tile against the one-path loop), float32 against float64 on the same paths, and
// CPU against CUDA where a GPU exists.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "check.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/path.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/models/model.hpp"
#include "model_cases.hpp"

namespace hedgesim {
namespace {

using test::make_job;

TerminalSamples run_cpu(const SimulationJob& job, PathRange range, unsigned threads) {
  TerminalSamples out;
  cpu_simulate_terminal(job, range, threads, out);
  return out;
}

class LayoutIndependence : public ::testing::TestWithParam<test::ModelCase> {};

TEST_P(LayoutIndependence, SameBitsForAnyRangesAndThreads) {
  const test::ModelCase& c = GetParam();
  for (Precision prec : {Precision::float32, Precision::float64}) {
    SimulationJob job = make_job(c.model, Measure::physical, prec, c.maturity, c.steps_small, 99);
    job.record.count = 2;
    job.record.step[0] = job.steps / 2;
    job.record.step[1] = job.steps;
    const std::uint64_t n = 3001;
    const TerminalSamples whole = run_cpu(job, {0, n}, 1);
    // Uneven ranges, different thread counts, concatenated.
    const std::uint64_t cuts[] = {0, 17, 1500, 2999, n};
    std::vector<double> joined_x, joined_v;
    for (int i = 0; i < 4; ++i) {
      const TerminalSamples part = run_cpu(job, {cuts[i], cuts[i + 1]}, 1 + i);
      joined_x.insert(joined_x.end(), part.log_return.begin(), part.log_return.end());
      joined_v.insert(joined_v.end(), part.variance.begin(), part.variance.end());
    }
    ASSERT_EQ(joined_x.size(), whole.log_return.size());
    EXPECT_EQ(0, std::memcmp(joined_x.data(), whole.log_return.data(), joined_x.size() * sizeof(double)))
        << c.name << " " << to_string(prec) << ": log returns differ between layouts";
    EXPECT_EQ(0, std::memcmp(joined_v.data(), whole.variance.data(), joined_v.size() * sizeof(double)))
        << c.name << " " << to_string(prec) << ": variances differ between layouts";
    // And the same path simulated alone.
    const TerminalSamples one = run_cpu(job, {1234, 1235}, 3);
    EXPECT_EQ(one.log_return[1], whole.log_return[1234 * 2 + 1]);
  }
}

/// ln(S/S0) then v at the recorded steps of paths [0, n), stepped one path at a time by simulate_path
/// (the loop the GPU's threads run), in TerminalSamples' layout.
template <class T>
std::vector<double> one_path_at_a_time(const SimulationJob& job, std::uint64_t n) {
  const unsigned records = job.record.count;
  std::vector<double> x(n * records), v(n * records);
  visit_model<T>(job.model, job.measure, job.dt_years, [&](const auto& model) {
    for (std::uint64_t p = 0; p < n; ++p) {
      TerminalRecorder<T> rec{job.record, x.data() + p * records, v.data() + p * records};
      simulate_path<T>(model, job.steps, job.seed, p, rec);
    }
  });
  x.insert(x.end(), v.begin(), v.end());
  return x;
}

// The CPU tile (its lanes' diffusion stepped together, jumps finished lane by lane) against the
// one-path loop: the same bits for every model, since both step with engine/path.hpp's halves of a step
// and its layout of the random numbers. A model that draws more numbers cannot make them diverge.
TEST_P(LayoutIndependence, TileMatchesOnePathAtATime) {
  const test::ModelCase& c = GetParam();
  for (Precision prec : {Precision::float32, Precision::float64}) {
    SimulationJob job = make_job(c.model, Measure::physical, prec, c.maturity, c.steps_small, 5);
    job.record.count = 2;
    job.record.step[0] = 1;
    job.record.step[1] = job.steps;
    const std::uint64_t n = 45;  // a full tile and a part-empty one
    const TerminalSamples tiled = run_cpu(job, {0, n}, 2);
    std::vector<double> tile = tiled.log_return;
    tile.insert(tile.end(), tiled.variance.begin(), tiled.variance.end());
    const std::vector<double> single =
        prec == Precision::float32 ? one_path_at_a_time<float>(job, n) : one_path_at_a_time<double>(job, n);
    ASSERT_EQ(tile.size(), single.size());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < tile.size(); ++i) differ += std::memcmp(&tile[i], &single[i], sizeof(double)) != 0;
    EXPECT_EQ(differ, 0u) << c.name << " " << to_string(prec) << ": " << differ << " of " << tile.size()
                          << " values differ between the tile and the one-path loop";
  }
}

INSTANTIATE_TEST_SUITE_P(Models, LayoutIndependence, ::testing::ValuesIn(test::model_cases()),
                         [](const auto& info) { return info.param.name; });

// float32 and float64 runs use the same uniforms (up to float rounding), so paths agree closely. The
// tolerance on ln S_T is set by float32 rounding accumulated over the steps (≈ √steps · 6e-8 · |Δx|
// per step, far below 1e-4); a path may still differ more where a QE branch test or a Poisson count
// falls the other way on rounding, so at most 0.1% of paths may exceed it, and the option price
// estimated from each must agree within 2e-4 of spot (well inside the Monte Carlo error).
TEST(Precision, Float32TracksFloat64OnSamePaths) {
  for (const test::ModelCase& c : test::model_cases()) {
    SimulationJob job64 = make_job(c.model, Measure::risk_neutral, Precision::float64, c.maturity, c.steps_small, 5);
    SimulationJob job32 = job64;
    job32.precision = Precision::float32;
    const std::uint64_t n = 20000;
    const TerminalSamples a = run_cpu(job64, {0, n}, 0);
    const TerminalSamples b = run_cpu(job32, {0, n}, 0);
    std::size_t off = 0;
    double sum_a = 0, sum_b = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (std::fabs(a.log_return[i] - b.log_return[i]) > 1e-4) ++off;
      sum_a += std::max(std::exp(a.log_return[i]) - 1.0, 0.0);
      sum_b += std::max(std::exp(b.log_return[i]) - 1.0, 0.0);
    }
    EXPECT_LE(off, n / 1000) << c.name << ": paths whose float32 ln S_T is off by more than 1e-4";
    EXPECT_TRUE(test::near(c.name + " ATM call / spot, float32 vs float64", sum_b / n, sum_a / n, 2e-4));
  }
}

// κΔ under float's ε (κ = 1e-5 at daily steps) rounded e^{−κΔ} to 1 and made the QE mean of a variance
// far below θ exactly 0 (θ − θ), so float32 paths turned NaN and `price` printed -nan with exit 0
// (issue 11). Every float32 path must stay finite, and the ATM call from the float32 paths must agree
// with float64's on the same uniforms within 4 standard errors of one estimate (the two share their
// random numbers, so the difference's own error is far smaller: the bound is generous, not loose
// enough to pass NaN or a broken variance step).
TEST(Precision, Float32QeStaysFiniteWithSlowMeanReversion) {
  for (ModelType type : {ModelType::heston, ModelType::bates}) {
    ModelParams m = test::heston_lewis(VarianceScheme::qe);
    m.type = type;
    m.kappa = 1e-5;
    m.xi = 3;
    if (type == ModelType::bates) m = test::with_btc_jumps(m);
    SimulationJob job64 = make_job(m, Measure::risk_neutral, Precision::float64, 1.0, 365, 17);
    SimulationJob job32 = job64;
    job32.precision = Precision::float32;
    const std::uint64_t n = 20000;
    const TerminalSamples a = run_cpu(job64, {0, n}, 0);
    const TerminalSamples b = run_cpu(job32, {0, n}, 0);
    std::size_t non_finite = 0;
    double sum_a = 0, sum_b = 0, sq_a = 0;
    for (std::size_t i = 0; i < n; ++i) {
      non_finite += !std::isfinite(b.log_return[i]) || !std::isfinite(b.variance[i]);
      const double pa = std::max(std::exp(a.log_return[i]) - 1.0, 0.0);
      sum_a += pa;
      sq_a += pa * pa;
      sum_b += std::max(std::exp(b.log_return[i]) - 1.0, 0.0);
    }
    const std::string name = to_string(type);
    EXPECT_EQ(non_finite, 0u) << name << ": float32 paths that are not finite, of " << n;
    const double mean_a = sum_a / n, se = std::sqrt((sq_a / n - mean_a * mean_a) / (n - 1));
    EXPECT_TRUE(test::near(name + " ATM call / spot, float32 vs float64, kappa 1e-5, xi 3", sum_b / n, mean_a, 4 * se));
  }
}

// The CUDA backend runs the same per-path code: each path's ln S_T agrees with the CPU within the
// difference of the two math libraries (a few ulp per step: 1e-9 in float64, 2e-4 in float32), except
// for at most 0.1% of paths in float32 whose branch or jump count flips on rounding.
TEST(CudaBackend, IsEquivalentToCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (const test::ModelCase& c : test::model_cases()) {
    for (Precision prec : {Precision::float64, Precision::float32}) {
      const SimulationJob job = make_job(c.model, Measure::physical, prec, c.maturity, c.steps_small, 11);
      const PathRange range{1000, 1000 + 50000};
      const TerminalSamples cpu = run_cpu(job, range, 0);
      TerminalSamples gpu;
      cuda_simulate_terminal(job, range, 0, gpu);
      const double tol = prec == Precision::float64 ? 1e-9 : 2e-4;
      std::size_t off = 0;
      for (std::size_t i = 0; i < cpu.log_return.size(); ++i)
        if (!(std::fabs(cpu.log_return[i] - gpu.log_return[i]) <= tol)) ++off;
      const std::size_t allowed = prec == Precision::float64 ? range.size() / 10000 : range.size() / 1000;
      EXPECT_LE(off, allowed) << c.name << " " << to_string(prec) << ": paths differing by more than " << tol;
    }
  }
}

TEST(Backend, CudaRequestWithoutDeviceIsARuntimeFailure) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_THROW(resolve_backend(BackendKind::cuda, 0), RuntimeFailure);
  EXPECT_EQ(resolve_backend(BackendKind::automatic, 0).kind, BackendKind::cpu);
}

}  // namespace
}  // namespace hedgesim
