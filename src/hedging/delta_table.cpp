// Builds the model table (delta_table.hpp for the axes and layout).
//
// The spot axis is normalised by delta_table_variance (diffusive variance only); each row's tail
// scale stretches its outer nodes out to
//   reach = 8√w + jump_reach(τ),
// jump_reach covering a Poisson upper quantile of jumps of their mean plus 5 standard deviations.
//
// Filling a (slice, variance) row: with the price homogeneous in (S, K), set S = 1 and price the
// strikes K_m = e^{−x_m}, x_m = z_m√w − (r − q)τ_j − w/2, in one analytic_greeks call (one smile
// shares the characteristic function); ∂Δ/∂ζ = ∂Δ/∂x·√w·∂z/∂ζ = S·Γ·√w·∂z/∂ζ. Rows are
// independent and built on all hardware threads.
//
// Marks rows (marks_row): the residuals R = C − B, ν = ∂R/∂v and ϑ = ∂R/∂τ at the same strikes and
// their x-slopes (Δ − C) − (Δ_B − B) differentiated alike, from the closed form's prices and deltas at
// the row's (v, τ) and at v ± h_v, τ ± h_τ: central differences with h_τ = 10⁻³τ and h_v moving w by
// 10⁻³ of itself, second-order one-sided (v, v + h_v, v + 2h_v) where v < h_v. Truncation is then
// ~10⁻⁷ of the derivative, the pricer's 1e-14·S rounding over the step at most ~1e-7·S per unit of v or
// per year (the first slice, τ = one hour); tests/test_delta_table.cpp measures the result.
#include "hedgesim/hedging/delta_table_builder.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <sstream>
#include <thread>

#include "hedgesim/errors.hpp"
#include "hedgesim/pricing/analytic.hpp"

namespace hedgesim {
namespace {

template <class T>
void require(bool ok, const char* name, T value, const char* allowed) {
  if (ok) return;
  std::ostringstream msg;
  msg.precision(17);
  msg << "delta table: " << name << " = " << value << " is invalid; allowed: " << allowed;
  throw InputError(msg.str());
}

/// Long-run variance including the mean of the variance jumps (svcj).
double long_run_variance(const ModelParams& p) {
  if (p.type == ModelType::svcj && p.kappa > 0) return p.theta + p.jump_intensity * p.var_jump_mean / p.kappa;
  return p.theta;
}

/// How far in ln(S/K) from the core jumps can carry the spot before expiry: a Poisson upper quantile of
/// the jump count, n = λτ + 5√(λτ) + 1, times the mean jump, plus 5 standard deviations of n jumps,
/// plus for svcj 10 scales of the exponential variance-jump loading.
double jump_reach(const ModelParams& p, double tau) {
  if (p.type != ModelType::bates && p.type != ModelType::svcj) return 0.0;
  const double lt = p.jump_intensity * tau;
  if (!(lt > 0.0)) return 0.0;
  const double n = lt + 5.0 * std::sqrt(lt) + 1.0;
  const double loading = p.type == ModelType::svcj ? std::fabs(p.jump_rho) * p.var_jump_mean : 0.0;
  const double mean = std::fabs(p.jump_mean) + loading;
  const double sd = std::sqrt(p.jump_stdev * p.jump_stdev + loading * loading);
  return n * mean + 5.0 * std::sqrt(n) * sd + 10.0 * loading;
}

/// The row's tail scale a: c + a·(e^{(ζ_max − c)/a} − 1) = reach (in z units), so the last node sits at
/// the reach; a huge a (z = ζ) when the reach is within ζ_max.
double tail_scale(double c, double zeta_max, double reach) {
  const double huge = 1e12;
  const auto end = [&](double a) { return c + a * std::expm1((zeta_max - c) / a); };
  if (reach <= end(huge)) return huge;
  double lo = 1e-6, hi = huge;  // end(lo) > reach ≥ end(hi); end decreases in a
  for (int k = 0; k < 200 && hi / lo > 1.0 + 1e-12; ++k) {
    const double mid = std::sqrt(lo * hi);
    (end(mid) > reach ? lo : hi) = mid;
  }
  return hi;
}

/// Fritsch–Carlson: shrinks the exact slopes where a cubic Hermite piece would overshoot (steep,
/// quickly flattening delta over a wide geometric tail interval), so the interpolated call delta is
/// monotone in spot and its gamma non-negative. Slopes against the data's direction (only where the
/// delta is flat to the pricer's 1e-11) become 0. `pairs` holds [value, slope] × n, nodes h apart.
void limit_slopes(double* pairs, unsigned n, double h) {
  for (unsigned m = 0; m + 1 < n; ++m) {
    double* d0 = &pairs[2 * m + 1];
    double* d1 = &pairs[2 * m + 3];
    const double secant = (pairs[2 * m + 2] - pairs[2 * m]) / h;
    if (secant == 0.0) {
      *d0 = *d1 = 0.0;
      continue;
    }
    if (*d0 * secant < 0.0) *d0 = 0.0;
    if (*d1 * secant < 0.0) *d1 = 0.0;
    const double a = *d0 / secant, b = *d1 / secant;
    const double r2 = a * a + b * b;
    if (r2 > 9.0) {
      const double shrink = 3.0 / std::sqrt(r2);
      *d0 *= shrink;
      *d1 *= shrink;
    }
  }
}

/// The marks' Black–Scholes reference B (delta_table.hpp) per unit of spot, at log-moneyness x, total
/// variance w and time τ, and its delta e^{−qτ}N(d₁).
struct Reference {
  double price, delta;
};
Reference bs_reference(double x, double w, double tau, double rate, double dividend) {
  const double sd = std::sqrt(w), d1 = (x + (rate - dividend) * tau + 0.5 * w) / sd;
  const double df_q = std::exp(-dividend * tau);
  const double n1 = 0.5 * std::erfc(-d1 * M_SQRT1_2), n2 = 0.5 * std::erfc(-(d1 - sd) * M_SQRT1_2);
  return {df_q * n1 - std::exp(-x - rate * tau) * n2, df_q * n1};
}

/// Fills one marks row (layout in delta_table.hpp) for spot 1 at variance v and time tau: strikes[m]
/// and log-moneyness x[m] of the delta row's nodes, whose closed-form greeks at (v, τ) are `greeks`;
/// slope[m] = √w·∂z/∂ζ converts ∂/∂x to ∂/∂ζ.
void marks_row(const ModelParams& model, const DeltaTableView& view, double v, double tau,
               std::span<const double> strikes, std::span<const double> x, std::span<const AnalyticGreeks> greeks,
               std::span<const double> slope, double* row) {
  const std::size_t n = strikes.size();
  const std::vector<OptionType> calls(n, OptionType::call);
  // f = C − B and g = (Δ − C) − (Δ_B − B) at every node, under (v', τ').
  const auto residuals = [&](double v_at, double tau_at, const std::vector<AnalyticGreeks>* known,
                             std::vector<double>& f, std::vector<double>& g) {
    ModelParams p = model;
    p.spot = 1.0;
    p.v0 = v_at;
    const std::vector<double> price = analytic_prices(p, tau_at, calls, strikes);
    const std::vector<AnalyticGreeks> own = known ? std::vector<AnalyticGreeks>{} : analytic_greeks(p, tau_at, calls, strikes);
    const std::vector<AnalyticGreeks>& gk = known ? *known : own;
    const double w = delta_table_variance(view, v_at, tau_at);
    f.resize(n);
    g.resize(n);
    for (std::size_t m = 0; m < n; ++m) {
      const Reference b = bs_reference(x[m], w, tau_at, model.rate, model.dividend);
      f[m] = price[m] - b.price;
      g[m] = (gk[m].delta - price[m]) - (b.delta - b.price);
    }
  };
  const std::vector<AnalyticGreeks> at_row(greeks.begin(), greeks.end());
  std::vector<double> f0, g0, fa, ga, fb, gb;
  residuals(v, tau, &at_row, f0, g0);
  for (std::size_t m = 0; m < n; ++m) {
    row[6 * m] = f0[m];
    row[6 * m + 1] = g0[m] * slope[m];
  }
  // ν: in v, moving w by 10⁻³ of itself (none for gbm, whose variance is ignored).
  const double kt = view.kappa * tau;
  const double w_v = view.v_weight * tau * (kt > 1e-8 ? -std::expm1(-kt) / kt : 1.0 - 0.5 * kt);
  if (w_v > 0.0) {
    const double h = 1e-3 * delta_table_variance(view, v, tau) / w_v;
    const bool central = v >= h;
    residuals(central ? v - h : v + h, tau, nullptr, fa, ga);
    residuals(central ? v + h : v + 2 * h, tau, nullptr, fb, gb);
    const auto d = [&](double y0, double ya, double yb) {
      return central ? (yb - ya) / (2 * h) : (-3 * y0 + 4 * ya - yb) / (2 * h);
    };
    for (std::size_t m = 0; m < n; ++m) {
      row[6 * m + 2] = d(f0[m], fa[m], fb[m]);
      row[6 * m + 3] = d(g0[m], ga[m], gb[m]) * slope[m];
    }
  } else {
    for (std::size_t m = 0; m < n; ++m) row[6 * m + 2] = row[6 * m + 3] = 0.0;
  }
  // ϑ: central in τ.
  const double h = 1e-3 * tau;
  residuals(v, tau - h, nullptr, fa, ga);
  residuals(v, tau + h, nullptr, fb, gb);
  for (std::size_t m = 0; m < n; ++m) {
    row[6 * m + 4] = (fb[m] - fa[m]) / (2 * h);
    row[6 * m + 5] = (gb[m] - ga[m]) / (2 * h) * slope[m];
  }
}

}  // namespace

DeltaTable::DeltaTable(const ModelParams& model, std::span<const DeltaTableOption> options, double dt,
                       const DeltaTableResolution& res, TableContents contents) {
  require(!options.empty(), "number of options", options.size(), ">= 1");
  require(std::isfinite(dt) && dt > 0, "dt", dt, "finite and > 0 (years per step)");
  require(res.time_slices >= 1, "time_slices", res.time_slices, ">= 1");
  require(std::isfinite(res.sqrt_step) && res.sqrt_step > 0, "sqrt_step", res.sqrt_step, "finite and > 0");
  require(res.variance_nodes >= 2, "variance_nodes", res.variance_nodes, ">= 2");
  require(res.spot_nodes >= 4, "spot_nodes", res.spot_nodes, ">= 4");
  require(std::isfinite(res.z_core) && res.z_core > 0, "z_core", res.z_core, "finite and > 0");
  require(std::isfinite(res.zeta_max) && res.zeta_max > res.z_core, "zeta_max", res.zeta_max, "finite and > z_core");
  require(std::isfinite(res.max_reach) && res.max_reach > 0, "max_reach", res.max_reach, "finite and > 0");
  require(std::isfinite(res.sigma_knee) && res.sigma_knee > 0, "sigma_knee", res.sigma_knee, "finite and > 0");
  require(std::isfinite(res.variance_max) && res.variance_max >= 0, "variance_max", res.variance_max,
          "finite and >= 0 (0: automatic)");
  std::uint32_t last_expiry = 0;
  for (const DeltaTableOption& o : options) {
    require(std::isfinite(o.strike) && o.strike > 0, "strike", o.strike, "finite and > 0");
    require(o.expiry_step >= 1, "expiry_step", o.expiry_step, ">= 1");
    last_expiry = std::max(last_expiry, o.expiry_step);
  }
  // analytic_greeks validates the model itself; check here what the axes need.
  const bool gbm = model.type == ModelType::gbm;
  const double theta = long_run_variance(model);
  double v_top = res.variance_max;
  if (v_top == 0.0) v_top = gbm ? model.vol * model.vol : std::max(5.0 * theta, 3.0 * model.v0);
  require(std::isfinite(v_top) && v_top > 0, "variance_max", v_top, "finite and > 0 (set model theta or v0)");

  view_.n_options = static_cast<unsigned>(options.size());
  // Slices Δ√n ≤ sqrt_step apart, at most time_slices, at most one per step.
  const double sqrt_span = std::sqrt(static_cast<double>(last_expiry)) - 1.0;
  const auto wanted = static_cast<unsigned>(std::ceil(sqrt_span / res.sqrt_step)) + 1;
  view_.n_time = std::min({res.time_slices, wanted, last_expiry});
  view_.n_var = res.variance_nodes;
  view_.n_z = res.spot_nodes;
  view_.dt = dt;
  view_.dividend = model.dividend;
  const double du = view_.n_time > 1 ? sqrt_span / (view_.n_time - 1) : 0.0;
  view_.inv_du = du > 0 ? 1.0 / du : 0.0;
  view_.sigma_max = std::sqrt(v_top);
  view_.sigma_knee = res.sigma_knee * view_.sigma_max;
  view_.inv_ds = (view_.n_var - 1) / std::log1p(view_.sigma_max / view_.sigma_knee);
  view_.z_core = res.z_core;
  view_.zeta_max = res.zeta_max;
  view_.dzeta = 2.0 * res.zeta_max / (view_.n_z - 1);

  view_.carry = model.rate - model.dividend;
  view_.long_run_variance = gbm ? model.vol * model.vol : theta;
  view_.kappa = gbm ? 0.0 : model.kappa;
  view_.v_weight = gbm ? 0.0 : 1.0;
  view_.rate = model.rate;

  const std::size_t row_len = 2 * static_cast<std::size_t>(view_.n_z) + 2;
  const std::size_t grid_off = 4 * options.size();
  const std::size_t rows = static_cast<std::size_t>(view_.n_time) * view_.n_var;
  const std::size_t marks_len = 6 * static_cast<std::size_t>(view_.n_z);
  const bool marks = contents == TableContents::deltas_and_marks;
  view_.marks_offset = marks ? grid_off + rows * row_len : 0;
  buffer_.assign(grid_off + rows * row_len + (marks ? rows * marks_len : 0), 0.0);
  for (std::size_t k = 0; k < options.size(); ++k) {
    double* o = &buffer_[4 * k];
    o[0] = std::log(options[k].strike);
    o[1] = options[k].type == OptionType::call ? 1.0 : -1.0;
    o[2] = static_cast<double>(options[k].expiry_step);
    o[3] = options[k].strike;
  }

  // Rows (slice j, variance i), on all hardware threads.
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto worker = [&] {
    const std::vector<OptionType> calls(view_.n_z, OptionType::call);
    std::vector<double> strikes(view_.n_z), xs(view_.n_z), slopes(view_.n_z);
    for (std::size_t r = next++; r < rows; r = next++) {
      try {
        const unsigned j = static_cast<unsigned>(r / view_.n_var), i = static_cast<unsigned>(r % view_.n_var);
        const double u = 1.0 + j * du;
        const double tau = u * u * dt;
        const double sigma = delta_table_sigma(view_, i);
        ModelParams p = model;
        p.spot = 1.0;
        p.v0 = sigma * sigma;
        const double w = delta_table_variance(view_, p.v0, tau);
        const double sd = std::sqrt(w);
        // Reach: 8 diffusive standard deviations plus the jumps'.
        const double reach = 8.0 * sd + jump_reach(model, tau);
        double* row = &buffer_[grid_off + r * row_len];
        const double a = tail_scale(view_.z_core, view_.zeta_max, std::min(reach / sd, res.max_reach));
        row[0] = a;
        std::vector<double> dz_dzeta(view_.n_z);
        for (unsigned m = 0; m < view_.n_z; ++m) {
          const double zeta = -view_.zeta_max + m * view_.dzeta;
          const double z = delta_table_z(view_, a, zeta);
          dz_dzeta[m] = std::fabs(zeta) <= view_.z_core ? 1.0 : 1.0 + (std::fabs(z) - view_.z_core) / a;
          xs[m] = z * sd - view_.carry * tau - 0.5 * w;
          strikes[m] = std::exp(-xs[m]);
          slopes[m] = sd * dz_dzeta[m];
        }
        const std::vector<AnalyticGreeks> g = analytic_greeks(p, tau, calls, strikes);
        for (unsigned m = 0; m < view_.n_z; ++m) {
          row[2 + 2 * m] = g[m].delta;
          row[3 + 2 * m] = g[m].gamma * sd * dz_dzeta[m];  // ∂Δ/∂ζ = S·Γ·√w·∂z/∂ζ with S = 1
        }
        limit_slopes(row + 2, view_.n_z, view_.dzeta);
        if (marks) marks_row(model, view_, p.v0, tau, strikes, xs, g, slopes, &buffer_[view_.marks_offset + r * marks_len]);
      } catch (...) {
        const std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = rows;
      }
    }
  };
  const unsigned n_threads = std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, static_cast<unsigned>(rows));
  std::vector<std::thread> threads;
  for (unsigned k = 1; k < n_threads; ++k) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

namespace {

/// The table's options: the book's, then with model marks the hedge options (their marks are the
/// table's too, MarketTile::hedge_option_marks; the time axis then reaches their expiries: a rolling
/// option's series at most tenor_steps away).
std::vector<DeltaTableOption> table_options(const HedgeParams& hp) {
  std::vector<DeltaTableOption> out;
  for (unsigned k = 0; k < hp.n_options; ++k) out.push_back({hp.options[k].type, hp.options[k].strike, hp.options[k].expiry_step});
  if (hp.marks == MarkSource::model) {
    for (unsigned k = 0; k < hp.n_hedge_options; ++k) {
      const HedgeOption& o = hp.hedge_options[k];
      out.push_back({o.type, o.strike, is_rolling(o) ? o.tenor_steps : o.expiry_step});
    }
  }
  return out;
}

}  // namespace

DeltaTable::DeltaTable(const ModelParams& model, const HedgeParams& hedge, const DeltaTableResolution& resolution)
    : DeltaTable(model, table_options(hedge), hedge.dt, resolution,
                 hedge.marks == MarkSource::model ? TableContents::deltas_and_marks : TableContents::deltas) {}

std::optional<DeltaTable> attach_model_table(const RunSpec& spec, HedgeParams& hp) {
  const bool model_deltas = spec.hedge.delta == DeltaSource::model, model_marks = spec.hedge.marks == MarkSource::model;
  if (spec.model.type == ModelType::gbm || !(model_deltas || model_marks)) return std::nullopt;
  std::optional<DeltaTable> table(std::in_place, spec.model, hp);
  hp.table = table->view();
  hp.table_size = table->buffer().size();
  hp.model_deltas = model_deltas;
  return table;
}

double DeltaTable::variance_max() const {
  return view_.sigma_max * view_.sigma_max;
}

}  // namespace hedgesim
