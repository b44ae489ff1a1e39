#pragma once
// The margin account of a perpetual hedge (hedge.margin; docs/hedging.md "Margin and liquidation"): the
// hedge's collateral C USD and c coins (worth c·S), plus the top-ups received from a reserve, plus the
// policy's cash (the perpetual's settlements h·ΔS, funding, fees and the rest) is its equity E. Per step,
// after the settlement:
//  - a pending top-up that is due arrives;
//  - E < initial·|h|·S is a margin call: without a top-up in transit, the reserve sends what brings E back
//    to that level (all it has left, if less), arriving after the delay (at once for a delay of 0);
//  - E < maintenance·|h|·S liquidates a fraction of the position at a penalty (fraction·|h|·S·penalty,
//    the liquidation fee and the slipped price), once per step: a partial liquidation that leaves the
//    account short liquidates again at the next step.
// At a decision, a trade that takes |h| above E/(initial·S) is cut to it (a reduction is never cut).
// collateral_needed tracks, per path, the least C with which (beside the c coins) neither rule would have
// acted (without the reserve): max of maintenance·|h|·S − cash − c·S after each settlement and of
// initial·|h'|·S − cash − c·S for each position h' a rule asked for beyond the one held. A path runs as it would without margin until its
// first liquidation or cut, and those happen only where that running maximum exceeds C + top-ups, so for
// every level C' ≤ C the share of paths with collateral_needed > C' is the probability that collateral C'
// without a reserve sees a liquidation or a cut trade (tests/test_margin.cpp checks it path by path).
// Cascades (impact_depth > 0): a liquidation is a forced trade at the venue, and moves the venue's price by
// ln(1 + X/depth) for X USD of it (down for a forced sale, up for a forced buy), a dislocation that decays by
// impact_decay per step (arbitrage pulling the venue back to the market) and is capped at a factor 2 either
// way. The venue marks the position and the coin collateral, and executes liquidations, at its price
// S·e^{−I}, so equity is C + c·S·e^{−I} + top-ups + cash + h·(S·e^{−I} − S), and a forced sale can push the
// rest of the position under
// maintenance at the next steps; the P&L stays at the market's S (the liquidation's execution away from it
// is part of its loss). A liquidation that the market's price alone would not have triggered (equity at
// I = 0 at least maintenance·|h|·S) is a cascade: cascaded and cascade_loss. Without a liquidation I stays 0,
// so a path runs as without impact until its first one, and collateral_needed keeps its meaning.
// Per lane, with branches on the lane's values where the account acts (a call, a liquidation, a cut): they
// are rarely taken, and the CPU runs the account in a tile of its own (TileKind::margin), so the other
// tiles keep their branch-free loops.
#include <cstdint>

#include "hedgesim/hd.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/math.hpp"

namespace hedgesim {

/// A path's margin fields (PathField::liquidated … cascade_loss); all 0 without hedge.margin.
struct MarginResults {
  double liquidated = 0.0, loss = 0.0, topups = 0.0, need = 0.0, cascaded = 0.0, cascade_loss = 0.0;

  template <class Put>
  HS_HD void put_to(Put&& put) const {
    put(PathField::liquidated, liquidated);
    put(PathField::liquidation_loss, loss);
    put(PathField::margin_topups, topups);
    put(PathField::collateral_needed, need);
    put(PathField::cascaded, cascaded);
    put(PathField::cascade_loss, cascade_loss);
  }
};

/// The largest dislocation |I| of the venue's price by forced trades: a factor 2 either way.
inline constexpr double kMaxImpact = 0.69314718055994530942;

/// One policy's margin account on L lanes (hp.margin).
template <unsigned L>
struct MarginLanes {
  double topups[L];      ///< USD received from the reserve
  double pending[L];     ///< USD of a top-up in transit (0: none)
  double arrival[L];     ///< the step it arrives at
  double liquidated[L];  ///< 1 once the position has been liquidated
  double loss[L];        ///< USD lost to liquidations: penalties, and execution away from the market
  double need[L];        ///< collateral_needed so far
  double impact[L];      ///< I: the venue's log price below the market's (cascades; 0 without)
  double cascaded[L];    ///< 1 once a liquidation was a cascade
  double cascade_loss[L];  ///< USD lost in cascade liquidations

  HS_HD void begin() {
    for (unsigned l = 0; l < L; ++l) {
      topups[l] = pending[l] = arrival[l] = liquidated[l] = loss[l] = need[l] = 0.0;
      impact[l] = cascaded[l] = cascade_loss[l] = 0.0;
    }
  }

  HS_HD MarginResults results(unsigned l) const {
    return {liquidated[l], loss[l], topups[l], need[l], cascaded[l], cascade_loss[l]};
  }

  /// The venue's price S·e^{−I} of lane l at market price S (S itself without impact).
  HS_HD double venue_price(const MarginParams& mp, unsigned l, double spot) const {
    return mp.impact_depth > 0.0 ? spot * m::exp(-impact[l]) : spot;
  }

  /// Lane l after the settlement of step n at spot S: top-up arrival, margin call, liquidation (file comment).
  /// hedge and cash are the policy's; the liquidation's loss comes out of cash.
  HS_HD void settle(const MarginParams& mp, unsigned l, std::uint32_t n, double spot, double& hedge, double& cash) {
    const double due = static_cast<double>(n) >= arrival[l] ? pending[l] : 0.0;
    topups[l] += due;
    pending[l] -= due;
    if (mp.impact_depth > 0.0) impact[l] *= mp.impact_decay;
    const double venue = venue_price(mp, l, spot);
    // An account without a position has nothing to call margin for or to liquidate, whatever its cash.
    const bool open = hedge != 0.0;
    const double exposure = m::fabs(hedge) * venue;
    const double maintenance = mp.maintenance * exposure;
    // cash as the venue counts it: the position marked at its price (exactly cash without impact).
    const double mark = hedge * (venue - spot);
    const double held = cash + mark;
    const double coins = mp.collateral_coin * venue;
    need[l] = m::max(need[l], open ? maintenance - held - coins : 0.0);
    double equity = mp.collateral + coins + topups[l] + held;
    const double call =
        open && pending[l] == 0.0 ? m::min(mp.reserve - topups[l], mp.initial * exposure - equity) : 0.0;
    if (call > 0.0) {
      if (mp.delay_steps == 0) {
        topups[l] += call;
        equity += call;
      } else {
        pending[l] = call;
        arrival[l] = static_cast<double>(n + mp.delay_steps);
      }
    }
    if (open && equity < maintenance) {
      const double closed = mp.fraction * hedge;
      // Closed at the venue's price: away from the market's that the P&L reads, on top of the penalty.
      const double lost = mp.penalty * m::fabs(closed) * venue + closed * (spot - venue);
      if (mp.impact_depth > 0.0) {
        if (equity - mark + mp.collateral_coin * (spot - venue) >= mp.maintenance * m::fabs(hedge) * spot) {
          cascaded[l] = 1.0;
          cascade_loss[l] += lost;
        }
        const double move = m::log1p(m::fabs(closed) * venue / mp.impact_depth);
        impact[l] = m::min(m::max(impact[l] + (closed > 0.0 ? move : -move), -kMaxImpact), kMaxImpact);
      }
      hedge -= closed;
      cash -= lost;
      loss[l] += lost;
      liquidated[l] = 1.0;
    }
  }

  /// Lane l's position when its rule asks for `next` holding `hedge`: cut to the initial margin's limit
  /// when it adds exposure beyond it (file comment).
  HS_HD double allowed(const MarginParams& mp, unsigned l, double spot, double hedge, double next, double cash) {
    const bool adds = m::fabs(next) > m::fabs(hedge) || next * hedge < 0.0;
    if (!adds) return next;
    const double venue = venue_price(mp, l, spot);
    const double held = cash + hedge * (venue - spot);
    const double coins = mp.collateral_coin * venue;
    need[l] = m::max(need[l], mp.initial * m::fabs(next) * venue - held - coins);
    const double limit = m::max(mp.collateral + coins + topups[l] + held, 0.0) / (mp.initial * venue);
    if (m::fabs(next) <= limit) return next;
    const double kept = next * hedge > 0.0 ? m::max(limit, m::fabs(hedge)) : limit;
    return next < 0.0 ? -kept : kept;
  }
};

}  // namespace hedgesim
