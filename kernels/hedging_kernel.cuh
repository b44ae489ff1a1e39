#pragma once
// The hedging kernel and its launch (included by cuda_backend.cu). The work of a block is
// hedging/hedge_block.hpp's, shared with the host emulation the tests run; this file adds only the
// barriers and the launch shape.
#include <cuda_runtime.h>

#include <cstdint>

#include "hedgesim/hedging/hedge_block.hpp"

namespace hedgesim {

// __grid_constant__: the parameters are read in place (the block code takes their address), not copied
// to local memory per thread. The launch bound caps registers at 128 a thread (65536 / 512).
template <class T, class Model>
__global__ void __launch_bounds__(kBlockThreadsMax) hedging_kernel(const __grid_constant__ Model model,
                                                                   const __grid_constant__ HedgeParams hp,
                                                                   std::uint32_t steps, std::uint64_t seed,
                                                                   BlockShape shape, std::uint64_t first_path,
                                                                   std::uint64_t count, double* out) {
  extern __shared__ double shared[];
  const HedgeBlock<T, Model> hb{model, hp,    shape, ChunkRecords{shared, shape.paths, shape.chunk, shape.record_fields()}, steps, seed,
                                first_path, count, out,   blockIdx.x,   blockIdx.y};
  const unsigned tid = threadIdx.x;
  if (tid == 0) hb.prepare();
  __syncthreads();
  const BlockThread t = hb.thread(tid);
  hb.start(t, tid);
  __syncthreads();
  for (std::uint32_t n0 = 0; n0 <= steps; n0 += shape.chunk) {
    for (unsigned ph = 0; ph < 3; ++ph) {
      hb.phase(ph, tid, blockDim.x, n0, t);
      __syncthreads();
    }
  }
}

/// Hedges paths [first_path, first_path + count) with every policy of hp (its table, if any, in device
/// memory) into out[(field·n_policies + policy)·count + row], on `stream`.
template <class T, class Model>
cudaError_t launch_hedging(const Model& model, std::uint32_t steps, std::uint64_t seed, const HedgeParams& hp,
                           std::uint64_t first_path, std::uint64_t count, double* out, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  const BlockShape shape = block_shape(hp);
  const std::size_t shared_bytes = shape.shared_doubles() * sizeof(double);
  const dim3 grid(static_cast<unsigned>(hedge_blocks(shape, count)), shape.groups);
  // Above 48 KB a kernel must opt in to dynamic shared memory.
  const cudaError_t opt_in = cudaFuncSetAttribute(hedging_kernel<T, Model>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                  static_cast<int>(shared_bytes));
  if (opt_in != cudaSuccess) return opt_in;
  hedging_kernel<T, Model><<<grid, shape.threads(), shared_bytes, stream>>>(model, hp, steps, seed, shape, first_path,
                                                                            count, out);
  return cudaGetLastError();
}

}  // namespace hedgesim
