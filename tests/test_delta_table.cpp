// The model delta table (hedging/delta_table.hpp) against the closed-form pricer: interpolated delta
// and gamma at random (S, v, t) inside the grid against central finite differences of
// analytic_price, monotonicity in spot, the deep in/out-of-the-money and expiry limits, and the
// Black–Scholes limit ξ → 0. Also the Fourier greeks (analytic_greeks) the table is built from.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <random>
#include <type_traits>
#include <vector>

#include "check.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/delta_table.hpp"
#include "hedgesim/hedging/delta_table_builder.hpp"
#include "hedgesim/pricing/analytic.hpp"
#include "hedgesim/pricing/black_scholes.hpp"

namespace hedgesim {
namespace {

using test::near;

constexpr double kDt = 1.0 / kHoursPerYear;  // hourly steps

/// The DESIGN.md example market, with carry so puts and calls differ.
ModelParams btc(ModelType type) {
  ModelParams p;
  p.type = type;
  p.spot = 65000;
  p.rate = 0.03;
  p.dividend = 0.01;
  p.v0 = 0.36;
  p.kappa = 2;
  p.theta = 0.36;
  p.xi = 1;
  p.rho = -0.3;
  if (type == ModelType::bates || type == ModelType::svcj) {
    p.jump_intensity = 5;
    p.jump_mean = -0.05;
    p.jump_stdev = 0.1;
  }
  if (type == ModelType::svcj) {
    p.var_jump_mean = 0.05;
    p.jump_rho = -0.5;
  }
  return p;
}

/// A 30-day call, a 10-day put and a 1-day call, on an hourly grid.
const std::vector<DeltaTableOption> kBook = {
    {OptionType::call, 70000, 720}, {OptionType::put, 60000, 240}, {OptionType::call, 65000, 24}};

struct FdGreeks {
  double delta, gamma;
};

/// Central differences of analytic_price in spot at (S, v, τ), with a step of 1e-3 of the standard
/// deviation to expiry: truncation ~1e-7 in delta, price rounding (1e-14·S) ~1e-9.
FdGreeks fd_greeks(const ModelParams& model, OptionType type, double strike, double spot, double v, double tau,
                   double sd) {
  ModelParams p = model;
  p.v0 = v;
  const double h = 1e-3 * sd * spot;
  p.spot = spot + h;
  const double up = analytic_price(p, type, strike, tau);
  p.spot = spot - h;
  const double down = analytic_price(p, type, strike, tau);
  p.spot = spot;
  const double mid = analytic_price(p, type, strike, tau);
  return {(up - down) / (2 * h), (up - 2 * mid + down) / (h * h)};
}

/// CPU seconds of a callable (the build uses every thread; this counts all of them).
template <class F>
double cpu_seconds(F&& f) {
  const std::clock_t c0 = std::clock();
  f();
  return static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
}

// ---- Fourier greeks.

TEST(AnalyticGreeks, MatchFiniteDifferencesOfThePrice) {
  for (ModelType type : {ModelType::heston, ModelType::bates, ModelType::svcj}) {
    const ModelParams model = btc(type);
    for (double tau : {1.0 * kDt, 24.0 * kDt, 30.0 / kDaysPerYear, 1.0}) {
      const double sd = std::sqrt(model.theta * tau);
      for (double z : {-2.5, -0.7, 0.0, 1.2, 3.0}) {
        const double strike = model.spot * std::exp(-z * sd);
        const std::vector<OptionType> types = {OptionType::call, OptionType::put};
        const std::vector<double> strikes = {strike, strike};
        const std::vector<AnalyticGreeks> g = analytic_greeks(model, tau, types, strikes);
        for (std::size_t k = 0; k < 2; ++k) {
          const FdGreeks fd = fd_greeks(model, types[k], strike, model.spot, model.v0, tau, sd);
          const std::string what = std::string(to_string(type)) + " " + to_string(types[k]) +
                                   " tau=" + std::to_string(tau) + " z=" + std::to_string(z);
          EXPECT_TRUE(near(what + " delta", g[k].delta, fd.delta, 1e-6));
          // Gamma in units of 1/(S·sd), where it is O(1).
          const double unit = model.spot * sd;
          EXPECT_TRUE(near(what + " gamma·S·sd", g[k].gamma * unit, fd.gamma * unit, 2e-5));
        }
        EXPECT_DOUBLE_EQ(analytic_delta(model, OptionType::call, strike, tau), g[0].delta);
      }
    }
  }
}

TEST(AnalyticGreeks, GbmAndExpiryAreBlackScholes) {
  ModelParams gbm;
  gbm.type = ModelType::gbm;
  gbm.spot = 100;
  gbm.rate = 0.05;
  gbm.dividend = 0.01;
  gbm.vol = 0.4;
  const Greeks<double> bs = black_scholes_linear(OptionType::put, 100.0, 110.0, 0.5, 0.05, 0.01, 0.4);
  EXPECT_DOUBLE_EQ(analytic_delta(gbm, OptionType::put, 110, 0.5), bs.delta);
  const ModelParams heston = btc(ModelType::heston);
  EXPECT_EQ(analytic_delta(heston, OptionType::call, 60000, 0.0), 1.0);
  EXPECT_EQ(analytic_delta(heston, OptionType::put, 60000, 0.0), 0.0);
  const std::vector<OptionType> one_type = {OptionType::call};
  const std::vector<double> two_strikes = {1.0, 2.0};
  EXPECT_THROW(analytic_greeks(heston, 1.0, one_type, two_strikes), InputError);
}

// ---- The table against direct finite differences.

struct Accuracy {
  double max_delta = 0, mean_delta = 0, max_gamma = 0;
};

/// Random (option, step, v, S) inside the grid: every hedge step before expiry, v in [0, v_max],
/// ln(S/K) within ±5 standard deviations of the time left.
Accuracy measure(const ModelParams& model, const DeltaTable& table, int samples, std::uint64_t seed) {
  const DeltaTableView view = table.view();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Accuracy acc;
  for (int k = 0; k < samples; ++k) {
    const unsigned o = static_cast<unsigned>(k) % kBook.size();
    const DeltaTableOption& opt = kBook[o];
    const auto step = static_cast<std::uint32_t>(unit(rng) * opt.expiry_step);
    const double tau = (opt.expiry_step - step) * kDt;
    const double v = unit(rng) * table.variance_max();
    const double sd = std::sqrt(delta_table_variance(view, v, tau));
    const double spot = opt.strike * std::exp((2 * unit(rng) - 1) * 5 * sd);
    const FdGreeks fd = fd_greeks(model, opt.type, opt.strike, spot, v, tau, sd);
    const TableGreeks g = table_greeks(view, o, spot, v, step);
    const double err = std::fabs(g.delta - fd.delta);
    const std::string what = std::string(to_string(model.type)) + " option " + std::to_string(o) + " step " +
                             std::to_string(step) + " v " + std::to_string(v) + " S " + std::to_string(spot);
    EXPECT_TRUE(near(what + " delta", g.delta, fd.delta, 2e-3));
    acc.max_delta = std::max(acc.max_delta, err);
    acc.mean_delta += err / samples;
    acc.max_gamma = std::max(acc.max_gamma, std::fabs(g.gamma - fd.gamma) * spot * sd);
  }
  return acc;
}

class TableAccuracy : public ::testing::TestWithParam<ModelType> {};

TEST_P(TableAccuracy, DeltaAndGammaMatchFiniteDifferencesOfThePrice) {
  const ModelParams model = btc(GetParam());
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<DeltaTable> built;
  const double cpu = cpu_seconds([&] { built.emplace(model, kBook, kDt); });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const DeltaTable& table = *built;
  const Accuracy acc = measure(model, table, 300, 7);
  std::printf("  %s: %u x %u x %u nodes (%zu kB), build %.2f s CPU (%.2f s wall); "
              "|delta error| max %.2e mean %.2e; |gamma error|·S·sd max %.2e\n",
              to_string(model.type), table.view().n_time, table.view().n_var, table.view().n_z,
              table.buffer().size() * sizeof(double) / 1024, cpu, wall, acc.max_delta, acc.mean_delta, acc.max_gamma);
  // Measured (300 samples): max 2–5e-4, mean 2–4e-5, gamma 1–3e-3. Tolerances leave ~4x.
  EXPECT_TRUE(near(std::string(to_string(model.type)) + " max |delta error|", acc.max_delta, 0.0, 2e-3));
  EXPECT_TRUE(near(std::string(to_string(model.type)) + " mean |delta error|", acc.mean_delta, 0.0, 1.5e-4));
  EXPECT_TRUE(near(std::string(to_string(model.type)) + " max |gamma error|·S·sd", acc.max_gamma, 0.0, 1e-2));
  EXPECT_LT(cpu, 5.0) << "build CPU seconds";
}

INSTANTIATE_TEST_SUITE_P(Models, TableAccuracy,
                         ::testing::Values(ModelType::heston, ModelType::bates, ModelType::svcj),
                         [](const auto& info) { return std::string(to_string(info.param)); });

// ---- Shape and limits.

class TableShape : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { table_ = new DeltaTable(btc(ModelType::bates), kBook, kDt); }
  static void TearDownTestSuite() {
    delete table_;
    table_ = nullptr;
  }
  static DeltaTable* table_;
};
DeltaTable* TableShape::table_ = nullptr;

TEST_F(TableShape, CallDeltaIsMonotoneInSpotAndGammaNonNegative) {
  const DeltaTableView view = table_->view();
  for (unsigned o : {0u, 1u, 2u}) {
    for (std::uint32_t step : {0u, 11u, 22u, 23u}) {
      if (step >= kBook[o].expiry_step) continue;
      for (double v : {0.0, 0.004, 0.1, 0.36, 1.0, 5.0}) {
        double previous = -2.0;
        for (double x = -1.5; x <= 1.5; x += 1e-3) {
          const double spot = kBook[o].strike * std::exp(x);
          const TableGreeks g = table_greeks(view, o, spot, v, step);
          ASSERT_GE(g.delta, previous - 1e-12) << "option " << o << " step " << step << " v " << v << " S " << spot;
          ASSERT_GE(g.gamma, -1e-12) << "option " << o << " step " << step << " v " << v << " S " << spot;
          previous = g.delta;
        }
      }
    }
  }
}

TEST_F(TableShape, DeepInAndOutOfTheMoneyAndExpiryLimits) {
  const DeltaTableView view = table_->view();
  const double q = btc(ModelType::bates).dividend;
  for (unsigned o : {0u, 1u, 2u}) {
    const DeltaTableOption& opt = kBook[o];
    const double sign = opt.type == OptionType::call ? 1.0 : -1.0;
    for (std::uint32_t step : {0u, opt.expiry_step / 2, opt.expiry_step - 1}) {
      const double carry = std::exp(-q * (opt.expiry_step - step) * kDt);
      for (double v : {0.01, 0.36, 2.0}) {
        const std::string what = "option " + std::to_string(o) + " step " + std::to_string(step) + " v " +
                                 std::to_string(v);
        const TableGreeks itm = table_greeks(view, o, opt.strike * std::exp(sign * 3.0), v, step);
        const TableGreeks otm = table_greeks(view, o, opt.strike * std::exp(-sign * 3.0), v, step);
        EXPECT_TRUE(near(what + " deep ITM delta", itm.delta, sign * carry, 1e-6));
        EXPECT_TRUE(near(what + " deep OTM delta", otm.delta, 0.0, 1e-6));
        EXPECT_TRUE(near(what + " deep ITM gamma·S", itm.gamma * opt.strike, 0.0, 1e-6));
      }
    }
    // At and after expiry: the intrinsic delta, as black_scholes_linear at τ = 0.
    for (std::uint32_t step : {opt.expiry_step, opt.expiry_step + 5}) {
      EXPECT_EQ(table_delta(view, o, opt.strike * 1.01, 0.36, step), opt.type == OptionType::call ? 1.0 : 0.0);
      EXPECT_EQ(table_delta(view, o, opt.strike * 0.99, 0.36, step), opt.type == OptionType::call ? 0.0 : -1.0);
      EXPECT_EQ(table_gamma(view, o, opt.strike * 1.01, 0.36, step), 0.0);
    }
  }
}

TEST_F(TableShape, VarianceOutsideTheAxisIsClamped) {
  const DeltaTableView view = table_->view();
  const double v_max = table_->variance_max();
  EXPECT_TRUE(near("v_max = max(5θ, 3v0)", v_max, 5 * 0.36, 1e-12));
  EXPECT_EQ(table_delta(view, 0, 66000, -0.01, 100), table_delta(view, 0, 66000, 0.0, 100));
  EXPECT_EQ(table_delta(view, 0, 66000, 4 * v_max, 100), table_delta(view, 0, 66000, v_max, 100));
}

TEST(DeltaTable, BlackScholesLimitAsVolOfVolVanishes) {
  // ξ → 0: the variance is deterministic, v_s = θ + (v − θ)e^{−κs}, and the price is Black–Scholes at
  // the mean variance to expiry.
  ModelParams model = btc(ModelType::heston);
  model.xi = 1e-4;
  const DeltaTable table(model, kBook, kDt);
  const DeltaTableView view = table.view();
  double worst = 0;
  for (unsigned o : {0u, 1u, 2u}) {
    const DeltaTableOption& opt = kBook[o];
    for (std::uint32_t step : {0u, opt.expiry_step / 3, opt.expiry_step - 2, opt.expiry_step - 1}) {
      const double tau = (opt.expiry_step - step) * kDt;
      for (double v : {0.02, 0.36, 1.2}) {
        const double kt = model.kappa * tau;
        const double mean_var = model.theta + (v - model.theta) * -std::expm1(-kt) / kt;
        for (double z : {-2.0, -0.5, 0.0, 1.0, 2.5}) {
          const double spot = opt.strike * std::exp(z * std::sqrt(mean_var * tau));
          const Greeks<double> bs =
              black_scholes_linear(opt.type, spot, opt.strike, tau, model.rate, model.dividend, std::sqrt(mean_var));
          const TableGreeks g = table_greeks(view, o, spot, v, step);
          const std::string what = "option " + std::to_string(o) + " step " + std::to_string(step) + " v " +
                                   std::to_string(v) + " z " + std::to_string(z);
          EXPECT_TRUE(near(what + " delta", g.delta, bs.delta, 2e-4));
          worst = std::max(worst, std::fabs(g.delta - bs.delta));
        }
      }
    }
  }
  std::printf("  heston xi=1e-4 vs Black-Scholes at the mean variance: max |delta error| %.2e\n", worst);

  // The gbm model itself: Black–Scholes at model.vol whatever the variance argument.
  ModelParams gbm;
  gbm.type = ModelType::gbm;
  gbm.spot = 65000;
  gbm.rate = 0.03;
  gbm.dividend = 0.01;
  gbm.vol = 0.6;
  const DeltaTable gbm_table(gbm, kBook, kDt);
  for (double spot : {55000.0, 65000.0, 72000.0}) {
    const Greeks<double> bs = black_scholes_linear(OptionType::call, spot, 70000.0, 400 * kDt, 0.03, 0.01, 0.6);
    EXPECT_TRUE(near("gbm delta S=" + std::to_string(spot), table_delta(gbm_table.view(), 0, spot, 7.0, 320), bs.delta, 1e-5));
    EXPECT_TRUE(near("gbm gamma·S S=" + std::to_string(spot), table_gamma(gbm_table.view(), 0, spot, 0.0, 320) * spot,
                     bs.gamma * spot, 1e-3));
  }
}

// ---- Interface.

TEST(DeltaTable, ViewIsPlainDataOverOneBuffer) {
  static_assert(std::is_trivially_copyable_v<DeltaTableView>);
  static_assert(std::is_standard_layout_v<DeltaTableView>);
  const DeltaTable table(btc(ModelType::heston), kBook, kDt);
  const DeltaTableView view = table.view();
  EXPECT_EQ(view.data, table.buffer().data());
  EXPECT_EQ(table.buffer().size(),
            4 * kBook.size() + std::size_t{2} * view.n_time * view.n_var * view.n_z);
  // A copy of the buffer elsewhere (as on a device) gives the same numbers through view(pointer).
  const std::vector<double> copy(table.buffer().begin(), table.buffer().end());
  const DeltaTableView moved = table.view(copy.data());
  EXPECT_EQ(moved.data, copy.data());
  EXPECT_EQ(table_delta(moved, 1, 61000, 0.3, 17), table_delta(view, 1, 61000, 0.3, 17));
  // The first time slice is exactly one step before expiry, the last at the last expiry.
  EXPECT_EQ(view.n_time, 32u);
  EXPECT_NEAR(1.0 + (view.n_time - 1) / view.inv_du, std::sqrt(720.0), 1e-12);
}

TEST(DeltaTable, ConstructsFromTheHedgeParameters) {
  HedgeParams hp{};
  hp.dt = kDt;
  hp.n_options = 2;
  hp.options[0] = BookOption{OptionType::put, Settlement::linear, 60000, -3, 240, 0};
  hp.options[1] = BookOption{OptionType::call, Settlement::inverse, 70000, 2, 720, 0};
  const ModelParams model = btc(ModelType::heston);
  const DeltaTable from_hp(model, hp);
  const std::vector<DeltaTableOption> book = {{OptionType::put, 60000, 240}, {OptionType::call, 70000, 720}};
  const DeltaTable from_list(model, book, kDt);
  ASSERT_EQ(from_hp.buffer().size(), from_list.buffer().size());
  EXPECT_TRUE(std::equal(from_hp.buffer().begin(), from_hp.buffer().end(), from_list.buffer().begin()));
}

TEST(DeltaTable, RejectsInvalidInput) {
  const ModelParams model = btc(ModelType::bates);
  EXPECT_THROW(DeltaTable(model, std::vector<DeltaTableOption>{}, kDt), InputError);
  EXPECT_THROW(DeltaTable(model, std::vector<DeltaTableOption>{{OptionType::call, -1, 10}}, kDt), InputError);
  EXPECT_THROW(DeltaTable(model, std::vector<DeltaTableOption>{{OptionType::call, 100, 0}}, kDt), InputError);
  EXPECT_THROW(DeltaTable(model, kBook, 0.0), InputError);
  DeltaTableResolution one_variance;
  one_variance.variance_nodes = 1;
  EXPECT_THROW(DeltaTable(model, kBook, kDt, one_variance), InputError);
  ModelParams bad = model;
  bad.kappa = -1;
  EXPECT_THROW(DeltaTable(bad, kBook, kDt), InputError);
}

}  // namespace
}  // namespace hedgesim
