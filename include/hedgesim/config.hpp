#pragma once
// Loading and validating a run's YAML config (docs/config.md) into a RunSpec. Every problem is thrown
// as hedgesim::InputError (exit code 2) with one message naming the key path, the value, what is
// allowed and, for YAML input, the 1-based line: "book[2].strike = -5 at line 14: must be > 0".
// Book elements are numbered from 0, as in the YAML sequence.
//
// Accepted keys (anything else is an error with the nearest valid key suggested), their values,
// defaults and plausible ranges: docs/config.md, generated from the key tables of
// src/config/schema.hpp, the policy headers and config_ranges.hpp (`hedgesim list keys`). Sections
// simulation, model and book are required; hedge, costs, policies, output, backtest and optimise are
// parsed and checked whenever present. A key of another variant (model type, slippage model, policy
// type, funding not stochastic) is an error, never silently ignored. Rules between keys, checked by
// the validation stage: every expiry, the horizon and each policy's every_hours / max_hours are whole
// numbers (>= 1) of time steps (days or hours x steps_per_day within 1e-9 relative); hedge.implied_vol
// only with delta implied, and required there as soon as a policy other than none exists; funding
// only for a perpetual hedge; costs.gas.kappa > 0 when sigma or return_sensitivity is > 0, and
// kappa x dt <= 1; leland needs costs.fee_bps > 0; backtest.end > start. Outside a range:
// "KEY = VALUE at line N: must be in (LO, HI] UNIT (REASON)", exit 2.
// Booleans are YAML 1.2's true/false only (yes/no/on/off are rejected).
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hedgesim/spec.hpp"

namespace hedgesim {

/// Parses YAML text and validates it. `source_name` (a path, or e.g. "<string>") prefixes every
/// message. The text is kept in RunSpec::config_text; config_path is set to `source_name`.
RunSpec parse_config(const std::string& yaml_text, const std::string& source_name);

/// Reads the file at `path` (read_input_file: InputError naming it if missing, unreadable, not a
/// regular file or pipe, or over kConfigFileCap) and parses it.
RunSpec load_config(const std::string& path);

/// The config as it ran: spec.config_text's document with the keys command-line flags can set
/// (simulation paths, seed, threads, backend and precision; output.file; the backtest's data files,
/// on_bad_data and model_check) written as `spec` holds them, re-emitted as YAML (comments are not
/// kept). parse_config of it gives the same values; outputs store it beside the text as given.
std::string effective_config_text(const RunSpec& spec);

/// Records how a run was asked for, for the provenance of its results files (the root attributes
/// `effective_config` and `command_line`, docs/hdf5.md): spec.effective_config = effective_config_text
/// of `spec` as it is now, spec.command_line = `command_line`. Call it once every override is applied:
/// the CLI with the command as typed (and the pack for each task), the Python package with the call as
/// Python text, e.g. "hedgesim.run('cfg.yaml', paths=1000, seed=7)".
void record_provenance(RunSpec& spec, std::string command_line);

/// The most CPU threads simulation.threads (and --threads) accepts.
constexpr unsigned kMaxThreads = 1024;

/// Command-line values of simulation keys (--paths, --seed, --threads), as typed.
struct SimulationOverrides {
  std::optional<std::string> paths, seed, threads;
};

/// Sets the given keys by the rules the config file's keys follow (the same parsing, range and
/// expectation text), so a flag can never mean something its key would refuse: InputError naming the
/// value as `prefix` + its name otherwise, e.g. "--paths = '-5': expected an integer > 0" (the CLI's
/// "--"; the Python package's keyword arguments have none). Call validate() afterwards.
void apply_overrides(SimulationSpec& sim, const SimulationOverrides& overrides, std::string_view prefix = "--");

/// Values of a run's keys given outside its config, as typed: the CLI's --paths, --seed, --threads,
/// --backend, --precision and --out, the Python package's keyword arguments of the same names.
struct RunOverrides {
  SimulationOverrides simulation;
  std::optional<std::string> backend, precision, out;
};

/// Applies `overrides` to `spec` by the config keys' own rules (apply_overrides; an empty `out` is
/// refused, not read as "no file"), then validate(). Messages name each value as `prefix` + its name.
void apply_run_overrides(RunSpec& spec, const RunOverrides& overrides, std::string_view prefix = "--");

/// Values of the backtest's keys given outside the config (the CLI's --prices, --funding, --gas,
/// --on-bad-data, --no-model-check; the Python package's keyword arguments).
struct BacktestOverrides {
  std::optional<std::string> prices, funding, gas, on_bad_data;
  bool no_model_check = false;
};

/// Sets the given backtest keys; a bad on_bad_data is an InputError naming `on_bad_data_name` (the flag
/// or argument as the caller spells it). Call validate_for_backtest() afterwards.
void apply_backtest_overrides(BacktestSpec& backtest, const BacktestOverrides& overrides,
                              std::string_view on_bad_data_name);

/// The largest output.histogram_bins.
constexpr unsigned kMaxHistogramBins = 100000;
/// The largest output.sample_paths.
constexpr unsigned kMaxSamplePaths = 1000;

/// The semantic checks (ranges, the time grid, model consistency, and the hedge, costs, policies and
/// output rules above, which hold for whatever policies there are — none is fine, as for `price`).
/// parse_config runs them with line numbers; call again after command-line flags change values —
/// messages then name the key only.
void validate(const RunSpec& spec);

/// validate() plus the rules of the `run` command: at least one policy, and output.per_path only
/// with an output file (output.file or --out). Call it after the flags are applied.
void validate_for_run(const RunSpec& spec);

/// validate_for_run() plus the rules of the `backtest` command: a price file, hourly steps
/// (steps_per_day 24), hedge.delta implied or instantaneous, no stochastic funding or gas (history
/// supplies them: backtest.funding and backtest.gas), funding only for a perpetual hedge, and a gas
/// series only with costs.gas. Call it after the flags are applied.
void validate_for_backtest(const RunSpec& spec);
/// validate() plus the rule of the `price` command: every book option is European (price compares each
/// option's Monte Carlo payoff with its closed form; an everlasting option's closed form is checked
/// against a Monte Carlo of its funding by tests/test_everlasting.cpp).
void validate_for_price(const RunSpec& spec);
/// validate() plus the rules of the `optimise` command: an optimise section with at least one family.
void validate_for_optimise(const RunSpec& spec);

/// The candidate closest to `word` when it is a plausible typo of it (the "did you mean" of config keys,
/// enum values, commands and flags), or nullopt.
std::optional<std::string_view> nearest_name(std::string_view word, std::span<const std::string_view> candidates);

/// The key reference as Markdown, from the key tables (docs/config.md is `section` "keys"): "models",
/// "policies" or "costs" for one part (`hedgesim list TOPIC`); InputError for another name.
std::string config_reference(std::string_view section);

/// Inverse of to_string() in spec.hpp: the enumerator spelled `text`, or nullopt. Explicitly
/// instantiated for ModelType, VarianceScheme, Measure, Precision, BackendKind, OptionType,
/// Settlement, HedgeInstrument, DeltaSource, MarkSource, InverseDelta, PolicyType, RebalanceTo, SlippageModel and RiskMeasure.
template <class Enum>
std::optional<Enum> enum_from_string(std::string_view text);

/// As enum_from_string, but throws InputError "KEY = 'TEXT': expected one of a, b, c" (with a
/// did-you-mean hint when one name is close), e.g. parse_enum<BackendKind>(flag, "--backend").
template <class Enum>
Enum parse_enum(std::string_view text, std::string_view key);

/// Comma-separated list of the accepted spellings, for help texts: "auto, cpu, cuda".
template <class Enum>
std::string enum_names();

}  // namespace hedgesim
