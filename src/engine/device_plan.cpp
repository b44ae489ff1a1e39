// Host-side scheduling of multi-device hedging runs (device_plan.hpp).
#include "hedgesim/engine/device_plan.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include <fmt/format.h>

#include "hedgesim/errors.hpp"

namespace hedgesim {

BatchPlan plan_batches(std::uint64_t total, std::uint64_t batch_paths, unsigned devices) {
  if (devices == 0) throw InputError("plan_batches: 0 devices; expected at least 1");
  BatchPlan plan;
  const std::uint64_t asked = batch_paths == 0 ? kCudaBatchPaths : batch_paths;
  plan.batch_paths = moment_tiles(asked) * kMomentTile;
  plan.resident_paths.assign(devices, 0);
  std::uint64_t index = 0;
  for (std::uint64_t first = 0; first < total; first += plan.batch_paths, ++index) {
    PlannedBatch b;
    b.range = {first, std::min(total, first + plan.batch_paths)};
    b.device = static_cast<unsigned>(index % devices);
    b.buffer = static_cast<unsigned>((index / devices) % 2);
    b.resident_offset = plan.resident_paths[b.device];
    plan.resident_paths[b.device] += b.range.size();
    plan.batches.push_back(b);
  }
  return plan;
}

void fold_tile_moments(std::span<const Moments> tiles, std::span<TileFold> folds) {
  if (folds.empty() || tiles.size() % folds.size() != 0)
    throw InputError(fmt::format("fold_tile_moments: {} tile moments for {} segments; expected a multiple",
                                 tiles.size(), folds.size()));
  const std::size_t per_segment = tiles.size() / folds.size();
  for (std::size_t s = 0; s < folds.size(); ++s) folds[s].add(tiles.subspan(s * per_segment, per_segment));
}

std::optional<std::vector<int>> parse_device_list(std::string_view text) {
  if (text == "all") return std::nullopt;
  const auto bad = [&](const std::string& why) {
    return InputError(fmt::format("--devices = '{}': {}; expected 'all' or distinct device numbers separated by "
                                  "commas, e.g. 0,1",
                                  text, why));
  };
  std::vector<int> ids;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view item = text.substr(pos, comma - pos);
    int id = -1;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
    if (item.empty() || ec != std::errc{} || end != item.data() + item.size() || id < 0)
      throw bad(fmt::format("'{}' is not a device number", item));
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) throw bad(fmt::format("device {} is listed twice", id));
    ids.push_back(id);
    if (comma == text.size()) break;
    pos = comma + 1;
  }
  return ids;
}

}  // namespace hedgesim
