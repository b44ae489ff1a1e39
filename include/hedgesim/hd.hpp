#pragma once
#include <cstdint>

// One portability macro: __host__ __device__ under nvcc, inline for a host compiler, so the per-path
// code in include/hedgesim/ compiles for both backends from one source. Both force inlining: the CPU
// backend's lane loop only vectorises when the whole step, log and sincos included, is inlined into it.
#if defined(__CUDACC__)
#define HS_HD __host__ __device__ __forceinline__
#define HS_DEVICE_COMPILE 1
#elif defined(__GNUC__)
#define HS_HD inline __attribute__((always_inline))
#else
#define HS_HD inline
#endif

// Per-path code that only some jobs run (hedge options, trade sizes, the unwind, premium-adjusted
// deltas): inlined on the device like HS_HD, where each kernel compiles only what its jobs run; out of
// line on a host compiler, so that the CPU tile's step loop of a job without them carries none of their
// code or registers (inlined, they cost btc_short_calls_perp 1.9% more instructions, issue 14).
#if defined(__CUDACC__)
#define HS_HD_COLD HS_HD
#else
#define HS_HD_COLD __attribute__((noinline))
#endif

// A lane loop over the paths of a CPU tile: iterations are independent (each touches only its own
// lane), which the vectoriser cannot always prove through arrays of a struct.
#if defined(__GNUC__) && !defined(__CUDACC__) && !defined(__clang__)
#define HS_LANES _Pragma("GCC ivdep")
#else
#define HS_LANES
#endif

namespace hedgesim {

/// v, which the device compiler can no longer see through (an empty asm): what code derives from it is
/// computed where it is used, instead of being hoisted out of every loop and held in registers through
/// a whole kernel (the Philox round keys of a seed, shared-memory addresses: hedging_kernel.cuh). The
/// host gets v as it is.
HS_HD std::uint32_t opaque(std::uint32_t v) {
#if defined(__CUDA_ARCH__)
  asm("" : "+r"(v));
#endif
  return v;
}
HS_HD std::uint64_t opaque(std::uint64_t v) {
#if defined(__CUDA_ARCH__)
  asm("" : "+l"(v));
#endif
  return v;
}
template <class T>
HS_HD T* opaque(T* p) {
  return reinterpret_cast<T*>(opaque(static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(p))));
}

}  // namespace hedgesim
