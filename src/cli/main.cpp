// The hedgesim command line (docs/architecture.md, "Command line"). Exit codes: 0 success, 2 bad input,
// 3 runtime failure, 4 interrupted with a checkpoint written (run --checkpoint; rerun with --resume),
// 1 anything else; a signal during an output write removes the temporary file and kills the process
// by that signal (128 + signal in a shell; write_atomically, README.md). Results go to stdout (a table, or JSON with --json and nothing else); progress and
// notes go to stderr. Under mpirun or srun, run, price and optimise split their work over the ranks
// (docs/cluster.md): every rank takes part, rank 0 alone writes files and prints, and every rank exits
// with the same code (a failure anywhere is agreed on before the next collective step).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hedgesim/backtest/backtest_job.hpp"
#include "hedgesim/backtest/utc_time.hpp"
#include "hedgesim/cluster/ranks.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/grid.hpp"
#include "hedgesim/jobs/price_job.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/format.hpp"
#include "hedgesim/jobs/report_json.hpp"
#include "hedgesim/stats/summary.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/io/atomic_file.hpp"
#include "hedgesim/io/backtest_hdf5.hpp"
#include "hedgesim/io/hdf5_writer.hpp"
#include "hedgesim/optimise/optimise_job.hpp"
#include "hedgesim/version.hpp"
#include "calibrate_command.hpp"
#include "pack_command.hpp"

namespace hs = hedgesim;

namespace {

enum ExitCode { kOk = 0, kOther = 1, kBadInput = 2, kRuntime = 3, kInterrupted = 4 };

/// Flags common to every simulating command; each overrides its config key when given.
struct CommonFlags {
  std::string config;
  hs::RunOverrides overrides;          ///< --paths, --seed, --threads, --backend, --precision, --out as typed
  std::optional<std::string> devices;  ///< CUDA devices: "0,1,…" or "all"; default device 0
  bool json = false;
  bool quiet = false;        ///< no progress bar and no notes on stderr (warnings and errors still)
  std::string command_line;  ///< the whole command, for the results file's provenance
};

void add_common_flags(CLI::App& cmd, CommonFlags& f) {
  cmd.add_option("CONFIG", f.config, "YAML run configuration")->required();
  cmd.add_option("--paths", f.overrides.simulation.paths, "number of Monte Carlo paths (overrides simulation.paths)");
  cmd.add_option("--seed", f.overrides.simulation.seed, "random seed (overrides simulation.seed)");
  cmd.add_option("--backend", f.overrides.backend, "auto | cpu | cuda (overrides simulation.backend)");
  cmd.add_option("--threads", f.overrides.simulation.threads, "CPU threads, 0 = all (overrides simulation.threads)");
  cmd.add_option("--devices", f.devices,
                 "CUDA devices, e.g. 0,1 or all (default 0); run splits its paths over them, other commands use the first");
  cmd.add_option("--precision", f.overrides.precision, "float32 | float64 (overrides simulation.precision)");
  cmd.add_flag("--json", f.json, "machine-readable result on stdout, nothing else on stdout");
  cmd.add_flag("--quiet", f.quiet, "no progress bar and no notes on stderr; warnings and errors are still printed");
}

hs::RunSpec load_with_overrides(const CommonFlags& f) {
  hs::RunSpec spec = hs::load_config(f.config);
  hs::apply_run_overrides(spec, f.overrides);
  hs::record_provenance(spec, f.command_line);
  return spec;
}

/// A one-line progress bar on stderr with the time left, drawn only on a terminal, only without --json
/// or --quiet, and only once a run has lasted two seconds.
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
    // The time left at the rate so far: batches cost alike, so the elapsed time scales.
    const std::string left = frac > 0.0 && frac < 1.0 ? fmt::format(", ~{:.0f} s left", secs * (1.0 - frac) / frac) : "";
    std::fprintf(stderr, "\r[%s%s] %5.1f%%  %.1f s%s   ", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), 100.0 * frac, secs, left.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_;
};

/// Writes the results file when the config or --out names one, and says so on stderr (unless quiet).
template <class Report>
void write_output(const hs::RunSpec& spec, const Report& report,
                  void (*write)(const std::string&, const hs::RunSpec&, const Report&), bool quiet) {
  if (spec.output.file.empty()) return;
  write(spec.output.file, spec, report);
  if (!quiet) std::cerr << "wrote " << spec.output.file << "\n";
}

/// The backend of a command in one process: the config's (or --backend's) kind and threads, and --devices.
hs::BackendInfo resolve(const hs::RunSpec& spec, const CommonFlags& flags) {
  return hs::resolve_backend(spec.simulation.backend, spec.simulation.threads, flags.devices.value_or(""));
}

/// A job's report and the backend it ran on (the text output names the backend).
template <class Report>
struct JobOutcome {
  hs::BackendInfo backend;
  Report report;
};

/// The frame `run`, `price` and `optimise` share around their job: the output file is checked (on rank
/// 0) before the long simulation so a bad path fails at once, the job runs on the resolved backend under
/// the progress bar (rank 0's), and rank 0 writes its results file.
/// A job of a command: the config, the backend, the ranks and the progress bar to its report.
template <class Report>
using JobFn = Report (*)(const hs::RunSpec&, const hs::BackendInfo&, hs::Collectives&, const hs::ProgressFn&);

template <class Report, class Job>
JobOutcome<Report> simulate_and_write(const hs::RunSpec& spec, const CommonFlags& flags, hs::Collectives& ranks,
                                      Job&& job, void (*write)(const std::string&, const hs::RunSpec&, const Report&)) {
  JobOutcome<Report> o;
  hs::run_and_agree(ranks, [&] {
    if (ranks.is_root() && write != nullptr && !spec.output.file.empty()) hs::check_output_writable(spec.output.file);
  });
  o.backend = hs::resolve_rank_backend(spec.simulation, flags.devices.value_or(""), ranks);
  hs::run_and_agree(ranks, [&] {
    {
      Progress progress(flags.json || flags.quiet || !ranks.is_root());
      o.report = job(spec, o.backend, ranks, [&](std::uint64_t d, std::uint64_t t) { progress(d, t); });
    }
    if (ranks.is_root() && write != nullptr) write_output(spec, o.report, write, flags.quiet);
  });
  return o;
}

/// The config with the command line's overrides, loaded on every rank (agreed).
hs::RunSpec load_on_every_rank(const CommonFlags& flags, hs::Collectives& ranks, void (*validate)(const hs::RunSpec&)) {
  hs::RunSpec spec;
  hs::run_and_agree(ranks, [&] {
    spec = load_with_overrides(flags);
    if (validate != nullptr) validate(spec);
  });
  return spec;
}

/// Commands that run in one process refuse a launch over several ranks.
void require_one_rank(const hs::Collectives& ranks, std::string_view command) {
  if (ranks.size() == 1) return;
  throw hs::InputError(fmt::format("hedgesim {} runs in one process, but was started as {} MPI ranks: start it "
                                   "without mpirun or srun (run, price and optimise use ranks)",
                                   command, ranks.size()));
}

std::string backend_label(const hs::BackendInfo& b) {
  return b.kind == hs::BackendKind::cuda ? fmt::format("cuda ({})", b.device)
                                         : fmt::format("cpu ({} threads, {}, {})", b.threads, hs::cpu_isa_name(b.cpu_isa), b.device);
}

int cmd_price(const CommonFlags& flags, hs::Collectives& ranks) {
  const hs::RunSpec spec = load_on_every_rank(flags, ranks, hs::validate_for_price);
  if (spec.simulation.measure == hs::Measure::physical && ranks.is_root() && !flags.quiet)
    std::cerr << "note: price simulates under the risk-neutral measure (drift r - q); "
                 "simulation.measure: physical applies to `run` only\n";
  const auto [backend, report] = simulate_and_write<hs::PriceReport>(spec, flags, ranks, JobFn<hs::PriceReport>(hs::run_price_job), nullptr);
  if (!ranks.is_root()) return kOk;
  if (flags.json) {
    std::cout << hs::price_json(spec, report).dump(2) << "\n";
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

/// One line per policy: P&L statistics and mean cost in USD, VaR/ES as losses, mean trade count.
void print_policy_table(const std::vector<hs::PolicyResult>& policies) {
  std::cout << fmt::format("{:<16} {:<15} {:>12} {:>9} {:>11} {:>11} {:>11} {:>11} {:>10} {:>8}\n", "policy", "type",
                           "P&L mean", "+-s.e.", "P&L std", "VaR 95", "ES 95", "VaR 99", "cost mean", "trades");
  for (const hs::PolicyResult& r : policies) {
    std::cout << fmt::format("{:<16} {:<15} {:>12.2f} {:>9.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>10.2f} {:>8.1f}\n",
                             r.spec.name, hs::to_string(r.spec.type), r.pnl.mean, r.pnl.mean_stderr, r.pnl.std,
                             r.pnl.var_95, r.pnl.es_95, r.pnl.var_99, r.cost.mean,
                             r.fields[static_cast<unsigned>(hs::PathField::trades)].mean());
  }
}

/// With output.attribution: one line per policy, the mean of each piece of the P&L (docs/hedging.md).
/// hedge_options: the job trades hedge options, whose costs (option_costs) join the costs column;
/// everlasting: the book's everlasting options pay funding (everlasting_funding), a column of its own.
void print_attribution_table(const hs::RunReport& report, bool hedge_options = false, bool everlasting = false) {
  if (report.path_fields < hs::kPathFields) return;
  std::cout << (hedge_options ? "Where the mean P&L came from (USD): costs are fees + fixed + gas + slippage + option costs "
                                "+ liquidation losses; unexplained is rounding.\n"
                              : "Where the mean P&L came from (USD): costs are fees + fixed + gas + slippage + liquidation "
                                "losses; unexplained is rounding.\n");
  std::cout << fmt::format("{:<16} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}{}\n", "policy",
                           "P&L", "inception", "delta", "gamma", "theta", "vega", "higher", "interest", "funding", "costs",
                           everlasting ? fmt::format(" {:>11}", "book fund.") : "");
  for (const hs::PolicyResult& r : report.policies) {
    const auto mean = [&](hs::PathField f) { return r.fields[hs::index_of(f)].mean(); };
    using F = hs::PathField;
    std::cout << fmt::format("{:<16} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f} "
                             "{:>11.2f}{}\n",
                             r.spec.name, r.pnl.mean, mean(F::pnl_inception), mean(F::pnl_delta), mean(F::pnl_gamma),
                             mean(F::pnl_theta), mean(F::pnl_vega), mean(F::pnl_higher_order), mean(F::pnl_interest),
                             0.0 - mean(F::funding),
                             0.0 - (mean(F::fees) + mean(F::fixed) + mean(F::gas) + mean(F::slippage) +
                                    (hedge_options ? mean(F::option_costs) : 0.0) + mean(F::liquidation_loss)),
                             everlasting ? fmt::format(" {:>11.2f}", 0.0 - mean(F::everlasting_funding)) : "");
  }
}

/// With hedge.margin: one line per policy, how often its hedge was liquidated (with the standard error of
/// that share), the mean penalty given a liquidation, the mean top-up from the reserve and the collateral
/// the paths needed; with cascades (impact_depth_usd) also how often a liquidation cascaded and the mean
/// cascade loss given one (docs/hedging.md "Margin and liquidation").
void print_margin_table(const hs::RunReport& report, const hs::HedgeSpec& hedge) {
  const hs::MarginSpec& margin = hedge.margin;
  const bool coins = margin.collateral_coin > 0.0;
  // A spot hedge's account is a loan: its rates read as loan-to-values.
  const std::string rates =
      hedge.instrument == hs::HedgeInstrument::spot
          ? fmt::format("a loan: largest loan-to-value {:g}%, liquidation above {:g}%", 100.0 * (1.0 - margin.initial),
                        100.0 * (1.0 - margin.maintenance))
          : fmt::format("initial {:g}, maintenance {:g}", margin.initial, margin.maintenance);
  std::cout << fmt::format("Margin account: {:.0f} USD{} of collateral, {}; collateral needed: the least {}collateral{} "
                           "with which a path, without the reserve, has no liquidation and no trade cut.\n",
                           margin.collateral_usd, coins ? fmt::format(" and {:g} coins", margin.collateral_coin) : "",
                           rates, coins ? "USD " : "", coins ? " (beside the coins)" : "");
  const bool cascades = margin.impact_depth_usd > 0.0;
  std::cout << fmt::format("{:<16} {:>11} {:>9} {:>14} {:>12} {:>16} {:>16}{}\n", "policy", "liquidated", "+-s.e.",
                           "loss | liq.", "top-ups", "collat. needed", "+-s.e.",
                           cascades ? fmt::format(" {:>10} {:>9} {:>14}", "cascaded", "+-s.e.", "loss | casc.") : "");
  // A share of paths and its binomial standard error, in percent.
  const auto share = [](const hs::Moments& m) {
    const double p = m.mean(), n = static_cast<double>(m.count);
    return fmt::format("{:>10.3f}% {:>8.3f}%", 100.0 * p, 100.0 * std::sqrt(p * (1.0 - p) / n));
  };
  const auto given = [](double loss, double p) { return p > 0.0 ? fmt::format("{:.2f}", loss / p) : "-"; };
  for (const hs::PolicyResult& r : report.policies) {
    const auto field = [&](hs::PathField f) -> const hs::Moments& { return r.fields[hs::index_of(f)]; };
    const hs::Moments& need = field(hs::PathField::collateral_needed);
    const std::string cascade =
        cascades ? fmt::format(" {} {:>14}", share(field(hs::PathField::cascaded)),
                               given(field(hs::PathField::cascade_loss).mean(), field(hs::PathField::cascaded).mean()))
                 : "";
    std::cout << fmt::format("{:<16} {} {:>14} {:>12.2f} {:>16.2f} {:>16.2f}{}\n", r.spec.name,
                             share(field(hs::PathField::liquidated)),
                             given(field(hs::PathField::liquidation_loss).mean(), field(hs::PathField::liquidated).mean()),
                             field(hs::PathField::margin_topups).mean(), need.mean(), need.stderr_of_mean(), cascade);
  }
  // Quantiles need every path's value: with output.per_path only (the run's summaries hold P&L and cost's).
  if (report.policies.empty() || report.policies[0].per_path[hs::index_of(hs::PathField::collateral_needed)].empty())
    return;
  std::cout << "Collateral for a 5% and a 1% chance of a liquidation or a cut trade without the reserve (quantiles of "
               "collateral needed; a run tells them up to its own collateral, '>' beyond it):\n";
  const double levels[] = {0.95, 0.99};
  for (const hs::PolicyResult& r : report.policies) {
    const hs::Summary s = hs::summarize(r.per_path[hs::index_of(hs::PathField::collateral_needed)], levels);
    const auto show = [&](double q) {
      return q <= margin.collateral_usd ? fmt::format("{:.0f}", q) : fmt::format("> {:.0f}", margin.collateral_usd);
    };
    std::cout << fmt::format("{:<16} {:>16} {:>16}\n", r.spec.name, show(s.quantiles[0]), show(s.quantiles[1]));
  }
}

/// With order_flow: the pool's customers and spread income (the same for every policy), and per policy its
/// P&L split into spread income, inventory and hedging P&L, and the hedge's costs (docs/hedging.md "Order
/// flow: an options AMM").
void print_pool_table(const hs::RunReport& report) {
  if (report.policies.empty()) return;
  const auto mean = [](const hs::PolicyResult& r, hs::PathField f) { return r.fields[hs::index_of(f)].mean(); };
  const hs::PolicyResult& first = report.policies[0];
  std::cout << fmt::format("Options pool: {:.1f} customer trades per path; the quotes earned {:.2f} USD over their "
                           "marks (spread income, the same for every policy). Mean P&L = spread income + inventory "
                           "and hedge - costs:\n",
                           mean(first, hs::PathField::customer_trades), mean(first, hs::PathField::spread_income));
  std::cout << fmt::format("{:<16} {:>14} {:>18} {:>12}\n", "policy", "spread income", "inventory+hedge", "costs");
  for (const hs::PolicyResult& r : report.policies) {
    const double spread = mean(r, hs::PathField::spread_income), cost = mean(r, hs::PathField::cost);
    std::cout << fmt::format("{:<16} {:>14.2f} {:>18.2f} {:>12.2f}\n", r.spec.name, spread,
                             mean(r, hs::PathField::pnl) - spread + cost, cost);
  }
}

/// run's checkpoint flags (docs/cluster.md, "Checkpoint and resume").
struct RunFlags {
  CommonFlags common;
  hs::CheckpointOptions checkpoint;
  bool keep_checkpoint = false;
};

int cmd_run(const RunFlags& run_flags, hs::Collectives& ranks) {
  const CommonFlags& flags = run_flags.common;
  const hs::CheckpointOptions& checkpoint = run_flags.checkpoint;
  if (checkpoint.resume && !checkpoint.enabled()) throw hs::InputError("--resume: give --checkpoint PATH, the checkpoint to continue");
  if (run_flags.checkpoint.path.empty() && (checkpoint.batch_paths != 0 || checkpoint.stop_after_batches != 0))
    throw hs::InputError("--checkpoint-batch-paths and --stop-after-batches need --checkpoint PATH");
  const hs::RunSpec spec = load_on_every_rank(flags, ranks, hs::validate_for_run);
  if (checkpoint.enabled()) hs::install_stop_handlers();
  const auto job = [&](const hs::RunSpec& s, const hs::BackendInfo& b, hs::Collectives& r, const hs::ProgressFn& p) {
    return hs::run_hedging_job(s, b, r, p, checkpoint);
  };
  const auto [backend, report] = simulate_and_write<hs::RunReport>(spec, flags, ranks, job, hs::write_run_hdf5);
  // The results are written (or about to be printed): the checkpoint has served.
  if (!run_flags.keep_checkpoint) hs::remove_run_checkpoint(checkpoint, ranks);
  if (!ranks.is_root()) return kOk;
  if (flags.json) {
    std::cout << hs::run_json(spec, report).dump(2) << "\n";
    return kOk;
  }
  std::cout << fmt::format("hedgesim run: {} model, {} measure, {} paths x {} steps, seed {}, {}, {}\n",
                           hs::to_string(spec.model.type), hs::to_string(spec.simulation.measure), report.paths,
                           report.steps, report.seed, hs::to_string(report.precision), backend_label(backend));
  double last_expiry = 0.0;
  for (const hs::OptionSpec& o : spec.book) last_expiry = std::max(last_expiry, o.expiry_days);
  const double horizon = hs::effective_horizon_days(spec.simulation, spec.book);
  const std::string until = horizon == last_expiry ? "the last expiry"
                            : horizon > last_expiry
                                ? fmt::format("the horizon, day {}", hs::format_number(horizon))
                                : fmt::format("the horizon, day {}, the options alive there closed at their marks",
                                              hs::format_number(horizon));
  std::cout << "P&L and costs in USD of the whole position (book + hedge + cash) to " << until
            << "; VaR/ES are losses.\n";
  print_policy_table(report.policies);
  if (hs::has_everlasting(spec.book) && !report.policies.empty()) {
    const hs::Moments& f = report.policies[0].fields[hs::index_of(hs::PathField::everlasting_funding)];
    std::cout << fmt::format("The book's everlasting options paid {:.2f} USD of funding on average (negative: "
                             "received; in the P&L, the same for every policy).\n",
                             f.mean());
  }
  if (spec.hedge.margin.enabled()) print_margin_table(report, spec.hedge);
  if (spec.order_flow.enabled()) print_pool_table(report);
  print_attribution_table(report, !spec.hedge.options.empty(), hs::has_everlasting(spec.book));
  std::cout << fmt::format("elapsed {:.3f} s, {:.3g} path-steps/s{}\n", report.elapsed_s, report.path_steps_per_s,
                           backend.kind == hs::BackendKind::cuda ? fmt::format(", kernel {:.3f} s", report.kernel_s) : "");
  return kOk;
}

// ---- backtest

struct BacktestFlags {
  CommonFlags common;
  hs::BacktestOverrides backtest;
};

std::string issues_text(const hs::DataIssues& d) {
  return fmt::format("{} rows, {} kept; dropped: {} duplicate, {} out of order, {} misaligned, {} non-positive, "
                     "{} implausible; {} gaps ({} missing){}",
                     d.rows, d.kept, d.duplicates, d.out_of_order, d.misaligned, d.non_positive, d.implausible, d.gaps, d.missing,
                     d.outside ? fmt::format("; {} outside the prices' span, not used", d.outside) : "");
}

void print_backtest(const hs::RunSpec& spec, const hs::BacktestReport& rep) {
  const hs::RunReport& h = rep.history;
  std::cout << fmt::format("hedgesim backtest: {} windows of {} hours every {} hours, {} to {}, vol {}, {}\n",
                           h.paths, h.steps, rep.stride_hours, hs::format_utc(rep.window_start.front()),
                           hs::format_utc(rep.window_start.back()), hs::to_string(spec.backtest.vol),
                           backend_label(h.backend));
  std::cout << fmt::format("prices  {}: {}\n", rep.prices_file, issues_text(rep.price_issues));
  if (!rep.funding_file.empty()) std::cout << fmt::format("funding {}: {}\n", rep.funding_file, issues_text(rep.funding_issues));
  if (!rep.gas_file.empty()) std::cout << fmt::format("gas     {}: {}\n", rep.gas_file, issues_text(rep.gas_issues));
  std::cout << fmt::format("windows: {} tried, {} used; skipped {} across gaps, {} without funding, {} without gas\n",
                           rep.candidates, h.paths, rep.skipped_gap, rep.skipped_funding, rep.skipped_gas);
  std::cout << "P&L and costs in USD per window (book + hedge + cash, strikes scaled to each window's spot); "
               "VaR/ES are losses.\n";
  print_policy_table(h.policies);
  print_attribution_table(h);
  if (rep.model_checked) {
    std::cout << fmt::format("\nmodel check: P&L at model.spot = {} USD, backtest windows vs {} {} paths (seed {}); "
                             "KS p(indep.) counts overlapping windows as {:.1f} independent ones\n",
                             spec.model.spot, rep.model.paths, hs::to_string(spec.model.type), rep.model.seed,
                             rep.checks.empty() ? 0.0 : rep.checks.front().effective_windows);
    std::cout << fmt::format("{:<16} {:<8} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>7} {:>9} {:>9}\n",
                             "policy", "sample", "mean", "std", "q01", "q05", "q50", "q95", "q99", "KS D", "p",
                             "p(indep)");
    const auto at = [](const std::vector<double>& levels, const std::vector<double>& q, double level) {
      for (std::size_t i = 0; i < levels.size(); ++i)
        if (std::abs(levels[i] - level) < 1e-12) return q[i];
      return std::nan("");
    };
    for (std::size_t p = 0; p < h.policies.size(); ++p) {
      const hs::ModelCheck& c = rep.checks[p];
      for (int model = 0; model < 2; ++model) {
        const std::vector<double>& q = model ? c.model_quantiles : c.backtest_quantiles;
        const std::string tail = model ? std::string()
                                       : fmt::format(" {:>7.3f} {:>9.3g} {:>9.3g}", c.ks_statistic, c.ks_p_value,
                                                     c.ks_p_value_independent);
        std::cout << fmt::format("{:<16} {:<8} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f}{}\n",
                                 model ? "" : h.policies[p].spec.name, model ? "model" : "history",
                                 model ? c.model_mean : c.backtest_mean, model ? c.model_std : c.backtest_std,
                                 at(c.levels, q, 0.01), at(c.levels, q, 0.05), at(c.levels, q, 0.5),
                                 at(c.levels, q, 0.95), at(c.levels, q, 0.99), tail);
      }
    }
  }
  std::cout << fmt::format("elapsed {:.3f} s backtest ({:.3g} window-steps/s){}\n", h.elapsed_s, h.path_steps_per_s,
                           rep.model_checked ? fmt::format(", {:.3f} s model", rep.model.elapsed_s) : "");
}

int cmd_backtest(const BacktestFlags& flags) {
  hs::RunSpec spec = load_with_overrides(flags.common);
  hs::apply_backtest_overrides(spec.backtest, flags.backtest, "--on-bad-data");
  hs::validate_for_backtest(spec);
  hs::record_provenance(spec, flags.common.command_line);  // again: the backtest's flags are in it now
  if (!spec.output.file.empty()) hs::check_output_writable(spec.output.file);
  hs::BacktestReport report;
  {
    std::optional<Progress> progress;  // the bar of the model check, from its start
    report = hs::run_backtest_job(
        spec,
        [&] {
          const hs::BackendInfo backend = resolve(spec, flags.common);
          progress.emplace(flags.common.json || flags.common.quiet);
          return backend;
        },
        [&](std::uint64_t d, std::uint64_t t) { (*progress)(d, t); });
  }
  write_output(spec, report, hs::write_backtest_hdf5, flags.common.quiet);
  if (flags.common.json) {
    std::cout << hs::backtest_json(spec, report).dump(2) << "\n";
  } else {
    print_backtest(spec, report);
  }
  return kOk;
}

std::string parameters_text(const hs::FamilySpec& f, const std::vector<double>& values) {
  std::string out;
  for (std::size_t i = 0; i < f.free.size(); ++i)
    out += fmt::format("{}{}={:.4g}", out.empty() ? "" : " ", f.free[i].name, values[i]);
  return out;
}

int cmd_optimise(const CommonFlags& flags, hs::Collectives& ranks) {
  const hs::RunSpec spec = load_on_every_rank(flags, ranks, hs::validate_for_optimise);
  const auto [backend, report] =
      simulate_and_write<hs::OptimiseReport>(spec, flags, ranks, JobFn<hs::OptimiseReport>(hs::run_optimise_job),
                                             hs::write_optimise_hdf5);
  if (!ranks.is_root()) return kOk;
  for (const std::string& w : report.warnings) std::cerr << "warning: " << w << "\n";
  if (flags.json) {
    std::cout << hs::optimise_json(spec, report).dump(2) << "\n";
    return kOk;
  }
  const hs::OptimiseSpec& o = spec.optimise;
  const std::string risk_name =
      o.risk == hs::RiskMeasure::var || o.risk == hs::RiskMeasure::es
          ? fmt::format("{}{:g}", o.risk == hs::RiskMeasure::var ? "VaR" : "ES", o.level * 100)
      : o.risk == hs::RiskMeasure::entropic ? fmt::format("entropic(g={:g})", o.risk_aversion)
                                            : std::string(hs::to_string(o.risk));
  std::cout << fmt::format("hedgesim optimise: {} model, {} paths x {} steps, seed {}, {}, {}\n",
                           hs::to_string(spec.model.type), report.paths, report.steps, report.seed,
                           hs::to_string(report.precision), backend_label(backend));
  std::cout << (o.budget_form ? fmt::format("objective: minimise {} of P&L subject to mean cost <= budget (USD)\n", risk_name)
                              : fmt::format("objective: mean cost + lambda x {} of P&L (USD)\n", risk_name));
  std::cout << fmt::format("frontier: in-sample optimum of each family and {}; out of sample on {} fresh paths (seed {})\n",
                           o.budget_form ? "budget" : "lambda", report.oos_paths, report.oos_seed);
  std::cout << fmt::format("{:<12} {:>9}  {:<34} {:>9} {:>10} {:>11} {:>10} | {:>9} {:>10} {:>11} {:>6}\n", "family",
                           o.budget_form ? "budget" : "lambda", "parameters", "cost", risk_name, "objective", "+-s.e.",
                           "oos cost", "oos risk", "oos obj", "z");
  for (std::size_t i = 0; i < report.searches.size(); ++i) {
    const hs::SearchRecord& s = report.searches[i];
    const hs::CandidateRow& b = report.rows[s.best_row];
    const hs::CandidateStats& in = report.in_sample[b.stats];
    std::cout << fmt::format("{:<12} {:>9.4g}  {:<34} {:>9.2f} {:>10.2f} {:>11.2f} {:>10.2f} | {:>9.2f} {:>10.2f} {:>11.2f} {:>6.2f}{}\n",
                             o.families[s.family].name, s.level, parameters_text(o.families[s.family], b.values),
                             in.cost_mean, in.risk, s.objective_in.value, s.objective_in.se, s.out_of_sample.cost_mean,
                             s.out_of_sample.risk, s.objective_out.value, s.difference_z,
                             i == report.chosen ? "  <- chosen" : (s.objective_in.feasible ? "" : "  (over budget)"));
  }
  const hs::SearchRecord& c = report.searches[report.chosen];
  std::cout << fmt::format("chosen: family '{}' ({}) {} at {} {:g}: objective {:.2f} +- {:.2f} in sample, {:.2f} +- {:.2f} out of sample\n",
                           o.families[c.family].name, hs::to_string(o.families[c.family].base.type),
                           parameters_text(o.families[c.family], report.rows[c.best_row].values),
                           o.budget_form ? "budget" : "lambda", c.level, c.objective_in.value, c.objective_in.se,
                           c.objective_out.value, c.objective_out.se);
  if (const hs::ChoiceCheck& c = report.choice; c.has_runner_up) {
    std::cout << fmt::format("runner-up: family '{}', objective {:+.2f} +- {:.2f} from the chosen one on the same paths: {}\n",
                             o.families[report.searches[c.runner_up].family].name, c.difference, c.difference_se,
                             c.distinguishable ? "told apart (more than 2 standard errors)"
                                               : fmt::format("not told apart; about {} paths would", c.paths_needed));
  }
  std::cout << fmt::format("{} candidates ({} evaluations) in {} passes, {:.3f} s, {:.3g} candidates/s; out of sample {:.3f} s\n",
                           report.unique_candidates, report.rows.size(), report.passes, report.search_elapsed_s,
                           report.candidates_per_s, report.oos_elapsed_s);
  return kOk;
}

}  // namespace

namespace {

/// The commands, as typed (optimize is optimise's alias).
constexpr std::string_view kCommands[] = {"run", "optimise", "optimize", "price", "calibrate", "backtest", "pack", "list"};

/// Messages CLI11 does not give: an unknown command or flag with the nearest valid one, and --version
/// with anything else (CLI11 printed the version and exited 0, ignoring the rest). Empty: let CLI11
/// parse.
std::string usage_error(const CLI::App& app, int argc, char** argv) {
  if (argc < 2) return {};
  const std::string_view first = argv[1];
  if (first == "--version") {
    return argc > 2 ? fmt::format("--version takes no other arguments, got '{}'", argv[2]) : std::string();
  }
  if (first.starts_with("-")) return {};
  if (std::find(std::begin(kCommands), std::end(kCommands), first) == std::end(kCommands)) {
    auto hint = hs::nearest_name(first, kCommands);
    // nearest_name matches names of three letters only up to case; a command typed with a letter more or
    // less ("runn", "ru") is still plainly that command.
    for (std::string_view c : kCommands)
      if (!hint && (first.starts_with(c) || c.starts_with(first))) hint = c;
    return fmt::format("unknown command '{}'{}. Commands: run, optimise, price, calibrate, backtest, pack (hedgesim --help)",
                       first, hint ? fmt::format("; did you mean '{}'?", *hint) : std::string());
  }
  // Flags of the command: its options' long names.
  const CLI::App* sub = app.get_subcommand(std::string(first == "optimize" ? "optimise" : first));
  std::vector<std::string> names{"help"};
  for (const CLI::Option* o : sub->get_options())
    for (const std::string& n : o->get_lnames()) names.push_back(n);
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (!a.starts_with("--")) continue;
    const std::string_view name = a.substr(2, a.find('=') == std::string_view::npos ? std::string_view::npos : a.find('=') - 2);
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    const std::vector<std::string_view> views(names.begin(), names.end());
    const auto hint = hs::nearest_name(name, views);
    return fmt::format("unknown flag '--{}' for '{}'{}. hedgesim {} --help lists its flags", name, first,
                       hint ? fmt::format("; did you mean '--{}'?", *hint) : std::string(), first);
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<hs::Ranks> world;
  try {
    world.emplace(argc, argv);
  } catch (const hs::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kRuntime;
  }
  hs::Collectives& ranks = world->collectives();
  // Only rank 0 speaks: the other ranks' copies of a message would say the same thing again.
  const bool root = ranks.is_root();
  CLI::App app{"hedgesim: Monte Carlo hedging risk for crypto option books"};
  app.set_version_flag("--version", std::string("hedgesim ") + HEDGESIM_VERSION + " (commit " + HEDGESIM_GIT_COMMIT + ")");
  app.require_subcommand(1);
  CommonFlags price_flags;
  CLI::App* price = app.add_subcommand("price", "Monte Carlo price of each option in the book beside its closed form");
  add_common_flags(*price, price_flags);
  RunFlags run_flags;
  CLI::App* run = app.add_subcommand("run", "Hedge the book with every policy on common paths; risk and cost per policy");
  add_common_flags(*run, run_flags.common);
  run->add_option("--out", run_flags.common.overrides.out, "HDF5 results file (overrides output.file)");
  run->add_option("--checkpoint", run_flags.checkpoint.path,
                  "checkpoint after every batch to PATH.rank<r>of<R>; on SIGTERM/SIGINT stop with exit code 4 (CPU backend)");
  run->add_flag("--resume", run_flags.checkpoint.resume, "continue from the --checkpoint (start afresh when there is none)");
  run->add_flag("--keep-checkpoint", run_flags.keep_checkpoint, "keep the checkpoint files after a successful run");
  // Test hooks, not for users: a smaller batch, and a stop after some batches as SIGTERM would ask.
  run->add_option("--checkpoint-batch-paths", run_flags.checkpoint.batch_paths)->group("");
  run->add_option("--stop-after-batches", run_flags.checkpoint.stop_after_batches)->group("");
  hs::cli::CalibrateFlags calibrate_flags;
  CLI::App* calibrate = hs::cli::add_calibrate_command(app, calibrate_flags);
  BacktestFlags bt_flags;
  CLI::App* backtest = app.add_subcommand(
      "backtest", "Replay historical prices through every policy in rolling windows; compare with the model");
  add_common_flags(*backtest, bt_flags.common);
  backtest->add_option("--out", bt_flags.common.overrides.out, "HDF5 results file (overrides output.file)");
  backtest->add_option("--prices", bt_flags.backtest.prices, "hourly price CSV (overrides backtest.prices)");
  backtest->add_option("--funding", bt_flags.backtest.funding, "funding-rate CSV for a perpetual hedge (overrides backtest.funding)");
  backtest->add_option("--gas", bt_flags.backtest.gas, "daily gas-price CSV (overrides backtest.gas)");
  backtest->add_option("--on-bad-data", bt_flags.backtest.on_bad_data, "fail | skip (overrides backtest.on_bad_data)");
  backtest->add_flag("--no-model-check", bt_flags.backtest.no_model_check, "skip the Monte Carlo comparison");
  CommonFlags optimise_flags;
  CLI::App* optimise = app.add_subcommand(
      "optimise", "Choose band parameters by mean cost versus risk; efficient frontier and out-of-sample check");
  add_common_flags(*optimise, optimise_flags);
  optimise->add_option("--out", optimise_flags.overrides.out, "HDF5 results file (overrides output.file)");
  optimise->alias("optimize");
  hs::cli::PackCommandFlags pack_flags;
  CLI::App* pack = hs::cli::add_pack_command(app, pack_flags);
  std::string list_topic = "keys";
  CLI::App* list = app.add_subcommand("list", "The config keys with their values, defaults and ranges, as Markdown");
  list->add_option("topic", list_topic, "keys (all, as docs/config.md) | models | policies | costs");

  if (const std::string error = usage_error(app, argc, argv); !error.empty()) {
    if (root) std::cerr << "error: " << error << "\n";
    return kBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return root ? app.exit(e) : kOk;
  } catch (const CLI::CallForAllHelp& e) {
    return root ? app.exit(e) : kOk;
  } catch (const CLI::CallForVersion& e) {
    return root ? app.exit(e) : kOk;
  } catch (const CLI::ParseError& e) {
    if (!root) return kBadInput;
    std::cerr << "error: ";  // as every other bad input; CLI11 writes its message and the --help hint after it
    app.exit(e);
    return kBadInput;
  }

  // The command as typed (arguments with spaces or quotes shell-quoted), for the results files.
  std::string command_line;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`*?;&|<>(){}[]#~") == std::string_view::npos;
    std::string quoted = "'";
    for (const char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    command_line += (i ? " " : "") + (plain ? std::string(a) : quoted + "'");
  }
  for (CommonFlags* f : {&price_flags, &run_flags.common, &bt_flags.common, &optimise_flags}) f->command_line = command_line;
  pack_flags.command_line = command_line;
  calibrate_flags.request.command_line = command_line;

  const auto fail = [&](int code, std::string_view message) {
    if (root) std::cerr << "error: " << message << "\n";
    return code;
  };
  try {
    if (price->parsed()) return cmd_price(price_flags, ranks);
    if (run->parsed()) return cmd_run(run_flags, ranks);
    if (optimise->parsed()) return cmd_optimise(optimise_flags, ranks);
    if (calibrate->parsed()) {
      require_one_rank(ranks, "calibrate");
      return hs::cli::run_calibrate(calibrate_flags);
    }
    if (backtest->parsed()) {
      require_one_rank(ranks, "backtest");
      return cmd_backtest(bt_flags);
    }
    if (pack->parsed()) return hs::cli::run_pack(pack_flags, ranks);
    if (list->parsed()) {
      require_one_rank(ranks, "list");
      std::cout << hs::config_reference(list_topic);
      return kOk;
    }
  } catch (const hs::InputError& e) {
    return fail(kBadInput, e.what());
  } catch (const hs::RuntimeFailure& e) {
    return fail(kRuntime, e.what());
  } catch (const hs::Interrupted& e) {
    if (root) std::cerr << e.what() << "\n";
    return kInterrupted;
  } catch (const std::bad_alloc&) {
    return fail(kRuntime, "out of memory");
  } catch (const std::exception& e) {
    return fail(kOther, e.what());
  }
  return kOther;
}
