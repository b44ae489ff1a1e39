// The simulation job of a spec.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "hedgesim/engine/grid.hpp"
#include "hedgesim/engine/job.hpp"
#include "hedgesim/errors.hpp"

namespace hedgesim {

SimulationJob make_simulation_job(const RunSpec& spec) {
  const TimeGrid grid = make_grid(spec.simulation, spec.book);
  SimulationJob job;
  job.model = spec.model;
  job.measure = spec.simulation.measure;
  job.precision = spec.simulation.precision;
  job.steps = grid.steps;
  job.dt_years = grid.dt_years;
  job.seed = spec.simulation.seed;
  std::vector<std::uint32_t> steps;
  for (const OptionSpec& o : spec.book) {
    if (o.style == OptionStyle::european) steps.push_back(expiry_step(o, spec.simulation.steps_per_day));
  }
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  if (steps.size() > RecordSteps::kMax)
    throw InputError(fmt::format("book has {} distinct expiries; at most {} are supported", steps.size(),
                                 RecordSteps::kMax));
  job.record.count = static_cast<unsigned>(steps.size());
  std::copy(steps.begin(), steps.end(), job.record.step);
  return job;
}

}  // namespace hedgesim
