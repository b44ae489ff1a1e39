#pragma once
// The per-path loop shared by both backends: one path's state is stepped through the grid with the
// random numbers of (seed, path, step), and an observer sees the state after every step.
#include <cstdint>

#include "hedgesim/hd.hpp"
#include "hedgesim/models/path_state.hpp"
#include "hedgesim/rng/philox.hpp"

namespace hedgesim {

/// One step of one path: block 0 drives the diffusion; steps with jumps continue the same stream.
template <class T, class Model>
HS_HD void advance(const Model& model, PathState<T>& s, std::uint64_t seed, std::uint64_t path, std::uint32_t step) {
  StepRng<T> rng(seed, path, step);
  const MixedBlock<T> b = rng.mixed();
  model.diffuse(s, b);
  if constexpr (Model::kJumps) {
    if (model.jumps_at(b.u3)) model.jump(s, b.u3, rng);
  }
}

template <class T, class Model, class Observer>
HS_HD void simulate_path(const Model& model, std::uint32_t steps, std::uint64_t seed, std::uint64_t path,
                         Observer& observer) {
  PathState<T> s = model.initial();
  observer.begin(s);
  for (std::uint32_t n = 0; n < steps; ++n) {
    advance<T>(model, s, seed, path, n);
    observer.after_step(n + 1, s);
  }
}

/// Grid steps (1-based: step n ends at time n·Δ) at which a job records the state, ascending.
struct RecordSteps {
  static constexpr unsigned kMax = 64;
  unsigned count = 0;
  std::uint32_t step[kMax] = {};
};

/// Observer that writes ln(S/S0) and v at each recorded step.
template <class T>
struct TerminalRecorder {
  const RecordSteps& record;
  double* log_return;  ///< [record.count]
  double* variance;    ///< [record.count]
  unsigned next = 0;

  HS_HD void begin(const PathState<T>&) {}
  HS_HD void after_step(std::uint32_t n, const PathState<T>& s) {
    if (next < record.count && record.step[next] == n) {
      log_return[next] = static_cast<double>(s.x);
      variance[next] = static_cast<double>(s.v);
      ++next;
    }
  }
};

}  // namespace hedgesim
