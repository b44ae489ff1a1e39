#pragma once
// Host side of a rebalancing policy (policy.hpp has the device side): what each policy header in
// policies/ declares next to its rule, and the registry built from them. A policy's host part is a
// specialisation PolicyConfig<Rule> with
//   keys[]            its config keys: kind, required or default, what a value must be (parse errors);
//   validate()        value ranges and cross-key rules (the validation stage, RunSpec in hand);
//   to_params()       PolicySpec → the rule's PolicyParams::value slots;
//   needs_gamma()     whether it reads the book gamma (default false);
//   parameters[]      what `hedgesim optimise` may search (none: not a family);
//   trades            false only for `none` (default true: it may trade, so leland applies);
//   check_family(), family_policy()   optional optimiser hooks (delta_band, hybrid).
// Everything is optional; none.hpp is the smallest example. No YAML here: src/config/policies.cpp is the only
// reader and loops over keys[]. Host compilers only (nvcc never sees this header).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

/// How a config key's value is read and stored in PolicySpec::values (all as doubles).
enum class KeyKind {
  number,  ///< a finite number (with allow_infinity, also .inf)
  flag,    ///< true/false, stored as 1/0
  choice,  ///< one of `items`, stored as its index
  group,   ///< a map of numbers named by `items`, stored as "<key>.<item>" (state_band's theta)
};

/// One config key of a policy type, written as e.g.
///   PolicyKey::number("every_hours", "a number of hours > 0").required().hours()
struct PolicyKey {
  std::string_view name;
  KeyKind kind = KeyKind::number;
  bool is_required = false;
  double default_value = 0.0;     ///< when left out (group: of every item)
  std::string_view expected;      ///< number and group items: what a value must be, for parse errors
  bool in_hours = false;          ///< an interval in hours: must be whole time steps (validate())
  bool allow_infinity = false;    ///< number: YAML's .inf is accepted
  std::string_view zero_error;    ///< non-empty: a written 0 is this error ("must be > 0 (...)"): 0 means left out
  std::span<const std::string_view> items;  ///< choice: the names; group: the item names
  std::string_view group_expected;          ///< group: what the map must be
  std::string_view meaning;                 ///< what it means, for the key reference (docs/config.md)

  static constexpr PolicyKey number(std::string_view name, std::string_view expected) {
    PolicyKey k;
    k.name = name;
    k.expected = expected;
    return k;
  }
  static constexpr PolicyKey flag(std::string_view name) {
    PolicyKey k;
    k.name = name;
    k.kind = KeyKind::flag;
    return k;
  }
  static constexpr PolicyKey choice(std::string_view name, std::span<const std::string_view> names) {
    PolicyKey k;
    k.name = name;
    k.kind = KeyKind::choice;
    k.items = names;
    return k;
  }
  static constexpr PolicyKey group(std::string_view name, std::span<const std::string_view> item_names,
                                   std::string_view map_expected, std::string_view item_expected) {
    PolicyKey k;
    k.name = name;
    k.kind = KeyKind::group;
    k.items = item_names;
    k.group_expected = map_expected;
    k.expected = item_expected;
    return k;
  }
 private:
  // Defined before its callers: Clang 14 cannot evaluate a member template used in a constant
  // expression before its definition (the fuzz preset builds with Clang).
  template <class T>
  constexpr PolicyKey with(T PolicyKey::*field, T value) const {
    PolicyKey k = *this;
    k.*field = value;
    return k;
  }

 public:
  constexpr PolicyKey required() const { return with(&PolicyKey::is_required, true); }
  constexpr PolicyKey hours() const { return with(&PolicyKey::in_hours, true); }
  constexpr PolicyKey infinity_allowed() const { return with(&PolicyKey::allow_infinity, true); }
  constexpr PolicyKey defaults_to(double value) const { return with(&PolicyKey::default_value, value); }
  constexpr PolicyKey zero_is_error(std::string_view error) const { return with(&PolicyKey::zero_error, error); }
  constexpr PolicyKey means(std::string_view text) const { return with(&PolicyKey::meaning, text); }
};

/// rebalance_to's names, in RebalanceTo order (a choice key of the band policies).
inline constexpr std::string_view kRebalanceToNames[] = {"center", "edge"};

enum class ParameterScale { linear, log, steps };

/// One parameter a policy family offers the optimiser (optimise/parameters.hpp), written as e.g.
///   ParameterInfo{"width", ParameterScale::log}.required()
struct ParameterInfo {
  std::string_view name;
  ParameterScale scale = ParameterScale::linear;
  bool is_required = false;     ///< a family must give it, fixed or free
  bool unit_interval = false;   ///< linear in [0, 1] (else finite)
  bool allow_infinity = false;  ///< a fixed value may be .inf

  constexpr ParameterInfo(std::string_view n, ParameterScale s) : name(n), scale(s) {}
  constexpr ParameterInfo required() const { return with(&ParameterInfo::is_required); }
  constexpr ParameterInfo in_unit_interval() const { return with(&ParameterInfo::unit_interval); }
  constexpr ParameterInfo infinity_allowed() const { return with(&ParameterInfo::allow_infinity); }

 private:
  constexpr ParameterInfo with(bool ParameterInfo::*field) const {
    ParameterInfo p = *this;
    p.*field = true;
    return p;
  }
};

/// The validation stage's view for a policy's validate(): every failure names the key as
/// policies[i].KEY, with its line where the config gave one. Implemented in src/config/policies.cpp.
class PolicyChecks {
 public:
  virtual ~PolicyChecks() = default;
  virtual void require_positive(std::string_view key, double x) const = 0;  ///< "must be > 0"
  virtual void require_finite(std::string_view key, double x) const = 0;    ///< "must be a finite number"
  /// > 0 and a whole number (>= 1) of time steps, suggesting the neighbours and a steps_per_day.
  virtual void require_hours_on_grid(std::string_view key, double hours) const = 0;
  [[noreturn]] virtual void fail(std::string_view key, double value, const std::string& what) const = 0;
  [[noreturn]] virtual void fail(std::string_view key, const std::string& value, const std::string& what) const = 0;
  /// "policies[i][ at line N]: WHAT", for rules between keys.
  [[noreturn]] virtual void fail_policy(const std::string& what) const = 0;
  virtual double fee_bps() const = 0;
  /// "costs.fee_bps = 0 at line N", or "... (not given)".
  virtual std::string fee_text() const = 0;
};

/// A family's parameters as the optimise section gives them, for check_family(). In src/config/optimise.cpp.
class FamilyChecks {
 public:
  virtual ~FamilyChecks() = default;
  virtual bool given(std::string_view parameter) const = 0;  ///< fixed or free
  /// "optimise.families[i].parameters at line N: WHAT"
  [[noreturn]] virtual void fail_parameters(const std::string& what) const = 0;
  /// "optimise.families[i] (family 'NAME'): WHAT"
  [[noreturn]] virtual void fail_family(const std::string& what) const = 0;
};

/// What a policy's to_params() converts its parameters with: the time grid (hours to steps) and the
/// run's state at inception (feature scales of state-dependent rules).
struct PolicyGrid {
  double steps_per_day;
  double dt_years;
  std::string key;  ///< "policies[i]", for messages
  double tau0 = 1.0;    ///< years to the book's last expiry (1 when 0)
  double gamma0 = 1.0;  ///< |Γ_book|·S at inception (1 when 0)
  double vol0 = 1.0;    ///< √v_0 of the model (GBM: its vol; 1 when 0)
  double book_gamma0 = 0.0;  ///< |Γ_book| at inception, coins per USD (option-hedging bands)
  double book_vega0 = 0.0;   ///< |ν_book| at inception, USD per unit of σ
  /// `hours` of key `name` as whole steps (> 0), else InputError.
  std::uint32_t steps(std::string_view name, double hours) const;
};

/// A policy's host part; each policy header specialises it (policy_registry.cpp reads it).
template <class Rule>
struct PolicyConfig {};

/// One registered policy's host part, with defaults filled in (policy_registry.cpp).
struct PolicyInfo {
  PolicyType type;
  std::string_view name;
  std::span<const PolicyKey> keys;
  std::span<const ParameterInfo> parameters;
  bool trades;
  void (*validate)(const PolicySpec&, const PolicyChecks&);
  void (*to_params)(const PolicySpec&, const PolicyGrid&, PolicyParams&);
  bool (*needs_gamma)(const PolicySpec&);
  void (*check_family)(const PolicySpec&, const FamilyChecks&);
  void (*family_policy)(PolicySpec&);
  unsigned hedge_options = 0;  ///< hedge options the rule trades (Rule::kHedgeOptions): hedge.options needs as many

  const PolicyKey* key(std::string_view key_name) const;
};

/// Every registered policy, in PolicyType order.
std::span<const PolicyInfo> registered_policies();
const PolicyInfo& policy_info(PolicyType type);
std::optional<PolicyType> policy_type_named(std::string_view name);

/// The PolicyType of a registered rule, for a policy whose host part builds another policy's spec
/// (delta_band's family_policy). Defined with the list (hedging/policy.hpp), which every caller's
/// translation unit includes: a rule's header comes before the enumerators exist.
template <class Rule>
constexpr PolicyType policy_type_of();

}  // namespace hedgesim
