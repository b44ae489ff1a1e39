// YAML config → RunSpec (DESIGN.md §4), in two stages:
//  1. parsing: the shape of the document (sections, known keys, value types, required keys, keys of
//     another model type), with yaml-cpp's marks for line numbers;
//  2. validation: value ranges and cross-key rules (the uniform time grid, jump rates), written once
//     against the plain RunSpec so the CLI can re-run it after flags override values. parse_config
//     hands validation the line of each key; a RunSpec changed in code gets messages without lines.
// Every failure is one InputError naming key path, value, expectation and line.
#include "hedgesim/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "hedgesim/backtest/utc_time.hpp"
#include "hedgesim/config_ranges.hpp"
#include "hedgesim/engine/grid.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/hedging/policy.hpp"
#include "hedgesim/io/input_file.hpp"
#include "hedgesim/io/yaml_load.hpp"
#include "hedgesim/optimise/parameters.hpp"

namespace hedgesim {
namespace {

// ───────────────────────────── small text helpers ─────────────────────────────

/// Shortest text that reads back as `x`; whole numbers without an exponent (65000, not 6.5e+04).
std::string format_number(double x) {
  if (std::isfinite(x) && x == std::trunc(x) && std::fabs(x) < 1e15) {
    return std::to_string(static_cast<long long>(x));
  }
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x);
  return std::string(buf.data(), res.ptr);
}

/// A derived quantity (a step count, a rate per step) for reading, not for copying back: 10
/// significant digits, so 7.9999991999999995 shows as 7.9999992.
std::string format_derived(double x) {
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x, std::chars_format::general, 10);
  return std::string(buf.data(), res.ptr);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent
/// transpositions ("kapa", "kpapa" → "kappa" are one edit away).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

/// The candidate closest to `word`, if close enough to be a plausible typo. Names of three letters or
/// fewer are only matched up to case: one edit turns "gpu" into "cpu", which would mislead.
std::optional<std::string_view> nearest(std::string_view word, std::span<const std::string_view> candidates) {
  std::optional<std::string_view> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  const std::string w = lower(word);
  for (std::string_view c : candidates) {
    const std::size_t allowed = c.size() <= 3 ? 0 : std::max<std::size_t>(1, c.size() / 3);
    const std::size_t dist = edit_distance(w, lower(c));
    if (dist <= allowed && dist < best_distance) {
      best = c;
      best_distance = dist;
    }
  }
  return best;
}

std::string join(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// ───────────────────────────── enum spellings ─────────────────────────────

template <class E>
struct AllValues;
template <>
struct AllValues<ModelType> {
  static constexpr ModelType v[] = {ModelType::gbm, ModelType::heston, ModelType::bates, ModelType::svcj};
};
template <>
struct AllValues<VarianceScheme> {
  static constexpr VarianceScheme v[] = {VarianceScheme::qe, VarianceScheme::euler};
};
template <>
struct AllValues<Measure> {
  static constexpr Measure v[] = {Measure::physical, Measure::risk_neutral};
};
template <>
struct AllValues<Precision> {
  static constexpr Precision v[] = {Precision::float32, Precision::float64};
};
template <>
struct AllValues<BackendKind> {
  static constexpr BackendKind v[] = {BackendKind::automatic, BackendKind::cpu, BackendKind::cuda};
};
template <>
struct AllValues<OptionType> {
  static constexpr OptionType v[] = {OptionType::call, OptionType::put};
};
template <>
struct AllValues<Settlement> {
  static constexpr Settlement v[] = {Settlement::linear, Settlement::inverse};
};
template <>
struct AllValues<HedgeInstrument> {
  static constexpr HedgeInstrument v[] = {HedgeInstrument::spot, HedgeInstrument::perpetual};
};
template <>
struct AllValues<DeltaSource> {
  static constexpr DeltaSource v[] = {DeltaSource::implied, DeltaSource::instantaneous, DeltaSource::model};
};
template <>
struct AllValues<PolicyType> {
  static constexpr const auto& v = kPolicyTypes;  // the registry's order (hedging/policy.hpp)
};
template <>
struct AllValues<RiskMeasure> {
  static constexpr RiskMeasure v[] = {RiskMeasure::stdev, RiskMeasure::variance, RiskMeasure::var, RiskMeasure::es,
                                      RiskMeasure::entropic};
};
template <>
struct AllValues<RebalanceTo> {
  static constexpr RebalanceTo v[] = {RebalanceTo::center, RebalanceTo::edge};
};
template <>
struct AllValues<SlippageModel> {
  static constexpr SlippageModel v[] = {SlippageModel::none, SlippageModel::linear, SlippageModel::sqrt,
                                        SlippageModel::amm};
};

template <>
struct AllValues<BacktestVol> {
  static constexpr BacktestVol v[] = {BacktestVol::implied, BacktestVol::realized};
};
template <>
struct AllValues<BadData> {
  static constexpr BadData v[] = {BadData::fail, BadData::skip};
};

template <class E>
std::vector<std::string_view> names_of() {
  std::vector<std::string_view> out;
  for (E e : AllValues<E>::v) out.emplace_back(to_string(e));
  return out;
}

/// "one of auto, cpu, cuda; did you mean 'cuda'?" for a spelling that matched nothing.
template <class E>
std::string enum_expectation(std::string_view text) {
  const auto names = names_of<E>();
  std::string msg = "one of " + join(names);
  if (const auto hint = nearest(text, names)) msg += "; did you mean '" + std::string(*hint) + "'?";
  return msg;
}

// ───────────────────────────── scalar parsing ─────────────────────────────

enum class ScalarStatus { ok, not_a_number, not_finite, out_of_range };

/// YAML 1.2 core-schema decimals (an optional sign, digits, fraction, exponent). `.inf`/`.nan` and
/// overflowing literals are reported as not finite so the message can say so.
ScalarStatus parse_double(std::string_view text, double& out) {
  std::string_view t = text;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  const std::string l = lower(t);
  if (l == ".inf" || l == "-.inf" || l == ".nan") return ScalarStatus::not_finite;
  if (t.empty()) return ScalarStatus::not_a_number;
  const auto res = std::from_chars(t.data(), t.data() + t.size(), out, std::chars_format::general);
  if (res.ec == std::errc::result_out_of_range) return ScalarStatus::out_of_range;
  if (res.ec != std::errc() || res.ptr != t.data() + t.size()) return ScalarStatus::not_a_number;
  if (!std::isfinite(out)) return ScalarStatus::not_finite;
  return ScalarStatus::ok;
}

/// Unsigned integers, exactly: digits (up to 2^64 − 1), or a number such as 1e6 whose value is a
/// whole number that a double represents exactly (≤ 2^53). Negative values are out of range.
ScalarStatus parse_uint64(std::string_view text, std::uint64_t& out) {
  std::string_view t = text;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (!t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const auto res = std::from_chars(t.data(), t.data() + t.size(), out);
    return res.ec == std::errc() ? ScalarStatus::ok : ScalarStatus::out_of_range;
  }
  double x = 0.0;
  const ScalarStatus s = parse_double(text, x);
  if (s != ScalarStatus::ok) return s;
  if (x < 0.0 || x > 9007199254740992.0) return ScalarStatus::out_of_range;
  if (x != std::trunc(x)) return ScalarStatus::not_a_number;
  out = static_cast<std::uint64_t>(x);
  return ScalarStatus::ok;
}

/// An unsigned integer key and what it accepts: one text for the config file and its command-line flag.
struct IntegerKey {
  std::string_view expected;
  std::uint64_t max;
};
constexpr std::string_view kPathsTwo = "must be >= 2 (the P&L's standard deviation and standard error need two paths)";
constexpr IntegerKey kPathsKey{"an integer > 0", std::numeric_limits<std::uint64_t>::max()};
constexpr IntegerKey kSeedKey{"an unsigned 64-bit integer (0 to 18446744073709551615)",
                              std::numeric_limits<std::uint64_t>::max()};
constexpr IntegerKey kThreadsKey{"an integer from 0 to 1024 (0: all cores)", kMaxThreads};

// ───────────────────────────── locations ─────────────────────────────

/// Where each key path ("simulation.paths", "book[2].strike") was written, for messages.
struct KeyLines {
  std::string source;
  std::map<std::string, int, std::less<>> line;
};

/// Formats and throws the messages of the validation stage: "[source: ]key = value[ at line N]: what".
class Reporter {
 public:
  explicit Reporter(const KeyLines* where) : where_(where) {}

  [[noreturn]] void fail(const std::string& key, const std::string& value, const std::string& what) const {
    throw InputError(prefix() + key + " = " + value + at(key) + ": " + what);
  }
  [[noreturn]] void fail(const std::string& key, double value, const std::string& what) const {
    fail(key, format_number(value), what);
  }
  [[noreturn]] void fail_key(const std::string& key, const std::string& what) const {
    throw InputError(prefix() + key + at(key) + ": " + what);
  }
  /// "KEY is required (CONTEXT at line N): WHAT", CONTEXT being the first of `context` whose line is
  /// known (none: no parenthesis).
  [[noreturn]] void fail_missing(const std::string& key, std::initializer_list<std::string> context,
                                 const std::string& what) const {
    std::string where;
    for (const std::string& c : context) {
      if (const std::string a = at(c); !a.empty()) {
        where = " (" + c + a + ")";
        break;
      }
    }
    throw InputError(prefix() + key + " is required" + where + ": " + what);
  }
  [[noreturn]] void fail_message(const std::string& what) const { throw InputError(prefix() + what); }

  /// Whether messages carry lines (parse_config), i.e. whether a key without one was left out.
  bool located() const { return where_ != nullptr; }

  /// " at line N" where `key` was written, or "" (no lines, or a key not written in the YAML).
  std::string at(const std::string& key) const {
    if (!where_) return "";
    const auto it = where_->line.find(key);
    return it == where_->line.end() ? "" : " at line " + std::to_string(it->second);
  }

 private:
  std::string prefix() const { return where_ && !where_->source.empty() ? where_->source + ": " : ""; }
  const KeyLines* where_;
};

// ───────────────────────────── validation stage ─────────────────────────────

constexpr double kMaxJumpsPerStep = 50.0;  // the range of the per-step Poisson sampler
// One step a second: finer grids are not useful (simulation.steps_per_day's plausible range).
constexpr int kMaxSuggestedStepsPerDay = static_cast<int>(key_range("simulation.steps_per_day").hi);

void require_finite(const Reporter& r, const std::string& key, double x) {
  if (!std::isfinite(x)) r.fail(key, x, "must be a finite number");
}
void require_positive(const Reporter& r, const std::string& key, double x) {
  if (!std::isfinite(x) || !(x > 0.0)) r.fail(key, x, "must be > 0");
}
void require_non_negative(const Reporter& r, const std::string& key, double x) {
  if (!std::isfinite(x) || !(x >= 0.0)) r.fail(key, x, "must be >= 0");
}

/// "(0, 1000] per year" (`spot`: the reference of bounds that are multiples of model.spot).
std::string range_text(const KeyRange& k, double spot) {
  const auto interval = [&](double lo, double hi) {
    return (k.lo_open ? "(" : "[") + format_number(lo) + ", " + format_number(hi) + (k.hi_open ? ")" : "]");
  };
  std::string out = interval(k.lo, k.hi);
  if (!k.unit.empty()) out += " " + std::string(k.unit);
  if (k.times_spot) out += " = " + interval(k.lo * spot, k.hi * spot);
  return out;
}

/// The plausible range of `name` in kKeyRanges (config_ranges.hpp), reported under key path `key`
/// ("book[2].strike" for "book[i].strike"): "must be in (0, 1000] per year (REASON)". Run after the
/// key's own rules, so that their messages win where both apply.
void require_plausible(const Reporter& r, const std::string& key, std::string_view name, double x,
                       double spot = 1.0) {
  const KeyRange& k = key_range(name);
  const double scale = k.times_spot ? spot : 1.0;
  if (!((k.lo_open ? x > k.lo * scale : x >= k.lo * scale) && (k.hi_open ? x < k.hi * scale : x <= k.hi * scale))) {
    r.fail(key, x, "must be in " + range_text(k, spot) + " (" + std::string(k.reason) + ")");
  }
}
void require_plausible(const Reporter& r, const std::string& key, double x) { require_plausible(r, key, key, x); }

bool is_whole(double x) {
  return std::fabs(x - std::round(x)) <= kGridTolerance * std::max(1.0, std::fabs(x));
}

/// The smallest steps_per_day ≥ `current` that puts every one of `days` on the grid, searching
/// multiples of the dates' common denominator; nullopt if that exceeds kMaxSuggestedStepsPerDay.
std::optional<double> grid_suggestion(std::span<const double> days, double current) {
  for (int den = 1; den <= kMaxSuggestedStepsPerDay; ++den) {
    if (std::all_of(days.begin(), days.end(), [&](double d) { return is_whole(d * den); })) {
      const double multiple = std::max(1.0, std::ceil(current / den - kGridTolerance));
      return multiple * den;
    }
  }
  return std::nullopt;
}

/// Checks that `days` of key `key` is a whole number (>= 1) of steps.
void require_on_grid(const Reporter& r, const std::string& key, double days, double spd,
                     std::span<const double> all_days) {
  const double steps = days * spd;
  const std::string product = format_number(days) + " days x steps_per_day " + format_number(spd) + " = " +
                              format_derived(steps) + " steps";
  const std::string grid = "time steps are uniform, dt = 1/" + format_number(spd) + " day";
  if (steps > static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
    r.fail(key, days, product + ", more than the grid's limit of 4294967295");
  }
  if (!is_whole(steps)) {
    std::string msg = product + ", not a whole number (" + grid + ")";
    if (const auto s = grid_suggestion(all_days, spd)) {
      msg += "; steps_per_day: " + format_number(*s) + " puts every expiry and the horizon on the grid";
    } else {
      const double nearest_steps = std::max(1.0, std::round(steps));
      msg += "; no steps_per_day up to " + std::to_string(kMaxSuggestedStepsPerDay) +
             " fits every date, so give a whole number of steps, e.g. " +
             format_number(nearest_steps / spd) + " (" + format_number(nearest_steps) + " steps)";
    }
    r.fail(key, days, msg);
  }
  if (std::round(steps) < 1.0) {
    r.fail(key, days, "shorter than one time step (" + grid + ")");
  }
}

void validate_simulation(const Reporter& r, const SimulationSpec& sim) {
  if (sim.paths == 0) r.fail("simulation.paths", "0", "must be > 0");
  // One path has no standard deviation: every s.e., std and z-score would be printed and written as nan.
  if (sim.paths == 1) r.fail("simulation.paths", "1", std::string(kPathsTwo));
  require_positive(r, "simulation.steps_per_day", sim.steps_per_day);
  if (!std::isfinite(sim.horizon_days) || sim.horizon_days < 0.0) {
    r.fail("simulation.horizon_days", sim.horizon_days, "must be > 0 (or left out: the last expiry)");
  }
  require_plausible(r, "simulation.steps_per_day", sim.steps_per_day);
  if (sim.horizon_days != 0.0) require_plausible(r, "simulation.horizon_days", sim.horizon_days);
}

void validate_model(const Reporter& r, const ModelParams& m) {
  require_positive(r, "model.spot", m.spot);
  require_plausible(r, "model.spot", m.spot);
  for (const auto& [key, x] : std::initializer_list<std::pair<const char*, double>>{
           {"model.rate", m.rate}, {"model.dividend", m.dividend}, {"model.drift", m.drift}}) {
    require_finite(r, key, x);
    require_plausible(r, key, x);
  }
  if (m.type == ModelType::gbm) {
    require_positive(r, "model.vol", m.vol);
    require_plausible(r, "model.vol", m.vol);
    return;
  }
  // Heston family.
  require_non_negative(r, "model.v0", m.v0);
  require_positive(r, "model.kappa", m.kappa);
  require_positive(r, "model.theta", m.theta);
  require_positive(r, "model.xi", m.xi);
  if (!std::isfinite(m.rho) || m.rho < -1.0 || m.rho > 1.0) r.fail("model.rho", m.rho, "must be in [-1, 1]");
  require_plausible(r, "model.v0", m.v0);
  require_plausible(r, "model.kappa", m.kappa);
  require_plausible(r, "model.theta", m.theta);
  require_plausible(r, "model.xi", m.xi);
  require_plausible(r, "model.rho", m.rho);
  if (m.type == ModelType::heston) return;
  require_non_negative(r, "model.jump_intensity", m.jump_intensity);
  require_finite(r, "model.jump_mean", m.jump_mean);
  require_non_negative(r, "model.jump_stdev", m.jump_stdev);
  // model.jump_intensity's range: in validate_grid, after the per-step rule and its advice.
  require_plausible(r, "model.jump_mean", m.jump_mean);
  require_plausible(r, "model.jump_stdev", m.jump_stdev);
  if (m.type == ModelType::bates) return;
  require_non_negative(r, "model.var_jump_mean", m.var_jump_mean);
  require_finite(r, "model.jump_rho", m.jump_rho);
  // E[exp(ρ_J·Z)] for Z ~ Exp(mean μ_v) is 1/(1 − ρ_J·μ_v): the jump compensator needs ρ_J·μ_v < 1.
  if (!(m.jump_rho * m.var_jump_mean < 1.0)) {
    r.fail("model.jump_rho", m.jump_rho,
           "jump_rho x var_jump_mean = " + format_number(m.jump_rho) + " x " + format_number(m.var_jump_mean) +
               " = " + format_derived(m.jump_rho * m.var_jump_mean) +
               " must be < 1 (else the expected price jump e^J is infinite)");
  }
  require_plausible(r, "model.var_jump_mean", m.var_jump_mean);
  require_plausible(r, "model.jump_rho", m.jump_rho);
}

void validate_book(const Reporter& r, const std::vector<OptionSpec>& book, double spot) {
  if (book.empty()) r.fail_key("book", "must list at least one option");
  // Every command (price too) takes the same books, so that a book that prices also hedges.
  if (book.size() > kMaxBookOptions) {
    r.fail_key("book", "lists " + std::to_string(book.size()) + " options; at most " +
                           std::to_string(kMaxBookOptions) + " are supported (the hedging kernels' fixed book size)");
  }
  for (std::size_t i = 0; i < book.size(); ++i) {
    const std::string k = "book[" + std::to_string(i) + "].";
    require_positive(r, k + "strike", book[i].strike);
    require_positive(r, k + "expiry_days", book[i].expiry_days);
    if (!std::isfinite(book[i].quantity) || book[i].quantity == 0.0) {
      r.fail(k + "quantity", book[i].quantity, "must be a non-zero finite number (negative: short)");
    }
    require_plausible(r, k + "strike", "book[i].strike", book[i].strike, spot);
    require_plausible(r, k + "expiry_days", "book[i].expiry_days", book[i].expiry_days);
    require_plausible(r, k + "quantity", "book[i].quantity", book[i].quantity);
  }
}

/// The uniform grid: the horizon and every expiry on a step, no expiry past the horizon, and jump
/// rates the Poisson sampler can draw.
void validate_grid(const Reporter& r, const RunSpec& s) {
  const SimulationSpec& sim = s.simulation;
  const double spd = sim.steps_per_day;
  std::size_t last = 0;
  for (std::size_t i = 1; i < s.book.size(); ++i) {
    if (s.book[i].expiry_days > s.book[last].expiry_days) last = i;
  }
  std::vector<double> all_days;
  for (const OptionSpec& o : s.book) all_days.push_back(o.expiry_days);
  if (sim.horizon_days > 0.0) {
    all_days.push_back(sim.horizon_days);
    if (sim.horizon_days < s.book[last].expiry_days) {
      r.fail("simulation.horizon_days", sim.horizon_days,
             "must be >= the last expiry in the book (book[" + std::to_string(last) +
                 "].expiry_days = " + format_number(s.book[last].expiry_days) + ")");
    }
    require_on_grid(r, "simulation.horizon_days", sim.horizon_days, spd, all_days);
  }
  for (std::size_t i = 0; i < s.book.size(); ++i) {
    require_on_grid(r, "book[" + std::to_string(i) + "].expiry_days", s.book[i].expiry_days, spd, all_days);
  }

  const ModelParams& m = s.model;
  if (m.type == ModelType::bates || m.type == ModelType::svcj) {
    const double dt_years = 1.0 / (spd * kDaysPerYear);
    const double per_step = m.jump_intensity * dt_years;
    if (per_step > kMaxJumpsPerStep) {
      r.fail("model.jump_intensity", m.jump_intensity,
             "jump_intensity x dt = " + format_derived(per_step) + " expected jumps per step (dt = 1/" +
                 format_number(spd) + " day) exceeds " + format_number(kMaxJumpsPerStep) +
                 ", the Poisson sampler's range; raise simulation.steps_per_day to at least " +
                 format_number(std::ceil(m.jump_intensity / (kMaxJumpsPerStep * kDaysPerYear))) +
                 " or lower jump_intensity");
    }
    require_plausible(r, "model.jump_intensity", m.jump_intensity);
  }
}

// ───────────────────────────── hedging (the run command) ─────────────────────────────

constexpr double kMaxFeeBps = key_range("costs.fee_bps").hi;  // 100 % of the traded notional
// Policies evaluated together on every path: the engine's fixed-size arrays (kMaxPolicies in
// hedging/hedge_job.hpp, which this must not exceed).
constexpr std::size_t kMaxPolicyCount = 32;
constexpr std::size_t kMaxPolicyNameLength = 64;

/// The first policy that trades (any type but none), if any.
std::optional<std::size_t> first_hedging_policy(const std::vector<PolicySpec>& policies) {
  for (std::size_t i = 0; i < policies.size(); ++i) {
    if (policy_info(policies[i].type).trades) return i;
  }
  return std::nullopt;
}

std::string policy_path(std::size_t i) { return "policies[" + std::to_string(i) + "]"; }

void validate_hedge(const Reporter& r, const RunSpec& s) {
  const HedgeSpec& h = s.hedge;
  if (h.delta == DeltaSource::implied) {
    if (h.implied_vol != 0.0) {
      require_positive(r, "hedge.implied_vol", h.implied_vol);
      require_plausible(r, "hedge.implied_vol", h.implied_vol);
    } else if (const auto i = first_hedging_policy(s.policies)) {
      const PolicySpec& p = s.policies[*i];
      r.fail_missing("hedge.implied_vol", {"hedge", policy_path(*i)},
                     policy_path(*i) + " '" + p.name + "' (type " + to_string(p.type) +
                         ") hedges, and with hedge.delta = implied (the default) the hedge ratios are "
                         "Black-Scholes deltas at this volatility; give it (annualised, e.g. implied_vol: 0.6) "
                         "or set hedge.delta: instantaneous");
    }
  } else if (h.implied_vol != 0.0) {
    r.fail("hedge.implied_vol", h.implied_vol,
           std::string("is used only with hedge.delta = implied, not ") + to_string(h.delta) +
               " (the hedge ratios then come from the path's volatility or the model): remove it or set "
               "hedge.delta: implied");
  }

  const FundingSpec& f = h.funding;
  require_finite(r, "hedge.funding.rate", f.rate);
  require_plausible(r, "hedge.funding.rate", f.rate);
  const bool any_funding = f.rate != 0.0 || f.stochastic || f.kappa != 0.0 || f.sigma != 0.0 || f.rho != 0.0;
  if (h.instrument == HedgeInstrument::spot && any_funding) {
    r.fail_key("hedge.funding",
               "applies only to hedge.instrument = perpetual, not spot (a spot position pays no funding): "
               "remove it or set hedge.instrument: perpetual");
  }
  if (f.stochastic) {
    require_positive(r, "hedge.funding.kappa", f.kappa);
    require_non_negative(r, "hedge.funding.sigma", f.sigma);
    if (!std::isfinite(f.rho) || f.rho < -1.0 || f.rho > 1.0) {
      r.fail("hedge.funding.rho", f.rho, "must be in [-1, 1]");
    }
    require_plausible(r, "hedge.funding.kappa", f.kappa);
    require_plausible(r, "hedge.funding.sigma", f.sigma);
    require_plausible(r, "hedge.funding.rho", f.rho);
  } else {
    using Field = std::pair<const char*, double>;
    for (const auto& [name, value] : std::initializer_list<Field>{{"kappa", f.kappa}, {"sigma", f.sigma}, {"rho", f.rho}}) {
      if (value != 0.0) {
        r.fail(std::string("hedge.funding.") + name, value,
               "is used only with hedge.funding.stochastic = true: remove it or set stochastic: true");
      }
    }
  }
}

constexpr unsigned bit(SlippageModel m) { return 1u << static_cast<unsigned>(m); }
/// The slippage models that use each parameter (SlippageSpec in spec.hpp); each of them requires it.
constexpr unsigned kCoefficientModels = bit(SlippageModel::linear) | bit(SlippageModel::sqrt);
constexpr unsigned kDepthModels = bit(SlippageModel::sqrt) | bit(SlippageModel::amm);

/// "KEY = 0 at line N", or "KEY = 0 (not given)" when the config leaves it out ("KEY = 0" when the
/// spec has no lines: validate() after overrides).
std::string value_text(const Reporter& r, const std::string& key, double value) {
  const std::string at = r.at(key);
  return key + " = " + format_number(value) + (at.empty() && r.located() ? " (not given)" : at);
}

/// The gas process (GasSpec): an Euler step of ln g per time step, so it must revert (kappa > 0)
/// whenever something moves it, and kappa·dt must not overshoot the long-run level.
void validate_gas(const Reporter& r, const GasSpec& g, double steps_per_day) {
  if (!std::isfinite(g.units) || g.units < 0.0) {
    r.fail("costs.gas.units", g.units, "must be >= 0 (gas units per rebalance; 0: no gas cost)");
  }
  require_non_negative(r, "costs.gas.price_gwei", g.price_gwei);
  require_non_negative(r, "costs.gas.eth_price_usd", g.eth_price_usd);
  require_non_negative(r, "costs.gas.kappa", g.kappa);
  require_non_negative(r, "costs.gas.sigma", g.sigma);
  require_non_negative(r, "costs.gas.return_sensitivity", g.return_sensitivity);
  if (g.units == 0.0) {
    using Field = std::pair<const char*, double>;
    for (const auto& [name, value] :
         std::initializer_list<Field>{{"price_gwei", g.price_gwei}, {"eth_price_usd", g.eth_price_usd},
                                      {"kappa", g.kappa}, {"sigma", g.sigma},
                                      {"return_sensitivity", g.return_sensitivity}}) {
      if (value != 0.0) {
        r.fail(std::string("costs.gas.") + name, value,
               "has no effect with costs.gas.units = 0 (no gas cost): set units > 0 or remove it");
      }
    }
    return;
  }
  require_positive(r, "costs.gas.price_gwei", g.price_gwei);
  for (const auto& [name, value] : std::initializer_list<std::pair<const char*, double>>{
           {"costs.gas.units", g.units}, {"costs.gas.price_gwei", g.price_gwei},
           {"costs.gas.eth_price_usd", g.eth_price_usd}, {"costs.gas.kappa", g.kappa}, {"costs.gas.sigma", g.sigma},
           {"costs.gas.return_sensitivity", g.return_sensitivity}}) {
    require_plausible(r, name, value);
  }
  if (g.kappa == 0.0) {
    const std::string kappa = value_text(r, "costs.gas.kappa", g.kappa);
    if (g.sigma > 0.0) {
      r.fail("costs.gas.sigma", g.sigma,
             "needs costs.gas.kappa > 0, but " + kappa +
                 ": without mean reversion the log gas price is a random walk that wanders away from "
                 "price_gwei without bound over the run; set kappa > 0 (per year, e.g. 50: a half-life of about "
                 "5 days) or sigma: 0");
    }
    if (g.return_sensitivity > 0.0) {
      r.fail("costs.gas.return_sensitivity", g.return_sensitivity,
             "needs costs.gas.kappa > 0, but " + kappa +
                 ": without mean reversion every spike is permanent and the gas price only ever rises; set "
                 "kappa > 0 (per year, e.g. 50) or return_sensitivity: 0");
    }
  }
  const double per_step = g.kappa / (steps_per_day * kDaysPerYear);
  if (per_step > 1.0) {
    r.fail("costs.gas.kappa", g.kappa,
           "kappa x dt = " + format_derived(per_step) + " per step (dt = 1/" + format_number(steps_per_day) +
               " day) exceeds 1: the Euler step of ln g would overshoot the long-run gas price; raise "
               "simulation.steps_per_day to at least " +
               format_number(std::ceil(g.kappa / kDaysPerYear)) + " or lower kappa (it is per year)");
  }
}

void validate_slippage(const Reporter& r, const SlippageSpec& sl) {
  const unsigned mine = bit(sl.model);
  const std::string model = to_string(sl.model);
  const auto unused = [&](const std::string& key, double value, const std::string& used_by) {
    if (value != 0.0) {
      r.fail(key, value,
             "is used only by models " + used_by + ", not by model " + model + ": remove it or change "
             "costs.slippage.model");
    }
  };
  if (mine & kCoefficientModels) {
    require_non_negative(r, "costs.slippage.coefficient", sl.coefficient);
    require_plausible(r, "costs.slippage.coefficient", sl.coefficient);
  } else {
    unused("costs.slippage.coefficient", sl.coefficient, "linear, sqrt");
  }
  if (mine & kDepthModels) {
    if (!std::isfinite(sl.depth_usd) || !(sl.depth_usd > 0.0)) {
      r.fail("costs.slippage.depth_usd", sl.depth_usd,
             "must be > 0 (USD of liquidity" + std::string(sl.model == SlippageModel::amm ? " on each side of the pool" : "") +
                 ")");
    }
    require_plausible(r, "costs.slippage.depth_usd", sl.depth_usd);
  } else {
    unused("costs.slippage.depth_usd", sl.depth_usd, "sqrt, amm");
  }
}

void validate_costs(const Reporter& r, const RunSpec& s) {
  const CostSpec& c = s.costs;
  if (!std::isfinite(c.fee_bps) || c.fee_bps < 0.0 || c.fee_bps >= kMaxFeeBps) {
    r.fail("costs.fee_bps", c.fee_bps,
           "must be >= 0 and < 10000 (basis points of the traded notional; 10000 would be 100%)");
  }
  require_non_negative(r, "costs.fixed_per_trade", c.fixed_per_trade);
  require_plausible(r, "costs.fixed_per_trade", c.fixed_per_trade);
  validate_gas(r, c.gas, s.simulation.steps_per_day);
  validate_slippage(r, c.slippage);
  const double p = c.failure_probability;
  if (!std::isfinite(p) || p < 0.0 || p >= 1.0) {
    r.fail("costs.failure_probability", p,
           "must be >= 0 and < 1 (the chance that a rebalance fails, paying gas without trading; 1 would never "
           "trade)");
  }
  require_plausible(r, "costs.fee_bps", c.fee_bps);
  require_plausible(r, "costs.failure_probability", c.failure_probability);
}

/// "costs.fee_bps = 0 at line N", or "... (not given)" when the config leaves it out.
std::string fee_text(const Reporter& r, const CostSpec& c) { return value_text(r, "costs.fee_bps", c.fee_bps); }

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

/// Checks that an interval of `hours` (key `key`: every_hours, max_hours) is a whole number (>= 1)
/// of time steps, within kGridTolerance; the message suggests the neighbouring intervals that are.
void require_hours_on_grid(const Reporter& r, const std::string& key, double hours, double spd,
                           std::span<const double> all_days) {
  require_positive(r, key, hours);
  const std::string field = key.substr(key.rfind('.') + 1);
  const double steps = hours * spd / 24.0;
  const std::string product = format_number(hours) + " hours x steps_per_day " + format_number(spd) + " / 24 = " +
                              format_derived(steps) + " steps";
  const std::string grid = "time steps are uniform, dt = " + format_derived(24.0 / spd) + " hours";
  if (steps > static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
    r.fail(key, hours, product + ", more than the grid's limit of 4294967295");
  }
  if (is_whole(steps) && std::round(steps) >= 1.0) return;
  const auto hours_of = [&](double n) { return format_number(n * 24.0 / spd); };
  const double lo = std::floor(steps), hi = std::ceil(steps);
  std::string msg = product + ", ";
  if (lo < 1.0) {
    msg += "shorter than one time step (" + grid + "); use " + field + ": " + hours_of(1.0) + " (1 step)";
  } else {
    msg += "not a whole number (" + grid + "); use " + field + ": " + hours_of(lo) + " or " + hours_of(hi) + " (" +
           format_number(lo) + " or " + format_number(hi) + " steps)";
  }
  std::vector<double> days(all_days.begin(), all_days.end());
  days.push_back(hours / 24.0);
  if (const auto s = grid_suggestion(days, spd)) {
    msg += ", or steps_per_day: " + format_number(*s) + ", which puts it, every expiry and the horizon on the grid";
  }
  r.fail(key, hours, msg);
}

/// What a policy's validate() checks through (policies/policy_config.hpp): keys named
/// policies[i].KEY, lines from the Reporter.
class PolicyChecker final : public PolicyChecks {
 public:
  PolicyChecker(const Reporter& r, const RunSpec& s, std::string path, std::span<const double> all_days)
      : r_(r), s_(s), path_(std::move(path)), all_days_(all_days) {}

  void require_positive(std::string_view key, double x) const override { hedgesim::require_positive(r_, full(key), x); }
  void require_finite(std::string_view key, double x) const override { hedgesim::require_finite(r_, full(key), x); }
  void require_hours_on_grid(std::string_view key, double hours) const override {
    hedgesim::require_hours_on_grid(r_, full(key), hours, s_.simulation.steps_per_day, all_days_);
  }
  [[noreturn]] void fail(std::string_view key, double value, const std::string& what) const override {
    r_.fail(full(key), value, what);
  }
  [[noreturn]] void fail(std::string_view key, const std::string& value, const std::string& what) const override {
    r_.fail(full(key), value, what);
  }
  [[noreturn]] void fail_policy(const std::string& what) const override { r_.fail_key(path_, what); }
  double fee_bps() const override { return s_.costs.fee_bps; }
  std::string fee_text() const override { return hedgesim::fee_text(r_, s_.costs); }

 private:
  std::string full(std::string_view key) const { return path_ + "." + std::string(key); }
  const Reporter& r_;
  const RunSpec& s_;
  std::string path_;
  std::span<const double> all_days_;
};

void validate_policies(const Reporter& r, const RunSpec& s) {
  const std::vector<PolicySpec>& ps = s.policies;
  if (ps.size() > kMaxPolicyCount) {
    r.fail_key("policies", "lists " + std::to_string(ps.size()) + " policies: at most " +
                               std::to_string(kMaxPolicyCount) +
                               " (they are evaluated together on every path); split the study into several configs");
  }
  // Every date the grid must hit, so that a steps_per_day suggestion fits them all.
  std::vector<double> all_days;
  for (const OptionSpec& o : s.book) all_days.push_back(o.expiry_days);
  if (s.simulation.horizon_days > 0.0) all_days.push_back(s.simulation.horizon_days);
  for (const PolicySpec& p : ps) {
    for (const PolicyKey& key : policy_info(p.type).keys) {
      if (!key.in_hours) continue;
      const double h = p.get(key.name);
      if (std::isfinite(h) && h > 0.0) all_days.push_back(h / 24.0);
    }
  }

  std::map<std::string, std::size_t, std::less<>> first_use;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const PolicySpec& p = ps[i];
    const std::string path = policy_path(i);
    const std::string k = path + ".";
    const std::string quoted = "'" + p.name + "'";
    if (p.name.empty()) r.fail(k + "name", quoted, "must not be empty");
    if (p.name.size() > kMaxPolicyNameLength) {
      r.fail(k + "name", quoted,
             "is " + std::to_string(p.name.size()) + " characters long: at most " +
                 std::to_string(kMaxPolicyNameLength) + " (it names the HDF5 group /policies/<name>)");
    }
    if (!std::all_of(p.name.begin(), p.name.end(), is_name_char) || p.name == "." || p.name == "..") {
      r.fail(k + "name", quoted,
             "must use only the characters A-Z a-z 0-9 _ . - and not be . or .. (it names the HDF5 group "
             "/policies/<name>)");
    }
    if (const auto [first, inserted] = first_use.emplace(p.name, i); !inserted) {
      const std::string other = policy_path(first->second) + ".name";
      r.fail(k + "name", quoted, "already used by " + other + r.at(other) + ": policy names must be unique");
    }

    const PolicyInfo& info = policy_info(p.type);
    info.validate(p, PolicyChecker(r, s, path, all_days));
    if (p.leland) {
      if (!info.trades) {
        r.fail(k + "leland", "true",
               "policy type " + std::string(info.name) + " never trades, so Leland's volatility does not apply");
      }
      if (!(s.costs.fee_bps > 0.0)) {
        r.fail(k + "leland", "true",
               "Leland's adjusted volatility needs a proportional cost, but " + fee_text(r, s.costs) +
                   " (the adjustment would be 0); set costs.fee_bps > 0 or remove leland");
      }
      if (s.hedge.delta == DeltaSource::model && s.model.type != ModelType::gbm) {
        r.fail(k + "leland", "true",
               "Leland adjusts a Black-Scholes volatility, and hedge.delta = model uses the model's own "
               "delta: set hedge.delta: implied or instantaneous, or remove leland");
      }
    }
  }
}

void validate_output(const Reporter& r, const OutputSpec& o) {
  if (o.histogram_bins < 1 || o.histogram_bins > kMaxHistogramBins) {
    r.fail("output.histogram_bins", std::to_string(o.histogram_bins),
           "must be from 1 to " + std::to_string(kMaxHistogramBins));
  }
  if (o.sample_paths > kMaxSamplePaths) {
    r.fail("output.sample_paths", std::to_string(o.sample_paths),
           "must be from 0 to " + std::to_string(kMaxSamplePaths) + " (paths stored at every step)");
  }
}

// ───────────────────────────── backtest ─────────────────────────────

constexpr double kMaxUtcOffsetHours = 14.0;  // the widest offset in use (UTC+14, Kiribati)

void require_whole_hours(const Reporter& r, const std::string& key, double hours, double minimum) {
  if (!std::isfinite(hours) || hours < minimum || hours != std::round(hours) || hours > 1e7) {
    r.fail(key, hours, "must be a whole number of hours >= " + format_number(minimum) + " (the price data is hourly)");
  }
}

void validate_backtest(const Reporter& r, const BacktestSpec& b) {
  require_whole_hours(r, "backtest.stride_hours", b.stride_hours, 1.0);
  require_whole_hours(r, "backtest.realized_window_hours", b.realized_window_hours, 2.0);
  if (b.has_start && b.has_end && b.end <= b.start) {
    r.fail("backtest.end", format_utc(b.end), "must be after backtest.start = " + format_utc(b.start));
  }
  if (b.has_naive_offset && (!std::isfinite(b.naive_utc_offset_hours) ||
                             std::fabs(b.naive_utc_offset_hours) > kMaxUtcOffsetHours ||
                             b.naive_utc_offset_hours * 4.0 != std::round(b.naive_utc_offset_hours * 4.0))) {
    r.fail("backtest.naive_utc_offset_hours", b.naive_utc_offset_hours,
           "must be a multiple of 0.25 hours in [-14, 14] (local time minus UTC)");
  }
}

void validate_with(const RunSpec& spec, const KeyLines* where) {
  const Reporter r(where);
  validate_simulation(r, spec.simulation);
  validate_model(r, spec.model);
  validate_book(r, spec.book, spec.model.spot);
  validate_grid(r, spec);
  validate_hedge(r, spec);
  validate_costs(r, spec);
  validate_policies(r, spec);
  validate_output(r, spec.output);
  validate_backtest(r, spec.backtest);
}

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

// ───────────────────────────── parsing stage ─────────────────────────────

int line_of(const YAML::Node& n) { return n.Mark().is_null() ? 0 : n.Mark().line + 1; }

/// The key path and line of the first quoted value in `n` whose closing quote is not on its own line.
/// No key takes text over several lines, and a quote left open swallows every line up to the next
/// quote character (or the end of the file) into one value, which made the config's last sections
/// look missing ("section 'book' is required").
std::optional<std::pair<std::string, int>> open_quote(const YAML::Node& n, const std::string& text,
                                                      const std::string& path) {
  if (n.IsScalar()) {
    if (n.Tag() != "!" || n.Mark().is_null()) return std::nullopt;
    const std::size_t pos = static_cast<std::size_t>(n.Mark().pos);
    if (pos >= text.size() || (text[pos] != '"' && text[pos] != '\'')) return std::nullopt;
    const char q = text[pos];
    for (std::size_t i = pos + 1; i < text.size() && text[i] != '\n'; ++i) {
      if (q == '"' && text[i] == '\\') {
        ++i;  // an escaped character, \" included
      } else if (text[i] == q) {
        if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
          ++i;  // '' is a quote inside single quotes
        } else {
          return std::nullopt;
        }
      }
    }
    return std::make_pair(path, line_of(n));
  }
  if (n.IsMap()) {
    for (const auto& kv : n) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (auto hit = open_quote(kv.second, text, path.empty() ? key : path + "." + key)) return hit;
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i)
      if (auto hit = open_quote(n[i], text, path + "[" + std::to_string(i) + "]")) return hit;
  }
  return std::nullopt;
}

/// One key: value pair of a YAML map, with the line the message should point at.
struct Entry {
  std::string key;
  YAML::Node value;
  int line;
};

const char* kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Null: return "empty";
    default: return "a scalar";
  }
}

constexpr std::string_view kSections[] = {"simulation", "model", "book",   "hedge",
                                          "costs",      "policies", "output", "backtest", "optimise"};
constexpr std::string_view kBacktestKeys[] = {"prices", "funding", "gas", "stride_hours", "start", "end", "vol",
                                              "realized_window_hours", "on_bad_data", "naive_utc_offset_hours",
                                              "model_check"};
constexpr std::string_view kOptimiseKeys[] = {"families", "objective", "frontier", "search", "out_of_sample"};
constexpr std::string_view kObjectiveKeys[] = {"risk", "level", "risk_aversion", "lambda", "cost_budget"};
constexpr std::string_view kFrontierKeys[] = {"lambdas", "budgets"};
constexpr std::string_view kSearchKeys[] = {"max_evaluations", "tolerance", "population", "seed"};
constexpr std::string_view kOutOfSampleKeys[] = {"seed", "paths"};
/// Most free parameters of one family (state_band: five loadings and the rebalance fraction).
constexpr std::size_t kMaxFreeParameters = 6;
constexpr std::string_view kRequiredSections[] = {"simulation", "model", "book"};
constexpr std::string_view kHedgeKeys[] = {"instrument", "delta", "implied_vol", "funding"};
constexpr std::string_view kFundingKeys[] = {"rate", "stochastic", "kappa", "sigma", "rho"};
constexpr std::string_view kCostKeys[] = {"fee_bps", "fixed_per_trade", "gas", "slippage", "failure_probability"};
constexpr std::string_view kGasKeys[] = {"units", "price_gwei", "eth_price_usd", "kappa", "sigma", "return_sensitivity"};
constexpr std::string_view kOutputKeys[] = {"file", "per_path", "histogram_bins", "sample_paths"};
constexpr std::string_view kSimulationKeys[] = {"paths",   "steps_per_day", "horizon_days", "seed",
                                                "backend", "precision",     "measure",      "threads"};
constexpr std::string_view kOptionKeys[] = {"type", "strike", "expiry_days", "quantity", "settlement"};

/// One model key: the types that use it, whether each of them must give it, and for numeric keys
/// the field it fills and what it accepts (the ranges validate_model enforces), for type errors.
struct ModelKey {
  std::string_view name;
  unsigned types;  // bit per ModelType
  bool required;
  double ModelParams::*field;  // nullptr: type and scheme, parsed as enums
  std::string_view expected;
};
constexpr unsigned bit(ModelType t) { return 1u << static_cast<unsigned>(t); }
constexpr unsigned kAllTypes = bit(ModelType::gbm) | bit(ModelType::heston) | bit(ModelType::bates) | bit(ModelType::svcj);
constexpr unsigned kHestonFamily = bit(ModelType::heston) | bit(ModelType::bates) | bit(ModelType::svcj);
constexpr unsigned kJumpTypes = bit(ModelType::bates) | bit(ModelType::svcj);
constexpr unsigned kSvcj = bit(ModelType::svcj);
constexpr ModelKey kModelKeys[] = {
    {"type", kAllTypes, true, nullptr, ""},
    {"spot", kAllTypes, true, &ModelParams::spot, "a number > 0"},
    {"rate", kAllTypes, false, &ModelParams::rate, "a finite number"},
    {"dividend", kAllTypes, false, &ModelParams::dividend, "a finite number"},
    {"drift", kAllTypes, false, &ModelParams::drift, "a finite number"},
    {"vol", bit(ModelType::gbm), true, &ModelParams::vol, "a number > 0"},
    {"v0", kHestonFamily, true, &ModelParams::v0, "a number >= 0"},
    {"kappa", kHestonFamily, true, &ModelParams::kappa, "a number > 0"},
    {"theta", kHestonFamily, true, &ModelParams::theta, "a number > 0"},
    {"xi", kHestonFamily, true, &ModelParams::xi, "a number > 0"},
    {"rho", kHestonFamily, true, &ModelParams::rho, "a number in [-1, 1]"},
    {"scheme", kHestonFamily, false, nullptr, ""},
    {"jump_intensity", kJumpTypes, true, &ModelParams::jump_intensity, "a number >= 0 (jumps per year)"},
    {"jump_mean", kJumpTypes, true, &ModelParams::jump_mean, "a finite number"},
    {"jump_stdev", kJumpTypes, true, &ModelParams::jump_stdev, "a number >= 0"},
    {"var_jump_mean", kSvcj, true, &ModelParams::var_jump_mean, "a number >= 0"},
    {"jump_rho", kSvcj, true, &ModelParams::jump_rho, "a finite number"},
};

std::vector<std::string_view> model_key_names() {
  std::vector<std::string_view> out;
  for (const ModelKey& k : kModelKeys) out.push_back(k.name);
  return out;
}

// Policy keys come from the registry (hedging/policy.hpp): name and type for every policy, leland for
// every policy that trades, and each type's own keys (its PolicyConfig::keys).
constexpr unsigned bit(PolicyType t) { return 1u << static_cast<unsigned>(t); }
static_assert(std::size(kPolicyTypes) <= 32, "one bit per policy type");

/// The types that have key `name` (bit per PolicyType): `pick` says which of a type's keys count.
template <class Pick>
unsigned policy_types_with(std::string_view name, Pick&& pick) {
  unsigned types = 0;
  for (const PolicyInfo& info : registered_policies()) {
    if (name == "name" || name == "type" || (name == "leland" && info.trades)) types |= bit(info.type);
    for (const PolicyKey& k : info.keys) {
      if (k.name == name && pick(k)) types |= bit(info.type);
    }
  }
  return types;
}
unsigned policy_types_with(std::string_view name) {
  return policy_types_with(name, [](const PolicyKey&) { return true; });
}

/// The keys a policy element may have: name, type, every type's keys in registry order, leland.
std::vector<std::string_view> policy_key_names() {
  std::vector<std::string_view> out{"name", "type"};
  for (const PolicyInfo& info : registered_policies()) {
    for (const PolicyKey& k : info.keys) {
      if (std::find(out.begin(), out.end(), k.name) == out.end()) out.push_back(k.name);
    }
  }
  out.push_back("leland");
  return out;
}

/// The settings a family may fix besides its parameters: every type's flag and choice keys, and leland.
bool family_setting(const PolicyKey& k) { return k.kind == KeyKind::flag || k.kind == KeyKind::choice; }
std::vector<std::string_view> family_key_names() {
  std::vector<std::string_view> out{"name", "type", "parameters"};
  for (const PolicyInfo& info : registered_policies()) {
    for (const PolicyKey& k : info.keys) {
      if (family_setting(k) && std::find(out.begin(), out.end(), k.name) == out.end()) out.push_back(k.name);
    }
  }
  out.push_back("leland");
  return out;
}

/// The policy types a family can optimise (those with parameters), in registry order.
std::vector<std::string_view> family_type_names() {
  std::vector<std::string_view> out;
  for (const PolicyInfo& info : registered_policies()) {
    if (!info.parameters.empty()) out.push_back(info.name);
  }
  return out;
}

/// "a, b and c" (`last`: "and", "or").
std::string join_last(std::span<const std::string_view> names, std::string_view last) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " " + std::string(last) + " " : ", ";
    out += names[i];
  }
  return out;
}

/// The key of `info` named exactly `name` (a group by its own name), or nullptr.
const PolicyKey* own_key(const PolicyInfo& info, std::string_view name) {
  for (const PolicyKey& k : info.keys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

/// One slippage key: the models that use it, each of which requires it (bit per SlippageModel).
struct SlippageKey {
  std::string_view name;
  unsigned models;
};
constexpr unsigned kAllSlippageModels =
    bit(SlippageModel::none) | bit(SlippageModel::linear) | bit(SlippageModel::sqrt) | bit(SlippageModel::amm);
constexpr SlippageKey kSlippageKeys[] = {
    {"model", kAllSlippageModels},
    {"coefficient", kCoefficientModels},
    {"depth_usd", kDepthModels},
};

template <class List>
std::vector<std::string_view> key_names(const List& keys) {
  std::vector<std::string_view> out;
  for (const auto& k : keys) out.push_back(k.name);
  return out;
}

/// "type gbm" or "types bates, svcj" for a bit set of enumerators of E (`noun`: "model" for slippage).
template <class E>
std::string type_list(unsigned types, const std::string& noun = "type") {
  std::vector<std::string_view> names;
  for (E t : AllValues<E>::v) {
    if (types & bit(t)) names.emplace_back(to_string(t));
  }
  return noun + (names.size() == 1 ? " " : "s ") + join(names);
}

class Parser {
 public:
  explicit Parser(const std::string& source) { where_.source = source; }

  RunSpec parse(const std::string& text) {
    std::vector<YAML::Node> docs;
    try {
      docs = load_all_documents(text);
    } catch (const YAML::ParserException& e) {
      throw InputError(prefix() + "YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
                       std::to_string(e.mark.column + 1) + ": " + e.msg);
    } catch (const YAML::Exception& e) {
      throw InputError(prefix() + "cannot read the YAML: " + e.what());
    }
    if (docs.empty() || docs.front().IsNull()) {
      throw InputError(prefix() + "the config is empty: expected the sections " + join(kRequiredSections) +
                       " (and optionally hedge, costs, policies, output)");
    }
    if (docs.size() > 1) {
      throw InputError(prefix() + "the config holds " + std::to_string(docs.size()) +
                       " YAML documents (the second starts at line " + std::to_string(line_of(docs[1])) +
                       "): expected one");
    }
    const YAML::Node& root = docs.front();
    if (!root.IsMap()) {
      throw InputError(prefix() + "the config at line " + std::to_string(line_of(root)) + " is " + kind_of(root) +
                       ": expected a map with the sections " + join(kSections));
    }

    if (const auto hit = open_quote(root, text, "")) {
      throw InputError(prefix() + hit->first + " at line " + std::to_string(hit->second) +
                       ": its quoted value does not end on that line: is the closing quote missing? (an open "
                       "quote takes every following line into the value)");
    }

    RunSpec spec;
    spec.config_text = text;
    spec.config_path = where_.source;
    std::map<std::string, Entry, std::less<>> sections;
    for (Entry& e : entries(root, "", kSections)) sections.emplace(e.key, std::move(e));
    for (std::string_view name : kRequiredSections) {
      if (!sections.contains(name)) {
        throw InputError(prefix() + "section '" + std::string(name) + "' is required");
      }
    }
    parse_simulation(sections.at("simulation"), spec.simulation);
    parse_model(sections.at("model"), spec.model);
    parse_book(sections.at("book"), spec.book);
    if (const auto it = sections.find("hedge"); it != sections.end()) parse_hedge(it->second, spec.hedge);
    if (const auto it = sections.find("costs"); it != sections.end()) parse_costs(it->second, spec.costs);
    if (const auto it = sections.find("policies"); it != sections.end()) parse_policies(it->second, spec.policies);
    if (const auto it = sections.find("output"); it != sections.end()) parse_output(it->second, spec.output);
    if (const auto it = sections.find("backtest"); it != sections.end()) parse_backtest(it->second, spec.backtest);
    if (const auto it = sections.find("optimise"); it != sections.end()) parse_optimise(it->second, spec);
    validate_with(spec, &where_);
    return spec;
  }

 private:
  std::string prefix() const { return where_.source.empty() ? "" : where_.source + ": "; }

  [[noreturn]] void fail(const std::string& msg) const { throw InputError(prefix() + msg); }

  /// "key = 'text' at line N: expected E", or "key at line N is a list: expected E".
  [[noreturn]] void type_error(const std::string& key, const Entry& e, const std::string& expected) const {
    const std::string at = " at line " + std::to_string(e.line);
    if (!e.value.IsScalar()) fail(key + at + " is " + kind_of(e.value) + ": expected " + expected);
    fail(key + " = '" + e.value.Scalar() + "'" + at + ": expected " + expected);
  }

  /// The pairs of map `node` (at key path `path`, "" for the root), rejecting duplicates, non-name
  /// keys and names not in `valid` (with the nearest valid name suggested).
  std::vector<Entry> entries(const YAML::Node& node, const std::string& path, std::span<const std::string_view> valid) {
    std::vector<Entry> out;
    std::map<std::string, int> seen;
    const std::string dot = path.empty() ? "" : path + ".";
    for (const auto& pair : node) {
      // Copies: yaml-cpp's iterator hands out proxies that do not outlive the expression.
      const YAML::Node k = pair.first;
      const int key_line = line_of(k);
      if (!k.IsScalar()) {
        fail((path.empty() ? std::string("the config") : path) + " has a key at line " + std::to_string(key_line) +
             " that is " + kind_of(k) + ": expected a plain name");
      }
      const std::string& name = k.Scalar();
      const std::string full = dot + name;
      if (std::find(valid.begin(), valid.end(), name) == valid.end()) {
        const std::string what = path.empty() ? "section '" : "key '";
        std::string msg = "unknown " + what + full + "' at line " + std::to_string(key_line);
        if (const auto hint = nearest(name, valid)) {
          msg += "; did you mean '" + std::string(*hint) + "'?";
        } else {
          msg += path.empty() ? "; valid sections: " : "; valid keys: ";
          msg += join(valid);
        }
        fail(msg);
      }
      if (const auto [first, inserted] = seen.emplace(name, key_line); !inserted) {
        fail("duplicate key '" + full + "' at line " + std::to_string(key_line) + " (first given at line " +
             std::to_string(first->second) + ")");
      }
      // A key with no value has a null node marked at the next token, so point at the key instead.
      const YAML::Node v = pair.second;
      const int line = v.IsNull() || v.Mark().is_null() ? key_line : line_of(v);
      where_.line[full] = line;
      out.push_back(Entry{name, v, line});
    }
    return out;
  }

  /// The entries of a section or book element that must be a map.
  std::vector<Entry> map_entries(const Entry& e, const std::string& path, std::span<const std::string_view> valid,
                                 const std::string& expected) {
    if (!e.value.IsMap()) {
      fail(path + " at line " + std::to_string(e.line) + " is " + kind_of(e.value) + ": expected " + expected);
    }
    return entries(e.value, path, valid);
  }

  /// A finite number; with `allow_infinity`, also YAML's .inf (+.inf, .Inf, .INF).
  double number(const std::string& key, const Entry& e, const std::string& expected,
                bool allow_infinity = false) const {
    if (!e.value.IsScalar()) type_error(key, e, expected);
    if (e.value.Tag() == "!") {
      type_error(key, e, expected + " (the value is quoted, so YAML reads it as text; remove the quotes)");
    }
    std::string_view t = e.value.Scalar();
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    if (allow_infinity && lower(t) == ".inf") return std::numeric_limits<double>::infinity();
    double x = 0.0;
    switch (parse_double(e.value.Scalar(), x)) {
      case ScalarStatus::ok: return x;
      case ScalarStatus::not_finite: type_error(key, e, expected + "; the value is not finite");
      case ScalarStatus::out_of_range: type_error(key, e, expected + "; the value is out of a double's range");
      case ScalarStatus::not_a_number: break;
    }
    type_error(key, e, expected);
  }

  std::uint64_t integer(const std::string& key, const Entry& e, const IntegerKey& k) const {
    return integer(key, e, std::string(k.expected), k.max);
  }
  std::uint64_t integer(const std::string& key, const Entry& e, const std::string& expected,
                        std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) const {
    if (!e.value.IsScalar()) type_error(key, e, expected);
    if (e.value.Tag() == "!") {
      type_error(key, e, expected + " (the value is quoted, so YAML reads it as text; remove the quotes)");
    }
    std::uint64_t x = 0;
    if (parse_uint64(e.value.Scalar(), x) != ScalarStatus::ok || x > max) type_error(key, e, expected);
    return x;
  }

  /// YAML 1.2 booleans: true/false, True/False, TRUE/FALSE. yes/no/on/off are text in YAML 1.2, and
  /// yaml-cpp's YAML 1.1 reading of them would be a surprise, so they are rejected.
  bool boolean(const std::string& key, const Entry& e) const {
    const std::string expected = "true or false";
    if (!e.value.IsScalar()) type_error(key, e, expected);
    if (e.value.Tag() == "!") {
      type_error(key, e, expected + " (the value is quoted, so YAML reads it as text; remove the quotes)");
    }
    const std::string& t = e.value.Scalar();
    if (t == "true" || t == "True" || t == "TRUE") return true;
    if (t == "false" || t == "False" || t == "FALSE") return false;
    type_error(key, e, expected);
  }

  /// A plain or quoted string (not a list, map or empty value).
  std::string text(const std::string& key, const Entry& e, const std::string& expected) const {
    if (!e.value.IsScalar()) type_error(key, e, expected);
    return e.value.Scalar();
  }

  [[noreturn]] void not_used(const std::string& key, const Entry& e, const std::string& what) const {
    fail(key + " at line " + std::to_string(e.line) + " " + what);
  }

  template <class E>
  E enumeration(const std::string& key, const Entry& e) const {
    if (!e.value.IsScalar()) type_error(key, e, "one of " + join(names_of<E>()));
    const std::string& text = e.value.Scalar();
    if (const auto v = enum_from_string<E>(text)) return *v;
    type_error(key, e, enum_expectation<E>(text));
  }

  void parse_simulation(const Entry& section, SimulationSpec& sim) {
    bool has_paths = false;
    for (const Entry& e : map_entries(section, "simulation", kSimulationKeys,
                                      "a map of simulation keys (" + join(kSimulationKeys) + ")")) {
      const std::string key = "simulation." + e.key;
      if (e.key == "paths") {
        sim.paths = integer(key, e, kPathsKey);
        has_paths = true;
      } else if (e.key == "steps_per_day") {
        sim.steps_per_day = number(key, e, "a number > 0");
      } else if (e.key == "horizon_days") {
        sim.horizon_days = number(key, e, "a number > 0");
        // 0 means "the last expiry" in the RunSpec; written out it is a mistake, not that default.
        if (!(sim.horizon_days > 0.0)) {
          fail(key + " = " + e.value.Scalar() + " at line " + std::to_string(e.line) +
               ": must be > 0 (leave it out to simulate up to the last expiry)");
        }
      } else if (e.key == "seed") {
        sim.seed = integer(key, e, kSeedKey);
      } else if (e.key == "backend") {
        sim.backend = enumeration<BackendKind>(key, e);
      } else if (e.key == "precision") {
        sim.precision = enumeration<Precision>(key, e);
      } else if (e.key == "measure") {
        sim.measure = enumeration<Measure>(key, e);
      } else if (e.key == "threads") {
        sim.threads = static_cast<unsigned>(integer(key, e, kThreadsKey));
      }
    }
    if (!has_paths) fail("simulation.paths is required (section at line " + std::to_string(section.line) + ")");
  }

  void parse_model(const Entry& section, ModelParams& m) {
    const auto names = model_key_names();
    const std::vector<Entry> es = map_entries(section, "model", names, "a map of model keys (type, spot, ...)");
    const auto type_entry = std::find_if(es.begin(), es.end(), [](const Entry& e) { return e.key == "type"; });
    if (type_entry == es.end()) {
      fail("model.type is required (section at line " + std::to_string(section.line) + "): one of " +
           join(names_of<ModelType>()));
    }
    m.type = enumeration<ModelType>("model.type", *type_entry);
    const unsigned mine = bit(m.type);

    std::set<std::string_view> given;
    for (const Entry& e : es) {
      const std::string key = "model." + e.key;
      const ModelKey& spec = *std::find_if(std::begin(kModelKeys), std::end(kModelKeys),
                                           [&](const ModelKey& k) { return k.name == e.key; });
      if (!(spec.types & mine)) {
        fail(key + " at line " + std::to_string(e.line) + " is used only by " + type_list<ModelType>(spec.types) +
             ", not by type " + to_string(m.type) + ": remove it or change model.type");
      }
      given.insert(spec.name);
      if (spec.field) {
        m.*spec.field = number(key, e, std::string(spec.expected));
      } else if (e.key == "scheme") {
        m.scheme = enumeration<VarianceScheme>(key, e);
      }
    }
    for (const ModelKey& k : kModelKeys) {
      if (k.required && (k.types & mine) && !given.contains(k.name)) {
        fail("model." + std::string(k.name) + " is required for type " + to_string(m.type) + " (section at line " +
             std::to_string(section.line) + ")");
      }
    }
  }

  void parse_book(const Entry& section, std::vector<OptionSpec>& book) {
    const std::string example = "a list of options such as - {type: call, strike: 70000, expiry_days: 30}";
    if (!section.value.IsSequence()) {
      fail("book at line " + std::to_string(section.line) + " is " + kind_of(section.value) + ": expected " + example);
    }
    std::size_t index = 0;
    for (const YAML::Node& item : section.value) {
      const std::string path = "book[" + std::to_string(index++) + "]";
      const Entry element{path, item, line_of(item)};
      where_.line[path] = element.line;
      OptionSpec o;
      o.quantity = 1.0;
      std::set<std::string> given;
      for (const Entry& e : map_entries(element, path, kOptionKeys,
                                        "a map such as {type: call, strike: 70000, expiry_days: 30}")) {
        const std::string key = path + "." + e.key;
        given.insert(e.key);
        if (e.key == "type") {
          o.type = enumeration<OptionType>(key, e);
        } else if (e.key == "strike") {
          o.strike = number(key, e, "a number > 0");
        } else if (e.key == "expiry_days") {
          o.expiry_days = number(key, e, "a number of days > 0");
        } else if (e.key == "quantity") {
          o.quantity = number(key, e, "a non-zero number (negative: short)");
        } else if (e.key == "settlement") {
          o.settlement = enumeration<Settlement>(key, e);
        }
      }
      for (const char* required : {"type", "strike", "expiry_days"}) {
        if (!given.contains(required)) {
          fail(path + "." + required + " is required (element at line " + std::to_string(element.line) + ")");
        }
      }
      book.push_back(o);
    }
    if (book.empty()) {
      fail("book at line " + std::to_string(section.line) + " is an empty list: expected at least one option");
    }
  }

  /// The entry named `name` in `es`, or nullptr.
  static const Entry* find(const std::vector<Entry>& es, std::string_view name) {
    const auto it = std::find_if(es.begin(), es.end(), [&](const Entry& e) { return e.key == name; });
    return it == es.end() ? nullptr : &*it;
  }

  void parse_hedge(const Entry& section, HedgeSpec& h) {
    const std::vector<Entry> es =
        map_entries(section, "hedge", kHedgeKeys, "a map of hedge keys (" + join(kHedgeKeys) + ")");
    // instrument and delta first: they decide which of the other keys apply.
    if (const Entry* e = find(es, "instrument")) h.instrument = enumeration<HedgeInstrument>("hedge.instrument", *e);
    if (const Entry* e = find(es, "delta")) h.delta = enumeration<DeltaSource>("hedge.delta", *e);
    for (const Entry& e : es) {
      const std::string key = "hedge." + e.key;
      if (e.key == "implied_vol") {
        if (h.delta != DeltaSource::implied) {
          not_used(key, e,
                   std::string("is used only with hedge.delta: implied, not ") + to_string(h.delta) +
                       " (the hedge ratios then come from the path's volatility or the model): remove it or set "
                       "hedge.delta: implied");
        }
        h.implied_vol = number(key, e, "a volatility > 0 (annualised, e.g. 0.6)");
        // 0 means "not given" in the HedgeSpec; written out it is a mistake, not that default.
        if (!(h.implied_vol > 0.0)) {
          fail(key + " = " + e.value.Scalar() + " at line " + std::to_string(e.line) + ": must be > 0");
        }
      } else if (e.key == "funding") {
        if (h.instrument != HedgeInstrument::perpetual) {
          not_used(key, e,
                   std::string("applies only to hedge.instrument: perpetual, not ") + to_string(h.instrument) +
                       " (a spot position pays no funding): remove it or set hedge.instrument: perpetual");
        }
        parse_funding(e, h.funding);
      }
    }
  }

  void parse_funding(const Entry& section, FundingSpec& f) {
    const std::vector<Entry> es = map_entries(section, "hedge.funding", kFundingKeys,
                                              "a map of funding keys (" + join(kFundingKeys) + ")");
    if (const Entry* e = find(es, "stochastic")) f.stochastic = boolean("hedge.funding.stochastic", *e);
    std::set<std::string> given;
    for (const Entry& e : es) {
      const std::string key = "hedge.funding." + e.key;
      given.insert(e.key);
      if (e.key == "rate") {
        f.rate = number(key, e, "a finite number (per year of notional; longs pay it)");
      } else if (e.key == "kappa" || e.key == "sigma" || e.key == "rho") {
        if (!f.stochastic) {
          not_used(key, e,
                   "is used only with hedge.funding.stochastic: true: remove it or set stochastic: true");
        }
        if (e.key == "kappa") f.kappa = number(key, e, "a number > 0 (mean-reversion speed per year)");
        if (e.key == "sigma") f.sigma = number(key, e, "a number >= 0 (volatility of the funding rate)");
        if (e.key == "rho") f.rho = number(key, e, "a number in [-1, 1]");
      }
    }
    if (f.stochastic) {
      for (const char* required : {"kappa", "sigma", "rho"}) {
        if (!given.contains(required)) {
          fail(std::string("hedge.funding.") + required + " is required when stochastic is true (funding at line " +
               std::to_string(section.line) + ")");
        }
      }
    }
  }

  void parse_costs(const Entry& section, CostSpec& c) {
    for (const Entry& e : map_entries(section, "costs", kCostKeys, "a map of cost keys (" + join(kCostKeys) + ")")) {
      const std::string key = "costs." + e.key;
      if (e.key == "fee_bps") {
        c.fee_bps = number(key, e, "a number >= 0 (basis points of the traded notional)");
      } else if (e.key == "fixed_per_trade") {
        c.fixed_per_trade = number(key, e, "a number >= 0 (USD per trade)");
      } else if (e.key == "gas") {
        parse_gas(e, c.gas);
      } else if (e.key == "slippage") {
        parse_slippage(e, c.slippage);
      } else if (e.key == "failure_probability") {
        c.failure_probability = number(key, e, "a probability >= 0 and < 1");
      }
    }
  }

  void parse_gas(const Entry& section, GasSpec& g) {
    std::set<std::string> given;
    for (const Entry& e :
         map_entries(section, "costs.gas", kGasKeys, "a map of gas keys (" + join(kGasKeys) + ")")) {
      const std::string key = "costs.gas." + e.key;
      given.insert(e.key);
      if (e.key == "units") {
        g.units = number(key, e, "a number of gas units per rebalance > 0 (e.g. 180000 for a DEX swap)");
        // 0 means "no gas" in the GasSpec; written out it is a mistake, not that default.
        if (!(g.units > 0.0)) {
          fail(key + " = " + e.value.Scalar() + " at line " + std::to_string(e.line) +
               ": must be > 0 (leave out costs.gas for no gas cost)");
        }
      } else if (e.key == "price_gwei") {
        g.price_gwei = number(key, e, "a gas price in gwei > 0");
      } else if (e.key == "eth_price_usd") {
        g.eth_price_usd = number(key, e, "a USD price >= 0 (0: the underlying is ETH, use its simulated spot)");
      } else if (e.key == "kappa") {
        g.kappa = number(key, e, "a number >= 0 (mean reversion of the log gas price, per year)");
      } else if (e.key == "sigma") {
        g.sigma = number(key, e, "a number >= 0 (volatility of the log gas price, per square-root year)");
      } else if (e.key == "return_sensitivity") {
        g.return_sensitivity = number(key, e, "a number >= 0 (jump in the log gas price per unit absolute log return)");
      }
    }
    for (const char* required : {"units", "price_gwei"}) {
      if (!given.contains(required)) {
        fail(std::string("costs.gas.") + required + " is required (gas at line " + std::to_string(section.line) +
             "): " + (std::string_view(required) == "units" ? "gas units per rebalance > 0, e.g. 180000"
                                                             : "the long-run gas price in gwei > 0, e.g. 20"));
      }
    }
  }

  void parse_slippage(const Entry& section, SlippageSpec& sl) {
    const auto names = key_names(kSlippageKeys);
    const std::vector<Entry> es =
        map_entries(section, "costs.slippage", names, "a map such as {model: amm, depth_usd: 5e6}");
    const Entry* model_entry = find(es, "model");
    if (!model_entry) {
      fail("costs.slippage.model is required (slippage at line " + std::to_string(section.line) + "): one of " +
           join(names_of<SlippageModel>()));
    }
    sl.model = enumeration<SlippageModel>("costs.slippage.model", *model_entry);
    const unsigned mine = bit(sl.model);
    std::set<std::string_view> given;
    for (const Entry& e : es) {
      const std::string key = "costs.slippage." + e.key;
      const SlippageKey& spec = *std::find_if(std::begin(kSlippageKeys), std::end(kSlippageKeys),
                                              [&](const SlippageKey& k) { return k.name == e.key; });
      if (!(spec.models & mine)) {
        not_used(key, e,
                 "is used only by " + type_list<SlippageModel>(spec.models, "model") + ", not by model " +
                     to_string(sl.model) + ": remove it or change costs.slippage.model");
      }
      given.insert(spec.name);
      if (e.key == "coefficient") {
        sl.coefficient = number(key, e,
                                sl.model == SlippageModel::linear
                                    ? "a number >= 0 (fraction of the notional lost per 1M USD traded)"
                                    : "a number >= 0 (cost = coefficient x notional x sqrt(notional / depth_usd))");
      } else if (e.key == "depth_usd") {
        sl.depth_usd = number(key, e, "a number of USD > 0");
      }
    }
    for (const SlippageKey& k : kSlippageKeys) {
      if ((k.models & mine) && !given.contains(k.name)) {
        fail("costs.slippage." + std::string(k.name) + " is required for model " + to_string(sl.model) +
             " (slippage at line " + std::to_string(section.line) + ")");
      }
    }
  }

  /// One of `names` (a choice key's value), as its index.
  double choice(const std::string& key, const Entry& e, std::span<const std::string_view> names) const {
    if (!e.value.IsScalar()) type_error(key, e, "one of " + join(names));
    const auto it = std::find(names.begin(), names.end(), e.value.Scalar());
    if (it != names.end()) return static_cast<double>(it - names.begin());
    std::string expected = "one of " + join(names);
    if (const auto hint = nearest(e.value.Scalar(), names)) expected += "; did you mean '" + std::string(*hint) + "'?";
    type_error(key, e, expected);
  }

  /// The value of policy key `k` (at key path `key`) into p.values.
  void policy_value(const std::string& key, const Entry& e, const PolicyKey& k, PolicySpec& p) {
    const std::string name(k.name);
    switch (k.kind) {
      case KeyKind::number: {
        const double x = number(key, e, std::string(k.expected), k.allow_infinity);
        // 0 means "left out" for such keys; written out it is a mistake, not that default.
        if (!k.zero_error.empty() && x == 0.0) {
          fail(key + " = " + e.value.Scalar() + " at line " + std::to_string(e.line) + ": " + std::string(k.zero_error));
        }
        p.values[name] = x;
        break;
      }
      case KeyKind::flag: p.values[name] = boolean(key, e) ? 1.0 : 0.0; break;
      case KeyKind::choice: p.values[name] = choice(key, e, k.items); break;
      case KeyKind::group:
        for (const Entry& item : map_entries(e, key, k.items, std::string(k.group_expected))) {
          p.values[name + "." + item.key] = number(key + "." + item.key, item, std::string(k.expected));
        }
        break;
    }
  }

  void parse_policies(const Entry& section, std::vector<PolicySpec>& policies) {
    const std::string example = "a list of policies such as - {name: hourly, type: time, every_hours: 1}";
    if (!section.value.IsSequence()) {
      fail("policies at line " + std::to_string(section.line) + " is " + kind_of(section.value) + ": expected " +
           example);
    }
    const auto names = policy_key_names();
    std::size_t index = 0;
    for (const YAML::Node& item : section.value) {
      const std::string path = "policies[" + std::to_string(index++) + "]";
      const Entry element{path, item, line_of(item)};
      where_.line[path] = element.line;
      const std::vector<Entry> es =
          map_entries(element, path, names, "a map such as {name: hourly, type: time, every_hours: 1}");
      const Entry* type_entry = find(es, "type");
      if (!type_entry) {
        fail(path + ".type is required (element at line " + std::to_string(element.line) + "): one of " +
             join(names_of<PolicyType>()));
      }
      PolicySpec p;
      p.type = enumeration<PolicyType>(path + ".type", *type_entry);
      const PolicyInfo& info = policy_info(p.type);
      const unsigned mine = bit(p.type);

      std::set<std::string, std::less<>> given;
      for (const Entry& e : es) {
        const std::string key = path + "." + e.key;
        const unsigned types = policy_types_with(e.key);
        if (!(types & mine)) {
          not_used(key, e,
                   "is used only by " + type_list<PolicyType>(types) + ", not by type " + to_string(p.type) +
                       ": remove it or change " + path + ".type");
        }
        given.insert(e.key);
        if (e.key == "name") {
          p.name = text(key, e, "a policy name (letters, digits, _ . -)");
        } else if (e.key == "leland") {
          p.leland = boolean(key, e);
        } else if (e.key != "type") {
          policy_value(key, e, *own_key(info, e.key), p);
        }
      }
      if (!given.contains("name")) {
        fail(path + ".name is required (element at line " + std::to_string(element.line) + ")");
      }
      for (const PolicyKey& k : info.keys) {
        if (k.is_required && !given.contains(k.name)) {
          fail(path + "." + std::string(k.name) + " is required for type " + to_string(p.type) +
               " (element at line " + std::to_string(element.line) + ")");
        }
      }
      policies.push_back(p);
    }
    if (policies.empty()) {
      fail("policies at line " + std::to_string(section.line) +
           " is an empty list: expected at least one policy (leave the section out when there is none)");
    }
  }

  // ── optimise (docs/optimise.md) ──

  /// A YAML list of finite numbers (frontier λ values or budgets), each checked by `ok`.
  std::vector<double> number_list(const std::string& key, const Entry& e, const std::string& expected,
                                  bool (*ok)(double)) {
    if (!e.value.IsSequence() || e.value.size() == 0) type_error(key, e, "a non-empty list of " + expected);
    std::vector<double> out;
    std::size_t i = 0;
    for (const YAML::Node& item : e.value) {
      const std::string k = key + "[" + std::to_string(i++) + "]";
      const Entry element{k, item, line_of(item)};
      const double x = number(k, element, expected);
      if (!ok(x)) fail(k + " = " + item.Scalar() + " at line " + std::to_string(element.line) + ": expected " + expected);
      out.push_back(x);
    }
    return out;
  }

  void parse_optimise(const Entry& section, RunSpec& spec) {
    OptimiseSpec& o = spec.optimise;
    const std::vector<Entry> es = map_entries(section, "optimise", kOptimiseKeys,
                                              "a map of optimiser keys (" + join(kOptimiseKeys) + ")");
    const Entry* families = find(es, "families");
    if (!families) {
      fail("optimise.families is required (optimise at line " + std::to_string(section.line) +
           "): a list such as - {name: band, type: delta_band, parameters: {width: [0.01, 1.0]}}");
    }
    parse_families(*families, spec);
    if (const Entry* e = find(es, "objective")) parse_objective(*e, o);
    if (const Entry* e = find(es, "frontier")) {
      for (const Entry& f : map_entries(*e, "optimise.frontier", kFrontierKeys, "a map {lambdas: [...]} or {budgets: [...]}")) {
        const std::string key = "optimise.frontier." + f.key;
        if (f.key == "lambdas") {
          if (o.budget_form) {
            not_used(key, f, "is for the objective mean cost + lambda x risk, but optimise.objective.cost_budget is "
                             "given: use optimise.frontier.budgets");
          }
          o.frontier = number_list(key, f, "numbers >= 0 (lambda, USD of mean cost per USD of risk)",
                                   [](double x) { return x >= 0.0; });
        } else {
          if (!o.budget_form) {
            not_used(key, f, "is for the objective minimum risk subject to mean cost <= budget: set "
                             "optimise.objective.cost_budget, or use optimise.frontier.lambdas");
          }
          o.frontier = number_list(key, f, "numbers > 0 (mean-cost budgets, USD)", [](double x) { return x > 0.0; });
        }
      }
    }
    if (const Entry* e = find(es, "search")) {
      for (const Entry& f : map_entries(*e, "optimise.search", kSearchKeys, "a map of search keys (" + join(kSearchKeys) + ")")) {
        const std::string key = "optimise.search." + f.key;
        if (f.key == "max_evaluations") {
          o.max_evaluations = integer(key, f, "an integer from 1 to 1000000 (candidates per search)", 1000000);
          if (o.max_evaluations == 0) type_error(key, f, "an integer from 1 to 1000000 (candidates per search)");
        } else if (f.key == "tolerance") {
          o.tolerance = number(key, f, "a number > 0 and < 1 (step size in parameters scaled to [0, 1])");
          if (!(o.tolerance > 0.0 && o.tolerance < 1.0)) {
            type_error(key, f, "a number > 0 and < 1 (step size in parameters scaled to [0, 1])");
          }
        } else if (f.key == "population") {
          o.population = static_cast<unsigned>(integer(key, f, "0 (automatic) or an integer from 2 to 32", 32));
          if (o.population == 1) type_error(key, f, "0 (automatic) or an integer from 2 to 32");
        } else if (f.key == "seed") {
          o.seed = integer(key, f, "an unsigned 64-bit integer");
        }
      }
    }
    if (const Entry* e = find(es, "out_of_sample")) {
      for (const Entry& f : map_entries(*e, "optimise.out_of_sample", kOutOfSampleKeys, "a map {seed: S, paths: N}")) {
        const std::string key = "optimise.out_of_sample." + f.key;
        if (f.key == "seed") {
          o.oos_seed = integer(key, f, "an unsigned 64-bit integer");
        } else {
          o.oos_paths = integer(key, f, "an integer >= 100");
          if (o.oos_paths < 100) type_error(key, f, "an integer >= 100 (standard errors need paths)");
        }
      }
    }
  }

  void parse_objective(const Entry& section, OptimiseSpec& o) {
    const std::vector<Entry> es = map_entries(section, "optimise.objective", kObjectiveKeys,
                                              "a map such as {risk: es, level: 0.95, lambda: 0.5}");
    if (const Entry* r = find(es, "risk")) o.risk = enumeration<RiskMeasure>("optimise.objective.risk", *r);
    const bool tail = o.risk == RiskMeasure::var || o.risk == RiskMeasure::es;
    const Entry* lambda = find(es, "lambda");
    const Entry* budget = find(es, "cost_budget");
    if (lambda && budget) {
      not_used("optimise.objective.cost_budget", *budget,
               "cannot be given with optimise.objective.lambda at line " + std::to_string(lambda->line) +
                   ": lambda minimises mean cost + lambda x risk, cost_budget minimises risk subject to mean cost "
                   "<= budget; keep one");
    }
    bool has_aversion = false;
    for (const Entry& e : es) {
      const std::string key = "optimise.objective." + e.key;
      if (e.key == "level") {
        if (!tail) not_used(key, e, "is used only by risk var and es, not by risk " + std::string(to_string(o.risk)));
        o.level = number(key, e, "a number > 0.5 and < 1 (e.g. 0.95)");
        if (!(o.level > 0.5 && o.level < 1.0)) type_error(key, e, "a number > 0.5 and < 1 (e.g. 0.95)");
      } else if (e.key == "risk_aversion") {
        if (o.risk != RiskMeasure::entropic) {
          not_used(key, e, "is used only by risk entropic, not by risk " + std::string(to_string(o.risk)));
        }
        o.risk_aversion = number(key, e, "a number > 0 (per USD of P&L)");
        if (!(o.risk_aversion > 0.0)) type_error(key, e, "a number > 0 (per USD of P&L)");
        has_aversion = true;
      } else if (e.key == "lambda") {
        o.lambda = number(key, e, "a number >= 0 (USD of mean cost per USD of risk)");
        if (!(o.lambda >= 0.0)) type_error(key, e, "a number >= 0 (USD of mean cost per USD of risk)");
      } else if (e.key == "cost_budget") {
        o.cost_budget = number(key, e, "a number > 0 (USD of mean cost)");
        if (!(o.cost_budget > 0.0)) type_error(key, e, "a number > 0 (USD of mean cost)");
        o.budget_form = true;
      }
    }
    if (o.risk == RiskMeasure::entropic && !has_aversion) {
      fail("optimise.objective.risk_aversion is required for risk entropic (objective at line " +
           std::to_string(section.line) + "): a number > 0 per USD, e.g. 1e-3");
    }
  }

  void parse_families(const Entry& section, RunSpec& spec) {
    const std::string example = "a list such as - {name: band, type: delta_band, parameters: {width: [0.01, 1.0]}}";
    if (!section.value.IsSequence() || section.value.size() == 0) {
      fail("optimise.families at line " + std::to_string(section.line) + " is " +
           (section.value.IsSequence() ? std::string("an empty list") : std::string(kind_of(section.value))) +
           ": expected " + example);
    }
    std::map<std::string, std::string> used;
    const auto family_keys = family_key_names();
    const auto family_types = family_type_names();
    std::size_t index = 0;
    for (const YAML::Node& item : section.value) {
      const std::string path = "optimise.families[" + std::to_string(index++) + "]";
      const Entry element{path, item, line_of(item)};
      where_.line[path] = element.line;
      const std::vector<Entry> es = map_entries(element, path, family_keys, example);
      const Entry* type_entry = find(es, "type");
      const Entry* name_entry = find(es, "name");
      const Entry* params = find(es, "parameters");
      const std::string at = " (element at line " + std::to_string(element.line) + ")";
      if (!name_entry) fail(path + ".name is required" + at);
      if (!type_entry) fail(path + ".type is required" + at + ": one of " + join(family_types));
      if (!params) fail(path + ".parameters is required" + at + ": a map of parameters, [min, max] for free ones");
      FamilySpec f;
      f.name = text(path + ".name", *name_entry, "a family name (letters, digits, _ . -)");
      if (f.name.empty() || f.name.size() > 48 || !std::all_of(f.name.begin(), f.name.end(), is_name_char) ||
          f.name == "." || f.name == "..") {
        type_error(path + ".name", *name_entry, "1 to 48 of the characters A-Z a-z 0-9 _ . - (not . or ..)");
      }
      if (const auto [it, inserted] = used.emplace(f.name, path); !inserted) {
        type_error(path + ".name", *name_entry, "a name not used by another family (" + it->second + " has it)");
      }
      PolicySpec& p = f.base;
      p.type = enumeration<PolicyType>(path + ".type", *type_entry);
      if (family_parameters(p.type).empty()) {
        type_error(path + ".type", *type_entry,
                   "a policy type with parameters to optimise: " + join_last(family_types, "or"));
      }
      const PolicyInfo& info = policy_info(p.type);
      for (const Entry& e : es) {
        const std::string key = path + "." + e.key;
        if (e.key == "leland") {
          p.leland = boolean(key, e);
        } else if (e.key != "name" && e.key != "type" && e.key != "parameters") {
          const PolicyKey* k = own_key(info, e.key);
          if (!k) {
            std::vector<std::string_view> types;
            for (const PolicyInfo& other : registered_policies()) {
              if (own_key(other, e.key)) types.push_back(other.name);
            }
            not_used(key, e, std::string("is used only by type") + (types.size() == 1 ? " " : "s ") + join_last(types, "and"));
          }
          policy_value(key, e, *k, p);
        }
      }
      parse_family_parameters(*params, path, f, spec.simulation.steps_per_day);
      spec.optimise.families.push_back(std::move(f));
    }
  }

  /// What a policy's check_family() sees (policies/policy_config.hpp).
  class FamilyChecker final : public FamilyChecks {
   public:
    FamilyChecker(const Parser& parser, const std::set<std::string, std::less<>>& given, std::string family_path,
                  std::string family_name, int parameters_line)
        : parser_(parser), given_(given), path_(std::move(family_path)), name_(std::move(family_name)),
          line_(parameters_line) {}
    bool given(std::string_view parameter) const override { return given_.contains(parameter); }
    [[noreturn]] void fail_parameters(const std::string& what) const override {
      parser_.fail(path_ + ".parameters at line " + std::to_string(line_) + ": " + what);
    }
    [[noreturn]] void fail_family(const std::string& what) const override {
      parser_.fail(path_ + " (family '" + name_ + "'): " + what);
    }

   private:
    const Parser& parser_;
    const std::set<std::string, std::less<>>& given_;
    std::string path_, name_;
    int line_;
  };

  /// The family's parameters section (at `family_path`.parameters): fixed values into f.base, free
  /// ones into f.free.
  void parse_family_parameters(const Entry& section, const std::string& family_path, FamilySpec& f, double spd) {
    const std::string path = family_path + ".parameters";
    const auto infos = family_parameters(f.base.type);
    std::vector<std::string_view> names;
    for (const ParameterInfo& i : infos) names.push_back(i.name);
    if (!section.value.IsMap()) {
      fail(path + " at line " + std::to_string(section.line) + " is " + kind_of(section.value) +
           ": expected a map of " + to_string(f.base.type) + " parameters (" + join(names) + "), [min, max] for free ones");
    }
    std::set<std::string, std::less<>> given;
    for (const Entry& e : entries(section.value, path, names)) {
      const std::string key = path + "." + e.key;
      const ParameterInfo info = *find_parameter(f.base.type, e.key);
      given.insert(e.key);
      const bool fraction = info.unit_interval;
      const std::string range = info.scale == ParameterScale::log     ? "> 0"
                                : info.scale == ParameterScale::steps ? "> 0 hours"
                                : fraction                           ? "in [0, 1]"
                                                                     : "finite";
      auto check = [&](double x, const std::string& k, const Entry& at) {
        const bool ok = fraction ? (x >= 0.0 && x <= 1.0) : info.scale == ParameterScale::linear ? std::isfinite(x) : x > 0.0;
        if (!ok) type_error(k, at, "a number " + range);
      };
      if (e.value.IsSequence()) {
        const std::string expected = "[min, max] with min < max, both " + range;
        if (e.value.size() != 2) type_error(key, e, expected);
        const Entry lo{key + "[0]", e.value[0], e.line}, hi{key + "[1]", e.value[1], e.line};
        const double a = number(key + "[0]", lo, expected), b = number(key + "[1]", hi, expected);
        check(a, key + "[0]", lo);
        check(b, key + "[1]", hi);
        if (!(a < b)) {
          fail(key + " = [" + e.value[0].Scalar() + ", " + e.value[1].Scalar() + "] at line " + std::to_string(e.line) +
               ": the bounds are " + (a == b ? "empty (min = max: give the value alone to fix it)" : "inverted (min > max)") +
               "; expected [min, max] with min < max");
        }
        if (info.scale == ParameterScale::steps && std::max(1.0, std::round(b * spd / 24.0)) == std::max(1.0, std::round(a * spd / 24.0))) {
          fail(key + " = [" + e.value[0].Scalar() + ", " + e.value[1].Scalar() + "] at line " + std::to_string(e.line) +
               ": the bounds hold a single whole number of time steps of " + format_number(24.0 / spd) +
               " h; widen them or give the value alone to fix it");
        }
        f.free.push_back({e.key, a, b});
      } else {
        const double x = number(key, e, "a number " + range + " (fixed) or [min, max] (free)", info.allow_infinity);
        if (!(info.allow_infinity && std::isinf(x))) check(x, key, e);
        f.base.set(e.key, x);
      }
    }
    if (f.free.empty()) {
      fail(path + " at line " + std::to_string(section.line) + " frees no parameter: give at least one as [min, max] (" +
           join(names) + ")");
    }
    if (f.free.size() > kMaxFreeParameters) fail(path + ": at most " + std::to_string(kMaxFreeParameters) + " free parameters");
    // What the policy type requires, fixed or free.
    auto need = [&](std::string_view name) {
      if (!given.contains(std::string(name))) {
        fail(path + "." + std::string(name) + " is required for type " + to_string(f.base.type) + " (parameters at line " +
             std::to_string(section.line) + "): a value, or [min, max] to optimise it");
      }
    };
    for (const ParameterInfo& info : infos) {
      if (info.is_required) need(info.name);
    }
    policy_info(f.base.type).check_family(f.base, FamilyChecker(*this, given, family_path, f.name, section.line));
  }

  void parse_output(const Entry& section, OutputSpec& o) {
    for (const Entry& e :
         map_entries(section, "output", kOutputKeys, "a map of output keys (" + join(kOutputKeys) + ")")) {
      const std::string key = "output." + e.key;
      if (e.key == "file") {
        o.file = text(key, e, "a file path (the HDF5 results)");
      } else if (e.key == "per_path") {
        o.per_path = boolean(key, e);
      } else if (e.key == "histogram_bins") {
        o.histogram_bins = static_cast<unsigned>(integer(key, e, "an integer from 1 to " +
                                                                     std::to_string(kMaxHistogramBins),
                                                         std::numeric_limits<unsigned>::max()));
      } else if (e.key == "sample_paths") {
        o.sample_paths = static_cast<unsigned>(integer(key, e, "an integer from 0 to " +
                                                                   std::to_string(kMaxSamplePaths),
                                                       std::numeric_limits<unsigned>::max()));
      }
    }
  }

  /// A UTC time: an ISO date or date-time with Z or an offset (a naive time is taken as UTC only
  /// when it is a bare date).
  std::int64_t utc_time(const std::string& key, const Entry& e) const {
    const std::string expected = "a UTC date or time, e.g. 2024-01-01 or 2024-01-01T08:00:00Z";
    if (!e.value.IsScalar()) type_error(key, e, expected);
    const auto t = parse_utc_time(e.value.Scalar());
    if (!t) type_error(key, e, expected);
    const bool bare_date = e.value.Scalar().size() == 10;
    if (t->naive && !bare_date) type_error(key, e, expected + " (a time of day needs Z or an offset such as +00:00)");
    return t->seconds;
  }

  void parse_backtest(const Entry& section, BacktestSpec& b) {
    bool window_given = false;
    for (const Entry& e : map_entries(section, "backtest", kBacktestKeys,
                                      "a map of backtest keys (" + join(kBacktestKeys) + ")")) {
      const std::string key = "backtest." + e.key;
      if (e.key == "prices") {
        b.prices = text(key, e, "a file path (hourly prices)");
      } else if (e.key == "funding") {
        b.funding = text(key, e, "a file path (funding rates)");
      } else if (e.key == "gas") {
        b.gas = text(key, e, "a file path (daily gas prices)");
      } else if (e.key == "stride_hours") {
        b.stride_hours = number(key, e, "a whole number of hours >= 1");
      } else if (e.key == "start") {
        b.start = utc_time(key, e);
        b.has_start = true;
      } else if (e.key == "end") {
        b.end = utc_time(key, e);
        b.has_end = true;
      } else if (e.key == "vol") {
        b.vol = enumeration<BacktestVol>(key, e);
      } else if (e.key == "realized_window_hours") {
        b.realized_window_hours = number(key, e, "a whole number of hours >= 2");
        window_given = true;
      } else if (e.key == "on_bad_data") {
        b.on_bad_data = enumeration<BadData>(key, e);
      } else if (e.key == "naive_utc_offset_hours") {
        b.naive_utc_offset_hours = number(key, e, "a number of hours in [-14, 14]");
        b.has_naive_offset = true;
      } else if (e.key == "model_check") {
        b.model_check = boolean(key, e);
      }
    }
    if (window_given && b.vol != BacktestVol::realized) {
      fail("backtest.realized_window_hours at line " + std::to_string(where_.line.at("backtest.realized_window_hours")) +
           " is used only with backtest.vol = realized: remove it or set vol: realized");
    }
  }

  KeyLines where_;
};

}  // namespace

// ───────────────────────────── public API ─────────────────────────────

template <class Enum>
std::optional<Enum> enum_from_string(std::string_view text) {
  for (Enum e : AllValues<Enum>::v) {
    if (text == to_string(e)) return e;
  }
  return std::nullopt;
}

template <class Enum>
Enum parse_enum(std::string_view text, std::string_view key) {
  if (const auto v = enum_from_string<Enum>(text)) return *v;
  throw InputError(std::string(key) + " = '" + std::string(text) + "': expected " + enum_expectation<Enum>(text));
}

template <class Enum>
std::string enum_names() {
  return join(names_of<Enum>());
}

#define HEDGESIM_INSTANTIATE_ENUM(E)                                   \
  template std::optional<E> enum_from_string<E>(std::string_view);     \
  template E parse_enum<E>(std::string_view, std::string_view);        \
  template std::string enum_names<E>();
HEDGESIM_INSTANTIATE_ENUM(ModelType)
HEDGESIM_INSTANTIATE_ENUM(VarianceScheme)
HEDGESIM_INSTANTIATE_ENUM(Measure)
HEDGESIM_INSTANTIATE_ENUM(Precision)
HEDGESIM_INSTANTIATE_ENUM(BackendKind)
HEDGESIM_INSTANTIATE_ENUM(OptionType)
HEDGESIM_INSTANTIATE_ENUM(Settlement)
HEDGESIM_INSTANTIATE_ENUM(HedgeInstrument)
HEDGESIM_INSTANTIATE_ENUM(DeltaSource)
HEDGESIM_INSTANTIATE_ENUM(PolicyType)
HEDGESIM_INSTANTIATE_ENUM(RebalanceTo)
HEDGESIM_INSTANTIATE_ENUM(SlippageModel)
HEDGESIM_INSTANTIATE_ENUM(BacktestVol)
HEDGESIM_INSTANTIATE_ENUM(BadData)
HEDGESIM_INSTANTIATE_ENUM(RiskMeasure)
#undef HEDGESIM_INSTANTIATE_ENUM

RunSpec parse_config(const std::string& yaml_text, const std::string& source_name) {
  return Parser(source_name).parse(yaml_text);
}

RunSpec load_config(const std::string& path) {
  return parse_config(read_input_file(path, "config file", kConfigFileCap), path);
}

std::optional<std::string_view> nearest_name(std::string_view word, std::span<const std::string_view> candidates) {
  return nearest(word, candidates);
}

void apply_overrides(SimulationSpec& sim, const SimulationOverrides& o) {
  const auto value = [](std::string_view flag, const std::string& text, const IntegerKey& k) {
    std::uint64_t x = 0;
    if (parse_uint64(text, x) != ScalarStatus::ok || x > k.max) {
      throw InputError(std::string(flag) + " = '" + text + "': expected " + std::string(k.expected));
    }
    return x;
  };
  if (o.paths) {
    sim.paths = value("--paths", *o.paths, kPathsKey);
    // Refused here, by the flag's name: validation would blame simulation.paths, which the file may not set.
    if (sim.paths == 0) throw InputError("--paths = '" + *o.paths + "': expected " + std::string(kPathsKey.expected));
    if (sim.paths == 1) throw InputError("--paths = '" + *o.paths + "': " + std::string(kPathsTwo));
  }
  if (o.seed) sim.seed = value("--seed", *o.seed, kSeedKey);
  if (o.threads) sim.threads = static_cast<unsigned>(value("--threads", *o.threads, kThreadsKey));
}

void validate(const RunSpec& spec) { validate_with(spec, nullptr); }

void validate_for_run(const RunSpec& spec) {
  validate_with(spec, nullptr);
  validate_run_only(spec);
}

void validate_for_backtest(const RunSpec& spec) {
  validate_for_run(spec);
  const Reporter r(nullptr);
  const BacktestSpec& b = spec.backtest;
  if (b.prices.empty()) {
    r.fail_message("the backtest needs an hourly price file: give --prices FILE or backtest.prices");
  }
  if (spec.simulation.steps_per_day != 24.0) {
    r.fail("simulation.steps_per_day", spec.simulation.steps_per_day,
           "must be 24 for a backtest: the historical prices are hourly and every hour is a hedging step");
  }
  if (spec.hedge.delta == DeltaSource::model) {
    r.fail("hedge.delta", "model",
           "is not available in a backtest (the model's delta table is built at model.spot for simulated "
           "variance); use implied (at backtest.vol) or instantaneous (at the trailing realised variance)");
  }
  if (spec.hedge.delta == DeltaSource::instantaneous && b.vol != BacktestVol::realized) {
    r.fail("hedge.delta", "instantaneous",
           "in a backtest needs backtest.vol: realized (the instantaneous variance of a historical path is "
           "its trailing realised variance); or use hedge.delta: implied");
  }
  if (spec.hedge.funding.stochastic) {
    r.fail("hedge.funding.stochastic", "true",
           "a backtest replays history: give a funding file (backtest.funding or --funding) or a constant "
           "hedge.funding.rate");
  }
  const GasSpec& g = spec.costs.gas;
  using Field = std::pair<const char*, double>;
  for (const auto& [name, value] : std::initializer_list<Field>{
           {"kappa", g.kappa}, {"sigma", g.sigma}, {"return_sensitivity", g.return_sensitivity}}) {
    if (value != 0.0) {
      r.fail(std::string("costs.gas.") + name, value,
             "a backtest replays history: the gas price is costs.gas.price_gwei, or the series of backtest.gas "
             "(--gas); remove the stochastic gas parameters");
    }
  }
  if (!b.funding.empty() && spec.hedge.instrument != HedgeInstrument::perpetual) {
    r.fail("backtest.funding", "'" + b.funding + "'",
           "funding applies only to hedge.instrument = perpetual, not spot: remove it or hedge with the perpetual");
  }
  if (!b.gas.empty() && g.units <= 0.0) {
    r.fail("backtest.gas", "'" + b.gas + "'",
           "a gas-price series needs costs.gas.units (gas per rebalance) and costs.gas.price_gwei (for the "
           "Monte Carlo comparison)");
  }
}

void validate_for_optimise(const RunSpec& spec) {
  validate_with(spec, nullptr);
  if (spec.optimise.families.empty()) {
    throw InputError(
        "section 'optimise' is required by the optimise command: list the policy families to optimise, e.g. "
        "optimise: {families: [{name: band, type: delta_band, parameters: {width: [0.01, 1.0]}}]}");
  }
}

// ───────────────────────────── grid.hpp ─────────────────────────────

std::optional<std::uint32_t> whole_steps(double days, double steps_per_day) {
  const double steps = days * steps_per_day;
  if (!std::isfinite(steps) || steps < 0.0 || !is_whole(steps) ||
      std::round(steps) > static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(std::round(steps));
}

double effective_horizon_days(const SimulationSpec& sim, const std::vector<OptionSpec>& book) {
  if (sim.horizon_days > 0.0) return sim.horizon_days;
  double last = 0.0;
  for (const OptionSpec& o : book) last = std::max(last, o.expiry_days);
  return last;
}

TimeGrid make_grid(const SimulationSpec& sim, const std::vector<OptionSpec>& book) {
  const double horizon = effective_horizon_days(sim, book);
  const auto steps = whole_steps(horizon, sim.steps_per_day);
  if (!steps || *steps == 0) {
    throw InputError("horizon of " + format_number(horizon) + " days x steps_per_day " +
                     format_number(sim.steps_per_day) + " is not a whole, positive number of time steps");
  }
  const double dt_days = 1.0 / sim.steps_per_day;
  return TimeGrid{*steps, dt_days / kDaysPerYear, dt_days};
}

std::uint32_t expiry_step(const OptionSpec& option, double steps_per_day) {
  const auto step = whole_steps(option.expiry_days, steps_per_day);
  if (!step || *step == 0) {
    throw InputError("expiry_days = " + format_number(option.expiry_days) + " x steps_per_day " +
                     format_number(steps_per_day) + " is not a whole, positive number of time steps");
  }
  return *step;
}

}  // namespace hedgesim
