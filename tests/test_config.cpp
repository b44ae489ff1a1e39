// Config loading and validation: every model type parses into the expected values, and each class of
// bad input gives one InputError whose message names the key, the value and the line.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <sstream>
#include <string>

#include "hedgesim/config.hpp"
#include "hedgesim/engine/grid.hpp"
#include "hedgesim/errors.hpp"
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

std::filesystem::path configs_dir() { return std::filesystem::path(__FILE__).parent_path().parent_path() / "configs"; }

/// `text` with 1-based line `n` replaced by `line` (no newline).
std::string replace_line(const std::string& text, int n, const std::string& line) {
  std::istringstream in(text);
  std::string out, l;
  for (int i = 1; std::getline(in, l); ++i) out += (i == n ? line : l) + "\n";
  return out;
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
  expect_has(error_of(replace_line(kGbm, 4, "  threads: -2")), {"simulation.threads = '-2' at line 4", ">= 0"});
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
  expect_has(error_of(kGbm + "hedge: {instrument: perpetual}\n"),
             {"unknown section 'hedge' at line 11", "valid sections: simulation, model, book"});
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
  expect_has(error_of(insert_after(kGbm, 3, "  horizon_days: 20")),
             {"simulation.horizon_days = 20 at line 4", "last expiry", "book[0].expiry_days = 30"});
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
