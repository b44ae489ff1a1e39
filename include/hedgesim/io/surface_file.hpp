#pragma once
// The SVI surface file: what `hedgesim calibrate --surface FILE` writes and `hedge.surface.file` names
// (docs/hedging.md "Volatility surface"), and the surface's no-arbitrage checks, which the fit reports
// and a run requires. A small YAML document, version 1:
//
//   format: hedgesim-svi-surface
//   format_version: 1
//   source: data/deribit/….csv        # informational: the chain, currency, spot and forward carry
//   currency: BTC
//   spot: 66650.1                     # USD
//   carry: 0.0123                     # r − q per year fitted to the forwards
//   slices:                           # ascending days, 1 to 16
//     - {expiry: "2026-03-06 08:00:00+00:00", days: 3.94, forward: 66700, count: 31,
//        rmse_vol_points: 0.41, max_abs_vol_points: 1.2,
//        a: 0.0021, b: 0.0153, rho: -0.12, m: 0.01, sigma: 0.05}
//
// Each slice's days (> 0, ACT/365, strictly ascending) and raw SVI parameters (a, b ≥ 0, |rho| < 1, m,
// sigma > 0; pricing/svi.hpp) are what a run reads; the other keys are the fit's report. Numbers are
// written with 17 significant digits, so a file read back is the surface that was fitted, bit for bit.
#include <string>
#include <vector>

#include "hedgesim/pricing/svi.hpp"

namespace hedgesim {

inline constexpr const char* kSurfaceFormat = "hedgesim-svi-surface";
inline constexpr int kSurfaceFormatVersion = 1;

/// The k grid of the arbitrage checks: ln(K/F) from −kSurfaceCheckK to +kSurfaceCheckK (K/F from 0.22
/// to 4.5) in kSurfaceCheckPoints points.
inline constexpr double kSurfaceCheckK = 1.5;
inline constexpr unsigned kSurfaceCheckPoints = 301;
/// Tolerances: g(k) ≥ −kButterflyTolerance and w_{j+1}(k) − w_j(k) ≥ −kCalendarTolerance pass.
inline constexpr double kButterflyTolerance = 1e-9;
inline constexpr double kCalendarTolerance = 1e-12;

struct SurfaceFileSlice {
  std::string expiry;  ///< label (informational)
  double days = 0.0;
  double forward = 0.0;  ///< USD (informational)
  unsigned count = 0;    ///< quotes fitted (informational)
  double rmse_vol_points = 0.0, max_abs_vol_points = 0.0;  ///< fit errors (informational)
  double a = 0.0, b = 0.0, rho = 0.0, m = 0.0, sigma = 0.0;
};

struct SurfaceFile {
  std::string source;
  std::string currency;
  double spot = 0.0;
  double carry = 0.0;
  std::vector<SurfaceFileSlice> slices;
};

/// The surface a run reads (t = days/365).
SviSurface to_surface(const SurfaceFile& f);

/// Worst points of the no-arbitrage checks on the k grid.
struct SurfaceArbitrage {
  double min_g = 0.0;  ///< smallest g(k) over every slice and k
  unsigned min_g_slice = 0;
  double min_g_k = 0.0;
  double min_calendar = 0.0;  ///< smallest w_{j+1}(k) − w_j(k) (0 with one slice)
  unsigned min_calendar_slice = 0;  ///< j + 1: the later slice of the pair
  double min_calendar_k = 0.0;
  bool butterfly_ok() const { return min_g >= -kButterflyTolerance; }
  bool calendar_ok() const { return min_calendar >= -kCalendarTolerance; }
};
SurfaceArbitrage check_arbitrage(const SviSurface& s);
/// The smallest g(k) of one slice on the grid, and where.
struct SliceButterfly {
  double min_g;
  double k;
};
SliceButterfly slice_butterfly(const SviSlice& s);

/// Empty when s has no arbitrage; else one sentence per check that fails, naming the slice, k and value.
std::vector<std::string> arbitrage_violations(const SurfaceArbitrage& a, const SurfaceFile& f);

/// Reads and checks a surface file: InputError naming the file, the line and the key for a missing or
/// malformed value, a format or version it does not know, slices out of order or more than
/// kMaxSviSlices, and a surface with arbitrage (arbitrage_violations).
SurfaceFile read_surface_file(const std::string& path);
SurfaceFile parse_surface_file(const std::string& text, const std::string& source);

/// The file's YAML text.
std::string surface_file_yaml(const SurfaceFile& f);

}  // namespace hedgesim
