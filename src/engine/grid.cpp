#include "hedgesim/engine/grid.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hedgesim/errors.hpp"
#include "hedgesim/format.hpp"

namespace hedgesim {
bool is_whole(double x) { return std::fabs(x - std::round(x)) <= kGridTolerance * std::max(1.0, std::fabs(x)); }

std::optional<double> grid_suggestion(std::span<const double> days, double current) {
  for (int den = 1; den <= kMaxSuggestedStepsPerDay; ++den) {
    if (std::all_of(days.begin(), days.end(), [&](double d) { return is_whole(d * den); })) {
      const double multiple = std::max(1.0, std::ceil(current / den - kGridTolerance));
      return multiple * den;
    }
  }
  return std::nullopt;
}

std::optional<std::uint32_t> whole_steps(double days, double steps_per_day) {
  const double steps = days * steps_per_day;
  if (!std::isfinite(steps) || steps < 0.0 || !is_whole(steps) ||
      std::round(steps) > static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(std::round(steps));
}

double effective_horizon_days(const SimulationSpec& sim, const std::vector<OptionSpec>& book) {
  if (sim.horizon_days > 0.0) return sim.horizon_days;
  double last = 0.0;
  for (const OptionSpec& o : book) last = std::max(last, o.expiry_days);
  return last;
}

TimeGrid make_grid(const SimulationSpec& sim, const std::vector<OptionSpec>& book) {
  const double horizon = effective_horizon_days(sim, book);
  const auto steps = whole_steps(horizon, sim.steps_per_day);
  if (!steps || *steps == 0) {
    throw InputError("horizon of " + format_number(horizon) + " days x steps_per_day " +
                     format_number(sim.steps_per_day) + " is not a whole, positive number of time steps");
  }
  const double dt_days = 1.0 / sim.steps_per_day;
  return TimeGrid{*steps, dt_days / kDaysPerYear, dt_days};
}

std::uint32_t expiry_step(const OptionSpec& option, double steps_per_day) {
  const auto step = whole_steps(option.expiry_days, steps_per_day);
  if (!step || *step == 0) {
    throw InputError("expiry_days = " + format_number(option.expiry_days) + " x steps_per_day " +
                     format_number(steps_per_day) + " is not a whole, positive number of time steps");
  }
  return *step;
}

}  // namespace hedgesim
