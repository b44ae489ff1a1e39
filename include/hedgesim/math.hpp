#pragma once
// Overloads of the elementary functions for float and double that resolve to the same C library
// names on the host and on the device, so templated per-path code never promotes float to double
// by accident.
#include <math.h>

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

}  // namespace hedgesim::m
