#pragma once
// The Summary and Histogram of values spread over the ranks of a job (issue 12: MPI ranks; one rank
// is a single process), equal bit for bit whatever the number of ranks. Each rank holds the values
// of a contiguous run of paths, the runs in rank order and aligned on kMomentTile (device_plan.hpp).
//
//  - Moments: every rank's tile moments (kMomentTile values, aligned on the global path index) go to
//    rank 0 in rank order, which merges them in tile order: the same tiles in the same order for any
//    number of ranks, and the tiles the CUDA backend merges (merge_tile_moments).
//  - Order statistics (quantiles, VaR, min, max): exact selection by bisection over the values'
//    order-preserving 64-bit keys. Each of at most 64 rounds sums over ranks, for every wanted index at
//    once, how many local values lie at or below its candidate key. Memory: the rank's own values.
//  - ES tail (the summary_tail_size(n) smallest values, summed in ascending order): every rank sends
//    rank 0 its values below the tail's last key, rank 0 sorts them and adds the ties. Rank 0 holds
//    about n/20 values for this, the one place memory grows with the whole run.
//  - Histogram: histogram_edges() from the global extremes; counts below each edge summed over ranks.
//
// Keys order −0 before +0, so a quantile that falls between them is −0 on every layout (std::sort of
// doubles leaves their order open). Values must be finite (a non-finite value is a RuntimeFailure on
// the rank that holds it, as in summarize()). Host code.
#include <cstdint>
#include <span>
#include <vector>

#include "hedgesim/stats/summary.hpp"

namespace hedgesim {

/// The collective operations a distributed summary needs. Every rank calls the same operations in
/// the same order with the same sizes (MPI's rule); rank 0 receives what is gathered.
class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual unsigned rank() const = 0;
  virtual unsigned size() const = 0;
  /// Element-wise sum over ranks; every rank gets the result in `values`.
  virtual void sum(std::span<std::uint64_t> values) = 0;
  /// Rank 0 gets every rank's `local`, concatenated in rank order; other ranks get nothing.
  virtual std::vector<double> gather(std::span<const double> local) = 0;
  /// As gather(), of tile moments.
  virtual std::vector<Moments> gather(std::span<const Moments> local) = 0;
};

/// The one rank of a single process: sums are the values, gathers return them.
class SoloCollectives final : public Collectives {
 public:
  unsigned rank() const override { return 0; }
  unsigned size() const override { return 1; }
  void sum(std::span<std::uint64_t>) override {}
  std::vector<double> gather(std::span<const double> local) override { return {local.begin(), local.end()}; }
  std::vector<Moments> gather(std::span<const Moments> local) override { return {local.begin(), local.end()}; }
};

/// The order-preserving key of a finite double: key(a) < key(b) exactly when a < b, and −0 < +0.
constexpr std::uint64_t order_key(double x) {
  const auto bits = __builtin_bit_cast(std::uint64_t, x);
  return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
}
/// The double of an order_key.
constexpr double from_order_key(std::uint64_t key) {
  const std::uint64_t bits = (key >> 63) != 0 ? key & ~(std::uint64_t{1} << 63) : ~key;
  return __builtin_bit_cast(double, bits);
}

struct DistributedSummary {
  Summary summary;
  Histogram histogram;
};

/// Sorts a rank's values by order_key (ascending): the order distributed_summary() reads them in.
void sort_by_order_key(std::vector<double>& values);

/// The Summary (at `quantile_levels`) and `bins`-bin Histogram of the values of all ranks, on rank 0
/// (other ranks get an empty result). Called on every rank with its values sorted by
/// sort_by_order_key() and the moments of its tiles in path order (Moments::of of each kMomentTile
/// run of its values, the last one possibly shorter; ranks before the last must hold whole tiles).
/// Throws InputError for a level outside [0, 1] or bins = 0, RuntimeFailure for a non-finite value or
/// tiles that do not add up to the values.
DistributedSummary distributed_summary(Collectives& ranks, std::span<const double> sorted_values,
                                       std::span<const Moments> tiles, std::span<const double> quantile_levels,
                                       unsigned bins);

/// Moments::of of every kMomentTile run of `values` (path order), the last run possibly shorter.
std::vector<Moments> tile_moments(std::span<const double> values);

}  // namespace hedgesim
