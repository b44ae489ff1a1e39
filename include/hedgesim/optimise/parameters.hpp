#pragma once
// The free parameters each policy family offers the optimiser, how they are searched, and how a point
// of the search becomes a policy (host code).
//   time:            every_hours (whole time steps)
//   delta_band:      width (log scale, coins or relative move with width_per_gamma),
//                    rebalance_fraction ([0, 1]: 0 trades to the target, 1 to the band edge; given, it
//                    turns the candidate into the equivalent state_band with θ_const = ln width)
//   whalley_wilmott: risk_aversion (log scale)
//   move:            move_pct (log scale)
//   hybrid:          width (log scale), every_hours, max_hours (whole time steps)
//   state_band:      theta.const, theta.tau, theta.gamma, theta.vol, theta.gas, rebalance_fraction
// Log-scale parameters are searched in ln(value), so a search moves through orders of magnitude evenly.
#include <optional>
#include <span>
#include <string_view>

#include "hedgesim/spec.hpp"

namespace hedgesim {

enum class ParameterScale { linear, log, steps };

struct ParameterInfo {
  std::string_view name;
  ParameterScale scale;
};

/// The parameters a family of this type may set or free (empty for none and every_step).
std::span<const ParameterInfo> family_parameters(PolicyType type);
std::optional<ParameterInfo> find_parameter(PolicyType type, std::string_view name);

/// Writes `value` into the policy field named `name` (one of family_parameters(p.type)).
void set_parameter(PolicySpec& p, std::string_view name, double value);

/// The policy a family evaluates for the given free-parameter values (in FamilySpec::free order): steps
/// parameters rounded to whole steps of 1/steps_per_day day (at least one), delta_band with a rebalance
/// fraction expressed as state_band. `name` names the policy.
PolicySpec family_policy(const FamilySpec& family, std::span<const double> values, double steps_per_day,
                         const std::string& name);

}  // namespace hedgesim
