#pragma once
// What `hedgesim calibrate` prints and writes: the terminal table, the --json document and the HDF5
// file of market vs model vols per option (docs/hdf5.md, "calibration file"). Host code; HDF5 and
// nlohmann-json stay out of this header.
#include <string>

#include "hedgesim/calibration/chain.hpp"
#include "hedgesim/calibration/fit.hpp"

namespace hedgesim {

/// A finished calibration with the inputs that produced it.
struct CalibrationRun {
  std::string chain_path;
  SelectionSpec selection_spec;
  FitSpec fit_spec;
  Selection selection;
  FitResult fit;
  double read_seconds = 0.0;  ///< reading and selecting
  std::string command_line;   ///< the command that ran it (the CLI sets it), for the HDF5 file
};

/// Parameters with bounds, errors overall and per expiry in vol points, Feller ratio, rows dropped by
/// reason, fit time, and the `model:` YAML block.
std::string calibration_table(const CalibrationRun& run);

/// The --json document (a single object; its keys are listed in the README's calibrate section).
std::string calibration_json(const CalibrationRun& run);

/// Writes the calibration HDF5 file as `path.tmp-<pid>` and renames it onto `path` when complete; on
/// failure the temporary file is removed and RuntimeFailure names the reason (exit code 3).
void write_calibration_hdf5(const std::string& path, const CalibrationRun& run);

}  // namespace hedgesim
