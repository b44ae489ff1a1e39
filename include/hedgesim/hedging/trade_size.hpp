#pragma once
// What an exchange lets a rebalance be (hedge.lot_size, hedge.min_trade; docs/hedging.md "Trade
// sizes"): a position is a whole number of lots, and an order below the minimum size is refused, so it
// is never sent. Without them a rule that trades "whenever the target moves" would send orders of
// 1e-12 coin and pay the fixed fee and gas on each, and how many it sends would depend on the
// precision of the deltas. Per lane and without branches on per-path values, like the rules.
#include "hedgesim/hd.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/math.hpp"

namespace hedgesim {

/// Whether the job constrains trade sizes at all (else the decision is traded as the rule gives it).
HS_HD bool sizes_trades(const HedgeParams& hp) { return hp.min_trade > 0.0 || hp.lot_size > 0.0; }

/// Whether the job has execution rules (trade sizes or hedge.unwind_at_expiry): on the GPU such a job
/// runs the options kernel (hedge_block.hpp uses_options_kernel), so the standard one carries none of them.
HS_HD bool has_execution_rules(const HedgeParams& hp) { return sizes_trades(hp) || hp.unwind_step != 0; }

/// The position a policy holding `hedge` ends with when its rule asks for `next`: `next` rounded to the
/// nearest whole lot (ties to even), then `hedge` itself when the rounded trade is smaller than
/// min_trade (or zero).
HS_HD double sized_position(const HedgeParams& hp, double hedge, double next) {
  const double lots = hp.lot_size > 0.0 ? hp.lot_size * m::rint(next / hp.lot_size) : next;
  return m::fabs(lots - hedge) < hp.min_trade ? hedge : lots;
}

}  // namespace hedgesim
