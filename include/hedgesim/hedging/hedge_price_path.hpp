#pragma once
// One historical price path through the hedging code of simulated paths (hedging/hedge_observer.hpp),
// so a backtest and `hedgesim run` account P&L, costs and trades identically. This is the only place
// the backtest touches the observer: an observer rewrite adapts this one function.
#include <cstdint>
#include <span>

#include "hedgesim/hedging/hedge_job.hpp"

namespace hedgesim {

/// Hedges the book of `hp` with every policy of `hp` along `spot` (spot[0] = hp.spot0, …,
/// spot[hp.steps]: the price at each step, USD) and writes the kPathFields × n_policies results to
/// out[(field·n_policies + policy)·stride + row], as the CPU backend does for a simulated path.
///   variance: v at each decision (steps + 1 values): σ² of the hedge when hedge.delta is
///             instantaneous (ignored for implied deltas, which use hp.implied_vol);
///   funding:  empty (hp.funding_rate throughout) or, for steps n = 1 … steps, the annualised rate
///             accrued over step n (funding[n − 1]);
///   gas:      empty (hp.gas_log_mean) or the gas price in gwei at decisions n = 0 … steps − 1.
/// `seed` and `path` key the random numbers of execution failures only. Stochastic funding and gas of
/// `hp` are switched off: history supplies them.
void hedge_price_path(const HedgeParams& hp, std::span<const double> spot, std::span<const double> variance,
                      std::span<const double> funding, std::span<const double> gas, std::uint64_t seed,
                      std::uint64_t path, double* out, std::uint64_t stride, std::uint64_t row);

}  // namespace hedgesim
