#pragma once
// The free parameters each policy family offers the optimiser, how they are searched, and how a point
// of the search becomes a policy (host code). Each policy header in hedging/policies/ lists its own
// (PolicyConfig::parameters); a policy without them is not a family (none, every_step).
// Log-scale parameters are searched in ln(value), so a search moves through orders of magnitude evenly;
// steps parameters are hours rounded to whole time steps.
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hedgesim/hedging/policies/policy_config.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

/// The parameters a family of this type may set or free (empty for none and every_step).
std::span<const ParameterInfo> family_parameters(PolicyType type);
std::optional<ParameterInfo> find_parameter(PolicyType type, std::string_view name);

/// The policy a family evaluates for the given free-parameter values (in FamilySpec::free order): steps
/// parameters rounded to whole steps of 1/steps_per_day day (at least one), then the type's
/// family_policy hook (delta_band with a rebalance fraction becomes state_band). `name` names the policy.
PolicySpec family_policy(const FamilySpec& family, std::span<const double> values, double steps_per_day,
                         const std::string& name);

}  // namespace hedgesim
