#pragma once
// What a backend is asked to simulate, and what it returns. A backend call covers a path range and
// its result depends only on the job and the path indices (never on threads, blocks or batching).
#include <cstdint>
#include <string>
#include <vector>

#include "hedgesim/engine/path.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

struct PathRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t size() const { return end - begin; }
};

struct SimulationJob {
  ModelParams model;
  Measure measure = Measure::physical;
  Precision precision = Precision::float32;
  std::uint32_t steps = 0;
  double dt_years = 0.0;
  std::uint64_t seed = 0;
  RecordSteps record;
};

/// Per-path samples at the recorded steps, row-major: index (path − range.begin) · records + k.
struct TerminalSamples {
  PathRange range;
  unsigned records = 0;
  std::vector<double> log_return;  ///< ln(S/S0)
  std::vector<double> variance;

  void resize(PathRange r, unsigned n) {
    range = r;
    records = n;
    log_return.assign(r.size() * n, 0.0);
    variance.assign(r.size() * n, 0.0);
  }
};

struct BackendInfo {
  BackendKind kind = BackendKind::cpu;  ///< cpu or cuda, never automatic
  std::string device;                   ///< CPU model / GPU name
  unsigned threads = 1;                 ///< CPU worker threads
  int cuda_device = 0;
};

}  // namespace hedgesim
