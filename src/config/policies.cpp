// policies: — a list of policies, each with name, type, leland and its type's own keys (the
// PolicyConfig::keys of hedging/policies/, read through the registry of hedging/policy.hpp).
#include <algorithm>
#include <limits>
#include <map>

#include "hedgesim/engine/grid.hpp"
#include "parser.hpp"

namespace hedgesim::config {
namespace {

// Policies evaluated together on every path: the engine's fixed-size arrays (kMaxPolicies in
// hedging/hedge_job.hpp, which this must not exceed).
constexpr std::size_t kMaxPolicyCount = 32;
constexpr std::size_t kMaxPolicyNameLength = 64;

std::string policy_path(std::size_t i) { return "policies[" + std::to_string(i) + "]"; }

static_assert(std::size(kPolicyTypes) <= 32, "one bit per policy type");

/// The types that have key `name` (bit per PolicyType).
unsigned policy_types_with(std::string_view name) {
  unsigned types = 0;
  for (const PolicyInfo& info : registered_policies()) {
    if (name == "name" || name == "type" || (name == "leland" && info.trades) || own_key(info, name)) {
      types |= bit(info.type);
    }
  }
  return types;
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

/// "costs.fee_bps = 0 at line N", or "... (not given)" when the config leaves it out.
std::string fee_text(const Reporter& r, const CostSpec& c) { return value_text(r, "costs.fee_bps", c.fee_bps); }

/// What a policy's validate() checks through (policies/policy_config.hpp): keys named
/// policies[i].KEY, lines from the Reporter.
class PolicyChecker final : public PolicyChecks {
 public:
  PolicyChecker(const Reporter& r, const RunSpec& s, std::string path, std::span<const double> all_days)
      : r_(r), s_(s), path_(std::move(path)), all_days_(all_days) {}

  void require_positive(std::string_view key, double x) const override { config::require_positive(r_, full(key), x); }
  void require_finite(std::string_view key, double x) const override { config::require_finite(r_, full(key), x); }
  void require_hours_on_grid(std::string_view key, double hours) const override {
    config::require_hours_on_grid(r_, full(key), hours, s_.simulation.steps_per_day, all_days_);
  }
  [[noreturn]] void fail(std::string_view key, double value, const std::string& what) const override {
    r_.fail(full(key), value, what);
  }
  [[noreturn]] void fail(std::string_view key, const std::string& value, const std::string& what) const override {
    r_.fail(full(key), value, what);
  }
  [[noreturn]] void fail_policy(const std::string& what) const override { r_.fail_key(path_, what); }
  double fee_bps() const override { return s_.costs.fee_bps; }
  std::string fee_text() const override { return config::fee_text(r_, s_.costs); }

 private:
  std::string full(std::string_view key) const { return path_ + "." + std::string(key); }
  const Reporter& r_;
  const RunSpec& s_;
  std::string path_;
  std::span<const double> all_days_;
};

}  // namespace

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

/// The key of `info` named exactly `name` (a group by its own name), or nullptr.
const PolicyKey* own_key(const PolicyInfo& info, std::string_view name) {
  for (const PolicyKey& k : info.keys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

void validate_policies(const Reporter& r, const RunSpec& s) {
  const std::vector<PolicySpec>& ps = s.policies;
  if (ps.size() > kMaxPolicyCount) {
    r.fail_key("policies", "lists " + std::to_string(ps.size()) + " policies: at most " +
                               std::to_string(kMaxPolicyCount) +
                               " (they are evaluated together on every path); split the study into several configs");
  }
  // Every date the grid must hit, the policies' intervals too, so that a steps_per_day suggestion fits them all.
  std::vector<double> all_days = config_days(s);
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
      if (s.hedge.marks == MarkSource::surface) {
        r.fail(k + "leland", "true",
               "Leland adjusts one Black-Scholes volatility, and hedge.marks = surface gives every option its "
               "own vol from the surface: set hedge.marks: black_scholes, or remove leland");
      }
    }
  }
}

void Parser::parse_policies(const Entry& section, std::vector<PolicySpec>& policies) {
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

}  // namespace hedgesim::config
