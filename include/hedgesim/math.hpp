#pragma once
// Overloads of the elementary functions for float and double that resolve to the same C library
// names on the host and on the device, so templated per-path code never promotes float to double
// by accident.
#include <math.h>

#include <cstdint>
#if !defined(__CUDA_ARCH__)
#include <bit>
#endif

#include "hedgesim/hd.hpp"

namespace hedgesim::m {

HS_HD float exp(float x) { return ::expf(x); }
HS_HD double exp(double x) { return ::exp(x); }
HS_HD float expm1(float x) { return ::expm1f(x); }
HS_HD double expm1(double x) { return ::expm1(x); }
HS_HD float log(float x) { return ::logf(x); }
HS_HD double log(double x) { return ::log(x); }
HS_HD float log1p(float x) { return ::log1pf(x); }
HS_HD double log1p(double x) { return ::log1p(x); }
HS_HD float sqrt(float x) { return ::sqrtf(x); }
HS_HD double sqrt(double x) { return ::sqrt(x); }
HS_HD float sin(float x) { return ::sinf(x); }
HS_HD double sin(double x) { return ::sin(x); }
HS_HD float cos(float x) { return ::cosf(x); }
HS_HD double cos(double x) { return ::cos(x); }
HS_HD float erfc(float x) { return ::erfcf(x); }
HS_HD double erfc(double x) { return ::erfc(x); }
HS_HD float fabs(float x) { return ::fabsf(x); }
HS_HD double fabs(double x) { return ::fabs(x); }
template <class T>
HS_HD T max(T a, T b) { return a > b ? a : b; }
template <class T>
HS_HD T min(T a, T b) { return a < b ? a : b; }

/// Standard normal cumulative distribution function.
template <class T>
HS_HD T norm_cdf(T x) { return T(0.5) * erfc(-x * T(0.70710678118654752440)); }

/// Standard normal density.
template <class T>
HS_HD T norm_pdf(T x) { return T(0.39894228040143267794) * exp(T(-0.5) * x * x); }

HS_HD std::uint32_t to_bits(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  return std::bit_cast<std::uint32_t>(x);
#endif
}
HS_HD std::uint64_t to_bits(double x) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint64_t>(__double_as_longlong(x));
#else
  return std::bit_cast<std::uint64_t>(x);
#endif
}
HS_HD float float_from_bits(std::uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(b);
#else
  return std::bit_cast<float>(b);
#endif
}
HS_HD double double_from_bits(std::uint64_t b) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(b));
#else
  return std::bit_cast<double>(b);
#endif
}

// Branch-free logarithm and sine/cosine for the per-step hot path. They use only IEEE +, −, ×, ÷ and
// bit operations, so a compiler vectorises them across paths (CPU tiles) and every lane, the scalar
// code and any x86 ISA give the same bits for the same input: per-path results stay independent of
// where a path sits in a tile. Accuracy: ≤ 2 ulp (tests/test_math.cpp).

/// ln x for positive, normal, finite x: x = 2^e·m with m in [√½, √2), ln m = 2 atanh(s),
/// s = (m − 1)/(m + 1), |s| ≤ 0.172, by its odd series.
HS_HD float log_pos(float x) {
  const std::uint32_t b = to_bits(x);
  const float m0 = float_from_bits((b & 0x007fffffu) | 0x3f800000u);  // [1, 2)
  const bool big = m0 > 1.41421356f;
  const float m = big ? m0 * 0.5f : m0;
  const float e = static_cast<float>(static_cast<int>(b >> 23) - (big ? 126 : 127));
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  const float p = s2 * (0.33333333f + s2 * (0.2f + s2 * (0.14285715f + s2 * 0.11111111f)));
  return e * 0.693145752f + (e * 1.42860677e-06f + (2.0f * s + 2.0f * s * p));
}
HS_HD double log_pos(double x) {
  const std::uint64_t b = to_bits(x);
  const double m0 = double_from_bits((b & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
  const bool big = m0 > 1.4142135623730951;
  const double m = big ? m0 * 0.5 : m0;
  const double e = static_cast<double>(static_cast<int>(b >> 52) - (big ? 1022 : 1023));
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  const double p =
      s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11 + s2 * (1.0 / 13 + s2 * (1.0 / 15 + s2 * (1.0 / 17 + s2 * (1.0 / 19 + s2 * (1.0 / 21))))))))));
  return e * 6.93147180369123816490e-01 + (e * 1.90821492927058770002e-10 + (2.0 * s + 2.0 * s * p));
}

/// ln(1 + y) for y > −1, accurate for tiny y (Goldberg: ln u · y/(u − 1) with u = 1 + y rounded).
template <class T>
HS_HD T log1p_pos(T y) {
  const T u = T(1) + y;
  const T d = u - T(1);
  return d == T(0) ? y : log_pos(u) * (y / d);
}

/// sin and cos of 2πu for u in [0, 1]. The reduction is exact: 4u − k with k = round(4u) is exact in
/// floating point, so r = (4u − k)·π/2 lies in [−π/4, π/4] and the quadrant is k mod 4.
template <class T>
struct SinCos {
  T s, c;
};
template <class T>
HS_HD SinCos<T> sincos_2pi(T u);
template <class T>
HS_HD SinCos<T> rotate_quadrant(T sr, T cr, int k) {
  const int q = k & 3;
  const T s = q == 0 ? sr : q == 1 ? cr : q == 2 ? -sr : -cr;
  const T c = q == 0 ? cr : q == 1 ? -sr : q == 2 ? -cr : sr;
  return {s, c};
}
template <>
HS_HD SinCos<float> sincos_2pi<float>(float u) {
  const float t = 4.0f * u;
  const int k = static_cast<int>(t + 0.5f);
  const float r = (t - static_cast<float>(k)) * 1.57079633f;
  const float r2 = r * r;
  const float sr = r + r * r2 * (-1.0f / 6 + r2 * (1.0f / 120 + r2 * (-1.0f / 5040 + r2 * (1.0f / 362880))));
  const float cr = 1.0f + r2 * (-0.5f + r2 * (1.0f / 24 + r2 * (-1.0f / 720 + r2 * (1.0f / 40320 + r2 * (-1.0f / 3628800)))));
  return rotate_quadrant(sr, cr, k);
}
template <>
HS_HD SinCos<double> sincos_2pi<double>(double u) {
  const double t = 4.0 * u;
  const int k = static_cast<int>(t + 0.5);
  const double r = (t - static_cast<double>(k)) * 1.5707963267948966;
  const double r2 = r * r;
  const double sr =
      r + r * r2 *
              (-1.0 / 6 + r2 * (1.0 / 120 + r2 * (-1.0 / 5040 + r2 * (1.0 / 362880 + r2 * (-1.0 / 39916800 + r2 * (1.0 / 6227020800.0 + r2 * (-1.0 / 1307674368000.0 + r2 * (1.0 / 355687428096000.0))))))));
  const double cr =
      1.0 + r2 * (-0.5 + r2 * (1.0 / 24 + r2 * (-1.0 / 720 + r2 * (1.0 / 40320 + r2 * (-1.0 / 3628800 + r2 * (1.0 / 479001600 + r2 * (-1.0 / 87178291200.0 + r2 * (1.0 / 20922789888000.0 + r2 * (-1.0 / 6402373705728000.0)))))))));
  return rotate_quadrant(sr, cr, k);
}

}  // namespace hedgesim::m
