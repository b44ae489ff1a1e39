#pragma once
// `hedgesim calibrate CHAIN.csv`: fit a model to a Deribit option chain (README, "Calibrating to
// market prices"). Kept apart from main.cpp, which only registers it and maps exceptions to exit codes.
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "hedgesim/calibration/report.hpp"

namespace hedgesim::cli {

struct CalibrateFlags {
  CalibrateRequest request;  ///< the argument and flags but --json and --surface, with their defaults
  bool json = false;
  std::optional<std::string> surface;  ///< --surface FILE: fit an SVI surface instead of a model
};

/// Adds the subcommand and its flags to `app`.
CLI::App* add_calibrate_command(CLI::App& app, CalibrateFlags& flags);

/// Runs it: table (or --json) on stdout, notes on stderr; throws InputError / RuntimeFailure.
int run_calibrate(const CalibrateFlags& flags);

}  // namespace hedgesim::cli
