#pragma once
// `hybrid`: a delta band checked only at scheduled times (every_steps), and/or a full rebalance when
// max_steps have passed since the last trade.
// Keys: width (required), width_per_gamma, rebalance_to (default center) as delta_band; every_hours
// (band checked only at that interval; default every step), max_hours (trade at least this often;
// default no limit) — one of the two required, each a whole number of time steps. Optimiser: width
// (log scale), every_hours, max_hours (whole steps).
#include <cmath>

#include "hedgesim/hedging/policies/context.hpp"
#include "hedgesim/hedging/policies/delta_band.hpp"

namespace hedgesim {

struct HybridRule {
  static constexpr bool kReadsLastTrade = true;
  /// PolicyParams::value; kMaxSteps 0: no limit.
  enum Slot : unsigned { kWidth, kPerGamma, kToEdge, kEverySteps, kMaxSteps, kSlots };
  HS_HD static double decide(const PolicyParams& p, const DecisionContext& c, const PolicyState& s) {
    const double max_steps = p.value[kMaxSteps];
    const bool overdue =
        max_steps > 0 && (s.traded == 0.0 || static_cast<double>(c.step) - s.last_trade_step >= max_steps);
    const double banded =
        c.step % static_cast<std::uint32_t>(p.value[kEverySteps]) != 0
            ? s.hedge
            : band_decision(s.hedge, c.target, delta_band_half_width(p.value[kWidth], p.value[kPerGamma], c),
                            p.value[kToEdge]);
    return overdue ? c.target : banded;
  }
};

#if !defined(__CUDACC__)
template <>
struct PolicyConfig<HybridRule> {
  static constexpr PolicyKey keys[] = {
      PolicyKey::number("every_hours", "a number of hours > 0")
          .hours()
          .zero_is_error("must be > 0 (leave it out to check the band every step)")
          .means("hours between checks of the band (default every step); every_hours or max_hours is required"),
      kBandWidthKey,
      kWidthPerGammaKey,
      kRebalanceToKey,
      PolicyKey::number("max_hours", "a number of hours > 0")
          .hours()
          .zero_is_error("must be > 0 (leave it out for no limit)")
          .means("longest time between trades: a full rebalance once it has passed"),
  };
  static constexpr ParameterInfo parameters[] = {ParameterInfo{"width", ParameterScale::log}.required().infinity_allowed(),
                                                 ParameterInfo{"every_hours", ParameterScale::steps},
                                                 ParameterInfo{"max_hours", ParameterScale::steps}};

  static void validate(const PolicySpec& p, const PolicyChecks& c) {
    require_band_width(c, p.get("width"));
    const double every = p.get("every_hours"), max = p.get("max_hours");
    if (every != 0.0) c.require_hours_on_grid("every_hours", every);
    if (max != 0.0) c.require_hours_on_grid("max_hours", max);
    if (every == 0.0 && max == 0.0) {
      c.fail_policy("type hybrid needs every_hours (check the band only at that interval), max_hours "
                    "(trade at least this often) or both");
    }
  }
  static void to_params(const PolicySpec& p, const PolicyGrid& g, PolicyParams& out) {
    const double every_hours = p.get("every_hours"), max_hours = p.get("max_hours");
    const std::uint32_t every = every_hours > 0 ? g.steps("every_hours", every_hours) : 1;
    out.value[HybridRule::kEverySteps] = every;
    out.value[HybridRule::kMaxSteps] = max_hours > 0 ? g.steps("max_hours", max_hours) : 0;
    out.value[HybridRule::kWidth] = p.get("width");
    out.value[HybridRule::kPerGamma] = p.get("width_per_gamma");
    out.value[HybridRule::kToEdge] = p.get("rebalance_to");
    out.leland_sqrt_dt = std::sqrt(every * g.dt_years);  // Leland's Δt: the band's check interval
  }
  static bool needs_gamma(const PolicySpec& p) { return p.flag("width_per_gamma"); }
  static void check_family(const PolicySpec&, const FamilyChecks& c) {
    if (!c.given("every_hours") && !c.given("max_hours")) {
      c.fail_parameters("type hybrid needs every_hours, max_hours or both");
    }
  }
};
#endif

}  // namespace hedgesim
