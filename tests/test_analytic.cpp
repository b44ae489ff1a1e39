// Closed-form pricers against QuantLib 1.29 and published reference values (docs/models.md, "Reference values"), and the
// SVCJ characteristic function against an independent numerical solution of its Riccati equations.
// Every comparison prints computed, expected, error and tolerance on failure (tests/check.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <complex>
#include <cstdio>
#include <functional>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <vector>

// Individual headers: ql/quantlib.hpp pulls in Boost.uBLAS, which does not compile as C++20.
#include <ql/exercise.hpp>
#include <ql/instruments/payoffs.hpp>
#include <ql/instruments/vanillaoption.hpp>
#include <ql/models/equity/batesmodel.hpp>
#include <ql/models/equity/hestonmodel.hpp>
#include <ql/pricingengines/blackcalculator.hpp>
#include <ql/pricingengines/vanilla/analytichestonengine.hpp>
#include <ql/pricingengines/vanilla/batesengine.hpp>
#include <ql/processes/batesprocess.hpp>
#include <ql/processes/hestonprocess.hpp>
#include <ql/quotes/simplequote.hpp>
#include <ql/settings.hpp>
#include <ql/termstructures/yield/flatforward.hpp>
#include <ql/time/daycounters/actual365fixed.hpp>

#include "check.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/pricing/analytic.hpp"
#include "hedgesim/pricing/black_scholes.hpp"

namespace {

using hedgesim::analytic_price;
using hedgesim::Greeks;
using hedgesim::ModelParams;
using hedgesim::ModelType;
using hedgesim::OptionType;
using hedgesim::Settlement;
using hedgesim::test::near;
using cplx = std::complex<double>;
namespace ql = QuantLib;

const char* name(OptionType t) { return t == OptionType::call ? "call" : "put"; }

std::string describe(const ModelParams& p, OptionType type, double strike, double tau) {
  std::ostringstream s;
  s.precision(10);
  s << name(type) << " K=" << strike << " T=" << tau << " S=" << p.spot << " r=" << p.rate
    << " q=" << p.dividend << " v0=" << p.v0 << " kappa=" << p.kappa << " theta=" << p.theta
    << " xi=" << p.xi << " rho=" << p.rho << " lambda=" << p.jump_intensity << " muJ=" << p.jump_mean
    << " sigJ=" << p.jump_stdev << " muV=" << p.var_jump_mean << " rhoJ=" << p.jump_rho;
  return s.str();
}

// ---------------------------------------------------------------------------------------------------
// Black–Scholes header

struct BsCase {
  OptionType type;
  double spot, strike, tau, rate, dividend, sigma;
  std::string str() const {
    std::ostringstream s;
    s << name(type) << " S=" << spot << " K=" << strike << " T=" << tau << " r=" << rate
      << " q=" << dividend << " sigma=" << sigma;
    return s.str();
  }
};

const std::vector<BsCase> kBsCases = {
    {OptionType::call, 100, 100, 1.0, 0.05, 0.02, 0.2},
    {OptionType::put, 100, 100, 1.0, 0.05, 0.02, 0.2},
    {OptionType::call, 65000, 70000, 30 / 365.0, 0.0, 0.0, 0.6},
    {OptionType::put, 65000, 70000, 30 / 365.0, 0.0, 0.0, 0.6},
    {OptionType::call, 3000, 2500, 7 / 365.0, 0.03, 0.08, 0.9},
    {OptionType::put, 3000, 2500, 7 / 365.0, 0.03, 0.08, 0.9},
    {OptionType::call, 100, 130, 2.0, -0.01, 0.01, 0.35},
    {OptionType::put, 100, 70, 0.25, 0.02, -0.03, 1.2},
    {OptionType::call, 50, 45, 1 / 365.0, 0.05, 0.0, 0.5},
    {OptionType::put, 50, 52, 1 / 365.0, 0.05, 0.0, 0.5},
};

TEST(BlackScholes, MatchesQuantLibBlackCalculator) {
  for (const BsCase& c : kBsCases) {
    const Greeks<double> g = hedgesim::black_scholes_linear(c.type, c.spot, c.strike, c.tau, c.rate,
                                                            c.dividend, c.sigma);
    const double fwd = c.spot * std::exp((c.rate - c.dividend) * c.tau);
    const ql::BlackCalculator bc(c.type == OptionType::call ? ql::Option::Call : ql::Option::Put,
                                 c.strike, fwd, c.sigma * std::sqrt(c.tau), std::exp(-c.rate * c.tau));
    // 1e-10 relative; the absolute floor (1e-13 of the quantity's natural scale) covers greeks that
    // happen to be near zero.
    const auto tol = [](double expected, double scale) { return 1e-10 * std::fabs(expected) + 1e-13 * scale; };
    const std::string what = c.str();
    EXPECT_TRUE(near("price " + what, g.price, bc.value(), tol(bc.value(), c.spot)));
    EXPECT_TRUE(near("delta " + what, g.delta, bc.delta(c.spot), tol(bc.delta(c.spot), 1.0)));
    EXPECT_TRUE(near("gamma " + what, g.gamma, bc.gamma(c.spot), tol(bc.gamma(c.spot), 1.0 / c.spot)));
    EXPECT_TRUE(near("vega " + what, g.vega, bc.vega(c.tau), tol(bc.vega(c.tau), c.spot)));
    EXPECT_TRUE(near("theta " + what, g.theta, bc.theta(c.spot, c.tau), tol(bc.theta(c.spot, c.tau), c.spot)));
  }
}

TEST(BlackScholes, InverseGreeksMatchFiniteDifferencesOfCoinPrice) {
  // Fourth-order central differences with steps a hundredth of each variable's natural scale:
  // truncation ~1e-8 and rounding ~1e-12 relative, so 1e-6 relative plus a floor is a safe bound.
  const auto d1 = [](const std::function<double(double)>& f, double x, double h) {
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h);
  };
  const auto d2 = [](const std::function<double(double)>& f, double x, double h) {
    return (-f(x + 2 * h) + 16 * f(x + h) - 30 * f(x) + 16 * f(x - h) - f(x - 2 * h)) / (12 * h * h);
  };
  const auto tol = [](double expected, double floor) { return 1e-6 * std::fabs(expected) + floor; };
  for (const BsCase& c : kBsCases) {
    // Coin price V/S of the inverse option as a function of spot, volatility and time to expiry.
    const auto coin = [&](double s, double sigma, double tau) {
      return hedgesim::black_scholes_linear(c.type, s, c.strike, tau, c.rate, c.dividend, sigma).price / s;
    };
    const Greeks<double> inv = hedgesim::black_scholes(c.type, Settlement::inverse, c.spot, c.strike,
                                                       c.tau, c.rate, c.dividend, c.sigma);
    const double s = c.spot;
    const auto of_spot = [&](double x) { return coin(x, c.sigma, c.tau); };
    const double hs = 1e-2 * s * c.sigma * std::sqrt(c.tau);
    const double dc_ds = d1(of_spot, s, hs);
    // Deribit's coin delta Δ − V/S is S·∂(V/S)/∂S; its spot derivative is ∂c/∂S + S ∂²c/∂S².
    const double delta_fd = s * dc_ds;
    const double gamma_fd = dc_ds + s * d2(of_spot, s, hs);
    const double vega_fd = d1([&](double v) { return coin(s, v, c.tau); }, c.sigma, 1e-2 * c.sigma);
    const double theta_fd = -d1([&](double t) { return coin(s, c.sigma, t); }, c.tau, 1e-2 * c.tau);
    const std::string what = c.str();
    EXPECT_TRUE(near("coin price " + what, inv.price, of_spot(s), 1e-15 * of_spot(s)));
    EXPECT_TRUE(near("coin delta " + what, inv.delta, delta_fd, tol(delta_fd, 1e-9)));
    EXPECT_TRUE(near("coin gamma " + what, inv.gamma, gamma_fd, tol(gamma_fd, 1e-9 / s)));
    EXPECT_TRUE(near("coin vega " + what, inv.vega, vega_fd, tol(vega_fd, 1e-9)));
    EXPECT_TRUE(near("coin theta " + what, inv.theta, theta_fd, tol(theta_fd, 1e-9)));
  }
}

// ---------------------------------------------------------------------------------------------------
// Parameter sets

ModelParams heston(double spot, double rate, double dividend, double v0, double kappa, double theta,
                   double xi, double rho) {
  ModelParams p;
  p.type = ModelType::heston;
  p.spot = spot;
  p.rate = rate;
  p.dividend = dividend;
  p.v0 = v0;
  p.kappa = kappa;
  p.theta = theta;
  p.xi = xi;
  p.rho = rho;
  return p;
}

ModelParams with_jumps(ModelParams p, ModelType type, double lambda, double mu, double sigma,
                       double mu_v = 0.0, double rho_j = 0.0) {
  p.type = type;
  p.jump_intensity = lambda;
  p.jump_mean = mu;
  p.jump_stdev = sigma;
  p.var_jump_mean = mu_v;
  p.jump_rho = rho_j;
  return p;
}

/// A few hand-picked sets per model, crypto-like and textbook, for the self-consistency checks.
std::vector<ModelParams> showcase_models() {
  const ModelParams lewis = heston(100, 0.01, 0.02, 0.04, 4.0, 0.25, 1.0, -0.5);
  const ModelParams btc = heston(65000, 0.03, 0.01, 0.36, 2.0, 0.42, 1.2, -0.3);
  ModelParams gbm;
  gbm.type = ModelType::gbm;
  gbm.spot = 65000;
  gbm.rate = 0.03;
  gbm.dividend = 0.01;
  gbm.vol = 0.6;
  return {gbm,
          lewis,
          btc,
          with_jumps(btc, ModelType::bates, 5.0, -0.05, 0.10),
          with_jumps(btc, ModelType::svcj, 5.0, -0.05, 0.10, 0.05, -0.5),
          with_jumps(lewis, ModelType::svcj, 1.5, -0.03, 0.07, 0.08, 0.8)};
}

// ---------------------------------------------------------------------------------------------------
// Heston and Bates against references and QuantLib

TEST(Heston, LewisReferencePrices) {
  // QuantLib test suite (Alan Lewis' reference values), docs/models.md.
  const ModelParams p = heston(100, 0.01, 0.02, 0.04, 4.0, 0.25, 1.0, -0.5);
  const double strikes[] = {80, 90, 100, 110, 120};
  const double expected[] = {26.774758743999, 20.933349000597, 16.070154917029, 12.132211516710,
                             9.024913483458};
  for (int i = 0; i < 5; ++i) {
    const double v = analytic_price(p, OptionType::call, strikes[i], 1.0);
    EXPECT_TRUE(near("Lewis K=" + std::to_string(static_cast<int>(strikes[i])), v, expected[i], 1e-8 * expected[i]));
  }
}

TEST(Heston, FangOosterleeReferencePrice) {
  // Fang & Oosterlee (2008) quote 5.785155450; QuantLib's adaptive engine and this pricer both give
  // 5.7851554344, 2.7e-9 relative below the quoted value.
  const ModelParams p = heston(100, 0.0, 0.0, 0.0175, 1.5768, 0.0398, 0.5751, -0.5711);
  const double v = analytic_price(p, OptionType::call, 100, 1.0);
  EXPECT_TRUE(near("Fang-Oosterlee", v, 5.78515545, 1e-8 * 5.78515545));
}

TEST(Heston, VanishingVolOfVolIsBlackScholesWithMeanVariance) {
  // With ξ = 0 the variance is deterministic: Black–Scholes with the average of v over [0, T].
  // Also checks that small ξ does not lose accuracy in the ln(…)/ξ² term.
  for (double xi : {0.0, 1e-7}) {
    const ModelParams p = heston(100, 0.02, 0.01, 0.09, 1.5, 0.25, xi, -0.7);
    for (double tau : {1 / 365.0, 0.5, 2.0}) {
      const double mean_var = p.theta + (p.v0 - p.theta) * (1 - std::exp(-p.kappa * tau)) / (p.kappa * tau);
      for (double strike : {70.0, 100.0, 140.0}) {
        const double expected = hedgesim::black_scholes_linear(OptionType::call, p.spot, strike, tau, p.rate,
                                                               p.dividend, std::sqrt(mean_var))
                                    .price;
        const double v = analytic_price(p, OptionType::call, strike, tau);
        // ξ = 1e-7 moves the price by O(ξ) ≈ 1e-7 relative at most around the money.
        const double tol = std::max(1e-10, 10 * xi) * std::fabs(expected) + 1e-12 * p.spot;
        std::ostringstream what;
        what << "xi=" << xi << " T=" << tau << " K=" << strike;
        EXPECT_TRUE(near(what.str(), v, expected, tol));
      }
    }
  }
}

/// One random option on a random parameter set.
struct RandomCase {
  ModelParams p;
  OptionType type;
  double strike;
  int days;
};

/// Crypto-like parameters and beyond: volatility 10–100 %, vol of variance up to 2.5 (so most sets
/// break the Feller condition 2κθ ≥ ξ²), ρ from −0.9 to 0.6; strikes 0.5–2× spot; maturities
/// 1 day – 2 years, log-uniform in whole days (QuantLib needs dates).
RandomCase draw_case(std::mt19937_64& rng, ModelType type) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto uni = [&](double a, double b) { return a + (b - a) * unit(rng); };
  RandomCase c;
  c.p = heston(uni(50, 70000), uni(-0.01, 0.06), uni(-0.02, 0.05), uni(0.01, 1.0), uni(0.2, 6.0),
               uni(0.01, 1.0), uni(0.1, 2.5), uni(-0.9, 0.6));
  if (type != ModelType::heston) {
    const double lambda = uni(0.0, 10.0), mu = uni(-0.2, 0.1), sigma = uni(0.01, 0.3);
    const double mu_v = type == ModelType::svcj ? uni(0.0, 0.2) : 0.0;
    const double rho_j = type == ModelType::svcj ? uni(-1.0, 1.0) : 0.0;
    c.p = with_jumps(c.p, type, lambda, mu, sigma, mu_v, rho_j);
  }
  c.type = unit(rng) < 0.5 ? OptionType::call : OptionType::put;
  c.strike = c.p.spot * std::exp(uni(std::log(0.5), std::log(2.0)));
  c.days = static_cast<int>(std::lround(std::exp(uni(0.0, std::log(730.0)))));
  return c;
}

/// QuantLib's price: Gatheral's form of the CF with adaptive Gauss–Lobatto to 1e-14 relative.
/// At 1e-12 its Lobatto rule stops early on a few of these sets (errors to 1e-8 relative); at 1e-14
/// it agrees with this pricer, and with brute-force quadrature, to about 1e-12 relative.
double quantlib_price(const RandomCase& c) {
  const ql::Date today(1, ql::January, 2024);
  ql::Settings::instance().evaluationDate() = today;
  const ql::DayCounter dc = ql::Actual365Fixed();
  const auto curve = [&](double r) {
    return ql::Handle<ql::YieldTermStructure>(ql::ext::make_shared<ql::FlatForward>(today, r, dc));
  };
  const ql::Handle<ql::Quote> s0(ql::ext::make_shared<ql::SimpleQuote>(c.p.spot));
  const ModelParams& p = c.p;
  ql::ext::shared_ptr<ql::PricingEngine> engine;
  if (p.type == ModelType::heston) {
    const auto process = ql::ext::make_shared<ql::HestonProcess>(curve(p.rate), curve(p.dividend), s0, p.v0,
                                                                 p.kappa, p.theta, p.xi, p.rho);
    engine = ql::ext::make_shared<ql::AnalyticHestonEngine>(
        ql::ext::make_shared<ql::HestonModel>(process), ql::AnalyticHestonEngine::Gatheral,
        ql::AnalyticHestonEngine::Integration::gaussLobatto(1e-14, 1e-14 * p.spot, 100000));
  } else {
    const auto process = ql::ext::make_shared<ql::BatesProcess>(
        curve(p.rate), curve(p.dividend), s0, p.v0, p.kappa, p.theta, p.xi, p.rho, p.jump_intensity,
        p.jump_mean, p.jump_stdev);
    engine = ql::ext::make_shared<ql::BatesEngine>(ql::ext::make_shared<ql::BatesModel>(process), 1e-14, 100000);
  }
  ql::VanillaOption option(ql::ext::make_shared<ql::PlainVanillaPayoff>(
                               c.type == OptionType::call ? ql::Option::Call : ql::Option::Put, c.strike),
                           ql::ext::make_shared<ql::EuropeanExercise>(today + c.days));
  option.setPricingEngine(engine);
  return option.NPV();
}

/// Prices 100 random cases against QuantLib; prints the largest errors.
void compare_random_with_quantlib(ModelType type, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  int feller_violations = 0;
  double max_rel = 0.0, max_abs = 0.0;
  for (int i = 0; i < 100; ++i) {
    const RandomCase c = draw_case(rng, type);
    if (2 * c.p.kappa * c.p.theta < c.p.xi * c.p.xi) ++feller_violations;
    const double tau = c.days / 365.0;
    const double expected = quantlib_price(c);
    const double computed = analytic_price(c.p, c.type, c.strike, tau);
    // 1e-8 relative, with an absolute floor of 1e-10·spot for deep out-of-the-money (or deep
    // in-the-money) prices: both pricers get them as a difference of numbers of order spot.
    const double tol = std::max(1e-8 * std::fabs(expected), 1e-10 * c.p.spot);
    EXPECT_TRUE(near("case " + std::to_string(i) + " " + describe(c.p, c.type, c.strike, tau), computed,
                     expected, tol));
    const double err = std::fabs(computed - expected);
    max_abs = std::max(max_abs, err / c.p.spot);
    // Relative error where the relative target binds (price above 1 % of spot).
    if (std::fabs(expected) >= 1e-2 * c.p.spot) max_rel = std::max(max_rel, err / std::fabs(expected));
  }
  EXPECT_GE(feller_violations, 30) << "the draw should exercise Feller-violating parameters";
  std::printf("[ %s vs QuantLib ] 100 cases (%d Feller-violating): max relative error %.2e (prices >= 1%% "
              "of spot), max absolute error %.2e x spot\n",
              type == ModelType::heston ? "heston" : "bates", feller_violations, max_rel, max_abs);
}

TEST(Heston, MatchesQuantLibOnRandomParameters) { compare_random_with_quantlib(ModelType::heston, 20240101); }

TEST(Bates, MatchesQuantLibOnRandomParameters) { compare_random_with_quantlib(ModelType::bates, 20240202); }

// ---------------------------------------------------------------------------------------------------
// SVCJ

/// ln φ(u) by classical RK4 on the affine Riccati system of SVCJ, independent of the closed form:
///   B' = −z/2 + (iuρξ − κ)B + ξ²B²/2,
///   A' = κθB + λ(e^{iuμ_S − u²σ_S²/2}/(1 − (iuρ_J + B)μ_v) − 1 − iu k̄),  A(0) = B(0) = 0.
cplx svcj_log_cf_by_ode(const ModelParams& p, cplx u, double tau, int steps) {
  const cplx i(0, 1), iu = i * u, z = iu + u * u;
  const double sj2 = p.jump_stdev * p.jump_stdev;
  const double kbar = std::exp(p.jump_mean + 0.5 * sj2) / (1 - p.jump_rho * p.var_jump_mean) - 1;
  const cplx jump_cf = std::exp(iu * p.jump_mean - 0.5 * u * u * sj2);
  const auto db = [&](cplx b) { return -0.5 * z + (iu * p.rho * p.xi - p.kappa) * b + 0.5 * p.xi * p.xi * b * b; };
  const auto da = [&](cplx b) {
    return p.kappa * p.theta * b +
           p.jump_intensity * (jump_cf / (1.0 - (iu * p.jump_rho + b) * p.var_jump_mean) - 1.0 - iu * kbar);
  };
  const double h = tau / steps;
  cplx a = 0, b = 0, a_carry = 0, b_carry = 0;
  // Kahan-compensated sums: with plain sums the rounding of 20000 small increments to A, not the
  // RK4 truncation, would dominate (1e-10 relative in φ).
  const auto add = [](cplx& sum, cplx& carry, cplx term) {
    const cplx y = term - carry, t = sum + y;
    carry = (t - sum) - y;
    sum = t;
  };
  for (int n = 0; n < steps; ++n) {
    const cplx kb1 = db(b), ka1 = da(b);
    const cplx b2 = b + 0.5 * h * kb1, kb2 = db(b2), ka2 = da(b2);
    const cplx b3 = b + 0.5 * h * kb2, kb3 = db(b3), ka3 = da(b3);
    const cplx b4 = b + h * kb3, kb4 = db(b4), ka4 = da(b4);
    add(b, b_carry, h / 6 * (kb1 + 2.0 * kb2 + 2.0 * kb3 + kb4));
    add(a, a_carry, h / 6 * (ka1 + 2.0 * ka2 + 2.0 * ka3 + ka4));
  }
  return a + b * p.v0;
}

TEST(Svcj, CharacteristicFunctionMatchesRiccatiOde) {
  // Sets where the variance jumps matter: large μ_v, both signs of ρ_J, short and long maturities.
  // The larger u values take the closed form's factor-by-factor logarithm branch.
  const ModelParams base = heston(100, 0.02, 0.0, 0.3, 2.0, 0.3, 1.0, -0.4);
  const std::vector<ModelParams> sets = {with_jumps(base, ModelType::svcj, 3.0, -0.05, 0.1, 0.05, -0.5),
                                         with_jumps(base, ModelType::svcj, 1.0, 0.02, 0.2, 0.3, 1.5),
                                         with_jumps(heston(100, 0, 0, 0.04, 0.5, 0.05, 2.0, 0.5), ModelType::svcj,
                                                    8.0, -0.1, 0.05, 0.2, -2.0)};
  const std::vector<cplx> us = {{0.0, -1.0}, {0.5, 0.0}, {3.0, 0.0},  {0.0, -0.5},
                                {1.0, -0.5}, {5.0, -0.5}, {20.0, -0.5}, {60.0, -0.5}};
  for (const ModelParams& p : sets) {
    for (double tau : {0.05, 1.0, 3.0}) {
      for (const cplx u : us) {
        const cplx expected = std::exp(svcj_log_cf_by_ode(p, u, tau, 20000));
        const cplx computed = hedgesim::log_forward_cf(p, u, tau);
        // RK4 with 20000 steps agrees with the closed form to ~1e-14 relative here.
        const double tol = 1e-12 * std::abs(expected) + 1e-16;
        std::ostringstream what;
        what << "u=" << u << " T=" << tau << " muV=" << p.var_jump_mean << " rhoJ=" << p.jump_rho;
        EXPECT_TRUE(near("Re phi " + what.str(), computed.real(), expected.real(), tol));
        EXPECT_TRUE(near("Im phi " + what.str(), computed.imag(), expected.imag(), tol));
      }
    }
  }
}

TEST(Svcj, PriceMatchesBruteForceLewisIntegral) {
  // The Lewis integral of the closed-form CF by a plain composite Simpson rule on a fine grid, far
  // beyond where |φ| has died out, checks the pricer's truncation and adaptive quadrature.
  for (const ModelParams& p : showcase_models()) {
    if (p.type != ModelType::svcj) continue;
    const double tau = 0.5;
    const double fwd = p.spot * std::exp((p.rate - p.dividend) * tau);
    for (double m : {0.7, 1.0, 1.4}) {
      const double strike = m * fwd;
      const double k = std::log(fwd / strike);
      const auto f = [&](double u) {
        const cplx phi = hedgesim::log_forward_cf(p, cplx(u, -0.5), tau);
        return (std::exp(cplx(0, u * k)) * phi).real() / (u * u + 0.25);
      };
      const double u_max = 400.0, h = 1e-3;
      ASSERT_LT(std::abs(hedgesim::log_forward_cf(p, cplx(u_max, -0.5), tau)), 1e-18);
      const int n = static_cast<int>(u_max / h);
      double sum = f(0) + f(u_max);
      for (int j = 1; j < n; ++j) sum += (j % 2 ? 4 : 2) * f(j * h);
      const double integral = sum * h / 3;
      const double expected = p.spot * std::exp(-p.dividend * tau) -
                              std::sqrt(fwd * strike) * std::exp(-p.rate * tau) / std::numbers::pi * integral;
      const double computed = analytic_price(p, OptionType::call, strike, tau);
      EXPECT_TRUE(near(describe(p, OptionType::call, strike, tau), computed, expected, 1e-11 * p.spot));
    }
  }
}

TEST(Svcj, ReducesToBatesWithoutVarianceJumps) {
  std::mt19937_64 rng(20240303);
  for (int i = 0; i < 40; ++i) {
    const RandomCase c = draw_case(rng, ModelType::svcj);
    ModelParams bates = c.p;
    bates.type = ModelType::bates;
    const double tau = c.days / 365.0;
    const double expected = analytic_price(bates, c.type, c.strike, tau);
    // μ_v = 0 exactly, whatever ρ_J; and μ_v = 1e-13, which takes the general SVCJ formula.
    ModelParams svcj = c.p;
    svcj.var_jump_mean = 0.0;
    const double tol = 1e-10 * std::fabs(expected) + 1e-13 * c.p.spot;
    EXPECT_TRUE(near("muV=0 " + describe(svcj, c.type, c.strike, tau),
                     analytic_price(svcj, c.type, c.strike, tau), expected, tol));
    svcj.var_jump_mean = 1e-13;
    EXPECT_TRUE(near("muV=1e-13 " + describe(svcj, c.type, c.strike, tau),
                     analytic_price(svcj, c.type, c.strike, tau), expected, tol));
  }
}

TEST(Svcj, OutOfTheMoneyCallsGainValueWithVarianceJumps) {
  ModelParams p = with_jumps(heston(65000, 0.0, 0.0, 0.36, 2.0, 0.36, 1.0, -0.3), ModelType::svcj, 3.0,
                             -0.05, 0.1, 0.0, 0.0);
  double previous = 0.0;
  for (double mu_v : {0.0, 0.02, 0.05, 0.1, 0.2}) {
    p.var_jump_mean = mu_v;
    const double v = analytic_price(p, OptionType::call, 80000, 30 / 365.0);
    EXPECT_GT(v, previous) << "muV=" << mu_v;
    previous = v;
  }
}

// ---------------------------------------------------------------------------------------------------
// All models

TEST(AllModels, PutCallParity) {
  for (const ModelParams& p : showcase_models()) {
    for (double tau : {1 / 365.0, 30 / 365.0, 1.0}) {
      for (double m : {0.5, 0.9, 1.0, 1.1, 2.0}) {
        const double strike = m * p.spot;
        const double call = analytic_price(p, OptionType::call, strike, tau);
        const double put = analytic_price(p, OptionType::put, strike, tau);
        const double forward_value = p.spot * std::exp(-p.dividend * tau) - strike * std::exp(-p.rate * tau);
        EXPECT_TRUE(near("C-P " + describe(p, OptionType::call, strike, tau), call - put, forward_value,
                         1e-12 * p.spot));
        EXPECT_GE(call, -1e-13 * p.spot);
        EXPECT_GE(put, -1e-13 * p.spot);
      }
    }
  }
}

TEST(AllModels, InverseCoinPriceIsUsdValueOverSpot) {
  // An inverse option pays (S_T − K)^+/S_T coin, worth (S_T − K)^+ USD at expiry: the USD value is the
  // linear one and the coin price that over spot. For GBM the inverse Black–Scholes price must agree.
  ModelParams gbm = showcase_models()[0];
  for (double tau : {1 / 365.0, 0.25}) {
    for (double m : {0.8, 1.0, 1.25}) {
      for (OptionType type : {OptionType::call, OptionType::put}) {
        const double strike = m * gbm.spot;
        const double usd = analytic_price(gbm, type, strike, tau);
        const double coin = hedgesim::black_scholes(type, Settlement::inverse, gbm.spot, strike, tau, gbm.rate,
                                                    gbm.dividend, gbm.vol)
                                .price;
        EXPECT_TRUE(near("coin " + describe(gbm, type, strike, tau), coin, usd / gbm.spot,
                         1e-14 * std::fabs(usd / gbm.spot) + 1e-18));
      }
    }
  }
}

TEST(AllModels, BatchPricesMatchSinglePrices) {
  for (const ModelParams& p : showcase_models()) {
    for (double tau : {2 / 365.0, 0.5}) {
      std::vector<double> strikes;
      std::vector<OptionType> types;
      for (int j = 0; j <= 20; ++j) {
        strikes.push_back(p.spot * std::exp(-0.7 + 0.07 * j));
        types.push_back(j % 3 == 0 ? OptionType::put : OptionType::call);
      }
      const std::vector<double> batch = hedgesim::analytic_prices(p, tau, types, strikes);
      ASSERT_EQ(batch.size(), strikes.size());
      for (std::size_t j = 0; j < strikes.size(); ++j) {
        // Both are accurate to ~1e-14·spot; they differ only in where the quadrature refines.
        EXPECT_TRUE(near("batch " + describe(p, types[j], strikes[j], tau), batch[j],
                         analytic_price(p, types[j], strikes[j], tau), 1e-12 * p.spot));
      }
    }
  }
}

TEST(AllModels, ZeroMaturityIsIntrinsic) {
  for (const ModelParams& p : showcase_models()) {
    EXPECT_DOUBLE_EQ(analytic_price(p, OptionType::call, 0.9 * p.spot, 0.0), p.spot - 0.9 * p.spot);
    EXPECT_EQ(analytic_price(p, OptionType::put, 0.9 * p.spot, 0.0), 0.0);
    EXPECT_DOUBLE_EQ(analytic_price(p, OptionType::put, 1.2 * p.spot, 0.0), 1.2 * p.spot - p.spot);
    EXPECT_EQ(analytic_price(p, OptionType::call, 1.2 * p.spot, 0.0), 0.0);
  }
}

TEST(AllModels, InvalidInputsThrowNamingTheParameter) {
  const auto models = showcase_models();
  const ModelParams& gbm = models[0];
  const ModelParams& svcj = models[4];
  const auto expect_error = [](const ModelParams& p, double strike, double tau, const std::string& key) {
    try {
      analytic_price(p, OptionType::call, strike, tau);
      ADD_FAILURE() << "no InputError for " << key;
    } catch (const hedgesim::InputError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(key), std::string::npos) << msg;
      EXPECT_NE(msg.find("allowed"), std::string::npos) << msg;
    }
  };
  const auto changed = [](ModelParams p, double ModelParams::*field, double value) {
    p.*field = value;
    return p;
  };
  expect_error(gbm, -1.0, 1.0, "strike = -1");
  expect_error(gbm, 0.0, 1.0, "strike = 0");
  expect_error(gbm, 100.0, -0.5, "maturity_years = -0.5");
  expect_error(gbm, 100.0, std::nan(""), "maturity_years = nan");
  expect_error(changed(gbm, &ModelParams::spot, 0.0), 100.0, 1.0, "spot = 0");
  expect_error(changed(gbm, &ModelParams::vol, 0.0), 100.0, 1.0, "vol = 0");
  expect_error(changed(svcj, &ModelParams::v0, -0.1), 100.0, 1.0, "v0 = -0.1");
  expect_error(changed(svcj, &ModelParams::kappa, 0.0), 100.0, 1.0, "kappa = 0");
  expect_error(changed(svcj, &ModelParams::xi, -1.0), 100.0, 1.0, "xi = -1");
  expect_error(changed(svcj, &ModelParams::rho, 1.5), 100.0, 1.0, "rho = 1.5");
  expect_error(changed(svcj, &ModelParams::jump_intensity, -2.0), 100.0, 1.0, "jump_intensity = -2");
  expect_error(changed(svcj, &ModelParams::jump_stdev, -0.1), 100.0, 1.0, "jump_stdev = -0.1");
  expect_error(changed(svcj, &ModelParams::var_jump_mean, -0.1), 100.0, 1.0, "var_jump_mean = -0.1");
  expect_error(changed(changed(svcj, &ModelParams::var_jump_mean, 0.5), &ModelParams::jump_rho, 2.0), 100.0, 1.0,
               "jump_rho * var_jump_mean = 1");
  const std::vector<OptionType> one_type = {OptionType::call};
  const std::vector<double> two_strikes = {90.0, 110.0};
  EXPECT_THROW(hedgesim::analytic_prices(gbm, 1.0, one_type, two_strikes), hedgesim::InputError);
}

TEST(AllModels, TimingPerPrice) {
  // Printed, not asserted: the mean over random cases (1 day – 2 years, strikes 0.5–2× spot).
  for (ModelType type : {ModelType::heston, ModelType::bates, ModelType::svcj}) {
    std::mt19937_64 rng(99);
    std::vector<RandomCase> cases;
    for (int i = 0; i < 300; ++i) cases.push_back(draw_case(rng, type));
    double sink = 0.0;
    const auto t0 = std::chrono::steady_clock::now();
    for (const RandomCase& c : cases) sink += analytic_price(c.p, c.type, c.strike, c.days / 365.0);
    const auto t1 = std::chrono::steady_clock::now();
    // One 21-strike smile per case, priced in one batch.
    std::vector<double> strikes;
    for (int j = 0; j <= 20; ++j) strikes.push_back(std::exp(-0.7 + 0.07 * j));
    const std::vector<OptionType> types(strikes.size(), OptionType::call);
    const auto t2 = std::chrono::steady_clock::now();
    for (const RandomCase& c : cases) {
      std::vector<double> smile = strikes;
      for (double& k : smile) k *= c.p.spot;
      sink += hedgesim::analytic_prices(c.p, c.days / 365.0, types, smile)[10];
    }
    const auto t3 = std::chrono::steady_clock::now();
    const double us = std::chrono::duration<double, std::micro>(t1 - t0).count() / cases.size();
    const double us_smile = std::chrono::duration<double, std::micro>(t3 - t2).count() / cases.size();
    std::printf("[ timing ] %s: %.1f us per price; %.1f us per 21-strike batch (%.1f us per strike)\n",
                type == ModelType::heston ? "heston" : type == ModelType::bates ? "bates" : "svcj", us, us_smile,
                us_smile / strikes.size());
    EXPECT_TRUE(std::isfinite(sink));
  }
}

}  // namespace
