#pragma once
// Chooses the model unit for a run: host code builds the step coefficients of one ModelType at the
// run's precision and hands them, as a concrete type, to a generic callable. Kernels and CPU loops are
// instantiated per model, so the hot path has no virtual call and no per-step switch on the type.
// Adding a model takes more than this file (issue 11 found the old "header, enum entry, one case here"
// untrue): its header (the per-path step both backends run) and its case in visit_model here; its
// enumerator in spec.hpp and name in spec.cpp; its keys in src/config/schema.hpp's kModelKeys (which
// types use each key, its rule), rules between keys in validate_model (src/config/model.cpp) and
// config_ranges.hpp's ranges; its closed form or characteristic function in pricing/analytic.cpp (book
// premiums, `price`'s check); for a Heston-family model, its long-run variance and jump loading in
// hedging/delta_table.cpp (model deltas) and its initial vol in jobs/run_job.cpp; and its parameter
// box in calibration/fit.cpp (bounds_for) to be calibrated.
#include "hedgesim/models/bates.hpp"
#include "hedgesim/models/gbm.hpp"
#include "hedgesim/models/heston.hpp"
#include "hedgesim/models/svcj.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

/// Drift μ of the log price's underlying SDE under the run's measure (docs/architecture.md, "Conventions").
inline double measure_drift(const ModelParams& p, Measure measure) {
  return measure == Measure::physical ? p.drift : p.rate - p.dividend;
}

template <class T, VarianceScheme Scheme, class F>
decltype(auto) visit_heston_family(const ModelParams& p, double mu, double dt_years, F&& f) {
  switch (p.type) {
    case ModelType::heston:
      return f(make_heston<T, Scheme>(p, mu, dt_years));
    case ModelType::bates:
      return f(make_bates<T, Scheme>(p, mu, dt_years));
    default:
      return f(make_svcj<T, Scheme>(p, mu, dt_years));
  }
}

template <class T, class F>
decltype(auto) visit_model(const ModelParams& p, Measure measure, double dt_years, F&& f) {
  const double mu = measure_drift(p, measure);
  if (p.type == ModelType::gbm) return f(make_gbm<T>(p, mu, dt_years));
  if (p.scheme == VarianceScheme::qe) return visit_heston_family<T, VarianceScheme::qe>(p, mu, dt_years, f);
  return visit_heston_family<T, VarianceScheme::euler>(p, mu, dt_years, f);
}

}  // namespace hedgesim
