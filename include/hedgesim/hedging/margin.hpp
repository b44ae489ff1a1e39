#pragma once
// The margin account of the hedge (hedge.margin; docs/hedging.md "Margin and liquidation"), of two kinds:
//  - a perpetual on margin: equity E = the collateral C USD and c coins (worth c·S) + the top-ups received
//    from a reserve + the policy's cash (the perpetual's settlements h·ΔS, funding, fees and the rest);
//    the margin rates apply to the notional |h|·S;
//  - a spot hedge on a lending protocol's loan (MarginParams::loan): the account holds USD u = C + top-ups
//    + cash and coins c + h; what is negative is borrowed, what is positive pledged. E = u + (c + h)·S and
//    the rates apply to the pledged value max(u, 0) + max(c + h, 0)·S: E under maintenance × that is a
//    debt above (1 − maintenance) of the collateral, the protocol's liquidation LTV; initial is 1 − its
//    largest LTV.
// Per step, after the settlement:
//  - a pending top-up that is due arrives;
//  - E under initial × the margined value is a margin call: without a top-up in transit, the reserve sends
//    what brings E back to that level (all it has left, if less), arriving after the delay (at once for a
//    delay of 0; on a loan the USD repays debt first);
//  - E under maintenance × the margined value liquidates, once per step (a partial liquidation that leaves
//    the account short liquidates again at the next step): on a perpetual a fraction of the position at a
//    penalty (fraction·|h|·S·penalty, the liquidation fee and the slipped price); on a loan with USD debt
//    the liquidator repays that fraction of the debt (the close factor) and takes coins worth it plus the
//    penalty (the liquidation bonus), with coin debt it buys back that fraction of the coins owed and takes
//    USD worth them plus the penalty.
// At a decision, a trade that adds exposure (|h|, or on a loan |c + h|) beyond what E allows at the initial
// rate is cut to that (a reduction is never cut).
// collateral_needed tracks, per path, the least C with which (beside the c coins) neither rule would have
// acted (without the reserve): required() at maintenance after each settlement and at initial for
// each position h' a rule asked for beyond the one held. A path runs as it would without margin until its
// first liquidation or cut, and those happen only where that running maximum exceeds C + top-ups, so for
// every level C' ≤ C the share of paths with collateral_needed > C' is the probability that collateral C'
// without a reserve sees a liquidation or a cut trade (tests/test_margin.cpp checks it path by path).
// Cascades (impact_depth > 0): a liquidation is a forced trade at the venue, and moves the venue's price by
// ln(1 + X/depth) for X USD of it (down for a forced sale, up for a forced buy), a dislocation that decays by
// impact_decay per step (arbitrage pulling the venue back to the market) and is capped at a factor 2 either
// way. The venue (a perpetual's, or the market a loan's liquidators sell on and its oracle reads) marks
// the position and the coin collateral, and executes liquidations, at its price S·e^{−I} (a perpetual's
// equity is C + c·S·e^{−I} + top-ups + cash + h·(S·e^{−I} − S)), so a forced sale can push the rest of the
// position under maintenance at the next steps; the P&L stays at the market's S (the
// liquidation's execution away from it is part of its loss). A liquidation that the market's price alone
// would not have triggered is a cascade: cascaded and cascade_loss. Without a liquidation I stays 0, so a
// path runs as without impact until its first one, and collateral_needed keeps its meaning.
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

  /// Lane l after the settlement of step n (settle_as), an account of either kind.
  HS_HD void settle(const MarginParams& mp, unsigned l, std::uint32_t n, double spot, double& hedge, double& cash) {
    mp.loan ? settle_as<true>(mp, l, n, spot, hedge, cash) : settle_as<false>(mp, l, n, spot, hedge, cash);
  }

  /// Lane l's position when its rule asks for `next` (allowed_as), an account of either kind.
  HS_HD double allowed(const MarginParams& mp, unsigned l, double spot, double hedge, double next, double cash) {
    return mp.loan ? allowed_as<true>(mp, l, spot, hedge, next, cash)
                   : allowed_as<false>(mp, l, spot, hedge, next, cash);
  }

  // The kind is a template argument so that the lane loops (hedge_observer.hpp) carry one kind's code: with
  // both, the CPU's margin tile ran a perpetual's account in 14% more instructions than before loans, 1% so.

  /// The least USD collateral, beside the coins and without top-ups, with which an account holding hedge
  /// and cash meets `rate` at the venue's price (collateral_needed's measure; file comment).
  template <bool Loan>
  HS_HD static double required(const MarginParams& mp, double rate, double venue, double spot, double hedge,
                               double cash) {
    if constexpr (!Loan) {
      // rate·|h|·venue of equity; the venue settles the position at its price: cash + h·(venue − S).
      return rate * (m::fabs(hedge) * venue) - (cash + hedge * (venue - spot)) - mp.collateral_coin * venue;
    }
    // u + C' + coins·venue ≥ rate·(max(u + C', 0) + max(coins, 0)·venue), u the cash: with coins pledged
    // the USD is borrowed; with coins owed the USD is pledged and must cover them at 1/(1 − rate).
    const double coins = mp.collateral_coin + hedge;
    return coins >= 0.0 ? -cash - (1.0 - rate) * coins * venue : -coins * venue / (1.0 - rate) - cash;
  }

  /// Lane l after the settlement of step n at spot S: top-up arrival, margin call, liquidation (file comment).
  /// hedge and cash are the policy's; the liquidation's loss comes out of cash. Loan = mp.loan.
  template <bool Loan>
  HS_HD void settle_as(const MarginParams& mp, unsigned l, std::uint32_t n, double spot, double& hedge, double& cash) {
    const double due = static_cast<double>(n) >= arrival[l] ? pending[l] : 0.0;
    topups[l] += due;
    pending[l] -= due;
    if (mp.impact_depth > 0.0) impact[l] *= mp.impact_decay;
    const double venue = venue_price(mp, l, spot);
    // An account without a position (a loan without coins pledged or owed) has nothing to call margin for
    // or to liquidate, whatever its cash; a loan without debt meets every rate by itself.
    const bool open = (Loan ? mp.collateral_coin + hedge : hedge) != 0.0;
    const double maintenance = required<Loan>(mp, mp.maintenance, venue, spot, hedge, cash);
    need[l] = m::max(need[l], open ? maintenance : 0.0);
    // What the account has against what it must have: a perpetual's equity against rate·|h|·venue, a
    // loan's USD collateral against required().
    const double notional = m::fabs(hedge) * venue;
    double equity = Loan ? mp.collateral + topups[l]
                            : mp.collateral + mp.collateral_coin * venue + topups[l] + (cash + hedge * (venue - spot));
    const double floor = Loan ? maintenance : mp.maintenance * notional;
    const double lacks =
        Loan ? required<Loan>(mp, mp.initial, venue, spot, hedge, cash) - equity : mp.initial * notional - equity;
    const double call = open && pending[l] == 0.0 ? m::min(mp.reserve - topups[l], lacks) : 0.0;
    if (call > 0.0) {
      if (mp.delay_steps == 0) {
        topups[l] += call;
        equity += call;
      } else {
        pending[l] = call;
        arrival[l] = static_cast<double>(n + mp.delay_steps);
      }
    }
    if (open && equity < floor) {
      // A cascade: at the market's price the account would have met maintenance.
      const bool cascade =
          mp.impact_depth > 0.0 &&
          (Loan ? equity >= required<Loan>(mp, mp.maintenance, spot, spot, hedge, cash)
                : equity - hedge * (venue - spot) + mp.collateral_coin * (spot - venue) >=
                      mp.maintenance * m::fabs(hedge) * spot);
      // sold: the coins the liquidation sells at the venue (< 0: buys); lost: its cost against the market's
      // price, which the P&L reads.
      double sold, lost;
      if constexpr (!Loan) {
        sold = mp.fraction * hedge;
        lost = mp.penalty * m::fabs(sold) * venue + sold * (spot - venue);
        cash -= lost;
      } else if (mp.collateral_coin + hedge > 0.0) {
        // USD debt: the liquidator repays its fraction and takes coins worth that and the bonus.
        const double repaid = m::min(mp.fraction * -(equity + cash),
                                     (mp.collateral_coin + hedge) * venue / (1.0 + mp.penalty));
        sold = repaid * (1.0 + mp.penalty) / venue;
        cash += repaid;
        lost = sold * spot - repaid;
      } else {
        // Coin debt: the liquidator returns its fraction of the coins owed and takes USD worth them and the bonus.
        sold = mp.fraction * (mp.collateral_coin + hedge);
        const double paid = -sold * venue * (1.0 + mp.penalty);
        cash -= paid;
        lost = paid + sold * spot;
      }
      hedge -= sold;
      if (mp.impact_depth > 0.0) {
        if (cascade) {
          cascaded[l] = 1.0;
          cascade_loss[l] += lost;
        }
        const double move = m::log1p(m::fabs(sold) * venue / mp.impact_depth);
        impact[l] = m::min(m::max(impact[l] + (sold > 0.0 ? move : -move), -kMaxImpact), kMaxImpact);
      }
      loss[l] += lost;
      liquidated[l] = 1.0;
    }
  }

  /// Lane l's position when its rule asks for `next` holding `hedge`: cut to what the initial rate allows
  /// when it adds exposure (file comment). The trade is at the market's price S, the account valued at the
  /// venue's. Loan = mp.loan.
  template <bool Loan>
  HS_HD double allowed_as(const MarginParams& mp, unsigned l, double spot, double hedge, double next, double cash) {
    const double base = Loan ? mp.collateral_coin : 0.0;  // a loan's exposure is all its coins
    const double now = base + hedge, to = base + next;
    const bool adds = m::fabs(to) > m::fabs(now) || to * now < 0.0;
    if (!adds) return next;
    const double venue = venue_price(mp, l, spot);
    if constexpr (!Loan) {
      const double held = cash + hedge * (venue - spot);
      need[l] = m::max(need[l], mp.initial * m::fabs(next) * venue - held - mp.collateral_coin * venue);
      const double equity = mp.collateral + mp.collateral_coin * venue + topups[l] + held;
      const double limit = m::max(equity, 0.0) / (mp.initial * venue);
      if (m::fabs(next) <= limit) return next;
      const double kept = next * hedge > 0.0 ? m::max(limit, m::fabs(hedge)) : limit;
      return next < 0.0 ? -kept : kept;
    }
    const double required_after = required<Loan>(mp, mp.initial, venue, spot, next, cash - (next - hedge) * spot);
    need[l] = m::max(need[l], required_after);
    if (mp.collateral + topups[l] >= required_after) return next;
    // The most coins on the side of `to` that meet it, with W = u + (c + h)·S the account's worth at the
    // market's price: W / (S − (1 − initial)·venue) pledged, W / (venue/(1 − initial) − S) owed. A venue that
    // values coins so far from the trade's price that size helps (a divisor <= 0) reaches here only with
    // W < 0: nothing may be added.
    const double worth = mp.collateral + topups[l] + cash + now * spot;
    const double per_coin = to > 0.0 ? spot - (1.0 - mp.initial) * venue : venue / (1.0 - mp.initial) - spot;
    const double limit = per_coin > 0.0 ? m::min(m::max(worth, 0.0) / per_coin, m::fabs(to)) : 0.0;
    if (to * now > 0.0 && limit <= m::fabs(now)) return hedge;
    return (to < 0.0 ? -limit : limit) - base;
  }
};

}  // namespace hedgesim
