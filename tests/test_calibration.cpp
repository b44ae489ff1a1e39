// Calibration (include/hedgesim/calibration): the chain reader's messages, the fast smile pricer
// against the reference closed form, parameter recovery from synthetic chains priced with that closed
// form (exact, and with noise whose tolerance comes from the fit's standard errors), the fit of a
// committed real snapshot excerpt, and the model: block parsing as a run config.
#include <gtest/gtest.h>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "check.hpp"
#include "csv_rows.hpp"
#include "input_error.hpp"
#include "hedgesim/backtest/utc_time.hpp"
#include "hedgesim/calibration/chain.hpp"
#include "hedgesim/calibration/fit.hpp"
#include "hedgesim/calibration/implied_vol.hpp"
#include "hedgesim/calibration/smile_pricer.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/pricing/analytic.hpp"

namespace hs = hedgesim;
using hedgesim::test::input_error;
using hedgesim::test::near;

namespace {

/// Bates RMSE on the committed excerpt, vol points (see FitsRealSnapshotExcerpt).
constexpr double kExcerptBatesRmse = 0.8;

std::filesystem::path source_dir() {
  if (const char* root = std::getenv("HEDGESIM_SOURCE_DIR")) return root;
  for (auto dir = std::filesystem::current_path(); !dir.empty(); dir = dir.parent_path()) {
    if (std::filesystem::exists(dir / "tests" / "data")) return dir;
    if (dir == dir.parent_path()) break;
  }
  return ".";
}

hs::ModelParams heston() {
  hs::ModelParams m;
  m.type = hs::ModelType::heston;
  m.spot = 1.0;
  m.v0 = 0.30;
  m.kappa = 3.0;
  m.theta = 0.25;
  m.xi = 2.0;
  m.rho = -0.3;
  return m;
}

hs::ModelParams bates() {
  hs::ModelParams m = heston();
  m.type = hs::ModelType::bates;
  m.jump_intensity = 0.5;
  m.jump_mean = -0.15;
  m.jump_stdev = 0.2;
  return m;
}

hs::ModelParams svcj() {
  hs::ModelParams m = bates();
  m.type = hs::ModelType::svcj;
  m.var_jump_mean = 0.1;
  m.jump_rho = -0.5;
  return m;
}

constexpr char kHeader[] =
    "timestamp,instrument_name,underlying,underlying_name,option_type,strike,expiry_datetime,time_to_maturity,"
    "bid_price,ask_price,mark_price,mid_price,futures_price,futures_instrument_name,implied_volatility,delta,vega,"
    "open_interest,volume,bid_ask_spread,currency,index_price,volume_usd";

constexpr double kSyntheticDays[] = {10, 30, 60, 120, 240};
constexpr double kForward = 70000.0;
constexpr std::int64_t kSyntheticTime = 1767225600;  ///< 2026-01-01T00:00:00Z, the synthetic chains' timestamp

/// A chain in the Deribit layout priced by the reference closed form (analytic_prices), out-of-the-money
/// strikes from K/F = 0.7 to 1.4, with market vols perturbed by `noise_vol` × N(0,1) (then priced back, so
/// mark price and mark IV agree) and a 2% bid-ask around the mark.
std::string synthetic_chain(const hs::ModelParams& m, double noise_vol, unsigned seed = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::string csv = std::string(kHeader) + "\n";
  for (double days : kSyntheticDays) {
    const double tau = days / hs::kDaysPerYear;
    std::vector<double> x;
    std::vector<hs::OptionType> types;
    for (int i = 0; i <= 14; ++i) {
      x.push_back(0.7 * std::pow(2.0, i / 14.0));
      types.push_back(x.back() < 1.0 ? hs::OptionType::put : hs::OptionType::call);
    }
    const std::vector<double> p = hs::analytic_prices(m, tau, types, x);
    const std::string expiry = hs::format_utc(kSyntheticTime + static_cast<std::int64_t>(days) * 86400);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double iv = hs::implied_vol(types[i], x[i], tau, p[i]) + noise_vol * normal(rng);
      const double mark = hs::black_normalised(types[i], x[i], tau, iv);
      const bool call = types[i] == hs::OptionType::call;
      csv += fmt::format("{},BTC-SYN-{}-{}-{},{},SYN,{},{},{},{},{},{},{},{},{},SYN,{},0,0,0,0,0,BTC,{},0\n",
                         hs::format_utc(kSyntheticTime), days, i, call ? 'C' : 'P', kForward, call ? "call" : "put",
                         x[i] * kForward, expiry, tau * 365.0 / 365.25, mark * 0.98, mark * 1.02, mark, mark, kForward, iv, kForward * 0.999);
    }
  }
  return csv;
}

/// A row of kHeader that select_options keeps: an out-of-the-money call, K/F = 1.14, 36.5 days, two-sided.
/// Its time_to_maturity, 0.1 (ACT/365.25), is exactly expiry_datetime − timestamp.
constexpr char kGoodRow[] =
    "2026-01-01T00:00:00+00:00,BTC-X-1-C,70000,BTC-X,call,80000,2026-02-06T12:36:00+00:00,0.1,0.01,0.011,0.0105,0.0105,"
    "70000,BTC-X,0.5,0.3,10,1,1,0.001,BTC,69900,0";

/// `row` with the field under header column `column` set to `value`.
std::string with_field(const std::string& row, const std::string& column, const std::string& value) {
  return hs::test::with_fields(kHeader, row, {{column, value}});
}

hs::Selection select_all(const std::string& csv) {
  hs::SelectionSpec s;
  s.min_days = 1;
  s.max_days = 400;
  return hs::select_options(hs::parse_chain(csv, "synthetic"), s);
}

double param(const hs::FitResult& r, const std::string& name) {
  for (const auto& p : r.params)
    if (p.name == name) return p.value;
  ADD_FAILURE() << "no parameter " << name;
  return NAN;
}

}  // namespace

TEST(CalibrationImpliedVol, RoundTripsAcrossStrikesAndMaturities) {
  for (double tau : {2.0 / 365, 0.1, 1.0})
    for (double x : {0.5, 0.9, 1.0, 1.2, 2.5})
      for (double sigma : {0.1, 0.6, 2.0}) {
        const auto type = x < 1.0 ? hs::OptionType::put : hs::OptionType::call;
        const double p = hs::black_normalised(type, x, tau, sigma);
        if (p < 1e-14) continue;  // no information left in the price
        EXPECT_TRUE(near(fmt::format("iv x={} T={}", x, tau), hs::implied_vol(type, x, tau, p), sigma, 1e-8 * sigma / std::sqrt(p)));
      }
  EXPECT_TRUE(std::isnan(hs::implied_vol(hs::OptionType::call, 0.9, 0.5, 0.05)));  // below intrinsic 0.1
  EXPECT_TRUE(std::isnan(hs::implied_vol(hs::OptionType::call, 0.9, 0.5, 1.01)));  // above the forward
}

// The fixed grid must reproduce the adaptive reference pricer wherever the fit goes: the models of
// the synthetic tests and the extreme ones real BTC fits reach (xi up to ~10, kappa ~30).
TEST(CalibrationSmilePricer, MatchesReferencePricer) {
  hs::ModelParams wild = bates();
  wild.v0 = 0.4;
  wild.kappa = 30;
  wild.theta = 0.23;
  wild.xi = 9.0;
  wild.jump_intensity = 0.08;
  wild.jump_mean = -1.0;
  wild.jump_stdev = 1.0;
  for (const hs::ModelParams& m : {heston(), bates(), svcj(), wild}) {
    std::vector<hs::SmileExpiry> expiries;
    std::vector<hs::SmileQuote> quotes;
    for (double days : {7.0, 30.0, 120.0, 365.0}) {
      expiries.push_back({days / hs::kDaysPerYear, 0.5 * 0.4});
      for (double x = 0.5; x <= 2.0; x *= 1.05)
        quotes.push_back({expiries.size() - 1, x < 1 ? hs::OptionType::put : hs::OptionType::call, x});
    }
    const hs::SmilePricer pricer(expiries, quotes);
    std::vector<double> fast(quotes.size());
    pricer.prices(m, fast);
    for (std::size_t q = 0; q < quotes.size(); ++q) {
      const hs::OptionType t[] = {quotes[q].type};
      const double k[] = {quotes[q].moneyness};
      const double ref = hs::analytic_prices(m, expiries[quotes[q].expiry].maturity, t, k)[0];
      ASSERT_TRUE(near(fmt::format("{} T={} x={:.3f}", hs::to_string(m.type), expiries[quotes[q].expiry].maturity,
                                   quotes[q].moneyness), fast[q], ref, 1e-9));
    }
  }
}

TEST(CalibrationChain, MessagesNameFileLineAndColumn) {
  const std::string good_row = kGoodRow;
  EXPECT_NE(input_error([] { hs::parse_chain("", "empty.csv"); }).find("empty.csv line 1: the file is empty"), std::string::npos);
  std::string missing = kHeader;
  missing.replace(missing.find("strike,"), 7, "");
  EXPECT_NE(input_error([&] { hs::parse_chain(missing + "\n", "m.csv"); }).find("m.csv line 1: missing column 'strike'"),
            std::string::npos);
  std::string bad = good_row;
  bad.replace(bad.find(",80000,"), 7, ",80k00,");
  const std::string msg = input_error([&] { hs::parse_chain(std::string(kHeader) + "\n" + good_row + "\n" + bad + "\n", "b.csv"); });
  EXPECT_NE(msg.find("b.csv line 3, column strike = '80k00'"), std::string::npos) << msg;
  const std::string short_row = input_error([&] { hs::parse_chain(std::string(kHeader) + "\n" + "1,2,3\n", "s.csv"); });
  EXPECT_NE(short_row.find("s.csv line 2: 3 fields, the header has 23"), std::string::npos) << short_row;
  const hs::Chain c = hs::parse_chain(std::string(kHeader) + "\r\n" + good_row + "\r\n", "crlf.csv");
  ASSERT_EQ(c.quotes.size(), 1u);
  EXPECT_EQ(c.quotes[0].line, 2u);
  EXPECT_TRUE(near("ACT/365 maturity", c.quotes[0].maturity, 0.1 * 365.25 / 365.0, 1e-15));
  EXPECT_NE(input_error([] { hs::read_chain("/nonexistent/chain.csv"); }).find("cannot open"), std::string::npos);
}

// A row that cannot be a quote means the file is broken: rejected with file, line, column, value and
// the rule (chain.hpp), never read as 0 or dropped unseen.
TEST(CalibrationChain, BrokenRowsAreRejectedNamingFileLineColumnAndRule) {
  struct Case {
    const char* column;
    const char* value;
    const char* rule;
  };
  const Case cases[] = {
      {"timestamp", "yesterday", "expected a UTC time"},
      {"timestamp", "2026-01-01 00:00:00", "expected a UTC time"},  // no zone
      {"expiry_datetime", "2026-02-31T08:00:00+00:00", "expected a UTC time"},
      {"expiry_datetime", "27MAR26", "expected a UTC time"},
      {"time_to_maturity", "0.5", "contradicts expiry_datetime - timestamp = 0.1 years"},
      {"time_to_maturity", "0.1000684931506849", "contradicts expiry_datetime - timestamp = 0.1 years"},  // ACT/365
      {"underlying", "0", "must be > 0 (USD: the expiry's forward)"},
      {"underlying", "-70000", "must be > 0 (USD: the expiry's forward)"},
      {"underlying", "", "expected a number, the field is empty"},
      {"implied_volatility", "0", "must be > 0 (the mark's implied vol"},
      {"implied_volatility", "-0.5", "must be > 0 (the mark's implied vol"},
      {"implied_volatility", "inf", "expected a finite number"},
      {"index_price", "0", "must be > 0 (USD: the spot index"},
      {"mark_price", "-0.01", "must be >= 0"},
      {"bid_price", "-0.01", "must be >= 0"},
  };
  for (const Case& c : cases) {
    const std::string csv = std::string(kHeader) + "\n" + kGoodRow + "\n" + with_field(kGoodRow, c.column, c.value) + "\n";
    const std::string msg = input_error([&] { hs::parse_chain(csv, "b.csv"); });
    const std::string where = fmt::format("b.csv line 3, column {} = '{}': {}", c.column, c.value, c.rule);
    EXPECT_NE(msg.find(where), std::string::npos) << "expected '" << where << "' in: " << msg;
  }
  // Within a minute of expiry_datetime − timestamp is agreement (times are read to the second).
  EXPECT_EQ(hs::parse_chain(std::string(kHeader) + "\n" + with_field(kGoodRow, "time_to_maturity", "0.1000015") + "\n",
                            "ok.csv").quotes.size(), 1u);
  // Empty index, bid, mark or IV: no such quote, not an error.
  for (const char* column : {"index_price", "bid_price", "mark_price", "implied_volatility"})
    EXPECT_EQ(hs::parse_chain(std::string(kHeader) + "\n" + with_field(kGoodRow, column, "") + "\n", "ok.csv").quotes.size(),
              1u) << column;
}

// A quote the fit cannot use is dropped and counted under its reason: no mark, or a mark IV above
// kMaxMarkIv (5 = 500%), however large (1e200 once reached the fit and crashed it).
TEST(CalibrationChain, ImplausibleAndMissingMarksAreDroppedAndCounted) {
  struct Case {
    const char* column;
    const char* value;
    hs::DropReason reason;
  };
  const Case cases[] = {
      {"implied_volatility", "1e200", hs::DropReason::implausible_iv},
      {"implied_volatility", "50", hs::DropReason::implausible_iv},
      {"implied_volatility", "5.0001", hs::DropReason::implausible_iv},
      {"implied_volatility", "", hs::DropReason::no_mark},
      {"mark_price", "0", hs::DropReason::no_mark},
      {"mark_price", "", hs::DropReason::no_mark},
  };
  hs::SelectionSpec spec;
  spec.min_days = 1;
  for (const Case& c : cases) {
    const std::string csv =
        std::string(kHeader) + "\n" + kGoodRow + "\n" + with_field(kGoodRow, c.column, c.value) + "\n";
    const hs::Selection sel = hs::select_options(hs::parse_chain(csv, "d.csv"), spec);
    EXPECT_EQ(sel.options.size(), 1u) << c.column << " = " << c.value;
    EXPECT_EQ(sel.dropped[static_cast<std::size_t>(c.reason)], 1u)
        << c.column << " = " << c.value << " not counted as " << hs::to_string(c.reason);
  }
  const std::string at_bound = std::string(kHeader) + "\n" + with_field(kGoodRow, "implied_volatility", "5") + "\n";
  EXPECT_EQ(hs::select_options(hs::parse_chain(at_bound, "d.csv"), spec).options.size(), 1u);
}

TEST(CalibrationChain, SelectionCountsEveryDroppedRow) {
  const hs::Chain chain = hs::read_chain((source_dir() / "tests/data/deribit_btc_20260302T093957Z_excerpt.csv").string());
  const hs::Selection sel = hs::select_options(chain, {});
  std::size_t dropped = 0;
  for (std::size_t d : sel.dropped) dropped += d;
  EXPECT_EQ(sel.options.size() + dropped, sel.rows);
  EXPECT_EQ(sel.rows, 380u);
  EXPECT_EQ(sel.dropped[static_cast<std::size_t>(hs::DropReason::currency)], 3u);       // the 3 ETH rows
  EXPECT_EQ(sel.dropped[static_cast<std::size_t>(hs::DropReason::expiry_window)], 3u);  // the 3 one-day rows
  EXPECT_EQ(sel.dropped[static_cast<std::size_t>(hs::DropReason::implausible_iv)], 0u);  // highest mark IV 1.61
  EXPECT_EQ(sel.expiries.size(), 4u);
  for (const hs::MarketOption& o : sel.options) {
    EXPECT_TRUE(o.type == hs::OptionType::call ? o.strike >= o.forward : o.strike < o.forward) << o.instrument;
    EXPECT_GT(o.bid, 0.0) << o.instrument;
    EXPECT_LE(o.bid, o.price) << o.instrument;
  }
  EXPECT_NE(input_error([&] { hs::select_options(chain, {"SOL", 7, 365, 0, 10}); }).find("no SOL option left"), std::string::npos);
  EXPECT_NE(input_error([&] { hs::select_options(chain, {"BTC", 30, 7, 0, 10}); }).find("--min-days"), std::string::npos);
}

// Without noise the fit must land on the parameters the chain was priced with: the only error left is
// the fast pricer's (1e-9 in price) and LM's stopping tolerance.
TEST(Calibration, RecoversParametersWithoutNoise) {
  for (const hs::ModelParams& truth : {heston(), bates(), svcj()}) {
    const hs::Selection sel = select_all(synthetic_chain(truth, 0.0));
    hs::FitSpec spec;
    spec.model = truth.type;
    spec.starts = 4;
    const hs::FitResult r = hs::calibrate(sel, spec);
    const std::string m = hs::to_string(truth.type);
    // Measured errors are about 1e-9 relative (the fast pricer's 1e-9 price error and LM's stopping rule).
    const double rel = 1e-6;
    EXPECT_TRUE(near(m + " rmse (vol)", r.rmse_vol, 0.0, 1e-8));
    for (const auto& p : r.params) {
      double hs::ModelParams::*field = nullptr;
      for (auto [name, f] : {std::pair{"v0", &hs::ModelParams::v0}, {"kappa", &hs::ModelParams::kappa},
                             {"theta", &hs::ModelParams::theta}, {"xi", &hs::ModelParams::xi},
                             {"rho", &hs::ModelParams::rho}, {"jump_intensity", &hs::ModelParams::jump_intensity},
                             {"jump_mean", &hs::ModelParams::jump_mean}, {"jump_stdev", &hs::ModelParams::jump_stdev},
                             {"var_jump_mean", &hs::ModelParams::var_jump_mean}, {"jump_rho", &hs::ModelParams::jump_rho}})
        if (p.name == name) field = f;
      ASSERT_NE(field, nullptr) << p.name;
      const double want = truth.*field;
      EXPECT_TRUE(near(m + " " + p.name, p.value, want, rel * std::max(1.0, std::fabs(want))));
    }
    EXPECT_TRUE(near(m + " Feller", r.feller, 2 * truth.kappa * truth.theta / (truth.xi * truth.xi), 1e-5));
    EXPECT_LT(r.pricer_check, 1e-6);
  }
}

// Every objective (vol or price space; none, vega or spread weights) is zero at the truth of an exact
// chain, so each must find it; this catches a weight or residual that points the fit elsewhere.
TEST(Calibration, EveryObjectiveRecoversHeston) {
  const hs::ModelParams truth = heston();
  const hs::Selection sel = select_all(synthetic_chain(truth, 0.0));
  for (hs::FitSpace space : {hs::FitSpace::vol, hs::FitSpace::price})
    for (hs::FitWeights w : {hs::FitWeights::none, hs::FitWeights::vega, hs::FitWeights::spread}) {
      hs::FitSpec spec;
      spec.model = hs::ModelType::heston;
      spec.space = space;
      spec.weights = w;
      spec.starts = 2;
      const hs::FitResult r = hs::calibrate(sel, spec);
      const std::string what = fmt::format("{} space, {} weights", hs::to_string(space), hs::to_string(w));
      EXPECT_TRUE(near(what + " rmse", r.rmse_vol, 0.0, 1e-6));
      EXPECT_TRUE(near(what + " xi", param(r, "xi"), truth.xi, 1e-4 * truth.xi));
      EXPECT_TRUE(near(what + " rho", param(r, "rho"), truth.rho, 1e-4));
      double mean_w = 0.0;
      for (double x : r.weight) mean_w += x / double(r.weight.size());
      EXPECT_TRUE(near(what + " mean weight", mean_w, 1.0, 1e-12));
    }
}

// With noise of σ_n vol points on every quote, the least-squares estimate has covariance
// σ_n² (JᵀJ)⁻¹ to first order (J = ∂σ_model/∂θ at the truth). Each parameter must lie within 4 of those
// standard errors of the truth; the residual RMSE must be σ_n √((n − p)/n) within 4 of its own standard
// error σ_n/√(2n) (chi-square with n − p degrees of freedom).
TEST(Calibration, RecoversHestonWithNoiseWithinStandardErrors) {
  const hs::ModelParams truth = heston();
  const double noise = 0.005;  // half a vol point
  const hs::Selection sel = select_all(synthetic_chain(truth, noise, 7));
  const std::size_t n = sel.options.size();
  hs::FitSpec spec;
  spec.model = hs::ModelType::heston;
  const hs::FitResult r = hs::calibrate(sel, spec);

  std::vector<hs::SmileExpiry> expiries;
  for (const hs::Expiry& e : sel.expiries) expiries.push_back({e.maturity, 0.2});
  std::vector<hs::SmileQuote> quotes;
  for (const hs::MarketOption& o : sel.options) quotes.push_back({o.expiry_index, o.type, o.strike / o.forward});
  const hs::SmilePricer pricer(expiries, quotes);
  double hs::ModelParams::*fields[] = {&hs::ModelParams::v0, &hs::ModelParams::kappa, &hs::ModelParams::theta,
                                       &hs::ModelParams::xi, &hs::ModelParams::rho};
  const char* names[] = {"v0", "kappa", "theta", "xi", "rho"};
  const auto vols = [&](const hs::ModelParams& m) {
    std::vector<double> p(n), v(n);
    pricer.prices(m, p);
    for (std::size_t j = 0; j < n; ++j)
      v[j] = hs::implied_vol(sel.options[j].type, quotes[j].moneyness, sel.options[j].maturity, p[j]);
    return v;
  };
  Eigen::MatrixXd jac(n, 5);
  for (int i = 0; i < 5; ++i) {
    hs::ModelParams up = truth, down = truth;
    const double h = 1e-5 * std::max(1.0, std::fabs(truth.*fields[i]));
    up.*fields[i] += h;
    down.*fields[i] -= h;
    const auto vu = vols(up), vd = vols(down);
    for (std::size_t j = 0; j < n; ++j) jac(static_cast<Eigen::Index>(j), i) = (vu[j] - vd[j]) / (2 * h);
  }
  const Eigen::MatrixXd cov = noise * noise * (jac.transpose() * jac).inverse();
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(near(names[i], param(r, names[i]), truth.*fields[i], 4.0 * std::sqrt(cov(i, i))));
  const double expected_rmse = noise * std::sqrt(double(n - 5) / double(n));
  EXPECT_TRUE(near("rmse", r.rmse_vol, expected_rmse, 4.0 * noise / std::sqrt(2.0 * double(n))));
}

// The committed excerpt of a real snapshot (tests/data/README.md): 4 BTC expiries from 11 to 207 days.
// Bates fits it to 0.72 vol points RMSE (132 options) (measured; see results/calibration.md for whole snapshots);
// the bound leaves room for other compilers' rounding and start order, not for a worse fit.
TEST(Calibration, FitsRealSnapshotExcerpt) {
  const hs::Chain chain = hs::read_chain((source_dir() / "tests/data/deribit_btc_20260302T093957Z_excerpt.csv").string());
  const hs::Selection sel = hs::select_options(chain, {});
  hs::FitSpec spec;
  spec.model = hs::ModelType::bates;
  const hs::FitResult r = hs::calibrate(sel, spec);
  std::printf("excerpt: %zu options, bates rmse %.3f vp, max %.3f vp, %.2f s\n", sel.options.size(),
              100 * r.rmse_vol, 100 * r.max_abs_vol, r.fit_seconds);
  EXPECT_LE(100 * r.rmse_vol, kExcerptBatesRmse);
  EXPECT_LT(r.pricer_check, 1e-5);
  hs::FitSpec gbm = spec;
  gbm.model = hs::ModelType::gbm;
  EXPECT_GT(hs::calibrate(sel, gbm).rmse_vol, 3 * r.rmse_vol);  // the smile is real: GBM cannot fit it
}

// When no start reaches a finite objective there is no optimum to report: a RuntimeFailure saying what
// was tried and naming the row whose residual broke (this once indexed an empty vector and crashed).
TEST(Calibration, NoFiniteStartIsARuntimeFailureNamingTheRow) {
  const hs::Chain chain = hs::read_chain((source_dir() / "tests/data/deribit_btc_20260302T093957Z_excerpt.csv").string());
  const hs::Selection good = hs::select_options(chain, {});
  struct Case {
    hs::FitSpace space;
    double hs::MarketOption::*field;
  };
  // A mark IV or mark price of 1e200 gives a residual whose square overflows at every start.
  for (const Case c : {Case{hs::FitSpace::vol, &hs::MarketOption::iv}, Case{hs::FitSpace::price, &hs::MarketOption::price}}) {
    hs::Selection sel = good;
    hs::MarketOption& bad = sel.options[5];
    bad.*c.field = 1e200;
    hs::FitSpec spec;
    spec.model = hs::ModelType::heston;
    spec.space = c.space;
    spec.starts = 2;
    std::string msg;
    try {
      hs::calibrate(sel, spec);
    } catch (const hs::RuntimeFailure& e) {
      msg = e.what();
    }
    for (const std::string& want : {std::string("no start reached a finite objective: 2 Levenberg-Marquardt start(s) of heston in ") +
                                        hs::to_string(c.space) + " space",
                                    std::string("ended at objective inf, inf"),
                                    fmt::format("1 of {} options have a residual whose square is not finite", sel.options.size()),
                                    fmt::format("line {} {}", bad.line, bad.instrument)})
      EXPECT_NE(msg.find(want), std::string::npos) << "expected '" << want << "' in: " << msg;
  }
}

// A fit can succeed and its reported errors still not be finite: in price space a mark IV of 1e200
// leaves the objective alone but makes that option's vol error -1e200, whose square overflows the RMSE.
// A RuntimeFailure naming the row, not an inf RMSE returned as a result.
TEST(Calibration, NonFiniteReportedErrorIsARuntimeFailureNamingTheRow) {
  const hs::Chain chain = hs::read_chain((source_dir() / "tests/data/deribit_btc_20260302T093957Z_excerpt.csv").string());
  hs::Selection sel = hs::select_options(chain, {});
  hs::MarketOption& bad = sel.options[5];
  bad.iv = 1e200;
  hs::FitSpec spec;
  spec.model = hs::ModelType::gbm;
  spec.space = hs::FitSpace::price;
  spec.starts = 1;
  std::string msg;
  try {
    hs::calibrate(sel, spec);
  } catch (const hs::RuntimeFailure& e) {
    msg = e.what();
  }
  const std::string want = fmt::format("the gbm fit's vol error is not finite at the best start's parameters (repriced "
                                       "with the reference pricer), first at line {} {}",
                                       bad.line, bad.instrument);
  EXPECT_NE(msg.find(want), std::string::npos) << "expected '" << want << "' in: " << msg;
}

// The printed model: block drops into a run config and parses back to the same numbers.
TEST(Calibration, ModelBlockParsesAsRunConfig) {
  for (const hs::ModelParams& base : {heston(), bates(), svcj()}) {
    hs::ModelParams m = base;
    m.spot = 66382.44;
    m.rate = 0.033;
    const std::string yaml = "simulation: {paths: 1000}\n" + hs::model_yaml(m) +
                             "book:\n  - {type: call, strike: 70000, expiry_days: 30}\n";
    const hs::RunSpec spec = hs::parse_config(yaml, "<calibrated>");
    EXPECT_EQ(spec.model.type, m.type);
    EXPECT_DOUBLE_EQ(spec.model.spot, m.spot);
    EXPECT_NEAR(spec.model.rate, m.rate, 1e-12);
    EXPECT_NEAR(spec.model.v0, m.v0, 1e-10);
    EXPECT_NEAR(spec.model.xi, m.xi, 1e-10);
    EXPECT_NEAR(spec.model.jump_stdev, m.jump_stdev, 1e-10);
    EXPECT_NEAR(spec.model.jump_rho, m.jump_rho, 1e-10);
  }
}

// Reasons to distrust a fit (issue 15): a parameter on its bound, a Feller ratio near zero, huge jumps,
// or small frequent jumps standing in for diffusion each give one warning naming the value; a fit
// inside its box with plausible values gives none.
TEST(FitWarnings, NameEachImplausibleValue) {
  hs::FitResult fit;
  fit.model.type = hs::ModelType::bates;
  fit.model.jump_intensity = 1.0;
  fit.model.jump_mean = -0.05;
  fit.model.jump_stdev = 0.15;
  fit.params = {{"kappa", 2.0, 0.05, 50.0}, {"rho", -0.6, -0.99, 0.99}};
  fit.feller = 0.8;
  EXPECT_TRUE(hs::fit_warnings(fit).empty());

  fit.params[1].value = -0.99;  // on the lower bound
  fit.feller = 0.05;
  fit.model.jump_mean = -0.7;
  std::vector<std::string> w = hs::fit_warnings(fit);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NE(w[0].find("rho = -0.99 is at its bound"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("Feller ratio"), std::string::npos) << w[1];
  EXPECT_NE(w[2].find("jumps of mean -0.7"), std::string::npos) << w[2];

  fit.params[1].value = -0.6;
  fit.feller = 0.8;
  fit.model.jump_mean = 0.001;
  fit.model.jump_stdev = 0.005;
  fit.model.jump_intensity = 40.0;
  w = hs::fit_warnings(fit);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("diffusion in disguise"), std::string::npos) << w[0];

  // Heston: no jump checks; GBM: bounds only.
  fit.model.type = hs::ModelType::heston;
  EXPECT_TRUE(hs::fit_warnings(fit).empty());
  fit.model.type = hs::ModelType::gbm;
  fit.feller = 0.0;
  EXPECT_TRUE(hs::fit_warnings(fit).empty());
}
