// TileFold and merge_pieces (stats/tile_fold.hpp).
#include "hedgesim/stats/tile_fold.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "hedgesim/errors.hpp"

namespace hedgesim {

void TileFold::add(const Moments& tile) {
  const std::uint64_t t = next_++;
  // A block this fold did not start stays in single tiles: its first tiles belong to an earlier rank.
  const bool inherited = first_ % kBlockTiles != 0 && t / kBlockTiles == first_ / kBlockTiles;
  if (pieces_.empty() || t % kBlockTiles == 0 || inherited) {
    starts_.push_back(t);
    pieces_.push_back(tile);
    return;
  }
  pieces_.back().merge(tile);
}

TileFold TileFold::restore(std::uint64_t first, std::uint64_t next, std::vector<std::uint64_t> starts,
                           std::vector<Moments> pieces) {
  if (starts.size() != pieces.size())
    throw InputError(fmt::format("TileFold::restore: {} starts for {} pieces; expected one each", starts.size(), pieces.size()));
  if (next < first) throw InputError(fmt::format("TileFold::restore: next tile {} before first tile {}", next, first));
  for (std::size_t i = 0; i < starts.size(); ++i)
    if (starts[i] < first || starts[i] >= next || (i > 0 && starts[i] <= starts[i - 1]))
      throw InputError(fmt::format("TileFold::restore: piece {} starts at tile {}; expected ascending starts in [{}, {})",
                                   i, starts[i], first, next));
  if ((next > first) != !starts.empty() || (!starts.empty() && starts.front() != first))
    throw InputError("TileFold::restore: the pieces do not cover the tiles from the first one");
  TileFold f(first);
  f.next_ = next;
  f.starts_ = std::move(starts);
  f.pieces_ = std::move(pieces);
  return f;
}

void TileFold::add_values(std::span<const double> values) {
  std::vector<Moments> tiles;
  append_tile_moments(values, tiles);
  add(tiles);
}

Moments TileFold::total() const { return merge_pieces(starts_, pieces_); }

void append_tile_moments(std::span<const double> values, std::vector<Moments>& tiles) {
  for (std::size_t first = 0; first < values.size(); first += kMomentTile)
    tiles.push_back(Moments::of(values.subspan(first, std::min<std::size_t>(kMomentTile, values.size() - first))));
}

Moments merge_pieces(std::span<const std::uint64_t> starts, std::span<const Moments> pieces) {
  if (starts.size() != pieces.size())
    throw InputError(fmt::format("merge_pieces: {} starts for {} pieces; expected one each", starts.size(), pieces.size()));
  Moments total, block;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0 && starts[i] <= starts[i - 1])
      throw InputError(fmt::format("merge_pieces: piece {} starts at tile {} after one at {}; expected path order", i,
                                   starts[i], starts[i - 1]));
    if (starts[i] % kBlockTiles == 0 && i > 0) {
      total.merge(block);
      block = Moments{};
    }
    block.merge(pieces[i]);
  }
  total.merge(block);
  return total;
}

}  // namespace hedgesim
