#pragma once
// Dispatch from a policy's type to its rule: each rule is one small unit in policies/ (a struct with
// a static decide); adding one is its file, an enum entry in spec.hpp, its config keys and a case
// here.
#include "hedgesim/hedging/policies/context.hpp"
#include "hedgesim/hedging/policies/delta_band.hpp"
#include "hedgesim/hedging/policies/hybrid.hpp"
#include "hedgesim/hedging/policies/move_policy.hpp"
#include "hedgesim/hedging/policies/state_band.hpp"
#include "hedgesim/hedging/policies/time_policy.hpp"
#include "hedgesim/hedging/policies/whalley_wilmott.hpp"

namespace hedgesim {

struct NoneRule {
  HS_HD static double decide(const PolicyParams&, const DecisionContext&, const PolicyState& s) { return s.hedge; }
};
struct EveryStepRule {
  HS_HD static double decide(const PolicyParams&, const DecisionContext& c, const PolicyState&) { return c.target; }
};

/// Calls visitor(Rule{}) with the rule of `type`: the caller's loop over paths then runs inside one
/// rule, with no switch per path.
template <class Visitor>
HS_HD void visit_rule(PolicyType type, Visitor&& visitor) {
  switch (type) {
    case PolicyType::none:
      return visitor(NoneRule{});
    case PolicyType::every_step:
      return visitor(EveryStepRule{});
    case PolicyType::time:
      return visitor(TimeRule{});
    case PolicyType::delta_band:
      return visitor(DeltaBandRule{});
    case PolicyType::whalley_wilmott:
      return visitor(WhalleyWilmottRule{});
    case PolicyType::move:
      return visitor(MoveRule{});
    case PolicyType::hybrid:
      return visitor(HybridRule{});
    case PolicyType::state_band:
      return visitor(StateBandRule{});
  }
}

}  // namespace hedgesim
