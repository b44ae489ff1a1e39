#pragma once
// Value, delta and gamma of the live part of the book at one time on one path, by Black–Scholes at a
// given volatility. Linear and inverse options share the USD value (black_scholes.hpp); the coin held
// for inverse premiums and payoffs is a separate exposure the hedge observer adds.
#include <cstdint>

#include "hedgesim/hd.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/pricing/black_scholes.hpp"

namespace hedgesim {

struct BookGreeks {
  double delta;  ///< USD value per USD of spot move (coins of underlying)
  double gamma;  ///< only when the job's policies need it (HedgeParams::needs_gamma), else 0
  double tau_last;  ///< years to the last live expiry (0 when none is live)
};

/// Greeks by Black–Scholes at `sigma`, or from the model's delta table at the path's variance when
/// the job hedges with model deltas (hp.table.data set).
HS_HD BookGreeks book_greeks(const HedgeParams& hp, std::uint32_t step, double spot, double sigma, double variance) {
  BookGreeks g{0.0, 0.0, 0.0};
  for (unsigned i = 0; i < hp.n_options; ++i) {
    const BookOption& o = hp.options[i];
    if (o.expiry_step <= step) continue;
    const double tau = static_cast<double>(o.expiry_step - step) * hp.dt;
    double delta, gamma;
    if (hp.table.data != nullptr) {
      const TableGreeks t = table_greeks(hp.table, i, spot, variance, step);
      delta = t.delta;
      gamma = t.gamma;
    } else {
      const DeltaGamma<double> bs =
          black_scholes_delta_gamma(o.type, spot, o.strike, tau, hp.rate, hp.dividend, sigma, hp.needs_gamma);
      delta = bs.delta;
      gamma = bs.gamma;
    }
    g.delta += o.quantity * delta;
    g.gamma += o.quantity * gamma;
    g.tau_last = m::max(g.tau_last, tau);
  }
  return g;
}

}  // namespace hedgesim
