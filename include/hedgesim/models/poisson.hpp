#pragma once
// Poisson jump counts per step by inversion of one uniform: the sequential search is exact, and at
// the rates of a time step (λΔ ≪ 1 in practice, ≤ 50 enforced by config validation) it almost
// always stops at the first comparison, so the branch costs nothing on the GPU.
#include <cmath>

#include "hedgesim/hd.hpp"

namespace hedgesim {

template <class T>
struct PoissonSampler {
  T mean;        ///< λΔ
  T p0;          ///< e^{−λΔ}
  unsigned cap;  ///< a count no path reaches except through rounding of F towards 1

  HS_HD bool at_least_one(T u) const { return u > p0; }

  HS_HD unsigned operator()(T u) const {
    unsigned k = 0;
    T p = p0;
    T cdf = p0;
    while (u > cdf && k < cap) {
      ++k;
      p *= mean / T(k);
      cdf += p;
    }
    return k;
  }
};

template <class T>
PoissonSampler<T> make_poisson(double mean) {
  const double cap = mean + 12.0 * std::sqrt(mean) + 20.0;
  return {static_cast<T>(mean), static_cast<T>(std::exp(-mean)), static_cast<unsigned>(cap)};
}

}  // namespace hedgesim
