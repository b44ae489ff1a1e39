// Under mpirun (issue 12): MPI's collectives give the distributed summary the same bits as one process
// on all the values, rank_paths deals every path once, in rank order, and the run, price and optimise
// jobs over the ranks give rank 0 the same bits as the job in one process (every summary, histogram,
// moment and per-path value; every price; every candidate, search and choice of the optimiser). Run by
// CTest as `mpirun -n R` for R = 1, 2, 3 (and as a plain process, one rank without MPI). Every rank
// runs every test; a failure on any rank fails the run (the exit codes are agreed by a sum over ranks).
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "distributed_cases.hpp"
#include "hedgesim/cluster/ranks.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/engine/device_plan.hpp"
#include "hedgesim/jobs/price_job.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/optimise/optimise_job.hpp"

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
                                    std::uint64_t{1} << 30, ~std::uint64_t{0}}) {
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
    const hs::TileFold tiles = hs::test::fold_values(values, mine.begin / hs::kMomentTile);
    const hs::DistributedSummary got =
        hs::distributed_summary(g_ranks->collectives(), values, tiles, hs::kDefaultQuantileLevels, 40);
    if (!g_ranks->is_root()) continue;
    std::vector<double> copy = all;
    hs::SoloCollectives solo;
    const hs::DistributedSummary want =
        hs::distributed_summary(solo, copy, hs::test::fold_values(copy), hs::kDefaultQuantileLevels, 40);
    hs::test::expect_same(got, want, std::to_string(n) + " values over " + std::to_string(g_ranks->size()) + " ranks");
  }
}

std::string config(const char* name) {
  const char* root = std::getenv("HEDGESIM_SOURCE_DIR");
  return (std::filesystem::path(root ? root : ".") / "configs" / name).string();
}

/// A shipped config cut to a few seconds: a path count that leaves the last rank a partial tile.
hs::RunSpec small(const char* name, std::uint64_t paths) {
  hs::RunSpec spec = hs::load_config(config(name));
  spec.simulation.paths = paths;
  spec.simulation.threads = 1;
  spec.output.file.clear();
  return spec;
}

void expect_same(const hs::Moments& a, const hs::Moments& b, const std::string& what) {
  EXPECT_EQ(a.count, b.count) << what;
  for (const auto& [u, v] : {std::pair{a.mu, b.mu}, {a.m2, b.m2}, {a.m3, b.m3}, {a.m4, b.m4}})
    EXPECT_TRUE(hs::test::same_bits(u, v)) << what << ": " << u << " vs " << v;
}

void expect_same(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!hs::test::same_bits(a[i], b[i])) {
      ADD_FAILURE() << what << " [" << i << "]: " << a[i] << " vs " << b[i];
      return;
    }
}

TEST(Mpi, RunJobEqualsOneProcess) {
  // Several policies and every cost, per-path output on: 3 tiles and a part.
  hs::RunSpec spec = small("btc_short_calls_perp.yaml", 3 * hs::kMomentTile + 1000);
  spec.output.per_path = true;
  spec.output.file = "unused.h5";  // per-path output needs a file to go to; the jobs do not write it
  hs::validate(spec);
  hs::validate_for_run(spec);
  const hs::BackendInfo cpu = hs::resolve_backend(hs::BackendKind::cpu, 1);
  const hs::RunReport got = hs::run_hedging_job(spec, cpu, g_ranks->collectives());
  if (!g_ranks->is_root()) return;
  const hs::RunReport want = hs::run_hedging_job(spec, cpu);
  ASSERT_EQ(got.policies.size(), want.policies.size());
  for (std::size_t p = 0; p < want.policies.size(); ++p) {
    const hs::PolicyResult &g = got.policies[p], &w = want.policies[p];
    const std::string what = "policy " + w.spec.name + " over " + std::to_string(g_ranks->size()) + " ranks";
    hs::test::expect_same({g.pnl, g.pnl_histogram}, {w.pnl, w.pnl_histogram}, what + " P&L");
    hs::test::expect_same({g.cost, {}}, {w.cost, {}}, what + " cost");
    for (unsigned f = 0; f < hs::kPathFields; ++f) {
      const std::string field = what + " " + hs::to_string(static_cast<hs::PathField>(f));
      expect_same(g.fields[f], w.fields[f], field + " moments");
      expect_same(g.per_path[f], w.per_path[f], field + " per path");
    }
  }
  EXPECT_EQ(got.sample_paths.count, want.sample_paths.count);
}

TEST(Mpi, PriceJobEqualsOneProcess) {
  hs::RunSpec spec = small("price_heston.yaml", 5 * hs::kMomentTile + 77);
  hs::validate(spec);
  const hs::BackendInfo cpu = hs::resolve_backend(hs::BackendKind::cpu, 1);
  const hs::PriceReport got = hs::run_price_job(spec, cpu, g_ranks->collectives());
  if (!g_ranks->is_root()) return;
  const hs::PriceReport want = hs::run_price_job(spec, cpu);
  ASSERT_EQ(got.options.size(), want.options.size());
  for (std::size_t i = 0; i < want.options.size(); ++i) {
    EXPECT_TRUE(hs::test::same_bits(got.options[i].mc_price, want.options[i].mc_price)) << "option " << i;
    EXPECT_TRUE(hs::test::same_bits(got.options[i].mc_stderr, want.options[i].mc_stderr)) << "option " << i;
  }
}

TEST(Mpi, OptimiseJobEqualsOneProcess) {
  // Execution failures on: a candidate's draws depend on its place in its pass, which the ranks keep.
  hs::RunSpec spec = small("optimise_btc_band.yaml", 400);
  spec.costs.failure_probability = 0.05;
  spec.optimise.max_evaluations = 24;
  spec.optimise.frontier.clear();
  hs::validate(spec);
  hs::validate_for_optimise(spec);
  const hs::BackendInfo cpu = hs::resolve_backend(hs::BackendKind::cpu, 1);
  const hs::OptimiseReport got = hs::run_optimise_job(spec, cpu, g_ranks->collectives());
  if (!g_ranks->is_root()) return;
  const hs::OptimiseReport want = hs::run_optimise_job(spec, cpu);
  EXPECT_EQ(got.chosen, want.chosen);
  EXPECT_EQ(got.passes, want.passes);
  ASSERT_EQ(got.rows.size(), want.rows.size());
  for (std::size_t r = 0; r < want.rows.size(); ++r) {
    expect_same(got.rows[r].values, want.rows[r].values, "row " + std::to_string(r) + " parameters");
    EXPECT_TRUE(hs::test::same_bits(got.rows[r].objective.value, want.rows[r].objective.value)) << "row " << r;
    EXPECT_TRUE(hs::test::same_bits(got.rows[r].objective.se, want.rows[r].objective.se)) << "row " << r;
  }
  ASSERT_EQ(got.searches.size(), want.searches.size());
  for (std::size_t i = 0; i < want.searches.size(); ++i) {
    EXPECT_EQ(got.searches[i].best_row, want.searches[i].best_row) << "search " << i;
    EXPECT_TRUE(hs::test::same_bits(got.searches[i].objective_out.value, want.searches[i].objective_out.value))
        << "search " << i;
  }
  // The failures were drawn (else this would not test the streams): some candidate's trade count differs
  // from a run without them.
  hs::RunSpec sure = spec;
  sure.costs.failure_probability = 0.0;
  const hs::OptimiseReport without = hs::run_optimise_job(sure, cpu);
  EXPECT_NE(without.in_sample.front().trades_mean, want.in_sample.front().trades_mean);
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
