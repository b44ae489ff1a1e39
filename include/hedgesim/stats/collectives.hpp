#pragma once
// The collective operations a job spread over ranks needs (issue 12, docs/cluster.md): MPI's world
// (cluster/ranks.hpp) or the one rank of a plain process (SoloCollectives). Every rank calls the same
// operations in the same order with the same element types (MPI's rule); rank 0 receives what is
// gathered. Host code.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "hedgesim/engine/job.hpp"
#include "hedgesim/stats/summary.hpp"
#include "hedgesim/stats/tile_fold.hpp"

namespace hedgesim {

class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual unsigned rank() const = 0;
  virtual unsigned size() const = 0;
  bool is_root() const { return rank() == 0; }

  /// Element-wise sum over ranks; every rank gets the result in `values`.
  virtual void sum(std::span<std::uint64_t> values) = 0;

  /// Rank 0 gets every rank's `local`, concatenated in rank order; other ranks get nothing.
  template <class T>
  std::vector<T> gather(std::span<const T> local) {
    static_assert(std::is_trivially_copyable_v<T>);
    const std::vector<std::byte> bytes = gather_bytes(std::as_bytes(local));
    std::vector<T> out(bytes.size() / sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
    return out;
  }

  /// Every rank gets rank 0's `values` (size included).
  template <class T>
  void broadcast(std::vector<T>& values) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<std::byte> bytes(values.size() * sizeof(T));
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    broadcast_bytes(bytes);
    values.resize(bytes.size() / sizeof(T));
    if (!values.empty()) std::memcpy(values.data(), bytes.data(), bytes.size());
  }

 protected:
  /// Rank 0: every rank's bytes in rank order; others: empty.
  virtual std::vector<std::byte> gather_bytes(std::span<const std::byte> local) = 0;
  /// Every rank gets rank 0's bytes.
  virtual void broadcast_bytes(std::vector<std::byte>& bytes) = 0;
};

/// The one rank of a single process: sums are the values, gathers return them.
class SoloCollectives final : public Collectives {
 public:
  unsigned rank() const override { return 0; }
  unsigned size() const override { return 1; }
  void sum(std::span<std::uint64_t>) override {}

 protected:
  std::vector<std::byte> gather_bytes(std::span<const std::byte> local) override { return {local.begin(), local.end()}; }
  void broadcast_bytes(std::vector<std::byte>&) override {}
};

/// The paths of rank `rank` of `ranks` out of [0, total): contiguous runs in rank order, each a whole
/// number of kMomentTile tiles but the last rank's, the tiles dealt as evenly as they go (earlier
/// ranks one more). A rank may get none.
PathRange rank_paths(std::uint64_t total, unsigned rank, unsigned ranks);

/// This process's rank among the ranks on its node, as the launcher says (Open MPI, Slurm, Hydra);
/// nullopt when no launcher says. One GPU per rank: the node-local rank picks the device.
std::optional<unsigned> node_local_rank();

/// The moments of each segment over all ranks, on rank 0 (others get an empty vector): every rank
/// passes one TileFold per segment, all of its tiles (the same tiles for every segment), the ranks'
/// tiles consecutive in rank order. The same bits for any number of ranks (stats/tile_fold.hpp).
std::vector<Moments> merge_over_ranks(Collectives& ranks, std::span<const TileFold> folds);

/// Where ranks must agree before their next collective: every rank calls it with the exception its
/// own work ended in (null when it succeeded). If any rank failed, every rank throws the failure of the
/// lowest failing rank (its type, InputError or RuntimeFailure, and its message, prefixed with the rank
/// when there are several), so no rank is left waiting and all exit alike.
void agree_on_failure(Collectives& ranks, std::exception_ptr failure);

/// Runs `step` on this rank, then agree_on_failure with how it ended: where ranks must agree before
/// their next collective, a failure of any rank's step is thrown on every rank.
template <class Step>
void run_and_agree(Collectives& ranks, Step&& step) {
  std::exception_ptr failure;
  try {
    step();
  } catch (...) {
    failure = std::current_exception();
  }
  agree_on_failure(ranks, failure);
}

}  // namespace hedgesim
