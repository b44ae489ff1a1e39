// Random numbers: Philox4x32-10 known answers (Random123's published kat_vectors) on the host and, where
// a GPU exists, cuRAND's device Philox on the same counters; the uniform and normal mappings.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "check.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/rng/philox.hpp"

namespace hedgesim {
namespace {

struct Kat {
  std::array<std::uint32_t, 4> ctr;
  std::array<std::uint32_t, 2> key;
  std::array<std::uint32_t, 4> expected;
};

// Random123 1.14 kat_vectors, "philox4x32 10" lines.
const Kat kKats[] = {
    {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}, {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

TEST(Philox, HostMatchesKnownAnswers) {
  for (const Kat& k : kKats) {
    const Words4 w = philox4x32_10(k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3], k.key[0], k.key[1]);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(w.w[i], k.expected[i]) << "word " << i << " of counter " << std::hex << k.ctr[0];
  }
}

TEST(Philox, CudaDeviceMatchesKnownAnswersAndHost) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (const Kat& k : kKats) {
    const std::vector<std::uint32_t> ctr(k.ctr.begin(), k.ctr.end());
    const auto w = cuda_philox_blocks(ctr, k.key[0], k.key[1], 0);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(w[i], k.expected[i]) << "word " << i;
  }
  // The counter layout the engine uses, over many (block, step, path) and a 64-bit seed.
  const std::uint64_t seed = 0x0123456789abcdefULL;
  std::vector<std::uint32_t> ctr;
  for (std::uint32_t path = 0; path < 1000; ++path)
    for (std::uint32_t step = 0; step < 7; ++step)
      for (std::uint32_t block = 0; block < 3; ++block) ctr.insert(ctr.end(), {block, step * 977u, path * 131071u, path >> 3});
  const auto dev = cuda_philox_blocks(ctr, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32), 0);
  for (std::size_t b = 0; b < ctr.size() / 4; ++b) {
    const Words4 h = philox4x32_10(ctr[4 * b], ctr[4 * b + 1], ctr[4 * b + 2], ctr[4 * b + 3],
                                   static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
    for (int i = 0; i < 4; ++i) ASSERT_EQ(dev[4 * b + i], h.w[i]) << "block " << b << " word " << i;
  }
}

TEST(Uniform, OpenIntervalAndPrecisionsAgree) {
  for (std::uint32_t w : {0u, 1u, 255u, 256u, 0x7fffffffu, 0xffffff00u, 0xffffffffu}) {
    const float f = uniform_open<float>(w);
    const double d = uniform_open<double>(w);
    EXPECT_GT(f, 0.0f);
    EXPECT_LT(f, 1.0f);
    EXPECT_GT(d, 0.0);
    EXPECT_LT(d, 1.0);
    // float keeps the top 23 bits: the double lies in the same bucket, within half its width.
    EXPECT_LE(std::fabs(static_cast<double>(f) - d), 0x1p-24) << "word " << w;
  }
}

TEST(Normal, MomentsOfStepStream) {
  // 4·10^5 normals from the engine's stream: mean 0, variance 1, kurtosis 3 within 4 standard errors
  // (exact: no bias in Box–Muller).
  const std::size_t n_blocks = 100000;
  std::vector<double> z;
  z.reserve(4 * n_blocks);
  for (std::size_t p = 0; p < n_blocks; ++p) {
    StepRng<double> rng(7, p, 3);
    double b[4];
    rng.normals4(b);
    z.insert(z.end(), b, b + 4);
  }
  const auto n = z.size();
  const auto m1 = test::mean_se(n, [&](std::size_t i) { return z[i]; });
  const auto m2 = test::mean_se(n, [&](std::size_t i) { return z[i] * z[i]; });
  const auto m4 = test::mean_se(n, [&](std::size_t i) { return z[i] * z[i] * z[i] * z[i]; });
  EXPECT_TRUE(test::near("E[Z]", m1.mean, 0.0, 4 * m1.se));
  EXPECT_TRUE(test::near("E[Z^2]", m2.mean, 1.0, 4 * m2.se));
  EXPECT_TRUE(test::near("E[Z^4]", m4.mean, 3.0, 4 * m4.se));
  // Correlation of the pair from one Box–Muller draw.
  const auto c = test::mean_se(n / 2, [&](std::size_t i) { return z[2 * i] * z[2 * i + 1]; });
  EXPECT_TRUE(test::near("E[Z0 Z1]", c.mean, 0.0, 4 * c.se));
}

TEST(StepRng, StreamsDependOnEveryCounterPart) {
  float a[4], b[4], c[4], d[4];
  StepRng<float>(1, 5, 9).uniforms4(a);
  StepRng<float>(2, 5, 9).uniforms4(b);
  StepRng<float>(1, 6, 9).uniforms4(c);
  StepRng<float>(1, 5, 10).uniforms4(d);
  EXPECT_NE(a[0], b[0]);
  EXPECT_NE(a[0], c[0]);
  EXPECT_NE(a[0], d[0]);
  // Paths differing only in the high 32 bits get different numbers.
  float e[4], f[4];
  StepRng<float>(1, 5, 9).uniforms4(e);
  StepRng<float>(1, 5 + (std::uint64_t{1} << 32), 9).uniforms4(f);
  EXPECT_NE(e[0], f[0]);
}

}  // namespace
}  // namespace hedgesim
