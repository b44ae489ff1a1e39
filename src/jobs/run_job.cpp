// Host side of `hedgesim run`: the flat parameters, batches of paths on the chosen backend, and the
// per-policy reductions. On the CPU, P&L and cost are kept per path on the host (their quantiles need
// every value) and the other fields stream through mergeable moments unless per-path output is asked
// for; on CUDA the whole reduction stays on the devices (cuda_run_hedging).
#include "hedgesim/jobs/run_job.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include <unistd.h>

#include <fmt/format.h>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/grid.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/delta_table_builder.hpp"
#include "hedgesim/hedging/policy.hpp"
#include "hedgesim/pricing/analytic.hpp"
#include "hedgesim/pricing/black_scholes.hpp"

namespace hedgesim {
namespace {

constexpr std::uint64_t kBatchPaths = std::uint64_t{1} << 18;

}  // namespace

HedgeParams make_hedge_params(const RunSpec& spec) {
  const TimeGrid grid = make_grid(spec.simulation, spec.book);
  const ModelParams& model = spec.model;
  if (spec.book.size() > kMaxBookOptions)
    throw InputError(fmt::format("book has {} options; at most {} are supported", spec.book.size(), kMaxBookOptions));
  if (spec.policies.size() > kMaxPolicies)
    throw InputError(fmt::format("{} policies given; at most {} are supported", spec.policies.size(), kMaxPolicies));

  HedgeParams hp{};
  hp.spot0 = model.spot;
  hp.rate = model.rate;
  hp.dividend = model.dividend;
  hp.dt = grid.dt_years;
  hp.growth = std::exp(model.rate * grid.dt_years);
  hp.steps = grid.steps;
  hp.instrument = spec.hedge.instrument;
  hp.delta = spec.hedge.delta;
  hp.implied_vol = spec.hedge.implied_vol;
  const bool perpetual = spec.hedge.instrument == HedgeInstrument::perpetual;
  hp.funding_rate = perpetual ? spec.hedge.funding.rate : 0.0;
  hp.funding_stochastic = perpetual && spec.hedge.funding.stochastic;
  hp.funding_kappa = spec.hedge.funding.kappa;
  hp.funding_sigma = spec.hedge.funding.sigma;
  hp.funding_rho = spec.hedge.funding.rho;
  hp.fee_rate = spec.costs.fee_bps * 1e-4;
  hp.fixed_cost = spec.costs.fixed_per_trade;
  const GasSpec& gas = spec.costs.gas;
  hp.gas_units = gas.units;
  hp.gas_log_mean = gas.price_gwei > 0 ? std::log(gas.price_gwei) : 0.0;
  hp.gas_kappa = gas.kappa;
  hp.gas_sigma = gas.sigma;
  hp.gas_beta = gas.return_sensitivity;
  hp.gas_eth_price = gas.eth_price_usd;
  hp.slippage = spec.costs.slippage.model;
  hp.slippage_coefficient = spec.costs.slippage.coefficient;
  hp.slippage_depth = spec.costs.slippage.depth_usd;
  hp.failure_probability = spec.costs.failure_probability;

  // Premiums: the market's price at the implied vol when hedging at it, else the model's closed form.
  const double sigma0 = spec.hedge.delta == DeltaSource::implied ? spec.hedge.implied_vol
                        : model.type == ModelType::gbm          ? model.vol
                                                                : std::sqrt(model.v0);
  double gamma0 = 0.0;
  hp.n_options = static_cast<unsigned>(spec.book.size());
  for (std::size_t i = 0; i < spec.book.size(); ++i) {
    const OptionSpec& o = spec.book[i];
    const double tau = o.expiry_days / kDaysPerYear;
    const double premium =
        spec.hedge.delta == DeltaSource::implied
            ? black_scholes_linear(o.type, model.spot, o.strike, tau, model.rate, model.dividend, sigma0).price
            : analytic_price(model, o.type, o.strike, tau);
    hp.options[i] = {o.type, o.settlement, o.strike, o.quantity, expiry_step(o, spec.simulation.steps_per_day), premium};
    gamma0 += o.quantity * black_scholes_linear(o.type, model.spot, o.strike, tau, model.rate, model.dividend, sigma0).gamma;
  }
  hp.leland_sign = gamma0 < 0.0 ? 1.0 : -1.0;
  // The state at inception, which state-dependent rules scale their features by (state_band).
  double tau0 = 0.0;
  for (const OptionSpec& o : spec.book) tau0 = std::max(tau0, o.expiry_days / kDaysPerYear);
  PolicyGrid grid_of_policies{spec.simulation.steps_per_day, grid.dt_years, ""};
  grid_of_policies.tau0 = tau0 > 0.0 ? tau0 : 1.0;
  grid_of_policies.gamma0 = std::fabs(gamma0) * model.spot > 0.0 ? std::fabs(gamma0) * model.spot : 1.0;
  grid_of_policies.vol0 = model.type == ModelType::gbm ? model.vol : std::sqrt(model.v0);
  if (!(grid_of_policies.vol0 > 0.0)) grid_of_policies.vol0 = 1.0;

  hp.n_policies = static_cast<unsigned>(spec.policies.size());
  for (std::size_t i = 0; i < spec.policies.size(); ++i) {
    const PolicySpec& p = spec.policies[i];
    const PolicyInfo& info = policy_info(p.type);
    PolicyParams pp{};
    pp.type = p.type;
    pp.leland = p.leland;
    pp.leland_sqrt_dt = std::sqrt(grid.dt_years);  // Leland's Δt: one step, unless the policy has an interval
    grid_of_policies.key = fmt::format("policies[{}]", i);
    info.to_params(p, grid_of_policies, pp);
    hp.policies[i] = pp;
    hp.needs_gamma = hp.needs_gamma || info.needs_gamma(p);
  }
  return hp;
}

namespace {

/// What a run keeps per path on the host: P&L and cost of every policy for their quantiles (unless the
/// devices reduce them), and every field of every policy for output.per_path.
struct HostPerPath {
  std::uint64_t bytes;
  std::string what;
};
HostPerPath host_per_path(unsigned policies, bool quantiles, bool per_path) {
  const unsigned fields = (quantiles ? 2 : 0) + (per_path ? kPathFields : 0);
  std::string what = quantiles ? fmt::format("P&L and cost of {} policies for their quantiles", policies) : "";
  if (per_path) {
    what += fmt::format("{}all {} fields of {} for output.per_path", quantiles ? ", and " : "", kPathFields,
                        quantiles ? "each" : fmt::format("{} policies", policies));
  }
  return {sizeof(double) * policies * fields, what};
}

constexpr const char* kPerPathOff = "turn output.per_path off";

/// Refuses (InputError, exit 2) a run whose per-path values would not fit in this machine's memory,
/// before anything is allocated: `use` is what it keeps per path on the host, and the message gives the
/// estimate and what to change.
void require_host_memory(const RunSpec& spec, const HostPerPath& use, const std::string& or_else) {
  const std::uint64_t per_path_bytes = use.bytes;
  const double have = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGE_SIZE));
  const double paths = static_cast<double>(spec.simulation.paths);
  const double need = paths * static_cast<double>(per_path_bytes);
  if (!(have > 0.0) || need <= have) return;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  throw InputError(fmt::format(
      "simulation.paths = {}: the run keeps {} bytes per path in memory ({}), about {:.1f} GiB, more than this "
      "machine's {:.1f} GiB; use fewer paths (at most about {:.0f}){}",
      spec.simulation.paths, per_path_bytes, use.what, need / kGiB, have / kGiB, have / static_cast<double>(per_path_bytes),
      or_else.empty() ? "" : ", or " + or_else));
}

/// A run's simulation job and hedge parameters, with the table of model deltas `hp` points into when
/// the Heston family's deltas are asked for (tabulated once from the closed form, read per path).
/// Neither copied nor moved, so hp.table stays valid.
struct HedgeSetup {
  explicit HedgeSetup(const RunSpec& spec) : job(make_simulation_job(spec)), hp(make_hedge_params(spec)) {
    if (spec.hedge.delta == DeltaSource::model && spec.model.type != ModelType::gbm) {
      table.emplace(spec.model, hp);
      hp.table = table->view();
      hp.table_size = table->buffer().size();
    }
  }
  HedgeSetup(const HedgeSetup&) = delete;
  HedgeSetup& operator=(const HedgeSetup&) = delete;

  SimulationJob job;
  HedgeParams hp;
  std::optional<DeltaTable> table;
};

/// Simulates paths [0, total) in batches of kBatchPaths, in path order, hands each batch and its path
/// count to take(batch, n) (read only), then reports progress.
template <class Take>
void for_each_batch(const HedgeSetup& setup, std::uint64_t total, const BackendInfo& backend, bool per_path,
                    const ProgressFn& progress, Take&& take) {
  HedgingBatch batch;
  for (std::uint64_t first = 0; first < total; first += kBatchPaths) {
    const PathRange range{first, std::min(total, first + kBatchPaths)};
    simulate_hedging(setup.job, setup.hp, range, backend, per_path, batch);
    take(batch, range.size());
    if (progress) progress(range.end, total);
  }
}


/// The run's reductions on the CUDA devices (cuda_run_hedging): only summaries, histograms and tile
/// moments reach the host, and every path's values only when output.per_path asks.
std::vector<PolicyResult> cuda_policy_results(const RunSpec& spec, const HedgeSetup& setup, const BackendInfo& backend,
                                              const ProgressFn& progress, double& kernel_s) {
  if (spec.output.per_path) {
    require_host_memory(spec, host_per_path(setup.hp.n_policies, false, true), kPerPathOff);
  }
  CudaRunOptions options;
  if (!backend.cuda_devices.empty()) options.devices = backend.cuda_devices;
  else options.devices = {backend.cuda_device};
  options.batch_paths = backend.cuda_batch_paths;
  options.keep_all = spec.output.per_path;
  options.histogram_bins = spec.output.histogram_bins;
  CudaHedgingRun run = cuda_run_hedging(setup.job, setup.hp, spec.simulation.paths, options, progress);
  std::vector<PolicyResult> results(setup.hp.n_policies);
  for (unsigned p = 0; p < setup.hp.n_policies; ++p) {
    PolicyResult& r = results[p];
    r.spec = spec.policies[p];
    r.pnl = std::move(run.pnl[p]);
    r.cost = std::move(run.cost[p]);
    r.fields = run.fields[p];
    r.pnl_histogram = std::move(run.pnl_histogram[p]);
    if (spec.output.per_path) r.per_path = std::move(run.per_path[p]);
  }
  kernel_s = run.kernel_s;
  return results;
}


/// The run's reductions on the host: P&L and cost of every path kept for their order statistics, the
/// other fields merged batch by batch.
std::vector<PolicyResult> host_policy_results(const RunSpec& spec, const HedgeSetup& setup, const BackendInfo& backend,
                                              const ProgressFn& progress) {
  const std::uint64_t total = spec.simulation.paths;
  const unsigned n_pol = setup.hp.n_policies;
  const bool per_path = spec.output.per_path;
  require_host_memory(spec, host_per_path(n_pol, true, per_path),
                      per_path ? kPerPathOff : "run on the CUDA backend, which keeps P&L and cost on the device");
  std::vector<std::vector<double>> pnl(n_pol), cost(n_pol);
  std::vector<PolicyResult> results(n_pol);
  for (unsigned p = 0; p < n_pol; ++p) {
    results[p].spec = spec.policies[p];
    pnl[p].reserve(total);
    cost[p].reserve(total);
    if (per_path)
      for (auto& v : results[p].per_path) v.reserve(total);
  }
  for_each_batch(setup, total, backend, per_path, progress, [&](const HedgingBatch& batch, std::size_t n) {
    for (unsigned p = 0; p < n_pol; ++p) {
      const double* batch_pnl = batch.pnl.data() + p * n;
      const double* batch_cost = batch.cost.data() + p * n;
      pnl[p].insert(pnl[p].end(), batch_pnl, batch_pnl + n);
      cost[p].insert(cost[p].end(), batch_cost, batch_cost + n);
      for (unsigned f = 0; f < kPathFields; ++f) {
        results[p].fields[f].merge(batch.moments[static_cast<std::size_t>(f) * n_pol + p]);
        if (!per_path) continue;
        const double* values = batch.all.data() + (static_cast<std::size_t>(f) * n_pol + p) * n;
        results[p].per_path[f].insert(results[p].per_path[f].end(), values, values + n);
      }
    }
  });
  for (unsigned p = 0; p < n_pol; ++p) {
    results[p].pnl = summarize(pnl[p]);
    results[p].cost = summarize(cost[p]);
    results[p].pnl_histogram = histogram(pnl[p], spec.output.histogram_bins);
  }
  return results;
}

/// A statistic that is not finite where it is defined is an overflow: per-path values beyond ~1e154 USD
/// square to ∞ (a gas or cost parameter far outside anything real can get there). The run fails naming
/// it, instead of printing inf (null in JSON) with exit 0.
void require_finite(const std::string& policy, std::string_view stat, std::string_view what, double v,
                    std::string_view context = "") {
  if (std::isfinite(v)) return;
  throw RuntimeFailure(fmt::format("policy '{}': the {} of its {} is {}{}: the statistics overflow double precision; a "
                                   "cost or model parameter is far outside any plausible range",
                                   policy, stat, what, v, context));
}

void require_finite(const std::string& policy, std::string_view what, const Summary& s) {
  if (s.count == 0) return;
  const std::string range = fmt::format(" (per-path values from {:g} to {:g} USD)", s.min, s.max);
  const auto check = [&](std::string_view stat, double v) { require_finite(policy, stat, what, v, range); };
  check("min", s.min);
  check("max", s.max);
  check("mean", s.mean);
  check("95% VaR", s.var_95);
  check("95% ES", s.es_95);
  check("99% VaR", s.var_99);
  check("99% ES", s.es_99);
  for (double q : s.quantiles) check("quantile", q);
  if (s.count < 2) return;  // the spread of one value is NaN by definition
  check("standard deviation", s.std);
  check("standard error", s.mean_stderr);
  if (s.std == 0.0) return;  // skewness and kurtosis of constant values are NaN by definition
  check("skewness", s.skewness);
  check("excess kurtosis", s.excess_kurtosis);
}

void require_finite(const PolicyResult& r) {
  require_finite(r.spec.name, "P&L", r.pnl);
  require_finite(r.spec.name, "cost", r.cost);
  for (unsigned f = 0; f < kPathFields; ++f) {
    const Moments& m = r.fields[f];
    const std::string field = std::string(to_string(static_cast<PathField>(f))) + " per path";
    if (m.count >= 1) require_finite(r.spec.name, "mean", field, m.mean());
    if (m.count >= 2) require_finite(r.spec.name, "standard deviation", field, m.stddev());
  }
}

}  // namespace

RunReport run_hedging_job(const RunSpec& spec, const BackendInfo& backend, const ProgressFn& progress) {
  const HedgeSetup setup(spec);
  const SimulationJob& job = setup.job;
  const HedgeParams& hp = setup.hp;
  const std::uint64_t total = spec.simulation.paths;

  const auto start = std::chrono::steady_clock::now();
  double kernel_s = 0.0;
  std::vector<PolicyResult> results = backend.kind == BackendKind::cuda
                                          ? cuda_policy_results(spec, setup, backend, progress, kernel_s)
                                          : host_policy_results(spec, setup, backend, progress);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const PolicyResult& r : results) require_finite(r);

  RunReport report;
  static_cast<RunInfo&>(report) = RunInfo(job, backend, total, elapsed);
  report.kernel_s = kernel_s;
  for (unsigned i = 0; i < hp.n_options; ++i) report.premiums.push_back(hp.options[i].premium);
  report.policies = std::move(results);
  report.sample_paths = cpu_sample_paths(job, std::min<std::uint64_t>(spec.output.sample_paths, total));
  report.sample_trades = cpu_sample_trades(job, hp, report.sample_paths.count);
  return report;
}

PolicyPaths run_hedging_paths(const RunSpec& spec, const BackendInfo& backend, const ProgressFn& progress) {
  const HedgeSetup setup(spec);
  const std::uint64_t total = spec.simulation.paths;
  const unsigned n_pol = setup.hp.n_policies;
  require_host_memory(spec, host_per_path(n_pol, true, false), "");
  PolicyPaths out;
  out.pnl.resize(n_pol);
  out.cost.resize(n_pol);
  out.fields.resize(n_pol);
  for (unsigned p = 0; p < n_pol; ++p) {
    out.pnl[p].reserve(total);
    out.cost[p].reserve(total);
  }
  const auto start = std::chrono::steady_clock::now();
  double kernel_s = 0.0;
  for_each_batch(setup, total, backend, false, progress, [&](const HedgingBatch& batch, std::size_t n) {
    kernel_s += batch.kernel_s;
    for (unsigned p = 0; p < n_pol; ++p) {
      out.pnl[p].insert(out.pnl[p].end(), batch.pnl.data() + p * n, batch.pnl.data() + (p + 1) * n);
      out.cost[p].insert(out.cost[p].end(), batch.cost.data() + p * n, batch.cost.data() + (p + 1) * n);
      for (unsigned f = 0; f < kPathFields; ++f) out.fields[p][f].merge(batch.moments[static_cast<std::size_t>(f) * n_pol + p]);
    }
  });
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  static_cast<RunInfo&>(out) = RunInfo(setup.job, backend, total, elapsed);
  out.kernel_s = kernel_s;
  return out;
}

}  // namespace hedgesim
