// Builds the model delta table (delta_table.hpp for the axes and layout).
//
// The spot axis is normalised by delta_table_variance: the diffusive variance expected to expiry,
// plus the jump variance λτ·E[J²] only once a jump is likely (λτ ≥ 1, scaled by λτ below), so that
// near expiry (λτ ≪ 1) the axis resolves the diffusive step of delta, and further out it is wide
// enough for the jump tails.
//
// Filling a (slice, variance) row: with the price homogeneous in (S, K), set S = 1 and price the
// strikes K_m = e^{−x_m}, x_m = z_m√w − (r − q)τ_j − w/2, in one analytic_greeks call (one smile
// shares the characteristic function); ∂Δ/∂z = ∂Δ/∂x·√w = S·Γ·√w. Rows are independent and built on
// all hardware threads.
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

/// E[J²] of a log-price jump.
double jump_second_moment(const ModelParams& p) {
  if (p.type == ModelType::bates) return p.jump_mean * p.jump_mean + p.jump_stdev * p.jump_stdev;
  if (p.type == ModelType::svcj) {
    // J = μ_S + ρ_J Z_v + σ_S ε with Z_v ~ Exp(μ_v).
    const double mean = p.jump_mean + p.jump_rho * p.var_jump_mean;
    const double rj = p.jump_rho * p.var_jump_mean;
    return mean * mean + rj * rj + p.jump_stdev * p.jump_stdev;
  }
  return 0.0;
}

}  // namespace

DeltaTable::DeltaTable(const ModelParams& model, std::span<const DeltaTableOption> options, double dt,
                       const DeltaTableResolution& res) {
  require(!options.empty(), "number of options", options.size(), ">= 1");
  require(std::isfinite(dt) && dt > 0, "dt", dt, "finite and > 0 (years per step)");
  require(res.time_slices >= 1, "time_slices", res.time_slices, ">= 1");
  require(res.variance_nodes >= 2, "variance_nodes", res.variance_nodes, ">= 2");
  require(res.spot_nodes >= 4, "spot_nodes", res.spot_nodes, ">= 4");
  require(std::isfinite(res.z_max) && res.z_max > 0, "z_max", res.z_max, "finite and > 0");
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
  view_.n_time = std::min<unsigned>(res.time_slices, last_expiry);
  view_.n_var = res.variance_nodes;
  view_.n_z = res.spot_nodes;
  view_.dt = dt;
  view_.dividend = model.dividend;
  const double du = view_.n_time > 1 ? (std::sqrt(static_cast<double>(last_expiry)) - 1.0) / (view_.n_time - 1) : 0.0;
  view_.inv_du = du > 0 ? 1.0 / du : 0.0;
  view_.sigma_max = std::sqrt(v_top);
  view_.sigma_knee = res.sigma_knee * view_.sigma_max;
  view_.inv_ds = (view_.n_var - 1) / std::log1p(view_.sigma_max / view_.sigma_knee);
  view_.z_max = res.z_max;
  view_.dz = 2.0 * res.z_max / (view_.n_z - 1);

  view_.carry = model.rate - model.dividend;
  view_.long_run_variance = gbm ? model.vol * model.vol : theta;
  view_.kappa = gbm ? 0.0 : model.kappa;
  view_.v_weight = gbm ? 0.0 : 1.0;
  view_.jump_rate = gbm || model.type == ModelType::heston ? 0.0 : model.jump_intensity;
  view_.jump_m2 = jump_second_moment(model);

  const std::size_t row_len = 2 * static_cast<std::size_t>(view_.n_z);
  const std::size_t grid_off = 4 * options.size();
  buffer_.assign(grid_off + static_cast<std::size_t>(view_.n_time) * view_.n_var * row_len, 0.0);
  for (std::size_t k = 0; k < options.size(); ++k) {
    double* o = &buffer_[4 * k];
    o[0] = std::log(options[k].strike);
    o[1] = options[k].type == OptionType::call ? 1.0 : -1.0;
    o[2] = static_cast<double>(options[k].expiry_step);
    o[3] = options[k].strike;
  }

  // Rows (slice j, variance i), on all hardware threads.
  const std::size_t rows = static_cast<std::size_t>(view_.n_time) * view_.n_var;
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto worker = [&] {
    const std::vector<OptionType> calls(view_.n_z, OptionType::call);
    std::vector<double> strikes(view_.n_z);
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
        for (unsigned m = 0; m < view_.n_z; ++m) {
          const double z = -view_.z_max + m * view_.dz;
          strikes[m] = std::exp(-(z * sd - view_.carry * tau - 0.5 * w));
        }
        const std::vector<AnalyticGreeks> g = analytic_greeks(p, tau, calls, strikes);
        double* row = &buffer_[grid_off + r * row_len];
        for (unsigned m = 0; m < view_.n_z; ++m) {
          row[2 * m] = g[m].delta;
          row[2 * m + 1] = g[m].gamma * sd;  // S·Γ·√w with S = 1
        }
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

std::vector<DeltaTableOption> book_options(const HedgeParams& hp) {
  std::vector<DeltaTableOption> out(hp.n_options);
  for (unsigned k = 0; k < hp.n_options; ++k) out[k] = {hp.options[k].type, hp.options[k].strike, hp.options[k].expiry_step};
  return out;
}

}  // namespace

DeltaTable::DeltaTable(const ModelParams& model, const HedgeParams& hedge, const DeltaTableResolution& resolution)
    : DeltaTable(model, book_options(hedge), hedge.dt, resolution) {}

double DeltaTable::variance_max() const {
  return view_.sigma_max * view_.sigma_max;
}

}  // namespace hedgesim
