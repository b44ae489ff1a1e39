#pragma once
// Geometric Brownian motion: dS/S = μ dt + σ dW, stepped exactly in log:
//   ln S_{t+Δ} = ln S_t + (μ − σ²/2)Δ + σ√Δ Z.
// μ is the drift of the run's measure (physical: model.drift; risk-neutral: r − q).
#include "hedgesim/hd.hpp"
#include "hedgesim/models/path_state.hpp"
#include "hedgesim/rng/philox.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

template <class T>
struct GbmModel {
  T log_drift_dt;  ///< (μ − σ²/2)Δ
  T sigma_sqrt_dt;
  T variance;

  static constexpr bool kJumps = false;

  HS_HD PathState<T> initial() const { return {T(0), variance}; }

  HS_HD void diffuse(PathState<T>& s, MixedBlock<T> b) const { s.x += log_drift_dt + sigma_sqrt_dt * b.z0; }
};

template <class T>
GbmModel<T> make_gbm(const ModelParams& p, double mu, double dt) {
  return {static_cast<T>((mu - 0.5 * p.vol * p.vol) * dt), static_cast<T>(p.vol * std::sqrt(dt)),
          static_cast<T>(p.vol * p.vol)};
}

}  // namespace hedgesim
