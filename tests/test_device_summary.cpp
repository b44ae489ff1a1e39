// The CUDA run's host-side scheduling (batch plan, tile-moment merge order, --devices) on the CPU,
// and its device reductions against the host ones where a GPU exists: tile moments against
// Moments::of, sorted order statistics and histograms against summarize/histogram (exact), and a
// hedging run whose bits do not depend on the batch size or the number of devices.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/device_plan.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/hedging/policy.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/stats/device_summary.hpp"

namespace hedgesim {
namespace {

bool same_bits(double x, double y) { return std::bit_cast<std::uint64_t>(x) == std::bit_cast<std::uint64_t>(y); }

std::vector<double> sample(std::size_t n, std::uint64_t seed, double grid = 0.0) {
  std::mt19937_64 eng(seed);
  std::normal_distribution<double> normal(-3.0, 40.0);
  std::vector<double> v(n);
  for (auto& x : v) {
    x = normal(eng);
    if (grid > 0.0) x = std::round(x / grid) * grid + 0.0;  // ties; + 0.0 drops −0.0
  }
  return v;
}

// ---- batch plan (CPU)

TEST(BatchPlan, CoversEveryPathOnceInOrderWithWholeTiles) {
  for (const std::uint64_t total : {0ull, 1ull, 4095ull, 4096ull, 4097ull, 100000ull, 1000003ull})
    for (const std::uint64_t batch : {0ull, 1ull, 4096ull, 5000ull, 65536ull})
      for (const unsigned devices : {1u, 2u, 3u}) {
        const BatchPlan plan = plan_batches(total, batch, devices);
        const std::string what = "total " + std::to_string(total) + " batch " + std::to_string(batch) + " devices " +
                                 std::to_string(devices);
        EXPECT_EQ(plan.batch_paths % kMomentTile, 0u) << what;
        EXPECT_GE(plan.batch_paths, batch) << what;
        if (batch == 0) EXPECT_EQ(plan.batch_paths, kCudaBatchPaths) << what;
        std::uint64_t next = 0;
        std::vector<std::uint64_t> used(devices, 0);
        for (std::size_t i = 0; i < plan.batches.size(); ++i) {
          const PlannedBatch& b = plan.batches[i];
          EXPECT_EQ(b.range.begin, next) << what;
          EXPECT_EQ(b.range.begin % kMomentTile, 0u) << what << ": tiles are aligned on the global path index";
          EXPECT_TRUE(b.range.size() == plan.batch_paths || b.range.end == total) << what;
          EXPECT_EQ(b.device, i % devices) << what;
          EXPECT_EQ(b.buffer, (i / devices) % 2) << what;
          EXPECT_EQ(b.resident_offset, used[b.device]) << what;
          used[b.device] += b.range.size();
          next = b.range.end;
        }
        EXPECT_EQ(next, total) << what;
        EXPECT_EQ(used, plan.resident_paths) << what;
      }
  EXPECT_THROW(plan_batches(10, 0, 0), InputError);
}

// The slot reuse rule of cuda_run_hedging: batch i reuses the (device, buffer) of batch i − 2·devices
// and of no batch in between, so consuming i − 2·devices just before enqueuing i is enough.
TEST(BatchPlan, SlotIsFreeAgainAfterTwoRounds) {
  for (const unsigned devices : {1u, 2u, 4u}) {
    const BatchPlan plan = plan_batches(50 * kMomentTile + 7, kMomentTile, devices);
    const std::size_t window = 2 * devices;
    for (std::size_t i = 0; i < plan.batches.size(); ++i)
      for (std::size_t j = i + 1; j < std::min(plan.batches.size(), i + window + 1); ++j) {
        const bool same = plan.batches[i].device == plan.batches[j].device && plan.batches[i].buffer == plan.batches[j].buffer;
        EXPECT_EQ(same, j == i + window) << "devices " << devices << " batches " << i << ", " << j;
      }
  }
}

// Tile moments merged batch by batch give the same bits for any batch size, because the tiles are
// the same and merge in the same order.
TEST(BatchPlan, TileMergeIsIndependentOfBatchSize) {
  const unsigned segments = 3;
  const std::uint64_t total = 10 * kMomentTile + 123;
  std::vector<std::vector<double>> seg(segments);
  for (unsigned s = 0; s < segments; ++s) seg[s] = sample(total, 40 + s);
  std::vector<std::vector<Moments>> results;
  for (const std::uint64_t batch : {kMomentTile, 3 * kMomentTile, 64 * kMomentTile}) {
    std::vector<TileFold> folds(segments);
    for (const PlannedBatch& b : plan_batches(total, batch, 2).batches) {
      const std::uint64_t tiles = moment_tiles(b.range.size());
      std::vector<Moments> batch_tiles;  // [segment · tiles + tile], as the device writes them
      for (unsigned s = 0; s < segments; ++s)
        for (std::uint64_t t = 0; t < tiles; ++t) {
          const std::uint64_t first = b.range.begin + t * kMomentTile;
          const std::uint64_t last = std::min(b.range.end, first + kMomentTile);
          batch_tiles.push_back(Moments::of({seg[s].data() + first, last - first}));
        }
      fold_tile_moments(batch_tiles, folds);
    }
    std::vector<Moments> acc;
    for (const TileFold& f : folds) acc.push_back(f.total());
    results.push_back(acc);
  }
  for (unsigned s = 0; s < segments; ++s) {
    const Moments ref = Moments::of(seg[s]);
    EXPECT_EQ(results[0][s].count, total);
    EXPECT_TRUE(test::near("merged mean vs two-pass", results[0][s].mu, ref.mu, 1e-12 * std::fabs(ref.mu)));
    EXPECT_TRUE(test::near("merged M2 vs two-pass", results[0][s].m2, ref.m2, 1e-12 * ref.m2));
    for (std::size_t r = 1; r < results.size(); ++r)
      for (auto [x, y] : {std::pair{results[0][s].mu, results[r][s].mu}, {results[0][s].m2, results[r][s].m2},
                          {results[0][s].m3, results[r][s].m3}, {results[0][s].m4, results[r][s].m4}})
        EXPECT_TRUE(same_bits(x, y)) << "segment " << s << " batch size " << r;
  }
  std::vector<TileFold> two(2);
  EXPECT_THROW(fold_tile_moments(std::vector<Moments>(3), two), InputError);
}

TEST(DeviceList, ParsesListsAndAll) {
  EXPECT_FALSE(parse_device_list("all").has_value());
  EXPECT_EQ(parse_device_list("0"), (std::vector<int>{0}));
  EXPECT_EQ(parse_device_list("2,0,1"), (std::vector<int>{2, 0, 1}));
  for (const char* bad : {"", ",", "0,", "a", "-1", "0,0", "1 ,2", "1.5", "0;1"}) {
    try {
      parse_device_list(bad);
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("--devices"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(resolve_backend(BackendKind::cpu, 1, "0"), InputError);
  EXPECT_THROW(resolve_backend(BackendKind::automatic, 1, "x"), InputError);
  const BackendInfo cpu = resolve_backend(BackendKind::cpu, 1);
  EXPECT_EQ(cpu.kind, BackendKind::cpu);
  EXPECT_TRUE(cpu.cuda_devices.empty());
  if (cuda_device_count() == 0) {
    // No device: automatic falls back to the CPU and ignores the list.
    EXPECT_EQ(resolve_backend(BackendKind::automatic, 1, "0,1").kind, BackendKind::cpu);
  } else {
    const BackendInfo all = resolve_backend(BackendKind::cuda, 1, "all");
    EXPECT_EQ(all.cuda_devices.size(), static_cast<std::size_t>(cuda_device_count()));
    EXPECT_EQ(resolve_backend(BackendKind::cuda, 1).cuda_devices, (std::vector<int>{0}));
    EXPECT_THROW(resolve_backend(BackendKind::cuda, 1, std::to_string(cuda_device_count())), RuntimeFailure);
  }
}

// ---- device reductions (need a GPU)

TEST(CudaDeviceSummary, TileMomentsMatchHostMoments) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (const std::uint64_t n : std::vector<std::uint64_t>{1, 2, 4095, 4096, 4097, 3 * kMomentTile + 1000}) {
    const unsigned segments = 3;
    std::vector<double> values;
    for (unsigned s = 0; s < segments; ++s) {
      const std::vector<double> v = sample(n, 7 * n + s);
      values.insert(values.end(), v.begin(), v.end());
    }
    const std::vector<Moments> tiles = cuda_tile_moments(values, segments, 0);
    const std::uint64_t per = moment_tiles(n);
    ASSERT_EQ(tiles.size(), per * segments);
    for (unsigned s = 0; s < segments; ++s) {
      for (std::uint64_t t = 0; t < per; ++t) {
        const std::uint64_t first = t * kMomentTile, last = std::min(n, first + kMomentTile);
        const Moments ref = Moments::of({values.data() + s * n + first, last - first});
        const Moments& got = tiles[s * per + t];
        const std::string what = "n " + std::to_string(n) + " segment " + std::to_string(s) + " tile " + std::to_string(t);
        EXPECT_EQ(got.count, ref.count) << what;
        EXPECT_TRUE(test::near(what + " mean", got.mu, ref.mu, 1e-12 * std::max(1.0, std::fabs(ref.mu))));
        EXPECT_TRUE(test::near(what + " M2", got.m2, ref.m2, 1e-12 * std::max(1.0, ref.m2)));
        EXPECT_TRUE(test::near(what + " M3", got.m3, ref.m3, 1e-10 * std::max(1.0, std::pow(ref.m2, 1.5))));
        EXPECT_TRUE(test::near(what + " M4", got.m4, ref.m4, 1e-12 * std::max(1.0, ref.m4)));
      }
      std::vector<Moments> acc(1);
      TileFold fold;
      fold.add(std::span<const Moments>(tiles).subspan(s * per, per));
      acc[0] = fold.total();
      const Moments ref = Moments::of({values.data() + s * n, n});
      if (n < 2) {  // the sample std of one value is undefined: NaN on both sides
        EXPECT_TRUE(std::isnan(acc[0].stddev()) && std::isnan(ref.stddev())) << "merged std of n " << n;
      } else {
        EXPECT_TRUE(test::near("merged std", acc[0].stddev(), ref.stddev(), 1e-12 * std::max(1.0, ref.stddev())));
      }
    }
  }
}

TEST(CudaDeviceSummary, OrderStatisticsAndHistogramEqualHost) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const std::vector<double> odd = {0.0, 0.013, 0.05, 1.0 / 3.0, 0.5, 0.999, 1.0};
  for (const std::size_t n : {0u, 1u, 2u, 3u, 19u, 20u, 21u, 1000u, 100003u})
    for (const double grid : {0.0, 0.5})
      for (const std::span<const double> levels : {std::span<const double>(kDefaultQuantileLevels), std::span<const double>(odd)}) {
        const std::vector<double> v = sample(n, 100 + n, grid);
        const Moments m = Moments::of(v);
        const DeviceSummary d = cuda_summarize(v, m, levels, 37, 0);
        const Summary h = summarize(v, levels);
        const Histogram hh = histogram(v, 37);
        const std::string what = "n " + std::to_string(n) + " grid " + std::to_string(grid);
        EXPECT_EQ(d.summary.count, h.count) << what;
        for (auto [x, y] : {std::pair{d.summary.mean, h.mean}, {d.summary.std, h.std}, {d.summary.min, h.min},
                            {d.summary.max, h.max}, {d.summary.var_95, h.var_95}, {d.summary.es_95, h.es_95},
                            {d.summary.var_99, h.var_99}, {d.summary.es_99, h.es_99}})
          EXPECT_TRUE(same_bits(x, y)) << what << ": " << x << " vs " << y;
        ASSERT_EQ(d.summary.quantiles.size(), h.quantiles.size());
        for (std::size_t i = 0; i < h.quantiles.size(); ++i)
          EXPECT_TRUE(same_bits(d.summary.quantiles[i], h.quantiles[i])) << what << " quantile " << i;
        EXPECT_EQ(d.histogram.edges, hh.edges) << what;
        EXPECT_EQ(d.histogram.counts, hh.counts) << what;
      }
}

RunSpec small_run(std::uint64_t paths) {
  RunSpec s;
  s.simulation.paths = paths;
  s.simulation.steps_per_day = 4;
  s.simulation.seed = 5;
  s.simulation.precision = Precision::float32;
  s.model.type = ModelType::gbm;
  s.model.spot = 100;
  s.model.vol = 0.6;
  s.book = {{OptionType::call, 100.0, 10.0, -1.0, Settlement::linear}};
  s.hedge.instrument = HedgeInstrument::perpetual;
  s.hedge.delta = DeltaSource::implied;
  s.hedge.implied_vol = 0.6;
  s.costs.fee_bps = 5;
  PolicySpec none, every;
  none.name = "none";
  none.type = PolicyType::none;
  every.name = "every_step";
  every.type = PolicyType::every_step;
  s.policies = {none, every};
  s.output.histogram_bins = 40;
  return s;
}

void expect_same_report(const RunReport& a, const RunReport& b, const std::string& what) {
  ASSERT_EQ(a.policies.size(), b.policies.size());
  for (std::size_t p = 0; p < a.policies.size(); ++p) {
    const PolicyResult &x = a.policies[p], &y = b.policies[p];
    for (const auto& [sx, sy] : {std::pair{&x.pnl, &y.pnl}, std::pair{&x.cost, &y.cost}}) {
      for (auto [u, v] : {std::pair{sx->mean, sy->mean}, {sx->std, sy->std}, {sx->skewness, sy->skewness},
                          {sx->excess_kurtosis, sy->excess_kurtosis}, {sx->min, sy->min}, {sx->max, sy->max},
                          {sx->var_95, sy->var_95}, {sx->es_95, sy->es_95}, {sx->var_99, sy->var_99},
                          {sx->es_99, sy->es_99}})
        EXPECT_TRUE(same_bits(u, v)) << what << " policy " << p << ": " << u << " vs " << v;
      EXPECT_EQ(sx->quantiles, sy->quantiles) << what;
    }
    for (unsigned f = 0; f < kPathFields; ++f) {
      EXPECT_TRUE(same_bits(x.fields[f].mu, y.fields[f].mu)) << what << " field " << f;
      EXPECT_TRUE(same_bits(x.fields[f].m2, y.fields[f].m2)) << what << " field " << f;
      EXPECT_TRUE(same_bits(x.fields[f].m4, y.fields[f].m4)) << what << " field " << f;
    }
    EXPECT_EQ(x.pnl_histogram.edges, y.pnl_histogram.edges) << what;
    EXPECT_EQ(x.pnl_histogram.counts, y.pnl_histogram.counts) << what;
    EXPECT_EQ(x.per_path[0], y.per_path[0]) << what;
  }
}

// Batch size and device count change nothing: tiles merge in path order and the sort is layout-free.
// Device lists may repeat a device: {0, 0} runs the multi-device code (round-robin, peer gather) on
// one GPU.
TEST(CudaRun, BitsIndependentOfBatchSizeAndDevices) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const RunSpec s = small_run(5 * kMomentTile + 321);
  BackendInfo gpu = resolve_backend(BackendKind::cuda, 0);
  gpu.cuda_batch_paths = 0;
  const RunReport ref = run_hedging_job(s, gpu);
  EXPECT_GT(ref.kernel_s, 0.0);
  std::vector<std::vector<int>> lists = {{0}, {0, 0}, {0, 0, 0}};
  if (cuda_device_count() > 1) lists.push_back({0, 1});
  for (const std::vector<int>& devices : lists)
    for (const std::uint64_t batch : {kMomentTile, 2 * kMomentTile, 3 * kMomentTile}) {
      BackendInfo b = gpu;
      b.cuda_devices = devices;
      b.cuda_batch_paths = batch;
      expect_same_report(ref, run_hedging_job(s, b),
                         "devices " + std::to_string(devices.size()) + " batch " + std::to_string(batch));
    }
}

// The device run's P&L summary agrees with the host reduction of the same per-path values.
TEST(CudaRun, SummaryEqualsHostSummaryOfItsPaths) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  RunSpec s = small_run(3 * kMomentTile + 5);
  s.output.per_path = true;
  BackendInfo gpu = resolve_backend(BackendKind::cuda, 0);
  gpu.cuda_batch_paths = kMomentTile;
  const RunReport r = run_hedging_job(s, gpu);
  for (const PolicyResult& p : r.policies) {
    std::vector<double> pnl = p.per_path[static_cast<unsigned>(PathField::pnl)];
    for (double& x : pnl) x += 0.0;  // the device drops −0.0 before sorting
    const Summary h = summarize(pnl);
    EXPECT_EQ(p.pnl.quantiles, h.quantiles) << p.spec.name;
    EXPECT_TRUE(same_bits(p.pnl.es_95, h.es_95)) << p.spec.name;
    EXPECT_TRUE(same_bits(p.pnl.var_99, h.var_99)) << p.spec.name;
    EXPECT_TRUE(test::near(p.spec.name + " mean", p.pnl.mean, h.mean, 1e-12 * std::max(1.0, std::fabs(h.mean))));
    const Histogram hh = histogram(pnl, s.output.histogram_bins);
    EXPECT_EQ(p.pnl_histogram.counts, hh.counts) << p.spec.name;
  }
}

}  // namespace
}  // namespace hedgesim
