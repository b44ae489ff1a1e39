// CUDA backend of the hedging layer: launch code only. The per-path code is include/hedgesim/engine/
// path.hpp and hedging/, the same source the CPU backend runs; the kernel splits a block's work
// (kernels/hedging_kernel.cuh, compiled in the units hedging_launch.cuh names). Device plumbing and
// reductions are the engine's (cuda_util.cuh, device_summary.cuh).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cuda_util.cuh"
#include "device_summary.cuh"
#include "hedgesim/engine/device_plan.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/backends.hpp"
#include "hedgesim/models/model.hpp"
#include "hedging_launch.cuh"

namespace hedgesim {
namespace {

using cuda::DeviceBuffer;
using cuda::Event;
using cuda::PinnedBuffer;
using cuda::Stream;

/// THE launch of the hedging kernel: the only call site, so the kernel can be swapped in one place.
/// Hedges paths [first_path, first_path + count) of `job` with every policy of `hedge` (whose delta
/// table, if any, is in device memory) on `stream` of the current device; out receives
/// out[(field · n_policies + policy) · count + (path − first_path)].
void launch_hedging_kernel(const SimulationJob& job, const HedgeParams& hedge, std::uint64_t first_path,
                           std::uint64_t count, double* out, cudaStream_t stream) {
  if (count == 0) return;
  if (job.precision == Precision::float32) {
    visit_model<float>(job.model, job.measure, job.dt_years, [&](const auto& model) {
      HS_CUDA_CHECK(launch_hedging<float>(model, job.steps, job.seed, hedge, first_path, count, out, stream));
    });
  } else {
    visit_model<double>(job.model, job.measure, job.dt_years, [&](const auto& model) {
      HS_CUDA_CHECK(launch_hedging<double>(model, job.steps, job.seed, hedge, first_path, count, out, stream));
    });
  }
  HS_CUDA_CHECK(cudaGetLastError());
}

/// The hedge parameters with their delta table (when hedging with model deltas) copied to the current
/// device; `table` owns the copy.
HedgeParams to_device(const HedgeParams& hedge, DeviceBuffer<double>& table, cudaStream_t stream) {
  HedgeParams device_hedge = hedge;
  if (hedge.table.data != nullptr) {
    table = DeviceBuffer<double>(hedge.table_size);
    HS_CUDA_CHECK(cudaMemcpyAsync(table.get(), hedge.table.data, hedge.table_size * sizeof(double),
                                  cudaMemcpyHostToDevice, stream));
    HS_CUDA_CHECK(cudaStreamSynchronize(stream));  // the host table may go before the stream runs
    device_hedge.table.data = table.get();
  }
  return device_hedge;
}

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string gib(std::uint64_t bytes) {
  const double g = static_cast<double>(bytes) / kGiB;
  return std::to_string(static_cast<long long>(g)) + "." + std::to_string(static_cast<int>((g - std::floor(g)) * 10.0));
}

/// One device of a run: two slots of a batch in flight (the kernel output, its tile moments and their
/// pinned host copies, timing events), the resident P&L and cost of the device's paths, the delta table.
struct DeviceState {
  struct Slot {
    Stream stream;
    DeviceBuffer<double> out;
    DeviceBuffer<Moments> tiles;
    PinnedBuffer<Moments> host_tiles;
    PinnedBuffer<double> host_all;  ///< keep_all only
    Event start{true}, stop{true}, done;
  };

  /// Allocates on `id`, which must be the current device.
  DeviceState(int id, const HedgeParams& hedge, std::uint64_t batch, std::uint64_t resident_paths, bool keep_all)
      : device(id), capacity(resident_paths) {
    const std::size_t segments = static_cast<std::size_t>(path_fields(hedge)) * hedge.n_policies;
    for (auto& slot : slots) {
      slot = std::make_unique<Slot>();
      slot->out = DeviceBuffer<double>(segments * batch);
      slot->tiles = DeviceBuffer<Moments>(segments * moment_tiles(batch));
      slot->host_tiles = PinnedBuffer<Moments>(segments * moment_tiles(batch));
      if (keep_all) slot->host_all = PinnedBuffer<double>(segments * batch);
    }
    resident = DeviceBuffer<double>(2 * static_cast<std::size_t>(hedge.n_policies) * capacity);
    device_hedge = to_device(hedge, table, slots[0]->stream.get());
  }

  int device;
  std::uint64_t capacity;  ///< paths resident here
  std::unique_ptr<Slot> slots[2];
  DeviceBuffer<double> resident;  ///< [(field ∈ {pnl, cost}) · policies + policy][capacity]
  DeviceBuffer<double> table;
  HedgeParams device_hedge{};
  cuda::CurrentOnDestroy current{device};  // last member: destroyed first (cuda_util.cuh)
};

/// Device bytes DeviceState allocates.
std::uint64_t device_bytes(const HedgeParams& hedge, std::uint64_t batch, std::uint64_t resident_paths) {
  const std::uint64_t segments = static_cast<std::uint64_t>(path_fields(hedge)) * hedge.n_policies;
  return 2 * (segments * batch * sizeof(double) + segments * moment_tiles(batch) * sizeof(Moments)) +
         2 * hedge.n_policies * resident_paths * sizeof(double) + hedge.table_size * sizeof(double);
}

}  // namespace

void cuda_simulate_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange range, int device,
                           bool keep_all, HedgingBatch& out) {
  HS_CUDA_CHECK(cudaSetDevice(device));
  out = HedgingBatch{};
  out.range = range;
  out.policies = hedge.n_policies;
  if (range.size() == 0) return;
  const std::size_t n = range.size();
  const unsigned policies = hedge.n_policies;
  const unsigned segments = path_fields(hedge) * policies;
  Stream stream;
  DeviceBuffer<double> table;
  const HedgeParams device_hedge = to_device(hedge, table, stream.get());
  DeviceBuffer<double> d_out(static_cast<std::size_t>(segments) * n);
  DeviceBuffer<Moments> d_tiles(segments * moment_tiles(n));
  Event start(true), stop(true);
  HS_CUDA_CHECK(cudaEventRecord(start.get(), stream.get()));
  launch_hedging_kernel(job, device_hedge, range.begin, n, d_out.get(), stream.get());
  HS_CUDA_CHECK(cudaEventRecord(stop.get(), stream.get()));
  // Moments per tile of the batch, merged on the host in tile order: deterministic, unlike a
  // floating-point atomic or a library reduction whose shape may change between versions.
  cuda::launch_tile_moments(d_out.get(), n, segments, d_tiles.get(), stream.get());
  std::vector<Moments> tiles(d_tiles.size());
  HS_CUDA_CHECK(cudaMemcpyAsync(tiles.data(), d_tiles.get(), tiles.size() * sizeof(Moments), cudaMemcpyDeviceToHost,
                                stream.get()));
  const auto copy_field = [&](PathField f, std::vector<double>& dst) {
    dst.resize(static_cast<std::size_t>(policies) * n);
    HS_CUDA_CHECK(cudaMemcpyAsync(dst.data(), d_out.get() + static_cast<std::size_t>(f) * policies * n,
                                  dst.size() * sizeof(double), cudaMemcpyDeviceToHost, stream.get()));
  };
  copy_field(PathField::pnl, out.pnl);
  copy_field(PathField::cost, out.cost);
  if (keep_all) {
    out.all.resize(d_out.size());
    HS_CUDA_CHECK(cudaMemcpyAsync(out.all.data(), d_out.get(), d_out.size() * sizeof(double), cudaMemcpyDeviceToHost,
                                  stream.get()));
  }
  HS_CUDA_CHECK(cudaStreamSynchronize(stream.get()));
  float ms = 0.0f;
  HS_CUDA_CHECK(cudaEventElapsedTime(&ms, start.get(), stop.get()));
  out.kernel_s = ms * 1e-3;
  out.tiles = std::move(tiles);
}

CudaHedgingRun cuda_run_hedging(const SimulationJob& job, const HedgeParams& hedge, PathRange paths,
                                const CudaRunOptions& options,
                                const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  if (options.devices.empty()) throw InputError("cuda_run_hedging: no devices given; expected at least one");
  if (paths.begin % kMomentTile != 0)
    throw InputError("cuda_run_hedging: paths must start on a moment tile (rank_paths deals them so)");
  const std::uint64_t total = paths.size();
  const unsigned policies = hedge.n_policies;
  const unsigned fields = path_fields(hedge);
  const unsigned segments = fields * policies;
  const unsigned n_dev = static_cast<unsigned>(options.devices.size());
  BatchPlan plan = plan_batches(total, options.batch_paths, n_dev);
  for (PlannedBatch& b : plan.batches) b.range = {paths.begin + b.range.begin, paths.begin + b.range.end};
  // Buffers for one batch, no larger than the run.
  const std::uint64_t batch = std::min<std::uint64_t>(plan.batch_paths, std::max<std::uint64_t>(total, 1));
  const std::vector<double> levels(kDefaultQuantileLevels.begin(), kDefaultQuantileLevels.end());

  CudaHedgingRun run;
  run.fields.resize(policies);
  if (options.keep_all) {
    run.per_path.resize(policies);
    for (auto& per_field : run.per_path)
      for (unsigned f = 0; f < fields; ++f) per_field[f].reserve(total);
  }

  // Memory check before any allocation: a clear message instead of a failed cudaMalloc mid-run. The
  // first device also sorts one (field, policy) segment of all paths at a time, after gathering it
  // from the other devices.
  for (unsigned d = 0; d < n_dev; ++d) {
    HS_CUDA_CHECK(cudaSetDevice(options.devices[d]));
    std::uint64_t need = device_bytes(hedge, batch, plan.resident_paths[d]);
    if (d == 0 && !options.host_values)
      need += cuda::SortedSummarizer::bytes_needed(total) + (n_dev > 1 ? total * sizeof(double) : 0);
    std::size_t free_bytes = 0, total_bytes = 0;
    HS_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    if (need > free_bytes)
      throw RuntimeFailure(
          "CUDA device " + std::to_string(options.devices[d]) + " (" + cuda_device_name(options.devices[d]) + ") has " +
          gib(free_bytes) + " GiB free; this run needs about " + gib(need) + " GiB there (the P&L and cost of its " +
          std::to_string(plan.resident_paths[d]) + " paths stay on the device, 2 x " + std::to_string(policies) +
          " policies x 8 bytes per path, beside two batches of " + std::to_string(batch) + " paths" +
          (d == 0 && !options.host_values ? " and the sort of one policy's values of all " + std::to_string(total) + " paths"
                                          : std::string()) +
          "); use fewer paths (--paths) or policies, or more devices (--devices)");
  }

  std::vector<std::unique_ptr<DeviceState>> devices;
  for (unsigned d = 0; d < n_dev; ++d) {
    HS_CUDA_CHECK(cudaSetDevice(options.devices[d]));
    devices.push_back(
        std::make_unique<DeviceState>(options.devices[d], hedge, batch, plan.resident_paths[d], options.keep_all));
  }

  std::vector<TileFold> folds(segments, TileFold(paths.begin / kMomentTile));  // [field · policies + policy]
  // Enqueue: everything a batch needs, on its slot's stream; the host does not wait.
  const auto enqueue = [&](const PlannedBatch& b) {
    DeviceState& dev = *devices[b.device];
    DeviceState::Slot& slot = *dev.slots[b.buffer];
    const std::uint64_t n = b.range.size();
    const cudaStream_t s = slot.stream.get();
    HS_CUDA_CHECK(cudaSetDevice(dev.device));
    HS_CUDA_CHECK(cudaEventRecord(slot.start.get(), s));
    launch_hedging_kernel(job, dev.device_hedge, b.range.begin, n, slot.out.get(), s);
    HS_CUDA_CHECK(cudaEventRecord(slot.stop.get(), s));
    cuda::launch_tile_moments(slot.out.get(), n, segments, slot.tiles.get(), s);
    // P&L and cost are fields 0 and 1: the first 2 × policies segments of the batch.
    static_assert(static_cast<unsigned>(PathField::pnl) == 0 && static_cast<unsigned>(PathField::cost) == 1);
    cuda::launch_resident_copy(slot.out.get(), n, 2 * policies, dev.resident.get(), dev.capacity, b.resident_offset, s);
    HS_CUDA_CHECK(cudaMemcpyAsync(slot.host_tiles.get(), slot.tiles.get(), segments * moment_tiles(n) * sizeof(Moments),
                                  cudaMemcpyDeviceToHost, s));
    if (options.keep_all)
      HS_CUDA_CHECK(cudaMemcpyAsync(slot.host_all.get(), slot.out.get(), segments * n * sizeof(double),
                                    cudaMemcpyDeviceToHost, s));
    HS_CUDA_CHECK(cudaEventRecord(slot.done.get(), s));
  };
  // Consume, in global path order: wait for the batch, merge its tiles, keep its per-path values.
  const auto consume = [&](const PlannedBatch& b) {
    DeviceState& dev = *devices[b.device];
    DeviceState::Slot& slot = *dev.slots[b.buffer];
    const std::uint64_t n = b.range.size();
    HS_CUDA_CHECK(cudaSetDevice(dev.device));
    HS_CUDA_CHECK(cudaEventSynchronize(slot.done.get()));
    float ms = 0.0f;
    HS_CUDA_CHECK(cudaEventElapsedTime(&ms, slot.start.get(), slot.stop.get()));
    run.kernel_s += ms * 1e-3;
    fold_tile_moments({slot.host_tiles.get(), segments * moment_tiles(n)}, folds);
    if (options.keep_all)
      for (unsigned p = 0; p < policies; ++p)
        for (unsigned f = 0; f < fields; ++f) {
          const double* v = slot.host_all.get() + (static_cast<std::size_t>(f) * policies + p) * n;
          run.per_path[p][f].insert(run.per_path[p][f].end(), v, v + n);
        }
    if (progress) progress(b.range.end - paths.begin, total);
  };
  // Two batches in flight per device: batch i reuses the slot of batch i − 2·devices, consumed just
  // before, while that device still runs batch i − devices.
  const std::size_t window = 2 * static_cast<std::size_t>(n_dev);
  for (std::size_t i = 0; i < plan.batches.size(); ++i) {
    if (i >= window) consume(plan.batches[i - window]);
    enqueue(plan.batches[i]);
  }
  for (std::size_t i = plan.batches.size() > window ? plan.batches.size() - window : 0; i < plan.batches.size(); ++i)
    consume(plan.batches[i]);
  std::vector<Moments> acc(segments);
  for (unsigned s = 0; s < segments; ++s) acc[s] = folds[s].total();
  for (unsigned p = 0; p < policies; ++p)
    for (unsigned f = 0; f < fields; ++f) run.fields[p][f] = acc[static_cast<std::size_t>(f) * policies + p];
  run.folds = std::move(folds);

  // Order statistics: each (field, policy) segment of all paths sorted on the first device. With
  // several devices the segment is gathered there first (peer copies, after every batch above has
  // completed); the sort makes the layout irrelevant, so the result is the same for any split.
  if (options.host_values) {
    // A rank of several: its P&L and cost go to the host for the ranks' distributed summary.
    run.pnl_values.resize(policies);
    run.cost_values.resize(policies);
    for (unsigned f = 0; f < 2; ++f)
      for (unsigned p = 0; p < policies; ++p) {
        std::vector<double>& dst = f == 0 ? run.pnl_values[p] : run.cost_values[p];
        dst.resize(total);
        std::uint64_t offset = 0;
        for (const auto& dev : devices) {
          HS_CUDA_CHECK(cudaSetDevice(dev->device));
          if (dev->capacity > 0)
            HS_CUDA_CHECK(cudaMemcpy(dst.data() + offset,
                                     dev->resident.get() + (static_cast<std::size_t>(f) * policies + p) * dev->capacity,
                                     dev->capacity * sizeof(double), cudaMemcpyDeviceToHost));
          offset += dev->capacity;
        }
      }
    return run;
  }
  DeviceState& first = *devices[0];
  HS_CUDA_CHECK(cudaSetDevice(first.device));
  const cudaStream_t s = first.slots[0]->stream.get();
  cuda::SortedSummarizer summarizer(total);
  DeviceBuffer<double> gathered(n_dev > 1 ? total : 0);
  run.pnl.resize(policies);
  run.cost.resize(policies);
  run.pnl_histogram.resize(policies);
  for (unsigned f = 0; f < 2; ++f)
    for (unsigned p = 0; p < policies; ++p) {
      const std::size_t segment = static_cast<std::size_t>(f) * policies + p;
      const double* values = first.resident.get() + segment * first.capacity;
      if (n_dev > 1) {
        std::uint64_t offset = 0;
        for (const auto& dev : devices) {
          if (dev->capacity > 0)
            HS_CUDA_CHECK(cudaMemcpyPeerAsync(gathered.get() + offset, first.device,
                                              dev->resident.get() + segment * dev->capacity, dev->device,
                                              dev->capacity * sizeof(double), s));
          offset += dev->capacity;
        }
        values = gathered.get();
      }
      const bool pnl = f == 0;
      cuda::SortedSummarizer::Result r =
          summarizer.summarize(values, total, acc[segment], levels, pnl ? options.histogram_bins : 0, s);
      if (pnl) {
        run.pnl[p] = std::move(r.summary);
        run.pnl_histogram[p] = std::move(r.histogram);
      } else {
        run.cost[p] = std::move(r.summary);
      }
    }
  return run;
}

}  // namespace hedgesim
