// Checkpoint and resume of `hedgesim run` (issue 12, jobs/checkpoint.hpp): a TileFold restored from its
// parts folds on to the same bits; a run stopped after some batches and resumed (with another batch
// size) gives the same bits as one run; a damaged tail of the data file is discarded; a checkpoint of
// another seed, path count or config is refused naming the difference.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "hedgesim/config.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/jobs/checkpoint.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/stats/tile_fold.hpp"

namespace hs = hedgesim;
namespace fs = std::filesystem;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_same(const hs::Moments& a, const hs::Moments& b) {
  EXPECT_EQ(a.count, b.count);
  EXPECT_TRUE(same_bits(a.mu, b.mu) && same_bits(a.m2, b.m2) && same_bits(a.m3, b.m3) && same_bits(a.m4, b.m4));
}

hs::Moments tile(int i) {
  hs::Moments m;
  for (int k = 0; k < 5; ++k) m.add(std::sin(i * 7.0 + k) * (i % 13 + 1));
  return m;
}

TEST(TileFoldRestore, RoundTripFoldsOnToTheSameBits) {
  for (const std::uint64_t first : {std::uint64_t{0}, std::uint64_t{37}}) {
    hs::TileFold whole(first), part(first);
    for (int i = 0; i < 200; ++i) whole.add(tile(i));
    for (int i = 0; i < 90; ++i) part.add(tile(i));
    hs::TileFold restored = hs::TileFold::restore(
        part.first_tile(), part.next_tile(), {part.starts().begin(), part.starts().end()},
        {part.pieces().begin(), part.pieces().end()});
    for (int i = 90; i < 200; ++i) restored.add(tile(i));
    ASSERT_EQ(restored.starts().size(), whole.starts().size());
    EXPECT_TRUE(std::equal(restored.starts().begin(), restored.starts().end(), whole.starts().begin()));
    for (std::size_t k = 0; k < whole.pieces().size(); ++k) expect_same(restored.pieces()[k], whole.pieces()[k]);
    expect_same(restored.total(), whole.total());
  }
}

TEST(TileFoldRestore, RefusesPartsNoFoldHas) {
  EXPECT_THROW(hs::TileFold::restore(0, 2, {0, 1}, {hs::Moments{}}), hs::InputError);
  EXPECT_THROW(hs::TileFold::restore(0, 2, {1, 0}, {hs::Moments{}, hs::Moments{}}), hs::InputError);
  EXPECT_THROW(hs::TileFold::restore(4, 2, {}, {}), hs::InputError);
  EXPECT_THROW(hs::TileFold::restore(0, 5, {0, 7}, {hs::Moments{}, hs::Moments{}}), hs::InputError);
  EXPECT_NO_THROW(hs::TileFold::restore(3, 3, {}, {}));
}

fs::path temp_dir() {
  static const fs::path d = [] {
    auto p = fs::temp_directory_path() / ("hedgesim_checkpoint_" + std::to_string(::getpid()));
    fs::create_directories(p);
    return p;
  }();
  return d;
}

hs::RunSpec spec_of(std::uint64_t paths, std::uint64_t seed, bool per_path) {
  const char* root = std::getenv("HEDGESIM_SOURCE_DIR");
  hs::RunSpec spec = hs::load_config((fs::path(root ? root : ".") / "configs" / "btc_short_calls_perp.yaml").string());
  spec.simulation.paths = paths;
  spec.simulation.seed = seed;
  spec.simulation.threads = 1;
  spec.output.file = per_path ? (temp_dir() / "unused.h5").string() : "";
  spec.output.per_path = per_path;
  hs::validate(spec);
  hs::validate_for_run(spec);
  return spec;
}

void expect_same_report(const hs::RunReport& got, const hs::RunReport& want) {
  ASSERT_EQ(got.policies.size(), want.policies.size());
  for (std::size_t p = 0; p < want.policies.size(); ++p) {
    const hs::PolicyResult &g = got.policies[p], &w = want.policies[p];
    EXPECT_TRUE(same_bits(g.pnl.mean, w.pnl.mean) && same_bits(g.pnl.std, w.pnl.std) &&
                same_bits(g.pnl.var_99, w.pnl.var_99) && same_bits(g.pnl.es_95, w.pnl.es_95) &&
                same_bits(g.cost.mean, w.cost.mean) && same_bits(g.cost.es_99, w.cost.es_99))
        << w.spec.name;
    EXPECT_EQ(g.pnl.quantiles.size(), w.pnl.quantiles.size());
    for (std::size_t i = 0; i < w.pnl.quantiles.size(); ++i) EXPECT_TRUE(same_bits(g.pnl.quantiles[i], w.pnl.quantiles[i]));
    EXPECT_EQ(g.pnl_histogram.counts, w.pnl_histogram.counts);
    for (unsigned f = 0; f < hs::kPathFields; ++f) {
      expect_same(g.fields[f], w.fields[f]);
      ASSERT_EQ(g.per_path[f].size(), w.per_path[f].size());
      for (std::size_t i = 0; i < w.per_path[f].size(); ++i)
        if (!same_bits(g.per_path[f][i], w.per_path[f][i])) {
          ADD_FAILURE() << "per path field " << f << " [" << i << "]";
          break;
        }
    }
  }
}

/// Stops the run after `stop_after` batches of `batch` paths (exit code 4's Interrupted).
void interrupt(const hs::RunSpec& spec, const std::string& path, std::uint64_t batch, std::uint64_t stop_after,
               bool resume = false) {
  const hs::BackendInfo cpu = hs::resolve_backend(hs::BackendKind::cpu, 1);
  hs::CheckpointOptions o{path, resume, batch, stop_after};
  hs::SoloCollectives solo;
  EXPECT_THROW(hs::run_hedging_job(spec, cpu, solo, {}, o), hs::Interrupted);
  hs::clear_stop_request();
}

hs::RunReport resume(const hs::RunSpec& spec, const std::string& path, std::uint64_t batch) {
  const hs::BackendInfo cpu = hs::resolve_backend(hs::BackendKind::cpu, 1);
  hs::SoloCollectives solo;
  return hs::run_hedging_job(spec, cpu, solo, {}, hs::CheckpointOptions{path, true, batch, 0});
}

TEST(Checkpoint, InterruptedAndResumedRunIsBitIdentical) {
  for (const bool per_path : {false, true}) {
    const hs::RunSpec spec = spec_of(9 * hs::kMomentTile + 1234, 5, per_path);
    const hs::RunReport want = hs::run_hedging_job(spec, hs::resolve_backend(hs::BackendKind::cpu, 1));
    const std::string path = (temp_dir() / (per_path ? "pp" : "plain")).string();
    interrupt(spec, path, 2 * hs::kMomentTile, 2);
    EXPECT_TRUE(fs::exists(path + ".rank0of1"));
    interrupt(spec, path, 3 * hs::kMomentTile, 1, true);  // a second interruption, another batch size
    const hs::RunReport got = resume(spec, path, hs::kMomentTile);
    expect_same_report(got, want);
    hs::remove_run_checkpoint({path}, hs::SoloCollectives{});
    EXPECT_FALSE(fs::exists(path + ".rank0of1"));
    EXPECT_FALSE(fs::exists(path + ".rank0of1.values"));
  }
}

TEST(Checkpoint, GarbageBeyondTheRecordedLengthIsDiscarded) {
  const hs::RunSpec spec = spec_of(6 * hs::kMomentTile + 10, 8, false);
  const hs::RunReport want = hs::run_hedging_job(spec, hs::resolve_backend(hs::BackendKind::cpu, 1));
  const std::string path = (temp_dir() / "garbage").string();
  interrupt(spec, path, 2 * hs::kMomentTile, 1);
  {  // what a kill -9 in the middle of an append leaves
    std::ofstream out(path + ".rank0of1.values", std::ios::binary | std::ios::app);
    out << std::string(12345, '\x7f');
  }
  expect_same_report(resume(spec, path, 2 * hs::kMomentTile), want);
  hs::remove_run_checkpoint({path}, hs::SoloCollectives{});
}

TEST(Checkpoint, DamagedMetadataOrShortDataIsRefused) {
  const hs::RunSpec spec = spec_of(4 * hs::kMomentTile, 8, false);
  const std::string path = (temp_dir() / "damaged").string();
  interrupt(spec, path, hs::kMomentTile, 2);
  fs::resize_file(path + ".rank0of1.values", 100);
  EXPECT_THROW(resume(spec, path, hs::kMomentTile), hs::InputError);
  {
    std::fstream meta(path + ".rank0of1", std::ios::binary | std::ios::in | std::ios::out);
    meta.seekp(40);
    meta.put('\x55');
  }
  try {
    resume(spec, path, hs::kMomentTile);
    ADD_FAILURE() << "a damaged checkpoint was resumed";
  } catch (const hs::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("damaged"), std::string::npos) << e.what();
  }
  hs::remove_run_checkpoint({path}, hs::SoloCollectives{});
}

TEST(Checkpoint, AnotherRunsCheckpointIsRefusedNamingTheDifference) {
  const hs::RunSpec spec = spec_of(4 * hs::kMomentTile, 8, false);
  const std::string path = (temp_dir() / "other").string();
  interrupt(spec, path, hs::kMomentTile, 1);
  const auto refused = [&](const hs::RunSpec& other, const std::string& what) {
    try {
      resume(other, path, hs::kMomentTile);
      ADD_FAILURE() << "resumed with another " << what;
    } catch (const hs::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  refused(spec_of(4 * hs::kMomentTile, 9, false), "seed: 8 there, 9 here");
  refused(spec_of(5 * hs::kMomentTile, 8, false), "paths: 16384 there, 20480 here");
  hs::RunSpec edited = spec;
  edited.config_text += "\n# edited\n";
  refused(edited, "config");
  // Without --resume an existing checkpoint is not overwritten.
  const hs::BackendInfo cpu = hs::resolve_backend(hs::BackendKind::cpu, 1);
  hs::SoloCollectives solo;
  EXPECT_THROW(hs::run_hedging_job(spec, cpu, solo, {}, hs::CheckpointOptions{path, false, hs::kMomentTile, 0}),
               hs::InputError);
  hs::remove_run_checkpoint({path}, hs::SoloCollectives{});
}

}  // namespace
