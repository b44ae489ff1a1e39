// Monte Carlo against exact answers, for every model and scheme (model_cases.hpp; Feller-satisfying and
// violating): E[S_T] under both measures, E[v_T], and European prices against the closed forms.
// Tolerance = 4 standard errors + a discretisation-bias bound stated beside each check; the bound is
// proportional to the step Δ for schemes whose bias is O(Δ), so it shrinks as steps grow.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "check.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/pricing/analytic.hpp"
#include "model_cases.hpp"

namespace hedgesim {
namespace {

using test::make_job;
using test::ModelCase;

constexpr std::uint64_t kPaths = 100000;

TerminalSamples simulate(const SimulationJob& job, std::uint64_t paths) {
  TerminalSamples out;
  cpu_simulate_terminal(job, {0, paths}, 0, out);
  return out;
}

/// Continuous-time E[v_T] and the exact mean of the discrete scheme's variance (QE matches the
/// conditional mean of the diffusion exactly; SVCJ's jumps land at the end of each step, which moves
/// the discrete mean by O(Δ)).
struct VarianceMean {
  double continuous;
  double discrete;
};
VarianceMean expected_variance(const ModelParams& p, double maturity, std::uint32_t steps) {
  const double jump = p.type == ModelType::svcj ? p.jump_intensity * p.var_jump_mean : 0.0;
  const double theta_star = p.theta + jump / p.kappa;
  const double cont = theta_star + (p.v0 - theta_star) * std::exp(-p.kappa * maturity);
  const double dt = maturity / steps;
  const double e = std::exp(-p.kappa * dt);
  double m = p.v0;
  for (std::uint32_t n = 0; n < steps; ++n) m = p.theta + (m - p.theta) * e + jump * dt;
  return {cont, m};
}

std::uint32_t fine_steps(const ModelCase& c) {
  // Daily steps for year-long cases, hourly-ish for short ones.
  return c.maturity >= 0.5 ? static_cast<std::uint32_t>(c.maturity * 365) : static_cast<std::uint32_t>(c.maturity * 365 * 8);
}

class Moments : public ::testing::TestWithParam<ModelCase> {};

// E[S_T] = S_0 e^{μT}: exact for every scheme here (each conditional log step is Gaussian given v, or
// martingale-corrected in QE, and jumps are compensated), so the bias bound is 1e-4 relative, only
// for QE steps where Andersen's correction does not exist and K0 is used uncorrected.
TEST_P(Moments, ExpectedSpotUnderBothMeasures) {
  const ModelCase& c = GetParam();
  for (Measure measure : {Measure::physical, Measure::risk_neutral}) {
    const SimulationJob job = make_job(c.model, measure, Precision::float64, c.maturity, fine_steps(c) / 4 + 1, 2024);
    const TerminalSamples s = simulate(job, kPaths);
    const auto r = test::mean_se(kPaths, [&](std::size_t i) { return std::exp(s.log_return[i]); });
    const double mu = measure == Measure::physical ? c.model.drift : c.model.rate - c.model.dividend;
    const double expected = std::exp(mu * c.maturity);
    EXPECT_TRUE(test::near(c.name + " E[S_T]/S_0 " + to_string(measure), r.mean, expected, 4 * r.se + 1e-4 * expected));
  }
}

// E[v_T]: QE reproduces the discrete conditional mean exactly, so the bias bound is the exact gap
// between the discrete and continuous means (zero without variance jumps, O(Δ) for SVCJ). Full
// truncation Euler adds the truncation bias E[v⁻] and the (1 − κΔ) vs e^{−κΔ} gap: bound
// 0.5·κ·θ·Δ·steps·... stated as 2% of θ at these step sizes plus the discrete gap.
TEST_P(Moments, ExpectedVariance) {
  const ModelCase& c = GetParam();
  if (c.model.type == ModelType::gbm) GTEST_SKIP() << "constant variance";
  const std::uint32_t steps = fine_steps(c);
  const SimulationJob job = make_job(c.model, Measure::physical, Precision::float64, c.maturity, steps, 77);
  const TerminalSamples s = simulate(job, kPaths);
  const auto r = test::mean_se(kPaths, [&](std::size_t i) { return s.variance[i]; });
  const VarianceMean e = expected_variance(c.model, c.maturity, steps);
  double bias = std::fabs(e.discrete - e.continuous);
  if (c.model.scheme == VarianceScheme::euler) bias += 0.02 * c.model.theta;
  EXPECT_TRUE(test::near(c.name + " E[v_T]", r.mean, e.continuous, 4 * r.se + bias));
}

INSTANTIATE_TEST_SUITE_P(Models, Moments, ::testing::ValuesIn(test::model_cases()),
                         [](const auto& info) { return info.param.name; });

// European prices against the closed form, at strikes 0.8, 1.0 and 1.2 × forward. Bias bound per
// scheme, proportional to Δ (years): GBM is exact (0); QE's weak error is O(Δ) with a small constant —
// 0.5·S_0·Δ, i.e. 0.14% of spot at daily steps; full-truncation Euler 2·S_0·Δ. Simulated in float64
// with daily steps for long maturities and 8 per day for short ones.
double price_bias_bound(const ModelParams& p, double dt) {
  if (p.type == ModelType::gbm) return 0.0;
  return (p.scheme == VarianceScheme::qe ? 0.5 : 2.0) * p.spot * dt;
}

class Prices : public ::testing::TestWithParam<ModelCase> {};

TEST_P(Prices, MonteCarloMatchesClosedForm) {
  const ModelCase& c = GetParam();
  const std::uint32_t steps = fine_steps(c);
  const SimulationJob job = make_job(c.model, Measure::risk_neutral, Precision::float64, c.maturity, steps, 31337);
  const TerminalSamples s = simulate(job, kPaths);
  const double fwd = c.model.spot * std::exp((c.model.rate - c.model.dividend) * c.maturity);
  const double df = std::exp(-c.model.rate * c.maturity);
  const double bias = price_bias_bound(c.model, job.dt_years);
  for (double moneyness : {0.8, 1.0, 1.2}) {
    const double k = moneyness * fwd;
    // Calls above the forward, puts below: the out-of-the-money side, whose prices are the sensitive ones.
    const OptionType type = moneyness >= 1.0 ? OptionType::call : OptionType::put;
    const auto r = test::mean_se(kPaths, [&](std::size_t i) {
      const double st = c.model.spot * std::exp(s.log_return[i]);
      return df * std::max(type == OptionType::call ? st - k : k - st, 0.0);
    });
    const double expected = analytic_price(c.model, type, k, c.maturity);
    EXPECT_TRUE(test::near(c.name + " " + to_string(type) + " K/F=" + std::to_string(moneyness), r.mean, expected,
                           4 * r.se + bias));
  }
}

INSTANTIATE_TEST_SUITE_P(Models, Prices, ::testing::ValuesIn(test::model_cases()),
                         [](const auto& info) { return info.param.name; });

// The discretisation bias shrinks as steps grow: full-truncation Euler on the Feller-violating
// Fang–Oosterlee case is visibly biased at 4 steps a year and within its O(Δ) bound at 64.
TEST(Convergence, EulerBiasShrinksWithSteps) {
  const ModelParams p = test::heston_fang_oosterlee(VarianceScheme::euler);
  const double expected = analytic_price(p, OptionType::call, 100.0, 1.0);
  double gaps[2];
  double ses[2];
  const std::uint32_t grids[2] = {4, 64};
  for (int g = 0; g < 2; ++g) {
    const SimulationJob job = make_job(p, Measure::risk_neutral, Precision::float64, 1.0, grids[g], 8);
    const TerminalSamples s = simulate(job, 200000);
    const auto r = test::mean_se(200000, [&](std::size_t i) { return std::max(100.0 * std::exp(s.log_return[i]) - 100.0, 0.0); });
    gaps[g] = std::fabs(r.mean - expected);
    ses[g] = r.se;
  }
  EXPECT_GT(gaps[0], gaps[1] + 2 * ses[0]) << "Euler bias at 4 steps " << gaps[0] << " vs 64 steps " << gaps[1];
  EXPECT_TRUE(test::near("Fang-Oosterlee call, Euler, 64 steps/yr", gaps[1], 0.0, 4 * ses[1] + 2.0 * 100.0 / 64));
}

}  // namespace
}  // namespace hedgesim
