#pragma once
// The surface fit of `hedgesim calibrate --surface`: one raw SVI slice (pricing/svi.hpp) per expiry of a
// chain selection, by Eigen's Levenberg–Marquardt in vol space, expiries in ascending order.
//
// Residuals of slice j: √(w_j(k_i)/T_j) − σ_i for each quote (k_i = ln(K_i/F_i), σ_i its mark IV), then
// on the arbitrage checks' k grid (io/surface_file.hpp) kArbitragePenalty·max(0, −g(k)) (butterfly) and
// kArbitragePenalty·max(0, √(w_{j−1}(k)/T_j) − √(w_j(k)/T_j)) (calendar against the slice fitted
// before). Where the best slice still fails a check, it is refitted from there with the penalties 100,
// 10⁴, … times heavier (up to 10¹⁰) until both pass on the grid, so the fit respects them wherever a
// slice can; what is left is reported (and a run refuses the file).
// Parameters by smooth bounds as in fit.cpp: b ∈ [1e-5, 1] (log), ρ ∈ [−0.999, 0.999], m within the
// quotes' k range widened by 1, σ ∈ [1e-3, 2] (log), and the slice's minimum total variance
// w_min = a + b·σ·√(1 − ρ²) ∈ [0, 4·max w_i], so w ≥ 0 everywhere; b·(1 + |ρ|) < 2 keeps the wings
// within Lee's moment bound. Starts: a grid of ρ and m; the best is kept.
#include <cstddef>
#include <string>
#include <vector>

#include "hedgesim/calibration/chain.hpp"
#include "hedgesim/io/surface_file.hpp"
#include "hedgesim/pricing/svi.hpp"

namespace hedgesim {

/// First weight of the arbitrage penalties (vol units per unit of g, per unit of vol shortfall).
constexpr double kArbitragePenalty = 10.0;

/// One slice's quotes: log-moneyness, market vol, and T.
struct SliceQuotes {
  double t = 0.0;  ///< years
  std::vector<double> k, vol;
};

struct SliceFit {
  SviSlice slice;
  double rmse_vol = 0.0, max_abs_vol = 0.0;  ///< decimal vol
  double min_g = 0.0, min_g_k = 0.0;         ///< butterfly check of the slice
  int lm_status = 0;
  unsigned evaluations = 0;
};

/// Fits one slice to q (prev: the slice before, for the calendar penalty; nullptr for the first).
SliceFit fit_svi_slice(const SliceQuotes& q, const SviSlice* prev);

struct SurfaceFit {
  SurfaceFile file;                 ///< what --surface writes
  std::vector<SliceFit> slices;     ///< per expiry of the selection
  std::vector<double> model_iv;     ///< per option of the selection
  SurfaceArbitrage arbitrage;
  double rmse_vol = 0.0, max_abs_vol = 0.0;  ///< over every option, decimal vol
  double fit_seconds = 0.0;
};

/// Fits every expiry of sel (at most kMaxSviSlices, else InputError naming --max-days). `source` and
/// `currency` go into the file.
SurfaceFit fit_surface(const Selection& sel, const std::string& source, const std::string& currency);

/// The terminal table: per slice its parameters, fit error in vol points and butterfly check, the
/// calendar check, and the violations if any.
std::string surface_table(const SurfaceFit& fit, const Selection& sel, const std::string& chain, const std::string& out);
/// The --json document.
std::string surface_json(const SurfaceFit& fit, const Selection& sel, const std::string& chain, const std::string& out);

}  // namespace hedgesim
