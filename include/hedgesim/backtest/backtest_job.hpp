#pragma once
// `hedgesim backtest`: the config's book sold again and again on historical prices (rolling windows)
// and hedged with every policy by the same code as simulated paths (hedge_price_path.hpp), then the
// same per-policy statistics as `run`, and a model check against the config's Monte Carlo model.
//
// Windows. Prices sit on an hourly grid t_k = t_0 + k hours (market_data.hpp). A window starts at
// grid index i = i_min + j·stride_hours and spans the book's horizon (steps hours, as `run`):
// i_min is the first index with the trailing realised-vol history (vol: realized) and at or after
// backtest.start; the last window ends at or before backtest.end and the data's end. A window whose
// prices (including the realised-vol history), funding or gas are not all present is skipped and
// counted (on_bad_data: skip) or an InputError (fail).
//
// Each window sells the book at its start spot S_i: strikes are strike × S_i / model.spot
// (moneyness against model.spot), premiums are Black–Scholes at the window's vol σ_w (hedge.implied_vol,
// or the realised vol σ̂² = (8760/W)·Σ r_k² of the W hourly log returns before the start, zero mean),
// and implied deltas use σ_w; instantaneous deltas use the realised variance trailing each step.
// P&L is in USD at the window's price level; pnl_scaled = pnl · model.spot / S_i puts every window at
// the model's spot, the level the Monte Carlo paths start from, for the model check.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hedgesim/backtest/market_data.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/spec.hpp"
#include "hedgesim/stats/summary.hpp"

namespace hedgesim {

/// The backtest P&L distribution of one policy beside the model's (both at model.spot).
struct ModelCheck {
  std::vector<double> levels;
  std::vector<double> backtest_quantiles;  ///< of pnl_scaled, USD
  std::vector<double> model_quantiles;     ///< of the Monte Carlo P&L, USD
  double backtest_mean = 0.0, backtest_std = 0.0;
  double model_mean = 0.0, model_std = 0.0;
  double ks_statistic = 0.0;  ///< two-sample Kolmogorov–Smirnov D
  double ks_p_value = 0.0;    ///< treating every window as independent (overlapping windows are not)
  double ks_p_value_independent = 0.0;  ///< with the windows counted as n·min(1, stride/steps) independent ones
  double effective_windows = 0.0;
};

struct BacktestReport {
  RunReport history;  ///< policies over the windows (paths = windows, per_path filled), as `run` reports them
  std::string prices_file, funding_file, gas_file;
  DataIssues price_issues, funding_issues, gas_issues;
  std::int64_t data_first = 0, data_last = 0;  ///< first and last price time, Unix s
  std::uint32_t stride_hours = 24;
  std::uint64_t candidates = 0;  ///< window starts tried
  std::uint64_t skipped_gap = 0, skipped_funding = 0, skipped_gas = 0;
  std::vector<std::int64_t> window_start;  ///< Unix s, UTC
  std::vector<double> start_spot, end_spot, vol;
  std::vector<double> strike, premium;  ///< [window · n_options + option], USD
  std::vector<std::vector<double>> pnl_scaled;  ///< [policy][window], USD at model.spot
  bool model_checked = false;
  RunReport model;  ///< the Monte Carlo run of the config (per-path P&L kept)
  std::vector<ModelCheck> checks;  ///< per policy
};

/// The windows of `prices` hedged with every policy of the validated `spec` on `threads` CPU threads
/// (0: all). `funding` and `gas` may be null. The results do not depend on the thread count.
BacktestReport run_backtest(const RunSpec& spec, const TimeSeries& prices, const TimeSeries* funding,
                            const TimeSeries* gas, unsigned threads);

/// Runs the config's Monte Carlo model on `backend` with the same book and policies and fills
/// report.model, report.checks and report.model_checked.
void run_model_check(const RunSpec& spec, const BackendInfo& backend, BacktestReport& report,
                     const ProgressFn& progress = {});

/// `hedgesim backtest` after its flags, for the CLI and the Python package alike: reads the validated
/// spec's backtest.prices (and funding, gas, limited to a day either side of the prices) with
/// read_options(), runs the backtest on simulation.threads, and, when backtest.model_check, the model
/// check on `backend()` (called only then, so a backtest without it never resolves a device).
BacktestReport run_backtest_job(const RunSpec& spec, const std::function<BackendInfo()>& backend,
                                const ProgressFn& progress = {});

}  // namespace hedgesim
