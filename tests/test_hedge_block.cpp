// The GPU's division of hedging across a block (hedging/hedge_block.hpp: market threads, greeks items,
// one thread per path and policy, chunks in shared memory) emulated on the host, phase by phase, must
// give every field of every policy bit for bit what the CPU tile gives — so the device differs from the
// CPU only by its own rounding. Covered: each way a trade is booked (no charges; gas, fixed and spot
// cash; slippage with failures), perpetual and spot hedges, stochastic funding and gas, every policy
// type, Leland, both precisions, model deltas (the Heston table), surface marks (both dynamics, with hedge
// options and the horizon's close-out), one and several policy groups, P&L attribution with Black–Scholes
// and model marks, hedge options with either marks and the options program's other rules (trade sizes,
// the unwind, premium-adjusted deltas, Leland's sign per decision), and path counts that leave the last
// block part-empty.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "hedge_cases.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/hedge_block.hpp"
#include "hedgesim/models/model.hpp"

namespace hedgesim {
namespace {

using test::kBatesModel;

const std::string kAllPolicies = test::all_policy_types("true", "{const: -1, tau: 0.5, gamma: 0.3, vol: 0.2, gas: 0.1}");

/// A short strangle, linear and inverse: one side only, so that Leland's sign stays the inception's and
/// a job without the options kernel's rules runs the standard kernel (uses_options_kernel).
const std::string kShortBook = "[{type: call, strike: 105, expiry_days: 2, quantity: -10},\n"
                               "       {type: put, strike: 95, expiry_days: 1, quantity: -4, settlement: inverse}]";
/// Short the call, long the put: the book's gamma turns from long to short along many paths.
const std::string kMixedBook = "[{type: call, strike: 105, expiry_days: 2, quantity: -10},\n"
                               "       {type: put, strike: 95, expiry_days: 1, quantity: 4, settlement: inverse}]";

/// Twenty policies, delta bands and option policies in turn: two policy groups on the GPU.
std::string twenty_option_policies() {
  std::string twenty = "policies: [";
  for (int i = 0; i < 20; ++i)
    twenty += (i ? ", " : "") + std::string("{name: g") + std::to_string(i) + ", type: " +
              (i % 3 == 0 ? "delta_band" : i % 3 == 1 ? "delta_gamma" : "delta_gamma_vega") +
              ", width: " + std::to_string(0.05 * (i + 1)) + (i % 3 == 0 ? "}" : ", gamma_band: 0.1}");
  return twenty + "]\n";
}

/// Twenty delta bands, some with Leland: two policy groups on the GPU.
std::string twenty_bands() {
  std::string twenty = "policies: [";
  for (int i = 0; i < 20; ++i)
    twenty += (i ? ", " : "") + std::string("{name: b") + std::to_string(i) + ", type: delta_band, width: " +
              std::to_string(0.05 * (i + 1)) + (i % 7 == 3 ? ", leland: true}" : "}");
  return twenty + "]\n";
}

std::string config(const std::string& model, const std::string& hedge, const std::string& costs,
                   const std::string& policies, std::uint64_t paths, Precision precision,
                   const std::string& book = kShortBook) {
  return "simulation: {paths: " + std::to_string(paths) + ", steps_per_day: 24, seed: 7, precision: " +
         std::string(to_string(precision)) + "}\n" + "model: " + model + "\n" + "book: " + book + "\n" +
         "hedge: {" + hedge + "}\n" + "costs: " + costs + "\n" + policies;
}

/// Returns the paths the CPU liquidated (PathField::liquidated, summed over policies; 0 without hedge.margin).
/// With cascades (hedge.margin.impact_depth_usd) some of them must have cascaded.
template <class T>
double expect_blocks_match_cpu(const std::string& yaml, const std::string& what) {
  const test::HedgeCase c(yaml);
  const RunSpec& spec = c.spec;
  const SimulationJob& job = c.job;
  const HedgeParams& hp = c.hp;
  const std::uint64_t n = spec.simulation.paths;
  std::vector<double> cpu;
  cpu_simulate_hedging(job, hp, PathRange{0, n}, 2, cpu);
  std::vector<double> blocks(cpu.size(), std::nan(""));
  const BlockShape shape = block_shape(hp);
  test::visit_test_model<T>(job, [&](const auto& model) {
    emulate_hedging_blocks<T>(model, job.steps, job.seed, hp, 0, n, blocks.data(), shape);
  });
  double trades = 0.0, liquidated = 0.0, cascaded = 0.0;
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    if (std::memcmp(&cpu[i], &blocks[i], sizeof(double)) != 0 && ++mismatches <= 5) {
      const std::size_t field = i / (n * hp.n_policies), policy = i / n % hp.n_policies, path = i % n;
      ADD_FAILURE() << what << ": " << to_string(static_cast<PathField>(field)) << " of policy "
                    << spec.policies[policy].name << " on path " << path << ": CPU tile " << cpu[i] << ", blocks "
                    << blocks[i];
    }
    if (i / (n * hp.n_policies) == static_cast<std::size_t>(PathField::trades)) trades += cpu[i];
    if (hp.margin && i / (n * hp.n_policies) == static_cast<std::size_t>(PathField::liquidated)) liquidated += cpu[i];
    if (hp.margin && i / (n * hp.n_policies) == static_cast<std::size_t>(PathField::cascaded)) cascaded += cpu[i];
  }
  if (hp.margin && hp.margin_params.impact_depth > 0.0) EXPECT_GT(cascaded, 0.0) << what << ": no liquidation cascaded";
  EXPECT_EQ(mismatches, 0u) << what << " (" << (shape.options_kernel ? "options" : "standard") << " kernel, "
                            << shape.groups << " group(s) of " << shape.policies << " policies, " << shape.paths
                            << " paths a block, chunks of " << shape.chunk << " steps)";
  EXPECT_GT(trades, 100.0) << what << ": the policies must trade for the test to exercise the trade paths";
  return liquidated;
}

TEST(HedgeBlock, EmulationMatchesCpuTileForEveryCostAndPolicy) {
  const std::string plain = "{fee_bps: 5}";
  const std::string charges =
      "{fee_bps: 5, fixed_per_trade: 0.5, gas: {units: 150000, price_gwei: 20, kappa: 5, sigma: 1, return_sensitivity: 2}}";
  const std::string impact =
      "{fee_bps: 5, failure_probability: 0.2, slippage: {model: sqrt, coefficient: 0.1, depth_usd: 1e5}}";
  const std::string amm = "{fee_bps: 5, slippage: {model: amm, depth_usd: 2e5}}";
  const std::string perpetual =
      "instrument: perpetual, delta: instantaneous, funding: {rate: 0.1, stochastic: true, kappa: 50, sigma: 0.5, rho: 0.3}";
  for (const std::string& c : {plain, charges, impact, amm}) {
    expect_blocks_match_cpu<float>(config(kBatesModel, perpetual, c, kAllPolicies, 45, Precision::float32), "float32, " + c);
    expect_blocks_match_cpu<double>(config(kBatesModel, perpetual, c, kAllPolicies, 45, Precision::float64), "float64, " + c);
  }
  expect_blocks_match_cpu<float>(
      config(kBatesModel, "instrument: spot, delta: implied, implied_vol: 0.6", plain, kAllPolicies, 37, Precision::float32),
      "spot hedge at an implied vol");
}

TEST(HedgeBlock, EmulationMatchesCpuTileWithTradeSizesUnwindAndPremiumAdjustedDeltas) {
  // Lots and the minimum trade, an AMM pool whose cap refuses fills, premium-adjusted deltas of the
  // inverse put, Leland's sign per decision (the mixed book), and the unwind at the last expiry: at the
  // horizon (a decision of its own in the block program), and a day before it (then decisions after it
  // hold nothing). Each rule alone also sends the job to the options kernel.
  const std::string hedge = "instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}, min_trade: 0.05, "
                            "lot_size: 0.01, unwind_at_expiry: true, inverse_delta: premium_adjusted";
  const std::string amm = "{fee_bps: 5, fixed_per_trade: 0.5, slippage: {model: amm, depth_usd: 2e3, max_fill_fraction: 0.2}}";
  const std::string charges = "{fee_bps: 5, fixed_per_trade: 0.5, gas: {units: 150000, price_gwei: 20, kappa: 5, sigma: 1}}";
  const std::string beyond = "output: {attribution: true}\n";
  expect_blocks_match_cpu<double>(config(kBatesModel, hedge, amm, kAllPolicies, 45, Precision::float64, kMixedBook),
                                  "sizes, amm cap, float64");
  expect_blocks_match_cpu<float>(config(kBatesModel, hedge, charges, kAllPolicies, 45, Precision::float32, kMixedBook),
                                 "sizes, charges, float32");
  std::string later = config(kBatesModel, hedge, charges, kAllPolicies + beyond, 45, Precision::float64, kMixedBook);
  later.replace(later.find("seed: 7"), 7, "seed: 7, horizon_days: 3");
  expect_blocks_match_cpu<double>(later, "unwind a day before the horizon, attribution");
  // With model marks (the options program's model-marks kernel), the unwind at a horizon before the last
  // expiry, where the call leaves the run at its model mark.
  std::string marks = config(kBatesModel, hedge + ", marks: model", charges, kAllPolicies + beyond, 45,
                             Precision::float64, kMixedBook);
  marks.replace(marks.find("seed: 7"), 7, "seed: 7, horizon_days: 1.5");
  expect_blocks_match_cpu<double>(marks, "model marks, unwind at a horizon before the last expiry");

  const std::string plain = "instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}";
  const auto kernel = [&](const std::string& h, const std::string& book) {
    return block_shape(test::HedgeCase(config(kBatesModel, h, "{fee_bps: 5}", kAllPolicies, 45, Precision::float64, book)).hp)
        .options_kernel;
  };
  EXPECT_FALSE(kernel(plain, kShortBook)) << "a one-sided book with Leland: the standard kernel";
  EXPECT_TRUE(kernel(plain, kMixedBook)) << "Leland's sign per decision";
  EXPECT_TRUE(kernel(plain + ", min_trade: 0.05", kShortBook)) << "a minimum trade";
  EXPECT_TRUE(kernel(plain + ", lot_size: 0.01", kShortBook)) << "lots";
  EXPECT_TRUE(kernel(plain + ", unwind_at_expiry: true", kShortBook)) << "the unwind";
  EXPECT_TRUE(kernel(plain + ", inverse_delta: premium_adjusted", kShortBook)) << "premium-adjusted deltas";
}

// The unwind with hedge options (closed at their marks, paying costs.options) and trade sizes on the
// perpetual: at the last expiry (the horizon, 2 days) and at a horizon before it (1.5 days: the unwind is
// the horizon's decision), with and without attribution.
TEST(HedgeBlock, EmulationMatchesCpuTileWithTheUnwindOfHedgeOptions) {
  const std::string hedge = std::string("instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}, min_trade: 0.05, "
                                        "lot_size: 0.01, unwind_at_expiry: true, ") + test::kHedgeOptions;
  const std::string costs = std::string("{fee_bps: 5, fixed_per_trade: 0.5, ") + test::kOptionCosts + "}";
  const std::string policies = test::with_option_policies(kAllPolicies);
  for (const bool att : {false, true}) {
    const std::string out = att ? "output: {attribution: true}\n" : "";
    const std::string what = att ? "unwind of hedge options with attribution, " : "unwind of hedge options, ";
    expect_blocks_match_cpu<double>(config(kBatesModel, hedge, costs, policies + out, 45, Precision::float64),
                                    what + "at the horizon");
    std::string before = config(kBatesModel, hedge, costs, policies + out, 45, Precision::float32);
    before.replace(before.find("seed: 7"), 7, "seed: 7, horizon_days: 1.5");
    expect_blocks_match_cpu<float>(before, what + "horizon before the last expiry, float32");
  }
}

TEST(HedgeBlock, EmulationMatchesCpuTileForEveryBlockShape) {
  // 1 and 2 policies: 128 paths a block; 20 policies: two groups of 10, each repeating the market work.
  const std::string one = "policies: [{name: ww, type: whalley_wilmott, risk_aversion: 0.01, leland: true}]\n";
  const std::string two = "policies: [{name: band, type: delta_band, width: 0.3}, {name: every, type: every_step}]\n";
  const std::string twenty = twenty_bands();
  const std::string gbm = "{type: gbm, spot: 100, rate: 0.02, vol: 0.7}";
  const std::string hedge = "instrument: perpetual, delta: instantaneous, funding: {rate: 0.05}";
  expect_blocks_match_cpu<double>(config(gbm, hedge, "{fee_bps: 5}", one, 300, Precision::float64), "1 policy");
  expect_blocks_match_cpu<float>(config(kBatesModel, hedge, "{fee_bps: 5}", two, 130, Precision::float32), "2 policies");
  expect_blocks_match_cpu<float>(config(kBatesModel, hedge, "{fee_bps: 5}", twenty, 33, Precision::float32), "20 policies");
}

TEST(HedgeBlock, EmulationMatchesCpuTileWithModelDeltas) {
  // Leland adjusts a Black-Scholes vol: not with model deltas.
  const std::string kNoLeland =
      "policies: [{name: every, type: every_step}, {name: band, type: delta_band, width: 0.5},\n"
      "  {name: ww, type: whalley_wilmott, risk_aversion: 0.01}, {name: hybrid, type: hybrid, width: 0.3, max_hours: 6},\n"
      "  {name: state, type: state_band, theta: {const: -1, tau: 0.5, gamma: 0.3, vol: 0.2}}]\n";
  const std::string heston = "{type: heston, spot: 100, rate: 0.03, v0: 0.36, kappa: 2, theta: 0.36, xi: 0.8, rho: -0.5}";
  expect_blocks_match_cpu<double>(
      config(heston, "instrument: perpetual, delta: model", "{fee_bps: 5}", kNoLeland, 40, Precision::float64),
      "Heston model deltas");
}

TEST(HedgeBlock, EmulationMatchesCpuTileWithAttribution) {
  // The market threads mark the book and keep its attribution in shared memory across chunks, the policy
  // items their interest (r = 3% in the Bates model); one group and two (20 policies).
  const std::string attribution = "output: {attribution: true}\n";
  const std::string perpetual = "instrument: perpetual, delta: instantaneous, funding: {rate: 0.1, stochastic: true, kappa: 50, sigma: 0.5, rho: 0.3}";
  const std::string charges = "{fee_bps: 5, fixed_per_trade: 0.5, gas: {units: 150000, price_gwei: 20}}";
  const std::string impact = "{fee_bps: 5, failure_probability: 0.2, slippage: {model: sqrt, coefficient: 0.1, depth_usd: 1e5}}";
  std::string twenty = "policies: [";
  for (int i = 0; i < 20; ++i)
    twenty += (i ? ", " : "") + std::string("{name: b") + std::to_string(i) + ", type: delta_band, width: " + std::to_string(0.05 * (i + 1)) + "}";
  twenty += "]\n";
  expect_blocks_match_cpu<double>(config(kBatesModel, perpetual, charges, kAllPolicies + attribution, 45, Precision::float64),
                                  "attribution, float64, charges");
  expect_blocks_match_cpu<float>(config(kBatesModel, perpetual, impact, kAllPolicies + attribution, 45, Precision::float32),
                                 "attribution, float32, slippage and failures");
  expect_blocks_match_cpu<float>(config(kBatesModel, "instrument: spot, delta: implied, implied_vol: 0.6", "{fee_bps: 5}",
                                        twenty + attribution, 33, Precision::float32),
                                 "attribution, spot hedge, 20 policies");
}

// A horizon before the book's last expiry (1.5 days: the put has expired, the call is closed at its mark
// there, at the horizon's √v): the market threads close the book into its cash, with and without
// attribution.
TEST(HedgeBlock, EmulationMatchesCpuTileWithTheBookClosedAtTheHorizon) {
  const std::string perpetual = "instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}";
  const auto before_expiry = [](std::string yaml) { return yaml.replace(yaml.find("seed: 7"), 7, "seed: 7, horizon_days: 1.5"); };
  for (const bool att : {false, true}) {
    const std::string out = att ? "output: {attribution: true}\n" : "";
    const std::string what = att ? "horizon before expiry with attribution, " : "horizon before expiry, ";
    expect_blocks_match_cpu<double>(before_expiry(config(kBatesModel, perpetual, "{fee_bps: 5}", kAllPolicies + out, 45,
                                                         Precision::float64)),
                                    what + "float64");
    expect_blocks_match_cpu<float>(before_expiry(config(kBatesModel, perpetual, "{fee_bps: 5}", kAllPolicies + out, 45,
                                                        Precision::float32)),
                                   what + "float32");
  }
}

// Hedge options (kOptions): the greeks items mark them into records, the policy items keep positions,
// costs and (with attribution) their pieces across chunks; an option expires on the way (the put, 1 day)
// and one is valued at its mark at the horizon (the call, 5 days); with and without attribution, both
// precisions, a spot hedge, and two policy groups.
TEST(HedgeBlock, EmulationMatchesCpuTileWithHedgeOptions) {
  const std::string perpetual = std::string("instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}, ") +
                                test::kHedgeOptions;
  const std::string spot = std::string("instrument: spot, delta: implied, implied_vol: 0.6, ") + test::kHedgeOptions;
  const std::string costs = std::string("{fee_bps: 5, ") + test::kOptionCosts + "}";
  const std::string impact = std::string("{fee_bps: 5, failure_probability: 0.2, slippage: {model: sqrt, coefficient: 0.1, "
                                         "depth_usd: 1e5}, ") + test::kOptionCosts + "}";
  const std::string policies = test::with_option_policies(kAllPolicies);
  const std::string attribution = "output: {attribution: true}\n";
  const std::string twenty = twenty_option_policies();
  for (const bool att : {false, true}) {
    const std::string out = att ? attribution : "";
    const std::string what = att ? "hedge options with attribution, " : "hedge options, ";
    expect_blocks_match_cpu<double>(config(kBatesModel, perpetual, costs, policies + out, 45, Precision::float64),
                                    what + "float64");
    expect_blocks_match_cpu<float>(config(kBatesModel, perpetual, impact, policies + out, 45, Precision::float32),
                                   what + "float32, slippage and failures");
    expect_blocks_match_cpu<double>(config(kBatesModel, spot, costs, policies + out, 37, Precision::float64),
                                    what + "spot hedge");
    expect_blocks_match_cpu<float>(config(kBatesModel, perpetual, costs, twenty + out, 33, Precision::float32),
                                   what + "20 policies");
  }
  // Position limits (max_position) that bind: the clamp is in the policy items' trade_options.
  const std::string limited = std::string("instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}, ") +
                              test::kLimitedHedgeOptions;
  expect_blocks_match_cpu<double>(config(kBatesModel, limited, costs, policies, 45, Precision::float64),
                                  "hedge options with position limits");
}

TEST(HedgeBlock, EmulationMatchesCpuTileWithModelMarks) {
  // The market threads mark the book from the model table (table_marks) and keep the variance as the
  // marks' vol state; gbm's model marks are Black–Scholes at model.vol.
  const std::string attribution = "output: {attribution: true}\n";
  const std::string kNoLeland =
      "policies: [{name: every, type: every_step}, {name: band, type: delta_band, width: 0.5},\n"
      "  {name: ww, type: whalley_wilmott, risk_aversion: 0.01}, {name: move, type: move, move_pct: 1}]\n";
  const std::string heston = "{type: heston, spot: 100, rate: 0.03, v0: 0.36, kappa: 2, theta: 0.36, xi: 0.8, rho: -0.5}";
  expect_blocks_match_cpu<double>(config(heston, "instrument: perpetual, delta: model, marks: model", "{fee_bps: 5}",
                                         kNoLeland + attribution, 40, Precision::float64),
                                  "Heston model deltas and marks");
  expect_blocks_match_cpu<float>(config(kBatesModel, "instrument: spot, delta: implied, implied_vol: 0.6, marks: model",
                                        "{fee_bps: 5, fixed_per_trade: 0.5}", kAllPolicies + attribution, 33, Precision::float32),
                                 "Bates model marks, implied deltas, float32");
  expect_blocks_match_cpu<float>(config("{type: gbm, spot: 100, rate: 0.02, vol: 0.7}", "instrument: perpetual, delta: instantaneous, marks: model",
                                        "{fee_bps: 5}", kAllPolicies + attribution, 35, Precision::float32),
                                 "gbm model marks");
  // A horizon before the last expiry: the call is closed at its model mark (the attribution's).
  std::string horizon = config(kBatesModel, "instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}, marks: model",
                               "{fee_bps: 5}", kAllPolicies + attribution, 45, Precision::float64);
  expect_blocks_match_cpu<double>(horizon.replace(horizon.find("seed: 7"), 7, "seed: 7, horizon_days: 1.5"),
                                  "Bates model marks, horizon before expiry");
}

// Model marks with hedge options (BlockFeatures<attribution, true, MarkSource::model>): the greeks items mark the hedge
// options from the model table (the book's vega too) and record their quote vegas, the policy items read
// the clamped variance as the options' vol state; without attribution (the model marks are then the
// hedge options' only) and with it; Heston with model deltas, and with instantaneous deltas, Leland and a
// horizon before the book's expiry (the call closed at its model mark), gbm (Black–Scholes at model.vol).
TEST(HedgeBlock, EmulationMatchesCpuTileWithModelMarksAndHedgeOptions) {
  const std::string heston = "{type: heston, spot: 100, rate: 0.03, v0: 0.36, kappa: 2, theta: 0.36, xi: 0.8, rho: -0.5}";
  const std::string costs = std::string("{fee_bps: 5, ") + test::kOptionCosts + "}";
  const std::string kNoLeland = test::with_option_policies(
      "policies: [{name: every, type: every_step}, {name: band, type: delta_band, width: 0.5},\n"
      "  {name: ww, type: whalley_wilmott, risk_aversion: 0.01}, {name: move, type: move, move_pct: 1}]\n");
  const std::string model_hedge = std::string("instrument: perpetual, delta: model, marks: model, ") + test::kHedgeOptions;
  const std::string vol_hedge = std::string("instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}, marks: model, ") +
                                test::kHedgeOptions;
  const std::string gbm_hedge = std::string("instrument: spot, delta: instantaneous, marks: model, ") + test::kHedgeOptions;
  for (const bool att : {false, true}) {
    const std::string out = att ? "output: {attribution: true}\n" : "";
    const std::string what = att ? "model marks and hedge options with attribution, " : "model marks and hedge options, ";
    expect_blocks_match_cpu<double>(config(heston, model_hedge, costs, kNoLeland + out, 40, Precision::float64),
                                    what + "Heston model deltas");
    expect_blocks_match_cpu<float>(config(heston, model_hedge, costs, kNoLeland + out, 33, Precision::float32),
                                   what + "Heston model deltas, float32");
    std::string horizon = config(heston, vol_hedge, costs, test::with_option_policies(kAllPolicies) + out, 45,
                                 Precision::float64);
    expect_blocks_match_cpu<double>(horizon.replace(horizon.find("seed: 7"), 7, "seed: 7, horizon_days: 1.5"),
                                    what + "Heston, instantaneous deltas, horizon before expiry");
    expect_blocks_match_cpu<float>(config("{type: gbm, spot: 100, rate: 0.02, vol: 0.7}", gbm_hedge, costs,
                                          test::with_option_policies(kAllPolicies) + out, 35, Precision::float32),
                                   what + "gbm, spot hedge");
  }
}

// Surface marks (kSurface, kernels of their own): the greeks items take the book's delta and gamma from
// the surface, the market threads its marks (attribution, the horizon's close-out) and the greeks items
// the hedge options' marks; both dynamics, both precisions, perpetual and spot hedges, the horizon before
// the book's expiry, hedge options with and without attribution. Leland does not apply to a surface.
TEST(HedgeBlock, EmulationMatchesCpuTileWithASurface) {
  const test::TempSurface surface("block_surface");
  const std::string policies = test::all_policy_types("false", "{const: -1, tau: 0.5, gamma: 0.3, vol: 0.2, gas: 0.1}");
  const std::string option_policies = test::with_option_policies(policies);
  const std::string charges = "{fee_bps: 5, fixed_per_trade: 0.5, gas: {units: 150000, price_gwei: 20, kappa: 5, "
                              "sigma: 1, return_sensitivity: 2}}";
  const std::string option_costs = std::string("{fee_bps: 5, ") + test::kOptionCosts + "}";
  const std::string attribution = "output: {attribution: true}\n";
  const auto before_expiry = [](std::string yaml) { return yaml.replace(yaml.find("seed: 7"), 7, "seed: 7, horizon_days: 1.5"); };
  for (const char* dynamics : {"sticky_strike", "sticky_delta"}) {
    const std::string d = dynamics;
    const std::string hedge = surface.hedge(dynamics);
    std::string spot = hedge;
    spot.replace(spot.find("perpetual"), 9, "spot");
    spot.erase(spot.find(", funding"));
    const std::string with_options = hedge + ", " + test::kHedgeOptions;
    const std::string spot_with_options = spot + ", " + test::kHedgeOptions;
    expect_blocks_match_cpu<double>(config(kBatesModel, hedge, charges, policies, 45, Precision::float64), d + ", float64");
    expect_blocks_match_cpu<float>(config(kBatesModel, hedge, charges, policies, 37, Precision::float32), d + ", float32");
    expect_blocks_match_cpu<double>(config(kBatesModel, hedge, charges, policies + attribution, 45, Precision::float64),
                                    d + ", attribution");
    expect_blocks_match_cpu<float>(
        before_expiry(config(kBatesModel, spot, charges, policies + attribution, 45, Precision::float32)),
        d + ", spot hedge, horizon before expiry, attribution");
    expect_blocks_match_cpu<double>(before_expiry(config(kBatesModel, hedge, charges, policies, 45, Precision::float64)),
                                    d + ", horizon before expiry");
    for (const bool att : {false, true}) {
      const std::string out = att ? attribution : "";
      const std::string what = d + (att ? ", hedge options with attribution, " : ", hedge options, ");
      expect_blocks_match_cpu<double>(config(kBatesModel, with_options, option_costs, option_policies + out, 45,
                                             Precision::float64),
                                      what + "float64");
      expect_blocks_match_cpu<float>(config(kBatesModel, spot_with_options, option_costs, option_policies + out, 37,
                                            Precision::float32),
                                     what + "spot hedge, float32");
    }
  }
}

// Everlasting options (kEverlasting, in the options program): the market threads pay their funding
// (cash for the linear call, coin for the inverse put, funding periods of 1 day and 6 hours) and close them at
// the horizon (2.5 days: between two of the call's funding times), and keep the book's funding across chunks;
// the greeks items sum their Europeans' deltas, gammas (and with hedge options the book's vega). With and
// without attribution, both precisions, hedge options and a spot hedge, and two policy groups.
TEST(HedgeBlock, EmulationMatchesCpuTileWithEverlastingOptions) {
  const auto everlasting = [](std::string yaml) {
    const std::size_t b = yaml.find("book: ["), e = yaml.find("]\n", b);
    yaml.replace(b, e + 2 - b,
                 "book: [{type: everlasting_call, strike: 105, funding_period_days: 1, quantity: -10},\n"
                 "       {type: everlasting_put, strike: 95, funding_period_days: 0.25, quantity: 4, settlement: inverse,"
                 " tail_weight: 1e-4},\n"
                 "       {type: call, strike: 100, expiry_days: 1, quantity: 3}]\n");
    return yaml.replace(yaml.find("seed: 7"), 7, "seed: 7, horizon_days: 2.5");
  };
  const std::string perpetual = std::string("instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}, ") +
                                test::kHedgeOptions;
  const std::string spot = "instrument: spot, delta: implied, implied_vol: 0.6";
  const std::string costs = std::string("{fee_bps: 5, ") + test::kOptionCosts + "}";
  const std::string policies = test::with_option_policies(kAllPolicies);
  const std::string twenty = twenty_bands();
  for (const bool att : {false, true}) {
    const std::string out = att ? "output: {attribution: true}\n" : "";
    const std::string what = att ? "everlasting options with attribution, " : "everlasting options, ";
    expect_blocks_match_cpu<double>(everlasting(config(kBatesModel, perpetual, costs, policies + out, 45, Precision::float64)),
                                    what + "float64, hedge options");
    expect_blocks_match_cpu<float>(everlasting(config(kBatesModel, perpetual, costs, policies + out, 45, Precision::float32)),
                                   what + "float32, hedge options");
    expect_blocks_match_cpu<double>(everlasting(config(kBatesModel, spot, "{fee_bps: 5}", kAllPolicies + out, 37,
                                                       Precision::float64)),
                                    what + "spot hedge at an implied vol");
    expect_blocks_match_cpu<float>(everlasting(config(kBatesModel, spot, "{fee_bps: 5}", twenty + out, 33, Precision::float32)),
                                   what + "20 policies");
  }
}

// Rolling hedge options (test::kRollingHedgeOptions): the market threads keep the series strikes across chunks
// and record them, the greeks items take the closing marks at each roll and the new series' marks, the policy
// items close the rolled positions there. Black–Scholes marks (both precisions, 20 policies, attribution), model
// marks (Heston), surface marks (both dynamics), an everlasting book (its funding state before the strikes'),
// and the unwind at a horizon before the book's expiry.
TEST(HedgeBlock, EmulationMatchesCpuTileWithRollingHedgeOptions) {
  const std::string options = std::string(", ") + test::kRollingHedgeOptions;
  const std::string perpetual = "instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}" + options;
  const std::string costs = std::string("{fee_bps: 5, ") + test::kOptionCosts + "}";
  const std::string impact = std::string("{fee_bps: 5, failure_probability: 0.2, slippage: {model: sqrt, coefficient: 0.1, "
                                         "depth_usd: 1e5}, ") + test::kOptionCosts + "}";
  const std::string policies = test::with_option_policies(kAllPolicies);
  const std::string heston = "{type: heston, spot: 100, rate: 0.03, v0: 0.36, kappa: 2, theta: 0.36, xi: 0.8, rho: -0.5}";
  const std::string no_leland = test::with_option_policies(
      "policies: [{name: every, type: every_step}, {name: band, type: delta_band, width: 0.5}]\n");
  const test::TempSurface surface("block_rolling");
  const std::string surface_policies = test::with_option_policies(test::all_policy_types("false"));
  for (const bool att : {false, true}) {
    const std::string out = att ? "output: {attribution: true}\n" : "";
    const std::string what = att ? "rolling hedge options with attribution, " : "rolling hedge options, ";
    expect_blocks_match_cpu<double>(config(kBatesModel, perpetual, costs, policies + out, 45, Precision::float64),
                                    what + "float64");
    expect_blocks_match_cpu<float>(config(kBatesModel, perpetual, impact, twenty_option_policies() + out, 33,
                                          Precision::float32),
                                   what + "float32, slippage and failures, 20 policies");
    expect_blocks_match_cpu<double>(config(heston, "instrument: perpetual, delta: model, marks: model" + options, costs,
                                           no_leland + out, 40, Precision::float64),
                                    what + "Heston model marks");
    for (const char* dynamics : {"sticky_strike", "sticky_delta"})
      expect_blocks_match_cpu<double>(config(kBatesModel, surface.hedge(dynamics) + options, costs, surface_policies + out,
                                             37, Precision::float64),
                                      what + dynamics);
  }
  std::string everlasting = config(kBatesModel, perpetual, costs, policies + "output: {attribution: true}\n", 45,
                                   Precision::float64,
                                   "[{type: everlasting_call, strike: 105, funding_period_days: 1, quantity: -10},\n"
                                   "       {type: call, strike: 100, expiry_days: 1, quantity: 3}]");
  expect_blocks_match_cpu<double>(everlasting.replace(everlasting.find("seed: 7"), 7, "seed: 7, horizon_days: 2.5"),
                                  "rolling hedge options, everlasting book, attribution");
  std::string unwind = config(kBatesModel, perpetual + ", unwind_at_expiry: true", costs, policies, 45, Precision::float64);
  expect_blocks_match_cpu<double>(unwind.replace(unwind.find("seed: 7"), 7, "seed: 7, horizon_days: 1.5"),
                                  "rolling hedge options, the unwind at a horizon before the book's expiry");
}

// An options pool's customers (order_flow, the pool program): the market threads keep the inventory across
// chunks in their state, take the customers and record its greeks, which the greeks items add to the book's;
// the policy items write the pool's fields. Both precisions, trade sizes and the unwind, two policy groups,
// and a board whose series outlive the horizon.
TEST(HedgeBlock, EmulationMatchesCpuTileWithAnOptionsPool) {
  const std::string perpetual = "instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}";
  const std::string flow = "order_flow: {strikes: [90, 100, 110], expiries_days: [1, 2, 3], trades_per_day: 30, "
                           "size_mean: 2, momentum: 3, half_spread_vol: 2, skew_vol: 3, vega_limit_usd: 0.5, "
                           "elasticity: 0.5}\n";
  const std::string policies = test::all_policy_types("false");
  std::string twenty = "policies: [";
  for (int i = 0; i < 20; ++i) twenty += (i ? ", " : "") + std::string("{name: b") + std::to_string(i) +
                                          ", type: delta_band, width: " + std::to_string(0.1 * i) + "}";
  twenty += "]\n";
  expect_blocks_match_cpu<double>(config(kBatesModel, perpetual, "{fee_bps: 5}", flow + policies, 45, Precision::float64),
                                  "options pool, float64");
  expect_blocks_match_cpu<float>(config(kBatesModel, perpetual, "{fee_bps: 5, failure_probability: 0.2}", flow + twenty,
                                        33, Precision::float32),
                                 "options pool, float32, failures, 20 policies");
  std::string sized = config(kBatesModel, perpetual + ", min_trade: 0.05, lot_size: 0.01, unwind_at_expiry: true",
                             "{fee_bps: 5}", flow + policies, 40, Precision::float64);
  expect_blocks_match_cpu<double>(sized.replace(sized.find("seed: 7"), 7, "seed: 7, horizon_days: 1.5"),
                                  "options pool, trade sizes, the unwind at a horizon before the board's expiries");
}

// The margin account (hedge.margin, in the options program): each policy item keeps its account across
// chunks, liquidations, cut trades, top-ups in transit, coin collateral, the venue's dislocation by
// liquidations (cascades) and a spot hedge's loan included; with attribution its penalties join the charges and write_attribution takes the account's fields
// from the item's state. Both precisions, model marks, trade sizes, and two policy groups.
TEST(HedgeBlock, EmulationMatchesCpuTileWithAMarginAccount) {
  const std::string margin = "instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}, " + test::kPerpMargin;
  const std::string costs = "{fee_bps: 5, fixed_per_trade: 0.5}";
  const std::string twenty = twenty_bands();
  for (const bool att : {false, true}) {
    const std::string out = att ? "output: {attribution: true}\n" : "";
    const std::string what = att ? "margin with attribution, " : "margin, ";
    EXPECT_GT(expect_blocks_match_cpu<double>(config(kBatesModel, margin, costs, kAllPolicies + out, 45, Precision::float64),
                                              what + "float64"),
              5.0);
    EXPECT_GT(expect_blocks_match_cpu<float>(config(kBatesModel, margin, costs, twenty + out, 33, Precision::float32),
                                             what + "20 policies, float32"),
              5.0);
    EXPECT_GT(expect_blocks_match_cpu<double>(config(kBatesModel, margin + ", lot_size: 0.01, min_trade: 0.05", costs,
                                                     kAllPolicies + out, 45, Precision::float64, kMixedBook),
                                              what + "trade sizes, Leland's sign per decision"),
              5.0);
  }
  EXPECT_GT(expect_blocks_match_cpu<double>(config(kBatesModel, margin + ", marks: model", costs,
                                                   kAllPolicies + "output: {attribution: true}\n", 45, Precision::float64),
                                            "margin, model marks, attribution"),
            5.0);
  // A spot hedge on a loan: the USD borrowed for a long hedge (the short calls' and the mixed book's), the
  // coins borrowed for a short one (long calls and puts).
  const std::string long_book = "[{type: call, strike: 105, expiry_days: 2, quantity: 10},\n"
                                "       {type: put, strike: 95, expiry_days: 1, quantity: 4, settlement: inverse}]";
  const std::string loan = "instrument: spot, delta: instantaneous, " + test::kLoanMargin;
  EXPECT_GT(expect_blocks_match_cpu<double>(config(kBatesModel, loan, costs, kAllPolicies, 45, Precision::float64, kMixedBook),
                                            "loan, float64"),
            5.0);
  EXPECT_GT(expect_blocks_match_cpu<float>(config(kBatesModel, loan, costs, twenty + "output: {attribution: true}\n", 33,
                                                  Precision::float32, long_book),
                                           "loan owing coins, with attribution, 20 policies, float32"),
            5.0);
}

TEST(HedgeBlock, ShapesKeepBlocksWithinTheLaunchBound) {
  HedgeParams hp{};
  // With attribution the market and policy state grow (BookAttribution, the interest): the shared
  // memory target may give way to chunks of 2 steps, never the SM's size.
  for (unsigned n = 1; n <= 2 * kMaxPolicies; ++n) {
    hp.n_policies = (n - 1) % kMaxPolicies + 1;
    hp.attribution = n > kMaxPolicies;
    const BlockShape s = block_shape(hp);
    const std::string what = std::to_string(hp.n_policies) + (hp.attribution ? " policies with attribution" : " policies");
    EXPECT_LE(s.threads(), kBlockThreadsMax) << what;
    EXPECT_GE(s.threads(), 96u) << what;
    EXPECT_EQ(s.threads() % 32, 0u) << what;
    EXPECT_EQ((s.items() + s.threads() - 1) / s.threads(), (s.items() / 32 + 3) / 4)
        << what << ": the items in as few rounds as 4 warps take";
    EXPECT_GE(s.chunk, 2u) << what;
    if (hp.n_policies <= 11 && !hp.attribution) EXPECT_LE(s.shared_doubles() * sizeof(double), kBlockSharedTarget) << what << ": 4 blocks an SM";
    EXPECT_EQ(s.paths % 32, 0u) << what;
    EXPECT_GE(s.groups * s.policies, hp.n_policies) << what;
    EXPECT_LT((s.groups - 1) * s.policies, hp.n_policies) << what << ": an empty group";
    EXPECT_LE(s.shared_doubles() * sizeof(double), 227u * 1024u) << what << ": more shared memory than an SM has";
  }
}

}  // namespace
}  // namespace hedgesim
