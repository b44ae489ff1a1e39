// backtest: — keys of kBacktestKeys (schema.hpp), and the backtest command's own rules.
#include "hedgesim/backtest/utc_time.hpp"
#include "parser.hpp"

namespace hedgesim::config {
namespace {

constexpr double kMaxUtcOffsetHours = 14.0;  // the widest offset in use (UTC+14, Kiribati)

void require_whole_hours(const Reporter& r, const std::string& key, double hours, double minimum) {
  if (!std::isfinite(hours) || hours < minimum || hours != std::round(hours) || hours > 1e7) {
    r.fail(key, hours, "must be a whole number of hours >= " + format_number(minimum) + " (the price data is hourly)");
  }
}

}  // namespace

void Parser::parse_backtest(const Entry& section, BacktestSpec& b) {
  const std::span<const Key<BacktestSpec>> keys = kBacktestKeys;
  const auto es = map_entries(section, "backtest", keys, "a map of backtest keys (" + join(key_names(keys)) + ")");
  const Entry* window = find(es, "realized_window_hours");
  read(es, "backtest", keys, b);
  if (window && b.vol != BacktestVol::realized) {
    fail("backtest.realized_window_hours at line " + std::to_string(window->line) +
         " is used only with backtest.vol = realized: remove it or set vol: realized");
  }
}

void validate_backtest(const Reporter& r, const BacktestSpec& b) {
  require_whole_hours(r, "backtest.stride_hours", b.stride_hours, 1.0);
  require_whole_hours(r, "backtest.realized_window_hours", b.realized_window_hours, 2.0);
  if (b.has_start && b.has_end && b.end <= b.start) {
    r.fail("backtest.end", format_utc(b.end), "must be after backtest.start = " + format_utc(b.start));
  }
  if (b.has_naive_offset && (!std::isfinite(b.naive_utc_offset_hours) ||
                             std::fabs(b.naive_utc_offset_hours) > kMaxUtcOffsetHours ||
                             b.naive_utc_offset_hours * 4.0 != std::round(b.naive_utc_offset_hours * 4.0))) {
    r.fail("backtest.naive_utc_offset_hours", b.naive_utc_offset_hours,
           "must be a multiple of 0.25 hours in [-14, 14] (local time minus UTC)");
  }
}

}  // namespace hedgesim::config

namespace hedgesim {

void validate_for_backtest(const RunSpec& spec) {
  validate_for_run(spec);
  const config::Reporter r(nullptr);
  const BacktestSpec& b = spec.backtest;
  if (b.prices.empty()) {
    r.fail_message("the backtest needs an hourly price file: give --prices FILE or backtest.prices");
  }
  for (std::size_t i = 0; i < spec.book.size(); ++i) {
    if (spec.book[i].style != OptionStyle::everlasting) continue;
    r.fail("book[" + std::to_string(i) + "].type", to_string(book_type(spec.book[i])),
           "is not available in a backtest (its windows sell the book again at each window's start and hold it to "
           "its expiry; an everlasting option has none): simulate it with hedgesim run and simulation.horizon_days");
  }
  if (spec.order_flow.enabled()) {
    r.fail_key("order_flow", "is not available in a backtest (its windows replay the book's own options; the "
                             "customers' flow is simulated): run it with hedgesim run");
  }
  if (spec.simulation.steps_per_day != 24.0) {
    r.fail("simulation.steps_per_day", spec.simulation.steps_per_day,
           "must be 24 for a backtest: the historical prices are hourly and every hour is a hedging step");
  }
  if (spec.hedge.delta == DeltaSource::model) {
    r.fail("hedge.delta", "model",
           "is not available in a backtest (the model's delta table is built at model.spot for simulated "
           "variance); use implied (at backtest.vol) or instantaneous (at the trailing realised variance)");
  }
  if (spec.hedge.marks == MarkSource::model) {
    r.fail("hedge.marks", "model",
           "is not available in a backtest (the model table is built at model.spot for simulated variance); "
           "use black_scholes");
  }
  if (spec.hedge.marks == MarkSource::surface) {
    r.fail("hedge.marks", "surface",
           "is not available in a backtest (the surface is one day's chain, and a backtest sells each window's "
           "option at backtest.vol): remove it or set hedge.marks: black_scholes");
  }
  if (spec.hedge.delta == DeltaSource::instantaneous && b.vol != BacktestVol::realized) {
    r.fail("hedge.delta", "instantaneous",
           "in a backtest needs backtest.vol: realized (the instantaneous variance of a historical path is "
           "its trailing realised variance); or use hedge.delta: implied");
  }
  if (spec.hedge.funding.stochastic) {
    r.fail("hedge.funding.stochastic", "true",
           "a backtest replays history: give a funding file (backtest.funding or --funding) or a constant "
           "hedge.funding.rate");
  }
  const GasSpec& g = spec.costs.gas;
  const std::span<const config::Key<GasSpec>> gas_keys = config::kGasKeys;
  for (const config::Key<GasSpec>& k : gas_keys.subspan(3)) {  // kappa, sigma, return_sensitivity
    if (const double value = g.*std::get<double GasSpec::*>(k.field); value != 0.0) {
      r.fail("costs.gas." + std::string(k.name), value,
             "a backtest replays history: the gas price is costs.gas.price_gwei, or the series of backtest.gas "
             "(--gas); remove the stochastic gas parameters");
    }
  }
  if (!b.funding.empty() && spec.hedge.instrument != HedgeInstrument::perpetual) {
    r.fail("backtest.funding", "'" + b.funding + "'",
           "funding applies only to hedge.instrument = perpetual, not spot: remove it or hedge with the perpetual");
  }
  if (!b.gas.empty() && g.units <= 0.0) {
    r.fail("backtest.gas", "'" + b.gas + "'",
           "a gas-price series needs costs.gas.units (gas per rebalance) and costs.gas.price_gwei (for the "
           "Monte Carlo comparison)");
  }
}

}  // namespace hedgesim
