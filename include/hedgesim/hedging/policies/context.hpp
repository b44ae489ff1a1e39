#pragma once
// What a rebalancing rule sees at a decision time, and what it remembers between decisions.
#include <cstdint>

#include "hedgesim/hd.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/math.hpp"

namespace hedgesim {

struct DecisionContext {
  std::uint32_t step;  ///< decision at time step·Δ
  double spot;
  double target;    ///< the policy's full hedge −(book delta + coin held), in coins
  double gamma;     ///< book gamma (coins per USD)
  double tau_last;  ///< years to the last live expiry
  const HedgeParams* hedge;
  double variance;       ///< v_t of the path (GBM: σ²); state_band reads it
  double log_gas_ratio;  ///< ln(gas price / long-run gas price), 0 without gas; state_band reads it
};

struct PolicyState {
  double hedge;                  ///< position in the hedge instrument, coins
  std::uint32_t last_trade_step;
  double last_trade_spot;
  bool traded;                   ///< at least one trade so far
};

/// Band rule: outside [target − w, target + w] trade to the target (center) or the nearer edge.
HS_HD double band_decision(double hedge, double target, double half_width, RebalanceTo to) {
  const double error = hedge - target;
  if (!(m::fabs(error) > half_width)) return hedge;
  if (to == RebalanceTo::center) return target;
  return target + (error > 0 ? half_width : -half_width);
}

}  // namespace hedgesim
