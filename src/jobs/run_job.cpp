// Host side of `hedgesim run`: the flat parameters, batches of paths on the chosen backend, and the
// per-policy reductions. On the CPU, P&L and cost are kept per path on the host (their quantiles need
// every value) and the other fields stream through mergeable moments unless per-path output is asked
// for; on CUDA the whole reduction stays on the devices (cuda_run_hedging).
#include "hedgesim/jobs/run_job.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include <unistd.h>

#include <fmt/format.h>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/device_plan.hpp"
#include "hedgesim/engine/grid.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/book_greeks.hpp"
#include "hedgesim/hedging/delta_table_builder.hpp"
#include "hedgesim/hedging/option_vol.hpp"
#include "hedgesim/hedging/policy.hpp"
#include "hedgesim/models/poisson.hpp"
#include "hedgesim/pricing/analytic.hpp"
#include "hedgesim/hedging/book_greeks.hpp"
#include "hedgesim/pricing/black_scholes.hpp"
#include "hedgesim/pricing/everlasting.hpp"
#include "hedgesim/stats/distributed_summary.hpp"

namespace hedgesim {
namespace {

constexpr std::uint64_t kBatchPaths = std::uint64_t{1} << 18;

/// A book option's vega at inception with model marks, in the units of those marks' vega, which the vega
/// rules neutralise and scale their bands by (PolicyGrid::book_vega0): the model's ∂C/∂v at v0 — central
/// differences of the closed form, one-sided where v0 is within a step of 0 — and for gbm Black–Scholes
/// ∂C/∂σ at model.vol.
double model_vega_at_inception(const ModelParams& model, const BookOption& o, double spot, double tau) {
  if (model.type == ModelType::gbm)
    return black_scholes_linear(o.type, spot, o.strike, tau, model.rate, model.dividend, model.vol).vega;
  const double h = 1e-3 * std::max(model.v0, 1e-2);
  const auto price = [&](double v) {
    ModelParams m = model;
    m.spot = spot;
    m.v0 = v;
    return analytic_price(m, o.type, o.strike, tau);
  };
  if (model.v0 >= h) return (price(model.v0 + h) - price(model.v0 - h)) / (2 * h);
  return (-3 * price(model.v0) + 4 * price(model.v0 + h) - price(model.v0 + 2 * h)) / (2 * h);
}

/// order_flow: in the flat form (hedging/order_flow.hpp): the board's series, calls then puts, by expiry
/// and strike; rates per step; vol points in units of σ.
OrderFlowParams make_order_flow(const OrderFlowSpec& f, double spot, double steps_per_day, double dt) {
  OrderFlowParams p{};
  if (!f.enabled()) return p;
  const std::size_t n = 2 * f.strikes.size() * f.expiries_days.size();
  if (n > kMaxFlowSeries)
    throw InputError(fmt::format("order_flow lists {} series (calls and puts of {} strikes at {} expiries); at most {} "
                                 "are supported",
                                 n, f.strikes.size(), f.expiries_days.size(), kMaxFlowSeries));
  for (const OptionType type : {OptionType::call, OptionType::put}) {
    for (const double days : f.expiries_days) {
      const auto step = static_cast<std::uint32_t>(std::llround(days * steps_per_day));
      for (const double k : f.strikes) p.series[p.n_series++] = {type, k, std::log(k / spot), step};
    }
  }
  p.arrivals = make_poisson<double>(f.trades_per_day * dt * kDaysPerYear);
  p.call_share = f.call_share;
  p.buy_share = f.buy_share;
  p.momentum = f.momentum;
  p.anchor_weight = -std::expm1(-dt * kDaysPerYear * 24.0 / f.lookback_hours);
  p.size_mean = f.size_mean;
  p.inv_width2 = 1.0 / (f.moneyness_width * f.moneyness_width);
  p.half_spread = f.half_spread_vol / 100.0;
  p.skew = f.skew_vol / 100.0;
  p.min_vol = 1e-3;
  // V_lim per unit of σ (the inventory's vega): 100 vol points.
  p.vega_limit = f.vega_limit_usd > 0.0 ? f.vega_limit_usd * 100.0 : 1.0;
  p.elasticity = f.elasticity;
  return p;
}

}  // namespace

void set_policies(const RunSpec& spec, double spot, double sigma0, double vol0, HedgeParams& hp) {
  const TimeGrid grid = make_grid(spec.simulation, spec.book);
  // The book's gamma and vega at inception with the strikes hp holds: Black–Scholes at sigma0 (the vega
  // from the model with model marks, the units of the marks' vega); with surface marks each option's on
  // the surface (vega: Black–Scholes' at its vol, option_vol.hpp); an everlasting option's are its
  // Europeans' sum, and its time to expiry the mean of theirs, θ + Δ (book_tau_last).
  double gamma0 = 0.0, vega0 = 0.0, tau_everlasting = 0.0;
  for (unsigned i = 0; i < hp.n_options; ++i) {
    const BookOption& o = hp.options[i];
    if (o.funding_steps != 0) {
      const double theta = funding_theta(o, 0, hp.dt), period = funding_period(o, hp.dt);
      const Greeks<double> g =
          everlasting_linear(o.type, spot, o.strike, theta, period, o.terms, hp.rate, hp.dividend, sigma0);
      gamma0 += o.quantity * g.gamma;
      vega0 += o.quantity * g.vega;
      tau_everlasting = std::max(tau_everlasting, theta + period);
      continue;
    }
    const double tau = spec.book[i].expiry_days / kDaysPerYear;
    if (hp.marks == MarkSource::surface) {
      const SurfaceOption so =
          surface_option(hp.surface, hp.sticky_delta, hp.rate, hp.dividend, std::log(hp.spot0 / o.strike), tau);
      const OptionMarks mk = surface_marks(hp.surface, so, o.type, o.strike, spot, std::log(spot / hp.spot0));
      gamma0 += o.quantity * mk.gamma;
      vega0 += o.quantity * mk.vega;
      continue;
    }
    const Greeks<double> g = black_scholes_linear(o.type, spot, o.strike, tau, hp.rate, hp.dividend, sigma0);
    gamma0 += o.quantity * g.gamma;
    vega0 += o.quantity * (spec.hedge.marks == MarkSource::model ? model_vega_at_inception(spec.model, o, spot, tau) : g.vega);
  }
  hp.leland_sign = gamma0 < 0.0 ? 1.0 : -1.0;
  // The state at inception, which state-dependent rules scale their features by (state_band) and the
  // option-hedging rules their bands.
  double tau0 = tau_everlasting;
  for (const OptionSpec& o : spec.book) tau0 = std::max(tau0, o.expiry_days / kDaysPerYear);
  PolicyGrid grid_of_policies{spec.simulation.steps_per_day, grid.dt_years, ""};
  grid_of_policies.tau0 = tau0 > 0.0 ? tau0 : 1.0;
  grid_of_policies.gamma0 = std::fabs(gamma0) * spot > 0.0 ? std::fabs(gamma0) * spot : 1.0;
  grid_of_policies.vol0 = vol0 > 0.0 ? vol0 : 1.0;
  grid_of_policies.book_gamma0 = std::fabs(gamma0);
  grid_of_policies.book_vega0 = std::fabs(vega0);

  // A book of long and short options (a calendar spread) can change the sign of its gamma along a path,
  // and a Leland policy's sign with it (MarketTile::leland_vol), which then needs the book gamma.
  bool long_options = false, short_options = false;
  for (unsigned i = 0; i < hp.n_options; ++i) {
    long_options |= hp.options[i].quantity > 0.0;
    short_options |= hp.options[i].quantity < 0.0;
  }
  hp.n_policies = static_cast<unsigned>(spec.policies.size());
  hp.needs_gamma = false;
  hp.leland_sign_turns = false;
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
    hp.leland_sign_turns = hp.leland_sign_turns || (p.leland && long_options && short_options);
    hp.needs_gamma = hp.needs_gamma || info.needs_gamma(p) || hp.leland_sign_turns;
  }
}

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
  hp.amm_max_fill = spec.costs.slippage.max_fill_fraction;
  hp.min_trade = spec.hedge.min_trade;
  hp.lot_size = spec.hedge.lot_size;
  hp.premium_adjusted = spec.hedge.inverse_delta == InverseDelta::premium_adjusted;
  const MarginSpec& margin = spec.hedge.margin;
  hp.margin = margin.enabled();
  hp.margin_params = {margin.collateral_usd, margin.initial,     margin.maintenance, margin.liquidation_fraction,
                      margin.liquidation_penalty, margin.reserve_usd,
                      static_cast<std::uint32_t>(std::llround(margin.top_up_delay_hours * spec.simulation.steps_per_day / 24.0))};
  hp.margin_params.collateral_coin = margin.collateral_coin;
  hp.margin_params.loan = spec.hedge.instrument == HedgeInstrument::spot;
  if (margin.impact_depth_usd > 0.0) {
    hp.margin_params.impact_depth = margin.impact_depth_usd;
    hp.margin_params.impact_decay = std::exp2(-24.0 / spec.simulation.steps_per_day / margin.impact_half_life_hours);
  }

  // Premiums: the market's price — at each option's vol on the surface with surface marks (at the step
  // grid's τ, as the path marks it), at the implied vol when hedging at it — else the model's closed form.
  const double sigma0 = spec.hedge.delta == DeltaSource::implied ? spec.hedge.implied_vol
                        : model.type == ModelType::gbm          ? model.vol
                                                                : std::sqrt(model.v0);
  hp.n_options = static_cast<unsigned>(spec.book.size());
  const bool surface = spec.hedge.marks == MarkSource::surface;
  hp.marks = spec.hedge.marks;  // set_policies reads it
  if (surface) {
    hp.surface = spec.hedge.surface.slices;
    hp.sticky_delta = spec.hedge.surface.dynamics == SurfaceDynamics::sticky_delta;
  }
  for (std::size_t i = 0; i < spec.book.size(); ++i) {
    const OptionSpec& o = spec.book[i];
    if (o.style == OptionStyle::everlasting) {
      // Its Europeans expire at θ + jΔ, θ = Δ at inception (pricing/everlasting.hpp), in the grid's years
      // as the per-path marks take them (book_greeks.hpp funding_theta).
      BookOption b{o.type, o.settlement, o.strike, o.quantity, kNeverExpires, 0, 0.0, everlasting_terms(o.tail_weight)};
      const std::optional<std::uint32_t> steps = whole_steps(o.funding_period_days, spec.simulation.steps_per_day);
      if (!steps || *steps == 0)
        throw InputError(fmt::format("book[{}].funding_period_days = {} is not a whole, positive number of time steps", i,
                                     o.funding_period_days));
      b.funding_steps = *steps;
      const double period = funding_period(b, grid.dt_years), theta = funding_theta(b, 0, grid.dt_years);
      if (spec.hedge.delta == DeltaSource::implied) {
        b.premium = everlasting_linear(o.type, model.spot, o.strike, theta, period, b.terms, model.rate, model.dividend,
                                       sigma0)
                        .price;
      } else {
        double weight = 0.5;
        for (unsigned j = 0; j < b.terms; ++j, weight *= 0.5)
          b.premium += weight * analytic_price(model, o.type, o.strike, theta + static_cast<double>(j) * period);
      }
      hp.options[i] = b;
      hp.everlasting = true;
      continue;
    }
    const double tau = o.expiry_days / kDaysPerYear;
    const std::uint32_t step = expiry_step(o, spec.simulation.steps_per_day);
    if (surface) {
      const SurfaceOption so = surface_option(hp.surface, hp.sticky_delta, model.rate, model.dividend,
                                              std::log(model.spot / o.strike), static_cast<double>(step) * hp.dt);
      const OptionMarks mk = surface_marks(hp.surface, so, o.type, o.strike, model.spot, 0.0);
      hp.options[i] = {o.type, o.settlement, o.strike, o.quantity, step, 0, mk.value, 0};
      continue;
    }
    const double premium =
        spec.hedge.delta == DeltaSource::implied
            ? black_scholes_linear(o.type, model.spot, o.strike, tau, model.rate, model.dividend, sigma0).price
            : analytic_price(model, o.type, o.strike, tau);
    hp.options[i] = {o.type, o.settlement, o.strike, o.quantity, step, 0, premium, 0};
  }
  // With surface marks the job's one vol σ — which standardises returns for stochastic funding and gas,
  // and whose change would be the attribution's vega — is the surface's at-the-money vol of the book's
  // last expiry at inception, fixed: the surface does not move by itself, so the vega pieces are 0.
  if (surface) hp.implied_vol = surface_reference_vol(hp.surface, book_tau_last(hp, 0));
  // Hedge options (hedge.options) and their costs (costs.options).
  if (spec.hedge.options.size() > kMaxHedgeOptions)
    throw InputError(fmt::format("hedge.options lists {} options; at most {} are supported", spec.hedge.options.size(),
                                 kMaxHedgeOptions));
  hp.n_hedge_options = static_cast<unsigned>(spec.hedge.options.size());
  hp.rolling_options = false;
  for (std::size_t i = 0; i < spec.hedge.options.size(); ++i) {
    const HedgeOptionSpec& o = spec.hedge.options[i];
    const auto steps = [&](double days) {
      return static_cast<std::uint32_t>(std::llround(days * spec.simulation.steps_per_day));
    };
    HedgeOption& h = hp.hedge_options[i];
    h = {o.type, o.strike, steps(o.expiry_days),
         o.max_position > 0.0 ? o.max_position : std::numeric_limits<double>::infinity()};
    if (o.rolling()) {
      h.tenor_steps = steps(o.tenor_days);
      h.roll_every = h.tenor_steps - steps(o.roll_days);
      h.moneyness = o.moneyness;
      h.strike_step = o.strike_step;
      h.strike = listed_strike(h, model.spot);
      h.expiry_step = kNeverExpires;
      hp.rolling_options = true;
    }
  }
  hp.opt_fee_fraction = spec.costs.options.fee_fraction;
  hp.opt_fee_cap = spec.costs.options.fee_cap;
  hp.opt_half_spread = spec.costs.options.half_spread_vol / 100.0;
  const double vol0 = model.type == ModelType::gbm ? model.vol : std::sqrt(model.v0);
  set_policies(spec, model.spot, sigma0, vol0, hp);
  // The unwind is where the book's last option leaves it: its expiry, or the horizon that closes it at its
  // mark (simulation.horizon_days before the last expiry).
  hp.unwind_step = 0;
  if (spec.hedge.unwind_at_expiry) {
    for (unsigned i = 0; i < hp.n_options; ++i) hp.unwind_step = std::max(hp.unwind_step, hp.options[i].expiry_step);
    hp.unwind_step = std::min(hp.unwind_step, hp.steps);
  }
  hp.attribution = spec.output.attribution;
  hp.book_past_horizon = false;
  for (unsigned i = 0; i < hp.n_options; ++i) hp.book_past_horizon |= hp.options[i].expiry_step > hp.steps;
  hp.marks = spec.hedge.marks;
  hp.model_vol = model.type == ModelType::gbm ? model.vol : 0.0;
  hp.flow = make_order_flow(spec.order_flow, model.spot, spec.simulation.steps_per_day, hp.dt);
  return hp;
}

namespace {

/// What a run keeps per path on the host: P&L and cost of every policy for their quantiles (unless the
/// devices reduce them), and every field of every policy for output.per_path.
struct HostPerPath {
  std::uint64_t bytes;
  std::string what;
};
HostPerPath host_per_path(unsigned policies, bool quantiles, bool per_path, unsigned path_fields) {
  const unsigned fields = (quantiles ? 2 : 0) + (per_path ? path_fields : 0);
  std::string what = quantiles ? fmt::format("P&L and cost of {} policies for their quantiles", policies) : "";
  if (per_path) {
    what += fmt::format("{}all {} fields of {} for output.per_path", quantiles ? ", and " : "", path_fields,
                        quantiles ? "each" : fmt::format("{} policies", policies));
  }
  return {sizeof(double) * policies * fields, what};
}

constexpr const char* kPerPathOff = "turn output.per_path off";

/// Refuses (InputError, exit 2) a run whose per-path values would not fit in this machine's memory,
/// before anything is allocated: `use` is what it keeps per path on the host, and the message gives the
/// estimate and what to change.
void require_host_memory(const RunSpec& spec, std::uint64_t local_paths, const HostPerPath& use, const std::string& or_else) {
  const std::uint64_t per_path_bytes = use.bytes;
  const double have = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGE_SIZE));
  const double paths = static_cast<double>(local_paths);
  const double need = paths * static_cast<double>(per_path_bytes);
  if (!(have > 0.0) || need <= have) return;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  throw InputError(fmt::format(
      "simulation.paths = {}: the run keeps {} bytes per path in memory ({}), about {:.1f} GiB{}, more than this "
      "machine's {:.1f} GiB; use fewer paths (at most about {:.0f} per process) or spread them over more MPI "
      "ranks{}",
      spec.simulation.paths, per_path_bytes, use.what, need / kGiB,
      local_paths == spec.simulation.paths ? "" : fmt::format(" for this rank's {} paths", local_paths), have / kGiB,
      have / static_cast<double>(per_path_bytes), or_else.empty() ? "" : ", or " + or_else));
}

/// A run's simulation job and hedge parameters, with the model table `hp` points into when the Heston
/// family's deltas or marks are asked for (tabulated once from the closed form, read per path).
/// Neither copied nor moved, so hp.table stays valid.
struct HedgeSetup {
  explicit HedgeSetup(const RunSpec& spec)
      : job(make_simulation_job(spec)), hp(make_hedge_params(spec)), table(attach_model_table(spec, hp)) {}
  HedgeSetup(const HedgeSetup&) = delete;
  HedgeSetup& operator=(const HedgeSetup&) = delete;

  SimulationJob job;
  HedgeParams hp;
  std::optional<DeltaTable> table;
};

/// Simulates `paths` (starting on a moment tile) in batches of kBatchPaths, in path order, hands each
/// batch and its path count to take(batch, n) (read only), then reports progress within `paths`.
template <class Take>
void for_each_batch(const HedgeSetup& setup, PathRange paths, const BackendInfo& backend, bool per_path,
                    const ProgressFn& progress, Take&& take) {
  HedgingBatch batch;
  for (std::uint64_t first = paths.begin; first < paths.end; first += kBatchPaths) {
    const PathRange range{first, std::min(paths.end, first + kBatchPaths)};
    simulate_hedging(setup.job, setup.hp, range, backend, per_path, batch);
    take(batch, range.size());
    if (progress) progress(range.end - paths.begin, paths.size());
  }
}

/// The ranks' per-rank results reduced into results (rank 0): every field's moments, the P&L and
/// cost summaries and the P&L histogram, every path's fields when asked. Collective.
void reduce_over_ranks(const RunSpec& spec, Collectives& ranks, unsigned n_pol, std::span<const TileFold> folds,
                       std::vector<std::vector<double>>& pnl, std::vector<std::vector<double>>& cost,
                       std::vector<PolicyResult>& results) {
  const std::vector<Moments> fields = merge_over_ranks(ranks, folds);
  const auto n_fields = static_cast<unsigned>(folds.size() / n_pol);
  const auto fold_of = [&](PathField f, unsigned p) -> const TileFold& {
    return folds[static_cast<std::size_t>(index_of(f)) * n_pol + p];
  };
  for (unsigned p = 0; p < n_pol; ++p) {
    DistributedSummary d = distributed_summary(ranks, pnl[p], fold_of(PathField::pnl, p), kDefaultQuantileLevels,
                                               spec.output.histogram_bins);
    std::vector<double>().swap(pnl[p]);
    DistributedSummary c = distributed_summary(ranks, cost[p], fold_of(PathField::cost, p), kDefaultQuantileLevels, 1);
    std::vector<double>().swap(cost[p]);
    if (!ranks.is_root()) continue;
    results[p].pnl = std::move(d.summary);
    results[p].pnl_histogram = std::move(d.histogram);
    results[p].cost = std::move(c.summary);
    for (unsigned f = 0; f < n_fields; ++f) results[p].fields[f] = fields[static_cast<std::size_t>(f) * n_pol + p];
  }
  if (!spec.output.per_path || ranks.size() == 1) return;
  for (unsigned p = 0; p < n_pol; ++p)
    for (unsigned f = 0; f < n_fields; ++f) {
      std::vector<double> all = ranks.gather<double>(results[p].per_path[f]);  // rank order is path order
      results[p].per_path[f] = ranks.is_root() ? std::move(all) : std::vector<double>{};
    }
}


/// The run's reductions on the CUDA devices (cuda_run_hedging): only summaries, histograms and tile
/// moments reach the host, and every path's values only when output.per_path asks. A rank of several
/// brings its P&L and cost to the host for the ranks' summary instead.
std::vector<PolicyResult> cuda_policy_results(const RunSpec& spec, const HedgeSetup& setup, const BackendInfo& backend,
                                              Collectives& ranks, const ProgressFn& progress, double& kernel_s) {
  const PathRange mine = rank_paths(spec.simulation.paths, ranks.rank(), ranks.size());
  const unsigned n_pol = setup.hp.n_policies;
  CudaRunOptions options;
  if (!backend.cuda_devices.empty()) options.devices = backend.cuda_devices;
  else options.devices = {backend.cuda_device};
  options.batch_paths = backend.cuda_batch_paths;
  options.keep_all = spec.output.per_path;
  options.histogram_bins = spec.output.histogram_bins;
  options.host_values = ranks.size() > 1;
  CudaHedgingRun run;
  run_and_agree(ranks, [&] {
    if (spec.output.per_path || options.host_values)
      require_host_memory(spec, mine.size(), host_per_path(n_pol, options.host_values, spec.output.per_path, path_fields(setup.hp)),
                          spec.output.per_path ? kPerPathOff : "");
    run = cuda_run_hedging(setup.job, setup.hp, mine, options, progress);
  });
  kernel_s = run.kernel_s;
  std::vector<PolicyResult> results(n_pol);
  for (unsigned p = 0; p < n_pol; ++p) {
    results[p].spec = spec.policies[p];
    if (spec.output.per_path) results[p].per_path = std::move(run.per_path[p]);
  }
  if (ranks.size() > 1) {
    reduce_over_ranks(spec, ranks, n_pol, run.folds, run.pnl_values, run.cost_values, results);
    return results;
  }
  for (unsigned p = 0; p < n_pol; ++p) {
    PolicyResult& r = results[p];
    r.pnl = std::move(run.pnl[p]);
    r.cost = std::move(run.cost[p]);
    r.fields = run.fields[p];
    r.pnl_histogram = std::move(run.pnl_histogram[p]);
  }
  return results;
}


/// The batches of `mine` with a checkpoint (jobs/checkpoint.hpp): resumes from it (the folds, values
/// and next path), commits it after every batch, and stops every rank with Interrupted when any rank
/// was asked to stop. The ranks agree after each batch (one sum): on a failure, on a stop, and on
/// whether any rank has batches left, so no rank waits in a collective another has left.
template <class Take>
void checkpointed_batches(const RunSpec& spec, const HedgeSetup& setup, const BackendInfo& backend, Collectives& ranks,
                          const ProgressFn& progress, const CheckpointOptions& options, PathRange mine,
                          std::vector<TileFold>& folds, std::vector<std::vector<double>>& pnl,
                          std::vector<std::vector<double>>& cost, std::vector<PolicyResult>& results, Take&& take) {
  const unsigned n_pol = setup.hp.n_policies;
  const bool per_path = spec.output.per_path;
  const std::uint64_t step = options.batch_paths ? options.batch_paths : kBatchPaths;
  std::optional<Checkpoint> cp;
  std::uint64_t first = mine.begin;
  run_and_agree(ranks, [&] {
    if (backend.kind != BackendKind::cpu)
      throw InputError("--checkpoint: checkpoint and resume are supported on the CPU backend only; give --backend cpu");
    if (step == 0 || step % kMomentTile != 0)
      throw InputError(fmt::format("checkpoint batch of {} paths; expected a multiple of {}", step, kMomentTile));
    cp.emplace(options.path, checkpoint_identity(spec, backend, ranks.rank(), ranks.size()), options.resume, mine.begin);
    std::optional<CheckpointState> s = cp->take_state();
    if (!s) return;
    if (s->next_path < mine.begin || s->next_path > mine.end || s->folds.size() != folds.size())
      throw InputError(fmt::format("checkpoint '{}' does not fit this rank's paths [{}, {})", cp->file(), mine.begin, mine.end));
    first = s->next_path;
    folds = std::move(s->folds);
    for (unsigned p = 0; p < n_pol; ++p) {
      pnl[p].insert(pnl[p].end(), s->pnl[p].begin(), s->pnl[p].end());
      cost[p].insert(cost[p].end(), s->cost[p].begin(), s->cost[p].end());
      if (per_path)
        for (unsigned f = 0; f < path_fields(setup.hp); ++f)
          results[p].per_path[f].insert(results[p].per_path[f].end(), s->per_path[p][f].begin(), s->per_path[p][f].end());
    }
  });
  HedgingBatch batch;
  std::uint64_t done = 0;
  for (;;) {
    std::exception_ptr failure;
    if (first < mine.end) {
      try {
        const PathRange range{first, std::min(mine.end, first + step)};
        simulate_hedging(setup.job, setup.hp, range, backend, per_path, batch);
        take(batch, range.size());
        first = range.end;
        cp->commit(range.size(), batch.pnl.data(), batch.cost.data(), per_path ? batch.all.data() : nullptr, first, folds);
        if (options.stop_after_batches != 0 && ++done == options.stop_after_batches) request_stop();
        if (progress) progress(range.end - mine.begin, mine.size());
      } catch (...) {
        failure = std::current_exception();
      }
    }
    std::vector<std::uint64_t> flags = {failure ? 1u : 0u, stop_requested() ? 1u : 0u, first < mine.end ? 1u : 0u};
    ranks.sum(flags);
    if (flags[0] != 0) agree_on_failure(ranks, failure);
    if (flags[2] == 0) return;  // all done: a stop asked now would save no time
    if (flags[1] != 0)
      throw Interrupted(fmt::format("interrupted: checkpoint '{}' written at path {} of [{}, {}); rerun with --resume "
                                    "to continue",
                                    cp->file(), first, mine.begin, mine.end));
  }
}

/// The run's reductions on the host: P&L and cost of every path of this rank kept for their order
/// statistics, the tiles of every field folded batch by batch, then reduced over the ranks.
std::vector<PolicyResult> host_policy_results(const RunSpec& spec, const HedgeSetup& setup, const BackendInfo& backend,
                                              Collectives& ranks, const ProgressFn& progress,
                                              const CheckpointOptions& checkpoint) {
  const PathRange mine = rank_paths(spec.simulation.paths, ranks.rank(), ranks.size());
  const unsigned n_pol = setup.hp.n_policies;
  const bool per_path = spec.output.per_path;
  std::vector<std::vector<double>> pnl(n_pol), cost(n_pol);
  std::vector<PolicyResult> results(n_pol);
  const unsigned n_fields = path_fields(setup.hp);
  std::vector<TileFold> folds(static_cast<std::size_t>(n_fields) * n_pol, TileFold(mine.begin / kMomentTile));
  const auto take_batch = [&](const HedgingBatch& batch, std::size_t n) {
    fold_tile_moments(batch.tiles, folds);
    for (unsigned p = 0; p < n_pol; ++p) {
      const double* batch_pnl = batch.pnl.data() + p * n;
      const double* batch_cost = batch.cost.data() + p * n;
      pnl[p].insert(pnl[p].end(), batch_pnl, batch_pnl + n);
      cost[p].insert(cost[p].end(), batch_cost, batch_cost + n);
      if (!per_path) continue;
      for (unsigned f = 0; f < n_fields; ++f) {
        const double* values = batch.all.data() + (static_cast<std::size_t>(f) * n_pol + p) * n;
        results[p].per_path[f].insert(results[p].per_path[f].end(), values, values + n);
      }
    }
  };
  run_and_agree(ranks, [&] {
    require_host_memory(spec, mine.size(), host_per_path(n_pol, true, per_path, path_fields(setup.hp)),
                        per_path ? kPerPathOff : "run on the CUDA backend, which keeps P&L and cost on the device");
    for (unsigned p = 0; p < n_pol; ++p) {
      results[p].spec = spec.policies[p];
      pnl[p].reserve(mine.size());
      cost[p].reserve(mine.size());
      if (per_path)
        for (unsigned f = 0; f < n_fields; ++f) results[p].per_path[f].reserve(mine.size());
    }
    if (!checkpoint.enabled()) for_each_batch(setup, mine, backend, per_path, progress, take_batch);
  });
  if (checkpoint.enabled()) checkpointed_batches(spec, setup, backend, ranks, progress, checkpoint, mine, folds, pnl, cost, results, take_batch);
  reduce_over_ranks(spec, ranks, n_pol, folds, pnl, cost, results);
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

void require_finite(const PolicyResult& r, unsigned fields) {
  require_finite(r.spec.name, "P&L", r.pnl);
  require_finite(r.spec.name, "cost", r.cost);
  for (unsigned f = 0; f < fields; ++f) {
    const Moments& m = r.fields[f];
    const std::string field = std::string(to_string(static_cast<PathField>(f))) + " per path";
    if (m.count >= 1) require_finite(r.spec.name, "mean", field, m.mean());
    if (m.count >= 2) require_finite(r.spec.name, "standard deviation", field, m.stddev());
  }
}

}  // namespace

BackendInfo resolve_rank_backend(const SimulationSpec& simulation, const std::string& devices, Collectives& ranks) {
  BackendInfo b;
  run_and_agree(ranks, [&] {
    b = resolve_backend(simulation.backend, simulation.threads, devices);
    if (b.kind == BackendKind::cuda && ranks.size() > 1 && devices.empty()) {
      const auto count = static_cast<unsigned>(cuda_device_count());
      const unsigned local = node_local_rank().value_or(ranks.rank());
      b = resolve_backend(simulation.backend, simulation.threads, std::to_string(local % count));
    }
  });
  std::vector<std::uint64_t> cuda = {b.kind == BackendKind::cuda ? 1u : 0u};
  ranks.sum(cuda);
  if (cuda[0] != 0 && cuda[0] != ranks.size())
    throw InputError(fmt::format(
        "{} of {} ranks resolved simulation.backend to cuda and the others to cpu; a job's ranks must all use one "
        "backend (the CPU and CUDA backends agree to rounding, not bit for bit): give --backend cpu or --backend cuda, "
        "with a GPU for every CUDA rank",
        cuda[0], ranks.size()));
  return b;
}

RunReport run_hedging_job(const RunSpec& spec, const BackendInfo& backend, Collectives& ranks,
                          const ProgressFn& progress) {
  return run_hedging_job(spec, backend, ranks, progress, CheckpointOptions{});
}

void remove_run_checkpoint(const CheckpointOptions& checkpoint, const Collectives& ranks) {
  if (!checkpoint.enabled()) return;
  const std::string meta = checkpoint_file(checkpoint.path, ranks.rank(), ranks.size());
  ::unlink(meta.c_str());
  ::unlink((meta + ".values").c_str());
}

RunReport run_hedging_job(const RunSpec& spec, const BackendInfo& backend, Collectives& ranks,
                          const ProgressFn& progress, const CheckpointOptions& checkpoint) {
  std::optional<HedgeSetup> setup;
  run_and_agree(ranks, [&] { setup.emplace(spec); });
  const SimulationJob& job = setup->job;
  const HedgeParams& hp = setup->hp;
  const std::uint64_t total = spec.simulation.paths;

  const auto start = std::chrono::steady_clock::now();
  double kernel_s = 0.0;
  if (checkpoint.enabled() && backend.kind != BackendKind::cpu)
    throw InputError("--checkpoint: checkpoint and resume are supported on the CPU backend only; give --backend cpu");
  std::vector<PolicyResult> results = backend.kind == BackendKind::cuda
                                          ? cuda_policy_results(spec, *setup, backend, ranks, progress, kernel_s)
                                          : host_policy_results(spec, *setup, backend, ranks, progress, checkpoint);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  RunReport report;
  static_cast<RunInfo&>(report) = RunInfo(job, backend, total, elapsed);
  report.kernel_s = kernel_s;
  report.path_fields = path_fields(hp);
  run_and_agree(ranks, [&] {
    if (!ranks.is_root()) return;
    for (const PolicyResult& r : results) require_finite(r, path_fields(hp));
    for (unsigned i = 0; i < hp.n_options; ++i) report.premiums.push_back(hp.options[i].premium);
    report.policies = std::move(results);
    report.sample_paths = cpu_sample_paths(job, std::min<std::uint64_t>(spec.output.sample_paths, total));
    report.sample_trades = cpu_sample_trades(job, hp, report.sample_paths.count);
  });
  return report;
}

PolicyPaths run_hedging_paths(const RunSpec& spec, const BackendInfo& backend, unsigned failure_stream0,
                              const ProgressFn& progress) {
  HedgeSetup setup(spec);
  const std::uint64_t total = spec.simulation.paths;
  const unsigned n_pol = setup.hp.n_policies;
  if (failure_stream0 + n_pol > kMaxPolicies)
    throw InputError(fmt::format("run_hedging_paths: failure streams {} to {}; at most {}", failure_stream0,
                                 failure_stream0 + n_pol - 1, kMaxPolicies - 1));
  setup.hp.failure_stream0 = failure_stream0;
  require_host_memory(spec, total, host_per_path(n_pol, true, false, path_fields(setup.hp)), "");
  PolicyPaths out;
  out.pnl.resize(n_pol);
  out.cost.resize(n_pol);
  out.fields.resize(n_pol);
  for (unsigned p = 0; p < n_pol; ++p) {
    out.pnl[p].reserve(total);
    out.cost[p].reserve(total);
  }
  const unsigned n_fields = path_fields(setup.hp);
  std::vector<TileFold> folds(static_cast<std::size_t>(n_fields) * n_pol);
  const auto start = std::chrono::steady_clock::now();
  double kernel_s = 0.0;
  for_each_batch(setup, {0, total}, backend, false, progress, [&](const HedgingBatch& batch, std::size_t n) {
    kernel_s += batch.kernel_s;
    fold_tile_moments(batch.tiles, folds);
    for (unsigned p = 0; p < n_pol; ++p) {
      out.pnl[p].insert(out.pnl[p].end(), batch.pnl.data() + p * n, batch.pnl.data() + (p + 1) * n);
      out.cost[p].insert(out.cost[p].end(), batch.cost.data() + p * n, batch.cost.data() + (p + 1) * n);
    }
  });
  for (unsigned p = 0; p < n_pol; ++p)
    for (unsigned f = 0; f < n_fields; ++f) out.fields[p][f] = folds[static_cast<std::size_t>(f) * n_pol + p].total();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  static_cast<RunInfo&>(out) = RunInfo(setup.job, backend, total, elapsed);
  out.kernel_s = kernel_s;
  return out;
}

}  // namespace hedgesim
