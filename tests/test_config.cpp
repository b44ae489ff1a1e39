// Config loading and validation: every model type parses into the expected values, and each class of
// bad input gives one InputError whose message names the key, the value and the line.
#include <gtest/gtest.h>

#include <array>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <set>
#include <algorithm>
#include <sstream>
#include <string>

#include "hedgesim/config.hpp"
#include "hedgesim/config_ranges.hpp"
#include "hedgesim/engine/grid.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/policy.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {
namespace {

// A valid GBM config; tests replace or insert single lines, so line numbers below are stable.
const std::string kGbm =
    "simulation:\n"                                      // 1
    "  paths: 1000\n"                                    // 2
    "  steps_per_day: 24\n"                              // 3
    "  seed: 7\n"                                        // 4
    "model:\n"                                           // 5
    "  type: gbm\n"                                      // 6
    "  spot: 100\n"                                      // 7
    "  vol: 0.5\n"                                       // 8
    "book:\n"                                            // 9
    "  - {type: call, strike: 100, expiry_days: 30}\n";  // 10

const std::string kHeston =
    "simulation:\n"                                                   // 1
    "  paths: 5000\n"                                                 // 2
    "  steps_per_day: 2\n"                                            // 3
    "  horizon_days: 60\n"                                            // 4
    "  seed: 18446744073709551615\n"                                  // 5
    "  backend: cpu\n"                                                // 6
    "  precision: float64\n"                                          // 7
    "  measure: risk_neutral\n"                                       // 8
    "  threads: 4\n"                                                  // 9
    "model:\n"                                                        // 10
    "  type: heston\n"                                                // 11
    "  spot: 100\n"                                                   // 12
    "  rate: 0.01\n"                                                  // 13
    "  dividend: 0.02\n"                                              // 14
    "  drift: 0.05\n"                                                 // 15
    "  v0: 0.04\n"                                                    // 16
    "  kappa: 4\n"                                                    // 17
    "  theta: 0.25\n"                                                 // 18
    "  xi: 1\n"                                                       // 19
    "  rho: -0.5\n"                                                   // 20
    "  scheme: euler\n"                                               // 21
    "book:\n"                                                         // 22
    "  - {type: call, strike: 90, expiry_days: 30}\n"                 // 23
    "  - {type: put, strike: 100, expiry_days: 45.5, quantity: -3}\n"  // 24
    "  - type: call\n"                                                // 25
    "    strike: 110\n"                                               // 26
    "    expiry_days: 60\n"                                           // 27
    "    settlement: inverse\n";                                      // 28

const std::string kSvcj =
    "simulation: {paths: 100, steps_per_day: 24}\n"  // 1
    "model:\n"                                       // 2
    "  type: svcj\n"                                 // 3
    "  spot: 65000\n"                                // 4
    "  v0: 0.36\n"                                   // 5
    "  kappa: 2\n"                                   // 6
    "  theta: 0.36\n"                                // 7
    "  xi: 1\n"                                      // 8
    "  rho: -0.3\n"                                  // 9
    "  jump_intensity: 5\n"                          // 10
    "  jump_mean: -0.05\n"                           // 11
    "  jump_stdev: 0.1\n"                            // 12
    "  var_jump_mean: 0.05\n"                        // 13
    "  jump_rho: -0.5\n"                             // 14
    "book:\n"                                        // 15
    "  - {type: call, strike: 70000, expiry_days: 7}\n";

// A valid `run` config with every policy type; tests replace or insert single lines.
const std::string kRun =
    "simulation: {paths: 1000, steps_per_day: 24}\n"                     // 1
    "model: {type: gbm, spot: 100, vol: 0.5}\n"                          // 2
    "book:\n"                                                            // 3
    "  - {type: call, strike: 100, expiry_days: 30, quantity: -50}\n"    // 4
    "hedge:\n"                                                           // 5
    "  instrument: perpetual\n"                                          // 6
    "  delta: implied\n"                                                 // 7
    "  implied_vol: 0.6\n"                                               // 8
    "  funding: {rate: 0.1}\n"                                           // 9
    "costs:\n"                                                           // 10
    "  fee_bps: 5\n"                                                     // 11
    "  fixed_per_trade: 0.5\n"                                           // 12
    "policies:\n"                                                        // 13
    "  - {name: unhedged, type: none}\n"                                 // 14
    "  - {name: every_step, type: every_step, leland: true}\n"           // 15
    "  - {name: hourly, type: time, every_hours: 1}\n"                   // 16
    "  - {name: band_1.0, type: delta_band, width: 1.0}\n"               // 17
    "  - {name: ww, type: whalley_wilmott, risk_aversion: 1e-4}\n"       // 18
    "  - {name: move_2pct, type: move, move_pct: 2}\n"                   // 19
    "  - {name: hyb-1, type: hybrid, width: 0.01, width_per_gamma: true, rebalance_to: edge, "
    "every_hours: 4, max_hours: 24}\n"                                   // 20
    "output:\n"                                                          // 21
    "  file: results/run.h5\n"                                           // 22
    "  per_path: true\n"                                                 // 23
    "  histogram_bins: 50\n";                                            // 24

/// The repository's configs/: from HEDGESIM_SOURCE_DIR (CTest sets it), else the first folder at or
/// above the working directory that has one — never a path compiled in, so a test binary carried to
/// another machine finds the data of the checkout it runs in.
std::filesystem::path configs_dir() {
  if (const char* root = std::getenv("HEDGESIM_SOURCE_DIR")) return std::filesystem::path(root) / "configs";
  for (auto dir = std::filesystem::current_path(); !dir.empty(); dir = dir.parent_path()) {
    if (std::filesystem::exists(dir / "configs" / "price_heston.yaml")) return dir / "configs";
    if (dir == dir.parent_path()) break;
  }
  return "configs";
}

/// `text` with 1-based line `n` replaced by `line` (no newline).
std::string replace_line(const std::string& text, int n, const std::string& line) {
  std::istringstream in(text);
  std::string out, l;
  for (int i = 1; std::getline(in, l); ++i) out += (i == n ? line : l) + "\n";
  return out;
}

/// `text` with blank lines `from`..`to` (1-based, inclusive), keeping the other line numbers.
std::string blank_lines(std::string text, int from, int to) {
  for (int i = from; i <= to; ++i) text = replace_line(text, i, "");
  return text;
}

/// `text` with `line` inserted after 1-based line `n`.
std::string insert_after(const std::string& text, int n, const std::string& line) {
  std::istringstream in(text);
  std::string out, l;
  for (int i = 1; std::getline(in, l); ++i) {
    out += l + "\n";
    if (i == n) out += line + "\n";
  }
  return out;
}

// kRun with on-chain costs after line 12: gas as a block (one key a line), slippage, failures.
const std::string kDefi = insert_after(kRun, 12,
                                       "  gas:\n"                                       // 13
                                       "    units: 180000\n"                           // 14
                                       "    price_gwei: 20\n"                          // 15
                                       "    eth_price_usd: 0\n"                        // 16
                                       "    kappa: 50\n"                               // 17
                                       "    sigma: 3\n"                                // 18
                                       "    return_sensitivity: 40\n"                  // 19
                                       "  slippage: {model: amm, depth_usd: 5e6}\n"    // 20
                                       "  failure_probability: 0.02");                 // 21

/// The message of the InputError that parsing `yaml` throws ("" and a test failure if none).
std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "test.yaml");
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError for:\n" << yaml;
  return "";
}

std::string validate_error_of(const RunSpec& spec) {
  try {
    validate(spec);
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError from validate()";
  return "";
}

void expect_has(const std::string& message, std::initializer_list<std::string> parts) {
  for (const std::string& p : parts) {
    EXPECT_NE(message.find(p), std::string::npos) << "message: " << message << "\nlacks:   " << p;
  }
}

// ───────────────────────────── valid configs ─────────────────────────────

TEST(Config, GbmWithDefaults) {
  const RunSpec s = parse_config(kGbm, "gbm.yaml");
  EXPECT_EQ(s.simulation.paths, 1000u);
  EXPECT_EQ(s.simulation.steps_per_day, 24.0);
  EXPECT_EQ(s.simulation.horizon_days, 0.0);
  EXPECT_EQ(s.simulation.seed, 7u);
  EXPECT_EQ(s.simulation.backend, BackendKind::automatic);
  EXPECT_EQ(s.simulation.precision, Precision::float32);
  EXPECT_EQ(s.simulation.measure, Measure::physical);
  EXPECT_EQ(s.simulation.threads, 0u);
  EXPECT_EQ(s.model.type, ModelType::gbm);
  EXPECT_EQ(s.model.spot, 100.0);
  EXPECT_EQ(s.model.vol, 0.5);
  EXPECT_EQ(s.model.rate, 0.0);
  ASSERT_EQ(s.book.size(), 1u);
  EXPECT_EQ(s.book[0].type, OptionType::call);
  EXPECT_EQ(s.book[0].strike, 100.0);
  EXPECT_EQ(s.book[0].expiry_days, 30.0);
  EXPECT_EQ(s.book[0].quantity, 1.0);
  EXPECT_EQ(s.book[0].settlement, Settlement::linear);
  EXPECT_EQ(s.config_text, kGbm);
  EXPECT_EQ(s.config_path, "gbm.yaml");
  EXPECT_NO_THROW(validate(s));
}

TEST(Config, SeedDefaultsToZero) {
  EXPECT_EQ(parse_config(replace_line(kGbm, 4, "  threads: 2"), "t").simulation.seed, 0u);
}

TEST(Config, HestonWithEverySimulationKey) {
  const RunSpec s = parse_config(kHeston, "heston.yaml");
  EXPECT_EQ(s.simulation.paths, 5000u);
  EXPECT_EQ(s.simulation.steps_per_day, 2.0);
  EXPECT_EQ(s.simulation.horizon_days, 60.0);
  EXPECT_EQ(s.simulation.seed, 18446744073709551615ull);
  EXPECT_EQ(s.simulation.backend, BackendKind::cpu);
  EXPECT_EQ(s.simulation.precision, Precision::float64);
  EXPECT_EQ(s.simulation.measure, Measure::risk_neutral);
  EXPECT_EQ(s.simulation.threads, 4u);
  EXPECT_EQ(s.model.type, ModelType::heston);
  EXPECT_EQ(s.model.rate, 0.01);
  EXPECT_EQ(s.model.dividend, 0.02);
  EXPECT_EQ(s.model.drift, 0.05);
  EXPECT_EQ(s.model.v0, 0.04);
  EXPECT_EQ(s.model.kappa, 4.0);
  EXPECT_EQ(s.model.theta, 0.25);
  EXPECT_EQ(s.model.xi, 1.0);
  EXPECT_EQ(s.model.rho, -0.5);
  EXPECT_EQ(s.model.scheme, VarianceScheme::euler);
  ASSERT_EQ(s.book.size(), 3u);
  EXPECT_EQ(s.book[1].type, OptionType::put);
  EXPECT_EQ(s.book[1].expiry_days, 45.5);
  EXPECT_EQ(s.book[1].quantity, -3.0);
  EXPECT_EQ(s.book[2].settlement, Settlement::inverse);
  EXPECT_EQ(s.book[2].strike, 110.0);
}

TEST(Config, HestonSchemeDefaultsToQe) {
  EXPECT_EQ(parse_config(replace_line(kHeston, 21, ""), "t").model.scheme, VarianceScheme::qe);
}

TEST(Config, SvcjParses) {
  const RunSpec s = parse_config(kSvcj, "svcj.yaml");
  EXPECT_EQ(s.model.type, ModelType::svcj);
  EXPECT_EQ(s.model.jump_intensity, 5.0);
  EXPECT_EQ(s.model.jump_mean, -0.05);
  EXPECT_EQ(s.model.jump_stdev, 0.1);
  EXPECT_EQ(s.model.var_jump_mean, 0.05);
  EXPECT_EQ(s.model.jump_rho, -0.5);
  EXPECT_EQ(s.simulation.paths, 100u);
}

TEST(Config, ExampleBatesConfigLoads) {
  const std::string path = (configs_dir() / "price_btc_bates.yaml").string();
  const RunSpec s = load_config(path);
  EXPECT_EQ(s.config_path, path);
  EXPECT_FALSE(s.config_text.empty());
  EXPECT_EQ(s.model.type, ModelType::bates);
  EXPECT_EQ(s.model.spot, 65000.0);
  EXPECT_EQ(s.model.v0, 0.36);
  EXPECT_EQ(s.model.kappa, 2.0);
  EXPECT_EQ(s.model.theta, 0.36);
  EXPECT_EQ(s.model.xi, 1.0);
  EXPECT_EQ(s.model.rho, -0.3);
  EXPECT_EQ(s.model.jump_intensity, 5.0);
  EXPECT_EQ(s.model.jump_mean, -0.05);
  EXPECT_EQ(s.model.jump_stdev, 0.1);
  EXPECT_EQ(s.simulation.measure, Measure::risk_neutral);
  EXPECT_EQ(s.simulation.steps_per_day, 24.0);
  EXPECT_EQ(s.simulation.paths, 100000u);
  bool call = false, put = false, inverse = false;
  for (const OptionSpec& o : s.book) {
    EXPECT_EQ(o.expiry_days, 30.0);
    call |= o.type == OptionType::call;
    put |= o.type == OptionType::put;
    inverse |= o.settlement == Settlement::inverse;
  }
  EXPECT_TRUE(call && put && inverse);
  EXPECT_EQ(make_grid(s.simulation, s.book).steps, 720u);
}

TEST(Config, ExampleHestonConfigIsTheLewisReference) {
  const RunSpec s = load_config((configs_dir() / "price_heston.yaml").string());
  EXPECT_EQ(s.model.type, ModelType::heston);
  EXPECT_EQ(s.model.spot, 100.0);
  EXPECT_EQ(s.model.rate, 0.01);
  EXPECT_EQ(s.model.dividend, 0.02);
  EXPECT_EQ(s.model.v0, 0.04);
  EXPECT_EQ(s.model.kappa, 4.0);
  EXPECT_EQ(s.model.theta, 0.25);
  EXPECT_EQ(s.model.xi, 1.0);
  EXPECT_EQ(s.model.rho, -0.5);
  EXPECT_EQ(s.simulation.measure, Measure::risk_neutral);
  EXPECT_EQ(s.simulation.paths, 200000u);
  EXPECT_EQ(s.simulation.steps_per_day, 1.0);
  ASSERT_EQ(s.book.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(s.book[i].strike, 80.0 + 10.0 * static_cast<double>(i));
    EXPECT_EQ(s.book[i].expiry_days, 365.0);
    EXPECT_EQ(s.book[i].type, OptionType::call);
  }
  const TimeGrid g = make_grid(s.simulation, s.book);
  EXPECT_EQ(g.steps, 365u);
  EXPECT_DOUBLE_EQ(g.dt_years * g.steps, 1.0);
}

TEST(Config, NumbersInScientificNotationAndFractionalStepsPerDay) {
  std::string y = replace_line(kGbm, 2, "  paths: 1e6");
  y = replace_line(y, 3, "  steps_per_day: 0.5");
  const RunSpec s = parse_config(y, "t");
  EXPECT_EQ(s.simulation.paths, 1000000u);
  EXPECT_EQ(make_grid(s.simulation, s.book).steps, 15u);
}

// ───────────────────────────── wrong types and values ─────────────────────────────

// An open quote used to swallow the rest of the file into one value, and the message blamed a missing
// section (issue 11, defect 11). Closed quotes, escaped quotes and quotes in values stay accepted.
TEST(ConfigErrors, OpenQuoteNamesItsKeyAndLine) {
  const std::string open = "simulation:\n  paths: 100\nmodel:\n  type: \"gbm\n  spot: 100\n  vol: 0.5\n"
                           "book:\n  - {type: call, strike: 100, expiry_days: 30}\n";
  expect_has(error_of(open), {"test.yaml: model.type at line 4: its quoted value does not end on that line",
                              "closing quote missing"});
  const std::string single = "simulation: {paths: 100}\nmodel: {type: gbm, spot: 100, vol: 0.5}\n"
                             "book:\n  - type: call\n    strike: 100\n    expiry_days: 30\n    settlement: 'linear\n";
  expect_has(error_of(single), {"book[0].settlement at line 7: its quoted value does not end on that line"});
  // Quoted on one line, with escaped quotes inside: no complaint about the quotes.
  const std::string closed = "simulation: {paths: 100, backend: \"cpu\"}\nmodel: {type: 'gbm', spot: 100, vol: 0.5}\n"
                             "book:\n  - {type: call, strike: 100, expiry_days: 30}\nhedge: {implied_vol: 0.5}\n"
                             "policies: [{name: \"a \\\"b\\\" 'c''\", type: every_step}]\n";
  const std::string message = error_of(closed);  // the name's characters are refused, not its quotes
  EXPECT_EQ(message.find("does not end on that line"), std::string::npos) << message;
  EXPECT_NE(message.find("policies[0].name"), std::string::npos) << message;
}

TEST(ConfigErrors, NonIntegerPaths) {
  EXPECT_EQ(error_of(replace_line(kGbm, 2, "  paths: abc")),
            "test.yaml: simulation.paths = 'abc' at line 2: expected an integer > 0");
  expect_has(error_of(replace_line(kGbm, 2, "  paths: 1.5")), {"simulation.paths = '1.5' at line 2", "integer > 0"});
  expect_has(error_of(replace_line(kGbm, 2, "  paths: -5")), {"simulation.paths = '-5' at line 2", "integer > 0"});
  expect_has(error_of(replace_line(kGbm, 2, "  paths: [1, 2]")), {"simulation.paths at line 2 is a list", "integer"});
  expect_has(error_of(replace_line(kGbm, 2, "  paths:")), {"simulation.paths at line 2 is empty", "integer > 0"});
  expect_has(error_of(replace_line(kGbm, 2, "  paths: \"100\"")),
             {"simulation.paths = '100' at line 2", "quoted", "integer > 0"});
}

TEST(ConfigErrors, ZeroPathsIsOutOfRange) {
  EXPECT_EQ(error_of(replace_line(kGbm, 2, "  paths: 0")), "test.yaml: simulation.paths = 0 at line 2: must be > 0");
}

TEST(ConfigErrors, UnsignedFieldsRejectNegativesAndOverflow) {
  expect_has(error_of(replace_line(kGbm, 4, "  seed: -1")), {"simulation.seed = '-1' at line 4", "unsigned 64-bit"});
  expect_has(error_of(replace_line(kGbm, 4, "  seed: 18446744073709551616")),
             {"simulation.seed = '18446744073709551616' at line 4", "unsigned 64-bit"});
  expect_has(error_of(replace_line(kGbm, 4, "  threads: -2")), {"simulation.threads = '-2' at line 4", "an integer from 0 to 1024"});
}

TEST(ConfigErrors, NonFiniteNumbers) {
  expect_has(error_of(replace_line(kGbm, 3, "  steps_per_day: .inf")),
             {"simulation.steps_per_day = '.inf' at line 3", "not finite"});
  expect_has(error_of(replace_line(kGbm, 7, "  spot: .nan")), {"model.spot = '.nan' at line 7", "not finite"});
  expect_has(error_of(replace_line(kGbm, 7, "  spot: 1e999")), {"model.spot = '1e999' at line 7", "> 0"});
}

TEST(ConfigErrors, RangeChecksNameKeyValueAndLine) {
  expect_has(error_of(replace_line(kGbm, 3, "  steps_per_day: 0")),
             {"simulation.steps_per_day = 0 at line 3", "must be > 0"});
  expect_has(error_of(replace_line(kGbm, 7, "  spot: -100")), {"model.spot = -100 at line 7", "must be > 0"});
  expect_has(error_of(replace_line(kGbm, 8, "  vol: 0")), {"model.vol = 0 at line 8", "must be > 0"});
  expect_has(error_of(replace_line(kHeston, 20, "  rho: 1.5")), {"model.rho = 1.5 at line 20", "[-1, 1]"});
  expect_has(error_of(replace_line(kHeston, 18, "  theta: 0")), {"model.theta = 0 at line 18", "> 0"});
  expect_has(error_of(replace_line(kHeston, 16, "  v0: -0.01")), {"model.v0 = -0.01 at line 16", ">= 0"});
  expect_has(error_of(replace_line(kSvcj, 12, "  jump_stdev: -0.1")), {"model.jump_stdev = -0.1 at line 12", ">= 0"});
}

TEST(ConfigErrors, SvcjJumpRhoTimesVarJumpMeanBelowOne) {
  expect_has(error_of(replace_line(kSvcj, 14, "  jump_rho: 25")),
             {"model.jump_rho = 25 at line 14", "jump_rho x var_jump_mean", "1.25", "< 1"});
}

TEST(ConfigErrors, BookElementIsNamed) {
  std::string y = kGbm + "  - {type: put, strike: 90, expiry_days: 30}\n" + "  - {type: call, strike: -5, expiry_days: 30}\n";
  EXPECT_EQ(error_of(y), "test.yaml: book[2].strike = -5 at line 12: must be > 0");
  expect_has(error_of(replace_line(kGbm, 10, "  - {type: call, strike: 100, expiry_days: 30, quantity: 0}")),
             {"book[0].quantity = 0 at line 10", "non-zero"});
  expect_has(error_of(replace_line(kGbm, 10, "  - {type: cal, strike: 100, expiry_days: 30}")),
             {"book[0].type = 'cal' at line 10", "one of call, put", "did you mean 'call'?"});
  expect_has(error_of(replace_line(kGbm, 10, "  - {type: call, strike: 100, expiry_days: 30, settlement: coin}")),
             {"book[0].settlement = 'coin' at line 10", "linear, inverse"});
  expect_has(error_of(replace_line(kGbm, 10, "  - {type: call, expiry_days: 30}")),
             {"book[0].strike is required", "line 10"});
  expect_has(error_of(replace_line(kGbm, 10, "  - {type: call, strik: 100, expiry_days: 30}")),
             {"unknown key 'book[0].strik' at line 10", "did you mean 'strike'?"});
  expect_has(error_of(replace_line(kGbm, 10, "  - call")), {"book[0] at line 10 is a scalar", "expected a map"});
}

TEST(ConfigErrors, BookMustBeANonEmptyList) {
  expect_has(error_of(replace_line(replace_line(kGbm, 10, ""), 9, "book: []")), {"book at line 9", "empty list"});
  expect_has(error_of(replace_line(replace_line(kGbm, 10, ""), 9, "book: {type: call}")), {"book at line 9 is a map"});
}

TEST(ConfigErrors, EnumValues) {
  expect_has(error_of(insert_after(kGbm, 4, "  backend: gpu")),
             {"simulation.backend = 'gpu' at line 5", "one of auto, cpu, cuda"});
  expect_has(error_of(insert_after(kGbm, 4, "  measure: riskneutral")),
             {"simulation.measure = 'riskneutral' at line 5", "did you mean 'risk_neutral'?"});
  expect_has(error_of(replace_line(kGbm, 6, "  type: hestn")),
             {"model.type = 'hestn' at line 6", "gbm, heston, bates, svcj", "did you mean 'heston'?"});
  expect_has(error_of(replace_line(kHeston, 21, "  scheme: milstein")), {"model.scheme = 'milstein' at line 21", "qe, euler"});
}

// ───────────────────────────── keys ─────────────────────────────

TEST(ConfigErrors, UnknownKeySuggestsNearest) {
  EXPECT_EQ(error_of(replace_line(kHeston, 17, "  kapa: 4")),
            "test.yaml: unknown key 'model.kapa' at line 17; did you mean 'kappa'?");
  expect_has(error_of(insert_after(kGbm, 4, "  stepsperday: 24")),
             {"unknown key 'simulation.stepsperday' at line 5", "did you mean 'steps_per_day'?"});
  expect_has(error_of(insert_after(kGbm, 8, "  foo: 1")), {"unknown key 'model.foo' at line 9", "valid keys: type, spot"});
}

TEST(ConfigErrors, UnknownSection) {
  expect_has(error_of(kGbm + "hedging_cost: {fee: 1}\n"),
             {"unknown section 'hedging_cost' at line 11",
              "valid sections: simulation, model, book, hedge, order_flow, costs, policies, output"});
  expect_has(error_of(kGbm + "polices: []\n"), {"unknown section 'polices' at line 11", "did you mean 'policies'?"});
  expect_has(error_of(replace_line(kGbm, 5, "modle:")), {"unknown section 'modle' at line 5", "did you mean 'model'?"});
}

TEST(ConfigErrors, MissingRequiredKeys) {
  expect_has(error_of(replace_line(kHeston, 17, "")), {"model.kappa is required for type heston"});
  expect_has(error_of(replace_line(kGbm, 8, "")), {"model.vol is required for type gbm"});
  expect_has(error_of(replace_line(kSvcj, 14, "")), {"model.jump_rho is required for type svcj"});
  expect_has(error_of(replace_line(kGbm, 6, "")), {"model.type is required", "gbm, heston, bates, svcj"});
  expect_has(error_of(replace_line(kGbm, 7, "")), {"model.spot is required for type gbm"});
  expect_has(error_of(replace_line(kGbm, 2, "")), {"simulation.paths is required"});
  // A Bates config without its jump keys.
  std::string bates = replace_line(kSvcj, 3, "  type: bates");
  bates = replace_line(replace_line(bates, 13, ""), 14, "");
  EXPECT_NO_THROW(parse_config(bates, "t"));
  expect_has(error_of(replace_line(bates, 10, "")), {"model.jump_intensity is required for type bates"});
}

TEST(ConfigErrors, KeyOfAnotherModelTypeIsNotIgnored) {
  expect_has(error_of(insert_after(kHeston, 21, "  vol: 0.2")),
             {"model.vol at line 22", "used only by type gbm", "not by type heston"});
  expect_has(error_of(insert_after(kHeston, 21, "  jump_intensity: 3")),
             {"model.jump_intensity at line 22", "used only by types bates, svcj", "not by type heston"});
  expect_has(error_of(insert_after(kGbm, 8, "  kappa: 2")),
             {"model.kappa at line 9", "types heston, bates, svcj", "not by type gbm"});
  std::string bates = replace_line(replace_line(kSvcj, 3, "  type: bates"), 14, "");
  expect_has(error_of(bates), {"model.var_jump_mean at line 13", "used only by type svcj", "not by type bates"});
}

TEST(ConfigErrors, DuplicateKey) {
  expect_has(error_of(insert_after(kGbm, 2, "  paths: 2000")),
             {"duplicate key 'simulation.paths' at line 3", "first given at line 2"});
}

// ───────────────────────────── the time grid ─────────────────────────────

TEST(ConfigErrors, ExpiryOffTheGridSuggestsStepsPerDay) {
  const std::string msg = error_of(replace_line(kGbm, 10, "  - {type: call, strike: 100, expiry_days: 7.3}"));
  expect_has(msg, {"book[0].expiry_days = 7.3 at line 10", "175.2 steps", "steps_per_day: 30"});
  // The suggestion really works.
  std::string fixed = replace_line(kGbm, 10, "  - {type: call, strike: 100, expiry_days: 7.3}");
  EXPECT_NO_THROW(parse_config(replace_line(fixed, 3, "  steps_per_day: 30"), "t"));
}

TEST(ConfigErrors, HorizonRules) {
  // Before the last expiry: the options alive there are closed at their marks (hedge_observer.hpp).
  EXPECT_EQ(parse_config(insert_after(kGbm, 3, "  horizon_days: 20"), "t").simulation.horizon_days, 20.0);
  expect_has(error_of(insert_after(kGbm, 3, "  horizon_days: 30.01")),
             {"simulation.horizon_days = 30.01 at line 4", "not a whole number"});
  expect_has(error_of(insert_after(kGbm, 3, "  horizon_days: 0")), {"simulation.horizon_days = 0 at line 4", "> 0"});
  EXPECT_EQ(parse_config(insert_after(kGbm, 3, "  horizon_days: 31"), "t").simulation.horizon_days, 31.0);
}

TEST(ConfigErrors, JumpIntensityBeyondPoissonRange) {
  const std::string msg = error_of(replace_line(kSvcj, 10, "  jump_intensity: 1e6"));
  expect_has(msg, {"model.jump_intensity = 1000000 at line 10", "50", "Poisson", "steps_per_day"});
}

// ───────────────────────────── documents ─────────────────────────────

TEST(ConfigErrors, YamlSyntaxErrorGivesLine) {
  expect_has(error_of(replace_line(kGbm, 3, "  steps_per_day: [24")), {"test.yaml", "YAML syntax error at line"});
  expect_has(error_of("simulation:\n  paths: 1\n    seed: 2\n"), {"YAML syntax error at line 3"});
}

TEST(ConfigErrors, EmptyAndMalformedDocuments) {
  expect_has(error_of(""), {"test.yaml", "empty"});
  expect_has(error_of("# only a comment\n"), {"empty"});
  expect_has(error_of("- 1\n- 2\n"), {"at line 1 is a list", "simulation, model, book"});
  expect_has(error_of(kGbm + "---\nmodel: {}\n"), {"2 YAML documents", "line 12"});
  expect_has(error_of(replace_line(replace_line(replace_line(replace_line(kGbm, 5, ""), 6, ""), 7, ""), 8, "")),
             {"section 'model' is required"});
  expect_has(error_of(replace_line(replace_line(replace_line(kGbm, 2, ""), 3, ""), 4, "")),
             {"simulation at line 1 is empty"});
}

TEST(ConfigErrors, MissingFileNamesThePath) {
  const std::string path = "/nonexistent/dir/run.yaml";
  try {
    load_config(path);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    expect_has(e.what(), {path});
  }
}

// ───────────────────────────── after flag overrides ─────────────────────────────

TEST(ConfigValidate, FlagOverrideIsRechecked) {
  RunSpec s = parse_config(kGbm, "test.yaml");
  s.simulation.paths = 0;  // e.g. --paths 0
  const std::string msg = validate_error_of(s);
  EXPECT_EQ(msg, "simulation.paths = 0: must be > 0");
  EXPECT_EQ(msg.find("line"), std::string::npos) << msg;

  s = parse_config(kGbm, "test.yaml");
  s.simulation.steps_per_day = 7.0 / 3.0;  // 30 days × 7/3 = 70 steps: fine
  EXPECT_NO_THROW(validate(s));
  s.simulation.steps_per_day = 0.7;  // 21 steps: fine
  EXPECT_NO_THROW(validate(s));
  s.simulation.steps_per_day = 0.77;  // 23.1 steps
  expect_has(validate_error_of(s), {"book[0].expiry_days = 30", "23.1 steps"});
}

// ───────────────────────────── the run sections: valid configs ─────────────────────────────

TEST(RunConfig, EveryPolicyTypeParses) {
  const RunSpec s = parse_config(kRun, "run.yaml");
  EXPECT_EQ(s.hedge.instrument, HedgeInstrument::perpetual);
  EXPECT_EQ(s.hedge.delta, DeltaSource::implied);
  EXPECT_EQ(s.hedge.marks, MarkSource::black_scholes);
  EXPECT_EQ(s.hedge.implied_vol, 0.6);
  EXPECT_EQ(s.hedge.funding.rate, 0.1);
  EXPECT_FALSE(s.hedge.funding.stochastic);
  EXPECT_EQ(s.costs.fee_bps, 5.0);
  EXPECT_EQ(s.costs.fixed_per_trade, 0.5);
  ASSERT_EQ(s.policies.size(), 7u);

  const PolicySpec& none = s.policies[0];
  EXPECT_EQ(none.name, "unhedged");
  EXPECT_EQ(none.type, PolicyType::none);
  EXPECT_FALSE(none.leland);

  const PolicySpec& every = s.policies[1];
  EXPECT_EQ(every.name, "every_step");
  EXPECT_EQ(every.type, PolicyType::every_step);
  EXPECT_TRUE(every.leland);

  const PolicySpec& hourly = s.policies[2];
  EXPECT_EQ(hourly.type, PolicyType::time);
  EXPECT_EQ(hourly.get("every_hours"), 1.0);
  EXPECT_FALSE(hourly.leland);

  const PolicySpec& band = s.policies[3];
  EXPECT_EQ(band.name, "band_1.0");
  EXPECT_EQ(band.type, PolicyType::delta_band);
  EXPECT_EQ(band.get("width"), 1.0);
  EXPECT_FALSE(band.flag("width_per_gamma"));
  EXPECT_EQ(band.choice<RebalanceTo>("rebalance_to"), RebalanceTo::center);

  const PolicySpec& ww = s.policies[4];
  EXPECT_EQ(ww.type, PolicyType::whalley_wilmott);
  EXPECT_EQ(ww.get("risk_aversion"), 1e-4);
  EXPECT_EQ(ww.choice<RebalanceTo>("rebalance_to"), RebalanceTo::edge);  // Whalley–Wilmott's default

  const PolicySpec& move = s.policies[5];
  EXPECT_EQ(move.type, PolicyType::move);
  EXPECT_EQ(move.get("move_pct"), 2.0);

  const PolicySpec& hyb = s.policies[6];
  EXPECT_EQ(hyb.name, "hyb-1");
  EXPECT_EQ(hyb.type, PolicyType::hybrid);
  EXPECT_EQ(hyb.get("width"), 0.01);
  EXPECT_TRUE(hyb.flag("width_per_gamma"));
  EXPECT_EQ(hyb.choice<RebalanceTo>("rebalance_to"), RebalanceTo::edge);
  EXPECT_EQ(hyb.get("every_hours"), 4.0);
  EXPECT_EQ(hyb.get("max_hours"), 24.0);

  EXPECT_EQ(s.output.file, "results/run.h5");
  EXPECT_TRUE(s.output.per_path);
  EXPECT_EQ(s.output.histogram_bins, 50u);
  EXPECT_NO_THROW(validate(s));
  EXPECT_NO_THROW(validate_for_run(s));
}

TEST(RunConfig, OptionalSectionsAndKeysDefault) {
  const std::string y = kGbm + "hedge: {implied_vol: 0.5}\npolicies:\n  - {name: daily, type: time, every_hours: 24}\n";
  const RunSpec s = parse_config(y, "t");
  EXPECT_EQ(s.hedge.instrument, HedgeInstrument::perpetual);
  EXPECT_EQ(s.hedge.delta, DeltaSource::implied);
  EXPECT_EQ(s.hedge.funding.rate, 0.0);
  EXPECT_FALSE(s.hedge.funding.stochastic);
  EXPECT_EQ(s.costs.fee_bps, 0.0);
  EXPECT_EQ(s.costs.fixed_per_trade, 0.0);
  EXPECT_EQ(s.output.file, "");
  EXPECT_FALSE(s.output.per_path);
  EXPECT_EQ(s.output.histogram_bins, 100u);
  ASSERT_EQ(s.policies.size(), 1u);
  EXPECT_EQ(s.policies[0].get("every_hours"), 24.0);
  EXPECT_NO_THROW(validate_for_run(s));
  // Hybrid with only one of its intervals; band policies default to the centre.
  const RunSpec h = parse_config(replace_line(kRun, 20, "  - {name: h, type: hybrid, width: 2, max_hours: 12}"), "t");
  EXPECT_EQ(h.policies[6].get("every_hours"), 0.0);
  EXPECT_EQ(h.policies[6].get("max_hours"), 12.0);
  EXPECT_EQ(h.policies[6].choice<RebalanceTo>("rebalance_to"), RebalanceTo::center);
  EXPECT_FALSE(h.policies[6].flag("width_per_gamma"));
  EXPECT_EQ(parse_config(replace_line(kRun, 20, "  - {name: h, type: hybrid, width: 2, every_hours: 2}"), "t")
                .policies[6]
                .get("every_hours"),
            2.0);
}

TEST(RunConfig, PriceConfigsNeedNoPolicies) {
  const RunSpec s = parse_config(kGbm, "t");
  EXPECT_TRUE(s.policies.empty());
  EXPECT_NO_THROW(validate(s));
  const std::string msg = [&] {
    try {
      validate_for_run(s);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  expect_has(msg, {"section 'policies' is required by the run command", "every_hours: 1"});
  // Hedge and cost sections without policies are fine for price (no implied_vol needed).
  EXPECT_NO_THROW(parse_config(kGbm + "hedge: {instrument: spot}\ncosts: {fee_bps: 3}\n", "t"));
  // Only `none` policies hedge nothing, so implied_vol is not needed either.
  EXPECT_NO_THROW(validate_for_run(parse_config(kGbm + "policies: [{name: n, type: none}]\n", "t")));
}

TEST(RunConfig, InfiniteWidthAndStochasticFunding) {
  const RunSpec s = parse_config(replace_line(kRun, 17, "  - {name: never, type: delta_band, width: .inf}"), "t");
  EXPECT_TRUE(std::isinf(s.policies[3].get("width")) && s.policies[3].get("width") > 0);
  EXPECT_TRUE(std::isinf(parse_config(replace_line(kRun, 17, "  - {name: n, type: delta_band, width: +.Inf}"), "t")
                             .policies[3]
                             .get("width")));
  const RunSpec f = parse_config(
      replace_line(kRun, 9, "  funding: {rate: 0.1, stochastic: true, kappa: 20, sigma: 0.5, rho: 0.3}"), "t");
  EXPECT_TRUE(f.hedge.funding.stochastic);
  EXPECT_EQ(f.hedge.funding.kappa, 20.0);
  EXPECT_EQ(f.hedge.funding.sigma, 0.5);
  EXPECT_EQ(f.hedge.funding.rho, 0.3);
  // Instantaneous deltas need no implied vol; spot hedges take no funding.
  std::string y = replace_line(replace_line(kRun, 7, "  delta: instantaneous"), 8, "");
  y = replace_line(replace_line(y, 6, "  instrument: spot"), 9, "");
  const RunSpec i = parse_config(y, "t");
  EXPECT_EQ(i.hedge.delta, DeltaSource::instantaneous);
  EXPECT_EQ(i.hedge.instrument, HedgeInstrument::spot);
  EXPECT_EQ(i.hedge.implied_vol, 0.0);
  EXPECT_NO_THROW(validate_for_run(i));
}

TEST(RunConfig, ExampleBtcShortCallsLoads) {
  const RunSpec s = load_config((configs_dir() / "btc_short_calls_perp.yaml").string());
  EXPECT_NO_THROW(validate_for_run(s));
  EXPECT_EQ(s.model.type, ModelType::bates);
  EXPECT_EQ(s.model.spot, 65000.0);
  EXPECT_EQ(s.model.jump_intensity, 5.0);
  EXPECT_EQ(s.simulation.measure, Measure::physical);
  EXPECT_EQ(s.model.drift, 0.0);
  EXPECT_EQ(s.simulation.paths, 100000u);
  ASSERT_EQ(s.book.size(), 1u);
  EXPECT_EQ(s.book[0].quantity, -50.0);
  EXPECT_EQ(s.book[0].strike, 70000.0);
  EXPECT_EQ(s.hedge.instrument, HedgeInstrument::perpetual);
  EXPECT_EQ(s.hedge.funding.rate, 0.10);
  EXPECT_EQ(s.hedge.implied_vol, 0.6);
  EXPECT_EQ(s.costs.fee_bps, 5.0);
  EXPECT_EQ(s.output.file, "results/btc_short_calls.h5");
  std::set<PolicyType> types;
  for (const PolicySpec& p : s.policies) types.insert(p.type);
  EXPECT_EQ(types.size(), 6u);  // none, every_step, time, delta_band, whalley_wilmott, move
  EXPECT_EQ(make_grid(s.simulation, s.book).steps, 720u);
}

TEST(RunConfig, ExampleEthStraddleLoads) {
  const RunSpec s = load_config((configs_dir() / "eth_long_straddle_svcj.yaml").string());
  EXPECT_NO_THROW(validate_for_run(s));
  EXPECT_EQ(s.model.type, ModelType::svcj);
  EXPECT_EQ(s.model.spot, 3000.0);
  EXPECT_EQ(s.hedge.instrument, HedgeInstrument::spot);
  EXPECT_EQ(s.costs.fee_bps, 10.0);
  bool call = false, put = false;
  for (const OptionSpec& o : s.book) {
    EXPECT_GT(o.quantity, 0.0);
    call |= o.type == OptionType::call;
    put |= o.type == OptionType::put;
  }
  EXPECT_TRUE(call && put);
  std::set<PolicyType> types;
  for (const PolicySpec& p : s.policies) types.insert(p.type);
  for (PolicyType t : {PolicyType::time, PolicyType::delta_band, PolicyType::move, PolicyType::hybrid}) {
    EXPECT_TRUE(types.contains(t)) << to_string(t);
  }
}

TEST(RunConfig, OnChainCostsParse) {
  const RunSpec s = parse_config(kDefi, "t");
  EXPECT_EQ(s.costs.fee_bps, 5.0);
  EXPECT_EQ(s.costs.gas.units, 180000.0);
  EXPECT_EQ(s.costs.gas.price_gwei, 20.0);
  EXPECT_EQ(s.costs.gas.eth_price_usd, 0.0);
  EXPECT_EQ(s.costs.gas.kappa, 50.0);
  EXPECT_EQ(s.costs.gas.sigma, 3.0);
  EXPECT_EQ(s.costs.gas.return_sensitivity, 40.0);
  EXPECT_EQ(s.costs.slippage.model, SlippageModel::amm);
  EXPECT_EQ(s.costs.slippage.depth_usd, 5e6);
  EXPECT_EQ(s.costs.slippage.coefficient, 0.0);
  EXPECT_EQ(s.costs.failure_probability, 0.02);
  EXPECT_NO_THROW(validate_for_run(s));

  // Left out: no gas, no slippage, no failures.
  const RunSpec d = parse_config(kRun, "t");
  EXPECT_EQ(d.costs.gas.units, 0.0);
  EXPECT_EQ(d.costs.gas.price_gwei, 0.0);
  EXPECT_EQ(d.costs.slippage.model, SlippageModel::none);
  EXPECT_EQ(d.costs.failure_probability, 0.0);

  // Gas with only the required keys: a fixed USD price of ETH, a constant gas price.
  std::string y = blank_lines(kDefi, 16, 19);
  const RunSpec g = parse_config(replace_line(y, 16, "    eth_price_usd: 3100.5"), "t");
  EXPECT_EQ(g.costs.gas.eth_price_usd, 3100.5);
  EXPECT_EQ(g.costs.gas.kappa, 0.0);
  EXPECT_EQ(g.costs.gas.sigma, 0.0);
  EXPECT_EQ(g.costs.gas.return_sensitivity, 0.0);
  EXPECT_EQ(parse_config(y, "t").costs.gas.eth_price_usd, 0.0);
  EXPECT_EQ(parse_config(blank_lines(replace_line(kDefi, 13, "  gas: {units: 21000, price_gwei: 0.5}"), 14, 19), "t").costs.gas.units, 21000.0);
  // Mean reversion alone is fine (the gas price just stays at price_gwei); kappa x dt = 1 exactly too.
  EXPECT_NO_THROW(parse_config(replace_line(replace_line(kDefi, 18, ""), 19, ""), "t"));
  EXPECT_NO_THROW(parse_config(replace_line(kDefi, 17, "    kappa: 8760"), "t"));  // 24 steps a day

  // Each slippage model with its own keys.
  const RunSpec lin = parse_config(replace_line(kDefi, 20, "  slippage: {model: linear, coefficient: 0.001}"), "t");
  EXPECT_EQ(lin.costs.slippage.model, SlippageModel::linear);
  EXPECT_EQ(lin.costs.slippage.coefficient, 0.001);
  EXPECT_EQ(lin.costs.slippage.depth_usd, 0.0);
  const RunSpec sq =
      parse_config(replace_line(kDefi, 20, "  slippage: {model: sqrt, coefficient: 0.5, depth_usd: 2.5e7}"), "t");
  EXPECT_EQ(sq.costs.slippage.model, SlippageModel::sqrt);
  EXPECT_EQ(sq.costs.slippage.coefficient, 0.5);
  EXPECT_EQ(sq.costs.slippage.depth_usd, 2.5e7);
  EXPECT_EQ(parse_config(replace_line(kDefi, 20, "  slippage: {model: none}"), "t").costs.slippage.model,
            SlippageModel::none);
  EXPECT_EQ(parse_config(replace_line(kDefi, 20, "  slippage: {model: linear, coefficient: 0}"), "t")
                .costs.slippage.coefficient,
            0.0);

  // failure_probability just below 1, and 0.
  EXPECT_EQ(parse_config(replace_line(kDefi, 21, "  failure_probability: 0.999"), "t").costs.failure_probability, 0.999);
  EXPECT_EQ(parse_config(replace_line(kDefi, 21, "  failure_probability: 0"), "t").costs.failure_probability, 0.0);
  // On-chain costs need no policies (price configs parse them too).
  EXPECT_NO_THROW(parse_config(kGbm + "costs: {gas: {units: 1, price_gwei: 1}, failure_probability: 0.5}\n", "t"));
}

TEST(RunConfig, ExampleEthCoveredCallVaultLoads) {
  const RunSpec s = load_config((configs_dir() / "eth_covered_call_vault.yaml").string());
  EXPECT_NO_THROW(validate_for_run(s));
  EXPECT_TRUE(s.model.type == ModelType::heston || s.model.type == ModelType::bates);
  EXPECT_EQ(s.model.spot, 3000.0);
  EXPECT_NEAR(std::sqrt(s.model.v0), 0.7, 1e-12);
  EXPECT_EQ(s.simulation.paths, 50000u);
  EXPECT_EQ(s.simulation.steps_per_day, 24.0);
  ASSERT_EQ(s.book.size(), 1u);
  EXPECT_EQ(s.book[0].type, OptionType::call);
  EXPECT_EQ(s.book[0].strike, 3300.0);
  EXPECT_EQ(s.book[0].expiry_days, 7.0);
  EXPECT_EQ(s.book[0].quantity, -100.0);
  EXPECT_EQ(make_grid(s.simulation, s.book).steps, 168u);
  EXPECT_EQ(s.hedge.instrument, HedgeInstrument::spot);
  EXPECT_EQ(s.hedge.delta, DeltaSource::implied);
  EXPECT_EQ(s.hedge.implied_vol, 0.7);
  EXPECT_EQ(s.costs.fee_bps, 30.0);
  EXPECT_EQ(s.costs.slippage.model, SlippageModel::amm);
  EXPECT_EQ(s.costs.slippage.depth_usd, 5e6);
  EXPECT_EQ(s.costs.gas.units, 180000.0);
  EXPECT_EQ(s.costs.gas.price_gwei, 20.0);
  EXPECT_EQ(s.costs.gas.eth_price_usd, 0.0);
  EXPECT_EQ(s.costs.gas.kappa, 2000.0);
  EXPECT_EQ(s.costs.gas.sigma, 20.0);
  EXPECT_EQ(s.costs.gas.return_sensitivity, 10.0);
  EXPECT_EQ(s.costs.failure_probability, 0.02);
  EXPECT_EQ(s.output.file, "results/eth_vault.h5");
  ASSERT_EQ(s.policies.size(), 7u);
  std::multiset<PolicyType> types;
  for (const PolicySpec& p : s.policies) types.insert(p.type);
  EXPECT_EQ(types.count(PolicyType::none), 1u);
  EXPECT_EQ(types.count(PolicyType::time), 2u);
  EXPECT_EQ(types.count(PolicyType::delta_band), 2u);
  EXPECT_EQ(types.count(PolicyType::move), 1u);
  EXPECT_EQ(types.count(PolicyType::hybrid), 1u);
  const PolicySpec& hyb = s.policies[6];
  EXPECT_EQ(hyb.type, PolicyType::hybrid);
  EXPECT_EQ(hyb.get("width"), 5.0);
  EXPECT_EQ(hyb.get("every_hours"), 4.0);
  EXPECT_EQ(hyb.get("max_hours"), 24.0);
}

// ───────────────────────────── the run sections: errors ─────────────────────────────

TEST(RunConfigErrors, PolicyRangesNameKeyValueAndLine) {
  EXPECT_EQ(error_of(replace_line(kRun, 17, "  - {name: b, type: delta_band, width: -1}")),
            "test.yaml: policies[3].width = -1 at line 17: must be >= 0 (.inf: never rebalance)");
  expect_has(error_of(replace_line(kRun, 18, "  - {name: ww, type: whalley_wilmott, risk_aversion: 0}")),
             {"policies[4].risk_aversion = 0 at line 18", "must be > 0"});
  expect_has(error_of(replace_line(kRun, 19, "  - {name: m, type: move, move_pct: -2}")),
             {"policies[5].move_pct = -2 at line 19", "must be > 0"});
  expect_has(error_of(replace_line(kRun, 16, "  - {name: h, type: time, every_hours: 0}")),
             {"policies[2].every_hours = 0 at line 16", "must be > 0"});
  expect_has(error_of(replace_line(kRun, 20, "  - {name: h, type: hybrid, width: -0.5, every_hours: 1}")),
             {"policies[6].width = -0.5 at line 20", ">= 0"});
  expect_has(error_of(replace_line(kRun, 20, "  - {name: h, type: hybrid, width: 1}")),
             {"policies[6] at line 20", "type hybrid needs every_hours", "max_hours"});
  expect_has(error_of(replace_line(kRun, 20, "  - {name: h, type: hybrid, width: 1, every_hours: 0, max_hours: 4}")),
             {"policies[6].every_hours = 0 at line 20", "must be > 0", "leave it out"});
  expect_has(error_of(replace_line(kRun, 20, "  - {name: h, type: hybrid, width: 1, max_hours: 0}")),
             {"policies[6].max_hours = 0 at line 20", "must be > 0", "no limit"});
}

TEST(RunConfigErrors, PolicyValueTypes) {
  expect_has(error_of(replace_line(kRun, 17, "  - {name: b, type: delta_band, width: -.inf}")),
             {"policies[3].width = '-.inf' at line 17", ">= 0"});
  expect_has(error_of(replace_line(kRun, 17, "  - {name: b, type: delta_band, width: .nan}")),
             {"policies[3].width = '.nan' at line 17"});
  expect_has(error_of(replace_line(kRun, 16, "  - {name: h, type: time, every_hours: .inf}")),
             {"policies[2].every_hours = '.inf' at line 16", "not finite"});
  expect_has(error_of(replace_line(kRun, 17, "  - {name: b, type: delta_band, width: 1, width_per_gamma: yes}")),
             {"policies[3].width_per_gamma = 'yes' at line 17", "expected true or false"});
  expect_has(error_of(replace_line(kRun, 15, "  - {name: e, type: every_step, leland: \"true\"}")),
             {"policies[1].leland = 'true' at line 15", "quoted"});
  expect_has(error_of(replace_line(kRun, 17, "  - {name: b, type: delta_band, width: 1, rebalance_to: middle}")),
             {"policies[3].rebalance_to = 'middle' at line 17", "one of center, edge"});
  expect_has(error_of(replace_line(kRun, 17, "  - {name: b, type: delta-band, width: 1}")),
             {"policies[3].type = 'delta-band' at line 17", "none, every_step, time, delta_band", "did you mean 'delta_band'?"});
  expect_has(error_of(replace_line(kRun, 17, "  - {name: [a, b], type: delta_band, width: 1}")),
             {"policies[3].name at line 17 is a list"});
}

TEST(RunConfigErrors, PolicyKeys) {
  EXPECT_EQ(error_of(replace_line(kRun, 17, "  - {name: b, type: delta_band, widht: 1}")),
            "test.yaml: unknown key 'policies[3].widht' at line 17; did you mean 'width'?");
  expect_has(error_of(replace_line(kRun, 17, "  - {name: b, type: delta_band, width: 1, risk_aversion: 1}")),
             {"policies[3].risk_aversion at line 17", "used only by type whalley_wilmott", "not by type delta_band",
              "change policies[3].type"});
  expect_has(error_of(replace_line(kRun, 19, "  - {name: m, type: move, move_pct: 2, every_hours: 1}")),
             {"policies[5].every_hours at line 19", "used only by types time, hybrid", "not by type move"});
  expect_has(error_of(replace_line(kRun, 14, "  - {name: u, type: none, leland: true}")),
             {"policies[0].leland at line 14", "every_step, time, delta_band, whalley_wilmott, move, hybrid",
              "not by type none"});
  expect_has(error_of(replace_line(kRun, 16, "  - {name: h, type: time, width: 1, every_hours: 1}")),
             {"policies[2].width at line 16", "used only by types delta_band, hybrid"});
  expect_has(error_of(replace_line(kRun, 16, "  - {name: h, type: time}")),
             {"policies[2].every_hours is required for type time (element at line 16)"});
  expect_has(error_of(replace_line(kRun, 18, "  - {name: ww, type: whalley_wilmott}")),
             {"policies[4].risk_aversion is required for type whalley_wilmott"});
  expect_has(error_of(replace_line(kRun, 17, "  - {name: b, type: delta_band}")),
             {"policies[3].width is required for type delta_band"});
  expect_has(error_of(replace_line(kRun, 19, "  - {name: m, type: move}")), {"policies[5].move_pct is required"});
  expect_has(error_of(replace_line(kRun, 16, "  - {type: time, every_hours: 1}")),
             {"policies[2].name is required (element at line 16)"});
  expect_has(error_of(replace_line(kRun, 16, "  - {name: h, every_hours: 1}")),
             {"policies[2].type is required (element at line 16)", "none, every_step"});
  expect_has(error_of(replace_line(kRun, 16, "  - {name: h, type: time, every_hours: 1, every_hours: 2}")),
             {"duplicate key 'policies[2].every_hours'"});
}

TEST(RunConfigErrors, PolicyNames) {
  EXPECT_EQ(error_of(replace_line(kRun, 17, "  - {name: hourly, type: delta_band, width: 1}")),
            "test.yaml: policies[3].name = 'hourly' at line 17: already used by policies[2].name at line 16: "
            "policy names must be unique");
  expect_has(error_of(replace_line(kRun, 17, "  - {name: my band, type: delta_band, width: 1}")),
             {"policies[3].name = 'my band' at line 17", "A-Z a-z 0-9 _ . -", "HDF5 group"});
  expect_has(error_of(replace_line(kRun, 17, "  - {name: a/b, type: delta_band, width: 1}")),
             {"policies[3].name = 'a/b' at line 17"});
  expect_has(error_of(replace_line(kRun, 17, "  - {name: .., type: delta_band, width: 1}")),
             {"policies[3].name = '..' at line 17", "not be . or .."});
  expect_has(error_of(replace_line(kRun, 17, "  - {name: \"\", type: delta_band, width: 1}")),
             {"policies[3].name = '' at line 17", "must not be empty"});
  const std::string long_name(65, 'x');
  expect_has(error_of(replace_line(kRun, 17, "  - {name: " + long_name + ", type: delta_band, width: 1}")),
             {"policies[3].name = '" + long_name + "' at line 17", "65 characters", "at most 64"});
  EXPECT_NO_THROW(parse_config(replace_line(kRun, 17, "  - {name: " + long_name.substr(1) + ", type: delta_band, width: 1}"), "t"));
}

TEST(RunConfigErrors, PoliciesSectionShape) {
  expect_has(error_of(blank_lines(replace_line(kRun, 13, "policies: []"), 14, 20)), {"policies at line 13", "empty list"});
  expect_has(error_of(blank_lines(replace_line(kRun, 13, "policies: {name: a, type: none}"), 14, 20)),
             {"policies at line 13 is a map", "expected a list of policies"});
  expect_has(error_of(replace_line(kRun, 16, "  - hourly")), {"policies[2] at line 16 is a scalar", "expected a map"});
  std::string many = kGbm + "policies:\n";
  for (int i = 0; i < 33; ++i) many += "  - {name: p" + std::to_string(i) + ", type: none}\n";
  expect_has(error_of(many), {"policies at line 12", "lists 33 policies", "at most 32"});
  many = kGbm + "policies:\n";
  for (int i = 0; i < 32; ++i) many += "  - {name: p" + std::to_string(i) + ", type: none}\n";
  EXPECT_NO_THROW(parse_config(many, "t"));
}

TEST(RunConfigErrors, IntervalsMustBeWholeSteps) {
  // 24 steps a day: 1.5 hours is 1.5 steps.
  const std::string msg = error_of(replace_line(kRun, 16, "  - {name: h, type: time, every_hours: 1.5}"));
  expect_has(msg, {"policies[2].every_hours = 1.5 at line 16", "1.5 hours x steps_per_day 24 / 24 = 1.5 steps",
                   "not a whole number", "dt = 1 hours", "every_hours: 1 or 2 (1 or 2 steps)", "steps_per_day: 48"});
  EXPECT_NO_THROW(parse_config(replace_line(replace_line(kRun, 16, "  - {name: h, type: time, every_hours: 1.5}"), 1,
                                            "simulation: {paths: 1000, steps_per_day: 48}"),
                               "t"));
  // Shorter than a step.
  expect_has(error_of(replace_line(kRun, 16, "  - {name: h, type: time, every_hours: 0.5}")),
             {"policies[2].every_hours = 0.5 at line 16", "shorter than one time step", "every_hours: 1 (1 step)"});
  // Within 1e-9 relative is whole; beyond is not.
  EXPECT_EQ(parse_config(replace_line(kRun, 16, "  - {name: h, type: time, every_hours: 4.0000000001}"), "t")
                .policies[2]
                .get("every_hours"),
            4.0000000001);
  expect_has(error_of(replace_line(kRun, 16, "  - {name: h, type: time, every_hours: 4.00001}")),
             {"policies[2].every_hours = 4.00001", "not a whole number", "every_hours: 4 or 5"});
  // A grid of 10 steps a day: dt = 2.4 hours; 7.2 hours is 3 steps.
  const std::string ten = replace_line(kRun, 1, "simulation: {paths: 1000, steps_per_day: 10}");
  EXPECT_NO_THROW(parse_config(replace_line(replace_line(replace_line(ten, 16, "  - {name: h, type: time, every_hours: 7.2}"),
                                                         20, "  - {name: y, type: hybrid, width: 1, every_hours: 2.4, max_hours: 24}"),
                                            1, "simulation: {paths: 1000, steps_per_day: 10}"),
                               "t"));
  expect_has(error_of(replace_line(ten, 16, "  - {name: h, type: time, every_hours: 7.2}")),
             {"policies[6].every_hours = 4 at line 20", "1.666666667 steps", "every_hours: 2.4 or 4.8"});
  // Hybrid's max_hours follows the same rule.
  expect_has(error_of(replace_line(kRun, 20, "  - {name: y, type: hybrid, width: 1, max_hours: 2.5}")),
             {"policies[6].max_hours = 2.5 at line 20", "max_hours: 2 or 3"});
}

TEST(RunConfigErrors, ProportionalCostRules) {
  // Whalley–Wilmott with no proportional fee: the band would be 0.
  std::string y = replace_line(replace_line(kRun, 11, "  fee_bps: 0"), 15, "  - {name: every_step, type: every_step}");
  expect_has(error_of(y), {"policies[4].type = whalley_wilmott at line 18", "needs a proportional cost",
                           "costs.fee_bps = 0 at line 11", "would be 0", "set costs.fee_bps > 0"});
  expect_has(error_of(blank_lines(y, 10, 12)), {"policies[4].type = whalley_wilmott", "costs.fee_bps = 0 (not given)"});
  // Leland likewise.
  expect_has(error_of(replace_line(kRun, 11, "  fee_bps: 0")),
             {"policies[1].leland = true at line 15", "Leland", "costs.fee_bps = 0 at line 11"});
  // A fixed fee alone is not proportional.
  expect_has(error_of(replace_line(y, 12, "  fixed_per_trade: 10")), {"policies[4].type = whalley_wilmott"});
}

TEST(RunConfigErrors, HedgeRules) {
  // Funding with a spot hedge.
  EXPECT_EQ(error_of(replace_line(kRun, 6, "  instrument: spot")),
            "test.yaml: hedge.funding at line 9 applies only to hedge.instrument: perpetual, not spot (a spot "
            "position pays no funding): remove it or set hedge.instrument: perpetual");
  // Implied vol missing while policies hedge with implied deltas.
  expect_has(error_of(replace_line(kRun, 8, "")),
             {"hedge.implied_vol is required (hedge at line 6)", "policies[1] 'every_step' (type every_step) hedges",
              "delta: instantaneous"});
  expect_has(error_of(kGbm + "policies:\n  - {name: u, type: none}\n  - {name: d, type: time, every_hours: 24}\n"),
             {"hedge.implied_vol is required (policies[1] at line 13)", "'d' (type time)"});
  // Implied vol with instantaneous deltas.
  expect_has(error_of(replace_line(kRun, 7, "  delta: instantaneous")),
             {"hedge.implied_vol at line 8 is used only with hedge.delta: implied, not instantaneous"});
  expect_has(error_of(replace_line(kRun, 7, "  delta: model")),
             {"hedge.implied_vol at line 8 is used only with hedge.delta: implied, not model"});
  expect_has(error_of(replace_line(kRun, 7, "  delta: modle")), {"hedge.delta = 'modle' at line 7", "model"});
  // Model marks are read by the P&L attribution and by the hedge options: one of them is needed.
  expect_has(error_of(replace_line(kRun, 7, "  delta: implied\n  marks: model")),
             {"hedge.marks = model at line 8", "set output.attribution: true, list hedge.options"});
  EXPECT_EQ(parse_config(replace_line(kRun, 7, "  delta: implied\n  marks: model") + "  attribution: true\n", "t.yaml")
                .hedge.marks,
            MarkSource::model);
  EXPECT_EQ(parse_config(replace_line(kRun, 7,
                                      "  delta: implied\n  marks: model\n  options: [{type: call, strike: 100, "
                                      "expiry_days: 60}]"),
                         "t.yaml")
                .hedge.marks,
            MarkSource::model);
  expect_has(error_of(replace_line(kRun, 7, "  marks: heston")), {"hedge.marks = 'heston' at line 7", "black_scholes, model"});
  // Leland adjusts a Black-Scholes vol: it cannot apply to a Heston-family model's own deltas.
  expect_has(error_of(replace_line(replace_line(replace_line(kRun, 7, "  delta: model"), 8, ""), 2,
                                   "model: {type: heston, spot: 100, v0: 0.25, kappa: 2, theta: 0.25, xi: 0.5, "
                                   "rho: -0.5}")),
             {"policies[1].leland = true", "hedge.delta = model uses the model's own delta"});
  expect_has(error_of(replace_line(kRun, 8, "  implied_vol: 0")), {"hedge.implied_vol = 0 at line 8", "must be > 0"});
  expect_has(error_of(replace_line(kRun, 8, "  implied_vol: -0.6")), {"hedge.implied_vol = -0.6 at line 8", "must be > 0"});
  expect_has(error_of(replace_line(kRun, 6, "  instrument: perp")),
             {"hedge.instrument = 'perp' at line 6", "one of spot, perpetual"});
  expect_has(error_of(replace_line(kRun, 7, "  delta: instantanous")),
             {"hedge.delta = 'instantanous' at line 7", "did you mean 'instantaneous'?"});
  expect_has(error_of(replace_line(kRun, 8, "  implied_vo: 0.6")),
             {"unknown key 'hedge.implied_vo' at line 8", "did you mean 'implied_vol'?"});
}

TEST(RunConfigErrors, FundingRules) {
  expect_has(error_of(replace_line(kRun, 9, "  funding: {rate: 0.1, kappa: 2}")),
             {"hedge.funding.kappa at line 9 is used only with hedge.funding.stochastic: true"});
  expect_has(error_of(replace_line(kRun, 9, "  funding: {rate: 0.1, stochastic: true, kappa: 2, rho: 0}")),
             {"hedge.funding.sigma is required when stochastic is true (funding at line 9)"});
  expect_has(error_of(replace_line(kRun, 9, "  funding: {stochastic: true, kappa: 2, sigma: 0.1, rho: 2}")),
             {"hedge.funding.rho = 2 at line 9", "[-1, 1]"});
  expect_has(error_of(replace_line(kRun, 9, "  funding: {stochastic: true, kappa: 0, sigma: 0.1, rho: 0}")),
             {"hedge.funding.kappa = 0 at line 9", "> 0"});
  expect_has(error_of(replace_line(kRun, 9, "  funding: {stochastic: true, kappa: 1, sigma: -0.1, rho: 0}")),
             {"hedge.funding.sigma = -0.1 at line 9", ">= 0"});
  expect_has(error_of(replace_line(kRun, 9, "  funding: {rate: .inf}")), {"hedge.funding.rate = '.inf' at line 9", "not finite"});
  expect_has(error_of(replace_line(kRun, 9, "  funding: {stochastic: maybe}")),
             {"hedge.funding.stochastic = 'maybe' at line 9", "true or false"});
  expect_has(error_of(replace_line(kRun, 9, "  funding: 0.1")), {"hedge.funding at line 9 is a scalar", "expected a map"});
  expect_has(error_of(replace_line(kRun, 9, "  funding: {rat: 0.1}")),
             {"unknown key 'hedge.funding.rat' at line 9", "did you mean 'rate'?"});
}

TEST(RunConfigErrors, CostsAndOutput) {
  EXPECT_EQ(error_of(replace_line(kRun, 11, "  fee_bps: -1")),
            "test.yaml: costs.fee_bps = -1 at line 11: must be >= 0 and < 10000 (basis points of the traded notional; "
            "10000 would be 100%)");
  expect_has(error_of(replace_line(kRun, 11, "  fee_bps: 20000")), {"costs.fee_bps = 20000 at line 11"});
  expect_has(error_of(replace_line(kRun, 12, "  fixed_per_trade: -0.5")),
             {"costs.fixed_per_trade = -0.5 at line 12", ">= 0"});
  expect_has(error_of(replace_line(kRun, 12, "  fixed: 1")), {"unknown key 'costs.fixed' at line 12"});
  EXPECT_EQ(error_of(replace_line(kRun, 24, "  histogram_bins: 0")),
            "test.yaml: output.histogram_bins = 0 at line 24: must be from 1 to 100000");
  expect_has(error_of(replace_line(kRun, 24, "  histogram_bins: 100001")), {"output.histogram_bins = 100001 at line 24"});
  expect_has(error_of(replace_line(kRun, 24, "  histogram_bins: 2.5")),
             {"output.histogram_bins = '2.5' at line 24", "an integer from 1 to 100000"});
  expect_has(error_of(replace_line(kRun, 24, "  sample_paths: 1001")),
             {"output.sample_paths = 1001 at line 24", "must be from 0 to 1000"});
  EXPECT_EQ(parse_config(replace_line(kRun, 24, "  sample_paths: 0"), "t").output.sample_paths, 0u);
  expect_has(error_of(replace_line(kRun, 23, "  per_path: on")), {"output.per_path = 'on' at line 23", "true or false"});
  expect_has(error_of(replace_line(kRun, 22, "  file:")), {"output.file at line 22 is empty", "file path"});
  expect_has(error_of(replace_line(kRun, 22, "  fiel: a.h5")), {"unknown key 'output.fiel' at line 22", "did you mean 'file'?"});
}

TEST(RunConfigErrors, GasRules) {
  EXPECT_EQ(error_of(replace_line(kDefi, 14, "    units: 0")),
            "test.yaml: costs.gas.units = 0 at line 14: must be > 0 (leave out costs.gas for no gas cost)");
  expect_has(error_of(replace_line(kDefi, 14, "    units: -5")), {"costs.gas.units = -5 at line 14", "must be > 0"});
  // A block map's line is that of its first key, as for the other sections.
  expect_has(error_of(replace_line(kDefi, 14, "")),
             {"costs.gas.units is required (gas at line 15)", "gas units per rebalance > 0"});
  expect_has(error_of(blank_lines(replace_line(kDefi, 13, "  gas: {price_gwei: 20}"), 14, 19)),
             {"costs.gas.units is required (gas at line 13)"});
  EXPECT_EQ(error_of(replace_line(kDefi, 15, "    price_gwei: 0")),
            "test.yaml: costs.gas.price_gwei = 0 at line 15: must be > 0");
  expect_has(error_of(replace_line(kDefi, 15, "    price_gwei: -1")), {"costs.gas.price_gwei = -1 at line 15", ">= 0"});
  expect_has(error_of(replace_line(kDefi, 15, "")), {"costs.gas.price_gwei is required (gas at line 14)", "gwei > 0"});
  expect_has(error_of(replace_line(kDefi, 16, "    eth_price_usd: -3000")),
             {"costs.gas.eth_price_usd = -3000 at line 16", "must be >= 0"});
  expect_has(error_of(replace_line(kDefi, 17, "    kappa: -1")), {"costs.gas.kappa = -1 at line 17", "must be >= 0"});
  expect_has(error_of(replace_line(kDefi, 18, "    sigma: -0.5")), {"costs.gas.sigma = -0.5 at line 18", "must be >= 0"});
  expect_has(error_of(replace_line(kDefi, 19, "    return_sensitivity: -2")),
             {"costs.gas.return_sensitivity = -2 at line 19", "must be >= 0"});
  // Value types.
  expect_has(error_of(replace_line(kDefi, 15, "    price_gwei: \"20\"")), {"costs.gas.price_gwei = '20' at line 15", "quoted"});
  expect_has(error_of(replace_line(kDefi, 18, "    sigma: .inf")), {"costs.gas.sigma = '.inf' at line 18", "not finite"});
  expect_has(error_of(replace_line(kDefi, 16, "    eth_price_usd: spot")),
             {"costs.gas.eth_price_usd = 'spot' at line 16", "0: the underlying is ETH"});
  expect_has(error_of(replace_line(kDefi, 17, "    kappa: [1]")), {"costs.gas.kappa at line 17 is a list"});
  expect_has(error_of(blank_lines(replace_line(kDefi, 13, "  gas: 20"), 14, 19)),
             {"costs.gas at line 13 is a scalar", "expected a map of gas keys (units, price_gwei"});
  expect_has(error_of(blank_lines(replace_line(kDefi, 13, "  gas:"), 14, 19)), {"costs.gas at line 13 is empty"});
  // Keys.
  EXPECT_EQ(error_of(replace_line(kDefi, 17, "    kapa: 50")),
            "test.yaml: unknown key 'costs.gas.kapa' at line 17; did you mean 'kappa'?");
  expect_has(error_of(replace_line(kDefi, 15, "    price_gwie: 20")), {"did you mean 'price_gwei'?"});
  expect_has(error_of(replace_line(kDefi, 16, "    units: 1")), {"duplicate key 'costs.gas.units' at line 16"});
}

TEST(RunConfigErrors, GasPriceMustMeanRevert) {
  // sigma > 0 with kappa = 0: a random walk.
  EXPECT_EQ(error_of(replace_line(kDefi, 17, "    kappa: 0")),
            "test.yaml: costs.gas.sigma = 3 at line 18: needs costs.gas.kappa > 0, but costs.gas.kappa = 0 at "
            "line 17: without mean reversion the log gas price is a random walk that wanders away from price_gwei "
            "without bound over the run; set kappa > 0 (per year, e.g. 50: a half-life of about 5 days) or sigma: 0");
  expect_has(error_of(replace_line(kDefi, 17, "")),
             {"costs.gas.sigma = 3 at line 18", "costs.gas.kappa = 0 (not given)", "random walk"});
  // Return spikes with kappa = 0 never decay.
  expect_has(error_of(replace_line(replace_line(kDefi, 17, "    kappa: 0"), 18, "    sigma: 0")),
             {"costs.gas.return_sensitivity = 40 at line 19", "needs costs.gas.kappa > 0",
              "costs.gas.kappa = 0 at line 17", "only ever rises"});
  // Nothing moves the gas price: kappa may be 0.
  EXPECT_NO_THROW(parse_config(blank_lines(kDefi, 17, 19), "t"));
  // kappa x dt beyond one step's worth overshoots (24 steps a day: 8760 steps a year).
  expect_has(error_of(replace_line(kDefi, 17, "    kappa: 8761")),
             {"costs.gas.kappa = 8761 at line 17", "kappa x dt = 1.000114155 per step (dt = 1/24 day) exceeds 1",
              "raise simulation.steps_per_day to at least 25", "per year"});
}

TEST(RunConfigErrors, SlippageRules) {
  EXPECT_EQ(error_of(replace_line(kDefi, 20, "  slippage: {depth_usd: 5e6}")),
            "test.yaml: costs.slippage.model is required (slippage at line 20): one of none, linear, sqrt, amm");
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: lineer, coefficient: 1}")),
             {"costs.slippage.model = 'lineer' at line 20", "one of none, linear, sqrt, amm", "did you mean 'linear'?"});
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: [amm]}")), {"costs.slippage.model at line 20 is a list"});
  // Keys of another model are errors.
  EXPECT_EQ(error_of(replace_line(kDefi, 20, "  slippage: {model: amm, coefficient: 0.1, depth_usd: 5e6}")),
            "test.yaml: costs.slippage.coefficient at line 20 is used only by models linear, sqrt, not by model amm: "
            "remove it or change costs.slippage.model");
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: linear, coefficient: 0.1, depth_usd: 5e6}")),
             {"costs.slippage.depth_usd at line 20 is used only by models sqrt, amm, not by model linear"});
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: none, coefficient: 0.1}")),
             {"costs.slippage.coefficient at line 20", "not by model none"});
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: none, depth_usd: 1e6}")),
             {"costs.slippage.depth_usd at line 20", "not by model none"});
  // Required per model.
  EXPECT_EQ(error_of(replace_line(kDefi, 20, "  slippage: {model: linear}")),
            "test.yaml: costs.slippage.coefficient is required for model linear (slippage at line 20)");
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: sqrt, depth_usd: 1e6}")),
             {"costs.slippage.coefficient is required for model sqrt"});
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: sqrt, coefficient: 0.1}")),
             {"costs.slippage.depth_usd is required for model sqrt (slippage at line 20)"});
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: amm}")),
             {"costs.slippage.depth_usd is required for model amm (slippage at line 20)"});
  // Ranges.
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: linear, coefficient: -0.1}")),
             {"costs.slippage.coefficient = -0.1 at line 20", "must be >= 0"});
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: sqrt, coefficient: -1, depth_usd: 1e6}")),
             {"costs.slippage.coefficient = -1 at line 20", "must be >= 0"});
  EXPECT_EQ(error_of(replace_line(kDefi, 20, "  slippage: {model: amm, depth_usd: 0}")),
            "test.yaml: costs.slippage.depth_usd = 0 at line 20: must be > 0 (USD of liquidity on each side of the "
            "pool)");
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: sqrt, coefficient: 0.1, depth_usd: -1e6}")),
             {"costs.slippage.depth_usd = -1000000 at line 20", "must be > 0"});
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: linear, coefficient: big}")),
             {"costs.slippage.coefficient = 'big' at line 20", "per 1M USD traded"});
  // Shape and key names.
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: amm")),
             {"costs.slippage at line 20 is a scalar", "expected a map such as {model: amm, depth_usd: 5e6}"});
  expect_has(error_of(replace_line(kDefi, 20, "  slippage: {model: amm, depth_us: 5e6}")),
             {"unknown key 'costs.slippage.depth_us' at line 20", "did you mean 'depth_usd'?"});
  expect_has(error_of(replace_line(kDefi, 20, "  slipage: {model: amm, depth_usd: 5e6}")),
             {"unknown key 'costs.slipage' at line 20", "did you mean 'slippage'?"});
}

TEST(RunConfigErrors, FailureProbability) {
  EXPECT_EQ(error_of(replace_line(kDefi, 21, "  failure_probability: 1")),
            "test.yaml: costs.failure_probability = 1 at line 21: must be >= 0 and < 1 (the chance that a rebalance "
            "fails, paying gas without trading; 1 would never trade)");
  expect_has(error_of(replace_line(kDefi, 21, "  failure_probability: 1.5")), {"costs.failure_probability = 1.5 at line 21"});
  expect_has(error_of(replace_line(kDefi, 21, "  failure_probability: -0.01")),
             {"costs.failure_probability = -0.01 at line 21", "must be >= 0 and < 1"});
  expect_has(error_of(replace_line(kDefi, 21, "  failure_probability: often")),
             {"costs.failure_probability = 'often' at line 21", "a probability >= 0 and < 1"});
  expect_has(error_of(replace_line(kDefi, 21, "  failure_probabilty: 0.1")),
             {"unknown key 'costs.failure_probabilty' at line 21", "did you mean 'failure_probability'?"});
}

TEST(RunConfigValidate, RulesAreRecheckedAfterOverrides) {
  RunSpec s = parse_config(kRun, "test.yaml");
  s.simulation.steps_per_day = 1.0;  // hourly policies are now shorter than a step
  std::string msg = validate_error_of(s);
  expect_has(msg, {"policies[2].every_hours = 1: 1 hours x steps_per_day 1 / 24", "shorter than one time step"});
  EXPECT_EQ(msg.find("line"), std::string::npos) << msg;

  s = parse_config(kRun, "test.yaml");
  s.output.file.clear();  // per-path output without a file
  EXPECT_NO_THROW(validate(s));
  try {
    validate_for_run(s);
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "output.per_path = true: per-path datasets are written to the HDF5 results file, but no output.file "
                 "(or --out FILE) is given");
  }

  s = parse_config(kRun, "test.yaml");
  s.policies[4].name = s.policies[0].name;
  expect_has(validate_error_of(s), {"policies[4].name = 'unhedged': already used by policies[0].name"});

  s = parse_config(kRun, "test.yaml");
  s.hedge.instrument = HedgeInstrument::spot;  // funding.rate = 0.1 stays
  expect_has(validate_error_of(s), {"hedge.funding: applies only to hedge.instrument = perpetual"});

  s = parse_config(kRun, "test.yaml");
  s.hedge.funding.kappa = 3.0;  // not stochastic
  expect_has(validate_error_of(s), {"hedge.funding.kappa = 3", "stochastic = true"});

  s = parse_config(kRun, "test.yaml");
  s.policies[0].leland = true;
  expect_has(validate_error_of(s), {"policies[0].leland = true", "type none never trades"});

  s = parse_config(kRun, "test.yaml");
  s.policies[3].set("width", std::nan(""));
  expect_has(validate_error_of(s), {"policies[3].width = nan", ">= 0"});
}

TEST(RunConfigValidate, CostRulesAreRecheckedAfterOverrides) {
  RunSpec s = parse_config(kDefi, "test.yaml");
  s.costs.gas.kappa = 0.0;
  std::string msg = validate_error_of(s);
  expect_has(msg, {"costs.gas.sigma = 3: needs costs.gas.kappa > 0, but costs.gas.kappa = 0:", "random walk"});
  EXPECT_EQ(msg.find("line"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("not given"), std::string::npos) << msg;

  s = parse_config(kDefi, "test.yaml");
  s.costs.gas.units = 0.0;  // gas off, its other fields left
  expect_has(validate_error_of(s), {"costs.gas.price_gwei = 20: has no effect with costs.gas.units = 0"});
  s.costs.gas = GasSpec{};
  EXPECT_NO_THROW(validate(s));
  s.costs.gas.units = -1.0;
  expect_has(validate_error_of(s), {"costs.gas.units = -1: must be >= 0"});

  s = parse_config(kDefi, "test.yaml");
  s.costs.gas.price_gwei = 0.0;
  EXPECT_EQ(validate_error_of(s), "costs.gas.price_gwei = 0: must be > 0");

  s = parse_config(kDefi, "test.yaml");
  s.simulation.steps_per_day = 1.0;  // kappa x dt: 50 / 365
  s.policies.resize(1);
  EXPECT_NO_THROW(validate(s));
  s.costs.gas.kappa = 400.0;  // > 365 per year at daily steps
  expect_has(validate_error_of(s), {"costs.gas.kappa = 400: kappa x dt = 1.095890411 per step (dt = 1/1 day)",
                                    "steps_per_day to at least 2"});

  s = parse_config(kDefi, "test.yaml");
  s.costs.slippage.model = SlippageModel::linear;  // depth_usd stays
  EXPECT_EQ(validate_error_of(s),
            "costs.slippage.depth_usd = 5000000: is used only by models sqrt, amm, not by model linear: remove it or "
            "change costs.slippage.model");
  s.costs.slippage.depth_usd = 0.0;
  EXPECT_NO_THROW(validate(s));
  s.costs.slippage.model = SlippageModel::sqrt;
  expect_has(validate_error_of(s), {"costs.slippage.depth_usd = 0: must be > 0"});
  s.costs.slippage.model = SlippageModel::none;
  s.costs.slippage.coefficient = 0.2;
  expect_has(validate_error_of(s), {"costs.slippage.coefficient = 0.2: is used only by models linear, sqrt"});

  s = parse_config(kDefi, "test.yaml");
  s.costs.failure_probability = std::nan("");
  expect_has(validate_error_of(s), {"costs.failure_probability = nan: must be >= 0 and < 1"});
  s.costs.failure_probability = 1.0;
  expect_has(validate_error_of(s), {"1 would never trade"});
}

// ───────────────────────────── plausible ranges (config_ranges.hpp) ─────────────────────────────

// Every key of the range table set to each side of its bounds on a config where the key is in use
// (svcj, stochastic funding, gas and sqrt slippage): just outside is refused naming the key and the
// range (or, below a bound of 0, the key's own "> 0" / ">= 0" rule, checked first), at or just inside
// is accepted. A key added to the table without a setter here fails the test.
const std::string kEveryKey =
    "simulation: {paths: 100, steps_per_day: 48}\n"
    "model: {type: svcj, spot: 65000, v0: 0.36, kappa: 2, theta: 0.36, xi: 1, rho: -0.3, jump_intensity: 5,\n"
    "        jump_mean: -0.05, jump_stdev: 0.1, var_jump_mean: 0.05, jump_rho: -0.5}\n"
    "book: [{type: call, strike: 70000, expiry_days: 7, quantity: -2}]\n"
    "hedge: {implied_vol: 0.6, funding: {rate: 0.1, stochastic: true, kappa: 20, sigma: 0.5, rho: 0.3}}\n"
    "costs: {fee_bps: 5, fixed_per_trade: 1, failure_probability: 0.01,\n"
    "        gas: {units: 180000, price_gwei: 20, eth_price_usd: 3000, kappa: 10, sigma: 3, return_sensitivity: 40},\n"
    "        slippage: {model: sqrt, coefficient: 0.1, depth_usd: 5e6}}\n"
    "policies: [{name: hourly, type: time, every_hours: 1}]\n";

/// Steps per day that put `days` on one whole step, with the policy's interval one step.
void one_step_grid(RunSpec& s, double days) {
  s.simulation.steps_per_day = 1.0 / days;
  s.book[0].expiry_days = days;
  s.policies[0].set("every_hours", 24.0 * days);
}

/// book[0] made an everlasting call with funding period `days` (on one step of the grid, the horizon, when
/// shorter than a day; else a horizon of 7 days), for the ranges of the everlasting keys.
void everlasting_book(RunSpec& s, double days) {
  if (days < 1.0 && days > 0.0) one_step_grid(s, days);
  s.simulation.horizon_days = days < 1.0 && days > 0.0 ? days : 7.0;
  s.book[0].style = OptionStyle::everlasting;
  s.book[0].expiry_days = 0.0;
  s.book[0].funding_period_days = days;
}

/// A hedge option in the spec (hedge.options[0]), for the ranges of its keys and of costs.options.
HedgeOptionSpec& hedge_option(RunSpec& s) {
  if (s.hedge.options.empty()) s.hedge.options.push_back({OptionType::call, s.model.spot, s.book[0].expiry_days});
  return s.hedge.options[0];
}

/// hedge.options[0] made a rolling option of `tenor` days rolled `roll` days before its expiry, for the
/// ranges of the rolling keys; a tenor under two days is two steps of the grid, rolled after one.
HedgeOptionSpec& rolling_option(RunSpec& s, double tenor = 7.0, double roll = 2.0) {
  if (tenor < 2.0 && tenor > 0.0) {
    one_step_grid(s, tenor / 2.0);
    roll = tenor / 2.0;
  }
  HedgeOptionSpec& o = hedge_option(s);
  o = {.type = OptionType::call, .tenor_days = tenor, .roll_days = roll};
  return o;
}

/// A margin account on the perpetual hedge (hedge.margin), for the ranges of its keys.
MarginSpec& margin(RunSpec& s) {
  MarginSpec& m = s.hedge.margin;
  if (!m.given) m = {.collateral_usd = 1e5, .initial = 0.1, .maintenance = 0.05, .reserve_usd = 1e4, .given = true};
  return m;
}

/// An order flow on the spec's book (order_flow:), for the ranges of its keys.
OrderFlowSpec& order_flow(RunSpec& s) {
  OrderFlowSpec& f = s.order_flow;
  if (!f.given) {
    f = {.strikes = {s.model.spot}, .expiries_days = {s.book[0].expiry_days}, .trades_per_day = 10, .size_mean = 1,
         .given = true};
  }
  return f;
}

using Setter = std::function<void(RunSpec&, double)>;
const std::map<std::string, Setter, std::less<>>& range_setters() {
  static const std::map<std::string, Setter, std::less<>> setters = {
      {"simulation.steps_per_day", [](RunSpec& s, double x) { one_step_grid(s, 1.0 / x); }},
      {"simulation.horizon_days",
       [](RunSpec& s, double x) {
         s.simulation.horizon_days = x;
         if (x < 7.0 && x > 0.0) one_step_grid(s, x);
       }},
      {"model.spot",
       [](RunSpec& s, double x) {
         s.model.spot = x;
         s.book[0].strike = x;
       }},
      {"model.rate", [](RunSpec& s, double x) { s.model.rate = x; }},
      {"model.dividend", [](RunSpec& s, double x) { s.model.dividend = x; }},
      {"model.drift", [](RunSpec& s, double x) { s.model.drift = x; }},
      {"model.vol",
       [](RunSpec& s, double x) {
         s.model.type = ModelType::gbm;
         s.model.vol = x;
       }},
      {"model.v0", [](RunSpec& s, double x) { s.model.v0 = x; }},
      {"model.kappa", [](RunSpec& s, double x) { s.model.kappa = x; }},
      {"model.theta", [](RunSpec& s, double x) { s.model.theta = x; }},
      {"model.xi", [](RunSpec& s, double x) { s.model.xi = x; }},
      {"model.rho", [](RunSpec& s, double x) { s.model.rho = x; }},
      {"model.jump_intensity", [](RunSpec& s, double x) { s.model.jump_intensity = x; }},
      {"model.jump_mean", [](RunSpec& s, double x) { s.model.jump_mean = x; }},
      {"model.jump_stdev", [](RunSpec& s, double x) { s.model.jump_stdev = x; }},
      {"model.var_jump_mean", [](RunSpec& s, double x) { s.model.var_jump_mean = x; }},
      {"model.jump_rho", [](RunSpec& s, double x) { s.model.jump_rho = x; }},
      {"book[i].strike", [](RunSpec& s, double x) { s.book[0].strike = x * s.model.spot; }},
      {"book[i].expiry_days",
       [](RunSpec& s, double x) {
         if (x < 1.0 && x > 0.0) one_step_grid(s, x);
         s.book[0].expiry_days = x;
       }},
      {"book[i].quantity", [](RunSpec& s, double x) { s.book[0].quantity = x; }},
      {"book[i].funding_period_days", [](RunSpec& s, double x) { everlasting_book(s, x); }},
      {"book[i].tail_weight",
       [](RunSpec& s, double x) {
         everlasting_book(s, 1.0);
         s.book[0].tail_weight = x;
       }},
      {"hedge.implied_vol", [](RunSpec& s, double x) { s.hedge.implied_vol = x; }},
      {"hedge.options[i].strike", [](RunSpec& s, double x) { hedge_option(s).strike = x * s.model.spot; }},
      {"hedge.options[i].max_position", [](RunSpec& s, double x) { hedge_option(s).max_position = x; }},
      {"hedge.options[i].tenor_days", [](RunSpec& s, double x) { rolling_option(s, x); }},
      {"hedge.options[i].moneyness", [](RunSpec& s, double x) { rolling_option(s).moneyness = x; }},
      {"hedge.options[i].strike_step", [](RunSpec& s, double x) { rolling_option(s).strike_step = x * s.model.spot; }},
      {"hedge.options[i].expiry_days",
       [](RunSpec& s, double x) {
         if (x < 1.0 && x > 0.0) one_step_grid(s, x);
         hedge_option(s).expiry_days = x;
       }},
      {"costs.options.fee_fraction",
       [](RunSpec& s, double x) {
         hedge_option(s);
         s.costs.options.fee_fraction = x;
         s.costs.options.fee_cap = 0.125;
       }},
      {"costs.options.fee_cap",
       [](RunSpec& s, double x) {
         hedge_option(s);
         s.costs.options.fee_cap = x;
       }},
      {"costs.options.half_spread_vol",
       [](RunSpec& s, double x) {
         hedge_option(s);
         s.costs.options.half_spread_vol = x;
       }},
      {"hedge.funding.rate", [](RunSpec& s, double x) { s.hedge.funding.rate = x; }},
      {"hedge.funding.kappa", [](RunSpec& s, double x) { s.hedge.funding.kappa = x; }},
      {"hedge.funding.sigma", [](RunSpec& s, double x) { s.hedge.funding.sigma = x; }},
      {"hedge.funding.rho", [](RunSpec& s, double x) { s.hedge.funding.rho = x; }},
      {"hedge.min_trade", [](RunSpec& s, double x) { s.hedge.min_trade = x; }},
      {"hedge.lot_size", [](RunSpec& s, double x) { s.hedge.lot_size = x; }},
      {"hedge.margin.collateral_usd",  // 0 with coins beside it (the account needs collateral)
       [](RunSpec& s, double x) {
         margin(s).collateral_usd = x;
         s.hedge.margin.collateral_coin = x == 0.0 ? 1.0 : 0.0;
       }},
      {"hedge.margin.collateral_coin", [](RunSpec& s, double x) { margin(s).collateral_coin = x; }},
      {"order_flow.strikes[i]", [](RunSpec& s, double x) { order_flow(s).strikes[0] = x * s.model.spot; }},
      {"order_flow.expiries_days[i]",
       [](RunSpec& s, double x) {
         if (x > 0.0 && x < 7.0) one_step_grid(s, x);
         order_flow(s).expiries_days[0] = x;
       }},
      {"order_flow.trades_per_day", [](RunSpec& s, double x) { order_flow(s).trades_per_day = x; }},
      {"order_flow.size_mean", [](RunSpec& s, double x) { order_flow(s).size_mean = x; }},
      {"order_flow.call_share", [](RunSpec& s, double x) { order_flow(s).call_share = x; }},
      {"order_flow.buy_share", [](RunSpec& s, double x) { order_flow(s).buy_share = x; }},
      {"order_flow.momentum", [](RunSpec& s, double x) { order_flow(s).momentum = x; }},
      {"order_flow.lookback_hours", [](RunSpec& s, double x) { order_flow(s).lookback_hours = x; }},
      {"order_flow.moneyness_width", [](RunSpec& s, double x) { order_flow(s).moneyness_width = x; }},
      {"order_flow.half_spread_vol", [](RunSpec& s, double x) { order_flow(s).half_spread_vol = x; }},
      {"order_flow.skew_vol",
       [](RunSpec& s, double x) {
         order_flow(s).vega_limit_usd = 1000.0;
         order_flow(s).skew_vol = x;
       }},
      {"order_flow.vega_limit_usd", [](RunSpec& s, double x) { order_flow(s).vega_limit_usd = x; }},
      {"order_flow.elasticity", [](RunSpec& s, double x) { order_flow(s).elasticity = x; }},
      {"hedge.margin.initial",  // maintenance follows it down: at most initial
       [](RunSpec& s, double x) {
         margin(s).initial = x;
         s.hedge.margin.maintenance = std::min(s.hedge.margin.maintenance, x);
       }},
      {"hedge.margin.maintenance",  // initial follows it up, within its own range
       [](RunSpec& s, double x) {
         margin(s).maintenance = x;
         s.hedge.margin.initial = std::max(s.hedge.margin.initial, std::min(x, 1.0));
       }},
      {"hedge.margin.liquidation_fraction", [](RunSpec& s, double x) { margin(s).liquidation_fraction = x; }},
      {"hedge.margin.liquidation_penalty", [](RunSpec& s, double x) { margin(s).liquidation_penalty = x; }},
      {"hedge.margin.reserve_usd", [](RunSpec& s, double x) { margin(s).reserve_usd = x; }},
      {"hedge.margin.top_up_delay_hours", [](RunSpec& s, double x) { margin(s).top_up_delay_hours = x; }},
      {"hedge.margin.impact_depth_usd",  // with a half-life when it has an impact
       [](RunSpec& s, double x) {
         margin(s).impact_depth_usd = x;
         s.hedge.margin.impact_half_life_hours = x > 0.0 ? 1.0 : 0.0;
       }},
      {"hedge.margin.impact_half_life_hours",  // with a depth when it is given
       [](RunSpec& s, double x) {
         margin(s).impact_half_life_hours = x;
         s.hedge.margin.impact_depth_usd = x > 0.0 ? 1e7 : 0.0;
       }},
      {"costs.fee_bps", [](RunSpec& s, double x) { s.costs.fee_bps = x; }},
      {"costs.fixed_per_trade", [](RunSpec& s, double x) { s.costs.fixed_per_trade = x; }},
      {"costs.failure_probability", [](RunSpec& s, double x) { s.costs.failure_probability = x; }},
      {"costs.gas.units", [](RunSpec& s, double x) { s.costs.gas.units = x; }},
      {"costs.gas.price_gwei", [](RunSpec& s, double x) { s.costs.gas.price_gwei = x; }},
      {"costs.gas.eth_price_usd", [](RunSpec& s, double x) { s.costs.gas.eth_price_usd = x; }},
      {"costs.gas.kappa",
       [](RunSpec& s, double x) {
         s.costs.gas.kappa = x;
         if (x == 0.0) s.costs.gas.sigma = s.costs.gas.return_sensitivity = 0.0;  // they need reversion
       }},
      {"costs.gas.sigma", [](RunSpec& s, double x) { s.costs.gas.sigma = x; }},
      {"costs.gas.return_sensitivity", [](RunSpec& s, double x) { s.costs.gas.return_sensitivity = x; }},
      {"costs.slippage.coefficient", [](RunSpec& s, double x) { s.costs.slippage.coefficient = x; }},
      {"costs.slippage.depth_usd", [](RunSpec& s, double x) { s.costs.slippage.depth_usd = x; }},
      {"costs.slippage.max_fill_fraction",
       [](RunSpec& s, double x) {
         s.costs.slippage = {SlippageModel::amm, 0.0, 5e6, x};
       }},
  };
  return setters;
}

/// As the messages write numbers: whole numbers without an exponent, else the shortest round trip.
std::string number_text(double x) {
  if (x == std::trunc(x) && std::fabs(x) < 1e15) return std::to_string(static_cast<long long>(x));
  std::array<char, 64> buf{};
  return std::string(buf.data(), std::to_chars(buf.data(), buf.data() + buf.size(), x).ptr);
}

/// "(0, 1000] per year" as the table states it.
std::string stated_range(const KeyRange& k) {
  std::string out = (k.lo_open ? "(" : "[") + number_text(k.lo) + ", " + number_text(k.hi) + (k.hi_open ? ")" : "]");
  return k.unit.empty() ? out : out + " " + std::string(k.unit);
}

/// The key path a message names: book[0].strike for book[i].strike.
std::string message_key(std::string_view table_key) {
  std::string k(table_key);
  if (const auto at = k.find("[i]"); at != std::string::npos) k.replace(at, 3, "[0]");
  return k;
}

TEST(KeyRanges, EveryKeyIsRefusedJustOutsideItsRangeAndAcceptedAtIt) {
  const RunSpec base = parse_config(kEveryKey, "every.yaml");
  ASSERT_NO_THROW(validate_for_run(base));
  for (const KeyRange& k : kKeyRanges) {
    SCOPED_TRACE(std::string(k.key));
    const auto setter = range_setters().find(k.key);
    ASSERT_NE(setter, range_setters().end()) << "no setter for " << k.key << ": add one to range_setters()";
    const double span = k.hi - k.lo;
    const double nudge = 1e-9;  // relative: beyond a value's rounding, also times model.spot
    const double below = k.lo == 0.0 ? -nudge : k.lo - std::fabs(k.lo) * nudge;
    const double above = k.hi + std::fabs(k.hi) * nudge;
    const double lowest = k.lo_open ? k.lo + span * 1e-6 : k.lo;
    const double highest = k.hi_open ? k.hi - span * 1e-6 : k.hi;
    for (const double inside : {lowest, highest}) {
      RunSpec s = base;
      setter->second(s, inside);
      EXPECT_NO_THROW(validate_for_run(s)) << k.key << " = " << number_text(inside);
    }
    const std::string key = message_key(k.key) + " = ";
    for (const double outside : {below, above}) {
      RunSpec s = base;
      setter->second(s, outside);
      const std::string msg = validate_error_of(s);
      EXPECT_EQ(msg.rfind(key, 0), 0u) << "names another key: " << msg;
      const bool own_rule = (outside == below && k.lo == 0.0 && msg.find("must be >") != std::string::npos) ||
                            (outside == above && k.hi_open && msg.find("< " + number_text(k.hi)) != std::string::npos);
      EXPECT_TRUE(msg.find("must be in " + stated_range(k)) != std::string::npos || own_rule) << msg;
    }
    // Far outside, as a hostile user would write it.
    RunSpec s = base;
    setter->second(s, 1e308);
    EXPECT_EQ(validate_error_of(s).rfind(key, 0), 0u) << validate_error_of(s);
  }
}

// A range is found by its key's path, so one whose key has no row in the schema would never be checked:
// the key reference prints every range beside its key.
TEST(KeyRanges, EveryRangeIsDocumentedBesideItsKey) {
  const std::string doc = config_reference("keys");
  for (const KeyRange& k : kKeyRanges) {
    const std::size_t dot = k.key.rfind('.');
    const std::size_t section = doc.find("## `" + std::string(k.key.substr(0, dot)) + "`");
    std::string name(k.key.substr(dot + 1));
    if (name.ends_with("[i]")) name.resize(name.size() - 3);  // a list's elements: the list's row
    const std::size_t row = doc.find("| `" + name + "` |", section);
    ASSERT_NE(row, std::string::npos) << k.key;
    const std::string line = doc.substr(row, doc.find('\n', row) - row);
    EXPECT_NE(line.find("(" + std::string(k.reason) + ")"), std::string::npos) << k.key << ": " << line;
  }
}

// Every policy key says what it means in the key reference (PolicyKey::means in its header), and no
// text breaks a table: every row has its header's number of cells (a '|' inside a text would add one).
TEST(ConfigReference, EveryPolicyKeyHasAMeaningAndEveryRowItsCells) {
  for (const PolicyInfo& info : registered_policies())
    for (const PolicyKey& k : info.keys) EXPECT_FALSE(k.meaning.empty()) << info.name << "." << k.name;
  std::istringstream doc(config_reference("keys"));
  std::size_t header_cells = 0;
  for (std::string line; std::getline(doc, line);) {
    if (line.empty() || line[0] != '|') {
      header_cells = 0;
      continue;
    }
    const auto cells = static_cast<std::size_t>(std::count(line.begin(), line.end(), '|'));
    if (header_cells == 0) header_cells = cells;
    EXPECT_EQ(cells, header_cells) << line;
  }
}

TEST(ConfigReference, TopicsAndAnUnknownOne) {
  EXPECT_NE(config_reference("models").find("| `jump_rho` |"), std::string::npos);
  EXPECT_NE(config_reference("policies").find("| `delta_band` | `width` |"), std::string::npos);
  EXPECT_NE(config_reference("costs").find("## `costs.slippage`"), std::string::npos);
  EXPECT_THROW(config_reference("modles"), InputError);
}

TEST(KeyRanges, MessagesNameTheKeyValueLineRangeAndReason) {
  EXPECT_EQ(error_of(replace_line(kSvcj, 6, "  kappa: 1e308")),
            "test.yaml: model.kappa = 1e+308 at line 6: must be in (0, 1000] per year (a half-life of 6 hours; "
            "faster reversion is no stochastic volatility)");
  expect_has(error_of(replace_line(kGbm, 7, "  spot: 1e308")),
             {"test.yaml: model.spot = 1e+308 at line 7: must be in (0, 1000000000] USD ("});
  expect_has(error_of(replace_line(kGbm, 10, "  - {type: call, strike: 1e6, expiry_days: 30}")),
             {"test.yaml: book[0].strike = 1000000 at line 10: must be in [0.001, 1000] x model.spot = [0.1, 100000] ("});
  expect_has(error_of(insert_after(kGbm, 8, "  rate: 800")), {"model.rate = 800 at line 9: must be in [-1, 1] per year"});
  // After the flags, as the CLI re-validates: the same rule, no line.
  RunSpec s = parse_config(kGbm, "test.yaml");
  s.model.vol = 11.0;
  expect_has(validate_error_of(s), {"model.vol = 11: must be in (0, 10] per square-root year ("});
}

// ───────────────────────────── grid helpers and enum names ─────────────────────────────

TEST(Grid, StepsAndDt) {
  SimulationSpec sim;
  sim.steps_per_day = 24;
  std::vector<OptionSpec> book(2);
  book[0].expiry_days = 7;
  book[1].expiry_days = 30;
  TimeGrid g = make_grid(sim, book);
  EXPECT_EQ(g.steps, 720u);
  EXPECT_DOUBLE_EQ(g.dt_days, 1.0 / 24.0);
  EXPECT_DOUBLE_EQ(g.dt_years, 1.0 / (24.0 * 365.0));
  EXPECT_EQ(expiry_step(book[0], 24), 168u);
  sim.horizon_days = 60;
  EXPECT_EQ(make_grid(sim, book).steps, 1440u);
  // Decimal round-off (7.1 × 10 = 70.99999999999999) is still a whole number of steps.
  EXPECT_EQ(whole_steps(7.1, 10), std::optional<std::uint32_t>(71));
  EXPECT_EQ(whole_steps(7.3, 24), std::nullopt);
  book[0].expiry_days = 7.3;
  EXPECT_THROW(expiry_step(book[0], 24), InputError);
}

template <class E>
void expect_round_trip(std::initializer_list<E> values) {
  for (E e : values) EXPECT_EQ(enum_from_string<E>(to_string(e)), e) << to_string(e);
}

TEST(Enums, NamesRoundTrip) {
  expect_round_trip({ModelType::gbm, ModelType::heston, ModelType::bates, ModelType::svcj});
  expect_round_trip({VarianceScheme::qe, VarianceScheme::euler});
  expect_round_trip({Measure::physical, Measure::risk_neutral});
  expect_round_trip({Precision::float32, Precision::float64});
  expect_round_trip({BackendKind::automatic, BackendKind::cpu, BackendKind::cuda});
  expect_round_trip({OptionType::call, OptionType::put});
  expect_round_trip({Settlement::linear, Settlement::inverse});
  expect_round_trip({HedgeInstrument::spot, HedgeInstrument::perpetual});
  expect_round_trip({DeltaSource::implied, DeltaSource::instantaneous});
  expect_round_trip({MarkSource::black_scholes, MarkSource::model});
  for (PolicyType t : kPolicyTypes) EXPECT_EQ(enum_from_string<PolicyType>(to_string(t)), t) << to_string(t);
  expect_round_trip({RebalanceTo::center, RebalanceTo::edge});
  expect_round_trip({RiskMeasure::stdev, RiskMeasure::variance, RiskMeasure::var, RiskMeasure::es, RiskMeasure::entropic});
  EXPECT_EQ(enum_names<RiskMeasure>(), "std, variance, var, es, entropic");
  expect_round_trip({SlippageModel::none, SlippageModel::linear, SlippageModel::sqrt, SlippageModel::amm});
  EXPECT_EQ(enum_names<SlippageModel>(), "none, linear, sqrt, amm");
  EXPECT_STREQ(to_string(SlippageModel::amm), "amm");
  EXPECT_EQ(parse_enum<SlippageModel>("sqrt", "--slippage"), SlippageModel::sqrt);
  // The built-in policies keep their spellings and order; newly registered ones follow (policy.hpp).
  EXPECT_TRUE(enum_names<PolicyType>().starts_with(
      "none, every_step, time, delta_band, whalley_wilmott, move, hybrid, state_band"))
      << enum_names<PolicyType>();
  EXPECT_EQ(enum_names<HedgeInstrument>(), "spot, perpetual");
  EXPECT_EQ(parse_enum<DeltaSource>("instantaneous", "--delta"), DeltaSource::instantaneous);
  EXPECT_EQ(parse_enum<RebalanceTo>("edge", "rebalance_to"), RebalanceTo::edge);
  EXPECT_STREQ(to_string(PolicyType::whalley_wilmott), "whalley_wilmott");
  EXPECT_STREQ(to_string(BackendKind::automatic), "auto");
  EXPECT_STREQ(to_string(Measure::risk_neutral), "risk_neutral");
  EXPECT_EQ(enum_names<BackendKind>(), "auto, cpu, cuda");
  EXPECT_EQ(enum_from_string<BackendKind>("automatic"), std::nullopt);
  EXPECT_EQ(parse_enum<Precision>("float64", "--precision"), Precision::float64);
  try {
    parse_enum<BackendKind>("gpu", "--backend");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "--backend = 'gpu': expected one of auto, cpu, cuda");
  }
}

}  // namespace
}  // namespace hedgesim
