// CUDA backend of the engine: launch code only (terminal simulation, the Philox known-answer kernel,
// the devices). The per-path code is include/hedgesim/engine/path.hpp, the same source the CPU backend
// runs. The hedging layer's kernel and runs are kernels/hedging_backend.cu.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "cuda_util.cuh"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/path.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/models/model.hpp"

namespace hedgesim {
namespace {

using cuda::DeviceBuffer;

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

}  // namespace

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
