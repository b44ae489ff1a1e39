// The public enum helpers of config.hpp over the tables of enums.hpp.
#include "enums.hpp"

#include "hedgesim/config.hpp"
#include "hedgesim/errors.hpp"

namespace hedgesim {

template <class Enum>
std::optional<Enum> enum_from_string(std::string_view text) {
  for (Enum e : config::AllValues<Enum>::v) {
    if (text == to_string(e)) return e;
  }
  return std::nullopt;
}

template <class Enum>
Enum parse_enum(std::string_view text, std::string_view key) {
  if (const auto v = enum_from_string<Enum>(text)) return *v;
  throw InputError(std::string(key) + " = '" + std::string(text) + "': expected " +
                   config::enum_expectation<Enum>(text));
}

template <class Enum>
std::string enum_names() {
  return config::join(config::names_of<Enum>());
}

std::optional<std::string_view> nearest_name(std::string_view word, std::span<const std::string_view> candidates) {
  return config::nearest(word, candidates);
}

#define HEDGESIM_INSTANTIATE_ENUM(E)                                   \
  template std::optional<E> enum_from_string<E>(std::string_view);     \
  template E parse_enum<E>(std::string_view, std::string_view);        \
  template std::string enum_names<E>();
HEDGESIM_INSTANTIATE_ENUM(ModelType)
HEDGESIM_INSTANTIATE_ENUM(VarianceScheme)
HEDGESIM_INSTANTIATE_ENUM(Measure)
HEDGESIM_INSTANTIATE_ENUM(Precision)
HEDGESIM_INSTANTIATE_ENUM(BackendKind)
HEDGESIM_INSTANTIATE_ENUM(OptionType)
HEDGESIM_INSTANTIATE_ENUM(Settlement)
HEDGESIM_INSTANTIATE_ENUM(BookOptionType)
HEDGESIM_INSTANTIATE_ENUM(HedgeInstrument)
HEDGESIM_INSTANTIATE_ENUM(DeltaSource)
HEDGESIM_INSTANTIATE_ENUM(MarkSource)
HEDGESIM_INSTANTIATE_ENUM(InverseDelta)
HEDGESIM_INSTANTIATE_ENUM(SurfaceDynamics)
HEDGESIM_INSTANTIATE_ENUM(PolicyType)
HEDGESIM_INSTANTIATE_ENUM(RebalanceTo)
HEDGESIM_INSTANTIATE_ENUM(SlippageModel)
HEDGESIM_INSTANTIATE_ENUM(BacktestVol)
HEDGESIM_INSTANTIATE_ENUM(BadData)
HEDGESIM_INSTANTIATE_ENUM(RiskMeasure)
#undef HEDGESIM_INSTANTIATE_ENUM

}  // namespace hedgesim
