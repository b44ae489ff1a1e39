#pragma once
// The ranks of a hedgesim job (issue 12, docs/cluster.md). Started by an MPI launcher (mpirun, srun)
// in a build with MPI, the process is one rank of MPI's world; otherwise it is the only rank, and no
// MPI library is initialised (a singleton MPI_Init costs about half a second per command). Paths are
// dealt to ranks as contiguous runs in rank order, aligned on kMomentTile, so every reduction merges
// the same tiles in the same order whatever the number of ranks. Host code.
#include <cstdint>
#include <memory>

#include "hedgesim/engine/job.hpp"
#include "hedgesim/stats/collectives.hpp"

namespace hedgesim {

class Ranks {
 public:
  /// Joins MPI's world when launched by an MPI launcher (MPI_Init_thread, funneled), else one rank.
  /// Throws RuntimeFailure when launched by one but built without MPI, or when MPI cannot start.
  Ranks(int& argc, char**& argv);
  ~Ranks();  ///< MPI_Finalize when it initialised MPI
  Ranks(const Ranks&) = delete;
  Ranks& operator=(const Ranks&) = delete;

  unsigned rank() const { return collectives_->rank(); }
  unsigned size() const { return collectives_->size(); }
  bool is_root() const { return rank() == 0; }
  Collectives& collectives() { return *collectives_; }

 private:
  std::unique_ptr<Collectives> collectives_;
  bool finalize_ = false;
};

/// Whether this process was started by an MPI launcher (Open MPI's mpirun, PMIx or PMI: srun, Hydra).
bool launched_by_mpi();

/// Whether this build has MPI (HEDGESIM_ENABLE_MPI).
bool built_with_mpi();

}  // namespace hedgesim
