#pragma once
// `move`: rebalance to the full hedge when the price has moved more than a fraction since the last
// trade (and at t = 0, to put the first hedge on).
// Keys: move_pct (> 0, required; percent). Optimiser: move_pct (log scale).
#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

struct MoveRule {
  static constexpr bool kReadsLastTrade = true;
  enum Slot : unsigned { kMove, kSlots };  ///< PolicyParams::value: the fraction, move_pct / 100
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    const bool moved = m::fabs(c.spot / s.last_trade_spot - 1.0) > p.value[kMove];
    return s.traded == 0.0 || moved ? c.target : s.hedge;
  }
};

#if !defined(__CUDACC__)
template <>
struct PolicyConfig<MoveRule> {
  static constexpr PolicyKey keys[] = {PolicyKey::number("move_pct", "a percentage > 0").required().means("price move since the last trade, in percent, that triggers a full rebalance")};
  static constexpr ParameterInfo parameters[] = {ParameterInfo{"move_pct", ParameterScale::log}.required()};

  static void validate(const PolicySpec& p, const PolicyChecks& c) { c.require_positive("move_pct", p.get("move_pct")); }
  static void to_params(const PolicySpec& p, const PolicyGrid&, PolicyParams& out) {
    out.value[MoveRule::kMove] = p.get("move_pct") / 100.0;
  }
};
#endif

}  // namespace hedgesim
