// Options as hedge instruments (hedge.options, costs.options; the delta_gamma, delta_vega and
// delta_gamma_vega policies; docs/hedging.md "Options as hedge instruments"), on the CPU tile: the
// convergence of delta-gamma hedging on GBM against delta hedging, delta-vega hedging under Heston with
// the model's own marks against delta hedging at equal cost, exact P&L attribution with option positions
// (Black–Scholes and model marks), the option costs' accounting, expiry and settlement, the singular
// 2×2 fallback and position limits. The GPU block program is checked bit for bit against the CPU tile in test_hedge_block.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hedge_cases.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/hedge_observer.hpp"
#include "hedgesim/hedging/policy.hpp"  // policy_type_of, which delta_band.hpp uses
#include "hedgesim/hedging/policies/delta_gamma_vega.hpp"
#include "hedgesim/pricing/black_scholes.hpp"

namespace hedgesim {
namespace {

struct Paths {
  std::vector<double> raw;
  std::uint64_t n;
  unsigned policies;
  double at(PathField f, unsigned p, std::uint64_t i) const { return raw[(index_of(f) * policies + p) * n + i]; }
};

Paths hedge(const std::string& yaml) {
  const test::HedgeCase c(yaml);
  Paths out{{}, c.spec.simulation.paths, c.hp.n_policies};
  cpu_simulate_hedging(c.job, c.hp, PathRange{0, out.n}, 2, out.raw);
  return out;
}

/// Standard deviation of field f of policy p, and the standard error of its logarithm from the sample
/// kurtosis: Var(s²) ≈ (m4 − s⁴)/n, so se(ln s) ≈ ½·√((m4/s⁴ − 1)/n).
struct Spread {
  double std, se_log;
};
Spread spread(const Paths& v, PathField f, unsigned p) {
  double mean = 0.0;
  for (std::uint64_t i = 0; i < v.n; ++i) mean += v.at(f, p, i);
  mean /= static_cast<double>(v.n);
  double m2 = 0.0, m4 = 0.0;
  for (std::uint64_t i = 0; i < v.n; ++i) {
    const double d = v.at(f, p, i) - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m2 /= static_cast<double>(v.n);
  m4 /= static_cast<double>(v.n);
  return {std::sqrt(m2), 0.5 * std::sqrt((m4 / (m2 * m2) - 1.0) / static_cast<double>(v.n))};
}

/// Least-squares slope of y on x and its standard error from independent errors se[i] of y[i].
struct Slope {
  double slope, se;
};
Slope fit(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& se) {
  const double k = static_cast<double>(x.size());
  double mx = 0.0, my = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i] / k, my += y[i] / k;
  double sxx = 0.0, sxy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) sxx += (x[i] - mx) * (x[i] - mx), sxy += (x[i] - mx) * (y[i] - my);
  double var = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) var += std::pow((x[i] - mx) / sxx * se[i], 2);
  return {sxy / sxx, std::sqrt(var)};
}

std::string gbm_config(int steps_per_day, std::uint64_t paths, const std::string& hedge_options,
                       const std::string& costs, const std::string& policies, bool attribution = false,
                       double rate = 0.0) {
  return "simulation: {paths: " + std::to_string(paths) + ", steps_per_day: " + std::to_string(steps_per_day) +
         ", seed: 5, precision: float64, measure: risk_neutral}\n"
         "model: {type: gbm, spot: 100, rate: " + std::to_string(rate) + ", vol: 0.6}\n"
         "book: [{type: call, strike: 100, expiry_days: 2, quantity: -1}]\n"
         "hedge: {instrument: perpetual, delta: implied, implied_vol: 0.6, options: " + hedge_options + "}\n"
         "costs: " + costs + "\n" + policies + (attribution ? "output: {attribution: true}\n" : "");
}

const std::string kWeekCall = "[{type: call, strike: 100, expiry_days: 7}]";

/// Slopes of ln std(P&L) on ln N for every_step (policy 0) and delta_gamma (policy 1), with zero costs,
/// over the grids of steps_per_day `grids` (N = horizon_days·steps_per_day steps), the hedge option a
/// week's call; horizon_days 0: the book's expiry. Prints each grid's stds and their standard errors.
struct Slopes {
  Slope delta, delta_gamma;
};
Slopes convergence(const std::vector<int>& grids, double horizon_days) {
  const std::string policies = "policies: [{name: delta, type: every_step}, {name: dg, type: delta_gamma}]\n";
  std::vector<double> x, delta_y, delta_se, dg_y, dg_se;
  for (const int spd : grids) {
    std::string yaml = gbm_config(spd, 6000, kWeekCall, "{}", policies);
    if (horizon_days > 0.0) yaml.replace(yaml.find("seed: 5"), 7, "seed: 5, horizon_days: " + std::to_string(horizon_days));
    const Paths v = hedge(yaml);
    const Spread d = spread(v, PathField::pnl, 0), g = spread(v, PathField::pnl, 1);
    const double steps = (horizon_days > 0.0 ? horizon_days : 2.0) * spd;
    std::printf("steps %4.0f: P&L std delta %.6g (se of ln %.3g), delta_gamma %.6g (se of ln %.3g)\n", steps, d.std,
                d.se_log, g.std, g.se_log);
    x.push_back(std::log(steps));
    delta_y.push_back(std::log(d.std));
    delta_se.push_back(d.se_log);
    dg_y.push_back(std::log(g.std));
    dg_se.push_back(g.se_log);
  }
  return {fit(x, delta_y, delta_se), fit(x, dg_y, dg_se)};
}

// Zero costs, every-step rebalancing, GBM at the hedge's own vol: the P&L of a delta hedge is the sum of
// the steps' ½Γ(ΔS² − σ²S²Δt) errors, whose std shrinks like N^(−1/2) in the number of steps N; hedging
// the gamma too (delta_gamma with a week's call) cancels them and Θ (r = 0: Θ = −½σ²S²Γ), leaving the
// third-order terms ~ speed·ΔS³. Away from expiry those give N^(−1); but the book is held to its expiry,
// where the payoff's kink makes the speed grow like τ^(−1) near the strike: the last steps' error,
// E[speed²]·S⁶σ⁶Δt³ ~ Δt³·τ^(−3/2) summed over τ = Δt, 2Δt, … gives a variance ~ Δt^(3/2), a std ~ N^(−3/4),
// which dominates the bulk's N^(−1) at every N (their ratio grows like N^(1/4)). So the expected slope
// for a book held to expiry is −3/4, not −1 (measured −0.74 ± 0.02 at 6000 paths); the test requires
// at most −3/4 + tolerance, and a slope clearly below delta hedging's.
// Slopes of ln std(P&L) on ln N are fitted over four grids (24 to 192 steps a day on a 2-day expiry),
// their standard errors from each std's sampling error (sample kurtosis), tolerance max(4 se, 0.05).
TEST(OptionHedges, DeltaGammaStdShrinksFasterThanDeltaAlone) {
  const auto [d, g] = convergence({24, 48, 96, 192}, 0.0);
  const double tol_d = std::max(4.0 * d.se, 0.05), tol_g = std::max(4.0 * g.se, 0.05);
  std::printf("fitted slope of ln std on ln N: delta %.4f (expected -0.5, error %.4f, tolerance %.4f = max(4 se, 0.05), "
              "se %.4f)\n",
              d.slope, d.slope + 0.5, tol_d, d.se);
  std::printf("fitted slope of ln std on ln N: delta_gamma %.4f (expected -0.75 for a book held to expiry, error "
              "%.4f, tolerance %.4f = max(4 se, 0.05), se %.4f; -1 with a horizon before the book's expiry: the next test)\n",
              g.slope, g.slope + 0.75, tol_g, g.se);
  EXPECT_NEAR(d.slope, -0.5, tol_d);
  EXPECT_LT(g.slope, -0.75 + tol_g) << "delta_gamma's slope " << g.slope;
  EXPECT_LT(g.slope, d.slope - 0.2) << "delta_gamma must converge clearly faster than delta alone";
}

// The same hedges with the horizon a day before the book's expiry (simulation.horizon_days: the call is
// closed at its mark there, at the hedge's own vol): no step comes near the kink, so the third-order
// residual of delta-gamma hedging, ~ speed·ΔS³ with a speed bounded over the run, adds N steps of variance
// O(Δt³) each, a std ~ N^(−1); delta hedging keeps N^(−1/2). The requirement (delta-gamma at
// least like 1/N) holds here, where the book is smooth over the whole run.
TEST(OptionHedges, DeltaGammaStdShrinksLikeOneOverNBeforeTheBooksExpiry) {
  const auto [d, g] = convergence({24, 48, 96, 192}, 1.0);
  const double tol_d = std::max(4.0 * d.se, 0.05), tol_g = std::max(4.0 * g.se, 0.05);
  std::printf("horizon day 1: fitted slope of ln std on ln N: delta %.4f (expected -0.5, error %.4f, tolerance %.4f), "
              "delta_gamma %.4f (expected -1, error %.4f, tolerance %.4f = max(4 se, 0.05), se %.4f)\n",
              d.slope, d.slope + 0.5, tol_d, g.slope, g.slope + 1.0, tol_g, g.se);
  EXPECT_NEAR(d.slope, -0.5, tol_d);
  EXPECT_LT(g.slope, -1.0 + tol_g) << "delta_gamma must shrink at least like 1/N";
  EXPECT_GT(g.slope, -1.0 - tol_g) << "and no faster than the third-order residual allows";
}

/// Largest |pnl_unexplained| over the largest piece, on every path and policy.
double worst_unexplained(const Paths& v) {
  double worst = 0.0;
  for (unsigned p = 0; p < v.policies; ++p) {
    for (std::uint64_t i = 0; i < v.n; ++i) {
      double scale = std::fabs(v.at(PathField::pnl, p, i));
      for (PathField f : {PathField::pnl_inception, PathField::pnl_delta, PathField::pnl_gamma, PathField::pnl_theta,
                          PathField::pnl_vega, PathField::pnl_higher_order, PathField::pnl_interest, PathField::funding,
                          PathField::fees, PathField::fixed, PathField::gas, PathField::slippage, PathField::option_costs})
        scale = std::max(scale, std::fabs(v.at(f, p, i)));
      worst = std::max(worst, std::fabs(v.at(PathField::pnl_unexplained, p, i)) / scale);
    }
  }
  return worst;
}

// The option positions' gamma, theta, vega and higher-order pieces join the book's, their delta joins
// pnl_delta, and the pieces still sum to the accounts' P&L on every path (rounding only), with options
// that expire on the way and after the horizon, option costs, interest and every option policy; with
// Black–Scholes marks (Bates paths), with the model's own marks (Heston, model deltas: the options'
// vega piece is ∂C/∂v times the change of the variance, as the book's) and with surface marks; and with
// rolling hedge options (closed at each roll at the closing marks the piece of the step was taken at).
TEST(OptionHedges, AttributionStaysExactWithOptionPositions) {
  const std::string perp = "instrument: perpetual, delta: instantaneous, funding: {rate: 0.1, stochastic: true, kappa: 50, sigma: 0.5, rho: 0.3}";
  const std::string spot = "instrument: spot, delta: implied, implied_vol: 0.6";
  const std::string model = "instrument: perpetual, delta: model, marks: model";
  const std::string costs = std::string("{fee_bps: 5, fixed_per_trade: 0.5, ") + test::kOptionCosts + "}";
  const std::string heston = "{type: heston, spot: 100, rate: 0.03, v0: 0.36, kappa: 2, theta: 0.36, xi: 0.8, rho: -0.5}";
  // Surface marks: the options and the book at their own vols on the surface.
  const test::TempSurface surface("option_hedges_surface");
  for (const char* options : {test::kHedgeOptions, test::kRollingHedgeOptions})
  for (const std::string& h : {perp, spot, model, surface.hedge("sticky_strike"), surface.hedge("sticky_delta")}) {
    // Leland adjusts a Black-Scholes vol: not with model deltas, nor on a surface.
    const bool leland = h != model && h.find("surface") == std::string::npos;
    const std::string policies = test::with_option_policies(test::all_policy_types(leland ? "true" : "false"));
    const std::string yaml =
        "simulation: {paths: 300, steps_per_day: 24, seed: 11, precision: float64}\nmodel: " +
        (h == model ? heston : std::string(test::kBatesModel)) +
        "\nbook: [{type: call, strike: 105, expiry_days: 2, quantity: -10},\n"
        "       {type: put, strike: 95, expiry_days: 1, quantity: 4, settlement: inverse}]\n"
        "hedge: {" + h + ", " + options + "}\ncosts: " + costs + "\n" +
        policies + "output: {attribution: true}\n";
    const Paths v = hedge(yaml);
    const double worst = worst_unexplained(v);
    std::printf("%s, %s: largest |unexplained| / largest piece on a path %.3g (tolerance 1e-12)\n", h.c_str(),
                options, worst);
    EXPECT_LT(worst, 1e-12) << h << ", " << options;
  }
}

// With every-step delta-gamma hedging on GBM at the hedge's vol (r = 0, so Θ = −½σ²S²Γ for each option),
// the net gamma and theta of book + option are 0 at every decision: the gamma and theta pieces of the
// policy nearly vanish (their sum exactly up to rounding) against the delta hedge's.
TEST(OptionHedges, DeltaGammaHedgeCancelsGammaAndThetaPieces) {
  const std::string policies = "policies: [{name: delta, type: every_step}, {name: dg, type: delta_gamma}]\n";
  const Paths v = hedge(gbm_config(24, 2000, kWeekCall, "{}", policies, true));
  double delta_gt = 0.0, dg_gt = 0.0;
  for (std::uint64_t i = 0; i < v.n; ++i) {
    delta_gt += std::fabs(v.at(PathField::pnl_gamma, 0, i) + v.at(PathField::pnl_theta, 0, i)) / v.n;
    dg_gt += std::fabs(v.at(PathField::pnl_gamma, 1, i) + v.at(PathField::pnl_theta, 1, i)) / v.n;
  }
  // The option's pieces cancel the book's here, so the reported pieces are far smaller than what the
  // accounts carried (premiums of ~10 options a step): rounding relative to the pieces is larger.
  const double worst = worst_unexplained(v);
  std::printf("mean |gamma + theta| per path: delta %.6g, delta_gamma %.6g (expected < 1e-9 x delta's); largest "
              "|unexplained| / largest piece %.3g (tolerance 1e-10)\n",
              delta_gt, dg_gt, worst);
  EXPECT_GT(delta_gt, 0.01);
  EXPECT_LT(dg_gt, 1e-9 * delta_gt);
  EXPECT_LT(worst, 1e-10);
}

// With model marks the book's vega and the option's are the model's ∂C/∂v, and the vega pieces of both are
// vega × the change of the variance: delta_vega re-set at every decision (vega_band 0) holds a net vega of
// 0 (rounding), so the policy's vega piece — the book's plus its option's — vanishes against a delta
// hedge's, which carries the book's alone (Heston, model deltas, zero costs).
TEST(OptionHedges, DeltaVegaWithModelMarksCancelsTheVegaPiece) {
  const std::string yaml =
      "simulation: {paths: 500, steps_per_day: 24, seed: 3, precision: float64}\n"
      "model: {type: heston, spot: 100, rate: 0, v0: 0.36, kappa: 2, theta: 0.36, xi: 1.0, rho: -0.3}\n"
      "book: [{type: call, strike: 100, expiry_days: 2, quantity: -1}]\n"
      "hedge: {instrument: perpetual, delta: model, marks: model, options: " + kWeekCall + "}\n"
      "policies: [{name: delta, type: every_step}, {name: dv, type: delta_vega}]\noutput: {attribution: true}\n";
  const Paths v = hedge(yaml);
  double delta_vega = 0.0, dv_vega = 0.0;
  for (std::uint64_t i = 0; i < v.n; ++i) {
    delta_vega += std::fabs(v.at(PathField::pnl_vega, 0, i)) / v.n;
    dv_vega += std::fabs(v.at(PathField::pnl_vega, 1, i)) / v.n;
  }
  std::printf("model marks: mean |pnl_vega| per path: delta %.6g, delta_vega %.3g (expected < 1e-9 x delta's); largest "
              "|unexplained| / largest piece %.3g (tolerance 1e-12)\n",
              delta_vega, dv_vega, worst_unexplained(v));
  EXPECT_GT(delta_vega, 0.01);
  EXPECT_LT(dv_vega, 1e-9 * delta_vega);
  EXPECT_LT(worst_unexplained(v), 1e-12);
}

// Option decisions do not depend on costs, so with r = 0 the P&L with option costs is the P&L without
// them less option_costs, path by path; the fee is the Deribit formula (capped by the price) and the
// half-spread is in vol points times vega. A zero-cost run reports option_costs 0.
TEST(OptionHedges, OptionCostsAreChargedAndReported) {
  const std::string policies =
      "policies: [{name: dg, type: delta_gamma}, {name: dv, type: delta_vega, vega_band: 0.1}, {name: none, type: none}]\n";
  const std::string options = "[{type: call, strike: 104, expiry_days: 5}]";
  const Paths free = hedge(gbm_config(24, 500, options, "{}", policies));
  const Paths paid = hedge(gbm_config(24, 500, options, std::string("{") + test::kOptionCosts + "}", policies));
  double worst = 0.0, total = 0.0;
  for (unsigned p = 0; p < 3; ++p) {
    for (std::uint64_t i = 0; i < free.n; ++i) {
      EXPECT_EQ(free.at(PathField::option_costs, p, i), 0.0);
      const double c = paid.at(PathField::option_costs, p, i);
      total += c;
      const double gap = free.at(PathField::pnl, p, i) - paid.at(PathField::pnl, p, i) - c;
      worst = std::max(worst, std::fabs(gap) / (1.0 + std::fabs(free.at(PathField::pnl, p, i))));
      EXPECT_EQ(paid.at(PathField::cost, p, i), paid.at(PathField::fees, p, i) + paid.at(PathField::fixed, p, i) +
                                                    paid.at(PathField::gas, p, i) + paid.at(PathField::slippage, p, i) +
                                                    paid.at(PathField::funding, p, i) + c);
      if (p == 2) EXPECT_EQ(c, 0.0);  // none trades nothing
    }
  }
  std::printf("option costs: total %.6g USD over 1000 option-hedged paths; largest |P&L gap − costs| / (1 + |P&L|) %.3g "
              "(tolerance 1e-12)\n",
              total, worst);
  EXPECT_GT(total, 0.0);
  EXPECT_LT(worst, 1e-12);
}

// The one decision of delta_gamma on a one-step grid (a 1-day call, steps_per_day 1) buys −Γ_book/Γ_option
// options at the mark: with only a half-spread the option costs are |q|·(half_spread_vol/100)·vega,
// computed here by hand with black_scholes_linear; with only a fee |q|·min(fee_fraction·S, fee_cap·price).
// The option (5 days) outlives the 1-day horizon: no second trade.
TEST(OptionHedges, FirstTradeCostsMatchTheFormula) {
  const Greeks<double> book = black_scholes_linear(OptionType::call, 100.0, 100.0, 1.0 / 365, 0.0, 0.0, 0.6);
  const Greeks<double> opt = black_scholes_linear(OptionType::call, 100.0, 110.0, 5.0 / 365, 0.0, 0.0, 0.6);
  const double q = book.gamma / opt.gamma;  // short one call: Γ_book = −Γ, so q = Γ/Γ_option
  const auto one = [&](const std::string& costs) {
    const std::string yaml =
        "simulation: {paths: 4, steps_per_day: 1, seed: 5, precision: float64}\n"
        "model: {type: gbm, spot: 100, rate: 0, vol: 0.6}\n"
        "book: [{type: call, strike: 100, expiry_days: 1, quantity: -1}]\n"
        "hedge: {instrument: perpetual, delta: implied, implied_vol: 0.6, options: [{type: call, strike: 110, "
        "expiry_days: 5}]}\ncosts: " + costs + "\npolicies: [{name: dg, type: delta_gamma}]\n";
    return hedge(yaml).at(PathField::option_costs, 0, 0);
  };
  const double spread = one("{options: {half_spread_vol: 2}}");
  const double fee = one("{options: {fee_fraction: 0.0003, fee_cap: 0.125}}");
  const double expected_spread = q * 0.02 * opt.vega;
  const double expected_fee = q * std::min(0.0003 * 100.0, 0.125 * opt.price);
  std::printf("first trade q = %.6g options: spread cost %.10g (expected %.10g), fee %.10g (expected %.10g; price %.6g)\n",
              q, spread, expected_spread, fee, expected_fee, opt.price);
  EXPECT_NEAR(spread, expected_spread, 1e-12 * expected_spread);
  EXPECT_NEAR(fee, expected_fee, 1e-12 * expected_fee);
}

// hedge.options[i].max_position clamps the rule's position: on the first decision delta_gamma wants
// q = Γ/Γ_option contracts; with a limit m below q it buys m, and pays the half-spread on m, computed by
// hand; with a limit above q the run is the unlimited run bit for bit.
TEST(OptionHedges, PositionLimitClampsTheTrade) {
  const Greeks<double> book = black_scholes_linear(OptionType::call, 100.0, 100.0, 1.0 / 365, 0.0, 0.0, 0.6);
  const Greeks<double> opt = black_scholes_linear(OptionType::call, 100.0, 110.0, 5.0 / 365, 0.0, 0.0, 0.6);
  const double q = book.gamma / opt.gamma;
  const auto run = [&](const std::string& limit) {
    return hedge("simulation: {paths: 4, steps_per_day: 1, seed: 5, precision: float64}\n"
                 "model: {type: gbm, spot: 100, rate: 0, vol: 0.6}\n"
                 "book: [{type: call, strike: 100, expiry_days: 1, quantity: -1}]\n"
                 "hedge: {instrument: perpetual, delta: implied, implied_vol: 0.6, options: [{type: call, strike: 110, "
                 "expiry_days: 5" + limit + "}]}\ncosts: {options: {half_spread_vol: 2}}\n"
                 "policies: [{name: dg, type: delta_gamma}]\n");
  };
  const double m = 0.25 * q;
  const Paths limited = run(", max_position: " + fmt::format("{}", m));
  const double expected = m * 0.02 * opt.vega;
  std::printf("delta_gamma wants q = %.6g options; limit %.6g: spread cost %.10g (expected %.10g)\n", q, m,
              limited.at(PathField::option_costs, 0, 0), expected);
  EXPECT_NEAR(limited.at(PathField::option_costs, 0, 0), expected, 1e-12 * expected);
  const Paths free = run(""), loose = run(", max_position: " + fmt::format("{}", 2.0 * q));
  EXPECT_EQ(free.raw, loose.raw) << "a limit that does not bind changes nothing";
  EXPECT_NE(free.raw, limited.raw);
}

// The case docs/hedging.md describes: a 1-day put hedge option, far out of the money in its last hours, is
// the only gamma without vega there, and delta_gamma_vega every step buys ever more of it (P&L std in
// the millions of USD on a book whose unhedged std is ~25). Limits on both options bound the positions,
// and with them the P&L; the test prints the stds and requires the limited one to be within a factor
// 4 of the unhedged one, where the unlimited one is more than 1,000 times it.
TEST(OptionHedges, PositionLimitsBoundDeltaGammaVegaNearAnExpiringOption) {
  const auto run = [](const char* options) {
    return hedge("simulation: {paths: 4000, steps_per_day: 24, seed: 11, precision: float64}\n"
                 "model: " + test::kBatesModel + "\n"
                 "book: [{type: call, strike: 105, expiry_days: 3, quantity: -10},\n"
                 "       {type: put, strike: 95, expiry_days: 2, quantity: 4, settlement: inverse}]\n"
                 "hedge: {instrument: perpetual, delta: instantaneous, funding: {rate: 0.1}, " + std::string(options) +
                 "}\ncosts: {fee_bps: 5, " + test::kOptionCosts + "}\n"
                 "policies: [{name: none, type: none}, {name: dg, type: delta_gamma}, {name: dgv, type: delta_gamma_vega}]\n");
  };
  const Paths free = run(test::kHedgeOptions), limited = run(test::kLimitedHedgeOptions);
  const double none = spread(free, PathField::pnl, 0).std, dg = spread(free, PathField::pnl, 1).std;
  const double dgv = spread(free, PathField::pnl, 2).std, dgv_limited = spread(limited, PathField::pnl, 2).std;
  std::printf("P&L std: unhedged %.6g, delta_gamma %.6g (limited %.6g), delta_gamma_vega %.6g, limited %.6g USD\n",
              none, dg, spread(limited, PathField::pnl, 1).std, dgv, dgv_limited);
  EXPECT_GT(dgv, 1000.0 * none) << "the case no longer shows the unlimited positions' problem";
  EXPECT_LT(dgv_limited, 4.0 * none);
  EXPECT_EQ(spread(free, PathField::pnl, 0).std, spread(limited, PathField::pnl, 0).std);
}

// A rolling hedge option on a path drawn by hand, the tile driven step by step: a 10-day call listed at the
// money on a strike grid of 5 and rolled 3 days before its expiry (a listing every 7 days). The spot stays
// at 100 for a week, then is 112: at step 7 the series struck at 100 (3 days left) is closed at its mark
// and one struck at 110, the grid's nearest to 112, is listed with 10 days to run. delta_gamma re-sets its
// position at every decision and pays the half-spread on each change; the test replays positions and costs
// with black_scholes_linear, the roll's closing trade included, to 1e-12.
TEST(OptionHedges, RollingSeriesIsClosedAndListedAgainAtTheSpot) {
  const test::HedgeCase c(
      "simulation: {paths: 2, steps_per_day: 1, seed: 5, precision: float64, horizon_days: 9}\n"
      "model: {type: gbm, spot: 100, rate: 0, vol: 0.6}\n"
      "book: [{type: call, strike: 100, expiry_days: 30, quantity: -1}]\n"
      "hedge: {instrument: perpetual, delta: implied, implied_vol: 0.6, options: [{type: call, tenor_days: 10, "
      "roll_days: 3, strike_step: 5}]}\ncosts: {options: {half_spread_vol: 2}}\n"
      "policies: [{name: dg, type: delta_gamma}]\n");
  std::vector<double> out(kPathFields, 0.0);
  HedgeObserver<double> obs(c.hp, out.data(), 1, 0, c.spec.simulation.seed, 0);
  const auto spot = [](std::uint32_t n) { return n < 7 ? 100.0 : 112.0; };
  const auto bs = [](double s, double strike, double days) {
    return black_scholes_linear(OptionType::call, s, strike, days / kDaysPerYear, 0.0, 0.0, 0.6);
  };
  obs.begin(PathState<double>{0.0, 0.36});
  double expected = 0.0, held = 0.0;
  for (std::uint32_t n = 0; n < 9; ++n) {
    if (n > 0) obs.after_step(n, PathState<double>{std::log(spot(n) / 100.0), 0.36});
    const double s = spot(n), strike = n < 7 ? 100.0 : 110.0;
    EXPECT_EQ(obs.tile.market.series_strike[0][0], strike) << "step " << n;
    if (n == 7) {  // the roll: the series listed at 0 closed, 3 days before its expiry
      expected += std::fabs(held) * 0.02 * bs(s, 100.0, 3.0).vega;
      held = 0.0;
    }
    const Greeks<double> option = bs(s, strike, (n < 7 ? 10.0 : 17.0) - n), book = bs(s, 100.0, 30.0 - n);
    const double q = book.gamma / option.gamma;  // short one call: Γ_book = −Γ
    expected += std::fabs(q - held) * 0.02 * option.vega;
    held = q;
    EXPECT_NEAR(obs.tile.policies.opts[0].pos[0][0], q, 1e-12 * q) << "step " << n;
    EXPECT_NEAR(obs.tile.policies.opts[0].costs[0], expected, 1e-12 * expected) << "step " << n;
  }
  obs.after_step(9, PathState<double>{std::log(spot(9) / 100.0), 0.36});
  std::printf("option costs over 9 daily decisions with a roll at day 7: %.12g (replayed %.12g)\n",
              out[index_of(PathField::option_costs)], expected);
  EXPECT_NEAR(out[index_of(PathField::option_costs)], expected, 1e-12 * expected);
}

// What rolling is for: a 60-day short call hedged by delta_gamma every 6 hours with a 30-day at-the-money call
// loses its gamma hedge when that call expires half-way (before that, near its expiry, the call's gamma dies
// away off the money and the position that cancels the book's grows without bound: both options are limited
// to 3 contracts, where −Γ_book/Γ_option is about 1.4 at the money), and is delta-hedged alone after it; a
// rolling 30-day call (rolled 7 days before its expiry into the one at the money then) keeps the gamma hedged
// to the end. Zero costs, GBM at the hedge's vol, the same 2,000 paths. The test prints the P&L stds and
// requires the rolling hedge's to be lower by more than 4 standard errors of the difference of their
// logarithms (the errors from each std's sample kurtosis, taken as independent: the common paths make the
// difference's error smaller).
TEST(OptionHedges, RollingOptionKeepsTheGammaHedgedPastAFixedOnesExpiry) {
  const auto run = [](const char* option) {
    return hedge("simulation: {paths: 2000, steps_per_day: 4, seed: 17, precision: float64}\n"
                 "model: {type: gbm, spot: 100, rate: 0, vol: 0.6}\n"
                 "book: [{type: call, strike: 100, expiry_days: 60, quantity: -1}]\n"
                 "hedge: {instrument: perpetual, delta: implied, implied_vol: 0.6, options: [" + std::string(option) +
                 "]}\ncosts: {}\npolicies: [{name: delta, type: every_step}, {name: dg, type: delta_gamma}]\n");
  };
  const Paths fixed = run("{type: call, strike: 100, expiry_days: 30, max_position: 3}");
  const Paths rolling = run("{type: call, tenor_days: 30, roll_days: 7, strike_step: 5, max_position: 3}");
  const Spread delta = spread(fixed, PathField::pnl, 0), f = spread(fixed, PathField::pnl, 1),
               r = spread(rolling, PathField::pnl, 1);
  const double gap = std::log(f.std) - std::log(r.std), se = std::hypot(f.se_log, r.se_log);
  std::printf("P&L std: delta every step %.4g, delta_gamma with a fixed 30-day call %.4g, with a rolling one %.4g; "
              "ln ratio %.3g, se %.3g (tolerance: > 4 se)\n",
              delta.std, f.std, r.std, gap, se);
  EXPECT_GT(gap, 4.0 * se);
}

// Two options of the same expiry and strike make the 2×2 system singular: delta_gamma_vega falls back to
// delta_gamma with the first option and never trades the second, path by path.
TEST(OptionHedges, SingularSystemFallsBackToDeltaGamma) {
  const std::string policies = "policies: [{name: dg, type: delta_gamma}, {name: dgv, type: delta_gamma_vega}]\n";
  const std::string twins = "[{type: call, strike: 102, expiry_days: 5}, {type: call, strike: 102, expiry_days: 5}]";
  const Paths v = hedge(gbm_config(24, 300, twins, std::string("{") + test::kOptionCosts + "}", policies));
  for (std::uint64_t i = 0; i < v.n; ++i) {
    ASSERT_EQ(v.at(PathField::pnl, 0, i), v.at(PathField::pnl, 1, i)) << "path " << i;
    ASSERT_EQ(v.at(PathField::option_costs, 0, i), v.at(PathField::option_costs, 1, i)) << "path " << i;
  }
}

// A second option whose gamma and vega have died away next to the first's (far out of the money in its
// last hours) makes the system singular once each row is scaled by its largest greek: the rule falls back
// to delta_gamma with the first option rather than answer with a position of ~1/ε units of the dead one
// (unscaled, its determinant passed the test and the positions overflowed on a few paths of a Bates run).
TEST(OptionHedges, ADeadSecondOptionFallsBackToDeltaGamma) {
  const DeltaGammaVegaRule rule;
  PolicyParams p{};  // bands of 0: trade at every decision
  const double held[2] = {0.0, 0.0};
  for (const double eps : {1e-9, 1e-30, 1e-200}) {
    const OptionContext c{100.0, -0.5, -20.0, {0.04, 0.03 * eps}, {15.0, 2.0 * eps}, {true, true}};
    double want[2] = {};
    rule.options(p, c, held, want);
    EXPECT_EQ(want[0], neutralising(c.book_gamma, c.gamma[0])) << "eps " << eps;
    EXPECT_EQ(want[1], 0.0) << "eps " << eps;
  }
  // Two healthy options of different expiries solve both equations.
  const OptionContext c{100.0, -0.5, -20.0, {0.04, 0.01}, {15.0, 30.0}, {true, true}};
  double want[2] = {};
  rule.options(p, c, held, want);
  EXPECT_NEAR(c.book_gamma + want[0] * c.gamma[0] + want[1] * c.gamma[1], 0.0, 1e-12);
  EXPECT_NEAR(c.book_vega + want[0] * c.vega[0] + want[1] * c.vega[1], 0.0, 1e-12);
}

// Delta-gamma-vega with two options of different expiries, on Heston paths hedged at the instantaneous
// vol: it neutralises both, and its P&L std is below delta hedging's (every step, zero costs).
TEST(OptionHedges, TwoOptionsSolveGammaAndVega) {
  const std::string yaml =
      "simulation: {paths: 2000, steps_per_day: 24, seed: 9, precision: float64}\n"
      "model: {type: heston, spot: 100, rate: 0, v0: 0.36, kappa: 2, theta: 0.36, xi: 1.0, rho: -0.5}\n"
      "book: [{type: call, strike: 100, expiry_days: 3, quantity: -1}]\n"
      "hedge: {instrument: perpetual, delta: instantaneous, options: [{type: call, strike: 100, expiry_days: 7}, "
      "{type: put, strike: 95, expiry_days: 30}]}\n"
      "policies: [{name: delta, type: every_step}, {name: dg, type: delta_gamma}, {name: dgv, type: delta_gamma_vega}]\n";
  const Paths v = hedge(yaml);
  const double sd = spread(v, PathField::pnl, 0).std, sg = spread(v, PathField::pnl, 1).std,
               sgv = spread(v, PathField::pnl, 2).std;
  std::printf("Heston, 3-day call: P&L std delta %.6g, delta_gamma %.6g, delta_gamma_vega %.6g\n", sd, sg, sgv);
  // Gamma alone (a 7-day call against a 3-day book) adds vega under stochastic variance: not required to
  // beat delta hedging; gamma and vega together must.
  EXPECT_LT(sgv, 0.5 * sd);
}

/// Mean cost and P&L std of policy p over the paths `rows` (a bootstrap resample, or all).
struct CostRisk {
  double cost, std;
};
CostRisk cost_risk(const Paths& v, unsigned p, const std::vector<std::uint64_t>& rows) {
  double cost = 0.0, mean = 0.0, m2 = 0.0;
  for (const std::uint64_t i : rows) cost += v.at(PathField::cost, p, i), mean += v.at(PathField::pnl, p, i);
  const double n = static_cast<double>(rows.size());
  mean /= n;
  for (const std::uint64_t i : rows) m2 += std::pow(v.at(PathField::pnl, p, i) - mean, 2);
  return {cost / n, std::sqrt(m2 / (n - 1.0))};
}

/// The standard error of a statistic of n paths — of several policies (common random numbers), or of
/// runs on the same paths — from a paired bootstrap: `resamples` draws of n paths with replacement
/// (a fixed seed: the test is repeatable), the whole statistic recomputed on each.
template <class Statistic>
double bootstrap_se(std::uint64_t n, Statistic&& statistic, int resamples = 400) {
  std::mt19937_64 rng(13);
  std::uniform_int_distribution<std::uint64_t> pick(0, n - 1);
  std::vector<std::uint64_t> rows(n);
  double s1 = 0.0, s2 = 0.0;
  for (int b = 0; b < resamples; ++b) {
    for (std::uint64_t& r : rows) r = pick(rng);
    const double d = statistic(rows);
    s1 += d;
    s2 += d * d;
  }
  return std::sqrt((s2 - s1 * s1 / resamples) / (resamples - 1));
}

std::vector<std::uint64_t> every_path(std::uint64_t n) {
  std::vector<std::uint64_t> all(n);
  for (std::uint64_t i = 0; i < n; ++i) all[i] = i;
  return all;
}

/// The delta-only frontier's P&L std at mean cost c: linear in cost between the two policies whose mean
/// costs bracket c (points sorted by cost), clamped to the end points outside them. Beyond the costliest
/// point delta hedging cannot buy less risk on this grid, and below the cheapest its risk is only higher,
/// so the clamps understate the delta-only std there.
double frontier_std(std::vector<CostRisk> points, double c) {
  std::sort(points.begin(), points.end(), [](const CostRisk& a, const CostRisk& b) { return a.cost < b.cost; });
  if (c <= points.front().cost) return points.front().std;
  for (std::size_t k = 1; k < points.size(); ++k) {
    if (c <= points[k].cost) {
      const double a = (c - points[k - 1].cost) / (points[k].cost - points[k - 1].cost);
      return (1.0 - a) * points[k - 1].std + a * points[k].std;
    }
  }
  return points.back().std;
}

/// The desk of the delta-vega validation: short 10 30-day at-the-money calls (spot 100) under Heston
/// (v0 = θ = 0.36, κ = 2, ξ = 1, ρ = −0.3), hourly, hedged with the perpetual at the model's deltas; the
/// hedge option a 90-day at-the-money call; hedge.marks `marks`; costs (a flow map) and policies given.
std::string heston_vega_desk(const std::string& marks, const std::string& costs, const std::string& policies) {
  return "simulation: {paths: 4000, steps_per_day: 24, seed: 21, precision: float64}\n"
         "model: {type: heston, spot: 100, rate: 0, v0: 0.36, kappa: 2, theta: 0.36, xi: 1.0, rho: -0.3}\n"
         "book: [{type: call, strike: 100, expiry_days: 30, quantity: -10}]\n"
         "hedge: {instrument: perpetual, delta: model, marks: " + marks +
         ", options: [{type: call, strike: 100, expiry_days: 90}]}\ncosts: " + costs + "\n" + policies;
}
/// Realistic costs: 5 bp on the perpetual, Deribit-like options (fee min(0.03% of S, 12.5% of the
/// price), half a vol point of spread).
const std::string kDeskCosts = std::string("{fee_bps: 5, ") + test::kOptionCosts + "}";

// The validation: delta-vega hedging under Heston with a model-consistent surface has a lower
// P&L std than delta hedging alone at equal cost. The desk (heston_vega_desk, realistic costs) hedges
// with the perpetual alone, or with delta_vega also trading the 90-day call to hold the net vega ∂C/∂v
// within 10% of the book's at inception, the perpetual in a 0.5-coin band. Marks, the book's vega and
// the option's are the model's own (hedge.marks: model): the options trade at the model's prices. The
// delta-only policies (every step and bands of 0.2 … 2 coins) trace the cost/std frontier; its std at
// delta_vega's mean cost (frontier_std) is compared with delta_vega's. All policies hedge the same paths,
// so the standard error of the difference comes from a paired bootstrap over paths (the whole statistic,
// interpolation weights included). delta_vega must be lower by more than 4 standard errors, and its cost
// must lie inside the frontier's cost range, so that the comparison is at equal cost and not against an
// end point. Options still held at the horizon (the book's expiry) count at their marks, without an
// exit spread; the vega rule has sold most of them by then, as the book's vega decays.
TEST(OptionHedges, DeltaVegaUnderHestonBeatsDeltaOnlyAtEqualCost) {
  const Paths v = hedge(heston_vega_desk(
      "model", kDeskCosts,
      "policies: [{name: every, type: every_step}, {name: b0.2, type: delta_band, width: 0.2},\n"
      "  {name: b0.5, type: delta_band, width: 0.5}, {name: b1, type: delta_band, width: 1},\n"
      "  {name: b2, type: delta_band, width: 2}, {name: dv, type: delta_vega, vega_band: 0.1, width: 0.5}]\n"));
  const char* names[] = {"every", "b0.2", "b0.5", "b1", "b2"};
  const unsigned delta_only = 5, dv = 5;
  const auto frontier_of = [&](const std::vector<std::uint64_t>& rows) {
    std::vector<CostRisk> points;
    for (unsigned p = 0; p < delta_only; ++p) points.push_back(cost_risk(v, p, rows));
    return points;
  };
  const auto difference = [&](const std::vector<std::uint64_t>& rows) {
    const CostRisk vega = cost_risk(v, dv, rows);
    return vega.std - frontier_std(frontier_of(rows), vega.cost);
  };
  const std::vector<std::uint64_t> all = every_path(v.n);
  const std::vector<CostRisk> frontier = frontier_of(all);
  const CostRisk vega = cost_risk(v, dv, all);
  const double diff = difference(all), se = bootstrap_se(v.n, difference);
  for (unsigned p = 0; p < delta_only; ++p)
    std::printf("delta only %-5s mean cost %.4f USD, P&L std %.4f\n", names[p], frontier[p].cost, frontier[p].std);
  std::printf("delta_vega (model marks): mean cost %.4f USD, P&L std %.4f; delta-only std at that cost %.4f; "
              "difference %.4f, paired bootstrap s.e. %.4f, tolerance 4 s.e. = %.4f (required: difference < -tolerance)\n",
              vega.cost, vega.std, vega.std - diff, diff, se, 4.0 * se);
  double lo = frontier[0].cost, hi = frontier[0].cost;
  for (const CostRisk& f : frontier) lo = std::min(lo, f.cost), hi = std::max(hi, f.cost);
  ASSERT_GT(vega.cost, lo) << "delta_vega's cost must lie inside the delta-only frontier's";
  ASSERT_LT(vega.cost, hi) << "delta_vega's cost must lie inside the delta-only frontier's";
  EXPECT_LT(diff, -4.0 * se) << "delta_vega " << vega.std << " against delta only " << vega.std - diff << " at cost "
                             << vega.cost;
}

// The same vega rule with Black–Scholes marks (hedge.marks: black_scholes): the book's vega and the
// option's are Black–Scholes ∂C/∂σ at √v, and the option trades at Black–Scholes prices at √v — another
// market, whose prices ignore the variance's mean reversion and the drift of √v, and so drift under the
// Heston paths. On the same paths (same seed), delta_vega re-set at every decision with zero costs (the
// rule alone) and the realistic desk (vega band 10%, 0.5-coin perpetual band): P&L mean and std under
// each marks, and the paired bootstrap standard errors of their differences. Measured: zero costs, std
// 1.859 (model) against 1.948 (Black–Scholes), −0.089 ± 0.005, and mean −0.02 against −1.09 USD; the
// desk, std 4.258 at cost 3.265 against 4.395 at cost 3.053 (−0.137 ± 0.055: 2.5 s.e., and the
// Black–Scholes rule is 0.21 USD cheaper, so not asserted), mean −3.33 against −4.25. Asserted: with
// zero costs the model marks' rule has the lower std and the higher mean, each by more than 4 standard
// errors (docs/hedging.md, "Delta-vega under Heston").
TEST(OptionHedges, DeltaVegaWithModelMarksAgainstBlackScholesMarks) {
  for (const bool costs : {false, true}) {
    const std::string policy = costs ? "policies: [{name: dv, type: delta_vega, vega_band: 0.1, width: 0.5}]\n"
                                     : "policies: [{name: dv, type: delta_vega}]\n";
    const Paths model = hedge(heston_vega_desk("model", costs ? kDeskCosts : "{}", policy));
    const Paths bs = hedge(heston_vega_desk("black_scholes", costs ? kDeskCosts : "{}", policy));
    const auto mean = [](const Paths& v, const std::vector<std::uint64_t>& rows) {
      double m = 0.0;
      for (const std::uint64_t i : rows) m += v.at(PathField::pnl, 0, i);
      return m / static_cast<double>(rows.size());
    };
    const auto std_gap = [&](const std::vector<std::uint64_t>& rows) {
      return cost_risk(model, 0, rows).std - cost_risk(bs, 0, rows).std;
    };
    const auto mean_gap = [&](const std::vector<std::uint64_t>& rows) { return mean(model, rows) - mean(bs, rows); };
    const std::vector<std::uint64_t> all = every_path(model.n);
    const CostRisk m = cost_risk(model, 0, all), b = cost_risk(bs, 0, all);
    const double std_se = bootstrap_se(model.n, std_gap), mean_se = bootstrap_se(model.n, mean_gap);
    std::printf("%s: delta_vega with model marks: P&L mean %.4f, std %.4f, mean cost %.4f; with Black-Scholes marks: "
                "mean %.4f, std %.4f, mean cost %.4f; std model - BS %.4f (paired s.e. %.4f), mean model - BS %.4f "
                "(paired s.e. %.4f)\n",
                costs ? "desk costs, vega band 0.1, width 0.5" : "zero costs, every decision", mean(model, all), m.std,
                m.cost, mean(bs, all), b.std, b.cost, std_gap(all), std_se, mean_gap(all), mean_se);
    if (!costs) {
      EXPECT_LT(std_gap(all), -4.0 * std_se) << "tolerance 4 s.e. = " << 4.0 * std_se;
      EXPECT_GT(mean_gap(all), 4.0 * mean_se) << "tolerance 4 s.e. = " << 4.0 * mean_se;
    }
  }
}

}  // namespace
}  // namespace hedgesim
