#pragma once
// The plausible range of every real-valued config key (issue 11, defect 6): one table, read by the
// validation stage (src/config/, by key path) and walked by one test (tests/test_config.cpp, KeyRanges.*). A value
// outside its range is an InputError (exit 2) naming the key, e.g.
//   "cfg.yaml: model.kappa = 1e+308 at line 7: must be in (0, 1000] per year (REASON)".
// The ranges are wide enough that no real desk meets them and narrow enough that the simulation can
// neither overflow nor lose all precision. They come on top of each key's own rules (e.g. "> 0", or
// costs.gas.kappa x dt <= 1), which are checked first and keep their messages. Keys without an entry
// here are integers with their own limits (simulation.paths, seed, threads, output.histogram_bins,
// output.sample_paths), backtest keys with their own rules (stride_hours, realized_window_hours,
// naive_utc_offset_hours), the optimise and policy keys (their own validators), and
// hedge.options[i].roll_days (below tenor_days, which has a range).
#include <stdexcept>
#include <string>
#include <string_view>

namespace hedgesim {

struct KeyRange {
  std::string_view key;  ///< key path; "book[i]." applies to every element
  double lo, hi;
  bool lo_open, hi_open;      ///< "(" / ")" instead of "[" / "]"
  std::string_view unit;      ///< after the interval: "per year", "USD", ...
  std::string_view reason;    ///< why the bounds are where they are
  bool times_spot = false;    ///< the bounds are multiples of model.spot (strikes)

  constexpr bool contains(double x) const {
    return (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi);  // false for NaN
  }
};

// clang-format off
inline constexpr KeyRange kKeyRanges[] = {
    // simulation
    {"simulation.steps_per_day", 0, 86400, true, false, "", "one step a second; finer grids add only rounding error"},
    {"simulation.horizon_days", 0, 3650, true, false, "days", "ten years, the longest expiry"},
    // model
    {"model.spot", 0, 1e9, true, false, "USD", "above any asset's price; keeps notionals far from overflow"},
    {"model.rate", -1, 1, false, false, "per year", "100% a year either way; more is a percentage typed as a fraction"},
    {"model.dividend", -1, 1, false, false, "per year", "100% a year either way, as model.rate"},
    {"model.drift", -10, 10, false, false, "per year", "1000% a year either way; exp(drift x T) stays finite"},
    {"model.vol", 0, 10, true, false, "per square-root year", "1000% volatility"},
    {"model.v0", 0, 100, false, false, "variance per year", "a volatility of 1000%"},
    {"model.kappa", 0, 1000, true, false, "per year", "a half-life of 6 hours; faster reversion is no stochastic volatility"},
    {"model.theta", 0, 100, true, false, "variance per year", "a volatility of 1000%"},
    {"model.xi", 0, 100, true, false, "per square-root year", "vol of variance; beyond it the variance step loses all precision"},
    {"model.rho", -1, 1, false, false, "", "a correlation"},
    {"model.jump_intensity", 0, 1000, false, false, "per year", "about three jumps a day"},
    {"model.jump_mean", -5, 5, false, false, "(log)", "a mean jump of e^5 = 148 times the price"},
    {"model.jump_stdev", 0, 5, false, false, "(log)", "as jump_mean: e^J stays finite"},
    {"model.var_jump_mean", 0, 100, false, false, "variance per year", "as theta"},
    {"model.jump_rho", -10, 10, false, false, "log price per unit variance", "with var_jump_mean the price jump stays finite"},
    // book
    {"book[i].strike", 1e-3, 1e3, false, false, "x model.spot", "moneyness beyond 1000 either way is a typo; ln(K/S) stays small", true},
    {"book[i].expiry_days", 0, 3650, true, false, "days", "ten years; longer-dated options hardly exist"},
    {"book[i].quantity", -1e7, 1e7, false, false, "units of the underlying each", "ten million; more than any desk's book"},
    {"book[i].funding_period_days", 0, 365, true, false, "days", "a year; venues fund every hour to every day"},
    {"book[i].tail_weight", 1e-15, 0.5, false, false, "", "0.5 keeps one European; below 1e-15 the terms are rounding"},
    // hedge
    {"hedge.implied_vol", 0, 10, true, false, "per square-root year", "1000% volatility, as model.vol"},
    {"hedge.options[i].strike", 1e-3, 1e3, false, false, "x model.spot", "as book[i].strike", true},
    {"hedge.options[i].expiry_days", 0, 3650, true, false, "days", "as book[i].expiry_days"},
    {"hedge.options[i].max_position", 0, 1e7, true, false, "contracts", "as book[i].quantity: ten million"},
    {"hedge.options[i].tenor_days", 0, 3650, true, false, "days", "as book[i].expiry_days"},
    {"hedge.options[i].moneyness", 1e-3, 1e3, false, false, "(strike / spot)", "as book[i].strike"},
    {"hedge.options[i].strike_step", 0, 10, false, false, "x model.spot", "a step of ten times the spot lists one strike", true},
    {"hedge.funding.rate", -10, 10, false, false, "per year", "1000% a year; crypto funding peaks near 400%"},
    {"hedge.funding.kappa", 0, 1000, true, false, "per year", "as model.kappa"},
    {"hedge.funding.sigma", 0, 100, false, false, "per year per square-root year", "keeps the funding rate's swings finite"},
    {"hedge.funding.rho", -1, 1, false, false, "", "a correlation"},
    {"hedge.min_trade", 0, 1e7, false, false, "coins", "as book[i].quantity: ten million"},
    {"hedge.lot_size", 0, 1e7, false, false, "coins", "as book[i].quantity: ten million"},
    {"hedge.margin.collateral_usd", 0, 1e12, false, false, "USD", "a trillion dollars, above any desk's collateral"},
    {"hedge.margin.collateral_coin", 0, 1e7, false, false, "coins", "as book[i].quantity: ten million"},
    {"hedge.margin.initial", 0, 1, true, false, "of the notional", "a margin above the notional is not leverage"},
    {"hedge.margin.maintenance", 0, 1, true, false, "of the notional", "as hedge.margin.initial"},
    {"hedge.margin.liquidation_fraction", 0, 1, true, false, "of the position", "a share of the position"},
    {"hedge.margin.liquidation_penalty", 0, 0.5, false, false, "of the liquidated notional", "venues charge 0.5-1.5%; half the notional is no longer a liquidation"},
    {"hedge.margin.reserve_usd", 0, 1e12, false, false, "USD", "as hedge.margin.collateral_usd"},
    {"hedge.margin.top_up_delay_hours", 0, 8760, false, false, "hours", "a year"},
    {"hedge.margin.impact_depth_usd", 0, 1e13, false, false, "USD", "ten trillion: deeper than any market"},
    {"hedge.margin.impact_half_life_hours", 0, 8760, false, false, "hours", "a year"},
    // order_flow
    {"order_flow.strikes[i]", 1e-3, 1e3, false, false, "x model.spot", "as book[i].strike", true},
    {"order_flow.expiries_days[i]", 0, 3650, true, false, "days", "as book[i].expiry_days"},
    {"order_flow.trades_per_day", 0, 1e6, true, false, "per day", "more than one a tenth of a second"},
    {"order_flow.size_mean", 0, 1e7, true, false, "contracts", "as book[i].quantity: ten million"},
    {"order_flow.call_share", 0, 1, false, false, "", "a probability"},
    {"order_flow.buy_share", 0, 1, false, false, "", "a probability"},
    {"order_flow.momentum", -1000, 1000, false, false, "per unit of log return", "a 0.1% move flipping every customer's side"},
    {"order_flow.lookback_hours", 0, 8760, true, false, "hours", "a year"},
    {"order_flow.moneyness_width", 0, 10, true, false, "(ln K/S)", "wider weighs every listed strike alike"},
    {"order_flow.half_spread_vol", 0, 100, false, false, "vol points", "as costs.options.half_spread_vol"},
    {"order_flow.skew_vol", 0, 100, false, false, "vol points", "as costs.options.half_spread_vol"},
    {"order_flow.elasticity", 0, 100, false, false, "per vol point", "at 100 a quote one vol point off turns away all but e^-100 of the customers"},
    {"order_flow.vega_limit_usd", 0, 1e12, false, false, "USD per vol point", "as hedge.margin.collateral_usd"},
    // costs
    {"costs.fee_bps", 0, 10000, false, true, "basis points", "10000 would be 100% of the traded notional"},
    {"costs.options.fee_fraction", 0, 0.1, false, false, "of the underlying's price", "10% of the underlying per option traded; venues charge 0.03%"},
    {"costs.options.fee_cap", 0, 1, false, false, "of the option's price", "a fee above the option's price"},
    {"costs.options.half_spread_vol", 0, 100, false, false, "vol points", "a half-spread of a whole 100% of volatility"},
    {"costs.fixed_per_trade", 0, 1e6, false, false, "USD", "a million dollars a trade"},
    {"costs.failure_probability", 0, 1, false, true, "", "1 would never trade"},
    {"costs.gas.units", 0, 1e8, true, false, "gas", "above a whole block's gas limit (36 million)"},
    {"costs.gas.price_gwei", 0, 1e6, true, false, "gwei", "100 times the highest gas price ever paid"},
    {"costs.gas.eth_price_usd", 0, 1e9, false, false, "USD", "as model.spot; 0: the underlying is ETH"},
    {"costs.gas.kappa", 0, 1e4, false, false, "per year", "a half-life of 36 minutes"},
    {"costs.gas.sigma", 0, 100, false, false, "per square-root year", "keeps exp(ln g) finite"},
    {"costs.gas.return_sensitivity", 0, 1000, false, false, "", "a 1% move multiplying gas by e^10"},
    {"costs.slippage.coefficient", 0, 10, false, false, "", "a cost of 10 times the notional"},
    {"costs.slippage.depth_usd", 0, 1e12, true, false, "USD", "more liquidity than any venue holds"},
    {"costs.slippage.max_fill_fraction", 0, 1, true, true, "of the pool's coin reserve", "at 1 a fill's cost has no bound"},
};
// clang-format on

/// The entry of `key` in kKeyRanges; a key not listed does not compile where it is constant-evaluated.
constexpr const KeyRange& key_range(std::string_view key) {
  for (const KeyRange& r : kKeyRanges) {
    if (r.key == key) return r;
  }
  throw std::logic_error("key_range: no key " + std::string(key) + " in kKeyRanges");  // constexpr: a compile error
}

/// Plausible values of the backtest's CSV rows (market_data.cpp), a bad row beyond them: a price
/// (close) as model.spot; a gas price as costs.gas.price_gwei; a funding rate of at most 1 (100%)
/// either way per funding period (exchanges cap it near 3%).
inline constexpr double kMaxPriceUsd = key_range("model.spot").hi;
inline constexpr double kMaxGasPriceGwei = key_range("costs.gas.price_gwei").hi;
inline constexpr double kMaxFundingPerPeriod = 1.0;

}  // namespace hedgesim
