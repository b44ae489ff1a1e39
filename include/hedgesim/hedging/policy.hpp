#pragma once
// Dispatch from a policy's type to its rule: each rule is one small unit in policies/; adding one is
// its file, an enum entry in spec.hpp, its config keys and a case here.
#include "hedgesim/hedging/policies/context.hpp"
#include "hedgesim/hedging/policies/delta_band.hpp"
#include "hedgesim/hedging/policies/hybrid.hpp"
#include "hedgesim/hedging/policies/move_policy.hpp"
#include "hedgesim/hedging/policies/state_band.hpp"
#include "hedgesim/hedging/policies/time_policy.hpp"
#include "hedgesim/hedging/policies/whalley_wilmott.hpp"

namespace hedgesim {

/// The position the policy holds after deciding at this time (unchanged when it does not trade).
HS_HD double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
  switch (p.type) {
    case PolicyType::none:
      return s.hedge;
    case PolicyType::every_step:
      return c.target;
    case PolicyType::time:
      return decide_time(p, c, s);
    case PolicyType::delta_band:
      return decide_delta_band(p, c, s);
    case PolicyType::whalley_wilmott:
      return decide_whalley_wilmott(p, c, s);
    case PolicyType::move:
      return decide_move(p, c, s);
    case PolicyType::hybrid:
      return decide_hybrid(p, c, s);
    case PolicyType::state_band:
      return decide_state_band(p, c, s);
  }
  return s.hedge;
}

}  // namespace hedgesim
