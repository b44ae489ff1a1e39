#pragma once
// What the hedging equivalence tests share (tile vs one path, AVX-512 vs build ISA, GPU block program vs
// CPU tile, CUDA vs CPU): a policies list with every policy type, and a config's simulation job and
// hedge parameters with the model table when the config hedges with model deltas or marks, and a
// temporary SVI surface file for surface marks.
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "hedgesim/config.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/delta_table_builder.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/models/model.hpp"

namespace hedgesim::test {

/// The Bates model the hedging equivalence tests share (a YAML flow map for `model:`): jumps often
/// enough (λ = 20 a year) that short runs take the jump branch.
inline const std::string kBatesModel =
    "{type: bates, spot: 100, rate: 0.03, v0: 0.36, kappa: 2, theta: 0.36, xi: 0.8, rho: -0.5,\n"
    "        jump_intensity: 20, jump_mean: -0.05, jump_stdev: 0.1}";

/// hedge.margin sections (YAML) of the engine tests, tight enough on kBatesModel's short-dated books to
/// cut trades, top up late, liquidate and cascade: a perpetual's at 10x, and a spot hedge's loan with
/// Aave-like rates (largest loan-to-value 73%, liquidation above 75%, a 5% bonus).
inline const std::string kPerpMargin =
    "margin: {collateral_usd: 6, collateral_coin: 0.04, initial: 0.1, maintenance: 0.09, liquidation_fraction: 0.5, "
    "liquidation_penalty: 0.01, reserve_usd: 30, top_up_delay_hours: 3, impact_depth_usd: 200, impact_half_life_hours: 4}";
inline const std::string kLoanMargin =
    "margin: {collateral_usd: 10, collateral_coin: 0.04, initial: 0.27, maintenance: 0.25, liquidation_fraction: 0.5, "
    "liquidation_penalty: 0.05, reserve_usd: 10, top_up_delay_hours: 3, impact_depth_usd: 200, impact_half_life_hours: 4}";

/// A `policies:` section with one policy of each type; `leland` is the Leland policy's flag and
/// `state_theta` the state_band loadings.
inline std::string all_policy_types(std::string_view leland = "true",
                                    std::string_view state_theta = "{const: -1, tau: 0.5, gamma: 0.3, vol: 0.2}") {
  return "policies: [{name: none, type: none}, {name: every, type: every_step}, {name: h3, type: time, every_hours: 3},\n"
         "  {name: band, type: delta_band, width: 0.5}, {name: gband, type: delta_band, width: 0.02, width_per_gamma: true},\n"
         "  {name: ww, type: whalley_wilmott, risk_aversion: 0.01}, {name: move, type: move, move_pct: 1},\n"
         "  {name: hybrid, type: hybrid, width: 0.3, max_hours: 6}, {name: leland, type: time, every_hours: 2, leland: " +
         std::string(leland) + "},\n  {name: state, type: state_band, theta: " + std::string(state_theta) +
         ", rebalance_fraction: 0.5}]\n";
}

/// A book of everlasting options for the equivalence tests (a `book:` line and the horizon they need): a linear
/// everlasting call funded daily, an inverse everlasting put funded every 6 hours, and a European call; the
/// horizon, 2.5 days, falls between two of the call's funding times.
inline constexpr const char* kEverlastingBook =
    "book: [{type: everlasting_call, strike: 105, funding_period_days: 1, quantity: -10},\n"
    "       {type: everlasting_put, strike: 95, funding_period_days: 0.25, quantity: 4, settlement: inverse},\n"
    "       {type: call, strike: 100, expiry_days: 2, quantity: 3}]\n";
inline constexpr const char* kEverlastingHorizon = ", horizon_days: 2.5";

/// Two hedge options for hedge: {options: ...}: a call expiring after a 2-day horizon (worth its mark there)
/// and a put expiring after one day (settled on the way), strikes around a spot of 100.
inline constexpr const char* kHedgeOptions =
    "options: [{type: call, strike: 100, expiry_days: 5}, {type: put, strike: 97, expiry_days: 1}]";
/// The same options with position limits (max_position) that bind in the equivalence tests: on their 45-path
/// book, delta_gamma's mean option cost falls from 4.62 to 0.53 with them, delta_gamma_vega's from 7.64 to 0.87.
inline constexpr const char* kLimitedHedgeOptions =
    "options: [{type: call, strike: 100, expiry_days: 5, max_position: 4}, "
    "{type: put, strike: 97, expiry_days: 1, max_position: 2.5}]";
/// Two rolling hedge options (hedge.options: tenor_days, roll_days): an at-the-money call on a strike grid of 2,
/// listed every 18 hourly steps and rolled 6 before its expiry, and a put at 97% of the spot, unrounded, rolled
/// every 6 steps; on a 2-day book a run has 2 and 7 rolls, which chunk boundaries fall between and on.
inline constexpr const char* kRollingHedgeOptions =
    "options: [{type: call, tenor_days: 1, roll_days: 0.25, strike_step: 2}, "
    "{type: put, tenor_days: 0.75, roll_days: 0.5, moneyness: 0.97}]";
/// Deribit-like option costs (costs.options).
inline constexpr const char* kOptionCosts = "options: {fee_fraction: 0.0003, fee_cap: 0.125, half_spread_vol: 0.5}";

/// A policies list (all_policy_types) with the option-hedging policies appended: every step, bands, edge.
inline std::string with_option_policies(std::string policies) {
  const std::size_t end = policies.rfind(']');
  return policies.substr(0, end) +
         ",\n  {name: dg, type: delta_gamma}, {name: dg_band, type: delta_gamma, gamma_band: 0.3, width: 0.5},\n"
         "  {name: dv, type: delta_vega, vega_band: 0.2}, {name: dgv, type: delta_gamma_vega},\n"
         "  {name: dgv_band, type: delta_gamma_vega, gamma_band: 0.2, vega_band: 0.2, width: 0.3, rebalance_to: edge}" +
         policies.substr(end);
}

/// A small SVI surface file in the temporary folder, removed with the object: slices at 1, 3 and 8 days,
/// about 60% at the money with a negative skew (arbitrage-free). hedge(dynamics) is a hedge section that
/// marks and hedges on it with a perpetual.
struct TempSurface {
  std::string path;
  explicit TempSurface(const std::string& tag)
      : path((std::filesystem::temp_directory_path() / ("hedgesim_" + tag + "_" + std::to_string(::getpid()) + ".yaml")).string()) {
    std::ofstream(path) << "format: hedgesim-svi-surface\nformat_version: 1\nslices:\n"
                           "  - {days: 1, a: 0.0008, b: 0.002, rho: -0.3, m: 0, sigma: 0.1}\n"
                           "  - {days: 3, a: 0.0024, b: 0.006, rho: -0.3, m: 0.01, sigma: 0.1}\n"
                           "  - {days: 8, a: 0.0068, b: 0.012, rho: -0.4, m: 0.01, sigma: 0.15}\n";
  }
  ~TempSurface() { std::filesystem::remove(path); }
  TempSurface(const TempSurface&) = delete;
  TempSurface& operator=(const TempSurface&) = delete;
  std::string hedge(std::string_view dynamics) const {
    return "instrument: perpetual, marks: surface, surface: {file: '" + path + "', dynamics: " + std::string(dynamics) +
           "}, funding: {rate: 0.1}";
  }
};

/// visit_model for the models the equivalence tests run: GBM, and Heston and Bates with the QE scheme. A test
/// unit that instantiates its per-path program for all seven of visit_model's models takes minutes to
/// compile (CI's budget); any other model stops the test here, never silently.
template <class T, class F>
void visit_test_model(const SimulationJob& job, F&& f) {
  const ModelParams& p = job.model;
  const double mu = measure_drift(p, job.measure);
  if (p.type == ModelType::gbm) return f(make_gbm<T>(p, mu, job.dt_years));
  if (p.scheme == VarianceScheme::qe && p.type == ModelType::heston)
    return f(make_heston<T, VarianceScheme::qe>(p, mu, job.dt_years));
  if (p.scheme == VarianceScheme::qe && p.type == ModelType::bates)
    return f(make_bates<T, VarianceScheme::qe>(p, mu, job.dt_years));
  throw std::logic_error("visit_test_model: the equivalence tests run GBM, and Heston or Bates with the QE scheme");
}

/// A parsed config as the backends take it. Not copied: hp.table points into `table`.
struct HedgeCase {
  RunSpec spec;
  SimulationJob job;
  HedgeParams hp;
  std::optional<DeltaTable> table;

  explicit HedgeCase(const std::string& yaml)
      : spec(parse_config(yaml, "<test>")), job(make_simulation_job(spec)), hp(make_hedge_params(spec)),
        table(attach_model_table(spec, hp)) {}
  HedgeCase(const HedgeCase&) = delete;
  HedgeCase& operator=(const HedgeCase&) = delete;
};

/// Every per-path field of a config's run (validated for `run`) on the CPU backend, two threads.
struct CpuRun {
  HedgeParams hp;
  std::uint64_t n;  ///< paths
  std::vector<double> out;
  double at(PathField f, unsigned p, std::uint64_t i) const { return out[(index_of(f) * hp.n_policies + p) * n + i]; }
};
inline CpuRun cpu_run(const std::string& yaml) {
  const RunSpec spec = parse_config(yaml, "<test>");
  validate_for_run(spec);
  CpuRun r{make_hedge_params(spec), spec.simulation.paths, {}};
  cpu_simulate_hedging(make_simulation_job(spec), r.hp, PathRange{0, r.n}, 2, r.out);
  return r;
}

}  // namespace hedgesim::test
