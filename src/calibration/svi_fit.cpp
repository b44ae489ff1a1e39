// The SVI surface fit (method in calibration/svi_fit.hpp) on Eigen's Levenberg–Marquardt with a
// forward-difference Jacobian in the unconstrained variables, as the model fit (fit.cpp).
#include "hedgesim/calibration/svi_fit.hpp"

#include <Eigen/Core>
#include <unsupported/Eigen/LevenbergMarquardt>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "forward_jacobian.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/version.hpp"

namespace hedgesim {
namespace {

constexpr double kVolPoints = 100.0;
constexpr double kJacobianStep = 1e-6;
constexpr unsigned kMaxEvaluations = 400;

struct Bound {
  double lo, hi;
  bool log_scale;
  double value(double y) const {
    const double s = 1.0 / (1.0 + std::exp(-y));
    return log_scale ? lo * std::pow(hi / lo, s) : lo + (hi - lo) * s;
  }
  double unbounded(double x) const {
    double s = log_scale ? std::log(x / lo) / std::log(hi / lo) : (x - lo) / (hi - lo);
    s = std::clamp(s, 1e-9, 1.0 - 1e-9);
    return std::log(s / (1.0 - s));
  }
};

double grid_k(unsigned i) {
  return -kSurfaceCheckK + 2.0 * kSurfaceCheckK * static_cast<double>(i) / static_cast<double>(kSurfaceCheckPoints - 1);
}

/// y = (b, ρ, m, σ, w_min) in their unbounded coordinates.
struct SliceProblem : Eigen::DenseFunctor<double> {
  const SliceQuotes& q;
  const SviSlice* prev;
  Bound bounds[5];
  unsigned* evaluations;
  double penalty;  ///< weight of the arbitrage residuals

  SliceProblem(const SliceQuotes& quotes, const SviSlice* previous, const Bound (&b)[5], unsigned* evals, double weight)
      : Eigen::DenseFunctor<double>(5, static_cast<int>(quotes.k.size() + kSurfaceCheckPoints * (previous ? 2 : 1))),
        q(quotes), prev(previous), evaluations(evals), penalty(weight) {
    std::copy(std::begin(b), std::end(b), bounds);
  }

  SviSlice slice(const Eigen::VectorXd& y) const {
    const double b = bounds[0].value(y[0]), rho = bounds[1].value(y[1]), m = bounds[2].value(y[2]);
    const double sigma = bounds[3].value(y[3]), w_min = bounds[4].value(y[4]);
    return {q.t, w_min - b * sigma * std::sqrt(1.0 - rho * rho), b, rho, m, sigma};
  }

  int operator()(const InputType& y, ValueType& r) const {
    ++*evaluations;
    const SviSlice s = slice(y);
    Eigen::Index i = 0;
    for (std::size_t j = 0; j < q.k.size(); ++j)
      r[i++] = std::sqrt(std::max(svi_value(s, q.k[j]).w, 0.0) / q.t) - q.vol[j];
    for (unsigned g = 0; g < kSurfaceCheckPoints; ++g) r[i++] = penalty * std::max(0.0, -svi_butterfly_g(s, grid_k(g)));
    if (prev) {
      for (unsigned g = 0; g < kSurfaceCheckPoints; ++g) {
        const double k = grid_k(g);
        const double short_by = std::sqrt(std::max(svi_value(*prev, k).w, 0.0) / q.t) -
                                std::sqrt(std::max(svi_value(s, k).w, 0.0) / q.t);
        r[i++] = penalty * std::max(0.0, short_by);
      }
    }
    return 0;
  }
  int df(const InputType& y, JacobianType& jac) const { return detail::forward_jacobian(*this, y, jac, kJacobianStep); }
};

}  // namespace

SliceFit fit_svi_slice(const SliceQuotes& q, const SviSlice* prev) {
  if (q.k.size() < 5 || q.k.size() != q.vol.size() || !(q.t > 0.0))
    throw InputError(fmt::format("calibrate --surface: an SVI slice needs at least 5 quotes, got {}", q.k.size()));
  const auto [k_lo, k_hi] = std::minmax_element(q.k.begin(), q.k.end());
  double w_max = 0.0, w_min = std::numeric_limits<double>::infinity(), k_atm = 0.0;
  for (std::size_t j = 0; j < q.k.size(); ++j) {
    const double w = q.vol[j] * q.vol[j] * q.t;
    w_max = std::max(w_max, w);
    if (w < w_min) {
      w_min = w;
      k_atm = q.k[j];
    }
  }
  const Bound bounds[5] = {{1e-5, 1.0, true}, {-0.999, 0.999, false}, {*k_lo - 1.0, *k_hi + 1.0, false},
                           {1e-3, 2.0, true}, {0.0, 4.0 * w_max, false}};
  SliceFit best;
  Eigen::VectorXd best_y;
  double best_obj = std::numeric_limits<double>::infinity();
  const double starts[][3] = {{-0.3, 0.0, 0.1}, {0.0, 0.0, 0.3}, {0.3, 0.05, 0.1}, {-0.6, -0.05, 0.2}, {0.6, 0.1, 0.05}};
  unsigned evaluations = 0;
  const auto minimize = [&](Eigen::VectorXd& y, double penalty) {
    SliceProblem pb(q, prev, bounds, &evaluations, penalty);
    Eigen::LevenbergMarquardt<SliceProblem> lm(pb);
    lm.setMaxfev(kMaxEvaluations);
    lm.setFtol(1e-12);
    lm.setXtol(1e-12);
    const auto status = lm.minimize(y);
    Eigen::VectorXd r(pb.values());
    pb(y, r);
    return std::pair{r.squaredNorm(), static_cast<int>(status)};
  };
  const auto slice_of = [&](const Eigen::VectorXd& y) { return SliceProblem(q, prev, bounds, &evaluations, 0.0).slice(y); };
  for (const auto& st : starts) {
    Eigen::VectorXd y(5);
    y << bounds[0].unbounded(std::clamp(0.2 * std::sqrt(w_max), 2e-5, 0.5)), bounds[1].unbounded(st[0]),
        bounds[2].unbounded(std::clamp(k_atm + st[1], bounds[2].lo + 1e-3, bounds[2].hi - 1e-3)),
        bounds[3].unbounded(st[2]), bounds[4].unbounded(0.9 * w_min);
    const auto [obj, status] = minimize(y, kArbitragePenalty);
    if (std::isfinite(obj) && obj < best_obj) {
      best_obj = obj;
      best_y = y;
      best.lm_status = status;
    }
  }
  if (!std::isfinite(best_obj))
    throw RuntimeFailure(fmt::format("calibrate --surface: no start of the SVI fit at T = {:.6g} years reached a finite "
                                     "objective",
                                     q.t));
  // Penalty continuation: where the quotes pull the best slice into arbitrage, refit from it with ever
  // heavier penalties until both checks pass on the grid (or the weight runs out: then it is reported).
  const auto arbitrage_free = [&](const SviSlice& s) {
    if (slice_butterfly(s).min_g < -kButterflyTolerance) return false;
    for (unsigned g = 0; prev && g < kSurfaceCheckPoints; ++g)
      if (svi_value(s, grid_k(g)).w - svi_value(*prev, grid_k(g)).w < -kCalendarTolerance) return false;
    return true;
  };
  for (double penalty = 100.0 * kArbitragePenalty; !arbitrage_free(slice_of(best_y)) && penalty <= 1e10; penalty *= 100.0)
    best.lm_status = minimize(best_y, penalty).second;
  best.slice = slice_of(best_y);
  best.evaluations = evaluations;
  double sse = 0.0;
  for (std::size_t j = 0; j < q.k.size(); ++j) {
    const double e = std::sqrt(std::max(svi_value(best.slice, q.k[j]).w, 0.0) / q.t) - q.vol[j];
    sse += e * e;
    best.max_abs_vol = std::max(best.max_abs_vol, std::fabs(e));
  }
  best.rmse_vol = std::sqrt(sse / static_cast<double>(q.k.size()));
  const SliceButterfly b = slice_butterfly(best.slice);
  best.min_g = b.min_g;
  best.min_g_k = b.k;
  return best;
}

SurfaceFit fit_surface(const Selection& sel, const std::string& source, const std::string& currency) {
  if (sel.expiries.size() > kMaxSviSlices)
    throw InputError(fmt::format("calibrate --surface: {} expiries selected, more than the {} slices a surface holds: "
                                 "narrow --min-days/--max-days",
                                 sel.expiries.size(), kMaxSviSlices));
  const auto t0 = std::chrono::steady_clock::now();
  SurfaceFit fit;
  fit.file.source = source;
  fit.file.currency = currency;
  fit.file.spot = sel.spot;
  fit.file.carry = sel.carry;
  fit.model_iv.assign(sel.options.size(), std::nan(""));
  double sse = 0.0;
  for (std::size_t e = 0; e < sel.expiries.size(); ++e) {
    const Expiry& x = sel.expiries[e];
    SliceQuotes q;
    const double days = x.maturity * kDaysPerYear;
    q.t = days / kDaysPerYear;  // the T a run reads back from `days`
    for (const MarketOption& o : sel.options) {
      if (o.expiry_index != e) continue;
      q.k.push_back(std::log(o.strike / o.forward));
      q.vol.push_back(o.iv);
    }
    if (q.k.size() < 5)
      throw InputError(fmt::format("calibrate --surface: expiry {} has {} quotes left after the selection, fewer than "
                                   "the 5 an SVI slice needs: widen --min-moneyness/--max-moneyness or leave it out "
                                   "with --min-days/--max-days",
                                   x.label, q.k.size()));
    const SliceFit s = fit_svi_slice(q, fit.slices.empty() ? nullptr : &fit.slices.back().slice);
    fit.slices.push_back(s);
    SurfaceFileSlice f;
    f.expiry = x.label;
    f.days = days;
    f.forward = x.forward;
    f.count = static_cast<unsigned>(q.k.size());
    f.rmse_vol_points = kVolPoints * s.rmse_vol;
    f.max_abs_vol_points = kVolPoints * s.max_abs_vol;
    f.a = s.slice.a;
    f.b = s.slice.b;
    f.rho = s.slice.rho;
    f.m = s.slice.m;
    f.sigma = s.slice.sigma;
    fit.file.slices.push_back(f);
    for (std::size_t j = 0; j < sel.options.size(); ++j) {
      const MarketOption& o = sel.options[j];
      if (o.expiry_index != e) continue;
      fit.model_iv[j] = std::sqrt(std::max(svi_value(s.slice, std::log(o.strike / o.forward)).w, 0.0) / q.t);
      const double err = fit.model_iv[j] - o.iv;
      sse += err * err;
      fit.max_abs_vol = std::max(fit.max_abs_vol, std::fabs(err));
    }
  }
  fit.rmse_vol = std::sqrt(sse / static_cast<double>(sel.options.size()));
  fit.arbitrage = check_arbitrage(to_surface(fit.file));
  fit.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!std::isfinite(fit.rmse_vol))
    throw RuntimeFailure(fmt::format("calibrate --surface: the fit's RMSE vol error is not finite ({})", fit.rmse_vol));
  return fit;
}

std::string surface_table(const SurfaceFit& fit, const Selection& sel, const std::string& chain, const std::string& out) {
  std::string t = fmt::format("hedgesim calibrate --surface: raw SVI per expiry, {} options of {} ({} expiries), vol "
                              "space, unweighted\n",
                              sel.options.size(), chain, sel.expiries.size());
  t += fmt::format("rows {}, fitted {}, dropped:", sel.rows, sel.options.size());
  for (std::size_t r = 0; r < kDropReasons; ++r) t += fmt::format(" {} {}", to_string(DropReason(r)), sel.dropped[r]);
  t += fmt::format("\n\n{:<12} {:>8} {:>4} {:>11} {:>11} {:>8} {:>9} {:>9} {:>8} {:>8} {:>10}\n", "expiry", "days", "n",
                   "a", "b", "rho", "m", "sigma", "RMSE vp", "max vp", "min g(k)");
  for (std::size_t e = 0; e < fit.slices.size(); ++e) {
    const SliceFit& s = fit.slices[e];
    t += fmt::format("{:<12} {:>8.2f} {:>4} {:>11.4e} {:>11.4e} {:>8.4f} {:>9.4f} {:>9.4f} {:>8.3f} {:>8.3f} {:>10.4f}\n",
                     sel.expiries[e].label.substr(0, 10), fit.file.slices[e].days, fit.file.slices[e].count, s.slice.a,
                     s.slice.b, s.slice.rho, s.slice.m, s.slice.sigma, kVolPoints * s.rmse_vol,
                     kVolPoints * s.max_abs_vol, s.min_g);
  }
  t += fmt::format("{:<12} {:>8} {:>4} {:>11} {:>11} {:>8} {:>9} {:>9} {:>8.3f} {:>8.3f}\n", "all", "",
                   sel.options.size(), "", "", "", "", "", kVolPoints * fit.rmse_vol, kVolPoints * fit.max_abs_vol);
  const SurfaceArbitrage& a = fit.arbitrage;
  t += fmt::format("\nvp = implied-vol points (0.01). No-arbitrage checks on k = ln(K/F) in [-{}, {}] ({} points):\n",
                   kSurfaceCheckK, kSurfaceCheckK, kSurfaceCheckPoints);
  t += fmt::format("  butterfly  min g(k) = {:.4g} (slice {}, k = {:.3f}): {}\n", a.min_g, a.min_g_slice, a.min_g_k,
                   a.butterfly_ok() ? "ok" : "VIOLATED");
  t += fmt::format("  calendar   min w_j+1(k) - w_j(k) = {:.4g} (slice {}, k = {:.3f}): {}\n", a.min_calendar,
                   a.min_calendar_slice, a.min_calendar_k, a.calendar_ok() ? "ok" : "VIOLATED");
  for (const std::string& v : arbitrage_violations(a, fit.file)) t += "  " + v + "\n";
  t += fmt::format("Fit {:.2f} s. spot {:.2f} USD (median index), carry {:.5f}/year fitted to the forwards.\n",
                   fit.fit_seconds, sel.spot, sel.carry);
  if (!out.empty()) t += fmt::format("Surface file: {} (hedge: {{marks: surface, surface: {{file: {}, dynamics: sticky_strike}}}})\n", out, out);
  return t;
}

std::string surface_json(const SurfaceFit& fit, const Selection& sel, const std::string& chain, const std::string& out) {
  nlohmann::json j;
  j["hedgesim_version"] = HEDGESIM_VERSION;
  j["git_commit"] = HEDGESIM_GIT_COMMIT;
  j["chain_file"] = chain;
  j["surface_file"] = out;
  j["currency"] = fit.file.currency;
  j["rows"] = sel.rows;
  j["options"] = sel.options.size();
  j["spot"] = sel.spot;
  j["carry"] = sel.carry;
  j["rmse_vol_points"] = kVolPoints * fit.rmse_vol;
  j["max_abs_vol_points"] = kVolPoints * fit.max_abs_vol;
  const SurfaceArbitrage& a = fit.arbitrage;
  j["butterfly_ok"] = a.butterfly_ok();
  j["calendar_ok"] = a.calendar_ok();
  j["min_g"] = a.min_g;
  j["min_calendar"] = a.min_calendar;
  j["violations"] = arbitrage_violations(a, fit.file);
  j["fit_seconds"] = fit.fit_seconds;
  j["slices"] = nlohmann::json::array();
  for (std::size_t e = 0; e < fit.slices.size(); ++e) {
    const SliceFit& s = fit.slices[e];
    const SurfaceFileSlice& f = fit.file.slices[e];
    j["slices"].push_back({{"expiry", f.expiry}, {"days", f.days}, {"forward", f.forward}, {"count", f.count},
                           {"a", s.slice.a}, {"b", s.slice.b}, {"rho", s.slice.rho}, {"m", s.slice.m},
                           {"sigma", s.slice.sigma}, {"rmse_vol_points", f.rmse_vol_points},
                           {"max_abs_vol_points", f.max_abs_vol_points}, {"min_g", s.min_g},
                           {"lm_status", s.lm_status}, {"evaluations", s.evaluations}});
  }
  return j.dump(2);
}

}  // namespace hedgesim
