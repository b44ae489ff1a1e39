#pragma once
// Two-sample Kolmogorov–Smirnov test: do the backtest's P&L and the model's simulated P&L come from
// the same distribution? Host code.
#include <span>

namespace hedgesim {

/// D = sup_x |F_a(x) − F_b(x)| of the two empirical distribution functions (ties handled by
/// stepping past every equal value of both samples at once). NaN when either sample is empty.
double ks_statistic(std::span<const double> a, std::span<const double> b);

/// Kolmogorov's limiting survival function Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}; for λ < 1.18 the
/// equivalent theta-function form 1 − (√(2π)/λ) Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)}, which converges fast there.
double kolmogorov_q(double lambda);

/// Asymptotic p-value of D for sample sizes n_a, n_b: Q((√nₑ + 0.12 + 0.11/√nₑ)·D) with
/// nₑ = n_a·n_b/(n_a + n_b) (Stephens 1970, as in Numerical Recipes §14.3). Sizes may be fractional:
/// an effective number of independent observations when the sample is autocorrelated.
double ks_p_value(double d, double n_a, double n_b);

}  // namespace hedgesim
