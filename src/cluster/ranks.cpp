// Ranks (cluster/ranks.hpp): MPI's world behind Collectives, or the single rank of a plain process.
#include "hedgesim/cluster/ranks.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "hedgesim/engine/device_plan.hpp"
#include "hedgesim/errors.hpp"

#ifdef HEDGESIM_HAVE_MPI
#include <mpi.h>
#endif

namespace hedgesim {

#ifdef HEDGESIM_HAVE_MPI
namespace {

// Point-to-point pieces stay under MPI's int counts (and well under any eager/rendezvous limit).
constexpr std::uint64_t kChunkBytes = std::uint64_t{1} << 28;

class MpiCollectives final : public Collectives {
 public:
  MpiCollectives() {
    int r = 0, s = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &s);
    rank_ = static_cast<unsigned>(r);
    size_ = static_cast<unsigned>(s);
  }
  unsigned rank() const override { return rank_; }
  unsigned size() const override { return size_; }

  void sum(std::span<std::uint64_t> values) override {
    for (std::size_t first = 0; first < values.size(); first += kChunkBytes / 8) {
      const int n = static_cast<int>(std::min<std::size_t>(kChunkBytes / 8, values.size() - first));
      MPI_Allreduce(MPI_IN_PLACE, values.data() + first, n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    }
  }

 protected:
  /// Rank 0 receives each rank's bytes in rank order, in chunks; counts first.
  std::vector<std::byte> gather_bytes(std::span<const std::byte> local) override {
    std::uint64_t mine = local.size();
    std::vector<std::uint64_t> counts(rank_ == 0 ? size_ : 0);
    MPI_Gather(&mine, 1, MPI_UINT64_T, counts.data(), 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    std::vector<std::byte> out;
    if (rank_ != 0) {
      send(reinterpret_cast<const char*>(local.data()), local.size());
      return out;
    }
    std::uint64_t total = 0;
    for (const std::uint64_t c : counts) total += c;
    out.resize(total);
    std::copy(local.begin(), local.end(), out.begin());
    char* at = reinterpret_cast<char*>(out.data() + local.size());
    for (unsigned r = 1; r < size_; ++r) {
      receive(at, counts[r], static_cast<int>(r));
      at += counts[r];
    }
    return out;
  }

  void broadcast_bytes(std::vector<std::byte>& bytes) override {
    std::uint64_t size = bytes.size();
    MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    bytes.resize(size);
    for (std::uint64_t first = 0; first < size; first += kChunkBytes) {
      const int n = static_cast<int>(std::min(kChunkBytes, size - first));
      MPI_Bcast(bytes.data() + first, n, MPI_BYTE, 0, MPI_COMM_WORLD);
    }
  }

 private:
  static void send(const char* data, std::uint64_t bytes) {
    for (std::uint64_t first = 0; first < bytes; first += kChunkBytes) {
      const int n = static_cast<int>(std::min(kChunkBytes, bytes - first));
      MPI_Send(data + first, n, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
    }
  }
  static void receive(char* data, std::uint64_t bytes, int from) {
    for (std::uint64_t first = 0; first < bytes; first += kChunkBytes) {
      const int n = static_cast<int>(std::min(kChunkBytes, bytes - first));
      MPI_Recv(data + first, n, MPI_BYTE, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
  }
  unsigned rank_ = 0, size_ = 1;
};

}  // namespace
#endif

bool built_with_mpi() {
#ifdef HEDGESIM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

Ranks::Ranks([[maybe_unused]] int& argc, [[maybe_unused]] char**& argv) {
  if (!launched_by_mpi()) {
    collectives_ = std::make_unique<SoloCollectives>();
    return;
  }
#ifdef HEDGESIM_HAVE_MPI
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw RuntimeFailure("MPI_Init_thread failed: the MPI launcher's environment is set but MPI could not start");
  finalize_ = true;
  collectives_ = std::make_unique<MpiCollectives>();
#else
  throw RuntimeFailure(
      "started by an MPI launcher (mpirun or srun), but this hedgesim was built without MPI: install Open MPI "
      "(Debian's libopenmpi-dev) and rebuild, or run it without the launcher");
#endif
}

Ranks::~Ranks() {
#ifdef HEDGESIM_HAVE_MPI
  if (finalize_) MPI_Finalize();
#endif
}

}  // namespace hedgesim
