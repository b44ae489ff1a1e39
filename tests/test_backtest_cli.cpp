// `hedgesim backtest` as a user meets it: exit codes (0, and 2 for bad config, flags and data files
// with the file and line), --json as the whole stdout, results independent of --threads, and the
// HDF5 file written whole or not at all. HEDGESIM_BIN is set by CTest.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_run.hpp"

namespace {

using Result = hedgesim::test::CliResult;

std::filesystem::path temp_dir() {
  static const std::filesystem::path dir = hedgesim::test::make_temp_dir("hedgesim_backtest_cli_");
  return dir;
}

Result run(const std::string& args) { return hedgesim::test::run_hedgesim(args, temp_dir() / "stderr.txt"); }

/// tests/data of the checkout: from HEDGESIM_SOURCE_DIR, else the first folder at or above the
/// working directory that has it (CTest runs this in the build tree inside the checkout).
std::string data(const std::string& name) {
  if (const char* root = std::getenv("HEDGESIM_SOURCE_DIR"))
    return (std::filesystem::path(root) / "tests" / "data" / name).string();
  for (auto dir = std::filesystem::current_path(); !dir.empty(); dir = dir.parent_path()) {
    if (std::filesystem::exists(dir / "tests" / "data" / "README.md")) return (dir / "tests" / "data" / name).string();
    if (dir == dir.parent_path()) break;
  }
  throw std::runtime_error("tests/data not found: set HEDGESIM_SOURCE_DIR to the source checkout");
}

std::string write_file(const std::string& name, const std::string& text) {
  const auto path = temp_dir() / name;
  std::ofstream(path) << text;
  return path.string();
}

const std::string kPrices = "backtest_okx_btc_perp_1h_2024-06-01_07.csv";

const char* kConfig = R"(simulation: {paths: 2000, steps_per_day: 24, seed: 5}
model: {type: gbm, spot: 60000, vol: 0.5}
book: [{type: call, strike: 63000, expiry_days: 2, quantity: -10}]
hedge: {instrument: perpetual, delta: implied, implied_vol: 0.5}
costs: {fee_bps: 5}
policies:
  - {name: none, type: none}
  - {name: hourly, type: time, every_hours: 1}
  - {name: band, type: delta_band, width: 0.5}
backtest: {stride_hours: 6}
)";

std::string config() { return write_file("bt.yaml", kConfig); }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(BacktestCli, JsonIsTheWholeStdoutWithWindowsAndModelCheck) {
  const Result r = run("backtest " + config() + " --prices " + data(kPrices) +
                       " --funding " + data("backtest_binance_btc_funding_8h_2024-06-01_08.csv") + " --json --threads 2");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["command"], "backtest");
  EXPECT_EQ(j["windows"], 20);  // starts 0, 6, …, 114: i + 48 <= 167
  EXPECT_EQ(j["per_window"]["start_utc"][0], "2024-06-01T01:00:00Z");
  EXPECT_EQ(j["data"]["prices"]["rows"], 168);
  ASSERT_EQ(j["policies"].size(), 3u);
  for (const auto& p : j["policies"]) {
    EXPECT_EQ(p["per_window"]["pnl"].size(), 20u);
    const double pv = p["model_check"]["ks_p_value"];
    EXPECT_GE(pv, 0.0);
    EXPECT_LE(pv, 1.0);
    EXPECT_EQ(p["model_check"]["quantiles"].size(), 9u);
  }
  EXPECT_EQ(j["model_check"]["paths"], 2000);
}

TEST(BacktestCli, ResultsDoNotDependOnThreads) {
  const std::string args = "backtest " + config() + " --prices " + data(kPrices) + " --json --no-model-check";
  const Result a = run(args + " --threads 1");
  const Result b = run(args + " --threads 2");
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
  for (auto* j : {&ja, &jb})
    for (const char* k : {"elapsed_s", "path_steps_per_s", "threads"}) j->erase(k);
  EXPECT_EQ(ja, jb);
}

TEST(BacktestCli, TableAndHdf5File) {
  const std::string out = (temp_dir() / "bt.h5").string();
  const Result r = run("backtest " + config() + " --prices " + data(kPrices) + " --out " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "hedgesim backtest: 20 windows of 48 hours every 6 hours")) << r.out;
  EXPECT_TRUE(contains(r.out, "model check")) << r.out;
  EXPECT_TRUE(std::filesystem::exists(out));
  for (const auto& e : std::filesystem::directory_iterator(temp_dir()))
    EXPECT_FALSE(contains(e.path().filename().string(), ".tmp-")) << e.path();
}

TEST(BacktestCli, BadDataExitsTwoWithFileAndLine) {
  std::ifstream in(data(kPrices));
  std::stringstream text;
  text << in.rdbuf();
  std::string lines = text.str();
  // Duplicate the 4th data row (line 5) after itself, so line 6 repeats its timestamp.
  std::size_t at = 0;
  for (int i = 0; i < 5; ++i) at = lines.find('\n', at) + 1;
  const std::size_t prev = lines.rfind('\n', at - 2) + 1;
  lines.insert(at, lines.substr(prev, at - prev));
  const std::string dup = write_file("dup.csv", lines);
  Result r = run("backtest " + config() + " --prices " + dup + " --no-model-check");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "dup.csv line 6: duplicate timestamp")) << r.err;
  r = run("backtest " + config() + " --prices " + dup + " --no-model-check --json --on-bad-data skip");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["data"]["prices"]["duplicates"], 1);

  r = run("backtest " + config() + " --prices " + write_file("bad.csv", "ts,close\n1717200000000,abc\n"));
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "bad.csv line 2: close = 'abc' is not a finite number")) << r.err;
  // A price beyond the plausible range (issue 11, defect 6) is a bad row like the others.
  r = run("backtest " + config() + " --prices " + write_file("absurd.csv", "ts,close\n1717200000000,1e308\n"));
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "absurd.csv line 2: close = 1e308 at 2024-06-01T01:00:00Z is not plausible: must be "
                              "<= 1000000000 USD")) << r.err;
  r = run("backtest " + config() + " --prices " + write_file("empty.csv", ""));
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "empty")) << r.err;
  r = run("backtest " + config() + " --prices /nonexistent/prices.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "cannot open the prices file")) << r.err;
}

TEST(BacktestCli, BadConfigAndFlagsExitTwo) {
  Result r = run("backtest " + config());
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "--prices FILE")) << r.err;
  std::string text = kConfig;
  text.replace(text.find("stride_hours"), 12, "stride_hour");
  r = run("backtest " + write_file("typo.yaml", text) + " --prices " + data(kPrices));
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "did you mean 'stride_hours'?")) << r.err;
  r = run("backtest " + config() + " --prices " + data(kPrices) + " --on-bad-data ignore");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "--on-bad-data = 'ignore'")) << r.err;
  r = run("backtest " + config() + " --prices " + data(kPrices) + " --out /nonexistent/dir/x.h5");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "cannot be written")) << r.err;
  // A spot hedge cannot take a funding series.
  text = kConfig;
  text.replace(text.find("instrument: perpetual"), 21, "instrument: spot");
  r = run("backtest " + write_file("spot.yaml", text) + " --prices " + data(kPrices) + " --funding " +
          data("backtest_binance_btc_funding_8h_2024-06-01_08.csv"));
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "backtest.funding")) << r.err;
}

// Input files are capped (issue 11, docs/backtest.md): a device is refused before it is read (/dev/zero
// was read until memory ran out) and a file over 256 MiB by its size, for each of the three series.
TEST(BacktestCli, DeviceOrOversizeDataFileIsExitTwo) {
  std::string text = kConfig;
  text.replace(text.find("costs: {fee_bps: 5}"), 19, "costs: {fee_bps: 5, gas: {units: 180000, price_gwei: 20}}");
  const std::string cfg = write_file("gas.yaml", text);
  const std::string big = write_file("big.csv", "");
  std::filesystem::resize_file(big, (std::uintmax_t{256} << 20) + 1);  // sparse: no disk needed
  for (const std::string kind : {"prices", "funding", "gas"}) {
    const std::string prices = kind == "prices" ? "" : " --prices " + data(kPrices);
    for (const std::string& file : {std::string("/dev/zero"), big}) {
      const Result r = hedgesim::test::run_hedgesim(
          "backtest " + cfg + prices + " --" + kind + " " + file + " --no-model-check", temp_dir() / "stderr.txt", 5);
      EXPECT_EQ(r.code, 2) << kind << " " << file << ": " << r.err;
      const std::string expected =
          file == big ? "the " + kind + " file '" + big + "' is 268435457 bytes, over the 256 MiB cap"
                      : "the " + kind + " file '/dev/zero' is a character device, not a regular file";
      EXPECT_TRUE(contains(r.err, expected)) << r.err;
    }
  }
  std::filesystem::remove(big);
}

// --out replaces only a regular file (issue 11): /dev/null is refused before the data are read.
TEST(BacktestCli, OutOntoDevNullIsExitTwo) {
  const Result r = run("backtest " + config() + " --prices " + data(kPrices) + " --out /dev/null");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "'/dev/null' (output.file or --out) is a character device")) << r.err;
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
}
