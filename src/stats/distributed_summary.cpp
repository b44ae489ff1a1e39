// distributed_summary (stats/distributed_summary.hpp): exact order statistics by collective bisection,
// tile moments merged in path order, the ES tail gathered, histogram counts summed.
#include "hedgesim/stats/distributed_summary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "hedgesim/errors.hpp"

namespace hedgesim {
namespace {

/// How many of the key-sorted values have order_key ≤ key.
std::uint64_t count_at_most(std::span<const double> sorted, std::uint64_t key) {
  const auto it = std::upper_bound(sorted.begin(), sorted.end(), key,
                                   [](std::uint64_t k, double x) { return k < order_key(x); });
  return static_cast<std::uint64_t>(it - sorted.begin());
}

/// The keys of the order statistics x_(k) for every k in `wanted` (0-based, over all ranks): for each,
/// the smallest key with more than k values at or below it, by bisection of the 64-bit key range. Every
/// rank runs the same rounds (the decisions read only global counts), at most 64.
std::vector<std::uint64_t> select_keys(Collectives& ranks, std::span<const double> sorted,
                                       std::span<const std::uint64_t> wanted) {
  const std::size_t m = wanted.size();
  std::vector<std::uint64_t> lo(m, 0), hi(m, std::numeric_limits<std::uint64_t>::max()), mid(m), counts(m);
  while (true) {
    bool open = false;
    for (std::size_t i = 0; i < m; ++i) {
      mid[i] = lo[i] + (hi[i] - lo[i]) / 2;
      counts[i] = lo[i] < hi[i] ? count_at_most(sorted, mid[i]) : 0;
      open = open || lo[i] < hi[i];
    }
    if (!open) break;
    ranks.sum(counts);
    for (std::size_t i = 0; i < m; ++i) {
      if (lo[i] == hi[i]) continue;
      if (counts[i] > wanted[i]) hi[i] = mid[i];
      else lo[i] = mid[i] + 1;
    }
  }
  return lo;
}

}  // namespace

void sort_by_order_key(std::span<double> values) {
  std::sort(values.begin(), values.end(), [](double a, double b) { return order_key(a) < order_key(b); });
}

DistributedSummary distributed_summary(Collectives& ranks, std::span<double> values, const TileFold& moments,
                                       std::span<const double> quantile_levels, unsigned bins) {
  // What every rank must agree on before any other collective: the count, and whether any rank's input
  // is unusable (an exception on one rank alone would leave the others waiting in the next collective).
  std::uint64_t tile_count = 0;
  for (const Moments& t : moments.pieces()) tile_count += t.count;
  std::uint64_t not_finite = 0;
  for (const double x : values) not_finite += std::isfinite(x) ? 0 : 1;
  std::vector<std::uint64_t> shared = {values.size(), not_finite, tile_count == values.size() ? 0u : 1u};
  ranks.sum(shared);
  const std::uint64_t n = shared[0];
  if (shared[1] != 0)
    throw RuntimeFailure(fmt::format("distributed summary: {} of {} values are not finite (a bug upstream)", shared[1], n));
  if (shared[2] != 0)
    throw RuntimeFailure(fmt::format("distributed summary: the tile moments of {} rank(s) do not count their values",
                                     shared[2]));
  const std::vector<std::uint64_t> quantile_indices = summary_order_indices(n, quantile_levels);  // checks levels
  const std::vector<double> edges_check = histogram_edges(0, 0.0, 0.0, bins);                    // checks bins

  const std::vector<Moments> merged = merge_over_ranks(ranks, {&moments, 1});
  DistributedSummary out;
  if (ranks.size() == 1) {
    // One rank: selection in place, no sort and no rounds.
    const OrderStatistics order = select_order_statistics(values, quantile_levels);
    out.summary = summarize_order_statistics(merged[0], order, quantile_levels);
    out.histogram = histogram(values, bins);
    return out;
  }
  if (n == 0) {
    if (ranks.rank() == 0) {
      out.summary = summarize_order_statistics(Moments{}, OrderStatistics{}, quantile_levels);
      out.histogram = histogram_from_counts_below(edges_check, std::vector<std::uint64_t>(bins + 1, 0), 0);
    }
    return out;
  }
  sort_by_order_key(values);
  const std::span<const double> sorted_values = values;

  // Every order statistic the summary reads: its quantiles' and VaRs', the extremes, the tail's last.
  const std::uint64_t tail = summary_tail_size(n);
  std::vector<std::uint64_t> wanted = quantile_indices;
  wanted.insert(wanted.end(), {std::uint64_t{0}, n - 1, tail - 1});
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  const std::vector<std::uint64_t> keys = select_keys(ranks, sorted_values, wanted);
  const auto value_at = [&](std::uint64_t k) {
    return from_order_key(keys[static_cast<std::size_t>(std::lower_bound(wanted.begin(), wanted.end(), k) - wanted.begin())]);
  };

  // The tail: every value below x_(tail−1)'s key, then as many copies of x_(tail−1) as complete it.
  const std::uint64_t last_key = order_key(value_at(tail - 1));
  const auto below_last = std::lower_bound(sorted_values.begin(), sorted_values.end(), last_key,
                                           [](double x, std::uint64_t k) { return order_key(x) < k; });
  std::vector<double> tail_values =
      ranks.gather<double>(sorted_values.first(static_cast<std::size_t>(below_last - sorted_values.begin())));

  const double min = value_at(0), max = value_at(n - 1);
  std::vector<double> edges = histogram_edges(n, min, max, bins);
  std::vector<std::uint64_t> below(edges.size());
  for (std::size_t i = 0; i < edges.size(); ++i)
    below[i] = static_cast<std::uint64_t>(std::lower_bound(sorted_values.begin(), sorted_values.end(), edges[i]) -
                                          sorted_values.begin());
  ranks.sum(below);
  if (ranks.rank() != 0) return out;

  sort_by_order_key(tail_values);
  if (tail_values.size() >= tail)
    throw RuntimeFailure(fmt::format("distributed summary: {} values below the tail's last of {}", tail_values.size(), tail));
  tail_values.resize(tail, value_at(tail - 1));

  OrderStatistics order;
  order.count = n;
  order.min = min;
  order.max = max;
  order.indices = quantile_indices;
  for (const std::uint64_t k : quantile_indices) order.values.push_back(value_at(k));
  order.tail = std::move(tail_values);
  out.summary = summarize_order_statistics(merged[0], order, quantile_levels);
  out.histogram = histogram_from_counts_below(std::move(edges), below, n);
  return out;
}

}  // namespace hedgesim
