// simulation: and output: — keys of kSimulationKeys and kOutputKeys (schema.hpp).
#include "parser.hpp"

namespace hedgesim::config {

void Parser::parse_simulation(const Entry& section, SimulationSpec& sim) {
  const std::span<const Key<SimulationSpec>> keys = kSimulationKeys;
  const auto es =
      map_entries(section, "simulation", keys, "a map of simulation keys (" + join(key_names(keys)) + ")");
  if (missing(keys, read(es, "simulation", keys, sim))) {
    fail("simulation.paths is required (section at line " + std::to_string(section.line) + ")");
  }
}

void validate_simulation(const Reporter& r, const SimulationSpec& sim) {
  if (sim.paths == 0) r.fail("simulation.paths", "0", "must be > 0");
  // One path has no standard deviation: every s.e., std and z-score would be printed and written as nan.
  if (sim.paths == 1) r.fail("simulation.paths", "1", std::string(kPathsTwo));
  check_keys<SimulationSpec>(r, kSimulationKeys, sim, "simulation.");
}

void Parser::parse_output(const Entry& section, OutputSpec& o) {
  const std::span<const Key<OutputSpec>> keys = kOutputKeys;
  read(map_entries(section, "output", keys, "a map of output keys (" + join(key_names(keys)) + ")"), "output", keys, o);
}

void validate_output(const Reporter& r, const OutputSpec& o) {
  if (o.histogram_bins < 1 || o.histogram_bins > kMaxHistogramBins) {
    r.fail("output.histogram_bins", std::to_string(o.histogram_bins),
           "must be from 1 to " + std::to_string(kMaxHistogramBins));
  }
  if (o.sample_paths > kMaxSamplePaths) {
    r.fail("output.sample_paths", std::to_string(o.sample_paths),
           "must be from 0 to " + std::to_string(kMaxSamplePaths) + " (paths stored at every step)");
  }
}

}  // namespace hedgesim::config
