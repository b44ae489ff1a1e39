// Names of the spec enums exactly as spelled in the YAML config, the CLI flags and the JSON/HDF5
// outputs, so that every place prints and accepts the same words (parsing: config.hpp). PolicyType's
// names come with its list, in the hedging layer (src/hedging/policy_registry.cpp).
#include "hedgesim/spec.hpp"

namespace hedgesim {

const char* to_string(ModelType v) {
  switch (v) {
    case ModelType::gbm: return "gbm";
    case ModelType::heston: return "heston";
    case ModelType::bates: return "bates";
    case ModelType::svcj: return "svcj";
  }
  return "?";
}

const char* to_string(VarianceScheme v) {
  switch (v) {
    case VarianceScheme::qe: return "qe";
    case VarianceScheme::euler: return "euler";
  }
  return "?";
}

const char* to_string(Measure v) {
  switch (v) {
    case Measure::physical: return "physical";
    case Measure::risk_neutral: return "risk_neutral";
  }
  return "?";
}

const char* to_string(Precision v) {
  switch (v) {
    case Precision::float32: return "float32";
    case Precision::float64: return "float64";
  }
  return "?";
}

const char* to_string(BackendKind v) {
  switch (v) {
    // `auto` is a C++ keyword, hence the enumerator's longer name; users write "auto".
    case BackendKind::automatic: return "auto";
    case BackendKind::cpu: return "cpu";
    case BackendKind::cuda: return "cuda";
  }
  return "?";
}

const char* to_string(OptionType v) {
  switch (v) {
    case OptionType::call: return "call";
    case OptionType::put: return "put";
  }
  return "?";
}

const char* to_string(BookOptionType v) {
  switch (v) {
    case BookOptionType::call: return "call";
    case BookOptionType::put: return "put";
    case BookOptionType::everlasting_call: return "everlasting_call";
    case BookOptionType::everlasting_put: return "everlasting_put";
  }
  return "?";
}

BookOptionType book_type(const OptionSpec& o) {
  const bool call = o.type == OptionType::call;
  if (o.style == OptionStyle::everlasting) return call ? BookOptionType::everlasting_call : BookOptionType::everlasting_put;
  return call ? BookOptionType::call : BookOptionType::put;
}

bool has_everlasting(const std::vector<OptionSpec>& book) {
  for (const OptionSpec& o : book) {
    if (o.style == OptionStyle::everlasting) return true;
  }
  return false;
}

const char* to_string(Settlement v) {
  switch (v) {
    case Settlement::linear: return "linear";
    case Settlement::inverse: return "inverse";
  }
  return "?";
}

const char* to_string(HedgeInstrument v) {
  switch (v) {
    case HedgeInstrument::spot: return "spot";
    case HedgeInstrument::perpetual: return "perpetual";
  }
  return "?";
}

const char* to_string(DeltaSource v) {
  switch (v) {
    case DeltaSource::implied: return "implied";
    case DeltaSource::instantaneous: return "instantaneous";
    case DeltaSource::model: return "model";
  }
  return "?";
}

const char* to_string(MarkSource v) {
  switch (v) {
    case MarkSource::black_scholes: return "black_scholes";
    case MarkSource::model: return "model";
    case MarkSource::surface: return "surface";
  }
  return "?";
}

const char* to_string(SurfaceDynamics v) {
  switch (v) {
    case SurfaceDynamics::sticky_strike: return "sticky_strike";
    case SurfaceDynamics::sticky_delta: return "sticky_delta";
  }
  return "?";
}

const char* to_string(InverseDelta v) {
  switch (v) {
    case InverseDelta::coin_held: return "coin_held";
    case InverseDelta::premium_adjusted: return "premium_adjusted";
  }
  return "?";
}

const char* to_string(RebalanceTo v) {
  switch (v) {
    case RebalanceTo::center: return "center";
    case RebalanceTo::edge: return "edge";
  }
  return "?";
}

const char* to_string(SlippageModel v) {
  switch (v) {
    case SlippageModel::none: return "none";
    case SlippageModel::linear: return "linear";
    case SlippageModel::sqrt: return "sqrt";
    case SlippageModel::amm: return "amm";
  }
  return "?";
}


const char* to_string(BacktestVol v) {
  switch (v) {
    case BacktestVol::implied: return "implied";
    case BacktestVol::realized: return "realized";
  }
  return "?";
}

const char* to_string(BadData v) {
  switch (v) {
    case BadData::fail: return "fail";
    case BadData::skip: return "skip";
  }
  return "?";
}

const char* to_string(RiskMeasure v) {
  switch (v) {
    case RiskMeasure::stdev: return "std";
    case RiskMeasure::variance: return "variance";
    case RiskMeasure::var: return "var";
    case RiskMeasure::es: return "es";
    case RiskMeasure::entropic: return "entropic";
  }
  return "?";
}

}  // namespace hedgesim
