// The margin account of a perpetual hedge, or a spot hedge's loan (issue 14; hedging/margin.hpp, docs/hedging.md
// "Margin and liquidation"): the account's rules on hand-computed numbers, a run with ample collateral that is the run
// without margin bit for bit, collateral_needed as the exact threshold of a liquidation or a cut trade path
// by path, top-ups that arrive at once or late, and cascades: liquidations whose forced trades move the
// venue's price into more liquidations.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "hedge_cases.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/engine/job.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/hedge_observer.hpp"
#include "hedgesim/hedging/margin.hpp"
#include "hedgesim/jobs/run_job.hpp"

namespace hedgesim {
namespace {

// ---- the account's rules, one lane at a time ----

MarginParams params(double collateral, double reserve = 0.0, std::uint32_t delay = 0) {
  return {collateral, 0.1, 0.05, 0.5, 0.01, reserve, delay};
}

TEST(Margin, EquityUnderMaintenanceLiquidatesAFractionAtAPenalty) {
  MarginLanes<1> g;
  g.begin();
  // Short 10 coins at S = 100: notional 1000, maintenance 50, initial 100. The perpetual lost 60 USD:
  // equity 100 − 60 = 40 < 50.
  double hedge = -10.0, cash = -60.0;
  g.settle(params(100.0), 0, 5, 100.0, hedge, cash);
  EXPECT_EQ(hedge, -5.0) << "half the position closed";
  EXPECT_DOUBLE_EQ(cash, -65.0) << "penalty 0.01 x 5 coins x 100";
  EXPECT_DOUBLE_EQ(g.loss[0], 5.0);
  EXPECT_EQ(g.liquidated[0], 1.0);
  EXPECT_DOUBLE_EQ(g.need[0], 110.0) << "maintenance 50 - cash -60";
  // At S = 140 the 5 coins left need 0.05 x 5 x 140 = 35 of equity, which is what 100 - 65 leaves.
  g.settle(params(100.0), 0, 6, 140.0, hedge, cash);
  EXPECT_EQ(hedge, -5.0) << "equity 35 is not under maintenance 35";
  cash -= 1.0;
  g.settle(params(100.0), 0, 7, 140.0, hedge, cash);
  EXPECT_EQ(hedge, -2.5) << "equity 34 < 35: half of what is left";
  EXPECT_DOUBLE_EQ(g.loss[0], 5.0 + 0.01 * 2.5 * 140.0);
}

TEST(Margin, AMarginCallTopsUpAtOnceOrAfterTheDelay) {
  double hedge = -10.0, cash = -60.0;
  MarginLanes<1> now;
  now.begin();
  now.settle(params(100.0, 1000.0, 0), 0, 3, 100.0, hedge, cash);
  EXPECT_EQ(hedge, -10.0) << "the top-up of 60 arrives before the liquidation test: equity 100";
  EXPECT_DOUBLE_EQ(now.topups[0], 60.0);
  EXPECT_EQ(now.liquidated[0], 0.0);
  EXPECT_DOUBLE_EQ(now.need[0], 110.0) << "need counts no reserve";

  MarginLanes<1> late;
  late.begin();
  late.settle(params(100.0, 30.0, 2), 0, 3, 100.0, hedge, cash);
  EXPECT_EQ(late.pending[0], 30.0) << "all the reserve has, less than the 60 asked";
  EXPECT_EQ(late.arrival[0], 5.0);
  EXPECT_EQ(late.topups[0], 0.0);
  EXPECT_EQ(hedge, -5.0) << "liquidated while the top-up is in transit";
  late.settle(params(100.0, 30.0, 2), 0, 4, 100.0, hedge, cash);
  EXPECT_EQ(late.topups[0], 0.0);
  late.settle(params(100.0, 30.0, 2), 0, 5, 100.0, hedge, cash);
  EXPECT_EQ(late.topups[0], 30.0);
  EXPECT_EQ(late.pending[0], 0.0);
}

TEST(Margin, AnAccountWithoutAPositionIsNeitherCalledNorLiquidated) {
  MarginLanes<1> g;
  g.begin();
  double hedge = 0.0, cash = -500.0;  // costs beyond the collateral, nothing held
  g.settle(params(100.0, 1000.0, 0), 0, 1, 100.0, hedge, cash);
  EXPECT_EQ(g.liquidated[0], 0.0);
  EXPECT_EQ(g.topups[0], 0.0);
  EXPECT_EQ(g.need[0], 0.0);
}

TEST(Margin, InitialMarginCutsATradeThatAddsExposure) {
  const MarginParams mp = params(100.0);  // equity 100 at cash 0: |h| up to 100 / (0.1 x 100) = 10 coins
  MarginLanes<1> g;
  g.begin();
  EXPECT_EQ(g.allowed(mp, 0, 100.0, 0.0, -15.0, 0.0), -10.0);
  EXPECT_DOUBLE_EQ(g.need[0], 150.0) << "0.1 x 15 x 100 - 0";
  EXPECT_EQ(g.allowed(mp, 0, 100.0, -12.0, -15.0, 0.0), -12.0) << "above the limit already: no more";
  EXPECT_EQ(g.allowed(mp, 0, 100.0, -12.0, -11.0, 0.0), -11.0) << "a reduction is never cut";
  EXPECT_EQ(g.allowed(mp, 0, 100.0, 5.0, -15.0, 0.0), -10.0) << "a flip goes to the limit";
  EXPECT_EQ(g.allowed(mp, 0, 100.0, 0.0, 8.0, 0.0), 8.0);
  EXPECT_EQ(g.allowed(mp, 0, 100.0, 0.0, 8.0, -150.0), 0.0) << "equity -50: nothing may be opened";
}

// Coin collateral is worth c·S: it falls with a long hedge's losses and rises with a short's. Long 10 coins
// after the perpetual lost 50 at S = 95 (maintenance 0.05·10·95 = 47.5): one coin of collateral leaves
// equity 95 − 50 = 45 and is liquidated where 100 USD (equity 50) is not; short 10 at S = 105 after the
// same loss (maintenance 52.5), the coin (105 − 50 = 55) holds where the USD (50) does not.
TEST(Margin, CoinCollateralMovesWithTheCoin) {
  MarginParams coin = params(0.0);
  coin.collateral_coin = 1.0;
  const auto liquidated = [](const MarginParams& mp, double hedge, double spot) {
    MarginLanes<1> g;
    g.begin();
    double cash = -50.0;
    g.settle(mp, 0, 1, spot, hedge, cash);
    return g.liquidated[0] == 1.0;
  };
  EXPECT_TRUE(liquidated(coin, 10.0, 95.0));
  EXPECT_FALSE(liquidated(params(100.0), 10.0, 95.0));
  EXPECT_FALSE(liquidated(coin, -10.0, 105.0));
  EXPECT_TRUE(liquidated(params(100.0), -10.0, 105.0));
  // 20 USD beside the coin, after a loss of 60: equity 20 + 95 − 60 = 55 >= 47.5, and the USD needed beside
  // the coin is 47.5 + 60 − 95 = 12.5; the initial margin counts the coin too.
  MarginParams both = params(20.0);
  both.collateral_coin = 1.0;
  MarginLanes<1> g;
  g.begin();
  double hedge = 10.0, cash = -60.0;
  g.settle(both, 0, 1, 95.0, hedge, cash);
  EXPECT_EQ(hedge, 10.0);
  EXPECT_DOUBLE_EQ(g.need[0], 47.5 + 60.0 - 95.0);
  EXPECT_DOUBLE_EQ(g.allowed(both, 0, 95.0, 2.0, 12.0, cash), 55.0 / (0.1 * 95.0)) << "cut to equity / (initial S)";
  EXPECT_DOUBLE_EQ(g.need[0], 0.1 * 12.0 * 95.0 + 60.0 - 95.0) << "what 12 coins would have needed";
}

// ---- cascades: a liquidation moves the venue's price (margin.hpp) ----

MarginParams with_impact(MarginParams mp, double depth, double decay) {
  mp.impact_depth = depth;
  mp.impact_decay = decay;
  return mp;
}

// Long 10 coins at S = 100 with 100 USD of collateral after the perpetual lost 60: equity 40 < 50, half the
// position is sold (5 coins, 500 USD) and moves the venue's log price by ln(1 + 500/1000) = ln 1.5. A step
// later half of that is left: the venue is at 100/√1.5 = 81.65 while the market stays at 100, and the venue's
// equity 100 − 65 + 5·(81.65 − 100) = −56.7 is under maintenance 0.05·5·81.65 = 20.4: the rest is liquidated
// at the venue's price. The market alone (equity 35 ≥ 0.05·5·100 = 25) would not have: a cascade.
TEST(Margin, AForcedSaleLowersTheVenuesPriceAndTheRestCascades) {
  const MarginParams mp = with_impact(params(100.0), 1000.0, 0.5);
  MarginLanes<1> g;
  g.begin();
  double hedge = 10.0, cash = -60.0;
  g.settle(mp, 0, 1, 100.0, hedge, cash);
  EXPECT_EQ(hedge, 5.0);
  EXPECT_DOUBLE_EQ(cash, -65.0) << "the first sale is at the market's price: penalty 0.01 x 5 x 100";
  EXPECT_EQ(g.cascaded[0], 0.0) << "the market's price liquidated it";
  EXPECT_NEAR(g.impact[0], std::log(1.5), 1e-15);
  g.settle(mp, 0, 2, 100.0, hedge, cash);
  const double venue = 100.0 / std::sqrt(1.5);
  const double lost = 0.01 * 2.5 * venue + 2.5 * (100.0 - venue);
  std::printf("venue %.6f, second liquidation's loss %.6f (penalty %.6f)\n", venue, lost, 0.01 * 2.5 * venue);
  EXPECT_EQ(hedge, 2.5);
  EXPECT_NEAR(cash, -65.0 - lost, 1e-12);
  EXPECT_NEAR(g.loss[0], 5.0 + lost, 1e-12);
  EXPECT_EQ(g.cascaded[0], 1.0);
  EXPECT_NEAR(g.cascade_loss[0], lost, 1e-12);
  EXPECT_NEAR(g.impact[0], 0.5 * std::log(1.5) + std::log1p(2.5 * venue / 1000.0), 1e-15);
  // Without the impact the same account keeps its 5 coins at the second step.
  MarginLanes<1> calm;
  calm.begin();
  double h = 10.0, c = -60.0;
  calm.settle(params(100.0), 0, 1, 100.0, h, c);
  calm.settle(params(100.0), 0, 2, 100.0, h, c);
  EXPECT_EQ(h, 5.0);
  EXPECT_EQ(calm.impact[0], 0.0);
  EXPECT_EQ(calm.cascaded[0], 0.0);
}

// A forced buy (a short liquidated) raises the venue's price; the dislocation is capped at a factor 2, and
// the initial margin counts the venue's equity at its price.
TEST(Margin, AForcedBuyRaisesTheVenuesPriceUpToAFactorTwo) {
  const MarginParams mp = with_impact(params(100.0), 1.0, 1.0);  // 1 USD deep: any sale hits the cap
  MarginLanes<1> g;
  g.begin();
  double hedge = -10.0, cash = -60.0;
  g.settle(mp, 0, 1, 100.0, hedge, cash);
  EXPECT_EQ(hedge, -5.0);
  EXPECT_EQ(g.impact[0], -kMaxImpact);
  EXPECT_DOUBLE_EQ(g.venue_price(mp, 0, 100.0), 200.0);
  // Equity at the venue: 100 − 65 − 5·(200 − 100) = −465: nothing more may be opened, a reduction may.
  EXPECT_EQ(g.allowed(mp, 0, 100.0, hedge, -6.0, cash), -5.0);
  EXPECT_EQ(g.allowed(mp, 0, 100.0, hedge, -4.0, cash), -4.0);
  g.settle(mp, 0, 2, 100.0, hedge, cash);
  EXPECT_EQ(hedge, -2.5) << "liquidated again at the venue's 200";
  EXPECT_EQ(g.cascaded[0], 1.0);
  EXPECT_NEAR(g.cascade_loss[0], 0.01 * 2.5 * 200.0 + 2.5 * (200.0 - 100.0), 1e-12)
      << "bought back at twice the market";
  EXPECT_EQ(g.impact[0], -kMaxImpact) << "still capped";
}

// ---- a spot hedge on a lending protocol's loan (MarginParams::loan) ----

/// Aave-like rates: largest loan-to-value 73% (initial 0.27), liquidation at 78% (maintenance 0.22), a close
/// factor of 0.5 and a liquidation bonus of 5%.
MarginParams loan(double collateral, double reserve = 0.0) {
  MarginParams mp{collateral, 0.27, 0.22, 0.5, 0.05, reserve, 0};
  mp.loan = true;
  return mp;
}

// 10 coins bought at 100 on the loan beside 300 USD of collateral: 700 USD borrowed against 1000 of coins
// (70%). At S = 88 the debt is 700/880 = 79.5% of the coins: the liquidator repays half of it, 350, and
// takes coins worth 350·1.05 at the venue's price; the account loses the bonus, 17.5 USD.
TEST(Margin, ALoansLiquidatorRepaysHalfTheUsdDebtAndTakesCoinsAndABonus) {
  MarginLanes<1> g;
  g.begin();
  double hedge = 10.0, cash = -1000.0;
  g.settle(loan(300.0), 0, 1, 100.0, hedge, cash);
  EXPECT_EQ(hedge, 10.0) << "70% is under 78%";
  EXPECT_NEAR(g.need[0], 1000.0 - 0.78 * 1000.0, 1e-12) << "220 USD keep the debt at 78% of the coins";
  g.settle(loan(300.0), 0, 2, 88.0, hedge, cash);
  EXPECT_NEAR(hedge, 10.0 - 350.0 * 1.05 / 88.0, 1e-12);
  EXPECT_NEAR(cash, -650.0, 1e-12);
  EXPECT_NEAR(g.loss[0], 17.5, 1e-12) << "the bonus: 5% of the 350 repaid";
  EXPECT_EQ(g.liquidated[0], 1.0);
  EXPECT_NEAR(g.need[0], 1000.0 - 0.78 * 880.0, 1e-12);
  // Left: 350 of debt against 5.824 coins x 88 = 512.5 (68.3%): no second liquidation.
  g.settle(loan(300.0), 0, 3, 88.0, hedge, cash);
  EXPECT_NEAR(cash, -650.0, 1e-12);
  // A reserve that answers at once repays the debt down to 73%: 1000 − 0.73·880 − 300 = 57.6 USD.
  MarginLanes<1> r;
  r.begin();
  double h = 10.0, c = -1000.0;
  r.settle(loan(300.0, 1000.0), 0, 2, 88.0, h, c);
  EXPECT_EQ(h, 10.0);
  EXPECT_NEAR(r.topups[0], 57.6, 1e-12);
  EXPECT_EQ(r.liquidated[0], 0.0);
}

// A short spot hedge: 10 coins borrowed and sold at 100, their 1000 USD and 300 of collateral pledged (the
// debt 76.9% of it). At S = 102 the debt is 1020/1300 = 78.5%: the liquidator returns half the coins owed
// and takes 5·102·1.05 = 535.5 USD; the account loses the bonus, 25.5.
TEST(Margin, ALoansLiquidatorReturnsHalfTheCoinsOwedAndTakesUsdAndABonus) {
  MarginLanes<1> g;
  g.begin();
  double hedge = -10.0, cash = 1000.0;
  g.settle(loan(300.0), 0, 1, 100.0, hedge, cash);
  EXPECT_EQ(hedge, -10.0);
  EXPECT_NEAR(g.need[0], 1000.0 / 0.78 - 1000.0, 1e-12) << "USD that covers 1000 of coins owed at 78%";
  g.settle(loan(300.0), 0, 2, 102.0, hedge, cash);
  EXPECT_EQ(hedge, -5.0);
  EXPECT_NEAR(cash, 1000.0 - 535.5, 1e-12);
  EXPECT_NEAR(g.loss[0], 25.5, 1e-12);
  EXPECT_NEAR(g.need[0], 1020.0 / 0.78 - 1000.0, 1e-12);
  // An account that owes nothing is never liquidated, however far the price falls.
  MarginLanes<1> free;
  free.begin();
  double h = 5.0, c = 600.0;
  free.settle(loan(0.0), 0, 1, 1.0, h, c);
  EXPECT_EQ(h, 5.0);
  EXPECT_EQ(free.liquidated[0], 0.0);
  EXPECT_EQ(free.need[0], 0.0);
}

// A trade that borrows beyond the largest LTV is cut to it: 300 USD of collateral at S = 100 carry 300/27 =
// 11.11 coins bought (811.1 borrowed against 1111.1) or 300/(100/0.73 − 100) = 8.11 sold (811.1 of coins
// owed against 1111.1 USD). Coins pledged beside the hedge count as collateral.
TEST(Margin, ALoanCutsATradeAtItsLargestLoanToValue) {
  const MarginParams mp = loan(300.0);
  MarginLanes<1> g;
  g.begin();
  EXPECT_NEAR(g.allowed(mp, 0, 100.0, 0.0, 20.0, 0.0), 300.0 / 27.0, 1e-12);
  EXPECT_NEAR(g.need[0], 2000.0 - 0.73 * 2000.0, 1e-12) << "what 20 coins would have needed";
  EXPECT_NEAR(g.allowed(mp, 0, 100.0, 0.0, -20.0, 0.0), -300.0 / (100.0 / 0.73 - 100.0), 1e-12);
  EXPECT_NEAR(g.need[0], 2000.0 / 0.73 - 2000.0, 1e-12);
  EXPECT_EQ(g.allowed(mp, 0, 100.0, 0.0, 5.0, 0.0), 5.0) << "40%";
  EXPECT_EQ(g.allowed(mp, 0, 100.0, 12.0, 15.0, -1200.0), 12.0) << "at 75% already: no more";
  EXPECT_EQ(g.allowed(mp, 0, 100.0, 12.0, 11.0, -1200.0), 11.0) << "a repayment is never cut";
  MarginParams coins = loan(0.0);
  coins.collateral_coin = 5.0;
  EXPECT_EQ(g.allowed(coins, 0, 100.0, 0.0, 10.0, 0.0), 10.0) << "1000 borrowed against 15 coins: 66.7%";
  EXPECT_NEAR(g.allowed(coins, 0, 100.0, 0.0, 20.0, 0.0), 500.0 / 27.0 - 5.0, 1e-12);
  EXPECT_EQ(g.allowed(coins, 0, 100.0, 0.0, -4.0, 0.0), -4.0) << "selling pledged coins repays, borrows nothing";
}

// ---- runs ----

/// Short 10 calls (spot 100) on Bates paths with jumps, hedged on the perpetual (or spot, on a loan) by
/// three policies, with `margin` as hedge.margin (empty: none).
std::string margined_run(const std::string& margin, std::uint64_t paths = 3000, bool spot = false) {
  return "simulation: {paths: " + std::to_string(paths) + ", steps_per_day: 24, seed: 17, precision: float64}\n"
         "model: " + test::kBatesModel + "\n"
         "book: [{type: call, strike: 100, expiry_days: 3, quantity: -10}]\n" +
         (spot ? "hedge: {instrument: spot, implied_vol: 0.6" : "hedge: {instrument: perpetual, implied_vol: 0.6, funding: {rate: 0.1}") +
         (margin.empty() ? "" : ", margin: " + margin) + "}\n"
         "costs: {fee_bps: 5}\n"
         "policies:\n"
         "  - {name: hourly, type: every_step}\n"
         "  - {name: band, type: delta_band, width: 0.5}\n"
         "  - {name: daily, type: time, every_hours: 24}\n";
}

using MarginRun = test::CpuRun;
MarginRun run(const std::string& yaml) { return test::cpu_run(yaml); }

/// The rates of the run-level tests: a perpetual at 10x, and an Aave-like loan under a spot hedge.
const char* rates_of(bool spot) {
  return spot ? "initial: 0.27, maintenance: 0.22, liquidation_penalty: 0.05"
              : "initial: 0.1, maintenance: 0.05, liquidation_penalty: 0.01";
}

TEST(Margin, AmpleCollateralIsTheRunWithoutMargin) {
  for (const bool spot : {false, true}) {
    SCOPED_TRACE(spot ? "spot hedge on a loan" : "perpetual");
    const MarginRun plain = run(margined_run("", 3000, spot));
    const MarginRun ample = run(margined_run(std::string("{collateral_usd: 1e9, ") + rates_of(spot) + "}", 3000, spot));
    ASSERT_EQ(tile_kind(ample.hp), TileKind::margin);
    ASSERT_EQ(ample.hp.margin_params.loan, spot);
    std::size_t differ = 0;
    for (unsigned f = 0; f < kBasePathFields; ++f)
      for (unsigned p = 0; p < plain.hp.n_policies; ++p)
        for (std::uint64_t i = 0; i < plain.n; ++i) {
          const double a = plain.at(static_cast<PathField>(f), p, i), b = ample.at(static_cast<PathField>(f), p, i);
          if (std::memcmp(&a, &b, sizeof a) != 0 && ++differ <= 3)
            ADD_FAILURE() << to_string(static_cast<PathField>(f)) << " policy " << p << " path " << i << ": " << a << " vs " << b;
        }
    EXPECT_EQ(differ, 0u);
    double need = 0.0;
    for (unsigned p = 0; p < ample.hp.n_policies; ++p)
      for (std::uint64_t i = 0; i < ample.n; ++i) {
        EXPECT_EQ(ample.at(PathField::liquidated, p, i), 0.0);
        EXPECT_EQ(ample.at(PathField::liquidation_loss, p, i), 0.0);
        EXPECT_EQ(ample.at(PathField::margin_topups, p, i), 0.0);
        EXPECT_EQ(ample.at(PathField::everlasting_funding, p, i), 0.0);
        need += ample.at(PathField::collateral_needed, p, i);
      }
    EXPECT_GT(need, 0.0) << "the paths needed collateral";
  }
}

// A path's collateral_needed is the least collateral with which it has no liquidation and no cut trade
// (margin.hpp): with collateral C, a path whose need in the ample run is at most C runs as the ample one
// bit for bit and is never liquidated; one whose need exceeds C is liquidated or trades otherwise. And the
// run with C has the ample run's share of paths above every level up to C. The same with coins posted beside
// the USD, the need then being the USD beside them, and for a spot hedge on a loan.
TEST(Margin, CollateralNeededIsTheThresholdOfEveryPath) {
  struct Case {
    bool spot;
    std::string coins;
    double c;
  };
  for (const Case& k : {Case{false, "", 100.0}, Case{false, "collateral_coin: 0.5, ", 50.0}, Case{true, "", 200.0},
                        Case{true, "collateral_coin: 0.5, ", 150.0}}) {
    SCOPED_TRACE(std::string(k.spot ? "loan, " : "perpetual, ") + (k.coins.empty() ? "USD collateral" : "USD and coin collateral"));
    const std::string rates = std::string(rates_of(k.spot)) + ", liquidation_fraction: 1";
    const MarginRun ample = run(margined_run("{collateral_usd: 1e9, " + k.coins + rates + "}", 3000, k.spot));
    const MarginRun tight =
        run(margined_run("{collateral_usd: " + std::to_string(k.c) + ", " + k.coins + rates + "}", 3000, k.spot));
    const double c = k.c;
    std::uint64_t events = 0, liquidations = 0, total = 0;
    for (unsigned p = 0; p < ample.hp.n_policies; ++p) {
      for (std::uint64_t i = 0; i < ample.n; ++i) {
        const double need = ample.at(PathField::collateral_needed, p, i);
        const bool liquidated = tight.at(PathField::liquidated, p, i) != 0.0;
        const double pa = ample.at(PathField::pnl, p, i), pt = tight.at(PathField::pnl, p, i);
        const bool same = std::memcmp(&pa, &pt, sizeof pa) == 0;
        ++total;
        if (need <= c) {
          EXPECT_TRUE(same && !liquidated) << "policy " << p << " path " << i << ": need " << need << " <= " << c;
          EXPECT_EQ(tight.at(PathField::collateral_needed, p, i), need) << "policy " << p << " path " << i;
        } else {
          ++events;
          liquidations += liquidated;
          EXPECT_TRUE(liquidated || !same) << "policy " << p << " path " << i << ": need " << need << " > " << c;
          EXPECT_GT(tight.at(PathField::collateral_needed, p, i), c) << "policy " << p << " path " << i;
        }
      }
    }
    std::printf("paths over collateral %g: %llu of %llu, %llu of them liquidated\n", c,
                static_cast<unsigned long long>(events), static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(liquidations));
    EXPECT_GT(events, total / 20) << "the collateral must bind on some paths for the test to mean anything";
    EXPECT_LT(events, total - total / 20) << "and not on all of them";
    EXPECT_GT(liquidations, 0u);
    for (const double share : {0.0, 0.25, 0.5, 0.75, 1.0}) {
      const double level = share * c;
      for (unsigned p = 0; p < ample.hp.n_policies; ++p) {
        std::uint64_t over_ample = 0, over_tight = 0;
        for (std::uint64_t i = 0; i < ample.n; ++i) {
          over_ample += ample.at(PathField::collateral_needed, p, i) > level;
          over_tight += tight.at(PathField::collateral_needed, p, i) > level;
        }
        EXPECT_EQ(over_tight, over_ample) << "policy " << p << ", level " << level;
      }
    }
  }
}

// With a reserve that arrives at once, a margin call restores the initial margin before the liquidation
// test, so nothing is liquidated while the reserve lasts; the same reserve a day late leaves the jumps of
// the day to liquidate.
TEST(Margin, ATopUpInTimePreventsTheLiquidationsALateOneDoesNot) {
  const std::string base = "{collateral_usd: 60, initial: 0.1, maintenance: 0.05, liquidation_penalty: 0.01, reserve_usd: 1e7";
  const MarginRun now = run(margined_run(base + "}"));
  const MarginRun late = run(margined_run(base + ", top_up_delay_hours: 24}"));
  double liquidated_now = 0, liquidated_late = 0, topped = 0;
  for (unsigned p = 0; p < now.hp.n_policies; ++p)
    for (std::uint64_t i = 0; i < now.n; ++i) {
      liquidated_now += now.at(PathField::liquidated, p, i);
      liquidated_late += late.at(PathField::liquidated, p, i);
      topped += now.at(PathField::margin_topups, p, i) > 0.0;
    }
  std::printf("liquidated paths: top-up at once %g, a day late %g; paths topped up %g\n", liquidated_now,
              liquidated_late, topped);
  EXPECT_EQ(liquidated_now, 0.0);
  EXPECT_GT(topped, 100.0);
  EXPECT_GT(liquidated_late, 10.0);
}

// cost includes the liquidation penalties (a loan's bonuses), and the P&L pays them.
TEST(Margin, LiquidationLossIsACost) {
  for (const bool spot : {false, true}) {
    SCOPED_TRACE(spot ? "spot hedge on a loan" : "perpetual");
    const std::string margin = spot ? "{collateral_usd: 150, initial: 0.27, maintenance: 0.22, liquidation_penalty: 0.08}"
                                    : "{collateral_usd: 60, initial: 0.1, maintenance: 0.05, liquidation_penalty: 0.02}";
    const MarginRun tight = run(margined_run(margin, 500, spot));
    double loss = 0.0;
    for (unsigned p = 0; p < tight.hp.n_policies; ++p)
      for (std::uint64_t i = 0; i < tight.n; ++i) {
        const double parts = tight.at(PathField::fees, p, i) + tight.at(PathField::fixed, p, i) +
                             tight.at(PathField::gas, p, i) + tight.at(PathField::slippage, p, i) +
                             tight.at(PathField::funding, p, i) + tight.at(PathField::liquidation_loss, p, i);
        EXPECT_NEAR(tight.at(PathField::cost, p, i), parts, 1e-9 * (1.0 + std::fabs(parts)));
        loss += tight.at(PathField::liquidation_loss, p, i);
      }
    EXPECT_GT(loss, 0.0);
  }
}

// Cascades on the runs: a path runs as without impact until its first liquidation (bit for bit where it
// has none, the first liquidation at the same step where it has), and only the impact makes cascades; a
// shallower venue cascades more often and at a higher cost. Per policy, the frequency and cost of cascades.
// The same for a spot hedge on a loan, whose liquidators sell the coins they take where its oracle reads.
TEST(Margin, ImpactChangesOnlyThePathsItLiquidatesAndCascadesThem) {
  for (const bool spot : {false, true}) {
    SCOPED_TRACE(spot ? "spot hedge on a loan" : "perpetual");
    const std::string base = std::string(spot ? "{collateral_usd: 150, " : "{collateral_usd: 60, ") + rates_of(spot) +
                             ", liquidation_fraction: 0.5";
    const MarginRun calm = run(margined_run(base + "}", 3000, spot));
    const MarginRun deep = run(margined_run(base + ", impact_depth_usd: 50000, impact_half_life_hours: 6}", 3000, spot));
    const MarginRun shallow = run(margined_run(base + ", impact_depth_usd: 2000, impact_half_life_hours: 6}", 3000, spot));
    double cascades_deep = 0.0, cascades_shallow = 0.0, loss_deep = 0.0, loss_shallow = 0.0;
    std::size_t differ = 0;
    const char* const kNames[] = {"hourly", "band", "daily"};  // margined_run's policies
    for (unsigned p = 0; p < calm.hp.n_policies; ++p) {
      double liquidated = 0.0, cascaded = 0.0, cost = 0.0;
      for (std::uint64_t i = 0; i < calm.n; ++i) {
        EXPECT_EQ(calm.at(PathField::cascaded, p, i), 0.0);
        for (const MarginRun* r : {&deep, &shallow}) {
          const double liq = r->at(PathField::liquidated, p, i), cas = r->at(PathField::cascaded, p, i);
          EXPECT_TRUE(cas == 0.0 || liq == 1.0) << "policy " << p << " path " << i << ": a cascade is a liquidation";
          EXPECT_LE(r->at(PathField::cascade_loss, p, i), r->at(PathField::liquidation_loss, p, i) * (1 + 1e-12));
          EXPECT_EQ(liq, calm.at(PathField::liquidated, p, i)) << "policy " << p << " path " << i;
          if (liq != 0.0) continue;
          for (unsigned f = 0; f < kMarginPathFields; ++f) {
            const double a = calm.at(static_cast<PathField>(f), p, i), b = r->at(static_cast<PathField>(f), p, i);
            if (std::memcmp(&a, &b, sizeof a) != 0 && ++differ <= 3)
              ADD_FAILURE() << to_string(static_cast<PathField>(f)) << " policy " << p << " path " << i;
          }
        }
        liquidated += shallow.at(PathField::liquidated, p, i);
        cascaded += shallow.at(PathField::cascaded, p, i);
        cost += shallow.at(PathField::cascade_loss, p, i);
        cascades_deep += deep.at(PathField::cascaded, p, i);
        loss_deep += deep.at(PathField::cascade_loss, p, i);
      }
      cascades_shallow += cascaded;
      loss_shallow += cost;
      std::printf("%-7s 2000 USD deep: liquidated %.4f, cascaded %.4f, cascade loss %.4f USD a path (%.3f | cascade)\n",
                  kNames[p], liquidated / calm.n, cascaded / calm.n, cost / calm.n,
                  cascaded > 0 ? cost / cascaded : 0.0);
    }
    EXPECT_EQ(differ, 0u);
    std::printf("cascades: 50000 USD deep %g (loss %.3f), 2000 USD deep %g (loss %.3f)\n", cascades_deep, loss_deep,
                cascades_shallow, loss_shallow);
    EXPECT_GT(cascades_shallow, 30.0) << "the shallow venue must cascade for the test to mean anything";
    EXPECT_GT(cascades_shallow, 2.0 * cascades_deep);
    EXPECT_GT(loss_shallow, 2.0 * loss_deep);
  }
}

// A coin-margined account of a long hedge (short calls hedged with a long perpetual) loses its collateral's
// value in the falls that hurt the hedge: coins worth the same at inception liquidate more paths than USD.
// With ample coins the run is the run without margin, bit for bit.
TEST(Margin, CoinCollateralLiquidatesALongHedgeMoreThanUsd) {
  const std::string rates = "initial: 0.1, maintenance: 0.05, liquidation_fraction: 0.5, liquidation_penalty: 0.01";
  const MarginRun usd = run(margined_run("{collateral_usd: 80, " + rates + "}"));
  const MarginRun coin = run(margined_run("{collateral_coin: 0.8, " + rates + "}"));  // 80 USD at S0 = 100
  // The gap of paired shares: d = coin − USD per path-policy in {−1, 0, 1}, its standard error from d's own
  // variance (the two runs share their paths).
  double liquidated_usd = 0.0, liquidated_coin = 0.0, d2 = 0.0;
  for (unsigned p = 0; p < usd.hp.n_policies; ++p)
    for (std::uint64_t i = 0; i < usd.n; ++i) {
      const double a = usd.at(PathField::liquidated, p, i), b = coin.at(PathField::liquidated, p, i);
      liquidated_usd += a;
      liquidated_coin += b;
      d2 += (b - a) * (b - a);
    }
  const double n = 3.0 * static_cast<double>(usd.n);
  const double gap = (liquidated_coin - liquidated_usd) / n;
  const double se = std::sqrt((d2 / n - gap * gap) / (n - 1.0));
  std::printf("liquidated: 80 USD %.4f, 0.8 coins %.4f of %g path-policies; gap %.4f, se %.4f\n", liquidated_usd / n,
              liquidated_coin / n, n, gap, se);
  EXPECT_GT(gap, 4.0 * se);

  const MarginRun plain = run(margined_run(""));
  const MarginRun ample = run(margined_run("{collateral_coin: 1e7, " + rates + "}"));
  std::size_t differ = 0;
  for (unsigned f = 0; f < kBasePathFields; ++f)
    for (unsigned p = 0; p < plain.hp.n_policies; ++p)
      for (std::uint64_t i = 0; i < plain.n; ++i) {
        const double a = plain.at(static_cast<PathField>(f), p, i), b = ample.at(static_cast<PathField>(f), p, i);
        differ += std::memcmp(&a, &b, sizeof a) != 0;
      }
  EXPECT_EQ(differ, 0u);
}

}  // namespace
}  // namespace hedgesim
