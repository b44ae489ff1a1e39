// merge_over_ranks and agree_on_failure (stats/collectives.hpp).
#include "hedgesim/stats/collectives.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>

#include <fmt/format.h>

#include "hedgesim/errors.hpp"

namespace hedgesim {

std::vector<Moments> merge_over_ranks(Collectives& ranks, std::span<const TileFold> folds) {
  const std::size_t segments = folds.size();
  const std::span<const std::uint64_t> starts = segments ? folds[0].starts() : std::span<const std::uint64_t>{};
  std::vector<Moments> flat;  // [segment][piece]
  flat.reserve(segments * starts.size());
  for (const TileFold& f : folds) {
    if (!std::equal(f.starts().begin(), f.starts().end(), starts.begin(), starts.end()))
      throw InputError("merge_over_ranks: the segments' folds hold different tiles; expected the same tiles in each");
    flat.insert(flat.end(), f.pieces().begin(), f.pieces().end());
  }
  const std::uint64_t mine = starts.size();
  const std::vector<std::uint64_t> counts = ranks.gather<std::uint64_t>({&mine, 1});
  const std::vector<std::uint64_t> all_starts = ranks.gather<std::uint64_t>(starts);
  const std::vector<Moments> all_pieces = ranks.gather<Moments>(flat);
  if (!ranks.is_root()) return {};

  std::vector<Moments> totals(segments);
  std::vector<std::uint64_t> seg_starts;
  std::vector<Moments> seg_pieces;
  for (std::size_t s = 0; s < segments; ++s) {
    seg_starts.clear();
    seg_pieces.clear();
    std::size_t start_at = 0, piece_at = 0;
    for (const std::uint64_t c : counts) {
      seg_starts.insert(seg_starts.end(), all_starts.begin() + static_cast<std::ptrdiff_t>(start_at),
                        all_starts.begin() + static_cast<std::ptrdiff_t>(start_at + c));
      const auto first = all_pieces.begin() + static_cast<std::ptrdiff_t>(piece_at + s * c);
      seg_pieces.insert(seg_pieces.end(), first, first + static_cast<std::ptrdiff_t>(c));
      start_at += c;
      piece_at += segments * c;
    }
    totals[s] = merge_pieces(seg_starts, seg_pieces);
  }
  return totals;
}

PathRange rank_paths(std::uint64_t total, unsigned rank, unsigned ranks) {
  if (ranks == 0 || rank >= ranks)
    throw InputError(fmt::format("rank_paths: rank {} of {} ranks", rank, ranks));
  const std::uint64_t tiles = moment_tiles(total);
  const std::uint64_t base = tiles / ranks, extra = tiles % ranks;
  const auto first_tile = [&](std::uint64_t r) { return r * base + std::min<std::uint64_t>(r, extra); };
  // A tile index below `tiles` starts below total, so only the last boundary needs the clamp.
  const auto path_of = [&](std::uint64_t tile) { return tile >= tiles ? total : tile * kMomentTile; };
  return {path_of(first_tile(rank)), path_of(first_tile(rank + 1))};
}

std::optional<unsigned> node_local_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID", "PMI_LOCAL_RANK"}) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    char* end = nullptr;
    const unsigned long r = std::strtoul(v, &end, 10);
    if (*end == '\0') return static_cast<unsigned>(r);
  }
  return std::nullopt;
}

void agree_on_failure(Collectives& ranks, std::exception_ptr failure) {
  std::vector<std::uint64_t> failed = {failure ? 1u : 0u};
  ranks.sum(failed);
  if (failed[0] == 0) return;
  if (ranks.size() == 1) std::rethrow_exception(failure);

  // The record of a failure: its kind ('2' bad input, '3' runtime failure, '4' interrupted) and message.
  std::string record;
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const InputError& e) {
      record = std::string("2") + e.what();
    } catch (const Interrupted& e) {
      record = std::string("4") + e.what();
    } catch (const std::bad_alloc&) {
      record = "3out of memory";
    } catch (const std::exception& e) {
      record = std::string("3") + e.what();
    } catch (...) {
      record = "3unknown failure";
    }
  }
  const std::uint64_t length = record.size();
  const std::vector<std::uint64_t> lengths = ranks.gather<std::uint64_t>({&length, 1});
  const std::vector<char> all = ranks.gather<char>(record);
  std::vector<char> chosen;
  if (ranks.is_root()) {
    std::size_t at = 0;
    for (unsigned r = 0; r < lengths.size(); ++r) {
      if (lengths[r] != 0) {
        const std::string prefix = r == 0 ? "" : fmt::format("rank {} of {}: ", r, ranks.size());
        chosen.push_back(all[at]);
        chosen.insert(chosen.end(), prefix.begin(), prefix.end());
        chosen.insert(chosen.end(), all.begin() + static_cast<std::ptrdiff_t>(at + 1),
                      all.begin() + static_cast<std::ptrdiff_t>(at + lengths[r]));
        break;
      }
      at += lengths[r];
    }
  }
  ranks.broadcast(chosen);
  const std::string message(chosen.begin() + 1, chosen.end());
  if (chosen.front() == '2') throw InputError(message);
  if (chosen.front() == '4') throw Interrupted(message);
  throw RuntimeFailure(message);
}

}  // namespace hedgesim
