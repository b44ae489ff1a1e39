// Calibration speed (issue 5: a Bates fit to ~600 BTC options in under 10 s on one core). Builds a
// 600-option chain priced by the reference closed form under Bates parameters typical of BTC fits
// (results/calibration.md), 12 expiries from 7 days to 1 year × 50 out-of-the-money strikes,
// perturbs its vols by 0.5 vol points so the optimum is not exact, and times the fit from 4 starts.
// It also times one chain pricing by the fit's fixed-grid pricer and by the reference pricer.
// usage: bench_calibration [--out FILE.md]
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "hedgesim/backtest/utc_time.hpp"
#include "hedgesim/calibration/chain.hpp"
#include "hedgesim/calibration/fit.hpp"
#include "hedgesim/calibration/implied_vol.hpp"
#include "hedgesim/calibration/smile_pricer.hpp"
#include "hedgesim/pricing/analytic.hpp"
#include "hedgesim/version.hpp"

namespace hs = hedgesim;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::string out;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
  hs::ModelParams m;
  m.type = hs::ModelType::bates;
  m.spot = 1.0;
  m.v0 = 0.30;
  m.kappa = 10.0;
  m.theta = 0.25;
  m.xi = 3.0;
  m.rho = -0.3;
  m.jump_intensity = 0.2;
  m.jump_mean = -0.3;
  m.jump_stdev = 0.5;
  const double days[] = {7, 14, 21, 30, 45, 60, 90, 120, 180, 240, 300, 365};
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  std::string csv =
      "timestamp,instrument_name,underlying,underlying_name,option_type,strike,expiry_datetime,time_to_maturity,"
      "bid_price,ask_price,mark_price,mid_price,futures_price,futures_instrument_name,implied_volatility,delta,vega,"
      "open_interest,volume,bid_ask_spread,currency,index_price,volume_usd\n";
  const double fwd = 70000;
  const std::int64_t snapshot = 1767225600;  // 2026-01-01T00:00:00Z; expiries lie whole days later
  for (double d : days) {
    const double tau = d / hs::kDaysPerYear;
    const std::string expiry = hs::format_utc(snapshot + static_cast<std::int64_t>(d) * 86400);
    std::vector<double> x;
    std::vector<hs::OptionType> types;
    // ±2.5 standard deviations of ln(K/F), kept inside the default window K/F in [0.5, 2].
    const double width = std::min(2.5 * 0.55 * std::sqrt(tau), 0.999 * std::log(2.0));
    for (int i = 0; i < 50; ++i) {
      x.push_back(std::exp(-width + 2 * width * i / 49.0));
      types.push_back(x.back() < 1 ? hs::OptionType::put : hs::OptionType::call);
    }
    const auto p = hs::analytic_prices(m, tau, types, x);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double iv = hs::implied_vol(types[i], x[i], tau, p[i]) + 0.005 * normal(rng);
      const double mark = hs::black_normalised(types[i], x[i], tau, iv);
      const bool call = types[i] == hs::OptionType::call;
      csv += fmt::format("{},S-{}-{},{},S,{},{},{},{},{},{},{},{},{},S,{},0,0,0,0,0,BTC,{},0\n", hs::format_utc(snapshot),
                         d, i, fwd, call ? "call" : "put", x[i] * fwd, expiry, tau * 365.0 / 365.25, mark * 0.98,
                         mark * 1.02, mark, mark, fwd, iv, fwd);
    }
  }
  hs::SelectionSpec sspec;
  sspec.min_days = 1;  // the 7-day expiry sits on the default bound up to rounding
  const hs::Selection sel = hs::select_options(hs::parse_chain(csv, "synthetic"), sspec);
  hs::FitSpec spec;
  spec.model = hs::ModelType::bates;
  spec.starts = 4;
  const auto t0 = Clock::now();
  const hs::FitResult r = hs::calibrate(sel, spec);
  const double total = std::chrono::duration<double>(Clock::now() - t0).count();

  // One chain pricing, fast vs reference.
  std::vector<hs::SmileExpiry> ex;
  for (const auto& e : sel.expiries) ex.push_back({e.maturity, 0.2});
  std::vector<hs::SmileQuote> q;
  for (const auto& o : sel.options) q.push_back({o.expiry_index, o.type, o.strike / o.forward});
  const hs::SmilePricer pricer(ex, q);
  std::vector<double> prices(q.size());
  auto t1 = Clock::now();
  const int reps = 50;
  for (int i = 0; i < reps; ++i) pricer.prices(m, prices);
  const double fast_ms = 1e3 * std::chrono::duration<double>(Clock::now() - t1).count() / reps;
  t1 = Clock::now();
  for (std::size_t e = 0; e < ex.size(); ++e) {
    std::vector<hs::OptionType> ty;
    std::vector<double> k;
    for (const auto& qq : q)
      if (qq.expiry == e) {
        ty.push_back(qq.type);
        k.push_back(qq.moneyness);
      }
    hs::analytic_prices(m, ex[e].maturity, ty, k);
  }
  const double ref_ms = 1e3 * std::chrono::duration<double>(Clock::now() - t1).count();

  std::string cpu = "unknown CPU";
  {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("model name", 0) == 0) {
        cpu = line.substr(line.find(':') + 2);
        break;
      }
  }
  const std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::string report = fmt::format(
      "# Calibration speed\n\n- date: {}\n- commit: {}\n- machine: {} (one thread)\n- command: `build/cpu/bench/bench_calibration --out results/calibration_speed.md`\n\n"
      "| quantity | value |\n|---|---|\n"
      "| options (12 expiries, 7 to 365 days) | {} |\n"
      "| Bates fit, 4 starts, wall time | {:.2f} s |\n"
      "| fit time inside calibrate (starts only) | {:.2f} s |\n"
      "| chain pricings (Jacobian columns included) | {} |\n"
      "| one chain pricing, fixed-grid pricer ({} nodes) | {:.2f} ms |\n"
      "| one chain pricing, reference adaptive pricer | {:.2f} ms |\n"
      "| RMSE at the optimum (0.5 vol point noise added) | {:.3f} vol points |\n"
      "| fast vs reference pricer at the optimum | {:.1e} vol |\n\n"
      "Goal: under 10 s on one core.\n",
      date, HEDGESIM_GIT_COMMIT, cpu, sel.options.size(), total, r.fit_seconds, r.evaluations, r.quadrature_nodes,
      fast_ms, ref_ms, 100 * r.rmse_vol, r.pricer_check);
  std::fputs(report.c_str(), stdout);
  if (!out.empty()) std::ofstream(out) << report;
  return 0;
}
