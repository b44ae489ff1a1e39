#pragma once
// The state a model carries along one path. The log price is kept relative to the initial spot so
// float32 paths do not lose digits to a large ln S.
namespace hedgesim {

template <class T>
struct PathState {
  T x;  ///< ln(S_t / S_0)
  T v;  ///< instantaneous variance (σ² for GBM)
};

}  // namespace hedgesim
