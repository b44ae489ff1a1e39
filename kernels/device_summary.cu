// Device reductions after the hedging kernel (device_summary.cuh): tile moments, the resident copy of
// P&L and cost, and order statistics of sorted segments. Kept simple on purpose: one fixed block
// shape per reduction (so the bits never depend on the launch), a radix sort from CUB, and tiny
// gather / binary-search kernels for the few values the host needs.
#include <cub/block/block_reduce.cuh>
#include <cub/device/device_radix_sort.cuh>

#include <algorithm>
#include <string>

#include "device_summary.cuh"
#include "hedgesim/engine/device_plan.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/stats/device_summary.hpp"

namespace hedgesim::cuda {
namespace {

constexpr unsigned kTileThreads = 256;
constexpr unsigned kTileItems = static_cast<unsigned>(kMomentTile / kTileThreads);
static_assert(kTileItems * kTileThreads == kMomentTile, "a tile is a whole number of items per thread");

struct Sums3 {
  double s2, s3, s4;
};
struct AddSums3 {
  __device__ Sums3 operator()(const Sums3& a, const Sums3& b) const { return {a.s2 + b.s2, a.s3 + b.s3, a.s4 + b.s4}; }
};

// Block (tile, segment): thread t reads items t, t + 256, … of its tile (coalesced), sums them in
// order, and cub::BlockReduce (fixed algorithm and block size, hence a fixed tree) combines threads.
__global__ void __launch_bounds__(kTileThreads)
    tile_moments_kernel(const double* values, std::uint64_t n, Moments* tiles) {
  using Reduce = cub::BlockReduce<double, kTileThreads>;
  using Reduce3 = cub::BlockReduce<Sums3, kTileThreads>;
  __shared__ union {
    typename Reduce::TempStorage one;
    typename Reduce3::TempStorage three;
  } temp;
  __shared__ double shared_mean;

  const std::uint64_t tile = blockIdx.x;
  const std::uint64_t segment = blockIdx.y;
  const std::uint64_t begin = tile * kMomentTile;
  const std::uint64_t count = n - begin < kMomentTile ? n - begin : kMomentTile;
  const double* x = values + segment * n + begin;

  double v[kTileItems];
  double sum = 0.0;
#pragma unroll
  for (unsigned k = 0; k < kTileItems; ++k) {
    const std::uint64_t i = static_cast<std::uint64_t>(k) * kTileThreads + threadIdx.x;
    v[k] = i < count ? x[i] : 0.0;
    if (i < count) sum += v[k];
  }
  const double total = Reduce(temp.one).Sum(sum);
  if (threadIdx.x == 0) shared_mean = total / static_cast<double>(count);
  __syncthreads();  // publishes the mean; also ends every thread's use of temp.one
  const double mean = shared_mean;

  Sums3 s{0.0, 0.0, 0.0};
#pragma unroll
  for (unsigned k = 0; k < kTileItems; ++k) {
    const std::uint64_t i = static_cast<std::uint64_t>(k) * kTileThreads + threadIdx.x;
    if (i < count) {
      const double d = v[k] - mean, d2 = d * d;
      s.s2 += d2;
      s.s3 += d2 * d;
      s.s4 += d2 * d2;
    }
  }
  const Sums3 r = Reduce3(temp.three).Reduce(s, AddSums3{});
  if (threadIdx.x == 0) {
    Moments m;
    m.count = count;
    m.mu = mean;
    m.m2 = r.s2;
    m.m3 = r.s3;
    m.m4 = r.s4;
    tiles[segment * gridDim.x + tile] = m;
  }
}

__global__ void resident_copy_kernel(const double* values, std::uint64_t n, std::uint64_t elements, double* resident,
                                     std::uint64_t capacity, std::uint64_t offset) {
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t k = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < elements; k += stride) {
    const std::uint64_t segment = k / n, i = k - segment * n;
    resident[segment * capacity + offset + i] = values[k] + 0.0;  // −0.0 + 0.0 = +0.0; nothing else changes
  }
}

__global__ void gather_kernel(const double* sorted, const std::uint64_t* indices, unsigned count, double* out) {
  const unsigned k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k < count) out[k] = sorted[indices[k]];
}

// below[k] = how many sorted values are < edges[k] (std::lower_bound).
__global__ void counts_below_kernel(const double* sorted, std::uint64_t n, const double* edges, unsigned count,
                                    std::uint64_t* below) {
  const unsigned k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= count) return;
  const double e = edges[k];
  std::uint64_t lo = 0, hi = n;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (sorted[mid] < e) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  below[k] = lo;
}

unsigned blocks_for(std::uint64_t items, unsigned threads) {
  return static_cast<unsigned>((items + threads - 1) / threads);
}

std::size_t sort_temp_bytes(std::uint64_t max_n) {
  std::size_t bytes = 0;
  HS_CUDA_CHECK(cub::DeviceRadixSort::SortKeys(nullptr, bytes, static_cast<const double*>(nullptr),
                                               static_cast<double*>(nullptr), max_n));
  return bytes;
}

}  // namespace

void launch_tile_moments(const double* values, std::uint64_t n, unsigned segments, Moments* tiles,
                         cudaStream_t stream) {
  if (n == 0 || segments == 0) return;
  const std::uint64_t n_tiles = moment_tiles(n);
  if (n_tiles > 0x7fffffffu || segments > 65535u)
    throw RuntimeFailure("tile moments: " + std::to_string(n_tiles) + " tiles x " + std::to_string(segments) +
                         " segments exceed one launch; expected fewer paths per batch or fewer policies");
  const dim3 grid(static_cast<unsigned>(n_tiles), segments);
  tile_moments_kernel<<<grid, kTileThreads, 0, stream>>>(values, n, tiles);
  HS_CUDA_CHECK(cudaGetLastError());
}

void launch_resident_copy(const double* values, std::uint64_t n, unsigned segments, double* resident,
                          std::uint64_t capacity, std::uint64_t offset, cudaStream_t stream) {
  const std::uint64_t elements = n * segments;
  if (elements == 0) return;
  constexpr unsigned kThreads = 256;
  const unsigned grid = static_cast<unsigned>(std::min<std::uint64_t>(blocks_for(elements, kThreads), 65535u * 16u));
  resident_copy_kernel<<<grid, kThreads, 0, stream>>>(values, n, elements, resident, capacity, offset);
  HS_CUDA_CHECK(cudaGetLastError());
}

std::uint64_t SortedSummarizer::bytes_needed(std::uint64_t max_n) {
  return max_n * sizeof(double) + sort_temp_bytes(std::max<std::uint64_t>(max_n, 1));
}

SortedSummarizer::SortedSummarizer(std::uint64_t max_n)
    : max_n_(max_n), sorted_(max_n), temp_bytes_(sort_temp_bytes(std::max<std::uint64_t>(max_n, 1))) {
  temp_ = DeviceBuffer<unsigned char>(temp_bytes_);
}

SortedSummarizer::Result SortedSummarizer::summarize(const double* values, std::uint64_t n, const Moments& moments,
                                                     std::span<const double> quantile_levels, unsigned bins,
                                                     cudaStream_t stream) {
  Result result;
  if (n > max_n_)
    throw RuntimeFailure("SortedSummarizer: " + std::to_string(n) + " values, sized for " + std::to_string(max_n_));
  OrderStatistics order;
  order.count = n;
  order.indices = summary_order_indices(n, quantile_levels);
  if (n == 0) {
    result.summary = summarize_order_statistics(moments, order, quantile_levels);
    if (bins > 0) result.histogram = histogram(std::span<const double>{}, bins);
    return result;
  }
  // Sized once for max_n; should a smaller n ever need more (it does not in CUB today), grow.
  std::size_t temp_bytes = sort_temp_bytes(n);
  if (temp_bytes > temp_bytes_) {
    temp_ = DeviceBuffer<unsigned char>(temp_bytes);
    temp_bytes_ = temp_bytes;
  }
  HS_CUDA_CHECK(cub::DeviceRadixSort::SortKeys(temp_.get(), temp_bytes, values, sorted_.get(), n, 0,
                                               static_cast<int>(sizeof(double) * 8), stream));

  // The Summary's order statistics, then x_(0) and x_(n−1) for min and max.
  std::vector<std::uint64_t> wanted = order.indices;
  wanted.push_back(0);
  wanted.push_back(n - 1);
  const unsigned count = static_cast<unsigned>(wanted.size());
  DeviceBuffer<std::uint64_t> d_wanted(count);
  DeviceBuffer<double> d_values(count);
  HS_CUDA_CHECK(cudaMemcpyAsync(d_wanted.get(), wanted.data(), count * sizeof(std::uint64_t), cudaMemcpyHostToDevice, stream));
  gather_kernel<<<blocks_for(count, 128), 128, 0, stream>>>(sorted_.get(), d_wanted.get(), count, d_values.get());
  HS_CUDA_CHECK(cudaGetLastError());
  std::vector<double> gathered(count);
  HS_CUDA_CHECK(cudaMemcpyAsync(gathered.data(), d_values.get(), count * sizeof(double), cudaMemcpyDeviceToHost, stream));
  // Only the ES tail (⌊n/20⌋ + 1 values) crosses to the host, already sorted.
  order.tail.resize(summary_tail_size(n));
  HS_CUDA_CHECK(cudaMemcpyAsync(order.tail.data(), sorted_.get(), order.tail.size() * sizeof(double),
                                cudaMemcpyDeviceToHost, stream));
  HS_CUDA_CHECK(cudaStreamSynchronize(stream));
  order.values.assign(gathered.begin(), gathered.end() - 2);
  order.min = gathered[count - 2];
  order.max = gathered[count - 1];
  result.summary = summarize_order_statistics(moments, order, quantile_levels);

  if (bins > 0) {
    std::vector<double> edges = histogram_edges(n, order.min, order.max, bins);
    const unsigned n_edges = bins + 1;
    DeviceBuffer<double> d_edges(n_edges);
    DeviceBuffer<std::uint64_t> d_below(n_edges);
    HS_CUDA_CHECK(cudaMemcpyAsync(d_edges.get(), edges.data(), n_edges * sizeof(double), cudaMemcpyHostToDevice, stream));
    counts_below_kernel<<<blocks_for(n_edges, 128), 128, 0, stream>>>(sorted_.get(), n, d_edges.get(), n_edges,
                                                                        d_below.get());
    HS_CUDA_CHECK(cudaGetLastError());
    std::vector<std::uint64_t> below(n_edges);
    HS_CUDA_CHECK(cudaMemcpyAsync(below.data(), d_below.get(), n_edges * sizeof(std::uint64_t), cudaMemcpyDeviceToHost,
                                  stream));
    HS_CUDA_CHECK(cudaStreamSynchronize(stream));
    result.histogram = histogram_from_counts_below(std::move(edges), below, n);
  }
  return result;
}

}  // namespace hedgesim::cuda

namespace hedgesim {

std::vector<Moments> cuda_tile_moments(std::span<const double> values, unsigned segments, int device) {
  if (segments == 0 || values.size() % segments != 0)
    throw InputError("cuda_tile_moments: " + std::to_string(values.size()) + " values in " + std::to_string(segments) +
                     " segments; expected segments >= 1 dividing the count");
  HS_CUDA_CHECK(cudaSetDevice(device));
  const std::uint64_t n = values.size() / segments;
  std::vector<Moments> tiles(moment_tiles(n) * segments);
  if (tiles.empty()) return tiles;
  cuda::Stream stream;
  cuda::DeviceBuffer<double> d_values(values.size());
  cuda::DeviceBuffer<Moments> d_tiles(tiles.size());
  HS_CUDA_CHECK(cudaMemcpyAsync(d_values.get(), values.data(), values.size() * sizeof(double), cudaMemcpyHostToDevice,
                                stream.get()));
  cuda::launch_tile_moments(d_values.get(), n, segments, d_tiles.get(), stream.get());
  HS_CUDA_CHECK(cudaMemcpyAsync(tiles.data(), d_tiles.get(), tiles.size() * sizeof(Moments), cudaMemcpyDeviceToHost,
                                stream.get()));
  HS_CUDA_CHECK(cudaStreamSynchronize(stream.get()));
  return tiles;
}

DeviceSummary cuda_summarize(std::span<const double> values, const Moments& moments,
                             std::span<const double> quantile_levels, unsigned bins, int device) {
  HS_CUDA_CHECK(cudaSetDevice(device));
  cuda::Stream stream;
  cuda::DeviceBuffer<double> d_values(values.size());
  if (!values.empty())
    HS_CUDA_CHECK(cudaMemcpyAsync(d_values.get(), values.data(), values.size() * sizeof(double), cudaMemcpyHostToDevice,
                                  stream.get()));
  cuda::SortedSummarizer summarizer(values.size());
  cuda::SortedSummarizer::Result r =
      summarizer.summarize(d_values.get(), values.size(), moments, quantile_levels, bins, stream.get());
  return {std::move(r.summary), std::move(r.histogram)};
}

}  // namespace hedgesim
