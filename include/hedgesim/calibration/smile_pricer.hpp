#pragma once
// Forward-normalised prices of a whole option chain under one model, fast enough for a least-squares
// fit: the Lewis integral of analytic.cpp with its Black–Scholes control variate, but on a fixed
// composite Gauss–Legendre grid per expiry. The grid and the tables cos(u_n k_j), sin(u_n k_j) are built
// once per chain, so a chain costs one characteristic-function value per node of each expiry plus a
// dot product per option, and the prices are smooth functions of the parameters (finite-difference
// Jacobians stay clean, unlike with an adaptive rule).
//   P_j = BS(x_j, T, σ̄) − √x_j/π Σ_n w_n Re[e^{iu_n k_j}(φ(u_n − i/2) − φ_BS(u_n − i/2))]/(u_n² + 1/4),
// x_j = K/F, k_j = −ln x_j, σ̄² the model's mean variance over [0, T] (jumps included).
// Grid: [0, u_max] with u_max = √(2L/(σ_f² T)), L = 30, so the control variate's Gaussian decay e^{−σ_f² T u²/2}
// at the vol floor σ_f has vanished; 16-point panels, one per period 2π/max|k| (at least 8 panels).
// Within 1e-9 of analytic_prices in forward-normalised price (asserted in test_calibration for
// Heston, Bates, SVCJ and a Bates with ξ = 9, κ = 30, 7 days to 1 year, K/F 0.5 to 2) for models whose
// mean vol stays above the floor; the fit uses half the smallest market IV of each expiry, and
// reports the fast-vs-reference difference at its optimum.
#include <cstddef>
#include <span>
#include <vector>

#include "hedgesim/spec.hpp"

namespace hedgesim {

struct SmileQuote {
  std::size_t expiry = 0;  ///< index into the expiries given to SmilePricer
  OptionType type = OptionType::call;
  double moneyness = 1.0;  ///< K/F
};

struct SmileExpiry {
  double maturity = 0.0;   ///< years
  double vol_floor = 0.1;  ///< σ_f for the grid (see file comment)
};

class SmilePricer {
 public:
  SmilePricer(std::vector<SmileExpiry> expiries, std::vector<SmileQuote> quotes);
  /// Forward-normalised prices (price/F) of every quote under `model` (spot, rate and dividend are
  /// ignored: each expiry is priced on its own forward with zero rate, as Deribit quotes). `out` has
  /// one entry per quote. GBM uses Black's formula directly.
  void prices(const ModelParams& model, std::span<double> out) const;
  std::size_t nodes() const;  ///< characteristic-function evaluations per chain

 private:
  struct Grid {
    double maturity;
    std::vector<double> u, w;           ///< nodes and weights/(u² + 1/4)
    std::vector<std::size_t> quotes;    ///< the quotes of this expiry
    std::vector<double> cos_t, sin_t;   ///< [quote][node]
  };
  std::vector<SmileQuote> quotes_;
  std::vector<Grid> grids_;
};

}  // namespace hedgesim
