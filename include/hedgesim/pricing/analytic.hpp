#pragma once
// Closed-form European prices (host code): Black–Scholes for GBM and the characteristic-function
// pricer for Heston, Bates and SVCJ. Prices are risk-neutral (drift r − q) whatever the run's measure.
#include <complex>
#include <span>
#include <vector>

#include "hedgesim/spec.hpp"

namespace hedgesim {

/// USD value per unit of a European option under the model's risk-neutral dynamics. Linear and
/// inverse options have the same USD value (black_scholes.hpp); the coin price is this over spot.
/// Accurate to about 1e-14·spot absolute. Throws InputError for invalid parameters; maturity 0 gives
/// the intrinsic value.
double analytic_price(const ModelParams& model, OptionType type, double strike, double maturity_years);

/// analytic_price for several options of one maturity (types[i] at strikes[i]), sharing the
/// characteristic-function evaluations: for calibration, where a smile costs little more than its
/// hardest strike.
std::vector<double> analytic_prices(const ModelParams& model, double maturity_years,
                                    std::span<const OptionType> types, std::span<const double> strikes);

/// Characteristic function E[exp(iu·ln(S_T/F_T))] of the log price relative to the forward
/// F_T = S e^{(r−q)T}, under the risk-neutral measure, for gbm, heston, bates and svcj.
std::complex<double> log_forward_cf(const ModelParams& model, std::complex<double> u, double maturity_years);

/// Variance per year of the Black–Scholes control variate of the Lewis integral: the model's mean
/// variance over [0, T], jumps included (floored at 1e-8), so φ − φ_BS is small and the integrand
/// decays fast. Shared by analytic_price and the calibration's fixed-grid smile pricer.
double lewis_control_variance(const ModelParams& model, double maturity_years);

}  // namespace hedgesim

namespace hedgesim {

/// Spot sensitivities of analytic_price: ∂V/∂S and ∂²V/∂S² in USD per unit, at fixed v0 (linear
/// settlement; inverse options convert with to_inverse in black_scholes.hpp).
struct AnalyticGreeks {
  double delta;
  double gamma;
};

/// Delta and gamma of several options of one maturity, sharing the characteristic-function
/// evaluations like analytic_prices. Fourier formulas (the Lewis integral differentiated in S) for
/// heston, bates and svcj; Black–Scholes for gbm; maturity 0 gives the intrinsic delta and zero gamma.
/// Accurate to about 1e-11 absolute in delta and 1e-10/(S·σ̄√T) in gamma, σ̄² the model's mean variance;
/// jump-model strikes far outside the no-jump distribution use a tail split good to about 1e-6.
std::vector<AnalyticGreeks> analytic_greeks(const ModelParams& model, double maturity_years,
                                            std::span<const OptionType> types, std::span<const double> strikes);

/// ∂analytic_price/∂spot for one option.
double analytic_delta(const ModelParams& model, OptionType type, double strike, double maturity_years);

}  // namespace hedgesim
