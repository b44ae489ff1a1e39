#pragma once
// Heston stochastic volatility:
//   dS/S = μ dt + √v dW^S,   dv = κ(θ − v) dt + ξ √v dW^v,   d⟨W^S, W^v⟩ = ρ dt.
// Two discretisations of one step Δ (VarianceScheme):
//  - qe: Andersen (2008) quadratic-exponential variance step with ψ_c = 1.5, and the log price
//        ln S' = ln S + μΔ + K0* + K1 v + K2 v' + √(K3 v + K4 v') Z  (γ1 = γ2 = ½) where K0* is the
//        martingale correction that makes E[S'/S | v] = e^{μΔ} exactly (Andersen §4.2; when the
//        correction's moment does not exist the uncorrected K0 is used, as Andersen prescribes).
//  - euler: full-truncation Euler (Lord, Koekkoek, van Dijk 2010) with v⁺ = max(v, 0):
//        ln S' = ln S + (μ − v⁺/2)Δ + √(v⁺Δ)(ρ Z_v + √(1−ρ²) Z),  v' = v + κ(θ − v⁺)Δ + ξ√(v⁺Δ) Z_v.
// The jump models (bates.hpp, svcj.hpp) reuse this diffusion step with a compensated drift.
#include <cmath>
#include <limits>

#include "hedgesim/hd.hpp"
#include "hedgesim/math.hpp"
#include "hedgesim/models/path_state.hpp"
#include "hedgesim/rng/philox.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

/// The scheme is a template parameter so the per-lane step has no branch on it (CPU tiles vectorise).
template <class T, VarianceScheme Scheme>
struct HestonDiffusion {
  T mu_dt;  ///< drift of ln S before the convexity terms, times Δ
  T dt, kappa_dt, theta, xi, rho, rho_bar, sqrt_dt;
  T e;       ///< e^{−κΔ}
  T one_minus_e;  ///< 1 − e^{−κΔ}, from expm1 (float rounds e to 1 when κΔ is under ~6e-8)
  T c1, c2;  ///< conditional variance of v': s² = c1·v + c2
  T k0, k1, k2, k3, k4;
  T a_mgf;  ///< K2 + K4/2, the exponent the martingale correction needs

  /// One step of (x, v) given two independent normals and one uniform.
  HS_HD void step(PathState<T>& s, T z_price, T z_var, T u_var) const {
    if constexpr (Scheme == VarianceScheme::qe) {
      step_qe(s, z_price, z_var, u_var);
    } else {
      step_euler(s, z_price, z_var);
    }
  }

  /// QE's ψ = s²/m² of the variance step from v, and m.
  HS_HD T qe_psi(T v, T& mean) const {
    mean = theta + (v - theta) * e;
    // With κΔ under float's ε (κ = 1e-5 at daily steps) e rounds to 1, and the mean from a v far below
    // θ comes out as θ − θ = 0: ψ = s²/0 made the step NaN. Where the mean's square is not a normal
    // number it is taken as v·e + θ(1 − e) instead; elsewhere it keeps its bits.
    mean = mean * mean >= std::numeric_limits<T>::min() ? mean : v * e + theta * one_minus_e;
    const T var = c1 * v + c2;
    return var / (mean * mean);
  }

  /// Whether a step from v takes QE's quadratic branch (ψ ≤ ψ_c = 1.5): everywhere but where v is small
  /// against its step's spread. A CPU tile whose lanes all do skips the exponential branch's logs and
  /// divisions (step_quadratic, same bits). Euler: always.
  HS_HD bool quadratic_regime(T v) const {
    if constexpr (Scheme == VarianceScheme::qe) {
      T mean;
      return qe_psi(v, mean) <= T(1.5);
    } else {
      return true;
    }
  }

  /// step() for a v in the quadratic regime: the same operations on the branch it takes.
  HS_HD void step_quadratic(PathState<T>& s, T z_price, T z_var) const {
    if constexpr (Scheme == VarianceScheme::qe) {
      T mean;
      const T psi = qe_psi(s.v, mean);
      const QeBranch q = qe_quadratic(s.v, mean, psi, z_var);
      qe_finish(s, q.v_next, q.k0_star, z_price);
    } else {
      step_euler(s, z_price, z_var);
    }
  }

  /// v' of one QE branch and the log-price drift term K0* that goes with it (K0 where the
  /// martingale correction's moment does not exist).
  struct QeBranch {
    T v_next, k0_star;
  };

  HS_HD T k0_star(T v, T log_m, bool corrected) const { return corrected ? -log_m - (k1 + T(0.5) * k3) * v : k0; }

  HS_HD QeBranch qe_quadratic(T v, T mean, T psi, T z_var) const {
    const T inv = T(2) / psi;
    const T b2 = inv - T(1) + m::sqrt(inv * (inv - T(1)));
    const T a = mean / (T(1) + b2);
    const T b = m::sqrt(b2);
    const T w = b + z_var;
    // ln M = A b² a/(1 − 2Aa) − ½ ln(1 − 2Aa); 2Aa is O(Δ), so ln(1 − 2Aa) is taken as log1p: in
    // float32 rounding 1 − 2Aa would bias every step the same way.
    const T two_aa = T(2) * a_mgf * a;
    const bool corrected = two_aa < T(1);
    const T log_m = corrected ? a_mgf * b2 * a / (T(1) - two_aa) - T(0.5) * m::log1p_pos(-two_aa) : T(0);
    return {a * w * w, k0_star(v, log_m, corrected)};
  }

  HS_HD QeBranch qe_exponential(T v, T mean, T psi, T u_var) const {
    const T p = (psi - T(1)) / (psi + T(1));
    const T beta = (T(1) - p) / mean;
    const bool corrected = a_mgf < beta;
    // ln M = ln(p + β(1 − p)/(β − A)) = log1p((1 − p)A/(β − A)).
    const T log_m = corrected ? m::log1p_pos((T(1) - p) * a_mgf / (beta - a_mgf)) : T(0);
    return {u_var <= p ? T(0) : m::log_pos((T(1) - p) / (T(1) - u_var)) / beta, k0_star(v, log_m, corrected)};
  }

  HS_HD void qe_finish(PathState<T>& s, T v_next, T k0s, T z_price) const {
    const T v = s.v;
    s.x += mu_dt + k0s + k1 * v + k2 * v_next + m::sqrt(k3 * v + k4 * v_next) * z_price;
    s.v = v_next;
  }

  HS_HD void step_qe(PathState<T>& s, T z_price, T z_var, T u_var) const {
    T mean;
    const T psi = qe_psi(s.v, mean);
#if defined(__CUDA_ARCH__)
    const QeBranch q = psi <= T(1.5) ? qe_quadratic(s.v, mean, psi, z_var) : qe_exponential(s.v, mean, psi, u_var);
    qe_finish(s, q.v_next, q.k0_star, z_price);
#else
    // Both branches, then selects: the CPU's lane loop stays branch-free and vectorises.
    const QeBranch qq = qe_quadratic(s.v, mean, psi, z_var);
    const QeBranch qx = qe_exponential(s.v, mean, psi, u_var);
    const bool quad = psi <= T(1.5);
    qe_finish(s, quad ? qq.v_next : qx.v_next, quad ? qq.k0_star : qx.k0_star, z_price);
#endif
  }

  HS_HD void step_euler(PathState<T>& s, T z_price, T z_var) const {
    const T vp = m::max(s.v, T(0));
    const T sv = m::sqrt(vp) * sqrt_dt;
    s.x += mu_dt - T(0.5) * vp * dt + sv * (rho * z_var + rho_bar * z_price);
    s.v += kappa_dt * (theta - vp) + xi * sv * z_var;
  }
};

/// Coefficients of one Heston step of length dt (years) with log-price drift mu (already net of any
/// jump compensator).
template <class T, VarianceScheme Scheme>
HestonDiffusion<T, Scheme> make_heston_diffusion(const ModelParams& p, double mu, double dt) {
  const double e = std::exp(-p.kappa * dt);
  const double xi2 = p.xi * p.xi;
  const double rr = 1.0 - p.rho * p.rho;
  const double g = p.kappa * p.rho / p.xi - 0.5;  // γ1 = γ2 = ½
  const double k1 = 0.5 * dt * g - p.rho / p.xi;
  const double k2 = 0.5 * dt * g + p.rho / p.xi;
  const double k3 = 0.5 * dt * rr;
  const double k4 = 0.5 * dt * rr;
  HestonDiffusion<T, Scheme> h{};
  h.mu_dt = static_cast<T>(mu * dt);
  h.dt = static_cast<T>(dt);
  h.kappa_dt = static_cast<T>(p.kappa * dt);
  h.theta = static_cast<T>(p.theta);
  h.xi = static_cast<T>(p.xi);
  h.rho = static_cast<T>(p.rho);
  h.rho_bar = static_cast<T>(std::sqrt(rr));
  h.sqrt_dt = static_cast<T>(std::sqrt(dt));
  h.e = static_cast<T>(e);
  h.one_minus_e = static_cast<T>(-std::expm1(-p.kappa * dt));
  h.c1 = static_cast<T>(xi2 * e * (1.0 - e) / p.kappa);
  h.c2 = static_cast<T>(p.theta * xi2 * (1.0 - e) * (1.0 - e) / (2.0 * p.kappa));
  h.k0 = static_cast<T>(-p.rho * p.kappa * p.theta / p.xi * dt);
  h.k1 = static_cast<T>(k1);
  h.k2 = static_cast<T>(k2);
  h.k3 = static_cast<T>(k3);
  h.k4 = static_cast<T>(k4);
  h.a_mgf = static_cast<T>(k2 + 0.5 * k4);
  return h;
}

template <class T, VarianceScheme Scheme>
struct HestonModel {
  HestonDiffusion<T, Scheme> diffusion;
  T v0;

  static constexpr bool kJumps = false;

  HS_HD PathState<T> initial() const { return {T(0), v0}; }

  HS_HD void diffuse(PathState<T>& s, MixedBlock<T> b) const { diffusion.step(s, b.z0, b.z1, b.u2); }
  HS_HD bool quadratic_regime(T v) const { return diffusion.quadratic_regime(v); }
  HS_HD void diffuse_quadratic(PathState<T>& s, MixedBlock<T> b) const { diffusion.step_quadratic(s, b.z0, b.z1); }
};

template <class T, VarianceScheme Scheme>
HestonModel<T, Scheme> make_heston(const ModelParams& p, double mu, double dt) {
  return {make_heston_diffusion<T, Scheme>(p, mu, dt), static_cast<T>(p.v0)};
}

}  // namespace hedgesim
