#pragma once
// Loading and validating a run's YAML config (DESIGN.md §4) into a RunSpec. Every problem is thrown
// as hedgesim::InputError (exit code 2) with one message naming the key path, the value, what is
// allowed and, for YAML input, the 1-based line: "book[2].strike = -5 at line 14: must be > 0".
// Book elements are numbered from 0, as in the YAML sequence.
//
// Accepted keys (anything else is an error with the nearest valid key suggested):
//   simulation: paths (required), steps_per_day (default 24), horizon_days (default: last expiry),
//               seed (default 0), backend (auto|cpu|cuda), precision (float32|float64),
//               measure (physical|risk_neutral), threads (default 0 = all cores)
//   model:      type (gbm|heston|bates|svcj) and spot required; rate, dividend, drift (default 0);
//               gbm: vol; heston, bates, svcj: v0, kappa, theta, xi, rho, scheme (qe|euler);
//               bates, svcj: jump_intensity, jump_mean, jump_stdev; svcj: var_jump_mean, jump_rho.
//               A key of another model type is an error, never silently ignored.
//   book:       non-empty list of {type: call|put, strike, expiry_days, quantity (default 1),
//               settlement: linear|inverse (default linear)}
#include <optional>
#include <string>
#include <string_view>

#include "hedgesim/spec.hpp"

namespace hedgesim {

/// Parses YAML text and validates it. `source_name` (a path, or e.g. "<string>") prefixes every
/// message. The text is kept in RunSpec::config_text; config_path is set to `source_name`.
RunSpec parse_config(const std::string& yaml_text, const std::string& source_name);

/// Reads the file at `path` (InputError naming it if missing or unreadable) and parses it.
RunSpec load_config(const std::string& path);

/// The semantic checks (ranges, the time grid, model consistency). parse_config runs them with line
/// numbers; call again after command-line flags change values — messages then name the key only.
void validate(const RunSpec& spec);

/// Inverse of to_string() in spec.hpp: the enumerator spelled `text`, or nullopt. Explicitly
/// instantiated for ModelType, VarianceScheme, Measure, Precision, BackendKind, OptionType and
/// Settlement.
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
