// The hedgesim command line as a user meets it: exit codes, --json on stdout and nothing else, and one
// clear message for bad input (docs/architecture.md, "Command line"). The binary is found via HEDGESIM_BIN, which CTest sets.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_run.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/engine/backends.hpp"

namespace {

using Result = hedgesim::test::CliResult;

std::filesystem::path temp_dir() {
  static const std::filesystem::path dir = hedgesim::test::make_temp_dir("hedgesim_cli_");
  return dir;
}

Result run(const std::string& args) { return hedgesim::test::run_hedgesim(args, temp_dir() / "stderr.txt"); }

std::string write_config(const std::string& name, const std::string& text) {
  const auto path = temp_dir() / name;
  std::ofstream(path) << text;
  return path.string();
}

const char* kGood = R"(simulation: {paths: 4000, steps_per_day: 4, seed: 3, measure: risk_neutral}
model: {type: heston, spot: 100, v0: 0.04, kappa: 2, theta: 0.04, xi: 0.5, rho: -0.7}
book:
  - {type: call, strike: 100, expiry_days: 30}
  - {type: put, strike: 95, expiry_days: 10, settlement: inverse}
)";

TEST(Cli, VersionNamesVersionAndCommit) {
  const Result r = run("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("hedgesim 0."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("commit"), std::string::npos) << r.out;
}

TEST(Cli, PriceJsonIsTheWholeStdout) {
  const Result r = run("price " + write_config("good.yaml", kGood) + " --json --backend cpu --threads 2");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);  // throws if anything else is on stdout
  EXPECT_EQ(j["paths"], 4000);
  EXPECT_EQ(j["steps"], 120);
  EXPECT_EQ(j["backend"], "cpu");
  ASSERT_EQ(j["options"].size(), 2u);
  for (const auto& o : j["options"]) {
    const double z = (o["mc_price"].get<double>() - o["analytic_price"].get<double>()) / o["mc_stderr"].get<double>();
    EXPECT_LT(std::abs(z), 5.0) << o.dump();
  }
  EXPECT_EQ(j["options"][1]["settlement"], "inverse");
}

/// The --json results of `command` on 1 and on 2 threads (each must succeed).
std::pair<nlohmann::json, nlohmann::json> json_on_1_and_2_threads(const std::string& command) {
  const Result a = run(command + " --json --threads 1");
  const Result b = run(command + " --json --threads 2");
  EXPECT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(b.code, 0) << b.err;
  return {nlohmann::json::parse(a.out), nlohmann::json::parse(b.out)};
}

TEST(Cli, FlagsOverrideConfigAndRunsAreReproducible) {
  const auto [ja, jb] = json_on_1_and_2_threads("price " + write_config("good2.yaml", kGood) + " --paths 3000 --seed 9");
  EXPECT_EQ(ja["paths"], 3000);
  EXPECT_EQ(ja["seed"], 9);
  EXPECT_EQ(ja["options"][0]["mc_price"], jb["options"][0]["mc_price"]) << "thread count changed the estimate";
}

TEST(Cli, BadConfigIsExitTwoWithKeyValueAndLine) {
  const std::string bad = write_config("bad.yaml", std::string(kGood).replace(std::string(kGood).find("rho: -0.7"), 9, "rho: -1.7"));
  const Result r = run("price " + bad + " --json");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("model.rho"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("-1.7"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
}

TEST(Cli, UnknownKeySuggestsNearest) {
  const std::string bad = write_config("typo.yaml", std::string(kGood).replace(std::string(kGood).find("kappa"), 5, "kapa"));
  const Result r = run("price " + bad);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("kappa"), std::string::npos) << r.err;
}

TEST(Cli, BadFlagsAndMissingFileAreExitTwo) {
  const std::string cfg = write_config("good3.yaml", kGood);
  EXPECT_EQ(run("price " + cfg + " --paths 0").code, 2);
  EXPECT_EQ(run("price " + cfg + " --backend gpu").code, 2);
  EXPECT_EQ(run("price " + cfg + " --no-such-flag").code, 2);
  EXPECT_EQ(run("price /nonexistent/config.yaml").code, 2);
  EXPECT_EQ(run("").code, 2);
}

const char* kRun = R"(simulation: {paths: 3000, steps_per_day: 24, seed: 5}
model: {type: bates, spot: 65000, v0: 0.36, kappa: 2, theta: 0.36, xi: 1, rho: -0.3,
        jump_intensity: 5, jump_mean: -0.05, jump_stdev: 0.1}
book:
  - {type: call, strike: 70000, expiry_days: 7, quantity: -10}
hedge: {instrument: perpetual, delta: implied, implied_vol: 0.6, funding: {rate: 0.1}}
costs: {fee_bps: 5}
policies:
  - {name: none, type: none}
  - {name: hourly, type: time, every_hours: 1}
  - {name: band, type: delta_band, width: 0.5}
)";

// `run` is reproducible across thread counts (the same paths, reduced in path order), and its JSON
// carries one entry per policy in config order.
TEST(Cli, RunJsonIsReproducibleAcrossThreads) {
  const auto [ja, jb] = json_on_1_and_2_threads("run " + write_config("run.yaml", kRun));
  ASSERT_EQ(ja["policies"].size(), 3u);
  EXPECT_EQ(ja["policies"][1]["name"], "hourly");
  EXPECT_EQ(ja["policies"], jb["policies"]);
  EXPECT_EQ(ja["policies"][0]["trades_mean"], 0.0);
  EXPECT_GT(ja["policies"][1]["pnl_std"].get<double>(), 0.0);
  EXPECT_LT(ja["policies"][1]["pnl_std"].get<double>(), ja["policies"][0]["pnl_std"].get<double>());
}

TEST(Cli, RunWithoutPoliciesIsExitTwo) {
  const Result r = run("run " + write_config("nopol.yaml", kGood));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("policies"), std::string::npos) << r.err;
}

// A price that is not a number is a failure, never printed with exit 0 (issue 11). A rate of 800, which
// made every path overflow to S_T = inf in float64, is now refused as input by model.rate's plausible
// range (config_ranges.hpp), before anything is simulated: exit 2 naming the key.
TEST(Cli, OverflowingRateIsExitTwoNamingTheKey) {
  const Result r = run("price " + write_config("overflow.yaml", R"(simulation: {paths: 500, steps_per_day: 1, seed: 3, measure: risk_neutral, precision: float64}
model: {type: gbm, spot: 100, rate: 800, vol: 0.2}
book:
  - {type: call, strike: 100, expiry_days: 365}
)") + " --json");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("model.rate = 800 at line 2: must be in [-1, 1] per year"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("null"), std::string::npos) << r.out;
}

// Statistics that overflow fail the run (issue 11). The gas cost of ~1e287 USD an attempt that did it
// (units 1e290) is now refused as input by costs.gas.units' plausible range: exit 2, no result file.
TEST(Cli, OverflowingGasIsExitTwoNamingTheKey) {
  const std::string out = (temp_dir() / "overflow.h5").string();
  const Result r = run("run " + write_config("gas_overflow.yaml", R"(simulation: {paths: 400, steps_per_day: 4, seed: 3}
model: {type: gbm, spot: 3000, vol: 0.8}
book:
  - {type: call, strike: 3000, expiry_days: 7, quantity: -1}
hedge: {instrument: perpetual, delta: instantaneous, funding: {rate: 0}}
costs: {fee_bps: 5, gas: {units: 1e290, price_gwei: 20, eth_price_usd: 3000}}
policies:
  - {name: every, type: every_step}
)") + " --json --out " + out);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("costs.gas.units = 1e+290 at line 6: must be in (0, 100000000] gas"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("null"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(out)) << "no result file from a failed run";
}

// Absurd finite values are refused before anything runs (issue 11, defect 6): exit 2 naming the key,
// its line and its plausible range, whatever the command.
TEST(Cli, AbsurdFiniteValuesAreExitTwoNamingTheKey) {
  const struct {
    const char* from;
    const char* to;
    const char* message;
  } cases[] = {
      {"spot: 100,", "spot: 1e308,", "model.spot = 1e+308 at line 2: must be in (0, 1000000000] USD"},
      {"kappa: 2,", "kappa: 1e308,", "model.kappa = 1e+308 at line 2: must be in (0, 1000] per year"},
      {"xi: 0.5,", "xi: 1e308,", "model.xi = 1e+308 at line 2: must be in (0, 100]"},
      {"v0: 0.04,", "v0: 0.04, rate: 1e308,", "model.rate = 1e+308 at line 2: must be in [-1, 1] per year"},
      {"strike: 95,", "strike: 1e308,", "book[1].strike = 1e+308 at line 5: must be in [0.001, 1000] x model.spot"},
      {"expiry_days: 30}", "expiry_days: 30, quantity: -1e308}", "book[0].quantity = -1e+308 at line 4"},
  };
  for (const auto& c : cases) {
    std::string yaml = kGood;
    yaml.replace(yaml.find(c.from), std::string(c.from).size(), c.to);
    for (const char* command : {"price ", "run "}) {
      const Result r = run(command + write_config("absurd.yaml", yaml));
      EXPECT_EQ(r.code, 2) << command << c.to << "\n" << r.err;
      EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    }
  }
}

// A flag follows its config key's rules, one validator for both (issue 11): no wrap-around, clamping,
// hexadecimal or silently ignored empty value; out of range is exit 2 naming the flag and what it takes.
TEST(Cli, FlagValuesFollowTheConfigKeysRules) {
  const std::string config = write_config("flags.yaml", kGood);
  const std::pair<std::string, std::string> bad[] = {
      {"--paths -5", "--paths = '-5': expected an integer > 0"},
      {"--paths 0x10", "--paths = '0x10': expected an integer > 0"},
      {"--paths ''", "--paths = '': expected an integer > 0"},
      {"--paths 2.5", "--paths = '2.5': expected an integer > 0"},
      {"--seed -1", "--seed = '-1': expected an unsigned 64-bit integer"},
      {"--seed 18446744073709551616", "--seed = '18446744073709551616': expected an unsigned 64-bit integer"},
      {"--threads 100000", "--threads = '100000': expected an integer from 0 to 1024"},
      {"--threads -1", "--threads = '-1': expected an integer from 0 to 1024"},
  };
  for (const auto& [flags, message] : bad) {
    const Result r = run("price " + config + " " + flags);
    EXPECT_EQ(r.code, 2) << flags << ": " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << flags << ": " << r.err;
  }
  // What the key accepts, the flag accepts: 1e3 is a whole number, 2^64 - 1 the largest seed.
  EXPECT_EQ(run("price " + config + " --paths 1e3 --seed 18446744073709551615 --threads 1024").code, 0);
  // And the key refuses what the flag refuses.
  std::string many = kGood;
  many.replace(many.find("seed: 3"), 7, "seed: 3, threads: 100000");
  const Result in_config = run("price " + write_config("threads_key.yaml", many));
  EXPECT_EQ(in_config.code, 2) << in_config.err;
  EXPECT_NE(in_config.err.find("simulation.threads = '100000' at line 1: expected an integer from 0 to 1024"),
            std::string::npos)
      << in_config.err;
  // An empty --out is not "no file".
  const Result out = run("run " + write_config("out.yaml", std::string(kGood) +
                                                              "hedge: {implied_vol: 0.2}\n"
                                                              "policies: [{name: every, type: every_step}]\n") +
                         " --out ''");
  EXPECT_EQ(out.code, 2) << out.err;
  EXPECT_NE(out.err.find("--out = '': expected the path of the HDF5 results file"), std::string::npos) << out.err;
}

// More paths than memory holds is bad input, refused before anything is allocated with the estimate and
// what to change (issue 11): not "vector::reserve" (exit 1) or "out of memory" (exit 3).
TEST(Cli, PathsBeyondMemoryAreRefusedWithTheEstimate) {
  const std::string config = write_config("memory.yaml", std::string(kGood) +
                                                             "hedge: {implied_vol: 0.2}\n"
                                                             "policies: [{name: every, type: every_step}]\n");
  for (const std::string paths : {"1e15", "18446744073709551615"}) {
    const Result r = run("run " + config + " --backend cpu --paths " + paths);
    EXPECT_EQ(r.code, 2) << paths << ": " << r.err;
    EXPECT_NE(r.err.find("the run keeps 16 bytes per path in memory (P&L and cost of 1 policies for their quantiles)"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("use fewer paths (at most about"), std::string::npos) << r.err;
  }
  std::string per_path = std::string(kGood) + "hedge: {implied_vol: 0.2}\npolicies: [{name: every, type: every_step}]\n"
                                              "output: {per_path: true, file: " + (temp_dir() / "never.h5").string() + "}\n";
  const Result r = run("run " + write_config("memory_per_path.yaml", per_path) + " --backend cpu --paths 1e15");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("or turn output.per_path off"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(temp_dir() / "never.h5"));
}

// Unknown commands and flags name the nearest valid one; --version takes nothing else; optimize is
// optimise (issue 11, defect 11; issue 15).
TEST(Cli, UnknownCommandsAndFlagsSuggestTheNearest) {
  const std::pair<std::string, std::string> bad[] = {
      {"runn x.yaml", "unknown command 'runn'; did you mean 'run'?"},
      {"optimse x.yaml", "unknown command 'optimse'; did you mean 'optimise'?"},
      {"frobnicate", "unknown command 'frobnicate'. Commands: run, optimise, price, calibrate, backtest"},
      {"run x.yaml --pathz 10", "unknown flag '--pathz' for 'run'; did you mean '--paths'?"},
      {"price x.yaml --out=f.h5", "unknown flag '--out' for 'price'"},
      {"--version --foo", "--version takes no other arguments, got '--foo'"},
  };
  for (const auto& [args, message] : bad) {
    const Result r = run(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << ": " << r.err;
  }
  const Result alias = run("optimize " + write_config("no_optimise.yaml", kGood));
  EXPECT_EQ(alias.code, 2) << alias.err;  // parsed as optimise: its config needs an optimise section
  EXPECT_NE(alias.err.find("optimise"), std::string::npos) << alias.err;
  EXPECT_EQ(alias.err.find("unknown command"), std::string::npos) << alias.err;
}

// The book-size limit is the config's, with file and line, for every command (issue 11: price took 17).
TEST(Cli, BookOfSeventeenOptionsIsRefusedWithItsLine) {
  std::string text = "simulation: {paths: 100, steps_per_day: 1, seed: 3, measure: risk_neutral}\n"
                     "model: {type: gbm, spot: 100, vol: 0.5}\n"
                     "book:\n";
  for (int i = 0; i < 17; ++i) text += "  - {type: call, strike: " + std::to_string(80 + 2 * i) + ", expiry_days: 30}\n";
  const std::string config = write_config("seventeen.yaml", text);
  for (const std::string command : {"price", "run"}) {
    const Result r = run(command + " " + config);
    EXPECT_EQ(r.code, 2) << command << ": " << r.err;
    EXPECT_NE(r.err.find("seventeen.yaml: book at line 4: lists 17 options; at most 16 are supported"), std::string::npos)
        << command << ": " << r.err;
  }
}

TEST(Cli, CudaWithoutDeviceIsExitThree) {
  if (hedgesim::cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  const Result r = run("price " + write_config("good4.yaml", kGood) + " --backend cuda");
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("cuda"), std::string::npos) << r.err;
}

// ---- Files (issue 11): --out replaces only a regular file or a new name; signals during the write
// leave no temporary file; a dead run's temporary file goes on the next write; the config is capped.

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(CliFiles, OutOntoDevNullIsExitTwoAndLeavesIt) {
  const Result r = run("run " + write_config("devnull.yaml", kRun) + " --out /dev/null");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "output file '/dev/null' (output.file or --out) is a character device: only a regular "
                              "file (which is replaced) or a new name in a writable directory may be given"))
      << r.err;
  struct stat st {};
  ASSERT_EQ(::lstat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/null is no longer a character device";
}

TEST(CliFiles, OutOntoFifoOrSymlinkIsExitTwoAndLeavesThem) {
  const std::string cfg = write_config("fifo.yaml", kRun);
  const auto fifo = temp_dir() / "fifo.h5";
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Result r = run("run " + cfg + " --out " + fifo.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "'" + fifo.string() + "' (output.file or --out) is a FIFO (named pipe)")) << r.err;
  EXPECT_TRUE(std::filesystem::is_fifo(std::filesystem::symlink_status(fifo)));

  const auto target = temp_dir() / "target.h5";
  const auto link = temp_dir() / "link.h5";
  std::filesystem::remove(link);
  std::ofstream(target) << "keep";
  std::filesystem::create_symlink(target, link);
  r = run("run " + cfg + " --out " + link.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "is a symbolic link to '" + target.string() + "'")) << r.err;
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(slurp(target), "keep");
}

TEST(CliFiles, OutInMissingDirectoryNamesTheDirectory) {
  const auto out = temp_dir() / "no_such_dir" / "x.h5";
  const Result r = run("run " + write_config("nodir.yaml", kRun) + " --out " + out.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "output file '" + out.string() + "' (output.file or --out) cannot be written: creating "
                              "a file in directory '" + out.parent_path().string() + "' failed: No such file"))
      << r.err;
}

// A run killed by SIGKILL leaves FILE.tmp-<pid>: the next write to FILE removes it, and only it.
TEST(CliFiles, StaleTemporaryFileOfADeadRunIsRemovedAndALiveOneKept) {
  const auto out = temp_dir() / "stale.h5";
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const std::string dead_tmp = out.string() + ".tmp-" + std::to_string(dead);
  const std::string live_tmp = out.string() + ".tmp-" + std::to_string(::getpid());  // this test is alive
  std::ofstream(dead_tmp) << "partial";
  std::ofstream(live_tmp) << "partial";
  const Result r = run("run " + write_config("stale.yaml", kRun) + " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(dead_tmp)) << "the dead run's temporary file stayed";
  EXPECT_TRUE(std::filesystem::exists(live_tmp)) << "a live process's temporary file was removed";
  std::filesystem::remove(live_tmp);
}

/// Starts `$HEDGESIM_BIN args…` with SIGINT, SIGTERM and SIGHUP at their default actions (as from a
/// terminal, whatever the test runner ignores), stdout and stderr to /dev/null.
pid_t spawn_hedgesim(const std::vector<std::string>& args) {
  std::vector<std::string> argv_text{std::getenv("HEDGESIM_BIN")};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&defaults, s);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? pid : -1;
}

// Many paths with every per-path field and two steps: the simulation takes about 0.3 s and the HDF5
// write (deflated per-path datasets) about 1 s on one core, so the signal arrives while
// FILE.tmp-<pid> is being written.
const char* kLongWrite = R"(simulation: {paths: 200000, steps_per_day: 1, seed: 5}
model: {type: gbm, spot: 100, vol: 0.5}
book: [{type: call, strike: 100, expiry_days: 2}]
hedge: {instrument: spot, delta: implied, implied_vol: 0.5}
policies:
  - {name: a, type: none}
  - {name: b, type: time, every_hours: 24}
  - {name: c, type: delta_band, width: 0.1}
  - {name: d, type: delta_band, width: 0.2}
output: {per_path: true}
)";

class CliSignal : public ::testing::TestWithParam<int> {};

TEST_P(CliSignal, DuringTheHdf5WriteLeavesNoTemporaryFile) {
  const int sig = GetParam();
  const std::string cfg = write_config("signal.yaml", kLongWrite);
  const auto out = temp_dir() / ("signal_" + std::to_string(sig) + ".h5");
  std::filesystem::remove(out);
  const pid_t pid = spawn_hedgesim({"run", cfg, "--threads", "2", "--out", out.string()});
  ASSERT_GT(pid, 0);
  const std::string tmp = out.string() + ".tmp-" + std::to_string(pid);
  // The probe of check_output_writable creates and removes the same name at start-up; the write's
  // file is the one that has grown past HDF5's superblock.
  bool writing = false;
  int status = 0;
  bool exited = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!writing && std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    writing = std::filesystem::file_size(tmp, ec) > 4096 && !ec;
    if (!writing && ::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    if (!writing) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  if (!exited) {
    ::kill(pid, writing ? sig : SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ASSERT_TRUE(writing) << "never saw " << tmp << " being written (the run " << (exited ? "ended" : "timed out")
                       << " first): make the write longer";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig)
      << "status " << status << ": expected death by signal " << sig << " (a shell reports " << 128 + sig << ")";
  EXPECT_FALSE(std::filesystem::exists(tmp)) << "signal " << sig << " left " << tmp;
  EXPECT_FALSE(std::filesystem::exists(out));
}

INSTANTIATE_TEST_SUITE_P(IntTerm, CliSignal, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& i) { return i.param == SIGINT ? "SIGINT" : "SIGTERM"; });

// /dev/zero as a config was read until memory ran out; a config over 1 MiB is refused by its size.
TEST(CliFiles, DeviceOrOversizeConfigIsExitTwo) {
  Result r = hedgesim::test::run_hedgesim("run /dev/zero", temp_dir() / "stderr.txt", 5);
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "the config file '/dev/zero' is a character device, not a regular file: give a "
                              "regular file (or a pipe) of at most 1 MiB"))
      << r.err;
  const std::string big = write_config("big.yaml", kRun);
  std::filesystem::resize_file(big, (std::uintmax_t{1} << 20) + 1);
  r = hedgesim::test::run_hedgesim("run " + big, temp_dir() / "stderr.txt", 5);
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "the config file '" + big + "' is 1048577 bytes, over the 1 MiB cap for a config file"))
      << r.err;
}

}  // namespace

// --quiet (issue 15): no progress bar and no notes on stderr, the result unchanged on stdout; a bad
// input still says why.
TEST(Cli, QuietKeepsStderrEmptyButForErrors) {
  const std::string config = write_config("quiet.yaml", std::string(kGood) +
                                                            "hedge: {implied_vol: 0.2}\n"
                                                            "policies: [{name: every, type: every_step}]\n");
  const std::string out = (temp_dir() / "quiet.h5").string();
  const Result loud = run("run " + config + " --backend cpu --paths 300 --out " + out);
  EXPECT_EQ(loud.code, 0) << loud.err;
  EXPECT_NE(loud.err.find("wrote"), std::string::npos) << loud.err;
  const Result quiet = run("run " + config + " --backend cpu --paths 300 --quiet --out " + out);
  EXPECT_EQ(quiet.code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
  EXPECT_NE(quiet.out.find("every_step"), std::string::npos) << quiet.out;
  const Result bad = run("run " + config + " --backend cpu --paths 0 --quiet");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--paths"), std::string::npos) << bad.err;
}

// The effective config (flags applied) parses back to the values that ran, and keeps the rest.
TEST(Cli, EffectiveConfigParsesToTheValuesThatRan) {
  using namespace hedgesim;
  RunSpec spec = parse_config(std::string(kGood) + "hedge: {implied_vol: 0.2}\npolicies: [{name: every, type: every_step}]\n",
                              "<test>");
  spec.simulation.paths = 1234;
  spec.simulation.seed = 99;
  spec.simulation.precision = Precision::float64;
  spec.output.file = "x.h5";
  const RunSpec again = parse_config(effective_config_text(spec), "<effective>");
  EXPECT_EQ(again.simulation.paths, 1234u);
  EXPECT_EQ(again.simulation.seed, 99u);
  EXPECT_EQ(again.simulation.precision, Precision::float64);
  EXPECT_EQ(again.output.file, "x.h5");
  EXPECT_EQ(again.book.size(), spec.book.size());
  EXPECT_EQ(again.model.xi, spec.model.xi);
  EXPECT_EQ(again.policies.size(), 1u);
}

namespace {

/// SIGTERM to `hedgesim run --checkpoint` once it has written its first checkpoint: exit code 4 and
/// the checkpoint kept; --resume then prints the JSON of an uninterrupted run (timings aside).
TEST(Cli, SigtermWritesACheckpointAndResumeFinishesTheRun) {
  const std::string cfg =
      write_config("ckpt.yaml", std::string(kGood) + "hedge: {implied_vol: 0.2}\npolicies: [{name: every, type: every_step}]\n");
  const std::string ck = (temp_dir() / "ck").string();
  const std::string common = "run " + cfg + " --json --backend cpu --threads 1 --paths 400000 ";
  const Result want = run(common);
  ASSERT_EQ(want.code, 0) << want.err;
  const char* bin = std::getenv("HEDGESIM_BIN");
  ASSERT_NE(bin, nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(bin, bin, "run", cfg.c_str(), "--json", "--backend", "cpu", "--threads", "1", "--paths", "400000",
            "--checkpoint", ck.c_str(), "--checkpoint-batch-paths", "4096", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!std::filesystem::exists(ck + ".rank0of1") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 4);
  EXPECT_TRUE(std::filesystem::exists(ck + ".rank0of1"));
  const Result got = run(common + "--checkpoint " + ck + " --resume");
  ASSERT_EQ(got.code, 0) << got.err;
  auto a = nlohmann::json::parse(got.out), b = nlohmann::json::parse(want.out);
  for (const char* k : {"elapsed_s", "path_steps_per_s", "kernel_s"}) {
    a.erase(k);
    b.erase(k);
  }
  EXPECT_EQ(a, b);
  EXPECT_FALSE(std::filesystem::exists(ck + ".rank0of1"));  // removed once the run succeeded
  // Another seed is refused, exit 2, naming it.
  const Result again = run(common + "--checkpoint " + ck + " --stop-after-batches 1 --checkpoint-batch-paths 4096");
  EXPECT_EQ(again.code, 4) << again.err;
  const Result other = run(common + "--checkpoint " + ck + " --resume --seed 4");
  EXPECT_EQ(other.code, 2);
  EXPECT_NE(other.err.find("seed: 3 there, 4 here"), std::string::npos) << other.err;
  const Result no_ckpt = run(common + "--resume");
  EXPECT_EQ(no_ckpt.code, 2);
}

}  // namespace
