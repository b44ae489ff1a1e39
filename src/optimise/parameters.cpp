// The optimiser's parameters (optimise/parameters.hpp), from the policy registry.
#include "hedgesim/optimise/parameters.hpp"

#include <algorithm>
#include <cmath>

namespace hedgesim {

std::span<const ParameterInfo> family_parameters(PolicyType type) { return policy_info(type).parameters; }

std::optional<ParameterInfo> find_parameter(PolicyType type, std::string_view name) {
  for (const ParameterInfo& p : family_parameters(type)) {
    if (p.name == name) return p;
  }
  return std::nullopt;
}

PolicySpec family_policy(const FamilySpec& family, std::span<const double> values, double steps_per_day,
                         const std::string& name) {
  PolicySpec p = family.base;
  p.name = name;
  for (std::size_t i = 0; i < family.free.size(); ++i) {
    const ParameterBound& b = family.free[i];
    double v = values[i];
    const auto info = find_parameter(p.type, b.name);
    if (info && info->scale == ParameterScale::steps) {
      const double hours_per_step = 24.0 / steps_per_day;
      v = std::max(1.0, std::round(v / hours_per_step)) * hours_per_step;
    }
    p.set(b.name, v);
  }
  policy_info(p.type).family_policy(p);
  return p;
}

}  // namespace hedgesim
