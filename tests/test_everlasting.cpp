// Everlasting options (pricing/everlasting.hpp, docs/models.md "Everlasting options"): the closed form
// against a direct Monte Carlo of the funding cash flows, put–call parity, the truncation bound, and the
// book's per-path accounting — funding known exactly on deterministic price paths, a fair book's mean P&L of
// 0 through the engine, and the attribution's pieces summing to the P&L with the funding as a piece.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "hedge_cases.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/hedge_price_path.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/pricing/everlasting.hpp"

namespace hedgesim {
namespace {

constexpr double kDay = 1.0 / kDaysPerYear;

/// One everlasting contract's market: strike, funding period, rates, pricing vol.
struct Contract {
  OptionType type;
  double strike, period, rate, dividend, sigma;
  unsigned terms;
  double price(double spot, double theta) const {
    return everlasting_linear(type, spot, strike, theta, period, terms, rate, dividend, sigma).price;
  }
  double funding(double spot) const {
    return everlasting_funding(type, spot, strike, period, terms, rate, dividend, sigma);
  }
};

// (a) No arbitrage says a holder who buys at V(Δ) (right after a funding time), pays the funding F_i at each
// of the next M funding times and sells at the mark then breaks even: V0 = E[−Σ e^{−rt_i}F_i + e^{−rt_M}V_M].
// The expectation by Monte Carlo of exact GBM at the funding times, antithetic pairs, with the discounted gains
// of a stock position as a control variate (zero mean whatever the position: here the delta of a European of
// the contract's mean expiry 2Δ, held over each period); the tolerance is 4 standard errors plus the
// truncation's bias bound (each F_i and V_M is off by at most the tail bound at E[S]). The test can fail: the one-period European a funding of the whole (mark − payoff) at the mark after
// the payment would give (weights 1, 0, 0, …) lies more than 5 tolerances (20 standard errors) away at the money.
TEST(Everlasting, ClosedFormEqualsMonteCarloOfTheFundingStream) {
  const double s0 = 100.0, sigma = 0.8, rate = 0.03, dividend = 0.01;
  const int periods = 6;
  const std::size_t pairs = 20000;
  for (OptionType type : {OptionType::call, OptionType::put}) {
    for (double strike : {80.0, 100.0, 125.0}) {
      const Contract c{type, strike, kDay, rate, dividend, sigma, everlasting_terms(1e-9)};
      const double v0 = c.price(s0, c.period);
      std::mt19937_64 rng(12345);
      std::normal_distribution<double> normal;
      const double drift = (rate - dividend - 0.5 * sigma * sigma) * c.period, vol = sigma * std::sqrt(c.period);
      const test::MeanSe mc = test::mean_se(pairs, [&](std::size_t) {
        double zs[periods];
        for (double& z : zs) z = normal(rng);
        double pair = 0.0;
        for (const double side : {1.0, -1.0}) {
          double s = s0, value = 0.0;
          for (int i = 1; i <= periods; ++i) {
            const double held = black_scholes_linear(type, s, strike, 2.0 * c.period, rate, dividend, sigma).delta;
            const double before = s;
            s *= std::exp(drift + vol * side * zs[i - 1]);
            value -= std::exp(-rate * (i - 1) * c.period) * held * (std::exp(-(rate - dividend) * c.period) * s - before);
            value -= std::exp(-rate * i * c.period) * c.funding(s);
          }
          value += std::exp(-rate * periods * c.period) * c.price(s, c.period);
          pair += 0.5 * value;
        }
        return pair;
      });
      const double mean_spot = s0 * std::exp(std::max(0.0, rate - dividend) * periods * c.period);
      const double bias = (periods + 2) * everlasting_tail_bound(type, mean_spot, strike, c.period, c.period, c.terms,
                                                                 rate, dividend);
      const double tol = 4.0 * mc.se + bias;
      const std::string what = std::string(to_string(type)) + " K = " + std::to_string(static_cast<int>(strike)) +
                               ": V0 vs Monte Carlo of " + std::to_string(periods) + " fundings and the close";
      EXPECT_TRUE(test::near(what, mc.mean, v0, tol));
      std::printf("%s: computed %.6f, expected %.6f, error %.2e, tolerance %.2e (s.e. %.2e, bias bound %.1e)\n",
                  what.c_str(), mc.mean, v0, mc.mean - v0, tol, mc.se, bias);
      if (strike == 100.0) {
        const double one_period = black_scholes_linear(type, s0, strike, c.period, rate, dividend, sigma).price;
        EXPECT_GT(std::fabs(one_period - v0), 5.0 * tol) << "the test must tell the weights 1/2, 1/4, ... from (1, 0, ...)";
      }
    }
  }
}

// (b) Put–call parity of everlasting options (docs/models.md): call − put = Σ 2^{−(j+1)}(S e^{−qτ_j} − K e^{−rτ_j})
// in closed form (everlasting_parity), for the truncated sums and in the limit (S − K at r = q = 0), to 1e-12
// of the larger of S and K.
TEST(Everlasting, PutCallParity) {
  struct Case {
    double spot, strike, theta, period, rate, dividend, sigma, tail;
  };
  const Case cases[] = {{100, 100, kDay, kDay, 0.0, 0.0, 0.6, 1e-9},     {100, 80, 0.3 * kDay, kDay, 0.05, 0.02, 0.8, 1e-6},
                        {65000, 70000, 8.0 / 24 * kDay, 8.0 / 24 * kDay, 0.04, 0.1, 0.5, 1e-12},
                        {3000, 2500, 5 * kDay, 7 * kDay, -0.02, -0.05, 1.2, 0.5},
                        {50, 120, 2 * kDay, 30 * kDay, 0.1, 0.0, 0.3, 1e-15}};
  for (const Case& k : cases) {
    const unsigned n = everlasting_terms(k.tail);
    const double call =
        everlasting_linear(OptionType::call, k.spot, k.strike, k.theta, k.period, n, k.rate, k.dividend, k.sigma).price;
    const double put =
        everlasting_linear(OptionType::put, k.spot, k.strike, k.theta, k.period, n, k.rate, k.dividend, k.sigma).price;
    const double parity = everlasting_parity(k.spot, k.strike, k.theta, k.period, n, k.rate, k.dividend);
    const double scale = std::max(k.spot, k.strike);
    EXPECT_TRUE(test::near("call - put vs parity, S = " + std::to_string(k.spot) + ", K = " + std::to_string(k.strike) +
                               ", " + std::to_string(n) + " terms",
                           call - put, parity, 1e-12 * scale));
  }
  // The full sums at r = q = 0: an everlasting with payoff S − K is the perpetual future, worth S − K.
  const unsigned all = kMaxEverlastingTerms;
  const double call = everlasting_linear(OptionType::call, 100.0, 90.0, kDay, kDay, all, 0.0, 0.0, 0.7).price;
  const double put = everlasting_linear(OptionType::put, 100.0, 90.0, kDay, kDay, all, 0.0, 0.0, 0.7).price;
  EXPECT_TRUE(test::near("call - put at r = q = 0, 64 terms", call - put, 10.0, 1e-12 * 100.0));
}

// (c) The truncation: N = everlasting_terms(w) is the fewest terms with 2^−N ≤ w, and the price left out
// (against 64 terms, whose own tail is below rounding) is ≥ 0 and at most everlasting_tail_bound; for a deep
// in-the-money call at zero carry the bound S·2^−N is nearly attained, so it is not loose.
TEST(Everlasting, TruncationStaysWithinItsBound) {
  for (double w : {0.5, 0.3, 1e-3, 1e-6, 1e-9, 1e-12}) {
    const unsigned n = everlasting_terms(w);
    EXPECT_LE(std::ldexp(1.0, -static_cast<int>(n)), w) << "tail weight " << w;
    EXPECT_GT(std::ldexp(1.0, -static_cast<int>(n) + 1), w) << "tail weight " << w << ": one term fewer is enough";
  }
  struct Case {
    OptionType type;
    double spot, strike, theta, period, rate, dividend, sigma;
  };
  const Case cases[] = {{OptionType::call, 100, 100, kDay, kDay, 0.0, 0.0, 0.8},
                        {OptionType::put, 100, 110, 0.5 * kDay, kDay, 0.05, 0.0, 0.6},
                        {OptionType::call, 100, 90, kDay, 30 * kDay, 0.0, -0.5, 0.9},  // q < 0: a = e^{0.5·30/365}
                        {OptionType::put, 100, 105, kDay, 20 * kDay, -0.8, 0.0, 0.4},  // r < 0
                        {OptionType::call, 200, 50, kDay, kDay, 0.0, 0.0, 0.5}};       // deep in the money
  for (const Case& k : cases) {
    const double full = everlasting_linear(k.type, k.spot, k.strike, k.theta, k.period, kMaxEverlastingTerms, k.rate,
                                           k.dividend, k.sigma).price;
    for (double w : {0.5, 1e-2, 1e-4, 1e-6}) {
      const unsigned n = everlasting_terms(w);
      const double cut = everlasting_linear(k.type, k.spot, k.strike, k.theta, k.period, n, k.rate, k.dividend, k.sigma).price;
      const double bound = everlasting_tail_bound(k.type, k.spot, k.strike, k.theta, k.period, n, k.rate, k.dividend);
      const double rounding = 1e-13 * k.spot;
      const std::string what = std::string(to_string(k.type)) + " S = " + std::to_string(k.spot) + " K = " +
                               std::to_string(k.strike) + ", " + std::to_string(n) + " terms: left out";
      EXPECT_GE(full - cut, -rounding) << what;
      EXPECT_TRUE(test::near(what + " within [0, bound]", full - cut, 0.5 * bound, 0.5 * bound + rounding));
      if (k.strike == 50) EXPECT_GT(full - cut, 0.7 * bound) << what << ": the bound should be nearly attained";
    }
  }
}

/// A config: `book` (flow list), GBM at vol 0.8 priced and hedged at it, `policies`, extra simulation keys.
std::string config(const std::string& book, const std::string& sim, const std::string& hedge, const std::string& policies,
                   const std::string& costs = "{fee_bps: 0}", const std::string& model = "") {
  return "simulation: {" + sim + "}\nmodel: " +
         (model.empty() ? std::string("{type: gbm, spot: 100, rate: 0.03, dividend: 0.01, vol: 0.8}") : model) +
         "\nbook: " + book + "\nhedge: {" + hedge + "}\ncosts: " + costs + "\n" + policies;
}

/// Per-path field f of policy p in cpu_simulate_hedging's or hedge_price_path's buffer of n paths.
double at(const std::vector<double>& out, const HedgeParams& hp, std::uint64_t n, PathField f, unsigned p, std::uint64_t i) {
  return out[(index_of(f) * hp.n_policies + p) * n + i];
}

// (d) Deterministic prices, hedge_price_path (the one-path hedger the backtests use) with a given path: the
// funding is q·F(S) at every funding time, F from pricing/everlasting.hpp at the implied vol, so the book's
// funding and P&L are known exactly: funding = Σ_i q·F(S_{iΔ}) and, with cash growing at e^{rΔt} a step,
// P&L = −q·V0·g^N − Σ_i q·F_i·g^{N − n_i} + q·V_N (the close at the horizon's mark). Linear (cash) and
// inverse (coin) settlement, a horizon on a funding time and one between two, a constant and a rising path.
TEST(Everlasting, FundingOnDeterministicPathsIsExact) {
  const double vol = 0.8;
  for (const std::string settlement : {"linear", "inverse"}) {
    for (const double horizon_days : {3.0, 3.5}) {
      for (const double rise : {0.0, 0.004}) {
        const std::string yaml = config(
            "[{type: everlasting_call, strike: 105, funding_period_days: 1, quantity: -7, settlement: " + settlement + "}]",
            "paths: 2, steps_per_day: 4, seed: 1, precision: float64, horizon_days: " + std::to_string(horizon_days),
            "instrument: perpetual, delta: implied, implied_vol: 0.8", "policies: [{name: none, type: none}]\n");
        const test::HedgeCase c(yaml);
        const HedgeParams& hp = c.hp;
        ASSERT_TRUE(hp.everlasting);
        const std::uint32_t steps = hp.steps, fs = hp.options[0].funding_steps;
        std::vector<double> spot(steps + 1), variance(steps + 1, vol * vol);
        for (std::uint32_t n = 0; n <= steps; ++n) spot[n] = 100.0 * (1.0 + rise * n);
        std::vector<double> out(kPathFields * hp.n_policies, std::nan(""));
        hedge_price_path(hp, spot, variance, {}, {}, 1, 0, out.data(), 1, 0);

        const Contract k{OptionType::call, 105.0, fs * hp.dt, hp.rate, hp.dividend, vol, hp.options[0].terms};
        const double q = -7.0;
        const bool linear = settlement == "linear";
        double funding = 0.0, cash = linear ? -q * hp.options[0].premium : 0.0;
        double coin = linear ? 0.0 : -q * hp.options[0].premium / spot[0];
        for (std::uint32_t n = 1; n <= steps; ++n) {
          cash *= hp.growth;
          if (n % fs != 0) continue;
          const double paid = q * k.funding(spot[n]);
          funding += paid;
          if (linear) cash -= paid;
          if (!linear) coin -= paid / spot[n];
        }
        const double theta_end = static_cast<double>(fs - steps % fs) * hp.dt;
        const double close = q * k.price(spot[steps], theta_end);
        const double pnl = cash + coin * spot[steps] + close;
        const std::string what = settlement + ", horizon day " + std::to_string(horizon_days) + ", rise " +
                                 std::to_string(rise);
        EXPECT_TRUE(test::near(what + ": everlasting_funding", at(out, hp, 1, PathField::everlasting_funding, 0, 0),
                               funding, 1e-12 * std::fabs(funding)));
        EXPECT_TRUE(test::near(what + ": P&L", at(out, hp, 1, PathField::pnl, 0, 0), pnl,
                               1e-12 * (std::fabs(funding) + std::fabs(q * hp.options[0].premium) + std::fabs(close))));
        // A constant price: the same funding at each of the 3 funding times (at the funding instant θ = 0).
        if (rise == 0.0) EXPECT_TRUE(test::near(what + ": 3 equal fundings", funding, 3.0 * q * k.funding(100.0),
                                                1e-12 * std::fabs(funding)));
      }
    }
  }
}

// The book through the engine (CPU tiles) under the pricing measure at the pricing vol: unhedged, the mean
// P&L is 0 within 4 standard errors (premium received, funding paid, closed at its mark at a horizon between
// two funding times, all with interest); hedged every hour with the perpetual it stays 0 and its spread
// falls. Calls and puts, linear and inverse.
TEST(Everlasting, FairBookHasZeroMeanPnlThroughTheEngine) {
  const std::string book =
      "[{type: everlasting_call, strike: 110, funding_period_days: 1, quantity: -10},\n"
      " {type: everlasting_put, strike: 90, funding_period_days: 0.5, quantity: 6, settlement: inverse}]";
  // No carry (dividend 0): the coin an inverse option brings earns none in the accounts (docs/hedging.md).
  const RunSpec spec = parse_config(
      config(book, "paths: 20000, steps_per_day: 24, seed: 5, precision: float64, horizon_days: 4.5, measure: risk_neutral",
             "instrument: perpetual, delta: implied, implied_vol: 0.8",
             "policies: [{name: none, type: none}, {name: hourly, type: every_step}]\n", "{fee_bps: 0}",
             "{type: gbm, spot: 100, rate: 0.03, vol: 0.8}"),
      "<test>");
  const RunReport r = run_hedging_job(spec, resolve_backend(BackendKind::cpu, 2));
  ASSERT_EQ(r.path_fields, kBasePathFields + 1);
  const Summary& none = r.policies[0].pnl;
  const Summary& hedged = r.policies[1].pnl;
  EXPECT_TRUE(test::near("mean P&L of the unhedged everlasting book", none.mean, 0.0, 4 * none.mean_stderr));
  EXPECT_TRUE(test::near("mean P&L hedged hourly", hedged.mean, 0.0, 4 * hedged.mean_stderr));
  const double funding = r.policies[0].fields[index_of(PathField::everlasting_funding)].mean();
  std::printf("P&L std: unhedged %.3f, hourly %.3f; mean funding paid by the book %.3f USD\n", none.std, hedged.std, funding);
  EXPECT_LT(hedged.std, 0.2 * none.std);
  EXPECT_EQ(funding, r.policies[1].fields[index_of(PathField::everlasting_funding)].mean()) << "the book's, every policy's";
  EXPECT_LT(funding, 0.0) << "a book short calls and long far-out puts receives funding on balance";
}

// The attribution with everlasting options: on every path the pieces, everlasting_funding among them, sum to
// the P&L to rounding, for linear and inverse everlasting calls and puts beside Europeans, hedged with every
// policy type (option hedges included), on Bates with costs; and the funding the attribution takes equals the
// field's.
TEST(Everlasting, AttributionPiecesSumToThePnlWithTheFunding) {
  const std::string book =
      "[{type: everlasting_call, strike: 105, funding_period_days: 1, quantity: -10},\n"
      " {type: everlasting_put, strike: 95, funding_period_days: 0.25, quantity: 4, settlement: inverse},\n"
      " {type: call, strike: 100, expiry_days: 1, quantity: 3}]";
  const std::string hedge = std::string("instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}, ") + test::kHedgeOptions;
  const std::string costs = std::string("{fee_bps: 5, fixed_per_trade: 0.5, ") + test::kOptionCosts + "}";
  const test::HedgeCase c(config(book, "paths: 200, steps_per_day: 24, seed: 3, precision: float64, horizon_days: 2.5",
                                 hedge, test::with_option_policies(test::all_policy_types()) + "output: {attribution: true}\n",
                                 costs, test::kBatesModel));
  const std::uint64_t n = c.spec.simulation.paths;
  std::vector<double> out;
  cpu_simulate_hedging(c.job, c.hp, PathRange{0, n}, 2, out);
  double worst = 0.0, funding_abs = 0.0;
  for (unsigned p = 0; p < c.hp.n_policies; ++p) {
    for (std::uint64_t i = 0; i < n; ++i) {
      double largest = 0.0;
      for (PathField f : {PathField::pnl, PathField::pnl_inception, PathField::pnl_delta, PathField::pnl_gamma,
                          PathField::pnl_theta, PathField::pnl_vega, PathField::pnl_higher_order, PathField::pnl_interest,
                          PathField::everlasting_funding, PathField::cost})
        largest = std::max(largest, std::fabs(at(out, c.hp, n, f, p, i)));
      worst = std::max(worst, std::fabs(at(out, c.hp, n, PathField::pnl_unexplained, p, i)) / largest);
      funding_abs = std::max(funding_abs, std::fabs(at(out, c.hp, n, PathField::everlasting_funding, p, i)));
    }
  }
  EXPECT_TRUE(test::near("largest |unexplained| / largest piece over paths and policies", worst, 0.0, 1e-12));
  EXPECT_GT(funding_abs, 1.0) << "the book must pay or receive funding for the test to exercise it";
}

// Config rules of everlasting entries (the messages themselves: tests/bad_inputs/cases.txt).
TEST(Everlasting, ConfigNeedsAHorizonAndRefusesWhatDoesNotApply) {
  const std::string base = "model: {type: gbm, spot: 100, vol: 0.5}\n"
                           "hedge: {implied_vol: 0.5}\npolicies: [{name: none, type: none}]\n";
  const auto yaml = [&](const std::string& sim, const std::string& entry) {
    return "simulation: {paths: 10, " + sim + "}\n" + base + "book: [" + entry + "]\n";
  };
  const std::string ok = "{type: everlasting_put, strike: 90, funding_period_days: 1}";
  const RunSpec s = parse_config(yaml("horizon_days: 2", ok), "<test>");
  EXPECT_EQ(s.book[0].style, OptionStyle::everlasting);
  EXPECT_EQ(s.book[0].type, OptionType::put);
  EXPECT_EQ(s.book[0].tail_weight, kEverlastingTailWeight);
  EXPECT_THROW(parse_config(yaml("", ok), "<test>"), InputError);  // no horizon
  EXPECT_THROW(parse_config(yaml("horizon_days: 2", "{type: everlasting_put, strike: 90}"), "<test>"), InputError);
  EXPECT_THROW(parse_config(yaml("horizon_days: 2", "{type: everlasting_put, strike: 90, funding_period_days: 1, expiry_days: 3}"),
                            "<test>"),
               InputError);
  EXPECT_THROW(parse_config(yaml("horizon_days: 2", "{type: put, strike: 90, expiry_days: 3, tail_weight: 1e-6}"), "<test>"),
               InputError);
  EXPECT_THROW(validate_for_price(s), InputError);
  const HedgeParams hp = make_hedge_params(s);
  EXPECT_EQ(hp.options[0].terms, 30u);  // 2^-30 ≤ 1e-9 < 2^-29
  EXPECT_EQ(hp.options[0].funding_steps, 24u);
  EXPECT_EQ(hp.options[0].expiry_step, kNeverExpires);
}

}  // namespace
}  // namespace hedgesim
