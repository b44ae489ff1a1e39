// CUDA backend: launch code only. The per-path code is include/hedgesim/engine/path.hpp and
// hedging/, the same source the CPU backend runs; hedging splits a block's work (kernels/hedging_kernel.cuh).
#include <cuda_runtime.h>
#include <thrust/device_ptr.h>
#include <thrust/execution_policy.h>
#include <thrust/transform_reduce.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/path.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/hedge_observer.hpp"
#include "hedgesim/models/model.hpp"
#include "hedging_kernel.cuh"

namespace hedgesim {
namespace {

void check(cudaError_t status, const char* what, const char* file, int line) {
  if (status != cudaSuccess)
    // std::string, not fmt: fmt 9's consteval format strings do not compile under nvcc.
    throw CudaError(std::string("CUDA error in ") + what + " (" + file + ":" + std::to_string(line) +
                    "): " + cudaGetErrorString(status) + " (" + cudaGetErrorName(status) + ")");
}
#define HS_CUDA_CHECK(call) ::hedgesim::check((call), #call, __FILE__, __LINE__)

/// Device memory owned for one scope.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t n) : n_(n) {
    if (n_ > 0) HS_CUDA_CHECK(cudaMalloc(&ptr_, n_ * sizeof(T)));
  }
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return ptr_; }
  std::size_t size() const { return n_; }

 private:
  T* ptr_ = nullptr;
  std::size_t n_ = 0;
};

template <class T, class Model>
__global__ void terminal_kernel(Model model, std::uint32_t steps, std::uint64_t seed, RecordSteps record,
                                std::uint64_t first_path, std::uint64_t count, double* log_return, double* variance) {
  const std::uint64_t i = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  TerminalRecorder<T> rec{record, log_return + i * record.count, variance + i * record.count};
  simulate_path<T>(model, steps, seed, first_path + i, rec);
}

__global__ void philox_kernel(const std::uint32_t* counters, std::uint32_t k0, std::uint32_t k1, std::size_t blocks,
                              std::uint32_t* out) {
  const std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= blocks) return;
  const Words4 w = philox4x32_10(counters[4 * i], counters[4 * i + 1], counters[4 * i + 2], counters[4 * i + 3], k0, k1);
  for (int j = 0; j < 4; ++j) out[4 * i + j] = w.w[j];
}

constexpr unsigned kThreads = 128;
constexpr std::uint64_t kBatchPaths = std::uint64_t{1} << 22;

template <class T>
void run_precision(const SimulationJob& job, PathRange range, TerminalSamples& out) {
  const unsigned records = job.record.count;
  const std::uint64_t batch = std::min<std::uint64_t>(kBatchPaths, std::max<std::uint64_t>(range.size(), 1));
  DeviceBuffer<double> d_log(batch * records);
  DeviceBuffer<double> d_var(batch * records);
  visit_model<T>(job.model, job.measure, job.dt_years, [&](const auto& model) {
    for (std::uint64_t first = range.begin; first < range.end; first += batch) {
      const std::uint64_t count = std::min(batch, range.end - first);
      const unsigned grid = static_cast<unsigned>((count + kThreads - 1) / kThreads);
      terminal_kernel<T><<<grid, kThreads>>>(model, job.steps, job.seed, job.record, first, count, d_log.get(),
                                              d_var.get());
      HS_CUDA_CHECK(cudaGetLastError());
      const std::size_t offset = (first - range.begin) * records;
      HS_CUDA_CHECK(cudaMemcpy(out.log_return.data() + offset, d_log.get(), count * records * sizeof(double),
                               cudaMemcpyDeviceToHost));
      HS_CUDA_CHECK(cudaMemcpy(out.variance.data() + offset, d_var.get(), count * records * sizeof(double),
                               cudaMemcpyDeviceToHost));
    }
  });
}

struct MomentsOfValue {
  __host__ __device__ Moments operator()(double x) const {
    Moments m;
    m.add(x);
    return m;
  }
};
struct MergeMoments {
  __host__ __device__ Moments operator()(Moments a, const Moments& b) const {
    a.merge(b);
    return a;
  }
};

/// Simulates the batch into device memory, reduces every (field, policy) segment to moments on the
/// device, and copies back only P&L and cost (and everything when keep_all).
template <class T>
void run_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, bool keep_all,
                 HedgingBatch& out) {
  const std::size_t n = range.size();
  const unsigned policies = hedge.n_policies;
  DeviceBuffer<double> d_out(static_cast<std::size_t>(kPathFields) * policies * n);
  // The model's delta table, when hedging with it, moves to device memory; the view points there.
  HedgeParams device_hedge = hedge;
  DeviceBuffer<double> d_table(hedge.table.data != nullptr ? hedge.table_size : 0);
  if (hedge.table.data != nullptr) {
    HS_CUDA_CHECK(cudaMemcpy(d_table.get(), hedge.table.data, hedge.table_size * sizeof(double), cudaMemcpyHostToDevice));
    device_hedge.table.data = d_table.get();
  }
  visit_model<T>(job.model, job.measure, job.dt_years, [&](const auto& model) {
    HS_CUDA_CHECK(launch_hedging<T>(model, job.steps, job.seed, device_hedge, range.begin, n, d_out.get(), 0));
  });
  out.moments.assign(static_cast<std::size_t>(kPathFields) * policies, Moments{});
  for (std::size_t k = 0; k < out.moments.size(); ++k) {
    const thrust::device_ptr<const double> first(d_out.get() + k * n);
    out.moments[k] = thrust::transform_reduce(thrust::device, first, first + n, MomentsOfValue{}, Moments{}, MergeMoments{});
  }
  HS_CUDA_CHECK(cudaGetLastError());
  const auto copy_field = [&](PathField f, std::vector<double>& dst) {
    dst.resize(static_cast<std::size_t>(policies) * n);
    HS_CUDA_CHECK(cudaMemcpy(dst.data(), d_out.get() + static_cast<std::size_t>(f) * policies * n,
                             dst.size() * sizeof(double), cudaMemcpyDeviceToHost));
  };
  copy_field(PathField::pnl, out.pnl);
  copy_field(PathField::cost, out.cost);
  out.all.clear();
  if (keep_all) {
    out.all.resize(d_out.size());
    HS_CUDA_CHECK(cudaMemcpy(out.all.data(), d_out.get(), d_out.size() * sizeof(double), cudaMemcpyDeviceToHost));
  }
}

}  // namespace

void cuda_simulate_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, int device,
                           bool keep_all, HedgingBatch& out) {
  HS_CUDA_CHECK(cudaSetDevice(device));
  out = HedgingBatch{};
  out.range = range;
  out.policies = hedge.n_policies;
  if (range.size() == 0) return;
  if (job.precision == Precision::float32) {
    run_hedging<float>(job, hedge, range, keep_all, out);
  } else {
    run_hedging<double>(job, hedge, range, keep_all, out);
  }
}

bool cuda_compiled() { return true; }

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver / no device" status
    return 0;
  }
  return n;
}

std::string cuda_device_name(int device) {
  cudaDeviceProp prop{};
  HS_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

void cuda_simulate_terminal(const SimulationJob& job, PathRange range, int device, TerminalSamples& out) {
  HS_CUDA_CHECK(cudaSetDevice(device));
  out.resize(range, job.record.count);
  if (range.size() == 0) return;
  if (job.precision == Precision::float32) {
    run_precision<float>(job, range, out);
  } else {
    run_precision<double>(job, range, out);
  }
}

std::vector<std::uint32_t> cuda_philox_blocks(const std::vector<std::uint32_t>& counters, std::uint32_t k0,
                                              std::uint32_t k1, int device) {
  HS_CUDA_CHECK(cudaSetDevice(device));
  const std::size_t blocks = counters.size() / 4;
  std::vector<std::uint32_t> result(blocks * 4);
  if (blocks == 0) return result;
  DeviceBuffer<std::uint32_t> d_in(blocks * 4);
  DeviceBuffer<std::uint32_t> d_out(blocks * 4);
  HS_CUDA_CHECK(cudaMemcpy(d_in.get(), counters.data(), blocks * 4 * sizeof(std::uint32_t), cudaMemcpyHostToDevice));
  philox_kernel<<<static_cast<unsigned>((blocks + 127) / 128), 128>>>(d_in.get(), k0, k1, blocks, d_out.get());
  HS_CUDA_CHECK(cudaGetLastError());
  HS_CUDA_CHECK(cudaMemcpy(result.data(), d_out.get(), blocks * 4 * sizeof(std::uint32_t), cudaMemcpyDeviceToHost));
  return result;
}

}  // namespace hedgesim
