#pragma once
// `hedgesim price`: Monte Carlo prices of the book's options beside their closed forms — the check a
// user runs before trusting a model's paths.
#include <cstdint>
#include <functional>
#include <vector>

#include "hedgesim/engine/job.hpp"
#include "hedgesim/spec.hpp"
#include "hedgesim/stats/collectives.hpp"

namespace hedgesim {

struct OptionPrice {
  std::size_t index = 0;
  OptionSpec option;
  double mc_price = 0.0;   ///< USD per unit (linear and inverse alike; coin price = USD / spot)
  double mc_stderr = 0.0;  ///< standard error of mc_price
  double analytic_price = 0.0;
};

struct PriceReport : RunInfo {
  std::vector<OptionPrice> options;
};

/// Called after each batch with the number of paths done.
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// Prices the book under the risk-neutral measure (whatever spec.simulation.measure says), each rank of
/// `ranks` its rank_paths(); the discounted payoffs' tile moments merge as stats/tile_fold.hpp says, so
/// rank 0's report (other ranks: RunInfo only) has the same bits for any number of ranks.
PriceReport run_price_job(const RunSpec& spec, const BackendInfo& backend, Collectives& ranks,
                          const ProgressFn& progress = {});
/// The prices in one process.
inline PriceReport run_price_job(const RunSpec& spec, const BackendInfo& backend, const ProgressFn& progress = {}) {
  SoloCollectives solo;
  return run_price_job(spec, backend, solo, progress);
}

}  // namespace hedgesim
