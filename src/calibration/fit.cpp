// Weighted least-squares calibration (objective, bounds and starts in fit.hpp) on Eigen's
// Levenberg–Marquardt (unsupported/Eigen/LevenbergMarquardt, MINPACK's lmder) with a forward-difference
// Jacobian in the unconstrained variables.
#include "hedgesim/calibration/fit.hpp"

#include <Eigen/Core>
#include <unsupported/Eigen/LevenbergMarquardt>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hedgesim/calibration/implied_vol.hpp"
#include "hedgesim/calibration/smile_pricer.hpp"
#include "forward_jacobian.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/pricing/analytic.hpp"

namespace hedgesim {
namespace {

constexpr double kMinVolSpread = 0.005;    ///< 0.5 vol points
constexpr double kMinPriceSpread = 1e-4;   ///< coin: Deribit's tick
constexpr double kJacobianStep = 1e-6;     ///< in the unconstrained variable y

/// Where a fitted value goes in ModelParams, and its bounds.
struct Bound {
  const char* name;
  double ModelParams::*field;
  double lo, hi;
  bool log_scale;
  double start;  ///< structural default (v0 and theta start from the market instead)
};

std::vector<Bound> bounds_for(ModelType t) {
  if (t == ModelType::gbm) return {{"vol", &ModelParams::vol, 0.01, 5.0, true, 0.5}};
  std::vector<Bound> b = {{"v0", &ModelParams::v0, 1e-4, 4.0, true, 0.25},
                          {"kappa", &ModelParams::kappa, 0.05, 50.0, true, 2.0},
                          {"theta", &ModelParams::theta, 1e-4, 4.0, true, 0.25},
                          {"xi", &ModelParams::xi, 0.01, 10.0, true, 1.0},
                          {"rho", &ModelParams::rho, -0.99, 0.99, false, 0.0}};
  if (t == ModelType::heston) return b;
  b.push_back({"jump_intensity", &ModelParams::jump_intensity, 0.01, 50.0, true, 1.0});
  b.push_back({"jump_mean", &ModelParams::jump_mean, -1.0, 1.0, false, -0.05});
  b.push_back({"jump_stdev", &ModelParams::jump_stdev, 0.005, 2.0, true, 0.15});
  if (t == ModelType::bates) return b;
  // |jump_rho|·var_jump_mean <= 0.75 < 1 keeps the SVCJ compensator finite everywhere in the box.
  b.push_back({"var_jump_mean", &ModelParams::var_jump_mean, 0.001, 0.5, true, 0.05});
  b.push_back({"jump_rho", &ModelParams::jump_rho, -1.5, 1.5, false, -0.5});
  return b;
}

double logistic(double y) { return 1.0 / (1.0 + std::exp(-y)); }

double to_value(const Bound& b, double y) {
  const double s = logistic(y);
  return b.log_scale ? b.lo * std::pow(b.hi / b.lo, s) : b.lo + (b.hi - b.lo) * s;
}

double to_unbounded(const Bound& b, double x) {
  double s = b.log_scale ? std::log(x / b.lo) / std::log(b.hi / b.lo) : (x - b.lo) / (b.hi - b.lo);
  s = std::clamp(s, 1e-9, 1.0 - 1e-9);
  return std::log(s / (1.0 - s));
}

/// Radical inverse of i in base `base` (Halton sequence).
double halton(unsigned i, unsigned base) {
  double f = 1.0, r = 0.0;
  for (; i > 0; i /= base) {
    f /= base;
    r += f * static_cast<double>(i % base);
  }
  return r;
}

struct Problem {
  const Selection& sel;
  const FitSpec& spec;
  const std::vector<Bound>& bounds;
  const SmilePricer& pricer;
  std::vector<double> weight;
  ModelParams base;

  ModelParams params(const Eigen::VectorXd& y) const {
    ModelParams m = base;
    for (std::size_t i = 0; i < bounds.size(); ++i) m.*(bounds[i].field) = to_value(bounds[i], y[static_cast<Eigen::Index>(i)]);
    return m;
  }

  /// Residuals for model prices `p` (also returns the model vols when asked).
  void residuals(const std::vector<double>& p, Eigen::VectorXd& r, std::vector<double>* ivs = nullptr) const {
    for (std::size_t j = 0; j < sel.options.size(); ++j) {
      const MarketOption& o = sel.options[j];
      const auto jj = static_cast<Eigen::Index>(j);
      if (spec.space == FitSpace::price) {
        r[jj] = weight[j] * (p[j] - o.price);
        continue;
      }
      const double iv = implied_vol(o.type, o.strike / o.forward, o.maturity, p[j], o.iv);
      if (ivs) (*ivs)[j] = iv;
      r[jj] = weight[j] * (std::isfinite(iv) ? iv - o.iv : (p[j] - o.price) / o.vega);
    }
  }
};

struct Functor : Eigen::DenseFunctor<double> {
  const Problem& pb;
  unsigned* evaluations;
  mutable std::vector<double> prices;
  Functor(const Problem& p, unsigned* evals)
      : Eigen::DenseFunctor<double>(static_cast<int>(p.bounds.size()), static_cast<int>(p.sel.options.size())),
        pb(p), evaluations(evals), prices(p.sel.options.size()) {}

  int operator()(const InputType& y, ValueType& r) const {
    ++*evaluations;
    pb.pricer.prices(pb.params(y), prices);
    pb.residuals(prices, r);
    return 0;
  }
  int df(const InputType& y, JacobianType& jac) const { return detail::forward_jacobian(*this, y, jac, kJacobianStep); }
};

/// A residual counts as broken when its square is not finite: the objective is then inf or NaN.
bool broken(double residual) { return !std::isfinite(residual * residual); }

/// What was tried and where it broke, for a fit whose every start ended at a non-finite objective: the
/// options whose residuals break at `y` (the last start's end point) name the rows to look at.
std::string no_finite_start(const Problem& pb, const std::vector<double>& objectives, const Eigen::VectorXd& y) {
  const std::size_t n = pb.sel.options.size();
  std::vector<double> p(n);
  pb.pricer.prices(pb.params(y), p);
  Eigen::VectorXd r(static_cast<Eigen::Index>(n));
  pb.residuals(p, r);
  std::vector<std::string> rows;
  std::size_t count = 0;
  for (std::size_t j = 0; j < n; ++j) {
    if (!broken(r[static_cast<Eigen::Index>(j)])) continue;
    const MarketOption& o = pb.sel.options[j];
    if (++count <= 3)
      rows.push_back(fmt::format("line {} {} (mark {:g} coin, mark IV {:g}, model price {:g} coin)", o.line,
                                 o.instrument, o.price, o.iv, p[j]));
  }
  std::string where = count ? fmt::format("; {} of {} options have a residual whose square is not finite at the last "
                                          "start's end point: {}{}. Check those rows, or leave them out with the "
                                          "expiry and moneyness windows",
                                          count, n, fmt::join(rows, ", "), count > rows.size() ? ", ..." : "")
                            : fmt::format("; each of the {} squared residuals is finite at the last start's end "
                                          "point, so their sum overflowed",
                                          n);
  return fmt::format("calibrate: no start reached a finite objective: {} Levenberg-Marquardt start(s) of {} in {} "
                     "space with {} weights ended at objective {}{}",
                     objectives.size(), to_string(pb.spec.model), to_string(pb.spec.space),
                     to_string(pb.spec.weights), fmt::join(objectives, ", "), where);
}

std::vector<double> make_weights(const Selection& sel, const FitSpec& spec) {
  std::vector<double> w(sel.options.size(), 1.0);
  for (std::size_t j = 0; j < w.size(); ++j) {
    const MarketOption& o = sel.options[j];
    if (spec.weights == FitWeights::none) continue;
    if (spec.space == FitSpace::vol) {
      if (spec.weights == FitWeights::vega) {
        w[j] = o.vega;
      } else {
        const bool have = o.bid_iv > 0 && o.ask_iv > 0;
        w[j] = 1.0 / std::max(have ? o.ask_iv - o.bid_iv : (o.ask - o.bid) / o.vega, kMinVolSpread);
      }
    } else {
      w[j] = spec.weights == FitWeights::vega ? 1.0 / o.vega : 1.0 / std::max(o.ask - o.bid, kMinPriceSpread);
    }
  }
  const double mean = std::accumulate(w.begin(), w.end(), 0.0) / static_cast<double>(w.size());
  for (double& x : w) x /= mean;
  return w;
}

}  // namespace

const char* to_string(FitSpace s) { return s == FitSpace::vol ? "vol" : "price"; }
const char* to_string(FitWeights w) {
  switch (w) {
    case FitWeights::none: return "none";
    case FitWeights::vega: return "vega";
    case FitWeights::spread: return "spread";
  }
  return "unknown";
}

FitResult calibrate(const Selection& sel, const FitSpec& spec) {
  if (sel.options.empty()) throw InputError("calibrate: no options to fit");
  if (spec.starts == 0) throw InputError("--starts = 0: need at least 1 starting point");
  const std::vector<Bound> bounds = bounds_for(spec.model);
  // Levenberg-Marquardt needs at least as many residuals as parameters; with fewer it returns at once
  // (ImproperInputParameters) and the "fit" would be the first starting point, reported with exit 0.
  if (sel.options.size() < bounds.size()) {
    std::vector<std::string_view> names;
    for (const Bound& b : bounds) names.emplace_back(b.name);
    throw InputError(fmt::format("calibrate: {} option(s) left to fit, fewer than the {} parameters of {} ({}): widen "
                                 "--min-days/--max-days or --min-moneyness/--max-moneyness, give a fuller chain, or "
                                 "fit a model with fewer parameters",
                                 sel.options.size(), bounds.size(), to_string(spec.model), fmt::join(names, ", ")));
  }
  // Grid per expiry with half its smallest market vol as the floor.
  std::vector<SmileExpiry> expiries(sel.expiries.size());
  for (std::size_t e = 0; e < expiries.size(); ++e) expiries[e] = {sel.expiries[e].maturity, 10.0};
  std::vector<SmileQuote> quotes;
  for (const MarketOption& o : sel.options) {
    SmileExpiry& e = expiries[o.expiry_index];
    e.vol_floor = std::min(e.vol_floor, 0.5 * o.iv);
    quotes.push_back({o.expiry_index, o.type, o.strike / o.forward});
  }
  for (SmileExpiry& e : expiries) e.vol_floor = std::max(e.vol_floor, 0.02);
  const SmilePricer pricer(expiries, quotes);

  ModelParams base;
  base.type = spec.model;
  base.spot = 1.0;
  Problem pb{sel, spec, bounds, pricer, make_weights(sel, spec), base};

  // Near-the-money market variance for v0 = θ at the first start.
  std::vector<double> atm;
  for (const MarketOption& o : sel.options)
    if (std::fabs(std::log(o.strike / o.forward)) < 0.1) atm.push_back(o.iv);
  if (atm.empty())
    for (const MarketOption& o : sel.options) atm.push_back(o.iv);
  std::nth_element(atm.begin(), atm.begin() + static_cast<long>(atm.size() / 2), atm.end());
  const double atm_var = atm[atm.size() / 2] * atm[atm.size() / 2];

  FitResult res;
  res.starts = spec.starts;
  res.quadrature_nodes = pricer.nodes();
  const auto t0 = std::chrono::steady_clock::now();
  const unsigned primes[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31};
  Eigen::VectorXd best_y, last_y;
  double best = std::numeric_limits<double>::infinity();
  for (unsigned s = 0; s < spec.starts; ++s) {
    Eigen::VectorXd y(static_cast<Eigen::Index>(bounds.size()));
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      const Bound& b = bounds[i];
      const double h = s == 0 ? 0.5 : halton(s, primes[i]);
      const bool market_scaled = spec.model == ModelType::gbm || std::string_view(b.name) == "v0" ||
                                 std::string_view(b.name) == "theta";
      double yi;
      if (market_scaled) {
        const double x0 = spec.model == ModelType::gbm ? std::sqrt(atm_var) : atm_var;
        yi = to_unbounded(b, x0 * std::exp(std::log(2.0) * (2.0 * h - 1.0)));
      } else {
        yi = std::clamp(to_unbounded(b, b.start) + 3.0 * (2.0 * h - 1.0), -5.0, 5.0);
      }
      y[static_cast<Eigen::Index>(i)] = yi;
    }
    Functor f(pb, &res.evaluations);
    Eigen::LevenbergMarquardt<Functor> lm(f);
    lm.setMaxfev(spec.max_iterations);  // function values outside df: one per iteration, more on rejected steps
    lm.setFtol(1e-10);
    lm.setXtol(1e-10);
    const auto status = lm.minimize(y);
    Eigen::VectorXd r(static_cast<Eigen::Index>(sel.options.size()));
    f(y, r);
    const double obj = 0.5 * r.squaredNorm();
    res.start_objectives.push_back(obj);
    last_y = y;
    if (obj < best) {
      best = obj;
      best_y = y;
      res.best_start = s;
      res.lm_status = static_cast<int>(status);
    }
  }
  res.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Every row passed the chain's rules, so this is a failure of the fit, not of the input.
  if (best_y.size() == 0) throw RuntimeFailure(no_finite_start(pb, res.start_objectives, last_y));
  res.objective = best;
  res.weight = pb.weight;

  // Errors with the reference pricer, expiry by expiry, at the optimum.
  ModelParams m = pb.params(best_y);
  std::vector<double> fast(sel.options.size());
  pricer.prices(m, fast);
  res.model_price.assign(sel.options.size(), 0.0);
  for (std::size_t e = 0; e < sel.expiries.size(); ++e) {
    std::vector<std::size_t> idx;
    std::vector<OptionType> types;
    std::vector<double> strikes;
    for (std::size_t j = 0; j < sel.options.size(); ++j)
      if (sel.options[j].expiry_index == e) {
        idx.push_back(j);
        types.push_back(sel.options[j].type);
        strikes.push_back(sel.options[j].strike / sel.options[j].forward);
      }
    const std::vector<double> p = analytic_prices(m, sel.expiries[e].maturity, types, strikes);
    for (std::size_t i = 0; i < idx.size(); ++i) res.model_price[idx[i]] = p[i];
  }
  res.model_iv.assign(sel.options.size(), std::numeric_limits<double>::quiet_NaN());
  res.per_expiry.assign(sel.expiries.size(), {});
  double sse = 0.0;
  std::size_t first_broken = sel.options.size();
  for (std::size_t j = 0; j < sel.options.size(); ++j) {
    const MarketOption& o = sel.options[j];
    const double x = o.strike / o.forward;
    const double iv = implied_vol(o.type, x, o.maturity, res.model_price[j], o.iv);
    const double iv_fast = implied_vol(o.type, x, o.maturity, fast[j], o.iv);
    if (std::isfinite(iv) && std::isfinite(iv_fast)) res.pricer_check = std::max(res.pricer_check, std::fabs(iv - iv_fast));
    res.model_iv[j] = iv;
    // A model price without an implied vol counts with its first-order vol error.
    const double err = std::isfinite(iv) ? iv - o.iv : (res.model_price[j] - o.price) / o.vega;
    if (broken(err) && first_broken == sel.options.size()) first_broken = j;
    ExpiryError& pe = res.per_expiry[o.expiry_index];
    pe.rmse_vol += err * err;
    pe.max_abs_vol = std::max(pe.max_abs_vol, std::fabs(err));
    ++pe.count;
    sse += err * err;
    res.max_abs_vol = std::max(res.max_abs_vol, std::fabs(err));
  }
  for (ExpiryError& pe : res.per_expiry) pe.rmse_vol = pe.count ? std::sqrt(pe.rmse_vol / pe.count) : 0.0;
  res.rmse_vol = std::sqrt(sse / static_cast<double>(sel.options.size()));
  if (first_broken < sel.options.size()) {
    const MarketOption& o = sel.options[first_broken];
    throw RuntimeFailure(fmt::format(
        "calibrate: the {} fit's vol error is not finite at the best start's parameters (repriced with the reference "
        "pricer), first at line {} {}: model price {:g} coin, model IV {:g}, mark {:g} coin, mark IV {:g}, vega {:g}",
        to_string(spec.model), o.line, o.instrument, res.model_price[first_broken], res.model_iv[first_broken],
        o.price, o.iv, o.vega));
  }
  if (!std::isfinite(res.rmse_vol))
    throw RuntimeFailure(fmt::format("calibrate: the {} fit's RMSE vol error overflows ({}) at the best start's "
                                     "parameters, though every option's error is finite",
                                     to_string(spec.model), res.rmse_vol));

  m.spot = sel.spot;
  m.rate = sel.carry;
  m.dividend = 0.0;
  res.model = m;
  for (const Bound& b : bounds) res.params.push_back({b.name, m.*(b.field), b.lo, b.hi});
  res.feller = spec.model == ModelType::gbm ? 0.0 : 2.0 * m.kappa * m.theta / (m.xi * m.xi);
  return res;
}

bool at_bound(const FittedParam& p) {
  const double tol = 1e-6 * std::fabs(p.upper - p.lower);
  return std::fabs(p.value - p.lower) <= tol || std::fabs(p.value - p.upper) <= tol;
}

std::vector<std::string> fit_warnings(const FitResult& fit) {
  std::vector<std::string> w;
  for (const FittedParam& p : fit.params)
    if (at_bound(p))
      w.push_back(fmt::format("{} = {:.6g} is at its bound [{:.4g}, {:.4g}]: the data pushed it out of the model's "
                              "plausible range; the fit is the box's best, not the model's (narrow the selection or "
                              "try another model)",
                              p.name, p.value, p.lower, p.upper));
  const ModelParams& m = fit.model;
  if (m.type == ModelType::gbm) return w;
  if (fit.feller < kMinPlausibleFeller)
    w.push_back(fmt::format("Feller ratio 2 kappa theta / xi^2 = {:.4g} is below {}: the variance sits at zero much of "
                            "the time, and paths depend on how the scheme treats zero more than on the parameters",
                            fit.feller, kMinPlausibleFeller));
  if (m.type == ModelType::heston) return w;
  if (std::fabs(m.jump_mean) > kMaxPlausibleJumpMean || m.jump_stdev > kMaxPlausibleJumpStdev)
    w.push_back(fmt::format("jumps of mean {:.4g} and stdev {:.4g} (log) move the price by more than e^{} on average: "
                            "implausible for a crypto index; the jumps may be fitting the wings' noise",
                            m.jump_mean, m.jump_stdev, kMaxPlausibleJumpMean));
  if (m.jump_intensity > kMaxPlausibleJumpIntensity && std::fabs(m.jump_mean) < kSmallJump && m.jump_stdev < kSmallJump)
    w.push_back(fmt::format("{:.4g} jumps a year of mean {:.3g} and stdev {:.3g} (log) are diffusion in disguise: the "
                            "jump parameters are not identified by this chain",
                            m.jump_intensity, m.jump_mean, m.jump_stdev));
  return w;
}

std::string model_yaml(const ModelParams& m) {
  std::string y = "model:\n";
  y += fmt::format("  type: {}\n", to_string(m.type));
  const auto add = [&](const char* key, double v) { y += fmt::format("  {}: {}\n", key, fmt::format("{:.10g}", v)); };
  add("spot", m.spot);
  add("rate", m.rate);
  add("dividend", m.dividend);
  if (m.type == ModelType::gbm) {
    add("vol", m.vol);
    return y;
  }
  add("v0", m.v0);
  add("kappa", m.kappa);
  add("theta", m.theta);
  add("xi", m.xi);
  add("rho", m.rho);
  if (m.type == ModelType::heston) return y;
  add("jump_intensity", m.jump_intensity);
  add("jump_mean", m.jump_mean);
  add("jump_stdev", m.jump_stdev);
  if (m.type == ModelType::bates) return y;
  add("var_jump_mean", m.var_jump_mean);
  add("jump_rho", m.jump_rho);
  return y;
}

}  // namespace hedgesim
