// The CPU backend's loops exist for the build's -march and, on x86-64 with GCC, for x86-64-v4
// (AVX-512); the CPU picks at run time. Results must not depend on which ran (a cluster mixes nodes of
// both kinds in one job): every per-path value of every model, precision, policy and cost must have
// the same bits. Skips where the CPU or the build has only one variant.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "hedgesim/config.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/delta_table_builder.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/errors.hpp"
#include "hedge_cases.hpp"
#include "model_cases.hpp"

namespace hedgesim {
namespace {

/// Index and both values of the first of at most `report` differing elements; the count of all.
std::size_t count_mismatches(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  EXPECT_EQ(a.size(), b.size()) << what;
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], sizeof(double)) != 0 && ++mismatches <= 3) {
      ADD_FAILURE() << what << ": element " << i << " is " << a[i] << " with the build's loops and " << b[i]
                    << " with x86-64-v4's";
    }
  }
  return mismatches;
}

#define REQUIRE_V4()                                                                                \
  if (!cpu_isa_available(CpuIsa::x86_64_v4)) GTEST_SKIP() << "no x86-64-v4 loops in this build or CPU"

TEST(CpuIsa, BuildVariantIsAlwaysAvailableAndNamed) {
  EXPECT_TRUE(cpu_isa_available(CpuIsa::build));
  EXPECT_FALSE(cpu_isa_name(CpuIsa::build).empty());
  EXPECT_EQ(cpu_isa_name(CpuIsa::x86_64_v4), "x86-64-v4 (AVX-512)");
  EXPECT_TRUE(cpu_best_isa() == CpuIsa::build || cpu_isa_available(CpuIsa::x86_64_v4));
}

TEST(CpuIsa, UnavailableVariantIsRefused) {
  if (cpu_isa_available(CpuIsa::x86_64_v4)) GTEST_SKIP() << "this CPU runs every variant";
  TerminalSamples out;
  const SimulationJob job = test::make_job(test::model_cases().front().model, Measure::physical, Precision::float64,
                                           0.1, 10, 1);
  EXPECT_THROW(cpu_simulate_terminal(job, {0, 16}, 1, out, CpuIsa::x86_64_v4), RuntimeFailure);
}

TEST(CpuIsa, TerminalSamplesHaveTheSameBits) {
  REQUIRE_V4();
  for (const test::ModelCase& c : test::model_cases()) {
    for (Precision prec : {Precision::float32, Precision::float64}) {
      SimulationJob job = test::make_job(c.model, Measure::physical, prec, c.maturity, c.steps_small, 5);
      job.record.count = 2;
      job.record.step[0] = job.steps / 2;
      job.record.step[1] = job.steps;
      TerminalSamples build, v4;
      cpu_simulate_terminal(job, {0, 1001}, 2, build, CpuIsa::build);
      cpu_simulate_terminal(job, {0, 1001}, 2, v4, CpuIsa::x86_64_v4);
      const std::string what = c.name + " " + std::string(to_string(prec));
      EXPECT_EQ(count_mismatches(build.log_return, v4.log_return, what + " log return"), 0u);
      EXPECT_EQ(count_mismatches(build.variance, v4.variance, what + " variance"), 0u);
    }
  }
}

/// Every policy type, Leland, both settlements, the ways a trade is booked and stochastic funding.
/// everlasting: test::kEverlastingBook (the tile of everlasting books).
void expect_hedging_same_bits(const std::string& model, const std::string& costs, const std::string& hedge,
                              Precision precision, bool leland = true, bool everlasting = false) {
  const std::string yaml =
      "simulation: {paths: 203, steps_per_day: 24, seed: 11, precision: " + std::string(to_string(precision)) +
      (everlasting ? test::kEverlastingHorizon : "") + "}\n"
      "model: " + model + "\n" +
      (everlasting ? test::kEverlastingBook
                   : "book: [{type: call, strike: 105, expiry_days: 2, quantity: -10},\n"
                     "       {type: put, strike: 95, expiry_days: 1, quantity: 4, settlement: inverse}]\n") +
      "hedge: {" + hedge + "}\n"
      "costs: " + costs + "\n" +
      test::all_policy_types(leland ? "true" : "false");
  const test::HedgeCase c(yaml);
  const RunSpec& spec = c.spec;
  const SimulationJob& job = c.job;
  const HedgeParams& hp = c.hp;
  std::vector<double> build, v4;
  cpu_simulate_hedging(job, hp, PathRange{0, spec.simulation.paths}, 2, build, CpuIsa::build);
  cpu_simulate_hedging(job, hp, PathRange{0, spec.simulation.paths}, 2, v4, CpuIsa::x86_64_v4);
  const std::string what = model + ", " + costs + ", " + hedge + ", " + to_string(precision);
  EXPECT_EQ(count_mismatches(build, v4, what), 0u);
  double trades = 0.0;
  const std::size_t n = spec.simulation.paths * hp.n_policies;
  for (std::size_t i = 0; i < n; ++i) trades += build[static_cast<std::size_t>(PathField::trades) * n + i];
  EXPECT_GT(trades, 1000.0) << what << ": the policies must trade for the comparison to mean anything";
}

TEST(CpuIsa, HedgedPathsHaveTheSameBits) {
  REQUIRE_V4();
  const std::string& bates = test::kBatesModel;
  const std::string svcj =
      "{type: svcj, spot: 100, v0: 0.36, kappa: 2, theta: 0.36, xi: 0.8, rho: -0.5, jump_intensity: 20, "
      "jump_mean: -0.05, jump_stdev: 0.1, var_jump_mean: 0.05, jump_rho: -0.5}";
  const std::string gbm = "{type: gbm, spot: 100, vol: 0.6}";
  const std::string plain = "{fee_bps: 5}";
  const std::string charges = "{fee_bps: 5, fixed_per_trade: 0.5, gas: {units: 150000, price_gwei: 20, kappa: 5, sigma: 1}}";
  const std::string impact =
      "{fee_bps: 5, failure_probability: 0.2, slippage: {model: sqrt, coefficient: 0.1, depth_usd: 1e5}}";
  const std::string perpetual =
      "instrument: perpetual, delta: instantaneous, funding: {rate: 0.1, stochastic: true, kappa: 50, sigma: 0.5, rho: 0.3}";
  for (Precision prec : {Precision::float32, Precision::float64}) {
    for (const std::string& c : {plain, charges, impact}) expect_hedging_same_bits(bates, c, perpetual, prec);
    expect_hedging_same_bits(svcj, plain, "instrument: spot, delta: implied, implied_vol: 0.6", prec);
    expect_hedging_same_bits(gbm, plain, "instrument: perpetual, delta: implied, implied_vol: 0.6", prec);
    expect_hedging_same_bits(bates, charges, perpetual, prec, true, true);
  }
}

TEST(CpuIsa, ModelDeltaTablesHaveTheSameBits) {
  REQUIRE_V4();
  const std::string heston = "{type: heston, spot: 100, v0: 0.36, kappa: 2, theta: 0.36, xi: 0.8, rho: -0.5}";
  expect_hedging_same_bits(heston, "{fee_bps: 5}", "instrument: perpetual, delta: model", Precision::float32, false);
}

}  // namespace
}  // namespace hedgesim
