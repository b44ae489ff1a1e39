// Under mpirun (issue 12): MPI's collectives give the distributed summary the same bits as one process
// on all the values, and rank_paths deals every path once, in rank order. Run by CTest as
// `mpirun -n R` for R = 1, 2, 3 (and as a plain process, one rank without MPI). Every rank runs every
// test; a failure on any rank fails the run (the exit codes are agreed by a sum over ranks).
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <gtest/gtest.h>

#include "distributed_cases.hpp"
#include "hedgesim/cluster/ranks.hpp"
#include "hedgesim/engine/device_plan.hpp"

namespace hs = hedgesim;

namespace {

hs::Ranks* g_ranks = nullptr;  // the process's ranks, set once by main before any test runs

TEST(Mpi, WorldIsTheLaunchersWorld) {
  // Under Open MPI's mpirun the world has the -n it was given; a plain process is one rank.
  const char* launched_size = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (launched_size == nullptr) {
    EXPECT_EQ(g_ranks->size(), 1u);
    EXPECT_EQ(g_ranks->rank(), 0u);
    return;
  }
  EXPECT_TRUE(hs::built_with_mpi());
  EXPECT_EQ(g_ranks->size(), static_cast<unsigned>(std::atoi(launched_size)));
  EXPECT_EQ(g_ranks->rank(), static_cast<unsigned>(std::atoi(std::getenv("OMPI_COMM_WORLD_RANK"))));
}

TEST(Mpi, RankPathsDealEveryPathOnceInOrder) {
  for (const std::uint64_t total : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{4096}, std::uint64_t{50001},
                                    std::uint64_t{1} << 30}) {
    for (unsigned ranks = 1; ranks <= 7; ++ranks) {
      std::uint64_t next = 0;
      for (unsigned r = 0; r < ranks; ++r) {
        const hs::PathRange p = hs::rank_paths(total, r, ranks);
        EXPECT_EQ(p.begin, next) << total << " paths, rank " << r << " of " << ranks;
        if (r + 1 < ranks) EXPECT_EQ(p.end % hs::kMomentTile == 0 || p.end == total, true);
        next = p.end;
      }
      EXPECT_EQ(next, total) << total << " paths over " << ranks << " ranks";
    }
  }
}

TEST(Mpi, DistributedSummaryEqualsOneProcess) {
  for (const std::size_t n : {std::size_t{3}, std::size_t{50001}, std::size_t{200000}}) {
    const std::vector<double> all = hs::test::sample(n, 11 + static_cast<unsigned>(n));
    const hs::PathRange mine = hs::rank_paths(n, g_ranks->rank(), g_ranks->size());
    std::vector<double> values(all.begin() + static_cast<std::ptrdiff_t>(mine.begin),
                               all.begin() + static_cast<std::ptrdiff_t>(mine.end));
    const std::vector<hs::Moments> tiles = hs::tile_moments(values);
    hs::sort_by_order_key(values);
    const hs::DistributedSummary got =
        hs::distributed_summary(g_ranks->collectives(), values, tiles, hs::kDefaultQuantileLevels, 40);
    if (!g_ranks->is_root()) continue;
    std::vector<double> sorted = all;
    const std::vector<hs::Moments> all_tiles = hs::tile_moments(sorted);
    hs::sort_by_order_key(sorted);
    hs::SoloCollectives solo;
    const hs::DistributedSummary want = hs::distributed_summary(solo, sorted, all_tiles, hs::kDefaultQuantileLevels, 40);
    hs::test::expect_same(got, want, std::to_string(n) + " values over " + std::to_string(g_ranks->size()) + " ranks");
  }
}

}  // namespace

int main(int argc, char** argv) {
  hs::Ranks ranks(argc, argv);
  g_ranks = &ranks;
  ::testing::InitGoogleTest(&argc, argv);
  if (!ranks.is_root()) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  std::vector<std::uint64_t> failed = {RUN_ALL_TESTS() == 0 ? 0u : 1u};
  ranks.collectives().sum(failed);
  return failed[0] == 0 ? 0 : 1;
}
