// distributed_summary (issue 12): the Summary and Histogram of values spread over ranks are the same
// bits for any number of ranks and any tile-aligned split, and agree with summarize()/histogram() on
// all the values in one process (order statistics, VaR, ES and histogram exactly; moments to rounding,
// since they are merged per tile). Ranks are threads here (ThreadRanks), with the collectives' MPI
// semantics: every rank calls the same operations in the same order.
#include <barrier>
#include <bit>
#include <cmath>
#include <cstdint>
#include <exception>
#include <random>
#include <span>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "check.hpp"
#include "distributed_cases.hpp"
#include "hedgesim/engine/device_plan.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/stats/distributed_summary.hpp"

namespace hs = hedgesim;
using hs::test::expect_same;
using hs::test::same_bits;
using hs::test::sample;

namespace {

/// R ranks as R threads sharing slots and a barrier.
class ThreadRanks {
 public:
  explicit ThreadRanks(unsigned n) : n_(n), barrier_(n), u64_(n), bytes_(n) {}

  class Rank final : public hs::Collectives {
   public:
    Rank(ThreadRanks& all, unsigned r) : all_(all), r_(r) {}
    unsigned rank() const override { return r_; }
    unsigned size() const override { return all_.n_; }
    void sum(std::span<std::uint64_t> values) override {
      all_.u64_[r_].assign(values.begin(), values.end());
      all_.barrier_.arrive_and_wait();
      std::vector<std::uint64_t> total(values.size(), 0);
      for (const auto& slot : all_.u64_)
        for (std::size_t i = 0; i < total.size(); ++i) total[i] += slot.at(i);
      all_.barrier_.arrive_and_wait();  // nobody refills a slot before every rank has read them all
      std::copy(total.begin(), total.end(), values.begin());
    }

   protected:
    std::vector<std::byte> gather_bytes(std::span<const std::byte> local) override {
      all_.bytes_[r_].assign(local.begin(), local.end());
      all_.barrier_.arrive_and_wait();
      std::vector<std::byte> out;
      if (r_ == 0)
        for (const auto& slot : all_.bytes_) out.insert(out.end(), slot.begin(), slot.end());
      all_.barrier_.arrive_and_wait();
      return out;
    }
    void broadcast_bytes(std::vector<std::byte>& bytes) override {
      if (r_ == 0) all_.bytes_[0] = bytes;
      all_.barrier_.arrive_and_wait();
      bytes = all_.bytes_[0];
      all_.barrier_.arrive_and_wait();
    }

   private:
    ThreadRanks& all_;
    unsigned r_;
  };

 private:
  unsigned n_;
  std::barrier<> barrier_;
  std::vector<std::vector<std::uint64_t>> u64_;
  std::vector<std::vector<std::byte>> bytes_;
};

struct Outcome {
  hs::DistributedSummary result;  ///< rank 0's
  std::vector<std::exception_ptr> errors;
};

/// Splits `values` (path order) at the tile-aligned `cuts` into ranks and summarises them.
Outcome run_ranks(const std::vector<double>& values, const std::vector<std::size_t>& cuts,
                  std::span<const double> levels = hs::kDefaultQuantileLevels, unsigned bins = 25) {
  const unsigned r = static_cast<unsigned>(cuts.size()) + 1;
  ThreadRanks all(r);
  Outcome out;
  out.errors.resize(r);
  std::vector<std::thread> threads;
  for (unsigned k = 0; k < r; ++k) {
    threads.emplace_back([&, k] {
      const std::size_t lo = k == 0 ? 0 : cuts[k - 1], hi = k + 1 == r ? values.size() : cuts[k];
      std::vector<double> mine(values.begin() + static_cast<std::ptrdiff_t>(lo), values.begin() + static_cast<std::ptrdiff_t>(hi));
      const hs::TileFold tiles = hs::test::fold_values(mine, lo / hs::kMomentTile);
      ThreadRanks::Rank rank(all, k);
      try {
        hs::DistributedSummary s = hs::distributed_summary(rank, mine, tiles, levels, bins);
        if (k == 0) out.result = std::move(s);
      } catch (...) {
        out.errors[k] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  return out;
}

/// Tile-aligned cut points for r ranks: random, some ranks empty.
std::vector<std::size_t> random_cuts(std::size_t n, unsigned r, unsigned seed) {
  const std::size_t tiles = (n + hs::kMomentTile - 1) / hs::kMomentTile;
  std::mt19937 gen(seed);
  std::uniform_int_distribution<std::size_t> pick(0, tiles);
  std::vector<std::size_t> cuts;
  for (unsigned k = 1; k < r; ++k) cuts.push_back(std::min(n, pick(gen) * hs::kMomentTile));
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

}  // namespace

TEST(DistributedSummary, SameBitsForAnyRanksAndSplit) {
  for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{19}, std::size_t{4096}, std::size_t{50001},
                              std::size_t{123457}}) {
    const std::vector<double> values = sample(n, static_cast<unsigned>(n));
    const Outcome one = run_ranks(values, {});
    ASSERT_FALSE(one.errors[0]) << "n = " << n;
    for (unsigned r = 2; r <= 5; ++r) {
      for (unsigned trial = 0; trial < 3; ++trial) {
        const std::vector<std::size_t> cuts = random_cuts(n, r, 1000 * r + trial);
        const Outcome many = run_ranks(values, cuts);
        for (const auto& e : many.errors) ASSERT_FALSE(e);
        expect_same(many.result, one.result, "n = " + std::to_string(n) + ", " + std::to_string(r) + " ranks, trial " +
                                                 std::to_string(trial));
      }
    }
  }
}

TEST(DistributedSummary, AgreesWithSummarizeOfAllValues) {
  for (const std::size_t n : {std::size_t{1}, std::size_t{3}, std::size_t{100}, std::size_t{50001}}) {
    const std::vector<double> values = sample(n, 7 + static_cast<unsigned>(n));
    const Outcome d = run_ranks(values, random_cuts(n, 3, 5));
    for (const auto& e : d.errors) ASSERT_FALSE(e);
    const hs::Summary s = hs::summarize(values);
    const hs::Histogram h = hs::histogram(values, 25);
    const hs::Summary& g = d.result.summary;
    const std::string what = "n = " + std::to_string(n);
    // Order statistics are the same values (±0 aside, which compare equal); VaR and ES are computed
    // from them in the same way.
    EXPECT_EQ(g.min, s.min) << what;
    EXPECT_EQ(g.max, s.max) << what;
    EXPECT_EQ(g.quantiles, s.quantiles) << what;
    EXPECT_TRUE(same_bits(g.var_95, s.var_95)) << what;
    EXPECT_TRUE(same_bits(g.es_95, s.es_95)) << what;
    EXPECT_TRUE(same_bits(g.var_99, s.var_99)) << what;
    EXPECT_TRUE(same_bits(g.es_99, s.es_99)) << what;
    EXPECT_EQ(d.result.histogram.counts, h.counts) << what;
    EXPECT_EQ(d.result.histogram.edges, h.edges) << what;
    // Moments merged per tile of 4096 against one two-pass sum: rounding only (a few ulps of the
    // spread, relative 1e-12 bounds it with room for 123k values).
    const double scale = std::max(1.0, s.std);
    EXPECT_TRUE(hs::test::near(what + " mean", g.mean, s.mean, 1e-12 * scale));
    if (n >= 2) {
      EXPECT_TRUE(hs::test::near(what + " std", g.std, s.std, 1e-12 * scale));
      EXPECT_TRUE(hs::test::near(what + " skewness", g.skewness, s.skewness, 1e-9));
      EXPECT_TRUE(hs::test::near(what + " kurtosis", g.excess_kurtosis, s.excess_kurtosis, 1e-9));
    }
  }
}

// Tile moments over ranks (stats/tile_fold.hpp): whatever the cuts, even several inside one block,
// rank 0 merges every segment to the bits of the one-process fold, which is tiles into blocks of 64 and
// blocks into the total, each in order.
TEST(TileFold, MergeOverRanksEqualsTheOneProcessFold) {
  constexpr std::size_t kTiles = 5 * hs::kBlockTiles + 17, kSegments = 3;
  std::mt19937_64 gen(5);
  std::normal_distribution<double> z;
  std::vector<std::vector<hs::Moments>> tiles(kSegments);
  for (auto& seg : tiles)
    for (std::size_t t = 0; t < kTiles; ++t) {
      const double v[] = {z(gen), 3.0 * z(gen), 1e3 + z(gen)};
      seg.push_back(hs::Moments::of(v));
    }
  std::vector<hs::Moments> want(kSegments);
  for (std::size_t s = 0; s < kSegments; ++s) {
    for (std::size_t b = 0; b < kTiles; b += hs::kBlockTiles) {
      hs::Moments block;
      for (std::size_t t = b; t < std::min(kTiles, b + hs::kBlockTiles); ++t) block.merge(tiles[s][t]);
      want[s].merge(block);
    }
    hs::TileFold one;
    one.add(tiles[s]);
    const hs::Moments total = one.total();
    EXPECT_TRUE(same_bits(total.m4, want[s].m4) && same_bits(total.mu, want[s].mu)) << "segment " << s;
  }
  std::mt19937 pick(9);
  for (unsigned trial = 0; trial < 12; ++trial) {
    const unsigned r = 2 + trial % 5;
    std::vector<std::size_t> cuts;
    for (unsigned k = 1; k < r; ++k)
      cuts.push_back(trial % 2 ? std::uniform_int_distribution<std::size_t>(0, kTiles)(pick)
                               : hs::kBlockTiles + std::uniform_int_distribution<std::size_t>(0, 20)(pick));  // one block
    std::sort(cuts.begin(), cuts.end());
    ThreadRanks all(r);
    std::vector<hs::Moments> got;
    std::vector<std::thread> threads;
    for (unsigned k = 0; k < r; ++k)
      threads.emplace_back([&, k] {
        const std::size_t lo = k == 0 ? 0 : cuts[k - 1], hi = k + 1 == r ? kTiles : cuts[k];
        std::vector<hs::TileFold> folds(kSegments, hs::TileFold(lo));
        for (std::size_t s = 0; s < kSegments; ++s)
          folds[s].add(std::span<const hs::Moments>(tiles[s]).subspan(lo, hi - lo));
        ThreadRanks::Rank rank(all, k);
        std::vector<hs::Moments> merged = hs::merge_over_ranks(rank, folds);
        if (k == 0) got = std::move(merged);
      });
    for (auto& t : threads) t.join();
    ASSERT_EQ(got.size(), kSegments);
    for (std::size_t s = 0; s < kSegments; ++s)
      for (const auto& [u, v] : {std::pair{got[s].mu, want[s].mu}, {got[s].m2, want[s].m2}, {got[s].m3, want[s].m3},
                                 {got[s].m4, want[s].m4}})
        EXPECT_TRUE(same_bits(u, v)) << r << " ranks, trial " << trial << ", segment " << s << ": " << u << " vs " << v;
  }
}

TEST(DistributedSummary, NoValuesAnywhere) {
  const Outcome d = run_ranks({}, {0, 0});
  for (const auto& e : d.errors) ASSERT_FALSE(e);
  EXPECT_EQ(d.result.summary.count, 0u);
  EXPECT_TRUE(std::isnan(d.result.summary.mean));
  EXPECT_EQ(d.result.histogram.counts, std::vector<std::uint64_t>(25, 0));
}

TEST(DistributedSummary, NegativeZeroSortsBeforePositiveZero) {
  // Half −0, half +0: keys put every −0 first on every layout, so the extremes (and the levels 0 and 1,
  // which read one order statistic each) are −0 and +0 whichever rank holds them.
  std::vector<double> values(8192);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = i % 2 ? 0.0 : -0.0;
  const double level[] = {0.0, 1.0};
  const Outcome one = run_ranks(values, {}, level);
  const Outcome two = run_ranks(values, {4096}, level);
  EXPECT_TRUE(std::signbit(one.result.summary.min));
  EXPECT_FALSE(std::signbit(one.result.summary.max));
  EXPECT_TRUE(std::signbit(one.result.summary.quantiles[0]));
  EXPECT_FALSE(std::signbit(one.result.summary.quantiles[1]));
  expect_same(one.result, two.result, "±0");
}

TEST(DistributedSummary, BadInputFailsOnEveryRank) {
  std::vector<double> values = sample(3 * hs::kMomentTile, 3);
  const std::vector<std::size_t> cuts = {hs::kMomentTile, 2 * hs::kMomentTile};
  // A level outside [0, 1] and 0 bins: InputError everywhere, nobody left waiting.
  const double bad_level[] = {1.5};
  for (const auto& e : run_ranks(values, cuts, bad_level).errors) EXPECT_THROW(std::rethrow_exception(e), hs::InputError);
  for (const auto& e : run_ranks(values, cuts, hs::kDefaultQuantileLevels, 0).errors)
    EXPECT_THROW(std::rethrow_exception(e), hs::InputError);
  // One rank's NaN: RuntimeFailure on all three.
  values[2 * hs::kMomentTile + 5] = std::nan("");
  for (const auto& e : run_ranks(values, cuts).errors) EXPECT_THROW(std::rethrow_exception(e), hs::RuntimeFailure);
}

TEST(DistributedSummary, OrderKeyOrdersEveryFiniteDouble) {
  const double xs[] = {-1e308, -1.0, -5e-324, -0.0, 0.0, 5e-324, 1.0, 1e308};
  for (std::size_t i = 0; i + 1 < std::size(xs); ++i) {
    EXPECT_LT(hs::order_key(xs[i]), hs::order_key(xs[i + 1])) << xs[i] << " < " << xs[i + 1];
    EXPECT_TRUE(same_bits(hs::from_order_key(hs::order_key(xs[i])), xs[i]));
  }
}
