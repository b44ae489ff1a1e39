#pragma once
// The per-path step shared by every loop of both backends: one path's state is stepped through the grid
// with the random numbers of (seed, path, step), and an observer sees the state after every step.
#include <cstdint>

#include "hedgesim/hd.hpp"
#include "hedgesim/models/path_state.hpp"
#include "hedgesim/rng/philox.hpp"

namespace hedgesim {

/// The random numbers of a step (philox.hpp's stream of (seed, path, step)), defined here once for
/// every loop that steps a path: block 0 drives the diffusion (MixedBlock: two normals, the variance
/// scheme's uniform, the jump uniform u3); a step with jumps draws from block kJumpBlock on, as many
/// blocks as its model needs.
inline constexpr std::uint32_t kDiffusionBlock = 0;
inline constexpr std::uint32_t kJumpBlock = 1;

/// The diffusion half of a step; returns the step's jump uniform. kQuadratic: the Heston family's
/// quadratic-regime step (the same bits where every lane is in that regime; heston.hpp), which the
/// CPU tile uses while it lasts.
template <class T, bool kQuadratic = false, class Model>
HS_HD T diffuse_step(const Model& model, PathState<T>& s, std::uint64_t seed, std::uint64_t path,
                     std::uint32_t step) {
  const MixedBlock<T> b = StepRng<T>(seed, path, step, kDiffusionBlock).mixed();
  if constexpr (kQuadratic) {
    model.diffuse_quadratic(s, b);
  } else {
    model.diffuse(s, b);
  }
  return b.u3;
}

/// The jump half of a step, for a step whose jump uniform gives jumps (model.jumps_at(u_jump)).
template <class T, class Model>
HS_HD void jump_step(const Model& model, PathState<T>& s, T u_jump, std::uint64_t seed, std::uint64_t path,
                     std::uint32_t step) {
  StepRng<T> rng(seed, path, step, kJumpBlock);
  model.jump(s, u_jump, rng);
}

/// One step of one path: both halves, the second only on steps with jumps. The CPU tile calls the
/// halves itself (the diffusion of all its lanes, then the jumps lane by lane).
template <class T, class Model>
HS_HD void advance(const Model& model, PathState<T>& s, std::uint64_t seed, std::uint64_t path, std::uint32_t step) {
  const T u_jump = diffuse_step<T>(model, s, seed, path, step);
  if constexpr (Model::kJumps) {
    if (model.jumps_at(u_jump)) jump_step<T>(model, s, u_jump, seed, path, step);
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
