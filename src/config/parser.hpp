#pragma once
// The parsing stage: the shape of the document (sections, known keys, value types, required keys,
// keys of another variant), with yaml-cpp's marks for line numbers. The core (parser.cpp) reads
// values by their schema row; each section's file reads its section and validates it.
#include <yaml-cpp/yaml.h>

#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "report.hpp"
#include "schema.hpp"

namespace hedgesim::config {

/// One key: value pair of a YAML map, with the line the message should point at.
struct Entry {
  std::string key;
  YAML::Node value;
  int line;
};

int line_of(const YAML::Node& n);
const char* kind_of(const YAML::Node& n);

class Parser {
 public:
  explicit Parser(const std::string& source) { where_.source = source; }
  RunSpec parse(const std::string& text);
  /// The sections and validation of parse(), on a document already loaded and checked (a risk pack's
  /// shocked config: src/config/pack.cpp). Messages take each node's line from its mark, so a value
  /// the pack set points at the pack's line. `config_text` becomes RunSpec::config_text.
  RunSpec parse_root(const YAML::Node& root, const std::string& config_text);

  [[noreturn]] void fail(const std::string& msg) const;

 private:
  std::string prefix() const { return where_.source.empty() ? "" : where_.source + ": "; }

  /// "key = 'text' at line N: expected E", or "key at line N is a list: expected E".
  [[noreturn]] void type_error(const std::string& key, const Entry& e, const std::string& expected) const;
  [[noreturn]] void not_used(const std::string& key, const Entry& e, const std::string& what) const;

  /// The pairs of map `node` (at key path `path`, "" for the root), rejecting duplicates, non-name
  /// keys and names not in `valid` (with the nearest valid name suggested).
  std::vector<Entry> entries(const YAML::Node& node, const std::string& path, std::span<const std::string_view> valid);
  /// The entries of a section or list element that must be a map.
  std::vector<Entry> map_entries(const Entry& e, const std::string& path, std::span<const std::string_view> valid,
                                 const std::string& expected);
  /// The entries of a section whose keys are `keys`.
  template <class S>
  std::vector<Entry> map_entries(const Entry& e, const std::string& path, std::span<const Key<S>> keys,
                                 const std::string& expected) {
    return map_entries(e, path, key_names(keys), expected);
  }

  /// Each element of the YAML list `section` (key path `name`: the book, hedge.options; `expected` describes
  /// the list) as f(path, element, entries), its entries read against `keys` (`expected_item` describes one).
  template <class S, class F>
  void for_each_element(const Entry& section, const std::string& name, std::span<const Key<S>> keys,
                        const std::string& expected, const std::string& expected_item, F&& f) {
    if (!section.value.IsSequence()) {
      fail(name + " at line " + std::to_string(section.line) + " is " + kind_of(section.value) + ": expected " + expected);
    }
    std::size_t index = 0;
    for (const YAML::Node& item : section.value) {
      const std::string path = name + "[" + std::to_string(index++) + "]";
      const Entry element{path, item, line_of(item)};
      where_.line[path] = element.line;
      f(path, element, map_entries(element, path, keys, expected_item));
    }
  }

  /// Reads `es` into `s` by their rows of `keys`, in document order, and returns the names given.
  /// `check(row, entry)` runs first for each entry: it throws when the key does not apply, and
  /// returns true when it has read the value itself (a nested map).
  template <class S, class Check>
  std::set<std::string, std::less<>> read(const std::vector<Entry>& es, const std::string& path,
                                          std::span<const Key<S>> keys, S& s, Check&& check);
  template <class S>
  std::set<std::string, std::less<>> read(const std::vector<Entry>& es, const std::string& path,
                                          std::span<const Key<S>> keys, S& s) {
    return read(es, path, keys, s, [](const Key<S>&, const Entry&) { return false; });
  }
  /// The first key of `keys` that `variant` requires and `given` lacks, or nullptr.
  template <class S>
  static const Key<S>* missing(std::span<const Key<S>> keys, const std::set<std::string, std::less<>>& given,
                               unsigned variant = kAnyVariant) {
    for (const Key<S>& k : keys) {
      if (k.required && (k.used_by & variant) && !given.contains(k.name)) return &k;
    }
    return nullptr;
  }

  /// A finite number; with `allow_infinity`, also YAML's .inf (+.inf, .Inf, .INF).
  double number(const std::string& key, const Entry& e, const std::string& expected, bool allow_infinity = false) const;
  std::uint64_t integer(const std::string& key, const Entry& e, const std::string& expected,
                        std::uint64_t max = kAnyInteger) const;
  bool boolean(const std::string& key, const Entry& e) const;
  std::string text(const std::string& key, const Entry& e, const std::string& expected) const;
  std::int64_t utc_time(const std::string& key, const Entry& e) const;
  template <class E>
  E enumeration(const std::string& key, const Entry& e) const {
    if (!e.value.IsScalar()) type_error(key, e, "one of " + join(names_of<E>()));
    const std::string& text = e.value.Scalar();
    if (const auto v = enum_from_string<E>(text)) return *v;
    type_error(key, e, enum_expectation<E>(text));
  }
  /// One of `names` (a choice key's value), as its index.
  double choice(const std::string& key, const Entry& e, std::span<const std::string_view> names) const;
  /// The value of policy key `k` (at key path `key`) into p.values.
  void policy_value(const std::string& key, const Entry& e, const PolicyKey& k, PolicySpec& p);
  /// A YAML list of finite numbers (frontier λ values or budgets), each checked by `ok`.
  std::vector<double> number_list(const std::string& key, const Entry& e, const std::string& expected,
                                  bool (*ok)(double));

  /// The entry named `name` in `es`, or nullptr.
  static const Entry* find(const std::vector<Entry>& es, std::string_view name);

  // One per section (the file of the same name).
  void parse_simulation(const Entry& section, SimulationSpec& sim);
  void parse_output(const Entry& section, OutputSpec& o);
  void parse_model(const Entry& section, ModelParams& m);
  void parse_book(const Entry& section, std::vector<OptionSpec>& book);
  void parse_hedge(const Entry& section, HedgeSpec& h);
  void parse_funding(const Entry& section, FundingSpec& f);
  void parse_hedge_options(const Entry& section, std::vector<HedgeOptionSpec>& options);
  void parse_option_costs(const Entry& section, OptionCostSpec& c);
  void parse_surface(const Entry& section, SurfaceSpec& s);
  void parse_margin(const Entry& section, MarginSpec& m);
  void parse_order_flow(const Entry& section, OrderFlowSpec& f);
  void parse_costs(const Entry& section, CostSpec& c);
  void parse_gas(const Entry& section, GasSpec& g);
  void parse_slippage(const Entry& section, SlippageSpec& sl);
  void parse_policies(const Entry& section, std::vector<PolicySpec>& policies);
  void parse_backtest(const Entry& section, BacktestSpec& b);
  void parse_optimise(const Entry& section, RunSpec& spec);
  void parse_objective(const Entry& section, OptimiseSpec& o);
  void parse_families(const Entry& section, RunSpec& spec);
  void parse_family_parameters(const Entry& section, const std::string& family_path, FamilySpec& f, double spd);

  KeyLines where_;
};

// The validation stage, one function per section (the file of the same name); validate_with (config.cpp) calls
// them in order. Each is written against the plain RunSpec so the CLI can re-run it after flags.
void validate_simulation(const Reporter& r, const SimulationSpec& sim);
void validate_output(const Reporter& r, const OutputSpec& o);
void validate_model(const Reporter& r, const ModelParams& m);
void validate_book(const Reporter& r, const std::vector<OptionSpec>& book, double spot);
void validate_grid(const Reporter& r, const RunSpec& s);
void validate_hedge(const Reporter& r, const RunSpec& s);
void validate_order_flow(const Reporter& r, const RunSpec& s);
void validate_costs(const Reporter& r, const RunSpec& s);
void validate_policies(const Reporter& r, const RunSpec& s);
void validate_backtest(const Reporter& r, const BacktestSpec& b);
/// Every section's checks; `where` gives lines (nullptr: a spec changed in code or by flags).
void validate_with(const RunSpec& spec, const KeyLines* where);

/// Every date of the config the grid must hit — the book's expiries (or funding periods), the horizon, the
/// order flow's expiries, the hedge options' expiries (a rolling one's tenor and roll) — so that a
/// steps_per_day suggestion fits them all (book.cpp).
std::vector<double> config_days(const RunSpec& s);
/// Checks that `days` of key `key` is a whole number (>= 1) of steps; all_days: config_days and more, for a
/// steps_per_day to suggest (book.cpp).
void require_on_grid(const Reporter& r, const std::string& key, double days, double spd,
                     std::span<const double> all_days);
/// Checks that an interval of `hours` (key `key`: every_hours, max_hours) is a whole number (>= 1)
/// of time steps (policies.cpp).
void require_hours_on_grid(const Reporter& r, const std::string& key, double hours, double spd,
                           std::span<const double> all_days);
bool is_name_char(char c);
/// The key of `info` named exactly `name` (a group by its own name), or nullptr.
const PolicyKey* own_key(const PolicyInfo& info, std::string_view name);

// ── the template's body ──

template <class S, class Check>
std::set<std::string, std::less<>> Parser::read(const std::vector<Entry>& es, const std::string& path,
                                                std::span<const Key<S>> keys, S& s, Check&& check) {
  std::set<std::string, std::less<>> given;
  for (const Entry& e : es) {
    const Key<S>& k = key_named(keys, e.key);
    given.insert(e.key);
    if (check(k, e)) continue;
    const std::string key = path + "." + e.key;
    const std::string expected(k.expected);
    const auto accept = [&](double x) {
      if (k.accept && !k.accept(x)) type_error(key, e, std::string(k.accept_text.empty() ? k.expected : k.accept_text));
    };
    std::visit(
        [&](auto field) {
          using F = decltype(field);
          if constexpr (std::is_same_v<F, std::monostate>) {
          } else if constexpr (std::is_same_v<F, double S::*>) {
            const double x = number(key, e, expected);
            // 0 means "left out" in the spec; written out it is a mistake, not that default.
            if (!k.written_positive.empty() && !(x > 0.0)) {
              fail(key + " = " + e.value.Scalar() + " at line " + std::to_string(e.line) + ": " +
                   std::string(k.written_positive));
            }
            accept(x);
            s.*field = x;
          } else if constexpr (std::is_same_v<F, std::uint64_t S::*> || std::is_same_v<F, unsigned S::*>) {
            const std::uint64_t x = integer(key, e, expected, k.max);
            accept(static_cast<double>(x));
            s.*field = static_cast<std::remove_cvref_t<decltype(s.*field)>>(x);
          } else if constexpr (std::is_same_v<F, bool S::*>) {
            s.*field = boolean(key, e);
          } else if constexpr (std::is_same_v<F, std::string S::*>) {
            s.*field = text(key, e, expected);
          } else if constexpr (std::is_same_v<F, std::int64_t S::*>) {
            s.*field = utc_time(key, e);
          } else {
            s.*field = enumeration<std::remove_cvref_t<decltype(s.*field)>>(key, e);
          }
        },
        k.field);
    if (k.written) s.*k.written = true;
  }
  return given;
}

}  // namespace hedgesim::config
