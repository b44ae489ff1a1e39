// `hedgesim calibrate` as a user meets it: --json is the whole stdout, the table carries the model:
// block, malformed chains and bad flags exit 2 with one message naming the line/flag, and --out
// leaves either the complete HDF5 file or nothing. The binary comes from HEDGESIM_BIN, the excerpt
// from HEDGESIM_SOURCE_DIR (both set by CTest).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_run.hpp"
#include "csv_rows.hpp"

namespace {

using Result = hedgesim::test::CliResult;

std::filesystem::path temp_dir() {
  static const std::filesystem::path dir = hedgesim::test::make_temp_dir("hedgesim_cli_calibrate_");
  return dir;
}

Result run(const std::string& args) { return hedgesim::test::run_hedgesim(args, temp_dir() / "stderr.txt"); }

std::string excerpt() {
  const char* root = std::getenv("HEDGESIM_SOURCE_DIR");
  if (!root) throw std::runtime_error("HEDGESIM_SOURCE_DIR is not set (CTest sets it to the checkout)");
  return (std::filesystem::path(root) / "tests/data/deribit_btc_20260302T093957Z_excerpt.csv").string();
}

/// The excerpt's first `lines` lines with line `bad_line` (1-based) replaced by `replacement`.
std::string edited_excerpt(const std::string& name, int lines, int bad_line, const std::string& replacement) {
  std::ifstream in(excerpt());
  std::string text, line;
  for (int i = 1; i <= lines && std::getline(in, line); ++i) text += (i == bad_line ? replacement : line) + "\n";
  const auto path = temp_dir() / name;
  std::ofstream(path) << text;
  return path.string();
}

/// Line `n` (1-based) of the excerpt with the fields under header columns `column` set to `value`.
std::string excerpt_row(int n, std::initializer_list<std::pair<std::string, std::string>> edits) {
  std::ifstream in(excerpt());
  std::string header, line;
  std::getline(in, header);
  for (int i = 2; i <= n; ++i) std::getline(in, line);
  return hedgesim::test::with_fields(header, line, edits);
}

/// Line 9 of the excerpt, BTC-13MAR26-61000-P, is one of the options the default selection fits.
constexpr int kFittedLine = 9;
constexpr int kExcerptLines = 381;

TEST(CliCalibrate, JsonIsTheWholeStdout) {
  const Result r = run("calibrate " + excerpt() + " --model heston --starts 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["model"], "heston");
  EXPECT_EQ(j["currency"], "BTC");
  EXPECT_EQ(j["rows"], 380);
  EXPECT_EQ(j["dropped"]["other_currency"], 3);
  EXPECT_EQ(j["expiries"].size(), 4u);
  EXPECT_EQ(j["option_fits"].size(), j["options"].get<std::size_t>());
  EXPECT_GT(j["rmse_vol_points"].get<double>(), 0.0);
  EXPECT_LT(j["rmse_vol_points"].get<double>(), 3.0);
  EXPECT_TRUE(j["parameters"].contains("xi"));
  EXPECT_NE(j["model_yaml"].get<std::string>().find("type: heston"), std::string::npos);
}

// The model: block drives a `price` run as it stands.
TEST(CliCalibrate, ModelBlockRunsInPrice) {
  const Result fit = run("calibrate " + excerpt() + " --model bates --starts 2 --json");
  ASSERT_EQ(fit.code, 0) << fit.err;
  const std::string yaml = "simulation: {paths: 2000, steps_per_day: 4, measure: risk_neutral}\n" +
                           nlohmann::json::parse(fit.out)["model_yaml"].get<std::string>() +
                           "book:\n  - {type: put, strike: 60000, expiry_days: 25, settlement: inverse}\n";
  const auto cfg = temp_dir() / "calibrated.yaml";
  std::ofstream(cfg) << yaml;
  const Result price = run("price " + cfg.string() + " --json --backend cpu --threads 1");
  ASSERT_EQ(price.code, 0) << price.err << "\n" << yaml;
  const auto j = nlohmann::json::parse(price.out);
  EXPECT_EQ(j["model"], "bates");
  EXPECT_GT(j["options"][0]["analytic_price"].get<double>(), 0.0);
}

TEST(CliCalibrate, TablePrintsErrorsDropsAndModelBlock) {
  const Result r = run("calibrate " + excerpt() + " --model gbm --weights vega --space price");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* s : {"parameter", "RMSE vp", "in_the_money", "model:\n  type: gbm", "vol: "})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " missing from:\n" << r.out;
}

TEST(CliCalibrate, MalformedChainsNameTheLineAndExit2) {
  struct Case {
    std::string file, expected;
  };
  const Case cases[] = {
      {edited_excerpt("nonnumeric.csv", 10, 6, "2026-03-02T09:39:57+00:00,BTC-X,abc,BTC-X,call,1,x,0.1,1,1,1,1,1,X,1,1,1,1,1,1,BTC,1,1"),
       "nonnumeric.csv line 6, column underlying = 'abc'"},
      {edited_excerpt("missing.csv", 10, 1, "timestamp,instrument_name"), "missing.csv line 1: missing column 'underlying'"},
      {edited_excerpt("empty.csv", 0, 0, ""), "empty.csv line 1: the file is empty"},
      {edited_excerpt("short.csv", 10, 4, "a,b,c"), "short.csv line 4: 3 fields"},
  };
  for (const Case& c : cases) {
    const Result r = run("calibrate " + c.file);
    EXPECT_EQ(r.code, 2) << c.file;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

// Rows that cannot be quotes (chain.hpp): exit 2 naming file, line, column, value and the rule.
TEST(CliCalibrate, BrokenRowsExit2NamingTheLineColumnAndRule) {
  struct Case {
    std::string name, column, value, rule;
  };
  const Case cases[] = {
      {"ttm_contradicts_expiry.csv", "time_to_maturity", "0.5",
       "contradicts expiry_datetime - timestamp = 0.02992629351 years (ACT/365.25: 2026-03-02T09:39:58Z to "
       "2026-03-13T08:00:00Z); they must agree within 60 s"},
      {"timestamp_not_a_date.csv", "timestamp", "snapshot-1", "expected a UTC time"},
      {"expiry_not_a_date.csv", "expiry_datetime", "13MAR26", "expected a UTC time"},
      {"underlying_zero.csv", "underlying", "0", "must be > 0 (USD: the expiry's forward)"},
      {"underlying_negative.csv", "underlying", "-66409.98", "must be > 0 (USD: the expiry's forward)"},
      {"iv_zero.csv", "implied_volatility", "0", "must be > 0 (the mark's implied vol, decimal; empty if none)"},
      {"iv_negative.csv", "implied_volatility", "-0.6389", "must be > 0 (the mark's implied vol"},
  };
  for (const Case& c : cases) {
    const std::string file = edited_excerpt(c.name, kExcerptLines, kFittedLine, excerpt_row(kFittedLine, {{c.column, c.value}}));
    const Result r = run("calibrate " + file + " --json");
    EXPECT_EQ(r.code, 2) << c.name << ": " << r.err;
    const std::string want =
        file + " line " + std::to_string(kFittedLine) + ", column " + c.column + " = '" + c.value + "': " + c.rule;
    EXPECT_NE(r.err.find(want), std::string::npos) << "expected '" << want << "' in: " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

// A mark IV of 1e200 (which once crashed the fit with a segfault) or 50 (5000%) is dropped as
// implausible_iv and counted; the rest of the chain is fitted.
TEST(CliCalibrate, ImplausibleIvIsDroppedAndCounted) {
  for (const char* iv : {"1e200", "50"}) {
    const std::string file = edited_excerpt(std::string("iv_") + iv + ".csv", kExcerptLines, kFittedLine,
                                            excerpt_row(kFittedLine, {{"implied_volatility", iv}}));
    const Result r = run("calibrate " + file + " --model heston --starts 1 --json");
    ASSERT_EQ(r.code, 0) << iv << ": " << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["dropped"]["implausible_iv"], 1) << iv;
    EXPECT_EQ(j["options"], 131) << iv;  // 132 without the row
    for (const auto& o : j["option_fits"]) EXPECT_NE(o["line"], kFittedLine) << iv;
    EXPECT_TRUE(std::isfinite(j["rmse_vol_points"].get<double>())) << iv;
  }
}

// A row every rule accepts can still break the fit: a mark of 1e200 coin in price space overflows the
// objective at every start. That is exit 3 with what was tried and the row, and no --out file.
TEST(CliCalibrate, NoFiniteStartExits3NamingTheRowAndWritesNothing) {
  const std::string file = edited_excerpt(
      "mark_1e200.csv", kExcerptLines, kFittedLine,
      excerpt_row(kFittedLine, {{"bid_price", "1e200"}, {"ask_price", "1e200"}, {"mark_price", "1e200"}}));
  const auto out = temp_dir() / "no_fit.h5";
  const Result r = run("calibrate " + file + " --model heston --starts 2 --space price --out " + out.string());
  EXPECT_EQ(r.code, 3) << r.err;
  for (const std::string want :
       {"no start reached a finite objective: 2 Levenberg-Marquardt start(s) of heston in price space",
        "ended at objective inf, inf", "line 9 BTC-13MAR26-61000-P (mark 1e+200 coin"})
    EXPECT_NE(r.err.find(want), std::string::npos) << "expected '" << want << "' in: " << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_FALSE(std::filesystem::exists(out));
  for (const auto& entry : std::filesystem::directory_iterator(temp_dir()))
    EXPECT_EQ(entry.path().filename().string().find("no_fit.h5.tmp-"), std::string::npos) << entry.path();
}

TEST(CliCalibrate, BadFlagsExit2WithTheFlag) {
  const std::pair<std::string, std::string> cases[] = {
      {"--model hestn", "--model = 'hestn'"},
      {"--weights equal", "--weights = 'equal': expected one of none, vega, spread"},
      {"--space iv", "--space = 'iv': expected one of vol, price"},
      {"--starts 0", "--starts"},
      {"--min-days 30 --max-days 7", "--min-days"},
      {"--min-moneyness 2 --max-moneyness 1", "moneyness window"},
      {"--currency SOL", "no SOL option left"},
      {"--min-days abc", "--min-days"},
      {"--bogus", "--bogus"},
  };
  for (const auto& [flags, expected] : cases) {
    const Result r = run("calibrate " + excerpt() + " " + flags);
    EXPECT_EQ(r.code, 2) << flags;
    EXPECT_NE(r.err.find(expected), std::string::npos) << flags << ": " << r.err;
  }
}

TEST(CliCalibrate, OutWritesTheFileOrNothing) {
  const auto bad = temp_dir() / "no_such_dir" / "fit.h5";
  Result r = run("calibrate " + excerpt() + " --model heston --starts 1 --out " + bad.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("cannot be written"), std::string::npos) << r.err;
  const auto good = temp_dir() / "fit.h5";
  r = run("calibrate " + excerpt() + " --model heston --starts 1 --out " + good.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GT(std::filesystem::file_size(good), 1000u);
  for (const auto& entry : std::filesystem::directory_iterator(temp_dir()))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
}

TEST(CliCalibrate, HelpListsTheFlags) {
  const Result r = run("calibrate --help");
  EXPECT_EQ(r.code, 0);
  for (const char* s : {"--model", "--currency", "--min-days", "--max-days", "--min-moneyness", "--weights", "--space",
                        "--starts", "--json", "--out"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
}

// The chain file is capped (issue 11): a device is refused before it is read, a file over 256 MiB by
// its size; --out replaces only a regular file, so /dev/null is refused before the fit.
TEST(CliCalibrate, DeviceOrOversizeChainAndDevNullOutAreExitTwo) {
  Result r = hedgesim::test::run_hedgesim("calibrate /dev/zero", temp_dir() / "stderr.txt", 5);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("the chain file '/dev/zero' is a character device, not a regular file"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("at most 256 MiB"), std::string::npos) << r.err;
  const auto big = temp_dir() / "big.csv";
  std::ofstream(big).close();
  std::filesystem::resize_file(big, (std::uintmax_t{256} << 20) + 1);  // sparse: no disk needed
  r = hedgesim::test::run_hedgesim("calibrate " + big.string(), temp_dir() / "stderr.txt", 5);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("'" + big.string() + "' is 268435457 bytes, over the 256 MiB cap for a chain file"),
            std::string::npos)
      << r.err;
  std::filesystem::remove(big);
  r = run("calibrate " + excerpt() + " --model gbm --starts 1 --out /dev/null");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("'/dev/null' (output.file or --out) is a character device"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
}

}  // namespace
