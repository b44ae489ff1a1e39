#pragma once
// Bates (1996): Heston plus compound-Poisson log-normal jumps in the price,
//   dS/S = (μ − λ k̄) dt + √v dW^S + (e^J − 1) dN,  J ~ N(μ_J, σ_J²),  k̄ = e^{μ_J + σ_J²/2} − 1,
// with the variance as in heston.hpp. Per step the jump count N ~ Poisson(λΔ) and, given N, the
// summed log jumps are exactly N(N μ_J, N σ_J²), so one normal serves any number of jumps.
// Random numbers per step (their blocks are engine/path.hpp's layout): the diffusion block (normals,
// QE uniform, Poisson uniform); the jump block only on steps with a jump.
#include <cmath>

#include "hedgesim/hd.hpp"
#include "hedgesim/math.hpp"
#include "hedgesim/models/heston.hpp"
#include "hedgesim/models/poisson.hpp"

namespace hedgesim {

template <class T, VarianceScheme Scheme>
struct BatesModel {
  HestonDiffusion<T, Scheme> diffusion;
  PoissonSampler<T> jumps;
  T v0;
  T jump_mean, jump_stdev;

  static constexpr bool kJumps = true;

  HS_HD PathState<T> initial() const { return {T(0), v0}; }

  HS_HD void diffuse(PathState<T>& s, MixedBlock<T> b) const { diffusion.step(s, b.z0, b.z1, b.u2); }
  /// The diffusion's quadratic-regime step (heston.hpp): the same bits as diffuse where quadratic_regime.
  HS_HD bool quadratic_regime(T v) const { return diffusion.quadratic_regime(v); }
  HS_HD void diffuse_quadratic(PathState<T>& s, MixedBlock<T> b) const { diffusion.step_quadratic(s, b.z0, b.z1); }

  /// Whether the step's jump uniform gives at least one jump.
  HS_HD bool jumps_at(T u_jump) const { return jumps.at_least_one(u_jump); }

  /// The step's jumps, drawing from `rng` (the step's stream from its jump block).
  HS_HD void jump(PathState<T>& s, T u_jump, StepRng<T>& rng) const {
    const unsigned n = jumps(u_jump);
    const auto j = rng.mixed();
    const T nf = static_cast<T>(n);
    s.x += nf * jump_mean + m::sqrt(nf) * jump_stdev * j.z0;
  }
};

/// Expected relative price jump k̄ = E[e^J] − 1 of the Bates model.
inline double bates_mean_jump(const ModelParams& p) {
  return std::expm1(p.jump_mean + 0.5 * p.jump_stdev * p.jump_stdev);
}

template <class T, VarianceScheme Scheme>
BatesModel<T, Scheme> make_bates(const ModelParams& p, double mu, double dt) {
  const double compensated = mu - p.jump_intensity * bates_mean_jump(p);
  return {make_heston_diffusion<T, Scheme>(p, compensated, dt), make_poisson<T>(p.jump_intensity * dt),
          static_cast<T>(p.v0), static_cast<T>(p.jump_mean), static_cast<T>(p.jump_stdev)};
}

}  // namespace hedgesim
