// optimise: — the policy families to optimise and the objective, frontier, search and
// out-of-sample settings (docs/optimise.md).
#include <algorithm>
#include <map>

#include "hedgesim/optimise/parameters.hpp"
#include "parser.hpp"

namespace hedgesim::config {
namespace {

/// Most free parameters of one family (state_band: five loadings and the rebalance fraction).
constexpr std::size_t kMaxFreeParameters = 6;

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

}  // namespace

void Parser::parse_optimise(const Entry& section, RunSpec& spec) {
  OptimiseSpec& o = spec.optimise;
  const std::span<const Key<OptimiseSpec>> keys = kOptimiseKeys;
  const auto es = map_entries(section, "optimise", keys, "a map of optimiser keys (" + join(key_names(keys)) + ")");
  const Entry* families = find(es, "families");
  if (!families) {
    fail("optimise.families is required (optimise at line " + std::to_string(section.line) +
         "): a list such as - {name: band, type: delta_band, parameters: {width: [0.01, 1.0]}}");
  }
  parse_families(*families, spec);
  if (const Entry* e = find(es, "objective")) parse_objective(*e, o);
  if (const Entry* e = find(es, "frontier")) {
    const std::span<const Key<OptimiseSpec>> frontier = kFrontierKeys;
    const std::string expected = "a map {lambdas: [...]} or {budgets: [...]}";
    for (const Entry& f : map_entries(*e, "optimise.frontier", frontier, expected)) {
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
    const std::span<const Key<OptimiseSpec>> search = kSearchKeys;
    read(map_entries(*e, "optimise.search", search, "a map of search keys (" + join(key_names(search)) + ")"),
         "optimise.search", search, o);
  }
  if (const Entry* e = find(es, "out_of_sample")) {
    const std::span<const Key<OptimiseSpec>> oos = kOutOfSampleKeys;
    read(map_entries(*e, "optimise.out_of_sample", oos, "a map {seed: S, paths: N}"), "optimise.out_of_sample", oos, o);
  }
}

void Parser::parse_objective(const Entry& section, OptimiseSpec& o) {
  const std::span<const Key<OptimiseSpec>> keys = kObjectiveKeys;
  const auto es =
      map_entries(section, "optimise.objective", keys, "a map such as {risk: es, level: 0.95, lambda: 0.5}");
  if (const Entry* r = find(es, "risk")) o.risk = enumeration<RiskMeasure>("optimise.objective.risk", *r);
  const Entry* lambda = find(es, "lambda");
  const Entry* budget = find(es, "cost_budget");
  if (lambda && budget) {
    not_used("optimise.objective.cost_budget", *budget,
             "cannot be given with optimise.objective.lambda at line " + std::to_string(lambda->line) +
                 ": lambda minimises mean cost + lambda x risk, cost_budget minimises risk subject to mean cost "
                 "<= budget; keep one");
  }
  const unsigned mine = bit(o.risk);
  const auto given = read(es, "optimise.objective", keys, o, [&](const Key<OptimiseSpec>& k, const Entry& e) {
    if (!(k.used_by & mine)) {
      not_used("optimise.objective." + e.key, e,
               "is used only by risk " + join_last(names_in<RiskMeasure>(k.used_by), "and") + ", not by risk " +
                   to_string(o.risk));
    }
    return false;
  });
  if (const Key<OptimiseSpec>* k = missing(keys, given, mine)) {
    fail("optimise.objective." + std::string(k->name) + " is required for risk " + to_string(o.risk) +
         " (objective at line " + std::to_string(section.line) + "): " + std::string(k->required_hint));
  }
}

void Parser::parse_families(const Entry& section, RunSpec& spec) {
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

namespace {

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

}  // namespace

/// The family's parameters section (at `family_path`.parameters): fixed values into f.base, free
/// ones into f.free.
void Parser::parse_family_parameters(const Entry& section, const std::string& family_path, FamilySpec& f, double spd) {
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

}  // namespace hedgesim::config

namespace hedgesim {

void validate_for_optimise(const RunSpec& spec) {
  config::validate_with(spec, nullptr);
  if (spec.optimise.families.empty()) {
    throw InputError(
        "section 'optimise' is required by the optimise command: list the policy families to optimise, e.g. "
        "optimise: {families: [{name: band, type: delta_band, parameters: {width: [0.01, 1.0]}}]}");
  }
}

}  // namespace hedgesim
