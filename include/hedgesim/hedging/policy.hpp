#pragma once
// The policy registry. Each policy is one header in policies/: its rule (a struct with HS_HD static
// decide and the PolicyParams::value slots it reads) and, for host compilers, its PolicyConfig (config
// keys, validation, conversion to PolicyParams, optimiser parameters; policies/policy_config.hpp).
// Registering it is its #include and its line in HEDGESIM_POLICIES below, from which the PolicyType
// enum, the names in configs and outputs, the dispatch visit_rule and the host registry
// (src/hedging/policy_registry.cpp) are derived. docs/hedging.md: "Adding a policy".
#include <cstdint>
#include <type_traits>

#include "hedgesim/hedging/policies/context.hpp"
#include "hedgesim/hedging/policies/delta_band.hpp"
#include "hedgesim/hedging/policies/delta_gamma.hpp"
#include "hedgesim/hedging/policies/delta_gamma_vega.hpp"
#include "hedgesim/hedging/policies/delta_vega.hpp"
#include "hedgesim/hedging/policies/every_step.hpp"
#include "hedgesim/hedging/policies/hybrid.hpp"
#include "hedgesim/hedging/policies/move_policy.hpp"
#include "hedgesim/hedging/policies/none.hpp"
#include "hedgesim/hedging/policies/state_band.hpp"
#include "hedgesim/hedging/policies/time_policy.hpp"
#include "hedgesim/hedging/policies/whalley_wilmott.hpp"

/// X(name, Rule) per policy: `name` is its enumerator and its spelling in configs and outputs. The
/// order is PolicyType's (append new policies: "one of ..." messages list them in this order).
#define HEDGESIM_POLICIES(X)             \
  X(none, NoneRule)                      \
  X(every_step, EveryStepRule)           \
  X(time, TimeRule)                      \
  X(delta_band, DeltaBandRule)           \
  X(whalley_wilmott, WhalleyWilmottRule) \
  X(move, MoveRule)                      \
  X(hybrid, HybridRule)                  \
  X(state_band, StateBandRule)           \
  X(delta_gamma, DeltaGammaRule)         \
  X(delta_vega, DeltaVegaRule)           \
  X(delta_gamma_vega, DeltaGammaVegaRule) \
  /* new policies above this line */

namespace hedgesim {

// The definition of spec.hpp's opaque declaration.
enum class PolicyType : std::uint8_t {
#define HEDGESIM_POLICY_ENUMERATOR(name, Rule) name,
  HEDGESIM_POLICIES(HEDGESIM_POLICY_ENUMERATOR)
#undef HEDGESIM_POLICY_ENUMERATOR
};

/// Every PolicyType, in order.
inline constexpr PolicyType kPolicyTypes[] = {
#define HEDGESIM_POLICY_VALUE(name, Rule) PolicyType::name,
    HEDGESIM_POLICIES(HEDGESIM_POLICY_VALUE)
#undef HEDGESIM_POLICY_VALUE
};

// policy_config.hpp's declaration. A rule not in the list fails to compile.
template <class Rule>
constexpr PolicyType policy_type_of() {
#define HEDGESIM_POLICY_OF(name, R) if constexpr (std::is_same_v<Rule, R>) return PolicyType::name; else
  HEDGESIM_POLICIES(HEDGESIM_POLICY_OF)
#undef HEDGESIM_POLICY_OF
  static_assert(sizeof(Rule) == 0, "policy_type_of: the rule is not in HEDGESIM_POLICIES");
}

/// Calls visitor(Rule{}) with the rule of `type`: the caller's loop over paths then runs inside one
/// rule, with no switch per path.
template <class Visitor>
HS_HD void visit_rule(PolicyType type, Visitor&& visitor) {
  switch (type) {
#define HEDGESIM_POLICY_CASE(name, Rule) \
  case PolicyType::name:                 \
    return visitor(Rule{});
    HEDGESIM_POLICIES(HEDGESIM_POLICY_CASE)
#undef HEDGESIM_POLICY_CASE
  }
}

/// reads_market_state of the rule of `type`.
HS_HD bool rule_reads_market_state(PolicyType type) {
  bool reads = false;
  visit_rule(type, [&](auto rule) { reads = reads_market_state<decltype(rule)>(); });
  return reads;
}

/// hedge_options_of the rule of `type`: the hedge options it trades.
HS_HD unsigned rule_hedge_options(PolicyType type) {
  unsigned n = 0;
  visit_rule(type, [&](auto rule) { n = hedge_options_of<decltype(rule)>(); });
  return n;
}

}  // namespace hedgesim
