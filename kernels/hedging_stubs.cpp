// The hedging layer's CUDA entry points in a build without CUDA: NotCompiled for any work.
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/backends.hpp"

namespace hedgesim {

void cuda_simulate_hedging(const SimulationJob&, const HedgeParams&, PathRange, int, bool, HedgingBatch&) {
  throw NotCompiled("this hedgesim was built without CUDA");
}

CudaHedgingRun cuda_run_hedging(const SimulationJob&, const HedgeParams&, PathRange, const CudaRunOptions&,
                                const std::function<void(std::uint64_t, std::uint64_t)>&) {
  throw NotCompiled("this hedgesim was built without CUDA");
}

}  // namespace hedgesim
