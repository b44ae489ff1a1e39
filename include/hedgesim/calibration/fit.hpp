#pragma once
// Fitting GBM, Heston, Bates or SVCJ to a chain selection by weighted least squares, with Eigen's
// Levenberg–Marquardt from several starting points.
//
// Residuals, one per option (σ implied vols, P forward-normalised coin prices, vega = ∂P/∂σ at the
// market vol), with weights w_j normalised to mean 1:
//   space vol:   w_j (σ_model − σ_market); where the model price has no implied vol (outside the
//                no-arbitrage range), (P_model − P_market)/vega stands in for the vol difference.
//                weights none: 1; vega: vega_j (near-the-money options count more); spread:
//                1/max(σ_ask − σ_bid, 0.5 vol points).
//   space price: w_j (P_model − P_market).
//                weights none: 1 (plain coin prices: long-dated near-the-money options dominate);
//                vega: 1/vega_j (the first-order vol error, without inverting model prices);
//                spread: 1/max(ask − bid, 1e-4 coin, Deribit's tick).
// Bounds by a smooth transform: x = lo + (hi − lo)·s(y), or x = lo·(hi/lo)^{s(y)} for scale
// parameters, s the logistic function, so LM works unconstrained in y. Starts: one from the market's
// near-the-money variance (v0 = θ) with mid-range structural parameters, then Halton points over the
// structural parameters. The best start is kept; prices come from SmilePricer during the fit, and the
// reported errors are recomputed with the reference pricer analytic_prices.
#include <cstddef>
#include <string>
#include <vector>

#include "hedgesim/calibration/chain.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

enum class FitSpace { vol, price };
enum class FitWeights { none, vega, spread };
const char* to_string(FitSpace s);
const char* to_string(FitWeights w);

struct FitSpec {
  ModelType model = ModelType::bates;
  FitSpace space = FitSpace::vol;
  FitWeights weights = FitWeights::none;
  unsigned starts = 4;              ///< >= 1
  unsigned max_iterations = 100;    ///< Levenberg–Marquardt iterations per start
};

/// A fitted parameter with the bounds it was held in.
struct FittedParam {
  std::string name;  ///< config key (docs/config.md `model`)
  double value, lower, upper;
};

struct ExpiryError {
  double rmse_vol = 0.0;       ///< decimal vol (0.01 = one vol point)
  double max_abs_vol = 0.0;
  std::size_t count = 0;
};

struct FitResult {
  ModelParams model;                 ///< type, fitted parameters, spot = selection spot, rate = carry
  std::vector<FittedParam> params;
  std::vector<double> model_iv;      ///< per option (NaN where the model price has no implied vol)
  std::vector<double> model_price;   ///< forward-normalised (coin)
  std::vector<double> weight;        ///< the residual weights used
  double rmse_vol = 0.0;             ///< unweighted, over all options, decimal vol
  double max_abs_vol = 0.0;
  std::vector<ExpiryError> per_expiry;
  double feller = 0.0;               ///< 2κθ/ξ² (0 for gbm)
  double objective = 0.0;            ///< ½ Σ residual² at the optimum (fit pricer)
  unsigned starts = 0;
  unsigned best_start = 0;
  std::vector<double> start_objectives;  ///< per start; inf or NaN for a start that failed (JSON null)
  unsigned evaluations = 0;          ///< chain pricings over all starts
  int lm_status = 0;                 ///< Eigen LevenbergMarquardtSpace::Status of the best start
  double pricer_check = 0.0;         ///< max |σ_fit pricer − σ_reference| at the optimum
  double fit_seconds = 0.0;          ///< wall time of the starts (reference repricing excluded)
  std::size_t quadrature_nodes = 0;  ///< characteristic-function values per chain pricing
};

/// Whether a fitted value sits on one of its bounds (within 1e-6 of the bounds' range): the data
/// pushed it there, and the optimum inside the box is not an optimum of the model.
bool at_bound(const FittedParam& p);

/// Thresholds of an implausible fit (fit_warnings).
constexpr double kMinPlausibleFeller = 0.1;        ///< below: the variance sits at zero much of the time
constexpr double kMaxPlausibleJumpMean = 0.5;      ///< |mean log jump| above: a typical jump moves the price ±65%
constexpr double kMaxPlausibleJumpStdev = 1.0;     ///< log-jump stdev above
constexpr double kMaxPlausibleJumpIntensity = 20;  ///< jumps per year above, with small jumps: diffusion in disguise
constexpr double kSmallJump = 0.02;                ///< |mean| and stdev of log jumps below: small

/// One line per reason to distrust the fit: every parameter at a bound, a Feller ratio below
/// kMinPlausibleFeller, jumps larger than the thresholds above, or frequent small jumps standing in for
/// diffusion. Empty for a fit inside its box with plausible values.
std::vector<std::string> fit_warnings(const FitResult& fit);

/// Fits spec.model to sel. Throws InputError for an empty selection or starts == 0, and RuntimeFailure
/// when no start reaches a finite objective or the reported vol errors are not finite (the message
/// names the starts and the first rows at fault), so a result is never returned with a NaN or inf error.
FitResult calibrate(const Selection& sel, const FitSpec& spec);

/// The `model:` block of a run config (docs/config.md) for a fitted model, ready to paste.
std::string model_yaml(const ModelParams& m);

}  // namespace hedgesim
