#pragma once
// The one order in which per-path values become moments (issue 12: the same bits for any batch size,
// device count or number of ranks). Paths are cut into tiles of kMomentTile, aligned on the global
// path index; a tile's moments are Moments::of its values (on the CPU) or the device's block
// reduction (CUDA). Tiles merge into blocks of kBlockTiles in tile order, blocks into the total in
// block order. A rank holding tiles [first, last) folds them into pieces that rank 0 can finish
// without knowing where the other ranks' runs began: a whole or leading part of a block is one
// pre-merged piece; tiles of a block whose start lies on an earlier rank stay single pieces, so rank
// 0 merges them one by one onto that block, exactly as one process would. Rank 0 thus receives about
// one Moments per block per segment (a 10⁹-path run: 3,815 per segment), not one per tile.
#include <cstdint>
#include <span>
#include <vector>

#include "hedgesim/stats/summary.hpp"

namespace hedgesim {

/// Paths per moment tile. A power of two: the device reduces it with a fixed-shape block reduction.
constexpr std::uint64_t kMomentTile = 4096;
/// Tiles per block of the merge (2^18 paths).
constexpr std::uint64_t kBlockTiles = 64;

/// Tiles of n paths: ⌈n / kMomentTile⌉ (without overflow for any n).
constexpr std::uint64_t moment_tiles(std::uint64_t n) { return n / kMomentTile + (n % kMomentTile != 0 ? 1 : 0); }

/// The tile moments of consecutive tiles, from global tile `first_tile` on, folded into pieces.
class TileFold {
 public:
  explicit TileFold(std::uint64_t first_tile = 0) : next_(first_tile), first_(first_tile) {}

  /// The moments of the next tile in path order.
  void add(const Moments& tile);
  /// add() of each tile in order.
  void add(std::span<const Moments> tiles) {
    for (const Moments& t : tiles) add(t);
  }
  /// add() of the tile moments of `values` (append_tile_moments).
  void add_values(std::span<const double> values);

  /// The global tile index each piece starts at, ascending.
  std::span<const std::uint64_t> starts() const { return starts_; }
  /// Each piece's moments.
  std::span<const Moments> pieces() const { return pieces_; }
  /// The global tile the fold began at, and the one the next add() takes.
  std::uint64_t first_tile() const { return first_; }
  std::uint64_t next_tile() const { return next_; }
  /// The fold whose first_tile(), next_tile(), starts() and pieces() were these (a checkpoint's saved
  /// fold): adding the same tiles to it gives the same bits as to the original. Throws InputError
  /// when they cannot be a fold's (sizes differ, starts not ascending within [first, next)).
  static TileFold restore(std::uint64_t first, std::uint64_t next, std::vector<std::uint64_t> starts,
                          std::vector<Moments> pieces);
  /// The moments of every tile added (merge_pieces of this fold alone; a fold from tile 0 is a whole run).
  Moments total() const;

 private:
  std::uint64_t next_;
  std::uint64_t first_;
  std::vector<std::uint64_t> starts_;
  std::vector<Moments> pieces_;
};

/// Appends Moments::of of every kMomentTile run of `values` to `tiles`: the values of consecutive paths
/// from the start of a tile, the last run possibly shorter. The CPU's tile moments (the device's block
/// reduction gives the CUDA backend's).
void append_tile_moments(std::span<const double> values, std::vector<Moments>& tiles);

/// The moments of pieces of consecutive tiles in path order (the pieces of every rank's TileFold,
/// concatenated in rank order): block by block, pieces after a block's first merged onto it.
Moments merge_pieces(std::span<const std::uint64_t> starts, std::span<const Moments> pieces);

}  // namespace hedgesim
