// Host side of `hedgesim backtest` (backtest_job.hpp): the hourly grid, the windows, threads over
// windows, and the per-policy reductions shared with `run`.
#include "hedgesim/backtest/backtest_job.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "hedgesim/hedging/hedge_price_path.hpp"
#include "hedgesim/backtest/utc_time.hpp"
#include "hedgesim/engine/grid.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/pricing/black_scholes.hpp"
#include "hedgesim/stats/two_sample.hpp"

namespace hedgesim {
namespace {

constexpr std::int64_t kHour = 3600;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Everything on the hourly grid t_k = t0 + k hours; NaN where a series has no value.
struct HourGrid {
  std::int64_t t0 = 0;
  std::size_t n = 0;
  std::vector<double> spot;          ///< price at t_k
  std::vector<std::uint32_t> holes;  ///< holes[k] = missing prices among t_0 … t_{k−1}
  std::vector<double> r2;            ///< r2[k] = Σ_{j ≤ k} (ln S_j/S_{j−1})², 0 across holes (never read there)
  std::vector<double> funding;       ///< annualised rate accrued over (t_{k−1}, t_k]
  std::vector<double> gas;           ///< gwei at t_k

  std::size_t missing(std::size_t a, std::size_t b) const { return holes[b + 1] - holes[a]; }  ///< in [a, b]
  /// Realised variance per year of the w hourly returns ending at t_k (needs prices t_{k−w} … t_k).
  double realized_variance(std::size_t k, std::size_t w) const {
    return (r2[k] - r2[k - w]) * kHoursPerYear / static_cast<double>(w);
  }
};

HourGrid make_grid(const TimeSeries& prices, const TimeSeries* funding, const TimeSeries* gas) {
  HourGrid g;
  g.t0 = prices.time.front();
  g.n = static_cast<std::size_t>((prices.time.back() - g.t0) / kHour) + 1;
  g.spot.assign(g.n, kNaN);
  for (std::size_t i = 0; i < prices.time.size(); ++i)
    g.spot[static_cast<std::size_t>((prices.time[i] - g.t0) / kHour)] = prices.value[i];
  g.holes.assign(g.n + 1, 0);
  g.r2.assign(g.n, 0.0);
  for (std::size_t k = 0; k < g.n; ++k) {
    g.holes[k + 1] = g.holes[k] + (std::isnan(g.spot[k]) ? 1u : 0u);
    double r = 0.0;
    if (k > 0 && !std::isnan(g.spot[k]) && !std::isnan(g.spot[k - 1])) r = std::log(g.spot[k] / g.spot[k - 1]);
    g.r2[k] = (k > 0 ? g.r2[k - 1] : 0.0) + r * r;
  }
  g.funding.assign(g.n, kNaN);
  if (funding) {
    for (std::size_t i = 0; i < funding->time.size(); ++i) {
      // Record at T covers the hours ending at T − interval + 1 h … T.
      for (std::int64_t t = funding->time[i] - funding->interval_s + kHour; t <= funding->time[i]; t += kHour) {
        if (t < g.t0) continue;
        const auto k = static_cast<std::size_t>((t - g.t0) / kHour);
        if (k < g.n) g.funding[k] = funding->value[i];
      }
    }
  }
  g.gas.assign(g.n, kNaN);
  if (gas) {
    std::size_t j = 0;
    for (std::size_t k = 0; k < g.n; ++k) {
      const std::int64_t t = g.t0 + static_cast<std::int64_t>(k) * kHour;
      const std::int64_t day = t - ((t % 86400) + 86400) % 86400;
      while (j < gas->time.size() && gas->time[j] < day) ++j;
      if (j < gas->time.size() && gas->time[j] == day) g.gas[k] = gas->value[j];
    }
  }
  return g;
}

std::size_t first_nan(const std::vector<double>& v, std::size_t a, std::size_t b) {  // in [a, b]; b + 1: none
  for (std::size_t k = a; k <= b; ++k)
    if (std::isnan(v[k])) return k;
  return b + 1;
}

/// "'FILE' covers the hours ending A to B" (funding) or "'FILE' covers the days A to B" (gas).
std::string coverage(const TimeSeries& s) {
  if (s.kind == SeriesKind::gas)
    return fmt::format("'{}' covers the UTC days {} to {}", s.file, format_utc(s.time.front()).substr(0, 10),
                       format_utc(s.time.back()).substr(0, 10));
  return fmt::format("'{}' covers the hours ending {} to {}", s.file,
                     format_utc(s.time.front() - s.interval_s + kHour), format_utc(s.time.back()));
}

/// One window's parameters: the base parameters with the book and the hedge options struck at the window's
/// spot (strikes, and rolling options' strike steps, scaled by s0 / model.spot), marked at the window's vol,
/// and the policies' bands and features relative to the book there.
HedgeParams window_params(const RunSpec& spec, const HedgeParams& base, double s0, double sigma) {
  HedgeParams hp = base;
  hp.spot0 = s0;
  hp.implied_vol = sigma;
  const double scale = s0 / spec.model.spot;
  for (std::size_t i = 0; i < spec.book.size(); ++i) {
    const OptionSpec& o = spec.book[i];
    const double tau = o.expiry_days / kDaysPerYear;
    BookOption& b = hp.options[i];
    b.strike = o.strike * scale;
    b.premium = black_scholes_linear(o.type, s0, b.strike, tau, spec.model.rate, spec.model.dividend, sigma).price;
  }
  for (std::size_t i = 0; i < spec.hedge.options.size(); ++i) {
    HedgeOption& h = hp.hedge_options[i];
    if (is_rolling(h)) {  // its strike grid scales like the book's strikes
      h.strike_step = spec.hedge.options[i].strike_step * scale;
      h.strike = listed_strike(h, s0);
    } else {
      h.strike = spec.hedge.options[i].strike * scale;
    }
  }
  set_policies(spec, s0, sigma, sigma, hp);
  return hp;
}

}  // namespace

BacktestReport run_backtest(const RunSpec& spec, const TimeSeries& prices, const TimeSeries* funding,
                            const TimeSeries* gas, unsigned threads) {
  const auto start_clock = std::chrono::steady_clock::now();
  const BacktestSpec& bt = spec.backtest;
  if (prices.time.empty()) throw InputError(fmt::format("{}: no prices", prices.file));
  const HedgeParams base = make_hedge_params(spec);
  if (base.table.data != nullptr) throw InputError("hedge.delta = model is not available in a backtest");
  const std::size_t steps = base.steps;
  const bool realized = bt.vol == BacktestVol::realized;
  const bool instantaneous = spec.hedge.delta == DeltaSource::instantaneous;
  if (instantaneous && !realized)
    throw InputError("hedge.delta = instantaneous in a backtest needs backtest.vol: realized (the trailing "
                     "realised variance is the path's instantaneous variance)");
  const std::size_t w_rv = realized ? static_cast<std::size_t>(bt.realized_window_hours) : 0;
  const auto stride = static_cast<std::size_t>(bt.stride_hours);
  const bool skip = bt.on_bad_data == BadData::skip;
  const bool use_gas = gas != nullptr && base.gas_units > 0.0;

  BacktestReport rep;
  rep.prices_file = prices.file;
  rep.price_issues = prices.issues;
  if (funding) {
    rep.funding_file = funding->file;
    rep.funding_issues = funding->issues;
  }
  if (gas) {
    rep.gas_file = gas->file;
    rep.gas_issues = gas->issues;
  }
  rep.data_first = prices.time.front();
  rep.data_last = prices.time.back();
  rep.stride_hours = static_cast<std::uint32_t>(stride);

  const HourGrid g = make_grid(prices, funding, gas);
  std::size_t i_min = w_rv;
  if (bt.has_start && bt.start > g.t0) {
    const auto k = static_cast<std::size_t>((bt.start - g.t0 + kHour - 1) / kHour);
    i_min = std::max(i_min, k);
  }
  std::size_t i_end = g.n;  // windows must end at an index < i_end
  if (bt.has_end) {
    if (bt.end < g.t0) {
      i_end = 0;
    } else {
      i_end = std::min(i_end, static_cast<std::size_t>((bt.end - g.t0) / kHour) + 1);
    }
  }

  std::vector<std::size_t> starts;
  std::vector<double> sigmas;
  for (std::size_t i = i_min; i + steps < i_end; i += stride) {
    ++rep.candidates;
    if (g.missing(i - w_rv, i + steps) > 0) {
      ++rep.skipped_gap;  // only reachable with skip: gaps fail when read otherwise
      continue;
    }
    if (funding) {
      if (const std::size_t k = first_nan(g.funding, i + 1, i + steps); k <= i + steps) {
        if (!skip)
          throw InputError(fmt::format(
              "the funding series {}, but the window starting {} needs the rate of the hour ending {}: set "
              "backtest.start/end inside the funding data, or backtest.on_bad_data: skip to skip such windows",
              coverage(*funding), format_utc(g.t0 + static_cast<std::int64_t>(i) * kHour),
              format_utc(g.t0 + static_cast<std::int64_t>(k) * kHour)));
        ++rep.skipped_funding;
        continue;
      }
    }
    if (use_gas) {
      if (const std::size_t k = first_nan(g.gas, i, i + steps - 1); k <= i + steps - 1) {
        if (!skip)
          throw InputError(fmt::format(
              "the gas series {}, but the window starting {} needs the gas price at {}: set backtest.start/end "
              "inside the gas data, or backtest.on_bad_data: skip to skip such windows",
              coverage(*gas), format_utc(g.t0 + static_cast<std::int64_t>(i) * kHour),
              format_utc(g.t0 + static_cast<std::int64_t>(k) * kHour)));
        ++rep.skipped_gas;
        continue;
      }
    }
    const double sigma = realized ? std::sqrt(g.realized_variance(i, w_rv)) : spec.hedge.implied_vol;
    if (!(sigma > 0.0))
      throw InputError(fmt::format("{}: the realised vol of the {} hours before {} is 0 (constant prices): cannot "
                                   "price the window's options",
                                   prices.file, w_rv, format_utc(g.t0 + static_cast<std::int64_t>(i) * kHour)));
    starts.push_back(i);
    sigmas.push_back(sigma);
  }
  const std::size_t nw = starts.size();
  if (nw == 0) {
    throw InputError(fmt::format(
        "{}: no complete window: the prices run from {} to {} ({} hours) and a window needs {} hours{}, "
        "starting every {} hours{}{} ({} tried, {} across gaps, {} without funding, {} without gas)",
        prices.file, format_utc(g.t0), format_utc(prices.time.back()), g.n - 1, steps,
        realized ? fmt::format(" plus {} hours of realised-vol history", w_rv) : "", stride,
        bt.has_start ? " from " + format_utc(bt.start) : "", bt.has_end ? " to " + format_utc(bt.end) : "",
        rep.candidates, rep.skipped_gap, rep.skipped_funding, rep.skipped_gas));
  }

  const unsigned n_pol = base.n_policies;
  const unsigned n_opt = base.n_options;
  std::vector<double> out(static_cast<std::size_t>(path_fields(base)) * n_pol * nw);
  rep.window_start.resize(nw);
  rep.start_spot.resize(nw);
  rep.end_spot.resize(nw);
  rep.vol = sigmas;
  rep.strike.resize(nw * n_opt);
  rep.premium.resize(nw * n_opt);

  const auto work = [&](std::size_t first, std::size_t last) {
    std::vector<double> variance(steps + 1);
    for (std::size_t w = first; w < last; ++w) {
      const std::size_t i = starts[w];
      const HedgeParams hp = window_params(spec, base, g.spot[i], sigmas[w]);
      for (std::size_t n = 0; n <= steps; ++n)
        variance[n] = instantaneous ? g.realized_variance(i + n, w_rv) : sigmas[w] * sigmas[w];
      const std::span<const double> spot(g.spot.data() + i, steps + 1);
      const std::span<const double> fund =
          funding ? std::span<const double>(g.funding.data() + i + 1, steps) : std::span<const double>();
      const std::span<const double> gas_path =
          use_gas ? std::span<const double>(g.gas.data() + i, steps) : std::span<const double>();
      hedge_price_path(hp, spot, variance, fund, gas_path, spec.simulation.seed, w, out.data(), nw, w);
      rep.window_start[w] = g.t0 + static_cast<std::int64_t>(i) * kHour;
      rep.start_spot[w] = g.spot[i];
      rep.end_spot[w] = g.spot[i + steps];
      for (unsigned o = 0; o < n_opt; ++o) {
        rep.strike[w * n_opt + o] = hp.options[o].strike;
        rep.premium[w * n_opt + o] = hp.options[o].premium;
      }
    }
  };
  const unsigned n_threads =
      static_cast<unsigned>(std::min<std::size_t>(threads == 0 ? cpu_hardware_threads() : threads, nw));
  if (n_threads <= 1) {
    work(0, nw);
  } else {
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> errors(n_threads);
    for (unsigned t = 0; t < n_threads; ++t) {
      pool.emplace_back([&, t] {
        try {
          work(nw * t / n_threads, nw * (t + 1) / n_threads);
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    }
    for (std::thread& th : pool) th.join();
    for (const auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

  // Reductions in window order, so the statistics do not depend on the thread count.
  std::vector<PolicyResult>& results = rep.history.policies;
  results.resize(n_pol);
  rep.history.path_fields = path_fields(base);
  rep.pnl_scaled.assign(n_pol, std::vector<double>(nw));
  for (unsigned p = 0; p < n_pol; ++p) {
    PolicyResult& r = results[p];
    r.spec = spec.policies[p];
    for (unsigned f = 0; f < path_fields(base); ++f) {
      const double* v = out.data() + (static_cast<std::size_t>(f) * n_pol + p) * nw;
      r.per_path[f].assign(v, v + nw);
      r.fields[f] = Moments::of({v, nw});
    }
    const std::vector<double>& pnl = r.per_path[static_cast<unsigned>(PathField::pnl)];
    r.pnl = summarize(pnl);
    r.cost = summarize(r.per_path[static_cast<unsigned>(PathField::cost)]);
    r.pnl_histogram = histogram(pnl, spec.output.histogram_bins);
    for (std::size_t w = 0; w < nw; ++w) rep.pnl_scaled[p][w] = pnl[w] * spec.model.spot / rep.start_spot[w];
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_clock).count();
  RunInfo& info = rep.history;
  info.backend = BackendInfo{BackendKind::cpu, cpu_model_name(), n_threads == 0 ? 1u : n_threads, CpuIsa::build, 0, {}, 0};
  info.paths = nw;
  info.steps = base.steps;
  info.seed = spec.simulation.seed;
  info.precision = Precision::float64;
  info.elapsed_s = elapsed;
  info.path_steps_per_s = elapsed > 0 ? static_cast<double>(nw) * static_cast<double>(steps) / elapsed : 0.0;
  return rep;
}

void run_model_check(const RunSpec& spec, const BackendInfo& backend, BacktestReport& rep, const ProgressFn& progress) {
  RunSpec mc = spec;
  mc.output.per_path = true;
  mc.output.sample_paths = 0;
  rep.model = run_hedging_job(mc, backend, progress);
  const std::size_t nw = rep.history.paths;
  const double steps = static_cast<double>(rep.history.steps);
  const double effective = static_cast<double>(nw) * std::min(1.0, static_cast<double>(rep.stride_hours) / steps);
  rep.checks.clear();
  for (std::size_t p = 0; p < rep.history.policies.size(); ++p) {
    const std::vector<double>& bt = rep.pnl_scaled[p];
    const std::vector<double>& model = rep.model.policies[p].per_path[static_cast<unsigned>(PathField::pnl)];
    const Summary sb = summarize(bt);
    const Summary& sm = rep.model.policies[p].pnl;
    ModelCheck c;
    c.levels = sb.quantile_levels;
    c.backtest_quantiles = sb.quantiles;
    c.model_quantiles = sm.quantiles;
    c.backtest_mean = sb.mean;
    c.backtest_std = sb.std;
    c.model_mean = sm.mean;
    c.model_std = sm.std;
    c.ks_statistic = ks_statistic(bt, model);
    c.ks_p_value = ks_p_value(c.ks_statistic, static_cast<double>(nw), static_cast<double>(model.size()));
    c.effective_windows = effective;
    c.ks_p_value_independent = ks_p_value(c.ks_statistic, effective, static_cast<double>(model.size()));
    rep.checks.push_back(std::move(c));
  }
  rep.model_checked = true;
}

BacktestReport run_backtest_job(const RunSpec& spec, const std::function<BackendInfo()>& backend,
                                const ProgressFn& progress) {
  const BacktestSpec& b = spec.backtest;
  const ReadOptions options = read_options(b);
  const TimeSeries prices = read_series(b.prices, SeriesKind::prices, options);
  // Funding and gas rows matter only where there are prices: a day either side covers every interval.
  ReadOptions aux = options;
  aux.has_span = true;
  aux.span_from = prices.time.front() - 86400;
  aux.span_to = prices.time.back() + 86400;
  std::optional<TimeSeries> funding, gas;
  if (!b.funding.empty()) funding = read_series(b.funding, SeriesKind::funding, aux);
  if (!b.gas.empty()) gas = read_series(b.gas, SeriesKind::gas, aux);
  BacktestReport report =
      run_backtest(spec, prices, funding ? &*funding : nullptr, gas ? &*gas : nullptr, spec.simulation.threads);
  if (b.model_check) run_model_check(spec, backend(), report, progress);
  return report;
}

}  // namespace hedgesim
