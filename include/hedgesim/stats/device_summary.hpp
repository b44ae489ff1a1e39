#pragma once
// The CUDA backend's reductions of per-path results, callable on host data for tests: they run the
// same device code a CUDA hedging run applies to its batches and resident P&L/cost
// (kernels/device_summary.cu). Without CUDA they throw NotCompiled (kernels/cuda_stubs.cpp).
#include <cstdint>
#include <span>
#include <vector>

#include "hedgesim/stats/summary.hpp"

namespace hedgesim {

/// Moments of every tile of kMomentTile values (device_plan.hpp) of `segments` segments of equal
/// length (values[segment · n + i], n = values.size() / segments), computed on `device`:
/// result[segment · tiles + tile]. Merged in tile order (merge_tile_moments) they agree with
/// Moments::of to rounding. Throws InputError if segments = 0 or does not divide values.size().
std::vector<Moments> cuda_tile_moments(std::span<const double> values, unsigned segments, int device);

struct DeviceSummary {
  Summary summary;
  Histogram histogram;  ///< empty unless bins > 0
};

/// Summary (moments from `moments`) and histogram of `values` as a CUDA run computes them: sorted on
/// `device`, order statistics, ES tail and counts below the edges gathered there, then
/// summarize_order_statistics and histogram_from_counts_below. The order statistics, VaR, ES and
/// histogram equal summarize's and histogram's bits (for values without −0.0).
DeviceSummary cuda_summarize(std::span<const double> values, const Moments& moments,
                             std::span<const double> quantile_levels, unsigned bins, int device);

}  // namespace hedgesim
