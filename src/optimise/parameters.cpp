// The optimiser's parameter registry (optimise/parameters.hpp).
#include "hedgesim/optimise/parameters.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>

#include "hedgesim/errors.hpp"

namespace hedgesim {
namespace {

constexpr ParameterInfo kTime[] = {{"every_hours", ParameterScale::steps}};
constexpr ParameterInfo kDeltaBand[] = {{"width", ParameterScale::log}, {"rebalance_fraction", ParameterScale::linear}};
constexpr ParameterInfo kWhalleyWilmott[] = {{"risk_aversion", ParameterScale::log}};
constexpr ParameterInfo kMove[] = {{"move_pct", ParameterScale::log}};
constexpr ParameterInfo kHybrid[] = {
    {"width", ParameterScale::log}, {"every_hours", ParameterScale::steps}, {"max_hours", ParameterScale::steps}};
constexpr ParameterInfo kStateBand[] = {{"theta.const", ParameterScale::linear}, {"theta.tau", ParameterScale::linear},
                                        {"theta.gamma", ParameterScale::linear}, {"theta.vol", ParameterScale::linear},
                                        {"theta.gas", ParameterScale::linear},   {"rebalance_fraction", ParameterScale::linear}};

}  // namespace

std::span<const ParameterInfo> family_parameters(PolicyType type) {
  switch (type) {
    case PolicyType::time: return kTime;
    case PolicyType::delta_band: return kDeltaBand;
    case PolicyType::whalley_wilmott: return kWhalleyWilmott;
    case PolicyType::move: return kMove;
    case PolicyType::hybrid: return kHybrid;
    case PolicyType::state_band: return kStateBand;
    case PolicyType::none:
    case PolicyType::every_step: break;
  }
  return {};
}

std::optional<ParameterInfo> find_parameter(PolicyType type, std::string_view name) {
  for (const ParameterInfo& p : family_parameters(type)) {
    if (p.name == name) return p;
  }
  return std::nullopt;
}

void set_parameter(PolicySpec& p, std::string_view name, double value) {
  if (name == "every_hours") {
    p.every_hours = value;
  } else if (name == "width") {
    p.width = value;
  } else if (name == "rebalance_fraction") {
    p.rebalance_fraction = value;
  } else if (name == "risk_aversion") {
    p.risk_aversion = value;
  } else if (name == "move_pct") {
    p.move_pct = value;
  } else if (name == "max_hours") {
    p.max_hours = value;
  } else if (name.starts_with("theta.")) {
    static constexpr std::string_view features[] = {"const", "tau", "gamma", "vol", "gas"};
    const auto it = std::find(std::begin(features), std::end(features), name.substr(6));
    if (it == std::end(features)) throw InputError("unknown state_band loading '" + std::string(name) + "'");
    p.theta[static_cast<std::size_t>(it - std::begin(features))] = value;
  } else {
    throw InputError("unknown policy parameter '" + std::string(name) + "'");
  }
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
    set_parameter(p, b.name, v);
  }
  if (p.type == PolicyType::delta_band && family.fraction_given) {
    // The same band with a partial rebalance: state_band with only the constant loading.
    p.type = PolicyType::state_band;
    p.theta = {std::log(p.width), 0.0, 0.0, 0.0, 0.0};
  }
  return p;
}

}  // namespace hedgesim
