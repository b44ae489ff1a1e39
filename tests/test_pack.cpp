// Risk packs (`hedgesim pack`, config/pack.hpp, jobs/pack_job.hpp): the pack file and the scenarios'
// shocks, the tasks' validation through the config's own rules, and whole packs run by the binary: the
// HDF5 files and index.csv, a scenario equal to `hedgesim run` of its config, a failing task recorded
// while the others run, --task + --merge-index equal to one run, and nothing partial or clobbered.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_run.hpp"
#include "hedgesim/config/pack.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/jobs/pack_job.hpp"

namespace fs = std::filesystem;
using namespace hedgesim;
using hedgesim::test::run_hedgesim;

namespace {

// A small valid book (gbm, 2-day options, three policies); 300 paths run in milliseconds.
constexpr const char* kBase = R"(simulation:
  paths: 300
  steps_per_day: 24
  seed: 7
  threads: 1
model:
  type: gbm
  spot: 3000
  vol: 0.6
book:
  - {type: call, strike: 3300, expiry_days: 2, quantity: -10}
  - {type: put, strike: 2700, expiry_days: 2, quantity: 5}
hedge:
  instrument: perpetual
  implied_vol: 0.6
  funding: {rate: 0.1}
costs:
  fee_bps: 5
policies:
  - {name: none, type: none}
  - {name: four_hourly, type: time, every_hours: 4}
  - {name: band, type: delta_band, width: 1.0}
output:
  file: book_own_output.h5
  histogram_bins: 10
)";

fs::path dir() {
  static const fs::path d = [] {
    fs::path p = fs::temp_directory_path() / ("hedgesim_pack_" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
  }();
  return d;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// A pack in folder `sub` of the test folder, beside a copy of kBase as base.yaml.
fs::path make_pack(const std::string& sub, const std::string& pack_text) {
  const fs::path d = dir() / sub;
  write(d / "base.yaml", kBase);
  write(d / "pack.yaml", pack_text);
  return d / "pack.yaml";
}

std::string message_of(const fs::path& pack, const PackFlags& flags = {}) {
  try {
    load_pack(pack.string(), flags);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

/// RFC 4180 rows (quoted fields with commas, doubled quotes and line breaks).
std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field), field.clear();
    } else if (c == '\n') {
      rows.back().push_back(field), field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

/// The index as maps column -> value, one per row.
std::vector<std::map<std::string, std::string>> index_rows(const fs::path& csv) {
  const auto rows = csv_rows(read(csv));
  std::vector<std::map<std::string, std::string>> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r].size(), rows[0].size()) << "row " << r;
    std::map<std::string, std::string> m;
    for (std::size_t c = 0; c < rows[0].size() && c < rows[r].size(); ++c) m[rows[0][c]] = rows[r][c];
    out.push_back(m);
  }
  return out;
}

std::string quote(const fs::path& p) { return "'" + p.string() + "'"; }

const std::string kShockPack = R"(books:
  - {name: b, config: base.yaml}
scenarios:
  - name: base
  - name: shocked
    shocks:
      model.vol: 1.2
      model.spot: {scale: 0.8}
      hedge.funding.rate: {add: 0.5}
      costs.fee_bps: {set: 7}
      book[*].quantity: {scale: 2}
      book[1].strike: 2600
      costs.fixed_per_trade: 1
)";

}  // namespace

TEST(PackFile, EachShockFormChangesTheBooksConfig) {
  const PackPlan plan = load_pack(make_pack("forms", kShockPack).string());
  ASSERT_EQ(plan.tasks.size(), 2u);
  const RunSpec& base = plan.tasks[0].spec;
  const RunSpec& s = plan.tasks[1].spec;
  EXPECT_EQ(plan.tasks[1].book, "b");
  EXPECT_EQ(plan.tasks[1].scenario, "shocked");
  EXPECT_EQ(plan.tasks[1].file, "b__shocked.h5");
  EXPECT_EQ(base.model.vol, 0.6);
  EXPECT_EQ(s.model.vol, 1.2);                       // absolute
  EXPECT_EQ(s.model.spot, 3000 * 0.8);               // scale
  EXPECT_EQ(s.hedge.funding.rate, 0.1 + 0.5);        // add
  EXPECT_EQ(s.costs.fee_bps, 7.0);                   // {set: ...}
  EXPECT_EQ(s.costs.fixed_per_trade, 1.0);           // a key the book leaves out
  EXPECT_EQ(s.book[0].quantity, -20.0);              // [*]
  EXPECT_EQ(s.book[1].quantity, 10.0);
  EXPECT_EQ(s.book[1].strike, 2600.0);               // [i]
  EXPECT_EQ(s.book[0].strike, 3300.0);
  // Common random numbers: both scenarios on the book's seed; the results go to the pack's folder.
  EXPECT_EQ(base.simulation.seed, 7u);
  EXPECT_EQ(s.simulation.seed, 7u);
  EXPECT_EQ(fs::path(s.output.file).filename(), "b__shocked.h5");
  EXPECT_EQ(fs::path(s.output.file).parent_path(), dir() / "forms" / "pack_results");
  // The effective config is the text that was validated, hashed and stored; no book's output.file.
  EXPECT_EQ(plan.tasks[1].config_hash, config_hash(s.config_text));
  EXPECT_NE(plan.tasks[0].config_hash, plan.tasks[1].config_hash);
  EXPECT_EQ(s.config_text.find("book_own_output"), std::string::npos);
  EXPECT_EQ(parse_config(s.config_text, "effective").model.spot, s.model.spot);
  // Loading again gives the same hashes (no shock reaches another task or a second load).
  const PackPlan again = load_pack((dir() / "forms" / "pack.yaml").string());
  EXPECT_EQ(again.tasks[1].config_hash, plan.tasks[1].config_hash);
}

TEST(PackFile, OverridesSeedsBooksFilterAndFlags) {
  const fs::path p = make_pack("overrides", R"(output_dir: out
seeds: distinct
overrides: {simulation.paths: 400, simulation.seed: 100}
books:
  - {name: a, config: base.yaml}
  - base.yaml
scenarios:
  - {name: s0}
  - {name: s1, shocks: {simulation.paths: {scale: 2}}}
  - {name: only_a, books: [a]}
)");
  const PackPlan plan = load_pack(p.string());
  ASSERT_EQ(plan.tasks.size(), 5u);
  const std::vector<std::pair<std::string, std::string>> order = {
      {"a", "s0"}, {"a", "s1"}, {"a", "only_a"}, {"base", "s0"}, {"base", "s1"}};
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(plan.tasks[i].index, i);
    EXPECT_EQ(plan.tasks[i].book, order[i].first);
    EXPECT_EQ(plan.tasks[i].scenario, order[i].second);
  }
  EXPECT_EQ(plan.out_dir, (dir() / "overrides" / "out").string());
  EXPECT_EQ(plan.tasks[0].spec.simulation.paths, 400u);
  EXPECT_EQ(plan.tasks[1].spec.simulation.paths, 800u);  // the scenario scales the override
  EXPECT_EQ(plan.tasks[0].spec.simulation.seed, 100u);   // distinct: seed + the scenario's position
  EXPECT_EQ(plan.tasks[1].spec.simulation.seed, 101u);
  EXPECT_EQ(plan.tasks[2].spec.simulation.seed, 102u);

  PackFlags flags;
  flags.simulation.paths = "64";
  flags.simulation.seed = "5";
  flags.simulation.threads = "2";
  flags.precision = "float64";
  flags.out_dir = "elsewhere";
  const PackPlan f = load_pack(p.string(), flags);
  EXPECT_EQ(f.tasks[1].spec.simulation.paths, 64u);  // flags win over the pack
  EXPECT_EQ(f.tasks[1].spec.simulation.seed, 6u);
  EXPECT_EQ(f.tasks[1].spec.simulation.precision, Precision::float64);
  EXPECT_EQ(f.tasks[1].spec.simulation.threads, 2u);
  EXPECT_EQ(f.out_dir, "elsewhere");
  // Threads change no result, so they do not change the hash either.
  PackFlags fewer = flags;
  fewer.simulation.threads = "1";
  EXPECT_EQ(load_pack(p.string(), fewer).tasks[1].config_hash, f.tasks[1].config_hash);
}

TEST(PackFile, BadInputNamesThePackLineScenarioKeyAndValue) {
  const auto msg = [](const std::string& sub, const std::string& shocks) {
    return message_of(make_pack(sub, "books: [{name: b, config: base.yaml}]\nscenarios:\n  - name: sc\n    shocks:\n" + shocks));
  };
  // A shocked value outside its range: the config's own message, at the pack's line.
  std::string m = msg("bad_range", "      model.spot: 1\n      model.vol: {scale: 100}\n");
  EXPECT_NE(m.find("pack.yaml: scenario 'sc' (line 3) on book 'b'"), std::string::npos) << m;
  EXPECT_NE(m.find("model.vol = 60 at line 6: must be in (0, 10]"), std::string::npos) << m;
  // A misspelt key, set or scaled: the nearest key suggested.
  m = msg("typo_set", "      model.spto: 3000\n");
  EXPECT_NE(m.find("unknown key 'model.spto' at line 5; did you mean 'spot'?"), std::string::npos) << m;
  m = msg("typo_scale", "      model.spto: {scale: 2}\n");
  EXPECT_NE(m.find("model.spto (line 5)"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'spot'?"), std::string::npos) << m;
  m = msg("typo_section", "      modle.spot: 3000\n");
  EXPECT_NE(m.find("unknown section 'modle' at line 5; did you mean 'model'?"), std::string::npos) << m;
  m = msg("typo_form", "      model.spot: {scael: 2}\n");
  EXPECT_NE(m.find("did you mean 'scale'?"), std::string::npos) << m;
  // Wrong types and shapes.
  m = msg("text", "      model.vol: abc\n");
  EXPECT_NE(m.find("model.vol = 'abc' at line 5: expected a number > 0"), std::string::npos) << m;
  m = msg("scale_text", "      model.type: {scale: 2}\n");
  EXPECT_NE(m.find("cannot scale model.type = 'gbm'"), std::string::npos) << m;
  m = msg("scale_nan", "      model.vol: {scale: x}\n");
  EXPECT_NE(m.find("{scale: x} at line 5: expected a finite number"), std::string::npos) << m;
  m = msg("index", "      book[5].strike: 1\n");
  EXPECT_NE(m.find("has 2 element(s): index 5 is past its end"), std::string::npos) << m;
  m = msg("key_syntax", "      book[x].strike: 1\n");
  EXPECT_NE(m.find("'[x]' is not an index"), std::string::npos) << m;
  // A change that breaks a rule between keys (a strike relative to a shocked spot).
  m = msg("relative", "      model.spot: {scale: 10000}\n");
  EXPECT_NE(m.find("book[0].strike = 3300"), std::string::npos) << m;
  // The pack's own keys.
  EXPECT_NE(message_of(make_pack("top", "book: []\n")).find("unknown key 'book' in the pack at line 1; did you mean 'books'?"),
            std::string::npos);
  EXPECT_NE(message_of(make_pack("filter", "books: [{name: b, config: base.yaml}]\nscenarios: [{name: s, books: [c]}]\n"))
                .find("books names 'c', which is not a book of the pack"),
            std::string::npos);
  EXPECT_NE(message_of(make_pack("dup", "books: [base.yaml, base.yaml]\n")).find("book name 'base' is given twice"),
            std::string::npos);
  EXPECT_NE(message_of(make_pack("name", "books: [{name: 'a/b', config: base.yaml}]\n")).find("books[0].name = 'a/b'"),
            std::string::npos);
  EXPECT_NE(message_of(make_pack("seeds", "seeds: same\nbooks: [base.yaml]\n")).find("seeds = 'same' at line 1"),
            std::string::npos);
  EXPECT_NE(message_of(make_pack("override_scale", "overrides: {simulation.paths: {scale: 2}}\nbooks: [base.yaml]\n"))
                .find("overrides set values"),
            std::string::npos);
  EXPECT_NE(message_of(make_pack("missing_book", "books: [nothere.yaml]\n")).find("nothere.yaml"), std::string::npos);
  PackFlags bad;
  bad.simulation.paths = "0x10";
  EXPECT_NE(message_of(make_pack("flag", "books: [base.yaml]\n"), bad).find("--paths = '0x10'"), std::string::npos);
}

TEST(PackJob, AFailingTaskIsRecordedAndTheOthersRun) {
  const PackPlan plan = load_pack(make_pack("failing", kShockPack).string());
  std::vector<TaskRecord> records;
  for (const PackTask& t : plan.tasks) {
    records.push_back(run_pack_task(t, [](const PackTask& task) -> RunReport {
      if (task.scenario == "shocked") throw RuntimeFailure("device lost");
      RunSpec spec = task.spec;
      spec.output.file.clear();
      SoloCollectives solo;
      return run_and_write(spec, "", solo);
    }));
  }
  EXPECT_EQ(records[0].status, "ok");
  EXPECT_EQ(records[0].policies.size(), 3u);
  EXPECT_EQ(records[1].status, "failed");
  EXPECT_EQ(records[1].message, "device lost");
  EXPECT_TRUE(records[1].file.empty());
  const std::string csv = index_csv(records);
  const auto rows = csv_rows(csv);
  ASSERT_EQ(rows.size(), 1u + 3u + 1u);
  EXPECT_EQ(rows[4][4], "failed");
  EXPECT_EQ(rows[4][5], "device lost");
  // A message with commas, quotes and line breaks survives the CSV.
  records[1].message = "a, \"b\"\nc";
  EXPECT_EQ(csv_rows(index_csv(records))[4][5], "a, \"b\"\nc");
}

TEST(PackCli, WholePackWritesOneFilePerTaskAndAnIndexPandasReads) {
  const fs::path p = make_pack("whole", kShockPack);
  const fs::path out = dir() / "whole" / "results";
  const auto r = run_hedgesim("pack " + quote(p) + " --out-dir " + quote(out), dir() / "whole" / "err.txt");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_regular_file(out / "b__base.h5"));
  EXPECT_TRUE(fs::is_regular_file(out / "b__shocked.h5"));
  for (const auto& e : fs::directory_iterator(out))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  const auto rows = index_rows(out / "index.csv");
  ASSERT_EQ(rows.size(), 6u);  // 2 tasks x 3 policies
  const std::set<std::string> policies{"none", "four_hourly", "band"};
  for (const auto& row : rows) {
    EXPECT_EQ(row.at("status"), "ok");
    EXPECT_TRUE(policies.contains(row.at("policy")));
    EXPECT_EQ(row.at("seed"), "7");
    EXPECT_EQ(row.at("paths"), "300");
    EXPECT_EQ(row.at("config_hash").size(), 16u);
    EXPECT_TRUE(std::isfinite(std::stod(row.at("es_99"))));
  }
  EXPECT_EQ(rows[0].at("scenario"), "base");
  EXPECT_EQ(rows[3].at("scenario"), "shocked");
  EXPECT_EQ(rows[3].at("file"), "b__shocked.h5");
  // The unhedged P&L has no costs; the shocked book (twice the quantity) has a wider P&L.
  EXPECT_EQ(std::stod(rows[0].at("cost_mean")), 0.0);
  EXPECT_GT(std::stod(rows[3].at("pnl_std")), std::stod(rows[0].at("pnl_std")));
  // Python's csv module reads it in one line, with the header's columns in every row (pandas.read_csv
  // reads the same RFC 4180 text).
  const std::string cmd = "/usr/bin/python3 -c \"import csv,sys; rows=list(csv.DictReader(open(sys.argv[1]))); "
                          "assert len(rows)==6 and all(len(r)==19 for r in rows); print(len(rows))\" " +
                          quote(out / "index.csv");
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  // --list: one line per task, tab-separated.
  const auto list = run_hedgesim("pack " + quote(p) + " --list", dir() / "whole" / "err.txt");
  EXPECT_EQ(list.code, 0);
  EXPECT_EQ(list.out, "0\tb\tbase\tb__base.h5\n1\tb\tshocked\tb__shocked.h5\n");
}

TEST(PackCli, AScenarioEqualsHedgesimRunOfItsConfigBitForBit) {
  const fs::path p = make_pack("equal", R"(books: [{name: b, config: base.yaml}]
scenarios:
  - {name: base}
  - name: vol
    shocks: {model.vol: 0.9, 'book[0].strike': 3200}  # in flow style, a key with [ ] is quoted
)");
  const fs::path out = dir() / "equal" / "results";
  ASSERT_EQ(run_hedgesim("pack " + quote(p) + " --out-dir " + quote(out), dir() / "equal" / "err.txt").code, 0);
  const auto rows = index_rows(out / "index.csv");
  // The same book edited by hand, as a user would, and run by `hedgesim run`.
  std::string edited = kBase;
  edited.replace(edited.find("vol: 0.6"), 8, "vol: 0.9");
  edited.replace(edited.find("strike: 3300"), 12, "strike: 3200");
  write(dir() / "equal" / "edited.yaml", edited);
  const auto run = run_hedgesim("run " + quote(dir() / "equal" / "edited.yaml") + " --out " +
                                    quote(dir() / "equal" / "run.h5") + " --json",
                                dir() / "equal" / "err2.txt");
  ASSERT_EQ(run.code, 0) << run.err;
  const nlohmann::json j = nlohmann::json::parse(run.out);
  ASSERT_EQ(j["policies"].size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    const auto& row = rows[3 + k];
    const auto& pol = j["policies"][k];
    EXPECT_EQ(row.at("scenario"), "vol");
    EXPECT_EQ(row.at("policy"), pol["name"].get<std::string>());
    EXPECT_EQ(std::stod(row.at("pnl_mean")), pol["pnl_mean"].get<double>());
    EXPECT_EQ(std::stod(row.at("pnl_std")), pol["pnl_std"].get<double>());
    EXPECT_EQ(std::stod(row.at("var_99")), pol["pnl_var_99"].get<double>());
    EXPECT_EQ(std::stod(row.at("es_99")), pol["pnl_es_99"].get<double>());
    EXPECT_EQ(std::stod(row.at("cost_mean")), pol["cost_mean"].get<double>());
  }
  // And the task's stored effective config, run as it is, gives the same numbers again.
  const PackPlan plan = load_pack(p.string());
  write(dir() / "equal" / "effective.yaml", plan.tasks[1].spec.config_text);
  const auto again = run_hedgesim("run " + quote(dir() / "equal" / "effective.yaml") + " --json", dir() / "equal" / "err3.txt");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["policies"][2]["pnl_es_99"], j["policies"][2]["pnl_es_99"]);
}

TEST(PackCli, TasksAndMergeEqualOneRunAndMissingTasksAreNamed) {
  const fs::path p = make_pack("array", kShockPack);
  const fs::path one = dir() / "array" / "one", parts = dir() / "array" / "parts";
  const fs::path err = dir() / "array" / "err.txt";
  ASSERT_EQ(run_hedgesim("pack " + quote(p) + " --out-dir " + quote(one), err).code, 0);
  // Task 1 alone, then a merge: task 0 is missing.
  ASSERT_EQ(run_hedgesim("pack " + quote(p) + " --out-dir " + quote(parts) + " --task 1", err).code, 0);
  EXPECT_TRUE(fs::is_regular_file(parts / "index.parts" / "task-000001.json"));
  EXPECT_FALSE(fs::exists(parts / "index.csv"));
  auto m = run_hedgesim("pack " + quote(p) + " --out-dir " + quote(parts) + " --merge-index", err);
  EXPECT_EQ(m.code, 3);
  EXPECT_NE(m.err.find("1 of 2 task(s) missing from the index: 0"), std::string::npos) << m.err;
  auto rows = index_rows(parts / "index.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].at("status"), "missing");
  // Task 0 too: the merged index is the one run's, wall times aside.
  ASSERT_EQ(run_hedgesim("pack " + quote(p) + " --out-dir " + quote(parts) + " --task 0", err).code, 0);
  m = run_hedgesim("pack " + quote(p) + " --out-dir " + quote(parts) + " --merge-index", err);
  ASSERT_EQ(m.code, 0) << m.err;
  auto a = index_rows(one / "index.csv");
  auto b = index_rows(parts / "index.csv");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i].erase("wall_s");
    b[i].erase("wall_s");
    EXPECT_EQ(a[i], b[i]) << "row " << i;
  }
  // A fragment of another config (here: other paths) is stale, not merged.
  ASSERT_EQ(run_hedgesim("pack " + quote(p) + " --out-dir " + quote(parts) + " --task 0 --paths 200", err).code, 0);
  m = run_hedgesim("pack " + quote(p) + " --out-dir " + quote(parts) + " --merge-index", err);
  EXPECT_EQ(m.code, 3);
  EXPECT_NE(index_rows(parts / "index.csv")[0].at("message").find("stale fragment"), std::string::npos);
  // --task out of range, and exclusive modes.
  m = run_hedgesim("pack " + quote(p) + " --task 2", err);
  EXPECT_EQ(m.code, 2);
  EXPECT_NE(m.err.find("--task = '2': expected a task number from 0 to 1"), std::string::npos) << m.err;
  EXPECT_EQ(run_hedgesim("pack " + quote(p) + " --task 0 --merge-index", err).code, 2);
}

TEST(PackCli, BadOutputsFailBeforeAnyTaskAndNothingIsClobbered) {
  const fs::path p = make_pack("outputs", kShockPack);
  const fs::path out = dir() / "outputs" / "results";
  const fs::path err = dir() / "outputs" / "err.txt";
  // The second task's file is a folder: exit 2 before the first task runs.
  fs::create_directories(out / "b__shocked.h5");
  auto r = run_hedgesim("pack " + quote(p) + " --out-dir " + quote(out), err);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("b__shocked.h5"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out / "b__base.h5"));
  EXPECT_FALSE(fs::exists(out / "index.csv"));
  fs::remove(out / "b__shocked.h5");
  // The output folder is a file.
  write(dir() / "outputs" / "afile", "keep me\n");
  r = run_hedgesim("pack " + quote(p) + " --out-dir " + quote(dir() / "outputs" / "afile"), err);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(read(dir() / "outputs" / "afile"), "keep me\n");
  // A runtime failure (the CUDA backend in a CPU-only build) fails its task only: exit 3, the index
  // says which and why, the other task's file and rows are there, and no temporary file is left.
  const fs::path fp = make_pack("runtime", R"(books: [{name: b, config: base.yaml}]
scenarios:
  - {name: base}
  - {name: gpu, shocks: {simulation.backend: cuda}}
)");
  const fs::path rout = dir() / "runtime" / "results";
  r = run_hedgesim("pack " + quote(fp) + " --out-dir " + quote(rout), err);
  if (r.code == 0) GTEST_SKIP() << "this build runs the CUDA backend: no runtime failure to provoke";
  EXPECT_EQ(r.code, 3) << r.err;
  const auto rows = index_rows(rout / "index.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].at("status"), "ok");
  EXPECT_EQ(rows[3].at("status"), "failed");
  EXPECT_NE(rows[3].at("message").find("cuda"), std::string::npos) << rows[3].at("message");
  EXPECT_TRUE(rows[3].at("file").empty());
  EXPECT_TRUE(fs::is_regular_file(rout / "b__base.h5"));
  EXPECT_FALSE(fs::exists(rout / "b__gpu.h5"));
  for (const auto& e : fs::directory_iterator(rout))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(PackCli, TheShippedPackRuns) {
  const fs::path out = dir() / "shipped";
  const auto r = run_hedgesim("pack " HEDGESIM_SOURCE_DIR "/configs/packs/nightly_btc.yaml --paths 200 --out-dir " + quote(out),
                              dir() / "shipped_err.txt");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = index_rows(out / "index.csv");
  std::set<std::string> tasks;
  for (const auto& row : rows) {
    EXPECT_EQ(row.at("status"), "ok");
    tasks.insert(row.at("book") + "/" + row.at("scenario"));
  }
  EXPECT_EQ(tasks.size(), 10u);
  EXPECT_TRUE(tasks.contains("btc_calls/funding_spike"));
  EXPECT_TRUE(tasks.contains("eth_vault/gas_spike"));
  EXPECT_FALSE(tasks.contains("eth_vault/funding_spike"));
}
