#pragma once
// Parameter sets the engine tests share: each model and scheme, Feller-satisfying and violating.
#include <ostream>
#include <string>
#include <vector>

#include "hedgesim/engine/job.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim::test {

struct ModelCase {
  std::string name;
  ModelParams model;
  double maturity;           ///< years
  std::uint32_t steps_small;  ///< a coarse grid for quick layout tests
};

inline ModelParams heston_lewis(VarianceScheme s) {
  ModelParams p;
  p.type = ModelType::heston;
  p.spot = 100;
  p.rate = 0.01;
  p.dividend = 0.02;
  p.drift = 0.08;
  p.v0 = 0.04;
  p.kappa = 4;
  p.theta = 0.25;
  p.xi = 1;
  p.rho = -0.5;
  p.scheme = s;
  return p;
}

/// `p` with Fang–Oosterlee's variance: 2κθ = 0.126 < ξ² = 0.331, the Feller condition fails.
inline ModelParams with_fang_oosterlee_variance(ModelParams p) {
  p.v0 = 0.0175;
  p.kappa = 1.5768;
  p.theta = 0.0398;
  p.xi = 0.5751;
  p.rho = -0.5711;
  return p;
}

/// Fang–Oosterlee's case: 2κθ = 0.126 < ξ² = 0.331, the Feller condition fails.
inline ModelParams heston_fang_oosterlee(VarianceScheme s) {
  ModelParams p;
  p.type = ModelType::heston;
  p.spot = 100;
  p.drift = 0.05;
  p.scheme = s;
  return with_fang_oosterlee_variance(p);
}

/// `p` with configs/btc_short_calls_perp.yaml's Heston variance: v0 = θ = 0.36, κ = 2, ξ = 1, ρ = −0.3.
inline ModelParams with_btc_variance(ModelParams p) {
  p.v0 = 0.36;
  p.kappa = 2;
  p.theta = 0.36;
  p.xi = 1;
  p.rho = -0.3;
  return p;
}

/// `p` with configs/btc_short_calls_perp.yaml's Bates jumps: λ = 5, μ_J = −0.05, σ_J = 0.1.
inline ModelParams with_btc_jumps(ModelParams p) {
  p.jump_intensity = 5;
  p.jump_mean = -0.05;
  p.jump_stdev = 0.1;
  return p;
}

inline ModelParams bates_btc() {
  ModelParams p;
  p.type = ModelType::bates;
  p.spot = 65000;
  p.rate = 0.04;
  p.drift = 0.2;
  return with_btc_jumps(with_btc_variance(p));
}

/// `p` with a Feller-violating variance and frequent jumps: 2κθ = 0.5 < ξ² = 2.25, λ = 20.
inline ModelParams with_feller_violating_jumps(ModelParams p) {
  p.kappa = 1;
  p.theta = 0.25;
  p.v0 = 0.2;
  p.xi = 1.5;
  p.rho = -0.6;
  p.jump_intensity = 20;
  p.jump_mean = -0.02;
  p.jump_stdev = 0.05;
  return p;
}

/// Feller-violating Bates with frequent jumps: 2κθ = 0.5 < ξ² = 2.25.
inline ModelParams bates_feller_violating() {
  ModelParams p = bates_btc();
  p.spot = 100;
  return with_feller_violating_jumps(p);
}

inline ModelParams svcj_crypto() {
  ModelParams p;
  p.type = ModelType::svcj;
  p.spot = 3000;
  p.rate = 0.03;
  p.dividend = 0.01;
  p.drift = 0.15;
  p.v0 = 0.36;
  p.kappa = 3;
  p.theta = 0.3;
  p.xi = 0.8;
  p.rho = -0.4;
  p.jump_intensity = 6;
  p.jump_mean = -0.03;
  p.jump_stdev = 0.08;
  p.var_jump_mean = 0.1;
  p.jump_rho = -0.5;
  return p;
}

inline ModelParams gbm_btc() {
  ModelParams p;
  p.type = ModelType::gbm;
  p.spot = 65000;
  p.rate = 0.03;
  p.dividend = 0.01;
  p.drift = 0.1;
  p.vol = 0.6;
  return p;
}

inline std::vector<ModelCase> model_cases() {
  ModelParams svcj_euler = svcj_crypto();
  svcj_euler.scheme = VarianceScheme::euler;
  ModelParams bates_euler = bates_btc();
  bates_euler.scheme = VarianceScheme::euler;
  return {
      {"gbm", gbm_btc(), 30.0 / 365.0, 30},
      {"heston_qe_lewis", heston_lewis(VarianceScheme::qe), 1.0, 50},
      {"heston_euler_lewis", heston_lewis(VarianceScheme::euler), 1.0, 50},
      {"heston_qe_feller_violating", heston_fang_oosterlee(VarianceScheme::qe), 1.0, 50},
      {"bates_qe_btc", bates_btc(), 30.0 / 365.0, 60},
      {"bates_euler_btc", bates_euler, 30.0 / 365.0, 60},
      {"bates_qe_feller_violating", bates_feller_violating(), 0.5, 60},
      {"svcj_qe", svcj_crypto(), 0.25, 60},
      {"svcj_euler", svcj_euler, 0.25, 60},
  };
}

/// GoogleTest prints parameters with this: the case's name, not its bytes.
inline void PrintTo(const ModelCase& c, std::ostream* os) { *os << c.name; }

/// A job over [0, maturity] in `steps` equal steps, recording the last step.
inline SimulationJob make_job(const ModelParams& model, Measure measure, Precision precision, double maturity,
                              std::uint32_t steps, std::uint64_t seed) {
  SimulationJob job;
  job.model = model;
  job.measure = measure;
  job.precision = precision;
  job.steps = steps;
  job.dt_years = maturity / steps;
  job.seed = seed;
  job.record.count = 1;
  job.record.step[0] = steps;
  return job;
}

}  // namespace hedgesim::test
