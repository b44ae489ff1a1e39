#pragma once
// One portability macro: __host__ __device__ under nvcc, plain inline for a host compiler, so the
// per-path code in include/hedgesim/ compiles for both backends from one source.
#if defined(__CUDACC__)
#define HS_HD __host__ __device__ __forceinline__
#define HS_DEVICE_COMPILE 1
#else
#define HS_HD inline
#endif
