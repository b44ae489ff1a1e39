#pragma once
// Every enumerator of each config enum, in the order messages and the docs list them (the spellings
// are spec.cpp's to_string).
#include <string>
#include <string_view>
#include <vector>

#include "hedgesim/hedging/policy.hpp"
#include "hedgesim/spec.hpp"
#include "text.hpp"

namespace hedgesim::config {

template <class E>
struct AllValues;
template <>
struct AllValues<ModelType> {
  static constexpr ModelType v[] = {ModelType::gbm, ModelType::heston, ModelType::bates, ModelType::svcj};
};
template <>
struct AllValues<VarianceScheme> {
  static constexpr VarianceScheme v[] = {VarianceScheme::qe, VarianceScheme::euler};
};
template <>
struct AllValues<Measure> {
  static constexpr Measure v[] = {Measure::physical, Measure::risk_neutral};
};
template <>
struct AllValues<Precision> {
  static constexpr Precision v[] = {Precision::float32, Precision::float64};
};
template <>
struct AllValues<BackendKind> {
  static constexpr BackendKind v[] = {BackendKind::automatic, BackendKind::cpu, BackendKind::cuda};
};
template <>
struct AllValues<OptionType> {
  static constexpr OptionType v[] = {OptionType::call, OptionType::put};
};
template <>
struct AllValues<BookOptionType> {
  static constexpr BookOptionType v[] = {BookOptionType::call, BookOptionType::put, BookOptionType::everlasting_call,
                                         BookOptionType::everlasting_put};
};
template <>
struct AllValues<Settlement> {
  static constexpr Settlement v[] = {Settlement::linear, Settlement::inverse};
};
template <>
struct AllValues<HedgeInstrument> {
  static constexpr HedgeInstrument v[] = {HedgeInstrument::spot, HedgeInstrument::perpetual};
};
template <>
struct AllValues<DeltaSource> {
  static constexpr DeltaSource v[] = {DeltaSource::implied, DeltaSource::instantaneous, DeltaSource::model};
};
template <>
struct AllValues<MarkSource> {
  static constexpr MarkSource v[] = {MarkSource::black_scholes, MarkSource::model, MarkSource::surface};
};
template <>
struct AllValues<SurfaceDynamics> {
  static constexpr SurfaceDynamics v[] = {SurfaceDynamics::sticky_strike, SurfaceDynamics::sticky_delta};
};
template <>
struct AllValues<InverseDelta> {
  static constexpr InverseDelta v[] = {InverseDelta::coin_held, InverseDelta::premium_adjusted};
};
template <>
struct AllValues<PolicyType> {
  static constexpr const auto& v = kPolicyTypes;  // the registry's order (hedging/policy.hpp)
};
template <>
struct AllValues<RiskMeasure> {
  static constexpr RiskMeasure v[] = {RiskMeasure::stdev, RiskMeasure::variance, RiskMeasure::var, RiskMeasure::es,
                                      RiskMeasure::entropic};
};
template <>
struct AllValues<RebalanceTo> {
  static constexpr RebalanceTo v[] = {RebalanceTo::center, RebalanceTo::edge};
};
template <>
struct AllValues<SlippageModel> {
  static constexpr SlippageModel v[] = {SlippageModel::none, SlippageModel::linear, SlippageModel::sqrt,
                                        SlippageModel::amm};
};
template <>
struct AllValues<BacktestVol> {
  static constexpr BacktestVol v[] = {BacktestVol::implied, BacktestVol::realized};
};
template <>
struct AllValues<BadData> {
  static constexpr BadData v[] = {BadData::fail, BadData::skip};
};

template <class E>
std::vector<std::string_view> names_of() {
  std::vector<std::string_view> out;
  for (E e : AllValues<E>::v) out.emplace_back(to_string(e));
  return out;
}

/// "one of auto, cpu, cuda; did you mean 'cuda'?" for a spelling that matched nothing.
template <class E>
std::string enum_expectation(std::string_view text) {
  const auto names = names_of<E>();
  std::string msg = "one of " + join(names);
  if (const auto hint = nearest(text, names)) msg += "; did you mean '" + std::string(*hint) + "'?";
  return msg;
}

/// One bit per enumerator, for the keys that only some variants (model types, slippage models,
/// policy types) use.
template <class E>
constexpr unsigned bit(E e) {
  return 1u << static_cast<unsigned>(e);
}

/// The names of the enumerators of E in the bit set `bits`.
template <class E>
std::vector<std::string_view> names_in(unsigned bits) {
  std::vector<std::string_view> names;
  for (E t : AllValues<E>::v) {
    if (bits & bit(t)) names.emplace_back(to_string(t));
  }
  return names;
}

/// "type gbm" or "types bates, svcj" for a bit set of enumerators of E (`noun`: "model" for slippage).
template <class E>
std::string type_list(unsigned types, const std::string& noun = "type") {
  const auto names = names_in<E>(types);
  return noun + (names.size() == 1 ? " " : "s ") + join(names);
}

}  // namespace hedgesim::config
