// CPU backend: the per-path code of include/hedgesim/ on std::threads, a tile of paths at a time so
// the compiler can step the tile's paths in SIMD lanes. Paths are handed out in chunks from an atomic
// counter (dynamic balance; jump steps make paths uneven), and each path writes only its own row of
// the output, so results do not depend on the number of threads or on path ranges.
//
// The loops over a chunk's tiles are compiled twice on x86-64 with GCC: for the build's -march and,
// as a [[gnu::target]] clone that inlines everything it calls ([[gnu::flatten]]), for x86-64-v4 with
// 512-bit vectors; the CPU picks at run time (CpuIsa in engine/job.hpp). The clones are functions of
// this file's anonymous namespace, so no AVX-512 copy of a shared inline function can reach the rest
// of the program; and with FP contraction off the two give the same bits (tests/test_cpu_isa.cpp).
#include <algorithm>
#include <cmath>
#include <atomic>
#include <fstream>
#include <memory>
#include <optional>
#include <type_traits>
#include <string>
#include <thread>
#include <vector>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/path.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/hedge_observer.hpp"
#include "hedgesim/models/model.hpp"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(HEDGESIM_NO_CPU_DISPATCH)
#define HS_CPU_V4 1
#define HS_TARGET_V4 [[gnu::target("arch=x86-64-v4,prefer-vector-width=512"), gnu::flatten]]
#else
#define HS_CPU_V4 0
#endif

namespace hedgesim {
namespace {

constexpr std::uint64_t kChunk = 256;
/// Paths stepped together. Fixed (not the ISA's width) and padded at a range's end, so every path
/// goes through the same code whatever range or thread it falls in. 32 rather than 16 spreads each
/// policy's per-step set-up over twice the paths (+20% on the 8-policy benchmark), while a tile's
/// lanes for 8 policies (~35 KB) still fit in L1; 64 was slower.
constexpr unsigned kLanes = 32;

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
      u_jump[l] = diffuse_step<T, decltype(quadratic_only)::value>(model, s, seed, first + l, n);
      x[l] = s.x;
      v[l] = s.v;
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

/// The hedged tiles of paths [chunk_first, chunk_last) of range.
template <class T, class Model>
void hedge_chunk(const Model& model, const SimulationJob& job, PathRange range, std::uint64_t chunk_first,
                 std::uint64_t chunk_last, HedgeTile<T, kLanes>& tile) {
  for (std::uint64_t first = chunk_first; first < chunk_last; first += kLanes) {
    tile.place(first - range.begin, first, static_cast<unsigned>(std::min<std::uint64_t>(kLanes, chunk_last - first)));
    simulate_tile<T>(model, job, first, tile);
  }
}

/// Terminal samples of paths [chunk_first, chunk_last) of range.
template <class T, class Model>
void terminal_chunk(const Model& model, const SimulationJob& job, PathRange range, std::uint64_t chunk_first,
                    std::uint64_t chunk_last, TerminalSamples& out) {
  const unsigned records = job.record.count;
  simulate_tiles<T, Model, TerminalRecorder<T>>(model, job, chunk_first, chunk_last, [&](std::uint64_t path) {
    const std::uint64_t row = (path - range.begin) * records;
    return TerminalRecorder<T>{job.record, out.log_return.data() + row, out.variance.data() + row};
  });
}

#if HS_CPU_V4
template <class T, class Model>
HS_TARGET_V4 void hedge_chunk_v4(const Model& model, const SimulationJob& job, PathRange range,
                                 std::uint64_t chunk_first, std::uint64_t chunk_last, HedgeTile<T, kLanes>& tile) {
  hedge_chunk<T>(model, job, range, chunk_first, chunk_last, tile);
}
template <class T, class Model>
HS_TARGET_V4 void terminal_chunk_v4(const Model& model, const SimulationJob& job, PathRange range,
                                    std::uint64_t chunk_first, std::uint64_t chunk_last, TerminalSamples& out) {
  terminal_chunk<T>(model, job, range, chunk_first, chunk_last, out);
}
#endif

template <class T>
void run_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, unsigned threads,
                 std::vector<double>& out, CpuIsa isa) {
  visit_model<T>(job.model, job.measure, job.dt_years, [&](const auto& model) {
    parallel_chunks(range, threads, [&](std::uint64_t chunk_first, std::uint64_t chunk_last) {
      // ~120 KB of lanes per tile (kMaxPolicies): on the heap, one per chunk, not on the thread's stack.
      auto tile = std::make_unique<HedgeTile<T, kLanes>>(hedge, out.data(), range.size(), 0, job.seed, 0, 0);
#if HS_CPU_V4
      if (isa == CpuIsa::x86_64_v4) return hedge_chunk_v4<T>(model, job, range, chunk_first, chunk_last, *tile);
#endif
      (void)isa;
      hedge_chunk<T>(model, job, range, chunk_first, chunk_last, *tile);
    });
  });
}

template <class T>
void run_precision(const SimulationJob& job, PathRange range, unsigned threads, TerminalSamples& out, CpuIsa isa) {
  visit_model<T>(job.model, job.measure, job.dt_years, [&](const auto& model) {
    parallel_chunks(range, threads, [&](std::uint64_t chunk_first, std::uint64_t chunk_last) {
#if HS_CPU_V4
      if (isa == CpuIsa::x86_64_v4) return terminal_chunk_v4<T>(model, job, range, chunk_first, chunk_last, out);
#endif
      (void)isa;
      terminal_chunk<T>(model, job, range, chunk_first, chunk_last, out);
    });
  });
}

}  // namespace

bool cpu_isa_available(CpuIsa isa) {
  if (isa == CpuIsa::build) return true;
#if HS_CPU_V4
  return __builtin_cpu_supports("x86-64-v4");
#else
  return false;
#endif
}

CpuIsa cpu_best_isa() { return cpu_isa_available(CpuIsa::x86_64_v4) ? CpuIsa::x86_64_v4 : CpuIsa::build; }

std::string cpu_isa_name(CpuIsa isa) {
  if (isa == CpuIsa::x86_64_v4) return "x86-64-v4 (AVX-512)";
  const std::string arch = HEDGESIM_CPU_ARCH_NAME;
  return arch.empty() ? "compiler default" : arch;
}

namespace {
void require_isa(CpuIsa isa) {
  if (!cpu_isa_available(isa)) {
    throw RuntimeFailure("the CPU loops for " + cpu_isa_name(isa) +
                         " are not in this build or not supported by this CPU");
  }
}
}  // namespace

void cpu_simulate_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, unsigned threads,
                          std::vector<double>& out, CpuIsa isa) {
  require_isa(isa);
  out.assign(static_cast<std::size_t>(kPathFields) * hedge.n_policies * range.size(), 0.0);
  if (threads == 0) threads = cpu_hardware_threads();
  if (job.precision == Precision::float32) {
    run_hedging<float>(job, hedge, range, threads, out, isa);
  } else {
    run_hedging<double>(job, hedge, range, threads, out, isa);
  }
}

namespace {

/// Observer that writes spot and variance after every step.
template <class T>
struct PathRecorder {
  double spot0;
  double* spot;
  double* variance;
  void begin(const PathState<T>& s) { after_step(0, s); }
  void after_step(std::uint32_t n, const PathState<T>& s) {
    spot[n] = spot0 * std::exp(static_cast<double>(s.x));
    variance[n] = static_cast<double>(s.v);
  }
};

template <class T>
void sample_paths_at(const SimulationJob& job, SamplePaths& out) {
  const std::size_t row = job.steps + 1;
  visit_model<T>(job.model, job.measure, job.dt_years, [&](const auto& model) {
    for (std::uint64_t p = 0; p < out.count; ++p) {
      PathRecorder<T> rec{job.model.spot, out.spot.data() + p * row, out.variance.data() + p * row};
      simulate_path<T>(model, job.steps, job.seed, p, rec);
    }
  });
}

}  // namespace

SamplePaths cpu_sample_paths(const SimulationJob& job, std::uint64_t count) {
  SamplePaths out;
  out.count = count;
  const std::size_t row = job.steps + 1;
  out.time_days.resize(row);
  for (std::size_t k = 0; k < row; ++k) out.time_days[k] = static_cast<double>(k) * job.dt_years * kDaysPerYear;
  out.spot.assign(count * row, 0.0);
  out.variance.assign(count * row, 0.0);
  if (job.precision == Precision::float32) {
    sample_paths_at<float>(job, out);
  } else {
    sample_paths_at<double>(job, out);
  }
  return out;
}

unsigned cpu_hardware_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown CPU";
}

void cpu_simulate_terminal(const SimulationJob& job, PathRange range, unsigned threads, TerminalSamples& out,
                           CpuIsa isa) {
  require_isa(isa);
  out.resize(range, job.record.count);
  if (threads == 0) threads = cpu_hardware_threads();
  if (job.precision == Precision::float32) {
    run_precision<float>(job, range, threads, out, isa);
  } else {
    run_precision<double>(job, range, threads, out, isa);
  }
}

}  // namespace hedgesim
