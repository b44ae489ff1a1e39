// The host registry of rebalancing policies (hedging/policies/policy_config.hpp), derived from the
// list in hedging/policy.hpp: each policy's PolicyConfig with its optional parts defaulted.
#include <algorithm>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "hedgesim/engine/grid.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/policy.hpp"

namespace hedgesim {
namespace {

template <class Rule>
constexpr PolicyInfo info_of(PolicyType type, std::string_view name) {
  if constexpr (requires { Rule::kSlots; }) {
    static_assert(Rule::kSlots <= kPolicyValues, "a rule reads at most kPolicyValues PolicyParams::value slots");
  }
  using C = PolicyConfig<Rule>;
  PolicyInfo i{type, name, {}, {}, true, nullptr, nullptr, nullptr, nullptr, nullptr};
  if constexpr (requires { C::keys; }) i.keys = C::keys;
  if constexpr (requires { Rule::kHedgeOptions; }) i.hedge_options = Rule::kHedgeOptions;
  if constexpr (requires { C::parameters; }) i.parameters = C::parameters;
  if constexpr (requires { C::trades; }) i.trades = C::trades;
  if constexpr (requires { &C::validate; }) {
    i.validate = &C::validate;
  } else {
    i.validate = [](const PolicySpec&, const PolicyChecks&) {};
  }
  if constexpr (requires { &C::to_params; }) {
    i.to_params = &C::to_params;
  } else {
    i.to_params = [](const PolicySpec&, const PolicyGrid&, PolicyParams&) {};
  }
  if constexpr (requires { &C::needs_gamma; }) {
    i.needs_gamma = &C::needs_gamma;
  } else {
    i.needs_gamma = [](const PolicySpec&) { return false; };
  }
  if constexpr (requires { &C::check_family; }) {
    i.check_family = &C::check_family;
  } else {
    i.check_family = [](const PolicySpec&, const FamilyChecks&) {};
  }
  if constexpr (requires { &C::family_policy; }) {
    i.family_policy = &C::family_policy;
  } else {
    i.family_policy = [](PolicySpec&) {};
  }
  return i;
}

constexpr PolicyInfo kRegistry[] = {
#define HEDGESIM_POLICY_INFO(name, Rule) info_of<Rule>(PolicyType::name, #name),
    HEDGESIM_POLICIES(HEDGESIM_POLICY_INFO)
#undef HEDGESIM_POLICY_INFO
};

/// Whether `key` is `name` or, for a group key, one of its items "name.item".
bool names_key(const PolicyKey& k, std::string_view key) {
  if (key == k.name) return k.kind != KeyKind::group;
  if (k.kind != KeyKind::group || key.size() <= k.name.size() + 1 || !key.starts_with(k.name) ||
      key[k.name.size()] != '.')
    return false;
  const std::string_view item = key.substr(k.name.size() + 1);
  return std::find(k.items.begin(), k.items.end(), item) != k.items.end();
}

}  // namespace

const PolicyKey* PolicyInfo::key(std::string_view key_name) const {
  for (const PolicyKey& k : keys) {
    if (names_key(k, key_name)) return &k;
  }
  return nullptr;
}

/// spec.hpp's declaration: the names as spelled in configs and outputs.
const char* to_string(PolicyType v) {
  switch (v) {
#define HEDGESIM_POLICY_NAME(name, Rule) \
  case PolicyType::name:                 \
    return #name;
    HEDGESIM_POLICIES(HEDGESIM_POLICY_NAME)
#undef HEDGESIM_POLICY_NAME
  }
  return "?";
}

std::span<const PolicyInfo> registered_policies() { return kRegistry; }

const PolicyInfo& policy_info(PolicyType type) { return kRegistry[static_cast<std::size_t>(type)]; }

std::optional<PolicyType> policy_type_named(std::string_view name) {
  for (const PolicyInfo& i : kRegistry) {
    if (i.name == name) return i.type;
  }
  return std::nullopt;
}

double PolicySpec::get(std::string_view key) const {
  if (const auto it = values.find(key); it != values.end()) return it->second;
  const PolicyInfo& info = policy_info(type);
  if (const PolicyKey* k = info.key(key)) return k->default_value;
  for (const ParameterInfo& p : info.parameters) {
    if (p.name == key) return 0.0;
  }
  throw std::logic_error("policy type " + std::string(info.name) + " has no key '" + std::string(key) + "'");
}

void PolicySpec::set(std::string_view key, double value) {
  const PolicyInfo& info = policy_info(type);
  const bool known = info.key(key) != nullptr || std::any_of(info.parameters.begin(), info.parameters.end(),
                                                             [&](const ParameterInfo& p) { return p.name == key; });
  if (!known) throw InputError("unknown " + std::string(info.name) + " parameter '" + std::string(key) + "'");
  values.insert_or_assign(std::string(key), value);
}

std::uint32_t PolicyGrid::steps(std::string_view name, double hours) const {
  const auto steps = whole_steps(hours / 24.0, steps_per_day);
  if (!steps || *steps == 0)
    throw InputError(fmt::format("{}.{} = {} hours is not a whole, positive number of steps of 1/{} day", key, name,
                                 hours, steps_per_day));
  return *steps;
}

}  // namespace hedgesim
