// The hedgesim command line (DESIGN.md §4). Exit codes: 0 success, 2 bad input, 3 runtime failure,
// 1 anything else. Results go to stdout (a table, or JSON with --json and nothing else); progress and
// notes go to stderr.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hedgesim/config.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/price_job.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/run_job.hpp"
#include "hedgesim/io/hdf5_writer.hpp"
#include "hedgesim/version.hpp"
#include "calibrate_command.hpp"

namespace hs = hedgesim;

namespace {

enum ExitCode { kOk = 0, kOther = 1, kBadInput = 2, kRuntime = 3 };

/// Flags common to every simulating command; each overrides its config key when given.
struct CommonFlags {
  std::string config;
  std::optional<std::uint64_t> paths;
  std::optional<std::uint64_t> seed;
  std::optional<std::string> backend;
  std::optional<unsigned> threads;
  std::optional<std::string> precision;
  std::optional<std::string> out;  ///< run only: HDF5 results file (overrides output.file)
  bool json = false;
};

void add_common_flags(CLI::App& cmd, CommonFlags& f) {
  cmd.add_option("CONFIG", f.config, "YAML run configuration")->required();
  cmd.add_option("--paths", f.paths, "number of Monte Carlo paths (overrides simulation.paths)");
  cmd.add_option("--seed", f.seed, "random seed (overrides simulation.seed)");
  cmd.add_option("--backend", f.backend, "auto | cpu | cuda (overrides simulation.backend)");
  cmd.add_option("--threads", f.threads, "CPU threads, 0 = all (overrides simulation.threads)");
  cmd.add_option("--precision", f.precision, "float32 | float64 (overrides simulation.precision)");
  cmd.add_flag("--json", f.json, "machine-readable result on stdout, nothing else on stdout");
}

hs::RunSpec load_with_overrides(const CommonFlags& f) {
  hs::RunSpec spec = hs::load_config(f.config);
  hs::SimulationSpec& sim = spec.simulation;
  if (f.paths) sim.paths = *f.paths;
  if (f.seed) sim.seed = *f.seed;
  if (f.threads) sim.threads = *f.threads;
  if (f.backend) sim.backend = hs::parse_enum<hs::BackendKind>(*f.backend, "--backend");
  if (f.precision) sim.precision = hs::parse_enum<hs::Precision>(*f.precision, "--precision");
  hs::validate(spec);
  return spec;
}

/// A one-line progress bar on stderr, drawn only on a terminal, only without --json, and only once a
/// run has lasted two seconds.
class Progress {
 public:
  explicit Progress(bool quiet) : enabled_(!quiet && isatty(STDERR_FILENO)), start_(Clock::now()) {}
  ~Progress() {
    if (drawn_) std::fputs("\n", stderr);
  }
  void operator()(std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    const double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    if (secs < 2.0 && !drawn_) return;
    const double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    const int width = 40;
    const int filled = static_cast<int>(frac * width);
    std::fprintf(stderr, "\r[%s%s] %5.1f%%  %.1f s", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), 100.0 * frac, secs);
    std::fflush(stderr);
    drawn_ = true;
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_;
};

std::string backend_label(const hs::BackendInfo& b) {
  return b.kind == hs::BackendKind::cuda ? fmt::format("cuda ({})", b.device)
                                         : fmt::format("cpu ({} threads, {})", b.threads, b.device);
}

/// The JSON fields every command's result starts with (DESIGN.md §4).
nlohmann::json run_info_json(const hs::RunInfo& info, const hs::RunSpec& spec, hs::Measure measure) {
  nlohmann::json j;
  j["hedgesim_version"] = HEDGESIM_VERSION;
  j["git_commit"] = HEDGESIM_GIT_COMMIT;
  j["backend"] = hs::to_string(info.backend.kind);
  j["device"] = info.backend.device;
  j["threads"] = info.backend.kind == hs::BackendKind::cpu ? info.backend.threads : 0;
  j["precision"] = hs::to_string(info.precision);
  j["model"] = hs::to_string(spec.model.type);
  j["measure"] = hs::to_string(measure);
  j["paths"] = info.paths;
  j["steps"] = info.steps;
  j["seed"] = info.seed;
  j["elapsed_s"] = info.elapsed_s;
  j["path_steps_per_s"] = info.path_steps_per_s;
  return j;
}

int cmd_price(const CommonFlags& flags) {
  const hs::RunSpec spec = load_with_overrides(flags);
  const hs::BackendInfo backend = hs::resolve_backend(spec.simulation.backend, spec.simulation.threads);
  if (spec.simulation.measure == hs::Measure::physical)
    std::cerr << "note: price simulates under the risk-neutral measure (drift r - q); "
                 "simulation.measure: physical applies to `run` only\n";
  hs::PriceReport report;
  {
    Progress progress(flags.json);
    report = hs::run_price_job(spec, backend, [&](std::uint64_t d, std::uint64_t t) { progress(d, t); });
  }
  if (flags.json) {
    nlohmann::json j = run_info_json(report, spec, hs::Measure::risk_neutral);
    j["options"] = nlohmann::json::array();
    for (const hs::OptionPrice& o : report.options) {
      j["options"].push_back({{"index", o.index},
                              {"type", hs::to_string(o.option.type)},
                              {"strike", o.option.strike},
                              {"expiry_days", o.option.expiry_days},
                              {"settlement", hs::to_string(o.option.settlement)},
                              {"mc_price", o.mc_price},
                              {"mc_stderr", o.mc_stderr},
                              {"analytic_price", o.analytic_price}});
    }
    std::cout << j.dump(2) << "\n";
    return kOk;
  }
  std::cout << fmt::format("hedgesim price: {} model, {} paths x {} steps, seed {}, {}, {}\n",
                           hs::to_string(spec.model.type), report.paths, report.steps, report.seed,
                           hs::to_string(report.precision), backend_label(backend));
  std::cout << fmt::format("{:>3} {:<5} {:>12} {:>9} {:<8} {:>14} {:>11} {:>14} {:>9}\n", "#", "type", "strike",
                           "expiry_d", "settle", "MC price USD", "std err", "closed form", "z");
  for (const hs::OptionPrice& o : report.options) {
    const double z = o.mc_stderr > 0 ? (o.mc_price - o.analytic_price) / o.mc_stderr : 0.0;
    std::cout << fmt::format("{:>3} {:<5} {:>12.2f} {:>9.3f} {:<8} {:>14.6f} {:>11.6f} {:>14.6f} {:>9.2f}\n", o.index,
                             hs::to_string(o.option.type), o.option.strike, o.option.expiry_days,
                             hs::to_string(o.option.settlement), o.mc_price, o.mc_stderr, o.analytic_price, z);
  }
  std::cout << fmt::format("elapsed {:.3f} s, {:.3g} path-steps/s\n", report.elapsed_s, report.path_steps_per_s);
  return kOk;
}

nlohmann::json run_json(const hs::RunSpec& spec, const hs::RunReport& report) {
  nlohmann::json j = run_info_json(report, spec, spec.simulation.measure);
  j["premiums"] = report.premiums;
  j["policies"] = nlohmann::json::array();
  for (const hs::PolicyResult& r : report.policies) {
    nlohmann::json p;
    p["name"] = r.spec.name;
    p["type"] = hs::to_string(r.spec.type);
    p["pnl_mean"] = r.pnl.mean;
    p["pnl_mean_stderr"] = r.pnl.mean_stderr;
    p["pnl_std"] = r.pnl.std;
    p["pnl_skewness"] = r.pnl.skewness;
    p["pnl_excess_kurtosis"] = r.pnl.excess_kurtosis;
    p["pnl_var_95"] = r.pnl.var_95;
    p["pnl_es_95"] = r.pnl.es_95;
    p["pnl_var_99"] = r.pnl.var_99;
    p["pnl_es_99"] = r.pnl.es_99;
    nlohmann::json q = nlohmann::json::object();
    for (std::size_t i = 0; i < r.pnl.quantile_levels.size(); ++i)
      q[fmt::format("{:g}", r.pnl.quantile_levels[i])] = r.pnl.quantiles[i];
    p["pnl_quantiles"] = q;
    p["cost_mean"] = r.cost.mean;
    p["cost_std"] = r.cost.std;
    for (unsigned f = 2; f < hs::kPathFields; ++f) {
      const auto field = static_cast<hs::PathField>(f);
      p[std::string(hs::to_string(field)) + "_mean"] = r.fields[f].mean();
    }
    j["policies"].push_back(p);
  }
  return j;
}

int cmd_run(const CommonFlags& flags) {
  hs::RunSpec spec = load_with_overrides(flags);
  if (flags.out) spec.output.file = *flags.out;
  hs::validate_for_run(spec);
  if (!spec.output.file.empty()) hs::check_output_writable(spec.output.file);
  const hs::BackendInfo backend = hs::resolve_backend(spec.simulation.backend, spec.simulation.threads);
  hs::RunReport report;
  {
    Progress progress(flags.json);
    report = hs::run_hedging_job(spec, backend, [&](std::uint64_t d, std::uint64_t t) { progress(d, t); });
  }
  if (!spec.output.file.empty()) {
    hs::write_run_hdf5(spec.output.file, spec, report);
    std::cerr << "wrote " << spec.output.file << "\n";
  }
  if (flags.json) {
    std::cout << run_json(spec, report).dump(2) << "\n";
    return kOk;
  }
  std::cout << fmt::format("hedgesim run: {} model, {} measure, {} paths x {} steps, seed {}, {}, {}\n",
                           hs::to_string(spec.model.type), hs::to_string(spec.simulation.measure), report.paths,
                           report.steps, report.seed, hs::to_string(report.precision), backend_label(backend));
  std::cout << "P&L and costs in USD of the whole position (book + hedge + cash) to the last expiry; "
               "VaR/ES are losses.\n";
  std::cout << fmt::format("{:<16} {:<15} {:>12} {:>9} {:>11} {:>11} {:>11} {:>11} {:>10} {:>8}\n", "policy", "type",
                           "P&L mean", "+-s.e.", "P&L std", "VaR 95", "ES 95", "VaR 99", "cost mean", "trades");
  for (const hs::PolicyResult& r : report.policies) {
    std::cout << fmt::format("{:<16} {:<15} {:>12.2f} {:>9.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>10.2f} {:>8.1f}\n",
                             r.spec.name, hs::to_string(r.spec.type), r.pnl.mean, r.pnl.mean_stderr, r.pnl.std,
                             r.pnl.var_95, r.pnl.es_95, r.pnl.var_99, r.cost.mean,
                             r.fields[static_cast<unsigned>(hs::PathField::trades)].mean());
  }
  std::cout << fmt::format("elapsed {:.3f} s, {:.3g} path-steps/s\n", report.elapsed_s, report.path_steps_per_s);
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hedgesim: Monte Carlo hedging risk for crypto option books"};
  app.set_version_flag("--version", std::string("hedgesim ") + HEDGESIM_VERSION + " (commit " + HEDGESIM_GIT_COMMIT + ")");
  app.require_subcommand(1);
  CommonFlags price_flags;
  CLI::App* price = app.add_subcommand("price", "Monte Carlo price of each option in the book beside its closed form");
  add_common_flags(*price, price_flags);
  CommonFlags run_flags;
  CLI::App* run = app.add_subcommand("run", "Hedge the book with every policy on common paths; risk and cost per policy");
  add_common_flags(*run, run_flags);
  run->add_option("--out", run_flags.out, "HDF5 results file (overrides output.file)");
  hs::cli::CalibrateFlags calibrate_flags;
  CLI::App* calibrate = hs::cli::add_calibrate_command(app, calibrate_flags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kBadInput;
  }

  try {
    if (price->parsed()) return cmd_price(price_flags);
    if (run->parsed()) return cmd_run(run_flags);
    if (calibrate->parsed()) return hs::cli::run_calibrate(calibrate_flags);
  } catch (const hs::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kBadInput;
  } catch (const hs::RuntimeFailure& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kRuntime;
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of memory\n";
    return kRuntime;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kOther;
  }
  return kOther;
}
