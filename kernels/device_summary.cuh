#pragma once
// Private interface of kernels/device_summary.cu: the reductions a CUDA hedging run applies after
// the hedging kernel (tile moments per batch, the resident copy of P&L and cost, and the sorted
// order statistics at the end). Host functions that enqueue work on a given stream of the current
// device.
#include <cuda_runtime.h>

#include <cstdint>
#include <span>
#include <vector>

#include "cuda_util.cuh"
#include "hedgesim/stats/summary.hpp"

namespace hedgesim::cuda {

/// One Moments per fixed tile of kMomentTile values: values[segment · n + i] for `segments` segments of
/// n values, tiles starting at i = 0 (the caller aligns i = 0 on a tile of the global path index).
/// Writes tiles[segment · moment_tiles(n) + tile]. Two passes over the tile (mean, then Σd², Σd³, Σd⁴)
/// with a fixed-shape block reduction, so the bits depend only on the tile's values.
void launch_tile_moments(const double* values, std::uint64_t n, unsigned segments, Moments* tiles,
                         cudaStream_t stream);

/// Copies the first `segments` segments of a batch (values[segment · n + i]) into a resident buffer
/// (resident[segment · capacity + offset + i]), turning −0.0 into +0.0: the sort below treats ±0 as
/// equal and keeps their input order, so without it a quantile's sign of zero could depend on how
/// paths were split into batches and devices.
void launch_resident_copy(const double* values, std::uint64_t n, unsigned segments, double* resident,
                          std::uint64_t capacity, std::uint64_t offset, cudaStream_t stream);

/// Sorts segments of up to max_n values on the current device and summarises them on the host from
/// what the device hands back: the order statistics the Summary reads, the ES tail and, for a
/// histogram, how many values lie below each edge. Owns its sort buffer and temporary storage (sized
/// once for max_n).
class SortedSummarizer {
 public:
  explicit SortedSummarizer(std::uint64_t max_n);
  /// Device bytes a SortedSummarizer for max_n values allocates.
  static std::uint64_t bytes_needed(std::uint64_t max_n);

  struct Result {
    Summary summary;
    Histogram histogram;  ///< empty unless bins > 0
  };
  /// Summary (moments from `moments`) and, when bins > 0, histogram of the n values at `values`
  /// (device memory of the current device, not modified). Synchronises `stream`.
  Result summarize(const double* values, std::uint64_t n, const Moments& moments,
                   std::span<const double> quantile_levels, unsigned bins, cudaStream_t stream);

 private:
  std::uint64_t max_n_;
  DeviceBuffer<double> sorted_;
  DeviceBuffer<unsigned char> temp_;
  std::size_t temp_bytes_ = 0;
};

}  // namespace hedgesim::cuda
