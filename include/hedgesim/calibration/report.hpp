#pragma once
// What `hedgesim calibrate` prints and writes: the terminal table, the --json document and the HDF5
// file of market vs model vols per option (docs/hdf5.md, "calibration file"). Host code; HDF5 and
// nlohmann-json stay out of this header.
#include <optional>
#include <string>

#include "hedgesim/calibration/chain.hpp"
#include "hedgesim/calibration/fit.hpp"
#include "hedgesim/calibration/svi_fit.hpp"

namespace hedgesim {

/// A finished calibration with the inputs that produced it.
struct CalibrationRun {
  std::string chain_path;
  SelectionSpec selection_spec;
  FitSpec fit_spec;
  Selection selection;
  FitResult fit;
  double read_seconds = 0.0;  ///< reading and selecting
  std::string command_line;   ///< the command that ran it (the CLI; the Python call as text), for the HDF5 file
};

/// What `hedgesim calibrate` is asked (its argument and flags, with their defaults): the CLI and the
/// Python package fill it and call run_calibration.
struct CalibrateRequest {
  std::string chain;            ///< Deribit chain snapshot CSV
  std::string model = "bates";  ///< gbm | heston | bates | svcj
  std::string currency = "BTC";
  double min_days = 7.0;
  double max_days = 365.0;
  double min_moneyness = 0.5;
  double max_moneyness = 2.0;
  std::string weights = "none";  ///< none | vega | spread
  std::string space = "vol";     ///< vol | price
  unsigned starts = 4;           ///< 1 to 64
  std::optional<std::string> out;  ///< HDF5 file; none: not written
  std::string command_line;        ///< the command that asked for it, for the HDF5 file (the CLI, or the Python call as text)
};

/// The calibration of `request`: the output path checked first, the chain read and selected, the fit,
/// the file written. Messages name the setting as `prefix` + its name ("--model = 'x': …" with "--").
CalibrationRun run_calibration(const CalibrateRequest& request, const std::string& prefix);

/// `calibrate --surface FILE`: the chain read and selected as run_calibration does (model, space,
/// weights and starts do not apply), one SVI slice per expiry (fit_surface), FILE written whole or not
/// at all. The surface is written even when an arbitrage check fails, so that it can be inspected; the
/// table and JSON report the failure, and a run refuses the file.
struct SurfaceCalibration {
  std::string chain_path, surface_path;
  Selection selection;
  SurfaceFit fit;
};
SurfaceCalibration run_surface_calibration(const CalibrateRequest& request, const std::string& surface_path);

/// Parameters with bounds, errors overall and per expiry in vol points, Feller ratio, rows dropped by
/// reason, fit time, and the `model:` YAML block.
std::string calibration_table(const CalibrationRun& run);

/// The --json document (a single object; its keys are listed in the README's calibrate section).
std::string calibration_json(const CalibrationRun& run);

/// Writes the calibration HDF5 file as `path.tmp-<pid>` and renames it onto `path` when complete; on
/// failure the temporary file is removed and RuntimeFailure names the reason (exit code 3).
void write_calibration_hdf5(const std::string& path, const CalibrationRun& run);

}  // namespace hedgesim
