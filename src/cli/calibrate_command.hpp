#pragma once
// `hedgesim calibrate CHAIN.csv`: fit a model to a Deribit option chain (README, "Calibrating to
// market prices"). Kept apart from main.cpp, which only registers it and maps exceptions to exit codes.
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace hedgesim::cli {

struct CalibrateFlags {
  std::string command_line;  ///< the whole command, for the HDF5 file
  std::string chain;
  std::string model = "bates";
  std::string currency = "BTC";
  double min_days = 7.0;
  double max_days = 365.0;
  double min_moneyness = 0.5;
  double max_moneyness = 2.0;
  std::string weights = "none";
  std::string space = "vol";
  unsigned starts = 4;
  std::optional<std::string> out;
  bool json = false;
};

/// Adds the subcommand and its flags to `app`.
CLI::App* add_calibrate_command(CLI::App& app, CalibrateFlags& flags);

/// Runs it: table (or --json) on stdout, notes on stderr; throws InputError / RuntimeFailure.
int run_calibrate(const CalibrateFlags& flags);

}  // namespace hedgesim::cli
