#pragma once
// Black-76 with zero rate on a forward-normalised price (F = 1, strike x = K/F), as Deribit quotes
// its inverse options in coin, and its inversion to an implied volatility.
//   call = N(d₊) − x N(d₋),  put = x N(−d₋) − N(−d₊),  d± = (−ln x ± s²/2)/s,  s = σ√T.
#include "hedgesim/spec.hpp"

namespace hedgesim {

/// Forward-normalised Black price; sigma <= 0 or maturity <= 0 gives the intrinsic value.
double black_normalised(OptionType type, double moneyness, double maturity, double sigma);

/// ∂black_normalised/∂σ.
double black_normalised_vega(double moneyness, double maturity, double sigma);

/// The σ with black_normalised(type, moneyness, maturity, σ) = price, to 1e-12 in σ√T; NaN when the
/// price is outside the no-arbitrage range (intrinsic, upper bound) or maturity <= 0. `guess`
/// (optional, > 0) starts the safeguarded Newton iteration.
double implied_vol(OptionType type, double moneyness, double maturity, double price, double guess = 0.0);

}  // namespace hedgesim
