// The public API of config.hpp: YAML config → RunSpec (docs/config.md) in two stages, parsing
// (parser.cpp and one file per section, driven by the key tables of schema.hpp) and validation
// (the same files, against the plain RunSpec so the CLI can re-run it after flags override values;
// parse_config hands validation the line of each key). Every failure is one InputError naming key
// path, value, expectation and line.
#include "hedgesim/config.hpp"

#include <utility>

#include <yaml-cpp/yaml.h>

#include "hedgesim/io/input_file.hpp"
#include "hedgesim/io/yaml_load.hpp"
#include "parser.hpp"

namespace hedgesim {
namespace config {

void validate_with(const RunSpec& spec, const KeyLines* where) {
  const Reporter r(where);
  validate_simulation(r, spec.simulation);
  validate_model(r, spec.model);
  validate_book(r, spec.book, spec.model.spot);
  validate_grid(r, spec);
  validate_hedge(r, spec);
  validate_order_flow(r, spec);
  validate_costs(r, spec);
  validate_policies(r, spec);
  validate_output(r, spec.output);
  validate_backtest(r, spec.backtest);
}

namespace {

/// The checks only `run` needs, after validate_with: something to compare, somewhere to write.
void validate_run_only(const RunSpec& spec) {
  const Reporter r(nullptr);
  if (spec.policies.empty()) {
    r.fail_message(
        "section 'policies' is required by the run command: list at least one hedging policy, e.g. "
        "policies: [{name: hourly, type: time, every_hours: 1}]");
  }
  if (spec.output.per_path && spec.output.file.empty()) {
    r.fail("output.per_path", "true",
           "per-path datasets are written to the HDF5 results file, but no output.file (or --out FILE) is given");
  }
}

}  // namespace
}  // namespace config

using namespace config;

RunSpec parse_config(const std::string& yaml_text, const std::string& source_name) {
  return Parser(source_name).parse(yaml_text);
}

RunSpec load_config(const std::string& path) {
  return parse_config(read_input_file(path, "config file", kConfigFileCap), path);
}

std::string effective_config_text(const RunSpec& spec) {
  const std::vector<YAML::Node> docs = load_all_documents(spec.config_text);
  YAML::Node root = !docs.empty() && docs.front().IsMap() ? YAML::Clone(docs.front()) : YAML::Node(YAML::NodeType::Map);
  YAML::Node sim = root["simulation"];
  sim["paths"] = spec.simulation.paths;
  sim["seed"] = spec.simulation.seed;
  sim["threads"] = spec.simulation.threads;
  sim["backend"] = std::string(to_string(spec.simulation.backend));
  sim["precision"] = std::string(to_string(spec.simulation.precision));
  if (!spec.output.file.empty()) root["output"]["file"] = spec.output.file;
  const BacktestSpec& b = spec.backtest;
  if (root["backtest"] || !b.prices.empty()) {
    YAML::Node bt = root["backtest"];
    if (!b.prices.empty()) bt["prices"] = b.prices;
    if (!b.funding.empty()) bt["funding"] = b.funding;
    if (!b.gas.empty()) bt["gas"] = b.gas;
    bt["on_bad_data"] = std::string(to_string(b.on_bad_data));
    bt["model_check"] = b.model_check;
  }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

void record_provenance(RunSpec& spec, std::string command_line) {
  spec.effective_config = effective_config_text(spec);
  spec.command_line = std::move(command_line);
}

void apply_backtest_overrides(BacktestSpec& b, const BacktestOverrides& o, std::string_view on_bad_data_name) {
  if (o.prices) b.prices = *o.prices;
  if (o.funding) b.funding = *o.funding;
  if (o.gas) b.gas = *o.gas;
  if (o.on_bad_data) b.on_bad_data = parse_enum<BadData>(*o.on_bad_data, on_bad_data_name);
  if (o.no_model_check) b.model_check = false;
}

void apply_overrides(SimulationSpec& sim, const SimulationOverrides& o, std::string_view prefix) {
  // The config key's own expectation and limit (schema.hpp), so a flag accepts what its key accepts.
  const auto value = [&](std::string_view name, const std::string& text) {
    const Key<SimulationSpec>& k = key_named<SimulationSpec>(kSimulationKeys, name);
    std::uint64_t x = 0;
    if (parse_uint64(text, x) != ScalarStatus::ok || x > k.max) {
      throw InputError(std::string(prefix) + std::string(name) + " = '" + text + "': expected " + std::string(k.expected));
    }
    return x;
  };
  if (o.paths) {
    sim.paths = value("paths", *o.paths);
    // Refused here, by the flag's name: validation would blame simulation.paths, which the file may not set.
    const std::string named = std::string(prefix) + "paths = '" + *o.paths + "': ";
    if (sim.paths == 0) throw InputError(named + "expected " + std::string(kPathsExpected));
    if (sim.paths == 1) throw InputError(named + std::string(kPathsTwo));
  }
  if (o.seed) sim.seed = value("seed", *o.seed);
  if (o.threads) sim.threads = static_cast<unsigned>(value("threads", *o.threads));
}

void apply_run_overrides(RunSpec& spec, const RunOverrides& o, std::string_view prefix) {
  apply_overrides(spec.simulation, o.simulation, prefix);
  if (o.out) {
    // An empty out would otherwise mean "no file" and be ignored in silence.
    if (o.out->empty())
      throw InputError(std::string(prefix) + "out = '': expected the path of the HDF5 results file");
    spec.output.file = *o.out;
  }
  if (o.backend) spec.simulation.backend = parse_enum<BackendKind>(*o.backend, std::string(prefix) + "backend");
  if (o.precision) spec.simulation.precision = parse_enum<Precision>(*o.precision, std::string(prefix) + "precision");
  validate(spec);
}

void validate(const RunSpec& spec) { validate_with(spec, nullptr); }

void validate_for_price(const RunSpec& spec) {
  validate_with(spec, nullptr);
  const Reporter r(nullptr);
  for (std::size_t i = 0; i < spec.book.size(); ++i) {
    if (spec.book[i].style != OptionStyle::everlasting) continue;
    r.fail("book[" + std::to_string(i) + "].type", to_string(book_type(spec.book[i])),
           "hedgesim price compares European payoffs at expiry with their closed forms, and an everlasting option "
           "has no expiry: hedge it with hedgesim run (its closed form is checked against a Monte Carlo of its "
           "funding by tests/test_everlasting.cpp)");
  }
}

void validate_for_run(const RunSpec& spec) {
  validate_with(spec, nullptr);
  validate_run_only(spec);
}

}  // namespace hedgesim
