// Backend selection and dispatch.
#include <fmt/format.h>

#include <optional>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/device_plan.hpp"
#include "hedgesim/errors.hpp"

namespace hedgesim {

BackendInfo resolve_backend(BackendKind requested, unsigned threads, const std::string& devices) {
  BackendInfo info;
  info.threads = threads == 0 ? cpu_hardware_threads() : threads;
  const bool want_cuda = requested == BackendKind::cuda;
  if (!devices.empty() && requested == BackendKind::cpu)
    throw InputError(fmt::format("--devices = '{}' with --backend cpu: devices select CUDA GPUs; drop --devices or "
                                 "use --backend cuda or auto",
                                 devices));
  const std::optional<std::vector<int>> listed =
      devices.empty() ? std::optional<std::vector<int>>(std::vector<int>{0}) : parse_device_list(devices);
  if (requested != BackendKind::cpu) {
    if (!cuda_compiled()) {
      if (want_cuda)
        throw NotCompiled("backend 'cuda' was requested but this hedgesim was built without CUDA "
                          "(reconfigure with a CUDA toolkit and -DHEDGESIM_ENABLE_CUDA=ON), or use --backend cpu");
    } else if (const int visible = cuda_device_count(); visible > 0) {
      info.kind = BackendKind::cuda;
      if (listed) {
        for (const int id : *listed)
          if (id >= visible)
            throw RuntimeFailure(fmt::format("--devices = '{}': device {} does not exist; {} CUDA device(s) visible "
                                             "(0 … {})",
                                             devices, id, visible, visible - 1));
        info.cuda_devices = *listed;
      } else {
        for (int id = 0; id < visible; ++id) info.cuda_devices.push_back(id);
      }
      info.cuda_device = info.cuda_devices.front();
      info.device = cuda_device_name(info.cuda_device);
      if (info.cuda_devices.size() > 1) info.device += fmt::format(" x {}", info.cuda_devices.size());
      return info;
    } else if (want_cuda) {
      throw CudaError("backend 'cuda' was requested but no CUDA device is available; use --backend cpu");
    }
  }
  info.kind = BackendKind::cpu;
  info.device = cpu_model_name();
  info.cpu_isa = cpu_best_isa();
  return info;
}

void simulate_terminal(const SimulationJob& job, PathRange range, const BackendInfo& backend, TerminalSamples& out) {
  if (backend.kind == BackendKind::cuda) {
    cuda_simulate_terminal(job, range, backend.cuda_device, out);
  } else {
    cpu_simulate_terminal(job, range, backend.threads, out, backend.cpu_isa);
  }
}

}  // namespace hedgesim
