// The SVI volatility surface (issue 13): raw SVI against hand values, the interpolation in total
// variance and its extrapolation rules, the smile derivatives and the marks' total greeks against finite
// differences, the sign of sticky-delta vs sticky-strike hedge ratios on a negative skew, the fit
// (recovery of known parameters, the shipped Deribit chain within a stated vol error, both arbitrage
// checks), the surface file (bit-exact round trip, bad input), a flat surface against one implied vol
// (premiums, hedges, marks, hedge options, close-out and attribution), and the hedging consequence the
// literature predicts in a Heston market with ρ < 0 (docs/hedging.md "Volatility surface").
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "check.hpp"
#include "hedge_cases.hpp"
#include "hedgesim/calibration/chain.hpp"
#include "hedgesim/calibration/implied_vol.hpp"
#include "hedgesim/calibration/svi_fit.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/option_vol.hpp"
#include "hedgesim/io/surface_file.hpp"
#include "hedgesim/pricing/analytic.hpp"
#include "hedgesim/pricing/black_scholes.hpp"
#include "input_error.hpp"

namespace hedgesim {
namespace {

using test::input_error;
using test::near;

std::filesystem::path source_dir() {
  if (const char* root = std::getenv("HEDGESIM_SOURCE_DIR")) return root;
  return ".";
}

/// A one-slice surface.
SviSurface one_slice(const SviSlice& s) {
  SviSurface surface;
  surface.n = 1;
  surface.slice[0] = s;
  return surface;
}

/// A negatively skewed two-slice surface at 7 and 30 days (vol about 60% at the money; w' < 0 for
/// k < m − ρσ/√(1 − ρ²), about 0.18 on both slices). kSkewedYaml is its file.
SviSurface skewed() {
  SviSurface s;
  s.n = 2;
  s.slice[0] = {7.0 / 365.0, 0.0045, 0.03, -0.9, 0.02, 0.08};
  s.slice[1] = {30.0 / 365.0, 0.022, 0.09, -0.8, 0.03, 0.12};
  return s;
}
const std::string kSkewedYaml =
    "format: hedgesim-svi-surface\n"
    "format_version: 1\n"
    "slices:\n"
    "  - {days: 7, a: 0.0045, b: 0.03, rho: -0.9, m: 0.02, sigma: 0.08}\n"
    "  - {days: 30, a: 0.022, b: 0.09, rho: -0.8, m: 0.03, sigma: 0.12}\n";

TEST(Svi, ValueMatchesHandComputation) {
  // a = 0.04, b = 0.4, ρ = −0.4, m = 0.1, σ = 0.2 at k = 0: x = −0.1, r = √0.05,
  // w = a + b(ρx + r), w' = b(ρ + x/r), w'' = bσ²/r³, g = (1 − kw'/2w)² − w'²/4·(1/w + 1/4) + w''/2.
  const SviSlice s{1.0, 0.04, 0.4, -0.4, 0.1, 0.2};
  const SviValue v0 = svi_value(s, 0.0);
  EXPECT_TRUE(near("w(0)", v0.w, 0.1454427190999916, 1e-15));
  EXPECT_TRUE(near("w'(0)", v0.dw, -0.33888543819998324, 1e-15));
  EXPECT_TRUE(near("w''(0)", v0.d2w, 1.4310835055998652, 1e-14));
  EXPECT_TRUE(near("g(0)", svi_butterfly_g(s, 0.0), 1.510961002937258, 1e-14));
  const SviValue v3 = svi_value(s, 0.3);
  EXPECT_TRUE(near("w(0.3)", v3.w, 0.1211370849898476, 1e-15));
  EXPECT_TRUE(near("w'(0.3)", v3.dw, 0.12284271247461898, 1e-15));
  EXPECT_TRUE(near("w''(0.3)", v3.d2w, 0.7071067811865477, 1e-14));
  EXPECT_TRUE(near("g(0.3)", svi_butterfly_g(s, 0.3), 1.0403811801412095, 1e-14));
}

TEST(Svi, InterpolatesTotalVarianceAndHoldsTheVolOutsideTheSlices) {
  const SviSurface s = skewed();
  const double t0 = s.slice[0].t, t1 = s.slice[1].t;
  for (double k : {-0.4, -0.05, 0.0, 0.2}) {
    const double w0 = svi_value(s.slice[0], k).w, w1 = svi_value(s.slice[1], k).w;
    const double tau = 0.25 * t0 + 0.75 * t1;
    EXPECT_TRUE(near(fmt::format("w(k = {}) between slices", k), svi_total_variance(s, tau, k), 0.25 * w0 + 0.75 * w1, 1e-16));
    // Before the first slice the first slice's vol √(w0/T0); after the last the last slice's.
    const double early = 0.3 * t0, late = 2.0 * t1;
    EXPECT_TRUE(near(fmt::format("vol(k = {}) before the first slice", k),
                     svi_vol(s, svi_time_weights(s, early), early, k).vol, std::sqrt(w0 / t0), 1e-14));
    EXPECT_TRUE(near(fmt::format("vol(k = {}) after the last slice", k),
                     svi_vol(s, svi_time_weights(s, late), late, k).vol, std::sqrt(w1 / t1), 1e-14));
    EXPECT_TRUE(near("w at the first slice", svi_total_variance(s, t0, k), w0, 1e-16));
    EXPECT_TRUE(near("w at the last slice", svi_total_variance(s, t1, k), w1, 1e-16));
  }
}

TEST(Svi, SmileDerivativesMatchFiniteDifferences) {
  const SviSurface s = skewed();
  const double tau = 12.0 / 365.0, h = 1e-5;
  const SviTimeWeights tw = svi_time_weights(s, tau);
  for (double k : {-0.3, 0.0, 0.15}) {
    const SmileVol v = svi_vol(s, tw, tau, k);
    const SmileVol up = svi_vol(s, tw, tau, k + h), dn = svi_vol(s, tw, tau, k - h);
    // Central differences: truncation error O(h^2) below 1e-6 here, rounding about 1e-11.
    EXPECT_TRUE(near(fmt::format("dvol/dk at {}", k), v.dvol, (up.vol - dn.vol) / (2 * h), 1e-6));
    EXPECT_TRUE(near(fmt::format("d2vol/dk2 at {}", k), v.d2vol, (up.dvol - dn.dvol) / (2 * h), 1e-5));
  }
}

/// The marks of a call struck at K on surface s (sticky delta or strike) at spot S = S0·e^{x}, τ left.
OptionMarks marks(const SviSurface& s, bool sticky_delta, double rate, double strike, double spot0, double spot,
                  double tau, OptionType type = OptionType::call) {
  const SurfaceOption o = surface_option(s, sticky_delta, rate, 0.0, std::log(spot0 / strike), tau);
  return surface_marks(s, o, type, strike, spot, std::log(spot / spot0));
}

TEST(SurfaceMarks, GreeksAreTheMarksTotalDerivatives) {
  // V(S, t) = BS(S, K, τ, σ(S, τ)): delta and gamma are dV/dS and d²V/dS² with σ moving (sticky delta),
  // theta is ∂V/∂t at fixed S with the surface rolled down; central differences in S (h = 1e-4·S) and
  // one-sided in t (1e-6 years), their truncation error far below the tolerances.
  const SviSurface s = skewed();
  const double s0 = 100.0, rate = 0.03, tau = 12.0 / 365.0;
  for (bool sticky_delta : {false, true}) {
    for (double strike : {85.0, 100.0, 112.0}) {
      for (OptionType type : {OptionType::call, OptionType::put}) {
        const std::string what = fmt::format("{} K = {} {}", sticky_delta ? "sticky delta" : "sticky strike", strike,
                                             to_string(type));
        const double spot = 103.0, h = 0.01;
        const OptionMarks m = marks(s, sticky_delta, rate, strike, s0, spot, tau, type);
        const OptionMarks up = marks(s, sticky_delta, rate, strike, s0, spot + h, tau, type);
        const OptionMarks dn = marks(s, sticky_delta, rate, strike, s0, spot - h, tau, type);
        EXPECT_TRUE(near(what + ": delta", m.delta, (up.value - dn.value) / (2 * h), 1e-6));
        EXPECT_TRUE(near(what + ": gamma", m.gamma, (up.delta - dn.delta) / (2 * h), 1e-6));
        const double dt = 1e-6;
        const OptionMarks later = marks(s, sticky_delta, rate, strike, s0, spot, tau - dt, type);
        EXPECT_TRUE(near(what + ": theta", m.theta, (later.value - m.value) / dt, 2e-3 * std::fabs(m.theta) + 1e-3));
        // The value is Black-Scholes at the surface's vol at k = ln(K/F).
        const double f = (sticky_delta ? spot : s0) * std::exp(rate * tau);
        const double vol = std::sqrt(svi_total_variance(s, tau, std::log(strike / f)) / tau);
        EXPECT_TRUE(near(what + ": value", m.value, black_scholes_linear(type, spot, strike, tau, rate, 0.0, vol).price, 1e-10));
      }
    }
  }
}

TEST(SurfaceMarks, StickyDeltaHedgeRatioExceedsStickyStrikeOnANegativeSkew) {
  // With Σ_k < 0 the vol of a fixed strike rises as the spot rises under sticky delta (σ_S = −Σ_k/S > 0),
  // so every option's delta gains vega·σ_S > 0 over its sticky-strike delta: a call's ratio is larger, a
  // put's less negative. At the spot of inception both dynamics read the same vol.
  const SviSurface s = skewed();
  const double s0 = 100.0, tau = 10.0 / 365.0;
  for (double strike : {90.0, 100.0, 110.0}) {
    for (OptionType type : {OptionType::call, OptionType::put}) {
      const OptionMarks ss = marks(s, false, 0.0, strike, s0, s0, tau, type);
      const OptionMarks sd = marks(s, true, 0.0, strike, s0, s0, tau, type);
      const SmileVol v = svi_vol(s, svi_time_weights(s, tau), tau, std::log(strike / s0));
      ASSERT_LT(v.dvol, 0.0) << "the surface must be negatively skewed at K = " << strike;
      // The same vol at inception: the same value.
      EXPECT_TRUE(near(fmt::format("K = {} {}: same value at inception", strike, to_string(type)), sd.value, ss.value,
                       1e-15 * ss.value));
      EXPECT_TRUE(near(fmt::format("K = {} {}: sticky delta - sticky strike = vega x (-dvol/dk)/S", strike, to_string(type)),
                       sd.delta - ss.delta, ss.vega * (-v.dvol) / s0, 1e-12));
      EXPECT_GT(sd.delta, ss.delta) << "K = " << strike << " " << to_string(type) << ": sticky delta " << sd.delta
                                    << ", sticky strike " << ss.delta;
    }
  }
}

/// Quotes of slice s at k from −0.5 to 0.5.
SliceQuotes quotes_of(const SviSlice& s) {
  SliceQuotes q;
  q.t = s.t;
  for (int i = 0; i <= 20; ++i) {
    const double k = -0.5 + 0.05 * i;
    q.k.push_back(k);
    q.vol.push_back(std::sqrt(svi_value(s, k).w / s.t));
  }
  return q;
}

TEST(SviFit, RecoversKnownParametersFromExactQuotes) {
  // Exact quotes of an arbitrage-free slice: the fit must return it (vol errors at rounding level, the
  // parameters to 1e-4 — a flat direction of SVI (a against b·σ near ρ = ±1) is not exercised here).
  for (const SviSlice truth : {SviSlice{30.0 / 365.0, 0.02, 0.1, -0.5, 0.05, 0.15},
                               SviSlice{90.0 / 365.0, 0.06, 0.2, -0.2, -0.02, 0.3},
                               SviSlice{14.0 / 365.0, 0.008, 0.05, 0.3, 0.0, 0.1}}) {
    const SliceFit f = fit_svi_slice(quotes_of(truth), nullptr);
    const std::string what = fmt::format("T = {:.0f} days", truth.t * 365.0);
    EXPECT_TRUE(near(what + ": RMSE vol", f.rmse_vol, 0.0, 1e-7));
    EXPECT_TRUE(near(what + ": a", f.slice.a, truth.a, 1e-4));
    EXPECT_TRUE(near(what + ": b", f.slice.b, truth.b, 1e-4));
    EXPECT_TRUE(near(what + ": rho", f.slice.rho, truth.rho, 1e-4));
    EXPECT_TRUE(near(what + ": m", f.slice.m, truth.m, 1e-4));
    EXPECT_TRUE(near(what + ": sigma", f.slice.sigma, truth.sigma, 1e-4));
  }
}

/// Vol error bound of the shipped chain's SVI fit, vol points: RMSE over all options and per slice (measured
/// 0.21 and at most 0.30 on 258 BTC options of 8 expiries: `hedgesim calibrate … --surface`).
constexpr double kShippedRmse = 0.4, kShippedSliceRmse = 0.5;

TEST(SviFit, ShippedChainWithinStatedVolErrorAndArbitrageFree) {
  const Chain chain =
      read_chain((source_dir() / "data/deribit/deribit_options_btc_eth_snapshot_20260302T093957Z.csv").string());
  const Selection sel = select_options(chain, SelectionSpec{});
  const SurfaceFit fit = fit_surface(sel, "shipped", "BTC");
  ASSERT_EQ(fit.slices.size(), sel.expiries.size());
  for (std::size_t e = 0; e < fit.slices.size(); ++e)
    EXPECT_TRUE(near(fmt::format("slice {} ({}) RMSE vol points", e, sel.expiries[e].label),
                     100.0 * fit.slices[e].rmse_vol, 0.0, kShippedSliceRmse));
  EXPECT_TRUE(near("RMSE vol points over every option", 100.0 * fit.rmse_vol, 0.0, kShippedRmse));
  EXPECT_TRUE(fit.arbitrage.butterfly_ok()) << "min g " << fit.arbitrage.min_g << " at slice " << fit.arbitrage.min_g_slice;
  EXPECT_TRUE(fit.arbitrage.calendar_ok()) << "min calendar " << fit.arbitrage.min_calendar << " at slice "
                                           << fit.arbitrage.min_calendar_slice;
}

SurfaceFile file_of(const SviSurface& s) {
  SurfaceFile f;
  f.source = "test";
  f.currency = "BTC";
  f.spot = 100.0;
  for (unsigned j = 0; j < s.n; ++j) {
    SurfaceFileSlice x;
    x.expiry = fmt::format("slice {}", j);
    x.days = s.slice[j].t * kDaysPerYear;
    x.a = s.slice[j].a;
    x.b = s.slice[j].b;
    x.rho = s.slice[j].rho;
    x.m = s.slice[j].m;
    x.sigma = s.slice[j].sigma;
    f.slices.push_back(x);
  }
  return f;
}

TEST(SurfaceChecks, CatchAButterflyAndACalendarViolation) {
  // Butterfly: wings of slope b(1 + ρ) = 1.9 on a small total variance make g < 0 in the right wing.
  const SviSlice steep{30.0 / 365.0, 0.001, 1.0, 0.9, 0.0, 0.05};
  const SliceButterfly b = slice_butterfly(steep);
  EXPECT_LT(b.min_g, 0.0) << "g at k = " << b.k;
  const SurfaceArbitrage a = check_arbitrage(one_slice(steep));
  EXPECT_FALSE(a.butterfly_ok());
  EXPECT_TRUE(a.calendar_ok());
  // Calendar: the later slice is the earlier one less 0.002 of total variance everywhere.
  SviSurface cal = skewed();
  cal.slice[1] = cal.slice[0];
  cal.slice[1].t = 30.0 / 365.0;
  cal.slice[1].a -= 0.002;
  const SurfaceArbitrage c = check_arbitrage(cal);
  EXPECT_TRUE(c.butterfly_ok()) << c.min_g;
  EXPECT_FALSE(c.calendar_ok());
  EXPECT_EQ(c.min_calendar_slice, 1u);
  // The reader refuses both, naming the check, the slice and k.
  const std::string butterfly = input_error([&] { parse_surface_file(surface_file_yaml(file_of(one_slice(steep))), "s.yaml"); });
  EXPECT_NE(butterfly.find("s.yaml: butterfly arbitrage: slice 0"), std::string::npos) << butterfly;
  const std::string calendar = input_error([&] { parse_surface_file(surface_file_yaml(file_of(cal)), "c.yaml"); });
  EXPECT_NE(calendar.find("calendar arbitrage: slice 1"), std::string::npos) << calendar;
  // The skewed surface itself passes.
  EXPECT_TRUE(check_arbitrage(skewed()).butterfly_ok());
  EXPECT_TRUE(check_arbitrage(skewed()).calendar_ok());
}

TEST(SurfaceFile, RoundTripIsBitExact) {
  SurfaceFile f = file_of(skewed());
  f.carry = 0.0123456789012345;
  f.slices[0].forward = 66650.123456789;
  f.slices[1].count = 42;
  const SurfaceFile g = parse_surface_file(surface_file_yaml(f), "round trip");
  ASSERT_EQ(g.slices.size(), f.slices.size());
  EXPECT_EQ(g.source, f.source);
  EXPECT_EQ(g.currency, f.currency);
  EXPECT_EQ(std::memcmp(&g.carry, &f.carry, sizeof(double)), 0);
  const SviSurface a = to_surface(f), b = to_surface(g);
  ASSERT_EQ(a.n, b.n);
  EXPECT_EQ(std::memcmp(a.slice, b.slice, sizeof(SviSlice) * a.n), 0) << "the surface read back differs in some bit";
  EXPECT_EQ(g.slices[1].count, 42u);
  EXPECT_EQ(g.slices[0].expiry, "slice 0");
}

TEST(SurfaceFile, BadInputNamesTheFileKeyAndLine) {
  EXPECT_EQ(input_error([&] { parse_surface_file(kSkewedYaml, "f.yaml"); }), "");
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string t = kSkewedYaml;
    const auto at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return t.replace(at, from.size(), to);
  };
  const std::string rho = input_error([&] { parse_surface_file(with("rho: -0.9", "rho: -1"), "f.yaml"); });
  EXPECT_NE(rho.find("f.yaml: slices[0].rho = '-1' at line 4"), std::string::npos) << rho;
  EXPECT_NE(rho.find("(-1, 1)"), std::string::npos) << rho;
  const std::string b = input_error([&] { parse_surface_file(with("b: 0.09", "b: x"), "f.yaml"); });
  EXPECT_NE(b.find("slices[1].b = 'x' at line 5: expected a number >= 0"), std::string::npos) << b;
  const std::string missing = input_error([&] { parse_surface_file(with(", sigma: 0.12", ""), "f.yaml"); });
  EXPECT_NE(missing.find("slices[1].sigma is required (map at line 5)"), std::string::npos) << missing;
  const std::string order = input_error([&] { parse_surface_file(with("days: 30", "days: 7"), "f.yaml"); });
  EXPECT_NE(order.find("slices[1].days = 7 at line 5: slices must be in strictly ascending days"), std::string::npos) << order;
  const std::string version = input_error([&] { parse_surface_file(with("format_version: 1", "format_version: 7"), "f.yaml"); });
  EXPECT_NE(version.find("format_version = '7' at line"), std::string::npos) << version;
  const std::string empty = input_error([&] { parse_surface_file("", "f.yaml"); });
  EXPECT_NE(empty.find("f.yaml: expected one YAML map"), std::string::npos) << empty;
  const std::string many = [&] {
    SviSurface s;
    s.n = kMaxSviSlices;
    for (unsigned j = 0; j < s.n; ++j) s.slice[j] = {(j + 1) / 365.0, 0.001 * (j + 1), 0.01, 0.0, 0.0, 0.1};
    SurfaceFile f = file_of(s);
    f.slices.push_back(f.slices.back());
    f.slices.back().days += 1.0;
    f.slices.back().a += 0.001;
    return input_error([&] { parse_surface_file(surface_file_yaml(f), "f.yaml"); });
  }();
  EXPECT_NE(many.find("expected a list of 1 to 16 slices"), std::string::npos) << many;
}

/// A surface file of Heston's smile (fitted by SVI slice by slice) at the given days, written to `path`.
void write_heston_surface(const ModelParams& heston, const std::vector<double>& days, const std::string& path) {
  SurfaceFile f;
  f.source = "Heston";
  std::vector<SliceFit> fits;
  for (double d : days) {
    SliceQuotes q;
    q.t = d / kDaysPerYear;
    const double sd = std::sqrt(heston.v0 * q.t);  // quotes within 4 standard deviations of the money
    for (int i = 0; i <= 24; ++i) {
      const double k = sd * (-4.0 + i / 3.0), strike = heston.spot * std::exp(k);
      const OptionType type = k < 0.0 ? OptionType::put : OptionType::call;
      const double price = analytic_price(heston, type, strike, q.t) / heston.spot;
      const double vol = implied_vol(type, strike / heston.spot, q.t, price);
      if (!std::isfinite(vol)) continue;
      q.k.push_back(k);
      q.vol.push_back(vol);
    }
    fits.push_back(fit_svi_slice(q, fits.empty() ? nullptr : &fits.back().slice));
    SurfaceFileSlice x;
    x.days = d;
    x.a = fits.back().slice.a;
    x.b = fits.back().slice.b;
    x.rho = fits.back().slice.rho;
    x.m = fits.back().slice.m;
    x.sigma = fits.back().slice.sigma;
    x.rmse_vol_points = 100.0 * fits.back().rmse_vol;
    f.slices.push_back(x);
  }
  std::ofstream(path) << surface_file_yaml(f);
}

/// The difference of two P&L standard deviations over the same paths, std(y) − std(x), and its standard
/// error: each sample std s has the influence (d_i² − s²)/(2s) of path i (d_i its deviation from the
/// mean), so the difference's error is the standard deviation of the paths' influence differences over
/// √N — paired, so the common paths' shared noise cancels.
struct StdDifference {
  double std_x, std_y, diff, se;
};
StdDifference std_difference(const double* x, const double* y, std::size_t n) {
  const auto moments = [n](const double* v) {
    double mean = 0.0, m2 = 0.0;
    for (std::size_t i = 0; i < n; ++i) mean += v[i];
    mean /= static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) m2 += (v[i] - mean) * (v[i] - mean);
    return std::pair<double, double>{mean, std::sqrt(m2 / static_cast<double>(n))};
  };
  const auto [mx, sx] = moments(x);
  const auto [my, sy] = moments(y);
  double sum = 0.0, sum2 = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double psi_x = ((x[i] - mx) * (x[i] - mx) - sx * sx) / (2.0 * sx);
    const double psi_y = ((y[i] - my) * (y[i] - my) - sy * sy) / (2.0 * sy);
    sum += psi_y - psi_x;
    sum2 += (psi_y - psi_x) * (psi_y - psi_x);
  }
  const double mean = sum / static_cast<double>(n);
  const double var = sum2 / static_cast<double>(n) - mean * mean;
  return {sx, sy, sy - sx, std::sqrt(var / static_cast<double>(n))};
}

TEST(SurfaceHedging, StickyStrikeHedgesAHestonMarketWithNegativeCorrelationBetterThanStickyDelta) {
  // docs/hedging.md "Volatility surface": in Heston with ρ < 0 the minimum-variance delta of a vanilla is
  // Δ_MV ≈ Δ_BS + ν·Σ_k/S at short maturity (skew stickiness ratio 2, Bergomi), while sticky strike
  // hedges Δ_BS and sticky delta Δ_BS − ν·Σ_k/S. With Σ_k < 0 the sticky-delta ratio is twice as far
  // from Δ_MV as the sticky-strike one, so its hedged P&L carries about 4 times the excess variance:
  // std(sticky delta) > std(sticky strike). Hourly hedging of a short 7-day at-the-money call, on the
  // same paths, the surface Heston's own smile at inception (SVI per slice). No bias to bound: both stds
  // are estimated from the same 20,000 paths, and the sign is required beyond 4 standard errors of the
  // paired difference.
  ModelParams heston;
  heston.type = ModelType::heston;
  heston.spot = 100.0;
  heston.v0 = heston.theta = 0.36;
  heston.kappa = 2.0;
  heston.xi = 1.5;
  heston.rho = -0.9;
  const std::string path = (std::filesystem::temp_directory_path() / fmt::format("hedgesim_heston_surface_{}.yaml", ::getpid())).string();
  write_heston_surface(heston, {1.0, 2.0, 4.0, 7.0}, path);
  const std::uint64_t n = 20000;
  const auto run = [&](const char* dynamics) {
    const test::HedgeCase c(fmt::format(
        "simulation: {{paths: {}, steps_per_day: 24, seed: 11, precision: float64, measure: risk_neutral}}\n"
        "model: {{type: heston, spot: 100, v0: 0.36, kappa: 2, theta: 0.36, xi: 1.5, rho: -0.9}}\n"
        "book: [{{type: call, strike: 100, expiry_days: 7, quantity: -1}}]\n"
        "hedge: {{instrument: perpetual, marks: surface, surface: {{file: '{}', dynamics: {}}}}}\n"
        "policies: [{{name: every, type: every_step}}]\n",
        n, path, dynamics));
    std::vector<double> out;
    cpu_simulate_hedging(c.job, c.hp, PathRange{0, n}, 2, out);
    return std::vector<double>(out.begin() + index_of(PathField::pnl) * n, out.begin() + (index_of(PathField::pnl) + 1) * n);
  };
  const std::vector<double> strike = run("sticky_strike"), delta = run("sticky_delta");
  std::filesystem::remove(path);
  const StdDifference d = std_difference(strike.data(), delta.data(), n);
  std::printf("  P&L std per call: sticky strike %.4f, sticky delta %.4f USD; std(sticky delta) - std(sticky strike) = "
              "%.4f (expected > 0), s.e. %.4f, tolerance 4 s.e. = %.4f\n",
              d.std_x, d.std_y, d.diff, d.se, 4.0 * d.se);
  EXPECT_GT(d.diff, 4.0 * d.se) << "sticky strike " << d.std_x << ", sticky delta " << d.std_y;
}

// A flat surface (b = 0, w_j = σ²·T_j) is one implied vol: the surface's premiums, hedge ratios, marks,
// close-out at the horizon, hedge options and attribution must give what Black–Scholes marks at that
// implied vol give, path by path and field by field, up to the rounding of two formulas (both dynamics,
// which coincide there). float64, every-step rules and zero bands, so that no decision sits on a threshold a rounding
// could flip.
TEST(SurfaceHedging, AFlatSurfaceMarksAndHedgesAsOneImpliedVol) {
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("hedgesim_flat_surface_{}.yaml", ::getpid())).string();
  std::ofstream(path) << "format: hedgesim-svi-surface\nformat_version: 1\nslices:\n"
                         "  - {days: 1, a: 0.000986301369863014, b: 0, rho: 0, m: 0, sigma: 0.1}\n"
                         "  - {days: 3, a: 0.002958904109589041, b: 0, rho: 0, m: 0, sigma: 0.1}\n"
                         "  - {days: 8, a: 0.007890410958904110, b: 0, rho: 0, m: 0, sigma: 0.1}\n";  // 0.36·days/365
  const auto yaml = [&](const std::string& hedge) {
    return "simulation: {paths: 300, steps_per_day: 24, seed: 3, precision: float64, horizon_days: 1.5}\n"
           "model: {type: gbm, spot: 100, rate: 0.02, vol: 0.7}\n"
           "book: [{type: call, strike: 105, expiry_days: 2, quantity: -10},\n"
           "       {type: put, strike: 95, expiry_days: 1, quantity: 4, settlement: inverse}]\n"
           "hedge: {instrument: perpetual, funding: {rate: 0.1}, " + hedge + ", " + test::kHedgeOptions + "}\n"
           "costs: {fee_bps: 5, " + test::kOptionCosts + "}\n"
           "policies: [{name: every, type: every_step}, {name: h3, type: time, every_hours: 3},\n"
           "  {name: dg, type: delta_gamma}, {name: dv, type: delta_vega}, {name: dgv, type: delta_gamma_vega}]\n"
           "output: {attribution: true}\n";
  };
  const auto run = [](const std::string& config) {
    const test::HedgeCase c(config);
    std::vector<double> out;
    cpu_simulate_hedging(c.job, c.hp, PathRange{0, c.spec.simulation.paths}, 2, out);
    return out;
  };
  const std::vector<double> flat = run(yaml("delta: implied, implied_vol: 0.6"));
  for (const char* dynamics : {"sticky_strike", "sticky_delta"}) {
    const std::vector<double> surface =
        run(yaml(fmt::format("marks: surface, surface: {{file: '{}', dynamics: {}}}", path, dynamics)));
    ASSERT_EQ(surface.size(), flat.size());
    const std::size_t per_field = flat.size() / kPathFields;  // policies × paths
    double worst = 0.0;
    std::string where;
    for (std::size_t i = 0; i < per_field; ++i) {
      // Relative to the largest field of the path and policy, as the attribution tests bound pnl_unexplained:
      // near an expiry delta_gamma_vega's option positions make pieces of ~1e9 USD that cancel.
      double scale = 1.0;
      for (unsigned f = 0; f < kPathFields; ++f) scale = std::max(scale, std::fabs(flat[f * per_field + i]));
      for (unsigned f = 0; f < kPathFields; ++f) {
        const double gap = std::fabs(surface[f * per_field + i] - flat[f * per_field + i]) / scale;
        if (gap > worst) {
          worst = gap;
          where = fmt::format("{} of policy {} on path {}: {} vs {}, scale {}", to_string(static_cast<PathField>(f)),
                              i / 300, i % 300, surface[f * per_field + i], flat[f * per_field + i], scale);
        }
      }
    }
    std::printf("  flat surface (%s) vs implied vol 0.6: largest |difference| / max(1, largest |field| of the path) "
                "%.3g (in %s; tolerance 1e-9)\n",
                dynamics, worst, where.c_str());
    EXPECT_LT(worst, 1e-9) << dynamics << ": " << where;
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace hedgesim
