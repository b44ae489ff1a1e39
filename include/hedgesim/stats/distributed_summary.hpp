#pragma once
// The Summary and Histogram of values spread over the ranks of a job (issue 12: MPI ranks; one rank
// is a single process), equal bit for bit whatever the number of ranks. Each rank holds the values
// of a contiguous run of paths, the runs in rank order and aligned on kMomentTile (tile_fold.hpp).
//
//  - Moments: every rank's tile moments, folded as stats/tile_fold.hpp says and merged on rank 0
//    (merge_over_ranks): the same tiles in the same order for any number of ranks, as the CUDA backend
//    folds them.
//  - Order statistics (quantiles, VaR, min, max): one rank selects them in place (summary.hpp's
//    select_order_statistics); several by bisection over the values' order-preserving 64-bit keys, each
//    of at most 64 rounds summing over ranks, for every wanted index at once, how many local values lie
//    at or below its candidate key. Memory: the rank's own values.
//  - ES tail (the summary_tail_size(n) smallest values, summed in ascending order): every rank sends
//    rank 0 its values below the tail's last key, rank 0 sorts them and adds the ties. Rank 0 holds
//    about n/20 values for this, the one place memory grows with the whole run.
//  - Histogram: histogram_edges() from the global extremes; counts below each edge summed over ranks.
//
// Order statistics follow order_key (−0 before +0) on every layout. Values must be finite (a
// non-finite value on any rank is a RuntimeFailure on every rank). Host code.
#include <cstdint>
#include <span>
#include <vector>

#include "hedgesim/stats/collectives.hpp"
#include "hedgesim/stats/summary.hpp"
#include "hedgesim/stats/tile_fold.hpp"

namespace hedgesim {

struct DistributedSummary {
  Summary summary;
  Histogram histogram;
};

/// Sorts a rank's values by order_key (ascending).
void sort_by_order_key(std::span<double> values);

/// The Summary (at `quantile_levels`) and `bins`-bin Histogram of the values of all ranks, on rank 0
/// (other ranks get an empty result). Called on every rank with its values (any order; reordered
/// here) and their tile moments (`moments`, a TileFold of every tile of those values in path order;
/// ranks before the last hold whole tiles). Throws InputError for a level outside [0, 1] or bins = 0,
/// RuntimeFailure for a non-finite value or tiles that do not add up to the values, on every rank.
DistributedSummary distributed_summary(Collectives& ranks, std::span<double> values, const TileFold& moments,
                                       std::span<const double> quantile_levels, unsigned bins);

}  // namespace hedgesim
