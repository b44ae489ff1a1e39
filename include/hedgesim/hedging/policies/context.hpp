#pragma once
// What a rebalancing rule sees at a decision time, and what it remembers between decisions.
// Rules are written without branches on per-path values (selects instead), so the CPU backend's
// lane loop over a tile of paths stays one vectorised loop per policy.
#include <cstdint>

#include "hedgesim/hd.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/math.hpp"
#if !defined(__CUDACC__)
#include "hedgesim/hedging/policies/policy_config.hpp"  // the policies' host parts
#endif

namespace hedgesim {

struct DecisionContext {
  std::uint32_t step;  ///< decision at time step·Δ
  double spot;
  double target;    ///< the policy's full hedge −(book delta + coin held), in coins
  double gamma;     ///< book gamma (coins per USD)
  double tau_last;  ///< years to the last live expiry
  double discount_last;  ///< e^{−r·tau_last}
  const HedgeParams* hedge;
  double variance;       ///< v_t of the path (GBM: σ²); state_band reads it
  double log_gas_ratio;  ///< ln(gas price / long-run gas price), 0 without gas; state_band reads it
};

/// Whether a rule reads PolicyState's last_trade_step, last_trade_spot or traded (it declares
/// `static constexpr bool kReadsLastTrade = true;`); the trade loop keeps them only then.
template <class Rule>
constexpr bool reads_last_trade() {
  if constexpr (requires { Rule::kReadsLastTrade; }) {
    return Rule::kReadsLastTrade;
  } else {
    return false;
  }
}

/// Whether a rule reads DecisionContext's variance or log_gas_ratio (it declares
/// `static constexpr bool kReadsMarketState = true;`); the GPU's policy threads load them only then.
template <class Rule>
constexpr bool reads_market_state() {
  if constexpr (requires { Rule::kReadsMarketState; }) {
    return Rule::kReadsMarketState;
  } else {
    return false;
  }
}

/// What a rule that trades hedge options (hedge.options) sees at a decision: the book's gamma and vega and
/// the options' (from the marks' source, hedge.marks: book_marks.hpp), and which options are still live (an expired one has no
/// greeks and is never traded). Its `options(p, c, held, want)` sets want[i], the new position in option
/// i (want starts as held: leaving it trades nothing); the hedge target its decide() then sees includes
/// the new positions' deltas.
struct OptionContext {
  double spot;
  double book_gamma;  ///< coins per USD (hp.needs_gamma: the rule's PolicyConfig::needs_gamma returns true)
  double book_vega;   ///< USD per unit of the marks' vol state: σ (black_scholes), v (model)
  double gamma[kMaxHedgeOptions], vega[kMaxHedgeOptions];  ///< per unit of each hedge option
  bool live[kMaxHedgeOptions];
};

/// Hedge options a rule trades (it declares `static constexpr unsigned kHedgeOptions = N;` and
/// `options()`, OptionContext above); 0 for the delta-only rules.
template <class Rule>
constexpr unsigned hedge_options_of() {
  if constexpr (requires { Rule::kHedgeOptions; }) {
    return Rule::kHedgeOptions;
  } else {
    return 0;
  }
}

struct PolicyState {
  double hedge;            ///< position in the hedge instrument, coins
  // Kept up to date only for rules that declare kReadsLastTrade (reads_last_trade above).
  double last_trade_step;  ///< step of the last trade (an integer; double to share the lanes' width)
  double last_trade_spot;
  double traded;           ///< 1 after the first trade, else 0 (a double, like the other lanes)
};

/// Band rule: outside [target − w, target + w] trade to the target (to_edge 0, rebalance_to: center)
/// or the nearer edge (to_edge 1).
HS_HD double band_decision(double hedge, double target, double half_width, double to_edge) {
  const double error = hedge - target;
  const double edge = target + (error > 0 ? half_width : -half_width);
  const double moved = to_edge == 0.0 ? target : edge;
  return m::fabs(error) > half_width ? moved : hedge;
}

}  // namespace hedgesim
