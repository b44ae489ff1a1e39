#pragma once
// `every_step`: trade to the full hedge at every step (whenever the target moves). No keys.
#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

struct EveryStepRule {
  HS_HD static double decide(const PolicyParams&, const DecisionContext& c, const PolicyState&) { return c.target; }
};

}  // namespace hedgesim
