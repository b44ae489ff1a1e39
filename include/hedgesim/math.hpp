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
HS_HD double rint(double x) { return ::rint(x); }  ///< to the nearest integer, ties to even
template <class T>
HS_HD T max(T a, T b) { return a > b ? a : b; }
template <class T>
HS_HD T min(T a, T b) { return a < b ? a : b; }

/// Standard normal cumulative distribution function and density by libm, for host-side pricing
/// (implied vols); the hedge loop uses the branch-free norm_cdf_pdf below.
template <class T>
HS_HD T norm_cdf(T x) { return T(0.5) * erfc(-x * T(0.70710678118654752440)); }

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

/// e^x for double, branch-free (the hedge loop's spot, discount and gas prices): x = k·ln 2 + r with
/// k = round(x/ln 2) (Cody–Waite, two-part ln 2), e^r by its Taylor series to r¹³ (|r| ≤ ½ln 2, term
/// 14 below 2e-17), times 2^k built in the exponent bits. x is clamped to [−708, 709], where e^x stays
/// a normal double; the hedge loop never leaves that range on purpose.
HS_HD double exp_finite(double x) {
  x = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
  constexpr double kShifter = 6755399441055744.0;  // 1.5·2^52: adding it rounds to an integer in the low bits
  const double shifted = x * 1.4426950408889634074 + kShifter;
  const double k = shifted - kShifter;
  const std::int64_t ki = static_cast<std::int64_t>(to_bits(shifted) - to_bits(kShifter));
  const double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r * r + r;
  return (1.0 + p) * double_from_bits(static_cast<std::uint64_t>(ki + 1023) << 52);
}

/// Φ(x) and φ(x) together, branch-free, for the Black–Scholes deltas and gammas of the hedge loop.
/// With z = |x|/√2 and t = 2/(2 + z), erfc z = t·e^{−z²}·h(y), y = 2t − 1 ∈ (−1, 1], where h = erfcx(z)/t
/// is smooth and bounded (h → 1/(2√π) as z → ∞). h is its 28-term Chebyshev series (a 50-digit fit at
/// 80 Chebyshev nodes; the first omitted term is 1.5e-18) rewritten in powers of y (Σ|coefficients| =
/// 1.03, so no cancellation) and evaluated by Estrin's scheme: a shallow tree of independent products
/// instead of Horner's or Clenshaw's 27-deep chain, which would leave a SIMD lane loop waiting on
/// latency. φ = e^{−z²}/√(2π) shares the exponential. Φ within 1e-15 absolute; relative error of the
/// tail ≈ (1 + z²)·3 ulp, from the exponential as for any erfc (tests/test_math.cpp).
template <class T>
struct CdfPdf {
  T cdf, pdf;
};
HS_HD CdfPdf<double> norm_cdf_pdf(double x) {
  const double z = fabs(x) * 0.70710678118654752440;
  const double t = 2.0 / (2.0 + z);
  const double y = 2.0 * t - 1.0;
  const double p0 = 5.10791352621011489098e-1 + 3.43580342206905273042e-1 * y;
  const double p1 = 1.39736046278026891305e-1 + 1.82211157534424967323e-2 * y;
  const double p2 = -1.07553309447163638786e-2 - 3.23959253398651317252e-3 * y;
  const double p3 = 1.54530602905764368954e-3 + 4.18648033296486808701e-4 * y;
  const double p4 = -3.31536747619460442515e-4 - 1.71857375945489391071e-5 * y;
  const double p5 = 7.22353506143854334822e-5 - 1.70743365307357001056e-5 * y;
  const double p6 = -1.08480572688910957684e-5 + 8.06004049102814624792e-6 * y;
  const double p7 = -5.62816693519292463271e-7 - 1.82080783840298215164e-6 * y;
  const double p8 = 1.00091858626541011381e-6 - 3.05871964567470974636e-9 * y;
  const double p9 = -2.85548182383411716644e-7 + 1.64911631111846329142e-7 * y;
  const double p10 = -1.69827240129356661877e-9 - 5.76014669717562450108e-8 * y;
  const double p11 = 2.90419854442090856649e-8 + 6.35386466950513921659e-9 * y;
  const double p12 = -9.74475662593225779702e-9 + 1.22845363501865661003e-9 * y;
  const double p13 = 1.2051665995883636701e-9 - 3.38886955463086884912e-10 * y;

  const double y2 = y * y;
  const double q0 = p0 + p1 * y2, q1 = p2 + p3 * y2, q2 = p4 + p5 * y2, q3 = p6 + p7 * y2;
  const double q4 = p8 + p9 * y2, q5 = p10 + p11 * y2, q6 = p12 + p13 * y2;
  const double y4 = y2 * y2;
  const double r0 = q0 + q1 * y4, r1 = q2 + q3 * y4, r2 = q4 + q5 * y4;
  const double y8 = y4 * y4;
  const double s0 = r0 + r1 * y8, s1 = r2 + q6 * y8;
  const double h = s0 + s1 * (y8 * y8);
  const double e = exp_finite(-z * z);
  const double half_erfc = 0.5 * t * e * h;
  return {x < 0.0 ? half_erfc : 1.0 - half_erfc, e * 0.39894228040143267794};
}

/// e^x for float, branch-free, the same scheme in single precision: Taylor to r⁷ (term 8 below 6e-9
/// relative), x clamped to [−87, 88].
HS_HD float exp_finite(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  constexpr float kShifter = 12582912.0f;  // 1.5·2^23
  const float shifted = x * 1.44269504f + kShifter;
  const float k = shifted - kShifter;
  const std::int32_t ki = static_cast<std::int32_t>(to_bits(shifted) - to_bits(kShifter));
  const float r = (x - k * 0.693145752f) - k * 1.42860677e-06f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r * r + r;
  return (1.0f + p) * float_from_bits(static_cast<std::uint32_t>(ki + 127) << 23);
}

/// Φ and φ in float: the same form with the first 11 Chebyshev terms (truncation 1.2e-8 relative),
/// so float32 runs get their hedge deltas from 8-wide float lanes; Φ within 2e-7 absolute.
HS_HD CdfPdf<float> norm_cdf_pdf(float x) {
  const float z = fabs(x) * 0.707106781f;
  const float t = 2.0f / (2.0f + z);
  const float y = 2.0f * t - 1.0f;
  const float y2 = y * y;
  const float q0 = (5.107913569e-1f + 3.435803187e-1f * y) + (1.397357335e-1f + 1.822166943e-2f * y) * y2;
  const float q1 = (-1.075162619e-2f - 3.243451918e-3f * y) + (1.529157161e-3f + 4.306704884e-4f * y) * y2;
  const float q2 = (-2.993827121e-4f - 3.660187694e-5f * y) + 4.21611972e-5f * y2;
  const float y4 = y2 * y2;
  const float h = q0 + (q1 + q2 * y4) * y4;
  const float e = exp_finite(-z * z);
  const float half_erfc = 0.5f * t * e * h;
  return {x < 0.0f ? half_erfc : 1.0f - half_erfc, e * 0.398942280f};
}

/// ∛w for w ≥ 0, branch-free (Whalley–Wilmott's band on every step of every path): a float
/// estimate e^{ln w / 3} (8-wide, ~1e-7 relative) refined by one Halley step in double,
/// r·(r³ + 2w)/(2r³ + w), which triples the digits (a few ulp). Inputs below 1e-30 give 0 (a half-band
/// under 1e-10 coins) and above 1e30 are clamped there.
HS_HD double cbrt_nonneg(double w) {
  const bool positive = w > 1e-30;
  const double wc = positive ? (w < 1e30 ? w : 1e30) : 1.0;
  const double r = static_cast<double>(exp_finite(log_pos(static_cast<float>(wc)) * (1.0f / 3.0f)));
  const double r3 = r * r * r;
  const double refined = r * (r3 + 2.0 * wc) / (2.0 * r3 + wc);
  return positive ? refined : 0.0;
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
