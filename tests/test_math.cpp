// The branch-free elementary functions of math.hpp against long-double references: they replace libm
// on the per-path hot paths (so SIMD lanes, the scalar code, x86 ISAs and the GPU give the same bits),
// and their accuracy is the one the doc comments state.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "hedgesim/math.hpp"

namespace hedgesim {
namespace {

constexpr double kUlp = 2.220446049250313e-16;

TEST(Math, LogPosWithinOneUlpOfTheLogScale) {
  std::mt19937_64 gen(1);
  std::uniform_real_distribution<double> e(-700.0, 700.0);
  double worst = 0.0;
  for (int i = 0; i < 200000; ++i) {
    const double x = std::exp(e(gen));
    const long double ref = std::log(static_cast<long double>(x));
    const double err = static_cast<double>(std::fabs(m::log_pos(x) - ref)) / (kUlp * std::fmax(1.0, std::fabs(static_cast<double>(ref))));
    worst = std::fmax(worst, err);
  }
  EXPECT_LE(worst, 2.0) << "log_pos: worst error " << worst << " ulp of max(1, |ln x|), tolerance 2";
}

TEST(Math, ExpFiniteWithinOneUlp) {
  std::mt19937_64 gen(2);
  std::uniform_real_distribution<double> wide(-708.0, 709.0), narrow(-3.0, 3.0);
  double worst = 0.0;
  for (int i = 0; i < 200000; ++i) {
    const double x = i % 2 ? wide(gen) : narrow(gen);
    const long double ref = std::exp(static_cast<long double>(x));
    worst = std::fmax(worst, static_cast<double>(std::fabs((m::exp_finite(x) - ref) / ref)) / kUlp);
  }
  EXPECT_LE(worst, 1.0) << "exp_finite: worst relative error " << worst << " ulp, tolerance 1";
  EXPECT_EQ(m::exp_finite(0.0), 1.0);
  EXPECT_GT(m::exp_finite(-1e6), 0.0) << "clamped below, never 0 or negative";
}

TEST(Math, NormCdfPdfAgainstErfc) {
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<double> wide(-37.0, 37.0), narrow(-6.0, 6.0);
  double worst_abs = 0.0, worst_tail = 0.0, worst_pdf = 0.0;
  for (int i = 0; i < 200000; ++i) {
    const double x = i % 2 ? wide(gen) : narrow(gen);
    const long double lx = x;
    const long double cdf = 0.5L * std::erfc(-lx / std::sqrt(2.0L));
    const long double pdf = std::exp(-0.5L * lx * lx) / std::sqrt(2.0L * 3.14159265358979323846264338327950288L);
    const m::CdfPdf<double> r = m::norm_cdf_pdf(x);
    const double z2 = 0.5 * x * x;
    worst_abs = std::fmax(worst_abs, static_cast<double>(std::fabs(r.cdf - cdf)));
    if (x < 0.0) worst_tail = std::fmax(worst_tail, static_cast<double>(std::fabs((r.cdf - cdf) / cdf)) / ((1.0 + z2) * kUlp));
    worst_pdf = std::fmax(worst_pdf, static_cast<double>(std::fabs((r.pdf - pdf) / pdf)) / ((1.0 + z2) * kUlp));
  }
  EXPECT_LE(worst_abs, 1e-15) << "Φ: worst absolute error " << worst_abs << ", tolerance 1e-15";
  EXPECT_LE(worst_tail, 4.0) << "Φ(x < 0): worst relative error " << worst_tail << " × (1 + x²/2) ulp, tolerance 4";
  EXPECT_LE(worst_pdf, 4.0) << "φ: worst relative error " << worst_pdf << " × (1 + x²/2) ulp, tolerance 4";
}

TEST(Math, CbrtNonnegWithinAFewUlp) {
  std::mt19937_64 gen(4);
  std::uniform_real_distribution<double> e(-60.0, 60.0);
  double worst = 0.0;
  for (int i = 0; i < 200000; ++i) {
    const double w = std::exp(e(gen));
    const long double ref = std::cbrt(static_cast<long double>(w));
    worst = std::fmax(worst, static_cast<double>(std::fabs((m::cbrt_nonneg(w) - ref) / ref)) / kUlp);
  }
  EXPECT_LE(worst, 4.0) << "cbrt_nonneg: worst relative error " << worst << " ulp, tolerance 4";
  EXPECT_EQ(m::cbrt_nonneg(0.0), 0.0);
}

TEST(Math, SincosOfTwoPiU) {
  std::mt19937_64 gen(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  double worst = 0.0;
  for (int i = 0; i < 200000; ++i) {
    const double v = u(gen);
    const long double a = 2.0L * 3.14159265358979323846264338327950288L * v;
    const m::SinCos<double> r = m::sincos_2pi(v);
    worst = std::fmax(worst, static_cast<double>(std::fmax(std::fabs(r.s - std::sin(a)), std::fabs(r.c - std::cos(a)))) / kUlp);
  }
  EXPECT_LE(worst, 2.0) << "sincos_2pi: worst absolute error " << worst << " ulp, tolerance 2";
}

}  // namespace
}  // namespace hedgesim
