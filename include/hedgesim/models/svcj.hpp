#pragma once
// SVCJ (Duffie, Pan & Singleton 2000; Eraker 2004): Heston with simultaneous jumps in price and
// variance driven by one Poisson process N with intensity λ,
//   dS/S = (μ − λ k̄) dt + √v dW^S + (e^{Z^S} − 1) dN,   dv = κ(θ − v) dt + ξ √v dW^v + Z^v dN,
//   Z^v ~ Exponential(mean μ_v),  Z^S | Z^v ~ N(μ_S + ρ_J Z^v, σ_S²),
//   k̄ = E[e^{Z^S}] − 1 = e^{μ_S + σ_S²/2} / (1 − ρ_J μ_v) − 1   (needs ρ_J μ_v < 1).
// Per step: the diffusion step of heston.hpp, then the step's N jumps land at its end: the variance
// jumps by ΣZ^v (N exponentials) and the log price by N μ_S + ρ_J ΣZ^v + √N σ_S ε.
// Random numbers per step (blocks as engine/path.hpp lays them out): the diffusion block as in Bates;
// on steps with jumps, the jump block gives ε and two exponentials, and each further block four more.
#include <cmath>

#include "hedgesim/hd.hpp"
#include "hedgesim/math.hpp"
#include "hedgesim/models/heston.hpp"
#include "hedgesim/models/poisson.hpp"

namespace hedgesim {

template <class T, VarianceScheme Scheme>
struct SvcjModel {
  HestonDiffusion<T, Scheme> diffusion;
  PoissonSampler<T> jumps;
  T v0;
  T jump_mean, jump_stdev, var_jump_mean, jump_rho;

  static constexpr bool kJumps = true;

  HS_HD PathState<T> initial() const { return {T(0), v0}; }

  HS_HD void diffuse(PathState<T>& s, MixedBlock<T> b) const { diffusion.step(s, b.z0, b.z1, b.u2); }
  /// The diffusion's quadratic-regime step (heston.hpp): the same bits as diffuse where quadratic_regime.
  HS_HD bool quadratic_regime(T v) const { return diffusion.quadratic_regime(v); }
  HS_HD void diffuse_quadratic(PathState<T>& s, MixedBlock<T> b) const { diffusion.step_quadratic(s, b.z0, b.z1); }

  HS_HD bool jumps_at(T u_jump) const { return jumps.at_least_one(u_jump); }

  /// The step's jumps (at least one), drawing from `rng` (the step's stream from its jump block).
  HS_HD void jump(PathState<T>& s, T u_jump, StepRng<T>& rng) const {
    const unsigned n = jumps(u_jump);
    T u[4];
    rng.uniforms4(u);
    const T eps = box_muller(u[0], u[1]).z0;
    T var_jumps = T(0);
    unsigned next = 2;  // u[2], u[3] are the first two exponentials
    for (unsigned i = 0; i < n; ++i) {
      if (next == 4) {
        rng.uniforms4(u);
        next = 0;
      }
      var_jumps -= var_jump_mean * m::log_pos(u[next++]);
    }
    const T nf = static_cast<T>(n);
    s.v += var_jumps;
    s.x += nf * jump_mean + jump_rho * var_jumps + m::sqrt(nf) * jump_stdev * eps;
  }
};

/// Expected relative price jump k̄ = E[e^{Z^S}] − 1 of the SVCJ model.
inline double svcj_mean_jump(const ModelParams& p) {
  return std::exp(p.jump_mean + 0.5 * p.jump_stdev * p.jump_stdev) / (1.0 - p.jump_rho * p.var_jump_mean) - 1.0;
}

template <class T, VarianceScheme Scheme>
SvcjModel<T, Scheme> make_svcj(const ModelParams& p, double mu, double dt) {
  const double compensated = mu - p.jump_intensity * svcj_mean_jump(p);
  return {make_heston_diffusion<T, Scheme>(p, compensated, dt),
          make_poisson<T>(p.jump_intensity * dt),
          static_cast<T>(p.v0),
          static_cast<T>(p.jump_mean),
          static_cast<T>(p.jump_stdev),
          static_cast<T>(p.var_jump_mean),
          static_cast<T>(p.jump_rho)};
}

}  // namespace hedgesim
