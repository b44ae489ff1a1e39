#include "calibrate_command.hpp"

#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "hedgesim/calibration/report.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/io/atomic_file.hpp"

namespace hedgesim::cli {
namespace {

template <class Enum>
Enum pick(const std::string& text, const char* flag, std::initializer_list<std::pair<const char*, Enum>> choices) {
  std::string names;
  for (const auto& [name, value] : choices) {
    if (text == name) return value;
    names += fmt::format("{}{}", names.empty() ? "" : ", ", name);
  }
  throw InputError(fmt::format("{} = '{}': expected one of {}", flag, text, names));
}

}  // namespace

CLI::App* add_calibrate_command(CLI::App& app, CalibrateFlags& f) {
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Fit gbm, heston, bates or svcj to a Deribit option chain; print the fit and a model: block");
  cmd->add_option("CHAIN", f.chain, "Deribit chain snapshot CSV (columns of data/deribit_options_*.csv)")->required();
  cmd->add_option("--model", f.model, "gbm | heston | bates | svcj")->capture_default_str();
  cmd->add_option("--currency", f.currency, "underlying to fit: the chain's currency column, e.g. BTC or ETH")
      ->capture_default_str();
  cmd->add_option("--min-days", f.min_days, "shortest expiry fitted, days")->capture_default_str();
  cmd->add_option("--max-days", f.max_days, "longest expiry fitted, days")->capture_default_str();
  cmd->add_option("--min-moneyness", f.min_moneyness, "lowest strike fitted, as K/F (F the expiry's forward)")
      ->capture_default_str();
  cmd->add_option("--max-moneyness", f.max_moneyness, "highest strike fitted, as K/F")->capture_default_str();
  cmd->add_option("--weights", f.weights,
                  "none | vega | spread: residual weights (vol space: vega or 1/bid-ask vol spread; price space: "
                  "1/vega, the first-order vol error, or 1/bid-ask spread)")
      ->capture_default_str();
  cmd->add_option("--space", f.space, "vol | price: fit implied vols or coin prices")->capture_default_str();
  cmd->add_option("--starts", f.starts, "Levenberg-Marquardt starting points (1 to 64)")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  cmd->add_option("--out", f.out, "HDF5 file of market vs model vols per option (docs/hdf5.md)");
  cmd->add_flag("--json", f.json, "machine-readable result on stdout, nothing else on stdout");
  return cmd;
}

int run_calibrate(const CalibrateFlags& f) {
  CalibrationRun run;
  run.command_line = f.command_line;
  run.chain_path = f.chain;
  run.fit_spec.model = parse_enum<ModelType>(f.model, "--model");
  run.fit_spec.weights = pick<FitWeights>(f.weights, "--weights",
                                          {{"none", FitWeights::none}, {"vega", FitWeights::vega}, {"spread", FitWeights::spread}});
  run.fit_spec.space = pick<FitSpace>(f.space, "--space", {{"vol", FitSpace::vol}, {"price", FitSpace::price}});
  run.fit_spec.starts = f.starts;
  run.selection_spec = {f.currency, f.min_days, f.max_days, f.min_moneyness, f.max_moneyness};
  if (f.out) check_output_writable(*f.out);
  const auto t0 = std::chrono::steady_clock::now();
  const Chain chain = read_chain(f.chain);
  run.selection = select_options(chain, run.selection_spec);
  run.read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.fit = calibrate(run.selection, run.fit_spec);
  if (f.out) {
    write_calibration_hdf5(*f.out, run);
    std::cerr << "wrote " << *f.out << "\n";
  }
  for (const std::string& w : fit_warnings(run.fit)) std::cerr << "warning: " << w << "\n";
  std::cout << (f.json ? calibration_json(run) + "\n" : calibration_table(run));
  return 0;
}

}  // namespace hedgesim::cli
