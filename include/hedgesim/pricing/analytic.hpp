#pragma once
// Closed-form European prices (host code): Black–Scholes for GBM and the characteristic-function
// pricer for Heston, Bates and SVCJ. Prices are risk-neutral (drift r − q) whatever the run's measure.
#include <complex>

#include "hedgesim/spec.hpp"

namespace hedgesim {

/// USD value per unit of a European option under the model's risk-neutral dynamics. Linear and
/// inverse options have the same USD value (black_scholes.hpp); the coin price is this over spot.
double analytic_price(const ModelParams& model, OptionType type, double strike, double maturity_years);

/// Characteristic function E[exp(iu·ln(S_T/F_T))] of the log price relative to the forward
/// F_T = S e^{(r−q)T}, under the risk-neutral measure, for gbm, heston, bates and svcj.
std::complex<double> log_forward_cf(const ModelParams& model, std::complex<double> u, double maturity_years);

}  // namespace hedgesim
