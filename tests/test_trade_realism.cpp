// Trade realism (issue 14, docs/hedging.md "Trade sizes and the unwind"): lot sizes and the minimum
// trade, the unwind at the book's last expiry, the AMM pool's refusal of fills beyond its cap,
// Whalley–Wilmott's and Leland's inputs at a decision after an expiry, and Deribit's premium-adjusted
// delta for inverse options — each against a hand computation. Hand replays feed a made-up price path
// through the engine's hedging code (hedge_price_path, as a backtest does) and redo the accounting here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "check.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/hedging/hedge_observer.hpp"
#include "hedgesim/hedging/hedge_price_path.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/pricing/black_scholes.hpp"

namespace hedgesim {
namespace {

constexpr double kS0 = 3000.0;

/// A smooth made-up ETH path over `steps` hours: S_n = S0·exp(0.03·sin(n/5) + 0.002·n).
std::vector<double> made_up_path(std::uint32_t steps) {
  std::vector<double> s(steps + 1);
  for (std::uint32_t n = 0; n <= steps; ++n) s[n] = kS0 * std::exp(0.03 * std::sin(n / 5.0) + 0.002 * n);
  return s;
}

/// The spot the engine sees at step n: S0·e^{ln(S_n/S0)} (the observer's log price).
double engine_spot(const std::vector<double>& s, std::uint32_t n) { return kS0 * std::exp(std::log(s[n] / kS0)); }

/// A config's hedge parameters, hedged along `spot` by hedge_price_path: fields[field][policy].
struct PathResult {
  HedgeParams hp;
  std::vector<double> out;
  double at(PathField f, unsigned policy) const { return out[index_of(f) * hp.n_policies + policy]; }
};
PathResult hedge_path(const std::string& yaml, const std::vector<double>& spot) {
  const RunSpec spec = parse_config(yaml, "<test>");
  validate_for_run(spec);
  PathResult r{make_hedge_params(spec), {}};
  EXPECT_EQ(spot.size(), r.hp.steps + 1u);
  r.out.assign(path_fields(r.hp) * r.hp.n_policies, std::nan(""));
  const std::vector<double> variance(spot.size(), 0.36);
  hedge_price_path(r.hp, spot, variance, {}, {}, 1, 0, r.out.data(), 1, 0);
  return r;
}

/// Short 10 ETH calls struck at 3000, 2 days, hedged hourly on the perpetual at 60% implied vol.
std::string short_calls(const std::string& hedge_extra, const std::string& costs, const std::string& policies,
                        const std::string& simulation_extra = "") {
  return "simulation: {paths: 2, steps_per_day: 24, precision: float64" + simulation_extra + "}\n"
         "model: {type: gbm, spot: 3000, vol: 0.6}\n"
         "book: [{type: call, strike: 3000, expiry_days: 2, quantity: -10}]\n"
         "hedge: {instrument: perpetual, implied_vol: 0.6" + hedge_extra + "}\n"
         "costs: " + costs + "\npolicies: " + policies + "\n";
}

/// every_step's trades replayed by hand: the target 10·Δ rounded to lots, not sent when below min_trade.
struct Replay {
  double trades = 0, fees = 0, turnover = 0;
};
Replay replay_every_step(const std::vector<double>& s, double lot, double min_trade, double fee_rate) {
  Replay r;
  double h = 0.0;
  const std::uint32_t steps = static_cast<std::uint32_t>(s.size() - 1);
  for (std::uint32_t n = 0; n < steps; ++n) {
    const double spot = engine_spot(s, n);
    const double tau = (steps - n) / 24.0 / kDaysPerYear;
    const double target = 10.0 * black_scholes_linear(OptionType::call, spot, 3000.0, tau, 0.0, 0.0, 0.6).delta;
    const double next = lot > 0.0 ? lot * std::nearbyint(target / lot) : target;
    if (next == h || std::fabs(next - h) < min_trade) continue;
    EXPECT_GE(std::fabs(next - h), min_trade);
    r.trades += 1;
    r.fees += fee_rate * std::fabs(next - h) * spot;
    r.turnover += std::fabs(next - h) * spot;
    h = next;
  }
  return r;
}

TEST(TradeSizes, LotRoundingIsExactAndSmallTradesAreNotSent) {
  HedgeParams hp{};
  hp.lot_size = 0.1;
  for (double next = -3.0; next <= 3.0; next += 0.0137) {
    const double sized = sized_position(hp, 0.0, next);
    ASSERT_EQ(sized, 0.1 * std::nearbyint(sized / 0.1)) << next;  // a whole number of lots, exactly
    ASSERT_LE(std::fabs(sized - next), 0.05 + 1e-15) << next;      // the nearest one
  }
  hp.lot_size = 0.0;
  hp.min_trade = 0.5;
  EXPECT_EQ(sized_position(hp, 1.0, 1.49), 1.0);  // a trade of 0.49 < 0.5 is not sent
  EXPECT_EQ(sized_position(hp, 1.0, 0.5), 0.5);   // 0.5 is
  EXPECT_EQ(sized_position(hp, 1.0, 1.0), 1.0);
  hp.lot_size = 0.25;  // 2 lots = 0.5 exactly: sent
  EXPECT_EQ(sized_position(hp, 1.0, 1.6), 1.5);
  EXPECT_EQ(sized_position(hp, 1.0, 1.55), 1.5);
  EXPECT_EQ(sized_position(hp, 1.0, 1.3), 1.0);  // rounds to 1.25: one lot, below the minimum
}

// every_step on a made-up path: the engine's trade count, fees, fixed costs and turnover against a hand
// replay of the target rounded to lots and the trades below the minimum left out. Without sizes every
// step whose delta moves trades (46 of 48: the last two deltas are exactly 1); the fixed cost is paid
// per executed trade only.
TEST(TradeSizes, EveryStepTradesOnlyWholeLotsAndAtLeastTheMinimum) {
  const std::vector<double> s = made_up_path(48);
  const Replay unsized = replay_every_step(s, 0.0, 0.0, 5e-4);
  EXPECT_EQ(unsized.trades, 46.0);
  struct Case {
    double lot, min_trade;
  };
  for (const Case c : {Case{0.0, 0.0}, Case{0.1, 0.0}, Case{0.0, 0.5}, Case{0.25, 1.0}}) {
    const std::string sizes = ", lot_size: " + std::to_string(c.lot) + ", min_trade: " + std::to_string(c.min_trade);
    const PathResult r = hedge_path(
        short_calls(sizes, "{fee_bps: 5, fixed_per_trade: 1}", "[{name: every, type: every_step}]"), s);
    const Replay e = replay_every_step(s, c.lot, c.min_trade, 5e-4);
    const std::string what = "lot " + std::to_string(c.lot) + ", min_trade " + std::to_string(c.min_trade);
    EXPECT_TRUE(test::near(what + ": trades", r.at(PathField::trades, 0), e.trades, 0.0));
    EXPECT_TRUE(test::near(what + ": fixed", r.at(PathField::fixed, 0), e.trades * 1.0, 0.0));
    EXPECT_TRUE(test::near(what + ": fees", r.at(PathField::fees, 0), e.fees, 1e-9 * e.fees));
    EXPECT_TRUE(test::near(what + ": turnover", r.at(PathField::turnover, 0), e.turnover, 1e-9 * e.turnover));
    if (c.min_trade > 0.0) EXPECT_LT(e.trades, unsized.trades) << what << ": the minimum must leave trades out";
  }
}

// A minimum no trade reaches: the policy never trades, pays nothing, and its P&L is the unhedged one,
// on every path of a simulated run.
TEST(TradeSizes, AMinimumAboveEveryTradeMeansNoHedge) {
  RunSpec spec = parse_config(
      short_calls(", min_trade: 1000", "{fee_bps: 5, fixed_per_trade: 1, gas: {units: 150000, price_gwei: 20}}",
                  "[{name: none, type: none}, {name: every, type: every_step}]"),
      "<test>");
  spec.simulation.paths = 500;
  spec.output.per_path = true;
  const RunReport r = run_hedging_job(spec, resolve_backend(BackendKind::cpu, 1));
  const auto& none = r.policies[0].per_path;
  const auto& every = r.policies[1].per_path;
  for (std::size_t i = 0; i < 500; ++i) {
    ASSERT_EQ(every[index_of(PathField::trades)][i], 0.0) << "path " << i;
    ASSERT_EQ(every[index_of(PathField::cost)][i], 0.0) << "path " << i;
    ASSERT_EQ(every[index_of(PathField::pnl)][i], none[index_of(PathField::pnl)][i]) << "path " << i;
  }
}

// The unwind: a policy that trades once at t = 0 (h0 = 10·Δ) closes h0 at the last expiry, paying the
// fee, the fixed cost and the slippage of that trade at that step's spot, and holds nothing after it.
// With the horizon a day past the expiry, the closed position also stops paying funding and settling.
TEST(Unwind, ClosesTheLastPositionAtItsCostAndHoldsNothingAfter) {
  const double fee = 5e-4, fixed = 1.0, coef = 0.1, depth = 1e6, funding = 0.1;
  const std::string costs = "{fee_bps: 5, fixed_per_trade: 1, slippage: {model: sqrt, coefficient: 0.1, depth_usd: 1e6}}";
  const std::string once = "[{name: once, type: time, every_hours: 72}]";
  for (const bool beyond : {false, true}) {
    for (const std::string instrument : {"perpetual", "spot"}) {
      const std::uint32_t steps = beyond ? 72 : 48, expiry = 48;
      const std::vector<double> s = made_up_path(steps);
      const std::string horizon = beyond ? ", horizon_days: 3" : "";
      const std::string fund = instrument == "perpetual" ? ", funding: {rate: 0.1}" : "";
      const auto config = [&](bool unwind) {
        return "simulation: {paths: 2, steps_per_day: 24, precision: float64" + horizon + "}\n" +
               "model: {type: gbm, spot: 3000, vol: 0.6}\n"
               "book: [{type: call, strike: 3000, expiry_days: 2, quantity: -10}]\n"
               "hedge: {instrument: " + instrument + ", implied_vol: 0.6" + fund +
               ", unwind_at_expiry: " + (unwind ? "true" : "false") + "}\ncosts: " + costs + "\npolicies: " + once + "\n";
      };
      const PathResult plain = hedge_path(config(false), s), closed = hedge_path(config(true), s);
      const double h0 = 10.0 * black_scholes_linear(OptionType::call, kS0, 3000.0, 2.0 / kDaysPerYear, 0.0, 0.0, 0.6).delta;
      const double s_close = engine_spot(s, expiry);
      const double notional = h0 * s_close;
      const double slip = coef * notional * std::sqrt(notional / depth);
      // Funding and settlement the closed position no longer has: steps expiry+1 … steps.
      double funding_after = 0.0, settled_after = 0.0;
      const bool perp = instrument == "perpetual";
      for (std::uint32_t n = expiry + 1; n <= steps && perp; ++n) {
        funding_after += h0 * engine_spot(s, n - 1) * funding * (1.0 / 24.0 / kDaysPerYear);
        settled_after += h0 * (engine_spot(s, n) - engine_spot(s, n - 1));
      }
      if (!perp) settled_after = h0 * (engine_spot(s, steps) - s_close);  // spot: the coins' move after the sale
      const std::string what = instrument + (beyond ? ", horizon past the expiry" : ", horizon at the expiry");
      const auto diff = [&](PathField f) { return closed.at(f, 0) - plain.at(f, 0); };
      EXPECT_TRUE(test::near(what + ": extra trades", diff(PathField::trades), 1.0, 0.0));
      EXPECT_TRUE(test::near(what + ": extra fees", diff(PathField::fees), fee * notional, 1e-9 * fee * notional));
      EXPECT_TRUE(test::near(what + ": extra fixed", diff(PathField::fixed), fixed, 0.0));
      EXPECT_TRUE(test::near(what + ": extra slippage", diff(PathField::slippage), slip, 1e-9 * slip));
      EXPECT_TRUE(test::near(what + ": funding saved", -diff(PathField::funding), funding_after, 1e-9 * (1.0 + funding_after)));
      const double expected_pnl = -(fee * notional + fixed + slip) + funding_after - settled_after;
      EXPECT_TRUE(test::near(what + ": P&L change", diff(PathField::pnl), expected_pnl, 1e-8 * (1.0 + std::fabs(settled_after) + notional)));
    }
  }
}

// The unwind with hedge options and with a horizon before the book's last expiry. The unwind is the
// decision where the book's last option leaves the run: its expiry, or the horizon that closes it at its
// mark. There nothing moves between the unwind and the P&L, so the unwind changes the P&L by exactly
// its costs: the perpetual's close (a fee on h·S, one trade) and the hedge options sold back at their
// marks, paying costs.options (option_costs). Delta-gamma hedging every step with a 7-day call, on 200
// simulated paths, at the expiry (2 days) and at a horizon of 1 day; and the time policy that trades once
// at t = 0, whose close at the 1-day horizon is h0·S_24 by hand on the made-up path.
TEST(Unwind, ClosesHedgeOptionsAndHappensAtAHorizonBeforeTheLastExpiry) {
  for (const std::string horizon : {"", ", horizon_days: 1"}) {
    const auto run = [&](bool unwind) {
      RunSpec spec = parse_config(
          short_calls(std::string(", options: [{type: call, strike: 3000, expiry_days: 7}], unwind_at_expiry: ") +
                          (unwind ? "true" : "false"),
                      "{fee_bps: 5, options: {fee_fraction: 0.0003, fee_cap: 0.125, half_spread_vol: 0.5}}",
                      "[{name: dg, type: delta_gamma}]", horizon),
          "<test>");
      spec.simulation.paths = 200;
      spec.output.per_path = true;
      return run_hedging_job(spec, resolve_backend(BackendKind::cpu, 1));
    };
    const RunReport plain = run(false), closed = run(true);
    const auto& a = plain.policies[0].per_path;
    const auto& b = closed.policies[0].per_path;
    double largest_option_cost = 0.0, worst = 0.0;
    int paid = 0;
    for (std::size_t i = 0; i < 200; ++i) {
      const auto diff = [&](PathField f) { return b[index_of(f)][i] - a[index_of(f)][i]; };
      ASSERT_EQ(diff(PathField::trades), 1.0) << "path " << i << ": the close of the perpetual";
      // The options sold back cost something, unless the position is too small to show in the sum (the
      // book's option far from the money at its last hour: delta-gamma holds almost none).
      ASSERT_GE(diff(PathField::option_costs), 0.0) << "path " << i << ": the options sold back";
      paid += diff(PathField::option_costs) > 0.0 ? 1 : 0;
      ASSERT_NEAR(diff(PathField::cost), diff(PathField::fees) + diff(PathField::option_costs),
                  1e-12 * (1.0 + b[index_of(PathField::cost)][i])) << "path " << i;
      largest_option_cost = std::max(largest_option_cost, diff(PathField::option_costs));
      worst = std::max(worst, std::fabs(diff(PathField::pnl) + diff(PathField::cost)) /
                                  (1.0 + std::fabs(a[index_of(PathField::pnl)][i])));
    }
    const std::string what = horizon.empty() ? "unwind at the expiry" : "unwind at a horizon before the expiry";
    std::printf("%s: largest option cost of the unwind %.6g USD; %d of 200 paths paid one\n", what.c_str(),
                largest_option_cost, paid);
    EXPECT_GE(paid, 100) << what << ": most paths hold options at the unwind";
    EXPECT_TRUE(test::near(what + ": |P&L change + cost change| / (1 + |P&L|), worst path", worst, 0.0, 1e-11));
  }
  // The time policy's single position, closed at the 1-day horizon (step 24) of a 2-day book.
  const std::vector<double> s = made_up_path(24);
  const auto config = [&](bool unwind) {
    return short_calls(std::string(", unwind_at_expiry: ") + (unwind ? "true" : "false"), "{fee_bps: 5, fixed_per_trade: 1}",
                       "[{name: once, type: time, every_hours: 72}]", ", horizon_days: 1");
  };
  const PathResult plain = hedge_path(config(false), s), closed = hedge_path(config(true), s);
  const double h0 = 10.0 * black_scholes_linear(OptionType::call, kS0, 3000.0, 2.0 / kDaysPerYear, 0.0, 0.0, 0.6).delta;
  const double fee = 5e-4 * h0 * engine_spot(s, 24);
  EXPECT_TRUE(test::near("horizon before the expiry: extra fees", closed.at(PathField::fees, 0) - plain.at(PathField::fees, 0),
                         fee, 1e-9 * fee));
  EXPECT_TRUE(test::near("horizon before the expiry: extra trades",
                         closed.at(PathField::trades, 0) - plain.at(PathField::trades, 0), 1.0, 0.0));
  EXPECT_TRUE(test::near("horizon before the expiry: P&L change", closed.at(PathField::pnl, 0) - plain.at(PathField::pnl, 0),
                         -(fee + 1.0), 1e-9 * (1.0 + std::fabs(plain.at(PathField::pnl, 0)))));
}

// The AMM pool refuses a fill of max_fill_fraction f of its coin reserve x or more (either way), so a
// fill's slippage stays below N·f/(1 − f); under the cap the constant-product formula is unchanged.
TEST(AmmSlippage, NoFillCostsMoreThanTheCap) {
  for (const double f : {0.5, 0.2}) {
    const RunSpec spec = parse_config(short_calls("", "{fee_bps: 5, slippage: {model: amm, depth_usd: 40000, max_fill_fraction: " +
                                                          std::to_string(f) + "}}",
                                                  "[{name: every, type: every_step}]"),
                                      "<test>");
    const HedgeParams hp = make_hedge_params(spec);
    const double spot = 3000.0, reserve = 40000.0 / spot;
    double worst = 0.0;
    for (double q = -2.0 * reserve; q <= 2.0 * reserve; q += reserve / 997.0) {
      const double cost = slippage_cost(hp, q, spot), notional = std::fabs(q) * spot;
      if (std::fabs(q) >= f * reserve) {
        ASSERT_EQ(cost, -1.0) << "q = " << q << ": at or beyond the cap, refused";
        continue;
      }
      ASSERT_EQ(cost, notional * std::fabs(q) / (reserve - q)) << "q = " << q;
      worst = std::max(worst, cost / notional);
    }
    EXPECT_TRUE(test::near("largest slippage / notional, f = " + std::to_string(f), worst, f / (1 - f) / 2, f / (1 - f) / 2))
        << "it must stay within [0, f/(1-f)]";
  }
  // The case: a 40k USD pool and a hedge of about 10 ETH (0.75 of the pool's 13.3 ETH), which the
  // uncapped curve filled at three times its notional. Refused now: every fill of every path is under the cap.
  RunSpec spec = parse_config(short_calls("", "{fee_bps: 5, slippage: {model: amm, depth_usd: 40000}}",
                                          "[{name: every, type: every_step}, {name: band, type: delta_band, width: 2}]"),
                              "<test>");
  spec.book[0].quantity = -20;
  spec.simulation.paths = 400;
  spec.output.per_path = true;
  const RunReport r = run_hedging_job(spec, resolve_backend(BackendKind::cpu, 1));
  for (const PolicyResult& p : r.policies) {
    double failures = 0.0, worst = 0.0;
    for (std::size_t i = 0; i < 400; ++i) {
      const double slip = p.per_path[index_of(PathField::slippage)][i], turnover = p.per_path[index_of(PathField::turnover)][i];
      ASSERT_LE(slip, turnover * (0.5 / (1 - 0.5))) << p.spec.name << ", path " << i;
      worst = std::max(worst, turnover > 0 ? slip / turnover : 0.0);
      failures += p.per_path[index_of(PathField::failures)][i];
    }
    std::printf("  %s: slippage at most %.4f of the turnover per path (cap 1), %.0f refused fills\n", p.spec.name.c_str(),
                worst, failures);
    EXPECT_GT(failures, 0.0) << p.spec.name << ": the initial hedge is beyond the cap and must be refused";
  }
}

/// A market at decision step n on one lane: spot S, the implied vol, no coin.
struct OneLane {
  double log_s0k[kMaxBookOptions];
  MarketTile<double, 1> mk;
  OneLane(const HedgeParams& hp, std::uint32_t n, double spot) : mk(hp, 1, 0, log_s0k) {
    log_spot0_strike(hp, log_s0k);
    const double v = 0.36;
    mk.begin(&v);
    mk.spot[0] = spot;
    mk.log_spot[0] = std::log(spot / hp.spot0);
    mk.decision_vol();
    mk.decision_greeks(n);
    mk.times = decision_times(hp, n);
  }
};

// Whalley–Wilmott on a book of two expiries (1 and 3 days, r = 5%): the band's gamma is the live
// options' (the 1-day one has expired at step 30) and T in e^{−r(T−t)} is the book's last live expiry,
// the horizon of the hedger's utility — by hand at steps 10 and 30.
TEST(PerStepInputs, WhalleyWilmottBandAgainstAHandComputation) {
  const RunSpec spec = parse_config(
      "simulation: {paths: 2, steps_per_day: 24, precision: float64}\n"
      "model: {type: gbm, spot: 3000, rate: 0.05, vol: 0.6}\n"
      "book: [{type: call, strike: 3000, expiry_days: 1, quantity: -10}, {type: call, strike: 3100, expiry_days: 3, quantity: -10}]\n"
      "hedge: {instrument: perpetual, implied_vol: 0.6}\ncosts: {fee_bps: 10}\n"
      "policies: [{name: ww, type: whalley_wilmott, risk_aversion: 0.01}]\n",
      "<test>");
  const HedgeParams hp = make_hedge_params(spec);
  const double a = 0.01, c = 1e-3, r = 0.05, spot = 3080.0;
  for (const std::uint32_t n : {10u, 30u}) {
    const OneLane x(hp, n, spot);
    const double tau1 = (24.0 - n) / 24.0 / kDaysPerYear, tau3 = (72.0 - n) / 24.0 / kDaysPerYear;
    double gamma = -10.0 * black_scholes_linear(OptionType::call, spot, 3100.0, tau3, r, 0.0, 0.6).gamma;
    if (n < 24) gamma += -10.0 * black_scholes_linear(OptionType::call, spot, 3000.0, tau1, r, 0.0, 0.6).gamma;
    const double w = std::cbrt(3.0 * c * gamma * gamma * spot * std::exp(-r * tau3) / (2.0 * a));
    const std::string what = "step " + std::to_string(n);
    EXPECT_TRUE(test::near(what + ": book gamma", x.mk.gamma[0], gamma, 1e-12 * std::fabs(gamma)));
    EXPECT_TRUE(test::near(what + ": years to the last live expiry", x.mk.times.tau_last, tau3, 1e-15));
    const DecisionContext ctx{n, spot, x.mk.target[0], x.mk.gamma[0], x.mk.times.tau_last, x.mk.times.discount_last, &hp, 0.36, 0.0};
    EXPECT_TRUE(test::near(what + ": half-band", std::cbrt(whalley_wilmott_width_cubed(a, ctx)), w, 1e-12 * w));
    const PolicyParams& pp = hp.policies[0];
    const double t = ctx.target;
    EXPECT_EQ(WhalleyWilmottRule::decide(pp, ctx, PolicyState{t + 0.99 * w, 0, 0, 0}), t + 0.99 * w) << what << ": inside";
    EXPECT_TRUE(test::near(what + ": to the edge", WhalleyWilmottRule::decide(pp, ctx, PolicyState{t + 1.01 * w, 0, 0, 0}),
                           t + w, 1e-12 * (std::fabs(t) + w)));
  }
}

// Leland on a calendar spread (long 10 one-day calls, short 10 three-day calls): long gamma at inception,
// short after the first expiry. The adjustment's sign follows the book's gamma at each decision:
// σ̃² = σ² − √(2/π)·k·σ/√Δt at step 0, + at step 30, against a hand computation of the target.
TEST(PerStepInputs, LelandSignFollowsTheBookGammaAtEachDecision) {
  const RunSpec spec = parse_config(
      "simulation: {paths: 2, steps_per_day: 24, precision: float64}\n"
      "model: {type: gbm, spot: 3000, vol: 0.6}\n"
      "book: [{type: call, strike: 3000, expiry_days: 1, quantity: 10}, {type: call, strike: 3000, expiry_days: 3, quantity: -10}]\n"
      "hedge: {instrument: perpetual, implied_vol: 0.6}\ncosts: {fee_bps: 50}\n"
      "policies: [{name: leland, type: time, every_hours: 2, leland: true}]\n",
      "<test>");
  const HedgeParams hp = make_hedge_params(spec);
  EXPECT_EQ(hp.leland_sign, -1.0) << "long gamma at inception";
  EXPECT_TRUE(hp.leland_sign_turns) << "a book of long and short options";
  // A book of one side keeps the inception's sign, which its gamma's is at every decision.
  RunSpec one_side = spec;
  one_side.book[0].quantity = -10;
  EXPECT_FALSE(make_hedge_params(one_side).leland_sign_turns);
  const double k = 2 * 50e-4, sigma = 0.6, dt = 2.0 / 24.0 / kDaysPerYear, spot = 3050.0;
  for (const std::uint32_t n : {0u, 30u}) {
    const OneLane x(hp, n, n == 0 ? kS0 : spot);
    const double s = x.mk.spot[0];
    const double sign = n == 0 ? -1.0 : 1.0;
    EXPECT_EQ(x.mk.gamma[0] < 0.0, sign > 0.0) << "step " << n << ": book gamma " << x.mk.gamma[0];
    const double vol = std::sqrt(sigma * sigma + sign * std::sqrt(2.0 / M_PI) * k * sigma / std::sqrt(dt));
    double delta = -10.0 * black_scholes_linear(OptionType::call, s, 3000.0, (72.0 - n) / 24.0 / kDaysPerYear, 0.0, 0.0, vol).delta;
    if (n < 24) delta += 10.0 * black_scholes_linear(OptionType::call, s, 3000.0, (24.0 - n) / 24.0 / kDaysPerYear, 0.0, 0.0, vol).delta;
    double alt_sigma[1], alt_gamma[1], target[1];
    x.mk.leland_target(n, hp.policies[0], alt_sigma, alt_gamma, target);
    const std::string what = "step " + std::to_string(n);
    EXPECT_TRUE(test::near(what + ": Leland vol", alt_sigma[0], vol, 1e-14));
    EXPECT_TRUE(test::near(what + ": Leland target", target[0], -delta, 1e-12));
  }
}

// Deribit's premium-adjusted delta of inverse options, Δ − V/S per unit (black_scholes.hpp's inverse
// delta), against the engine's target with hedge.inverse_delta: premium_adjusted, at t = 0 and two days
// later at another spot. At t = 0 it equals the default target −(book delta + coin held), the coin being
// the premiums' −q·V0/S0; later the two differ (the coin stays while V/S moves).
TEST(InverseDelta, PremiumAdjustedIsDeribitsDeltaAtInceptionAndLater) {
  const auto config = [](const std::string& mode) {
    return "simulation: {paths: 2, steps_per_day: 24, precision: float64}\n"
           "model: {type: gbm, spot: 3000, rate: 0.02, vol: 0.6}\n"
           "book: [{type: call, strike: 3300, expiry_days: 7, quantity: -5, settlement: inverse},\n"
           "       {type: put, strike: 2700, expiry_days: 7, quantity: 3, settlement: inverse}]\n"
           "hedge: {instrument: perpetual, implied_vol: 0.6, inverse_delta: " + mode + "}\n"
           "policies: [{name: every, type: every_step}]\n";
  };
  const HedgeParams pa = make_hedge_params(parse_config(config("premium_adjusted"), "<test>"));
  const HedgeParams held = make_hedge_params(parse_config(config("coin_held"), "<test>"));
  struct Point {
    std::uint32_t n;
    double spot;
  };
  for (const Point p : {Point{0, kS0}, Point{48, 3150.0}}) {
    const double tau = (168.0 - p.n) / 24.0 / kDaysPerYear;
    const double deribit = -5.0 * black_scholes(OptionType::call, Settlement::inverse, p.spot, 3300.0, tau, 0.02, 0.0, 0.6).delta +
                           3.0 * black_scholes(OptionType::put, Settlement::inverse, p.spot, 2700.0, tau, 0.02, 0.0, 0.6).delta;
    const OneLane a(pa, p.n, p.spot), b(held, p.n, p.spot);
    const std::string what = "step " + std::to_string(p.n) + ", S = " + std::to_string(p.spot);
    EXPECT_TRUE(test::near(what + ": premium-adjusted target", a.mk.target[0], -deribit, 1e-12));
    if (p.n == 0) {
      EXPECT_TRUE(test::near(what + ": coin-held target at inception", b.mk.target[0], -deribit, 1e-12));
    } else {
      std::printf("  %s: premium-adjusted target %.6f, coin-held target %.6f\n", what.c_str(), a.mk.target[0], b.mk.target[0]);
      EXPECT_GT(std::fabs(a.mk.target[0] - b.mk.target[0]), 1e-3) << what << ": the conventions must part after t = 0";
    }
  }
}

}  // namespace
}  // namespace hedgesim
