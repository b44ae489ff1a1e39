#pragma once
// `none`: never hedge (the unhedged book, for comparison). No keys; it never trades, so `leland`
// does not apply to it.
#include "hedgesim/hedging/policies/context.hpp"

namespace hedgesim {

struct NoneRule {
  HS_HD static double decide(const PolicyParams&, const DecisionContext&, const PolicyState& s) { return s.hedge; }
};

#if !defined(__CUDACC__)
template <>
struct PolicyConfig<NoneRule> {
  static constexpr bool trades = false;
};
#endif

}  // namespace hedgesim
