#pragma once
// Loading and validating a run's YAML config (DESIGN.md §4) into a RunSpec. Every problem is thrown
// as hedgesim::InputError (exit code 2) with one message naming the key path, the value, what is
// allowed and, for YAML input, the 1-based line: "book[2].strike = -5 at line 14: must be > 0".
// Book elements are numbered from 0, as in the YAML sequence.
//
// Accepted keys (anything else is an error with the nearest valid key suggested):
//   simulation: paths (required), steps_per_day (default 24), horizon_days (default: last expiry),
//               seed (default 0), backend (auto|cpu|cuda), precision (float32|float64),
//               measure (physical|risk_neutral), threads (0 to 1024, default 0 = all cores)
//   model:      type (gbm|heston|bates|svcj) and spot required; rate, dividend, drift (default 0);
//               gbm: vol; heston, bates, svcj: v0, kappa, theta, xi, rho, scheme (qe|euler);
//               bates, svcj: jump_intensity, jump_mean, jump_stdev; svcj: var_jump_mean, jump_rho.
//               A key of another model type is an error, never silently ignored.
//   book:       non-empty list of {type: call|put, strike, expiry_days, quantity (default 1),
//               settlement: linear|inverse (default linear)}
// Sections of the `run` command (all optional for `price`; parsed and checked whenever present):
//   hedge:      instrument (spot|perpetual, default perpetual), delta (implied|instantaneous|model,
//               default implied; model = the model's own delta, tabulated from the closed form, and
//               not combinable with leland for the Heston family), implied_vol (> 0; only with delta implied, and required there as soon as a
//               policy other than none exists), funding (perpetual only): {rate (finite, per year,
//               longs pay; default 0), stochastic (true|false, default false), kappa (> 0), sigma (>= 0),
//               rho ([-1, 1]) — kappa, sigma and rho are required with stochastic: true, errors without}
//   costs:      fee_bps (>= 0 and < 10000, default 0), fixed_per_trade (>= 0 USD, default 0),
//               failure_probability ([0, 1), default 0; 1 would never trade: an error),
//               gas (on-chain rebalancing; left out: no gas): {units (> 0, required), price_gwei (> 0,
//               required: the long-run and initial gas price), eth_price_usd (>= 0, default 0 = the
//               underlying is ETH, so gas is converted at the path's simulated spot), kappa, sigma,
//               return_sensitivity (each >= 0, default 0)} — kappa must be > 0 when sigma or
//               return_sensitivity is > 0 (else ln gas is a random walk / only ever rises), and
//               kappa x dt <= 1 (kappa is per year),
//               slippage (left out: none): {model (none|linear|sqrt|amm, required), coefficient (>= 0;
//               required for linear and sqrt, an error for amm and none), depth_usd (> 0; required for
//               sqrt and amm, an error for linear and none)}
//   policies:   list (1 to 32) of {name (required, unique, 1-64 of A-Z a-z 0-9 _ . -, not
//               . or ..: it names the HDF5 group), type (required: a policy registered in
//               hedging/policy.hpp, e.g. time or delta_band), leland (true|false, default false; any
//               type but none; needs costs.fee_bps > 0)} and the
//               type's own keys, which its header in hedging/policies/ lists with their defaults and
//               ranges (docs/hedging.md has the table). Keys of another type are errors; every
//               every_hours / max_hours must be a whole number (>= 1) of time steps: hours x
//               steps_per_day / 24 within 1e-9 relative.
//   backtest:   (the backtest command; optional otherwise) prices, funding, gas (file paths; --prices,
//               --funding, --gas override), stride_hours (whole hours >= 1, default 24), start, end
//               (UTC dates or times with Z/offset; end > start), vol (implied|realized, default implied),
//               realized_window_hours (whole hours >= 2, default 720; only with vol realized),
//               on_bad_data (fail|skip, default fail), naive_utc_offset_hours (multiple of 0.25 in
//               [-14, 14]; without it a timestamp with no offset is an error), model_check (true|false,
//               default true)
//   output:     file (HDF5 results; default empty = none), per_path (true|false, default false),
//               histogram_bins (1 to 100000, default 100), sample_paths (0 to 1000, default 10:
//               spot and variance of the first paths at every step, for plots)
//   optimise:   (the optimise command; docs/optimise.md) families (required, non-empty list of {name, type
//               (a policy type with optimiser parameters), parameters: {NAME: value | [min,
//               max]} with at least one [min, max] (each policy header names its parameters), width_per_gamma,
//               rebalance_to, leland}), objective {risk (std|variance|var|es|entropic, default std), level
//               (var/es, (0.5, 1), default 0.95), risk_aversion (entropic, > 0, required there), lambda (>= 0,
//               default 1) or cost_budget (> 0 USD)}, frontier {lambdas: [...] or budgets: [...]}, search
//               {max_evaluations (1 to 1e6, default 300), tolerance ((0, 1), default 1e-3), population (0 =
//               automatic, or 2 to 32), seed}, out_of_sample {seed (default simulation.seed + 1), paths
//               (>= 100, default simulation.paths)}.
// Plausible ranges: every real-valued key above also has one, in the table kKeyRanges of
// config_ranges.hpp (the one place they are written, with unit and reason), checked after the key's
// own rule: e.g. spot (0, 1e9] USD, rate and dividend [-1, 1] per year, drift [-10, 10], vol and
// implied_vol (0, 10], v0/theta/var_jump_mean up to 100, kappa (0, 1000] per year, xi (0, 100],
// jump_intensity [0, 1000] per year, jump_mean [-5, 5], jump_stdev [0, 5], strike [0.001, 1000] x
// spot, expiry_days and horizon_days (0, 3650], |quantity| <= 1e7, funding rate [-10, 10] per year,
// gas units (0, 1e8], price_gwei (0, 1e6], steps_per_day (0, 86400]. Outside: "KEY = VALUE at line N:
// must be in (LO, HI] UNIT (REASON)", exit 2.
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

/// The most CPU threads simulation.threads (and --threads) accepts.
constexpr unsigned kMaxThreads = 1024;

/// Command-line values of simulation keys (--paths, --seed, --threads), as typed.
struct SimulationOverrides {
  std::optional<std::string> paths, seed, threads;
};

/// Sets the given keys by the rules the config file's keys follow (the same parsing, range and
/// expectation text), so a flag can never mean something its key would refuse: InputError naming the
/// flag otherwise, e.g. "--paths = '-5': expected an integer > 0". Call validate() afterwards.
void apply_overrides(SimulationSpec& sim, const SimulationOverrides& overrides);

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
/// validate() plus the rules of the `optimise` command: an optimise section with at least one family.
void validate_for_optimise(const RunSpec& spec);

/// The candidate closest to `word` when it is a plausible typo of it (the "did you mean" of config keys,
/// enum values, commands and flags), or nullopt.
std::optional<std::string_view> nearest_name(std::string_view word, std::span<const std::string_view> candidates);

/// Inverse of to_string() in spec.hpp: the enumerator spelled `text`, or nullopt. Explicitly
/// instantiated for ModelType, VarianceScheme, Measure, Precision, BackendKind, OptionType,
/// Settlement, HedgeInstrument, DeltaSource, PolicyType, RebalanceTo, SlippageModel and RiskMeasure.
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
