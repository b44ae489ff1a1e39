#pragma once
// The hedging kernel and its launch (declared in hedging_launch.cuh; included by the generated units that
// instantiate it, kernels/hedging_instances.cu.in). The work of a block is hedging/hedge_block.hpp's,
// shared with the host emulation the tests run; this file adds only the barriers and the launch shape.
#include <cuda_runtime.h>

#include <cstdint>

#include "hedgesim/hedging/hedge_block.hpp"
#include "hedging_launch.cuh"

namespace hedgesim {

/// The block program (hedge_block.hpp) on one block: prepare, start, then each chunk's three phases with
/// a barrier after each. `block` makes the HedgeBlock afresh for every phase (see hedging_kernel).
template <class MakeBlock>
__device__ __forceinline__ void drive_block(const MakeBlock& block, std::uint32_t steps, unsigned chunk) {
  if (threadIdx.x == 0) block().prepare();
  __syncthreads();
  block().start(threadIdx.x, blockDim.x);
  __syncthreads();
  for (std::uint32_t n0 = 0; n0 <= steps; n0 += chunk) {
    for (unsigned ph = 0; ph < 3; ++ph) {
      block().phase(ph, opaque(threadIdx.x), blockDim.x, n0);
      __syncthreads();
    }
  }
}

// __grid_constant__: the parameters are read in place (the block code takes their address), not copied
// to local memory per thread. The launch bound (128 threads, 4 blocks an SM) caps registers at 128 a thread.
// Features (BlockFeatures, hedge_block.hpp): attribution, the options program (hedge options, trade sizes,
// the unwind, premium-adjusted deltas, Leland's sign per decision: uses_options_kernel) and the marks'
// source each make a kernel of its own, so the standard one carries none of their registers
// (docs/hedging.md, "GPU kernel resource budget").
template <class T, class Model, class Features>
__global__ void __launch_bounds__(kBlockThreadsMax, 4) hedging_kernel(const __grid_constant__ Model model,
                                                                      const __grid_constant__ HedgeParams hp,
                                                                      std::uint32_t steps, std::uint64_t seed,
                                                                      BlockShape shape, std::uint64_t first_path,
                                                                      std::uint64_t count, double* out) {
  extern __shared__ double shared[];
  // Each phase starts from a seed, thread index and shared-memory base the compiler cannot see through
  // (opaque): otherwise it computes the Philox round keys of the seed and the thread's shared-memory
  // addresses once, before the chunk loop, and holds them in registers through all three phases, which
  // cost ~20 registers and all of the kernel's spills.
  const auto block = [&] {
    return typename Features::template Block<T, Model>{model, hp, shape, Features::records(shared + opaque(0u), shape),
                                                       steps, opaque(seed), first_path, count, out, blockIdx.x,
                                                       blockIdx.y};
  };
  drive_block(block, steps, shape.chunk);
}

template <class T, class Model>
cudaError_t launch_hedging(const Model& model, std::uint32_t steps, std::uint64_t seed, const HedgeParams& hp,
                           std::uint64_t first_path, std::uint64_t count, double* out, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  const BlockShape shape = block_shape(hp);
  const std::size_t shared_bytes = shape.shared_doubles() * sizeof(double);
  const dim3 grid(static_cast<unsigned>(hedge_blocks(shape, count)), shape.groups);
  const auto launch = [&](auto kernel) {
    // Above 48 KB a kernel must opt in to dynamic shared memory.
    const cudaError_t opt_in =
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared_bytes));
    if (opt_in != cudaSuccess) return opt_in;
    // The whole of an SM's shared memory: left to the driver, it picked a 64 KB split, one block per SM.
    const cudaError_t carveout = cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                                                      static_cast<int>(cudaSharedmemCarveoutMaxShared));
    if (carveout != cudaSuccess) return carveout;
    kernel<<<grid, shape.threads(), shared_bytes, stream>>>(model, hp, steps, seed, shape, first_path, count, out);
    return cudaGetLastError();
  };
  return with_block_features(hp, [&](auto features) { return launch(hedging_kernel<T, Model, decltype(features)>); });
}

}  // namespace hedgesim
