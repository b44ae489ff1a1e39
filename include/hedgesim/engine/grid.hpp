#pragma once
// The simulation time grid (docs/models.md, "Time grid"): uniform steps of dt = 1 day / steps_per_day from t = 0 to
// the horizon, so every expiry must fall exactly on a step. validate() (config.hpp) rejects configs
// that break this with a located message; these helpers re-check so a RunSpec built in code cannot
// silently round an expiry to a neighbouring step. Host functions, defined in src/engine/grid.cpp.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "hedgesim/config_ranges.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

struct TimeGrid {
  std::uint32_t steps;  ///< number of time steps from t = 0 to the horizon
  double dt_years;      ///< dt_days / 365
  double dt_days;       ///< 1 / steps_per_day
};

/// Relative tolerance for "days × steps_per_day is a whole number": absorbs decimal round-off in
/// values such as 7.1 × 10 while rejecting any real mismatch.
constexpr double kGridTolerance = 1e-9;

/// days × steps_per_day as a whole number of steps, or nullopt if it is not one within
/// kGridTolerance (relative) or does not fit in 32 bits. Zero is returned as 0.
std::optional<std::uint32_t> whole_steps(double days, double steps_per_day);

/// The finest grid grid_suggestion() proposes: one step a second, simulation.steps_per_day's
/// plausible range (finer grids add only rounding error).
constexpr int kMaxSuggestedStepsPerDay = static_cast<int>(key_range("simulation.steps_per_day").hi);

/// Whether a step count is whole within kGridTolerance (relative).
bool is_whole(double steps);

/// The smallest steps_per_day >= `current` that puts every one of `days` on the grid, searching
/// multiples of the dates' common denominator up to one step a second; nullopt beyond that.
std::optional<double> grid_suggestion(std::span<const double> days, double current);

/// The horizon in days: simulation.horizon_days, or the last expiry of the book when that is 0.
double effective_horizon_days(const SimulationSpec& sim, const std::vector<OptionSpec>& book);

/// The grid of a validated spec. Throws InputError if the horizon is not a whole, positive number
/// of steps.
TimeGrid make_grid(const SimulationSpec& sim, const std::vector<OptionSpec>& book);

/// The step index (1 … steps) at which `option` expires. Throws InputError if off the grid.
std::uint32_t expiry_step(const OptionSpec& option, double steps_per_day);

}  // namespace hedgesim
