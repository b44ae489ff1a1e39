#pragma once
// Host-side scheduling of a hedging run over one or more CUDA devices (plain functions, tested on the
// CPU): which batch of paths goes to which device and where its P&L and cost lie in that device's
// resident buffer, how per-tile moments merge in global path order, and the --devices list.
//
// Why tiles: the device reduces each fixed tile of kMomentTile paths (aligned on the global path
// index) to one Moments, and the host folds them in path order (stats/tile_fold.hpp). Batches are
// whole numbers of tiles (except the last), so the merged bits do not depend on the batch size or the
// number of devices.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "hedgesim/engine/job.hpp"
#include "hedgesim/stats/tile_fold.hpp"

namespace hedgesim {

/// Default paths per CUDA batch: 2^21 paths fill an H100/H200 many times over, and the kernel's
/// output buffer (kPathFields × policies × 8 bytes per path, 1.7 GB for 9 policies) stays small.
constexpr std::uint64_t kCudaBatchPaths = std::uint64_t{1} << 21;

struct PlannedBatch {
  PathRange range;
  unsigned device = 0;                ///< index into the run's device list
  unsigned buffer = 0;                ///< which of the device's two in-flight buffers (0 or 1)
  std::uint64_t resident_offset = 0;  ///< where its paths start in the device's resident buffer
};

struct BatchPlan {
  std::uint64_t batch_paths = 0;              ///< after rounding up to whole tiles
  std::vector<PlannedBatch> batches;          ///< global path order
  std::vector<std::uint64_t> resident_paths;  ///< paths each device keeps resident (its batches' total)
};

/// Splits paths [0, total) into batches of batch_paths (rounded up to a multiple of kMomentTile; 0
/// means kCudaBatchPaths) dealt round-robin to `devices` devices, each alternating between two
/// buffers. Batches are consumed in this order, so tile moments merge in global path order.
/// Throws InputError if devices = 0.
BatchPlan plan_batches(std::uint64_t total, std::uint64_t batch_paths, unsigned devices);

/// Adds a batch's tile moments, laid out [segment · tiles + tile], to folds[segment] in tile order.
/// Throws InputError if tiles.size() is not a multiple of folds.size().
void fold_tile_moments(std::span<const Moments> tiles, std::span<TileFold> folds);

/// Parses a --devices value: "all" (every visible device: nullopt) or a comma-separated list of
/// distinct device ordinals ("0,1,3"). Throws InputError naming the value otherwise.
std::optional<std::vector<int>> parse_device_list(std::string_view text);

}  // namespace hedgesim
