// Customer order flow on an options AMM's book (issue 14; hedging/order_flow.hpp, docs/hedging.md "Order
// flow: an options AMM"): one path replayed from the documented rules alone, the customers' side following
// momentum, fair quotes that earn nothing on average and half-spreads that earn what spread_income says,
// a hedge that takes the inventory's delta, and the config's refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "hedge_cases.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/engine/job.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/hedge_observer.hpp"
#include "hedgesim/hedging/sample_trades.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/pricing/black_scholes.hpp"
#include "hedgesim/rng/philox.hpp"

namespace hedgesim {
namespace {

/// A pool that sold one 7-day call at 100 (GBM at 60%, the implied vol, r = 0), with a board of calls and
/// puts at 90, 100 and 110 expiring in 7 and 14 days, `flow` added to its order_flow keys.
std::string pool_config(const std::string& flow, std::uint64_t paths, const std::string& policies,
                        const std::string& measure = "risk_neutral") {
  return "simulation: {paths: " + std::to_string(paths) + ", steps_per_day: 24, seed: 11, precision: float64, "
         "measure: " + measure + "}\n"
         "model: {type: gbm, spot: 100, rate: 0, vol: 0.6, drift: 0.3}\n"
         "book: [{type: call, strike: 100, expiry_days: 7, quantity: -1}]\n"
         "hedge: {instrument: perpetual, implied_vol: 0.6}\n"
         "order_flow: {strikes: [90, 100, 110], expiries_days: [7, 14], trades_per_day: 12, size_mean: 0.5" +
         flow + "}\n"
         "policies: " + policies + "\n";
}
constexpr const char* kTwoPolicies = "[{name: none, type: none}, {name: hourly, type: every_step}]";

using PoolRun = test::CpuRun;
PoolRun run(const std::string& yaml) { return test::cpu_run(yaml); }

/// Mean and standard error of g(path) over the run's paths.
template <class G>
std::pair<double, double> mean_se(const PoolRun& r, G&& g) {
  double s = 0.0, s2 = 0.0;
  for (std::uint64_t i = 0; i < r.n; ++i) {
    const double x = g(i);
    s += x;
    s2 += x * x;
  }
  const double m = s / static_cast<double>(r.n);
  const double var = (s2 - s * m) / static_cast<double>(r.n - 1);
  return {m, std::sqrt(var / static_cast<double>(r.n))};
}

// ---- one path, replayed from the rules of order_flow.hpp ----

TEST(OrderFlow, OnePathReplaysFromTheDocumentedRules) {
  const test::HedgeCase c(pool_config(", momentum: 3, lookback_hours: 6, moneyness_width: 0.08, half_spread_vol: 2, "
                                      "skew_vol: 3, vega_limit_usd: 0.05, call_share: 0.6, buy_share: 0.55",
                                      2, "[{name: none, type: none}]"));
  ASSERT_EQ(tile_kind(c.hp), TileKind::pool);
  const std::uint64_t seed = c.spec.simulation.seed, path = 1;
  const std::uint32_t steps = c.hp.steps;  // 7 days of hours
  ASSERT_EQ(steps, 168u);
  const double dt = 1.0 / (24.0 * kDaysPerYear), sigma = 0.6;
  const auto spot = [](std::uint32_t n) { return 100.0 * std::exp(0.03 * std::sin(0.09 * n) + 0.0004 * n); };
  std::vector<double> out(kPathFields, 0.0);
  HedgeObserver<double, TileKind::pool> obs(c.hp, out.data(), 1, 0, seed, path);
  obs.begin(PathState<double>{0.0, 0.36});
  for (std::uint32_t n = 1; n <= steps; ++n) obs.after_step(n, PathState<double>{std::log(spot(n) / 100.0), 0.36});

  // The replay: the board, calls then puts, by expiry and strike.
  struct Series {
    bool call;
    double strike;
    std::uint32_t expiry;
    double q = 0.0;
  };
  std::vector<Series> board;
  for (const bool call : {true, false})
    for (const std::uint32_t e : {168u, 336u})
      for (const double k : {90.0, 100.0, 110.0}) board.push_back({call, k, e});
  const auto bs = [&](const Series& s, double S, std::uint32_t n, double vol) {
    return black_scholes_linear(s.call ? OptionType::call : OptionType::put, S, s.strike, (s.expiry - n) * dt, 0.0,
                                0.0, vol);
  };
  const double lambda_dt = 12.0 / 24.0, a = 1.0 - std::exp(-1.0 / 6.0);
  double cash = black_scholes_linear(OptionType::call, 100.0, 100.0, 7.0 / kDaysPerYear, 0.0, 0.0, sigma).price;
  double anchor = 0.0, spread = 0.0, trades = 0.0;
  for (std::uint32_t n = 1; n < steps; ++n) {
    const double S = spot(n), x = std::log(S / 100.0);
    anchor += a * (x - anchor);
    StepRng<double> rng(seed, path, n, 0x60000000u);
    const double u0 = rng.uniform_of4(0);
    // Poisson(λΔ) by inversion.
    unsigned count = 0;
    double p = std::exp(-lambda_dt), cdf = p;
    while (u0 > cdf) {
      ++count;
      p *= lambda_dt / count;
      cdf += p;
    }
    double vega = 0.0;
    for (const Series& s : board)
      if (s.expiry > n) vega += s.q * bs(s, S, n, sigma).vega;
    const double p_buy = std::clamp(0.55 + 3.0 * (x - anchor), 0.0, 1.0);
    for (unsigned k = 0; k < count; ++k) {
      double u[4];
      rng.uniforms4(u);
      const bool call = u[0] < 0.6;
      double total = 0.0;
      std::vector<double> w(board.size(), 0.0);
      for (std::size_t i = 0; i < board.size(); ++i) {
        if (board[i].call != call || board[i].expiry <= n) continue;
        const double m = std::log(board[i].strike / S) / 0.08;
        total += w[i] = std::exp(-0.5 * m * m);
      }
      std::size_t pick = 0;
      for (double acc = 0.0; pick < board.size(); ++pick) {
        acc += w[pick];
        if (w[pick] > 0.0 && u[1] * total < acc) break;
      }
      ASSERT_LT(pick, board.size());
      Series& s = board[pick];
      const double side = u[2] < p_buy ? 1.0 : -1.0, size = -0.5 * std::log(u[3]);
      const double shade = -0.03 * std::clamp(vega / 5.0, -1.0, 1.0);  // 0.05 USD per vol point = 5 per unit σ
      const double quote = bs(s, S, n, std::max(sigma + side * 0.02 + shade, 1e-3)).price;
      const Greeks<double> mark = bs(s, S, n, sigma);
      cash += side * size * quote;
      spread += side * size * (quote - mark.price);
      s.q -= side * size;
      vega -= side * size * mark.vega;
      trades += 1.0;
    }
  }
  const double s_end = spot(steps);
  cash -= std::max(s_end - 100.0, 0.0);  // the book's call
  for (const Series& s : board) cash += s.q * bs(s, s_end, steps, sigma).price;  // expiring: the payoff
  std::printf("one path, policy none: P&L %.12g (replayed %.12g), spread income %.12g (%.12g), %g customers\n",
              out[index_of(PathField::pnl)], cash, out[index_of(PathField::spread_income)], spread, trades);
  EXPECT_GT(trades, 20.0) << "about 84 expected";
  EXPECT_EQ(out[index_of(PathField::customer_trades)], trades);
  EXPECT_NEAR(out[index_of(PathField::spread_income)], spread, 1e-10 * std::fabs(spread));
  EXPECT_NEAR(out[index_of(PathField::pnl)], cash, 1e-10 * (std::fabs(cash) + 1.0));
  for (std::size_t i = 0; i < board.size(); ++i)
    EXPECT_NEAR(obs.tile.pool.qty[i][0], board[i].q, 1e-12) << "series " << i;
}

// Momentum: after a rally customers buy (the pool sells), after a fall they sell; at ±1000 per unit of log
// return every customer of a 1%-a-step trend takes the trend's side.
TEST(OrderFlow, MomentumPutsTheCustomersOnTheTrendsSide) {
  for (const double momentum : {1000.0, -1000.0}) {
    std::string yaml = pool_config(", momentum: " + std::to_string(momentum), 2, "[{name: none, type: none}]");
    yaml.replace(yaml.find("trades_per_day: 12"), 18, "trades_per_day: 120");
    const test::HedgeCase c(yaml);
    std::vector<double> out(kPathFields, 0.0);
    HedgeObserver<double, TileKind::pool> obs(c.hp, out.data(), 1, 0, 3, 0);
    obs.begin(PathState<double>{0.0, 0.36});
    for (std::uint32_t n = 1; n <= 48; ++n) obs.after_step(n, PathState<double>{0.01 * n, 0.36});
    double sold = 0.0, bought = 0.0;
    for (unsigned s = 0; s < c.hp.flow.n_series; ++s) {
      const double q = obs.tile.pool.qty[s][0];
      (q < 0.0 ? sold : bought) += std::fabs(q);
    }
    std::printf("momentum %g on a rally: the pool sold %.4g and bought %.4g contracts\n", momentum, sold, bought);
    EXPECT_GT(momentum > 0 ? sold : bought, 10.0);
    EXPECT_EQ(momentum > 0 ? bought : sold, 0.0);
  }
}

// Elastic customers (order_flow.elasticity): one who would pay more than the mark walks away with probability
// 1 − e^{−ε·c}, so a skew against the pool's vega steers its inventory. Customers who buy 90% of the time leave a
// pool short vega; skewed by up to 10 vol points, its vega at the last decision is far smaller in size when
// they react (ε = 1 per vol point) than when they do not, over 400 paths (sample-path greeks), 4 standard
// errors apart.
TEST(OrderFlow, ElasticCustomersLetTheSkewSteerTheInventory) {
  const auto last_vega = [](const std::string& flow) {
    const test::HedgeCase c(pool_config(flow, 400, "[{name: none, type: none}]"));
    const SampleTrades s = cpu_sample_trades(c.job, c.hp, 400);
    double sum = 0.0, sum2 = 0.0;
    for (std::uint64_t p = 0; p < s.count; ++p) {
      const double v = std::fabs(s.pool_vega[p * s.points + s.points - 2]);  // the last decision's
      sum += v;
      sum2 += v * v;
    }
    const double n = static_cast<double>(s.count), m = sum / n;
    return std::pair<double, double>{m, std::sqrt((sum2 / n - m * m) / (n - 1.0))};
  };
  const std::string skew = ", buy_share: 0.9, half_spread_vol: 1, skew_vol: 10, vega_limit_usd: 0.5";
  const auto [rigid, rigid_se] = last_vega(skew);
  const auto [elastic, elastic_se] = last_vega(skew + ", elasticity: 1");
  std::printf("mean |pool vega| at the last decision (USD per vol point): %.4f (se %.4f) rigid, %.4f (se %.4f) "
              "elastic\n", rigid, rigid_se, elastic, elastic_se);
  EXPECT_GT(rigid - elastic, 4 * std::hypot(rigid_se, elastic_se));
}

// ---- runs ----

// Under the risk-neutral measure at the implied vol a Black–Scholes price is a martingale, so a pool that
// quotes it without spread or skew earns nothing on average from its customers, hedged or not; and the
// customers arrive at λΔ per decision step. Tolerances: 4 standard errors (no bias: GBM's steps are exact
// and the marks its exact prices).
TEST(OrderFlow, FairQuotesEarnNothingOnAverage) {
  const PoolRun r = run(pool_config("", 4000, kTwoPolicies));
  const double expected_trades = 0.5 * (r.hp.steps - 1);
  const auto [trades, trades_se] = mean_se(r, [&](std::uint64_t i) { return r.at(PathField::customer_trades, 0, i); });
  std::printf("customers per path: computed %.4f, expected %.4f, error %.4f, tolerance %.4f\n", trades,
              expected_trades, trades - expected_trades, 4 * trades_se);
  EXPECT_NEAR(trades, expected_trades, 4 * trades_se);
  for (unsigned p = 0; p < 2; ++p) {
    const auto [pnl, se] = mean_se(r, [&](std::uint64_t i) { return r.at(PathField::pnl, p, i); });
    std::printf("policy %u: mean P&L computed %.5f, expected 0, error %.5f, tolerance %.5f\n", p, pnl, pnl, 4 * se);
    EXPECT_NEAR(pnl, 0.0, 4 * se);
    for (std::uint64_t i = 0; i < r.n; ++i) ASSERT_EQ(r.at(PathField::spread_income, p, i), 0.0) << "path " << i;
  }
}

// A half-spread of 3 vol points earns what spread_income counts: the customers are those of fair quotes (the
// flow does not see the quotes), so the P&L less spread_income is the fair run's path by path, to rounding;
// and it is positive on every path with a customer. Skewing the quotes against a pool that customers leave
// short vega (90% buy) earns more.
TEST(OrderFlow, SpreadIncomeIsWhatTheHalfSpreadEarns) {
  const PoolRun r = run(pool_config(", half_spread_vol: 3", 1000, kTwoPolicies));
  const PoolRun fair = run(pool_config("", 1000, kTwoPolicies));
  double worst = 0.0;
  for (unsigned p = 0; p < 2; ++p)
    for (std::uint64_t i = 0; i < r.n; ++i) {
      const double rest = r.at(PathField::pnl, p, i) - r.at(PathField::spread_income, p, i);
      const double fair_pnl = fair.at(PathField::pnl, p, i);
      const double scale = std::fabs(r.at(PathField::spread_income, p, i)) + std::fabs(fair_pnl) + 1.0;
      worst = std::max(worst, std::fabs(rest - fair_pnl) / scale);
    }
  std::printf("P&L - spread income against the fair quotes' P&L: largest relative difference %.3g (tolerance 1e-12)\n",
              worst);
  EXPECT_LT(worst, 1e-12);
  for (std::uint64_t i = 0; i < r.n; ++i) {
    if (r.at(PathField::customer_trades, 0, i) > 0) {
      ASSERT_GT(r.at(PathField::spread_income, 0, i), 0.0) << "path " << i;
    }
    ASSERT_EQ(r.at(PathField::spread_income, 1, i), r.at(PathField::spread_income, 0, i)) << "the same for each policy";
  }
  const PoolRun plain = run(pool_config(", half_spread_vol: 3, buy_share: 0.9", 2000, kTwoPolicies));
  const PoolRun skewed =
      run(pool_config(", half_spread_vol: 3, buy_share: 0.9, skew_vol: 5, vega_limit_usd: 0.5", 2000, kTwoPolicies));
  const auto [a, a_se] = mean_se(plain, [&](std::uint64_t i) { return plain.at(PathField::spread_income, 0, i); });
  const auto [b, b_se] = mean_se(skewed, [&](std::uint64_t i) { return skewed.at(PathField::spread_income, 0, i); });
  std::printf("spread income, customers buying 90%%: %.4f (se %.4f) without skew, %.4f (se %.4f) with\n", a, a_se, b,
              b_se);
  EXPECT_GT(b - a, 4 * std::hypot(a_se, b_se));
}

// The hedge takes the inventory's delta: hedged every hour, the pool's P&L spread is a fraction of the
// unhedged one (physical measure, drift 30%). A hedge of the seed book alone would leave the inventory's delta,
// most of the risk, in place.
TEST(OrderFlow, HedgingTheInventoryRemovesMostOfItsRisk) {
  const PoolRun r = run(pool_config(", buy_share: 0.7, half_spread_vol: 1", 3000, kTwoPolicies, "physical"));
  const auto std_of = [&](unsigned p) {
    const auto [m, se] = mean_se(r, [&](std::uint64_t i) { return r.at(PathField::pnl, p, i); });
    return se * std::sqrt(static_cast<double>(r.n));
  };
  const double none = std_of(0), hourly = std_of(1);
  std::printf("pool P&L std: unhedged %.4f, hedged hourly %.4f (ratio %.3f)\n", none, hourly, hourly / none);
  EXPECT_LT(hourly, 0.35 * none);
}

TEST(OrderFlow, TheConfigRefusesWhatThePoolCannotRun) {
  const std::string base = pool_config("", 10, kTwoPolicies);
  const auto refused = [&](const std::string& yaml, const std::string& needle) {
    try {
      validate_for_run(parse_config(yaml, "<test>"));
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string y = base;
    const std::size_t at = y.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return y.replace(at, from.size(), to);
  };
  refused(with("expiries_days: [7, 14]", "expiries_days: [7, 14.01]"), "order_flow.expiries_days[1] = 14.01");
  refused(with("size_mean: 0.5", "size_mean: 0.5, skew_vol: 2"), "needs order_flow.vega_limit_usd");
  refused(with("strikes: [90, 100, 110]", "strikes: [80, 85, 90, 95, 100, 105, 110, 115, 120]"),
          "lists 36 series");
  refused(with("strikes: [90, 100, 110]", "strikes: [90, -100]"), "order_flow.strikes[1]");
  refused(with("trades_per_day: 12, ", ""), "order_flow.trades_per_day is required");
  refused(with("implied_vol: 0.6}", "implied_vol: 0.6, options: [{type: call, strike: 100, expiry_days: 7}]}"),
          "order_flow is not available with hedge.options");
  refused(with("every_step}", "every_step, leland: true}"), "Leland");
  refused(base + "output: {attribution: true}\n", "output.attribution");
}

}  // namespace
}  // namespace hedgesim
