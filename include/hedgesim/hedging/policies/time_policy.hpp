#pragma once
// `time`: rebalance to the full hedge every N steps (every_hours on the grid), starting at t = 0.
// Keys: every_hours (> 0, required; a whole number of time steps). Optimiser: every_hours (whole steps).
#include <cmath>

#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

struct TimeRule {
  enum Slot : unsigned { kEverySteps, kSlots };  ///< PolicyParams::value
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    return c.step % static_cast<std::uint32_t>(p.value[kEverySteps]) == 0 ? c.target : s.hedge;
  }
};

#if !defined(__CUDACC__)
template <>
struct PolicyConfig<TimeRule> {
  static constexpr PolicyKey keys[] = {
      PolicyKey::number("every_hours", "a number of hours > 0").required().hours().means("hours between full rebalances, from t = 0"),
  };
  static constexpr ParameterInfo parameters[] = {ParameterInfo{"every_hours", ParameterScale::steps}.required()};

  static void validate(const PolicySpec& p, const PolicyChecks& c) {
    c.require_hours_on_grid("every_hours", p.get("every_hours"));
  }
  static void to_params(const PolicySpec& p, const PolicyGrid& g, PolicyParams& out) {
    const double hours = p.get("every_hours");
    const std::uint32_t every = hours > 0 ? g.steps("every_hours", hours) : 1;
    out.value[TimeRule::kEverySteps] = every;
    out.leland_sqrt_dt = std::sqrt(every * g.dt_years);  // Leland's Δt: the interval
  }
};
#endif

}  // namespace hedgesim
