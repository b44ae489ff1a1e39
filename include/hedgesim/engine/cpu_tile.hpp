#pragma once
// The CPU backend's machinery, generic over what watches the paths: tiles of kLanes paths stepped
// together so the compiler can step them in SIMD lanes, handed out in chunks from an atomic counter
// (dynamic balance; jump steps make paths uneven) to std::threads. Each path writes only its own row of
// the output, so results do not depend on the number of threads or on path ranges. The engine's
// terminal simulation (src/cpu/cpu_backend.cpp) and the hedging layer's (src/hedging/cpu_hedging.cpp)
// are its two users; include it only from sources built with the CPU loops' options (CMakeLists.txt:
// -fno-tree-pre, the x86-64-v4 dispatch).
//
// Each user compiles its loops over a chunk's tiles twice on x86-64 with GCC: for the build's -march
// and, as a HS_TARGET_V4 clone that inlines everything it calls, for x86-64-v4 with 512-bit vectors;
// the CPU picks at run time (CpuIsa in engine/job.hpp). The clones belong in the user's anonymous
// namespace, so no AVX-512 copy of a shared inline function can reach the rest of the program; and with
// FP contraction off the two give the same bits (tests/test_cpu_isa.cpp).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "hedgesim/engine/job.hpp"
#include "hedgesim/engine/path.hpp"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(HEDGESIM_NO_CPU_DISPATCH)
#define HS_CPU_V4 1
#define HS_TARGET_V4 [[gnu::target("arch=x86-64-v4,prefer-vector-width=512"), gnu::flatten]]
#else
#define HS_CPU_V4 0
#endif

namespace hedgesim::cpu {

constexpr std::uint64_t kChunk = 256;
/// Paths stepped together. Fixed (not the ISA's width) and padded at a range's end, so every path
/// goes through the same code whatever range or thread it falls in. 32 rather than 16 spreads each
/// policy's per-step set-up over twice the paths (+20% on the 8-policy benchmark), while a tile's
/// lanes for 8 policies (~35 KB) still fit in L1; 64 was slower.
constexpr unsigned kLanes = 32;

/// Throws RuntimeFailure unless this build has the loops for `isa` and this CPU runs them.
void require_isa(CpuIsa isa);

// Internal linkage in each user, as when one file held both: the loops are instantiated per user and
// their inlining is decided there alone.
namespace {

/// Simulates paths [first, first + kLanes) step by step; `tile` sees every lane's state after every
/// step (tile.begin(x, v), tile.after_step(n, x, v) with one value per lane). The diffusion of all
/// lanes is one loop the compiler vectorises (Philox, Box–Muller and the model step are branch-free
/// per lane); the rare steps with jumps are then finished lane by lane. Both halves are path.hpp's
/// (diffuse_step, jump_step), which advance() runs for a single path, so a path's bits do not depend on
/// its lane and no model can draw differently here.
template <class T, class Model, class Tile>
void simulate_tile(const Model& model_ref, const SimulationJob& job, std::uint64_t first, Tile& tile) {
  // Local copies: the vectoriser must see that nothing in the lane loop can change them.
  const Model model = model_ref;
  const std::uint64_t seed = job.seed;
  alignas(64) T x[kLanes];
  alignas(64) T v[kLanes];
  alignas(64) T u_jump[kLanes];
  const PathState<T> init = model.initial();
  for (unsigned l = 0; l < kLanes; ++l) {
    x[l] = init.x;
    v[l] = init.v;
  }
  tile.begin(x, v);
  // Heston family (QE): while every lane's variance step takes the quadratic branch, the lane loop
  // leaves out the exponential one (the same bits; heston.hpp). Each step finds it out for the next.
  constexpr bool kRegimes = requires { model.quadratic_regime(T{}); };
  bool quadratic = false;
  if constexpr (kRegimes) quadratic = model.quadratic_regime(init.v);
  // One step of every lane; kQuadratic: the lanes' variance steps all take the quadratic branch.
  // Returns 1 when they all will again at the next step.
  const auto diffuse_lanes = [&](std::uint32_t n, auto quadratic_only) __attribute__((always_inline)) {
    std::uint32_t next_quadratic = 1;
    HS_LANES
    for (unsigned l = 0; l < kLanes; ++l) {
      PathState<T> s{x[l], v[l]};
      const T u = diffuse_step<T, decltype(quadratic_only)::value>(model, s, seed, first + l, n);
      x[l] = s.x;
      v[l] = s.v;
      u_jump[l] = u;
      if constexpr (kRegimes) next_quadratic &= model.quadratic_regime(s.v) ? 1u : 0u;
    }
    return next_quadratic;
  };
  for (std::uint32_t n = 0; n < job.steps; ++n) {
    std::uint32_t next_quadratic;
    if constexpr (kRegimes) {
      next_quadratic = quadratic ? diffuse_lanes(n, std::true_type{}) : diffuse_lanes(n, std::false_type{});
    } else {
      next_quadratic = diffuse_lanes(n, std::false_type{});
    }
    if constexpr (Model::kJumps) {
      for (unsigned l = 0; l < kLanes; ++l) {
        if (!model.jumps_at(u_jump[l])) continue;
        PathState<T> s{x[l], v[l]};
        jump_step<T>(model, s, u_jump[l], seed, first + l, n);
        x[l] = s.x;
        v[l] = s.v;
        if constexpr (kRegimes) next_quadratic &= model.quadratic_regime(s.v) ? 1u : 0u;  // SVCJ's v jumps
      }
    }
    quadratic = next_quadratic != 0;
    tile.after_step(n + 1, x, v);
  }
}

/// A tile observer made of one per-path observer per real lane (simulate_path's kind).
template <class T, class Observer>
struct PerLane {
  std::optional<Observer> lanes[kLanes];
  unsigned valid = 0;
  void begin(const T* x, const T* v) {
    for (unsigned l = 0; l < valid; ++l) lanes[l]->begin(PathState<T>{x[l], v[l]});
  }
  void after_step(std::uint32_t n, const T* x, const T* v) {
    for (unsigned l = 0; l < valid; ++l) lanes[l]->after_step(n, PathState<T>{x[l], v[l]});
  }
};

/// Tiles of kLanes paths over [chunk_first, chunk_last); `make(path)` builds each path's observer.
template <class T, class Model, class Observer, class Make>
void simulate_tiles(const Model& model, const SimulationJob& job, std::uint64_t chunk_first, std::uint64_t chunk_last,
                    Make&& make) {
  PerLane<T, Observer> tile;
  for (std::uint64_t first = chunk_first; first < chunk_last; first += kLanes) {
    tile.valid = static_cast<unsigned>(std::min<std::uint64_t>(kLanes, chunk_last - first));
    for (unsigned l = 0; l < tile.valid; ++l) tile.lanes[l].emplace(make(first + l));
    simulate_tile<T>(model, job, first, tile);
  }
}

/// Runs `body(first, last)` over [range) in chunks of kChunk paths on `threads` threads.
template <class Body>
void parallel_chunks(PathRange range, unsigned threads, Body&& body) {
  const std::uint64_t chunks = (range.size() + kChunk - 1) / kChunk;
  std::atomic<std::uint64_t> next{0};
  auto worker = [&] {
    for (std::uint64_t c = next.fetch_add(1); c < chunks; c = next.fetch_add(1))
      body(range.begin + c * kChunk, std::min(range.end, range.begin + (c + 1) * kChunk));
  };
  const unsigned n = static_cast<unsigned>(std::min<std::uint64_t>(threads, std::max<std::uint64_t>(chunks, 1)));
  std::vector<std::jthread> pool;
  pool.reserve(n > 0 ? n - 1 : 0);
  for (unsigned i = 1; i < n; ++i) pool.emplace_back(worker);
  worker();
}

}  // namespace
}  // namespace hedgesim::cpu
