#pragma once
// The whole specification of a run as plain values (DESIGN.md §2): parsed and validated once on the
// host from YAML and flags, then passed down explicitly. Units follow DESIGN.md §3: time in years of
// 365 × 24 hours, rates continuously compounded, volatilities annualised, variance v = σ².
#include <cstdint>
#include <string>
#include <vector>

namespace hedgesim {

enum class ModelType { gbm, heston, bates, svcj };
/// Discretisation of the variance process (Heston family).
enum class VarianceScheme { qe, euler };
enum class Measure { physical, risk_neutral };
enum class Precision { float32, float64 };
enum class BackendKind { automatic, cpu, cuda };
enum class OptionType { call, put };
enum class Settlement { linear, inverse };

constexpr double kDaysPerYear = 365.0;
constexpr double kHoursPerYear = kDaysPerYear * 24.0;

struct ModelParams {
  ModelType type = ModelType::gbm;
  double spot = 0.0;
  double rate = 0.0;      ///< r
  double dividend = 0.0;  ///< q (for a perpetual-hedged coin: the funding-implied carry)
  double drift = 0.0;     ///< μ, used under the physical measure
  double vol = 0.0;       ///< σ, GBM only
  double v0 = 0.0;
  double kappa = 0.0;
  double theta = 0.0;
  double xi = 0.0;  ///< volatility of variance
  double rho = 0.0;
  VarianceScheme scheme = VarianceScheme::qe;
  double jump_intensity = 0.0;  ///< λ, jumps per year (bates, svcj)
  double jump_mean = 0.0;       ///< μ_J (bates) / μ_S (svcj): mean log price jump
  double jump_stdev = 0.0;      ///< σ_J / σ_S
  double var_jump_mean = 0.0;   ///< μ_v (svcj): mean of the exponential variance jump
  double jump_rho = 0.0;        ///< ρ_J (svcj): price jump loading on the variance jump
};

struct OptionSpec {
  OptionType type = OptionType::call;
  double strike = 0.0;
  double expiry_days = 0.0;
  double quantity = 0.0;  ///< signed: negative is short
  Settlement settlement = Settlement::linear;
};

struct SimulationSpec {
  std::uint64_t paths = 0;
  double steps_per_day = 24.0;
  double horizon_days = 0.0;  ///< 0: the last expiry of the book
  std::uint64_t seed = 0;
  BackendKind backend = BackendKind::automatic;
  Precision precision = Precision::float32;
  Measure measure = Measure::physical;
  unsigned threads = 0;  ///< CPU backend; 0: all hardware threads
};

struct RunSpec {
  SimulationSpec simulation;
  ModelParams model;
  std::vector<OptionSpec> book;
  std::string config_text;  ///< the YAML as given, kept for provenance in outputs
  std::string config_path;
};

const char* to_string(ModelType);
const char* to_string(VarianceScheme);
const char* to_string(Measure);
const char* to_string(Precision);
const char* to_string(BackendKind);
const char* to_string(OptionType);
const char* to_string(Settlement);

}  // namespace hedgesim
