#pragma once
// Counter-based random numbers (docs/models.md, "Random numbers"): Philox4x32-10 keyed by the run seed and counted by
// (path, step, block). A path's numbers are a pure function of those, so they never depend on batch
// size, threads, blocks, GPUs or ranks. The host uses Random123, the device cuRAND's
// curand_Philox4x32_10; both implement the same rounds with the same word order (tests/test_rng*).
//
// Counter layout: c0 = block within the step, c1 = step, c2/c3 = path (low/high 32 bits).
// Key: the 64-bit seed split into two words.
#include <cstdint>

#include "hedgesim/hd.hpp"
#include "hedgesim/math.hpp"

#if defined(__CUDA_ARCH__)
#include <curand_philox4x32_x.h>
#else
#include <Random123/philox.h>
#endif

namespace hedgesim {

struct Words4 {
  std::uint32_t w[4];
};

/// One Philox4x32-10 block: 4 independent 32-bit words for counter c under key k.
HS_HD Words4 philox4x32_10(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3,
                           std::uint32_t k0, std::uint32_t k1) {
#if defined(__CUDA_ARCH__)
  const uint4 r = curand_Philox4x32_10(make_uint4(c0, c1, c2, c3), make_uint2(k0, k1));
  return Words4{{r.x, r.y, r.z, r.w}};
#else
  r123::Philox4x32 gen;
  const r123::Philox4x32::ctr_type c = {{c0, c1, c2, c3}};
  const r123::Philox4x32::key_type k = {{k0, k1}};
  const r123::Philox4x32::ctr_type r = gen(c, k);
  return Words4{{r.v[0], r.v[1], r.v[2], r.v[3]}};
#endif
}

/// Uniform in the open interval (0, 1) from one 32-bit word: the midpoint of the word's bucket. float
/// keeps the top 23 bits (so the largest value, 1 − 2^-24, is still below 1 in float) and double all
/// 32, so a float32 run and a float64 run see the same uniforms to within 2^-24.
template <class T>
HS_HD T uniform_open(std::uint32_t w);
template <>
HS_HD float uniform_open<float>(std::uint32_t w) {
  return (static_cast<float>(w >> 9) + 0.5f) * 1.1920928955078125e-7f;  // 2^-23
}
template <>
HS_HD double uniform_open<double>(std::uint32_t w) {
  return (static_cast<double>(w) + 0.5) * 2.3283064365386962890625e-10;  // 2^-32
}

/// Two independent standard normals from two uniforms (Box–Muller), with the branch-free log and
/// sincos of math.hpp: the same formula, and the same bits per lane, in CPU tiles and GPU threads.
template <class T>
struct NormalPair {
  T z0, z1;
};
template <class T>
HS_HD NormalPair<T> box_muller(T u0, T u1) {
  const T r = m::sqrt(T(-2) * m::log_pos(u0));
  const m::SinCos<T> a = m::sincos_2pi(u1);
  return {r * a.c, r * a.s};
}

/// Block 0 of every step: the two diffusion normals, the variance-scheme uniform, the jump uniform.
template <class T>
struct MixedBlock {
  T z0, z1, u2, u3;
};

/// The random numbers of one (path, step): blocks are drawn in order, 4 words each.
template <class T>
class StepRng {
 public:
  /// The stream of (seed, path, step), starting at `first_block` (a resumed stream continues where
  /// the step's earlier draws stopped).
  HS_HD StepRng(std::uint64_t seed, std::uint64_t path, std::uint32_t step, std::uint32_t first_block = 0)
      : k0_(static_cast<std::uint32_t>(seed)),
        k1_(static_cast<std::uint32_t>(seed >> 32)),
        step_(step),
        p0_(static_cast<std::uint32_t>(path)),
        p1_(static_cast<std::uint32_t>(path >> 32)),
        block_(first_block) {}

  /// Next block of four uniforms in (0, 1).
  HS_HD void uniforms4(T (&u)[4]) {
    const Words4 r = next_words();
    for (int i = 0; i < 4; ++i) u[i] = uniform_open<T>(r.w[i]);
  }

  /// Uniform i (0–3) of the next block, alone: uniforms4's u[i] without converting the other three.
  HS_HD T uniform_of4(unsigned i) {
    const Words4 r = next_words();
    // Selects, not r.w[i]: a dynamic index would put the block in local memory on the GPU.
    return uniform_open<T>(i == 0 ? r.w[0] : i == 1 ? r.w[1] : i == 2 ? r.w[2] : r.w[3]);
  }

  /// Next block as two normals and two uniforms: (z0, z1) by Box–Muller from words 0–1, (u2, u3) raw.
  /// Built without an array so the block stays in registers (the CPU lane loop vectorises).
  HS_HD MixedBlock<T> mixed() {
    const Words4 r = next_words();
    const NormalPair<T> z = box_muller(uniform_open<T>(r.w[0]), uniform_open<T>(r.w[1]));
    return {z.z0, z.z1, uniform_open<T>(r.w[2]), uniform_open<T>(r.w[3])};
  }

  /// Next block as four normals.
  HS_HD void normals4(T (&z)[4]) {
    T u[4];
    uniforms4(u);
    const NormalPair<T> a = box_muller(u[0], u[1]);
    const NormalPair<T> b = box_muller(u[2], u[3]);
    z[0] = a.z0;
    z[1] = a.z1;
    z[2] = b.z0;
    z[3] = b.z1;
  }

 private:
  HS_HD Words4 next_words() { return philox4x32_10(block_++, step_, p0_, p1_, k0_, k1_); }

  std::uint32_t k0_, k1_, step_, p0_, p1_;
  std::uint32_t block_;
};

}  // namespace hedgesim
