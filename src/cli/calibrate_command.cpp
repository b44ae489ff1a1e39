#include "calibrate_command.hpp"

#include <iostream>

#include "hedgesim/calibration/report.hpp"

namespace hedgesim::cli {

CLI::App* add_calibrate_command(CLI::App& app, CalibrateFlags& f) {
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Fit gbm, heston, bates or svcj to a Deribit option chain; print the fit and a model: block (--surface: "
                   "fit an SVI surface, one slice per expiry, and write its file)");
  cmd->add_option("CHAIN", f.request.chain, "Deribit chain snapshot CSV (columns of data/deribit_options_*.csv)")->required();
  CLI::Option* model = cmd->add_option("--model", f.request.model, "gbm | heston | bates | svcj")->capture_default_str();
  cmd->add_option("--currency", f.request.currency, "underlying to fit: the chain's currency column, e.g. BTC or ETH")
      ->capture_default_str();
  cmd->add_option("--min-days", f.request.min_days, "shortest expiry fitted, days")->capture_default_str();
  cmd->add_option("--max-days", f.request.max_days, "longest expiry fitted, days")->capture_default_str();
  cmd->add_option("--min-moneyness", f.request.min_moneyness, "lowest strike fitted, as K/F (F the expiry's forward)")
      ->capture_default_str();
  cmd->add_option("--max-moneyness", f.request.max_moneyness, "highest strike fitted, as K/F")->capture_default_str();
  CLI::Option* weights = cmd->add_option("--weights", f.request.weights,
                  "none | vega | spread: residual weights (vol space: vega or 1/bid-ask vol spread; price space: "
                  "1/vega, the first-order vol error, or 1/bid-ask spread)")
      ->capture_default_str();
  CLI::Option* space =
      cmd->add_option("--space", f.request.space, "vol | price: fit implied vols or coin prices")->capture_default_str();
  CLI::Option* starts = cmd->add_option("--starts", f.request.starts, "Levenberg-Marquardt starting points (1 to 64)")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  CLI::Option* out = cmd->add_option("--out", f.request.out, "HDF5 file of market vs model vols per option (docs/hdf5.md)");
  cmd->add_option("--surface", f.surface,
                  "fit one raw SVI slice per expiry instead of a model and write this surface file (YAML) for "
                  "hedge.surface.file (docs/hedging.md \"Volatility surface\")")
      ->excludes(model)
      ->excludes(weights)
      ->excludes(space)
      ->excludes(starts)
      ->excludes(out);
  cmd->add_flag("--json", f.json, "machine-readable result on stdout, nothing else on stdout");
  return cmd;
}

int run_calibrate(const CalibrateFlags& f) {
  if (f.surface) {
    const SurfaceCalibration run = run_surface_calibration(f.request, *f.surface);
    std::cerr << "wrote " << *f.surface << "\n";
    for (const std::string& v : arbitrage_violations(run.fit.arbitrage, run.fit.file)) std::cerr << "warning: " << v << "\n";
    std::cout << (f.json ? surface_json(run.fit, run.selection, run.chain_path, run.surface_path) + "\n"
                         : surface_table(run.fit, run.selection, run.chain_path, run.surface_path));
    return 0;
  }
  const CalibrationRun run = run_calibration(f.request, "--");
  if (f.request.out) std::cerr << "wrote " << *f.request.out << "\n";
  for (const std::string& w : fit_warnings(run.fit)) std::cerr << "warning: " << w << "\n";
  std::cout << (f.json ? calibration_json(run) + "\n" : calibration_table(run));
  return 0;
}

}  // namespace hedgesim::cli
