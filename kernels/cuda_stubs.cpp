// The engine's CUDA entry points in a build without CUDA: no device, and NotCompiled for any work.
// (The hedging layer's are kernels/hedging_stubs.cpp.)
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/stats/device_summary.hpp"

namespace hedgesim {

bool cuda_compiled() { return false; }
int cuda_device_count() { return 0; }
std::string cuda_device_name(int) { return {}; }
void cuda_simulate_terminal(const SimulationJob&, PathRange, int, TerminalSamples&) {
  throw NotCompiled("this hedgesim was built without CUDA");
}

std::vector<std::uint32_t> cuda_philox_blocks(const std::vector<std::uint32_t>&, std::uint32_t, std::uint32_t, int) {
  throw NotCompiled("this hedgesim was built without CUDA");
}

std::vector<Moments> cuda_tile_moments(std::span<const double>, unsigned, int) {
  throw NotCompiled("this hedgesim was built without CUDA");
}

DeviceSummary cuda_summarize(std::span<const double>, const Moments&, std::span<const double>, unsigned, int) {
  throw NotCompiled("this hedgesim was built without CUDA");
}

}  // namespace hedgesim
