#pragma once
// Host construction of the model table read by table_greeks and table_marks (delta_table.hpp, where
// the axes and the buffer layout are described). One table serves the whole book: delta depends on the
// strike only through ln(S/K) and on the expiry only through the time left.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "hedgesim/hedging/delta_table.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

/// The book as the table needs it.
struct DeltaTableOption {
  OptionType type = OptionType::call;
  double strike = 0.0;
  std::uint32_t expiry_step = 0;  ///< ≥ 1
};

/// Grid sizes. With the defaults, the table's delta is within about 5e-4 of the closed form's (mean
/// 4e-6 to 3e-5) for heston, bates and svcj, jump tails included, up to 8e-4 for a strongly
/// Feller-violating Bates; a build takes 0.2–0.6 s of CPU time (spread over all threads) for a 30-day
/// hourly book, 0.8–1.9 s for a year (tests/test_delta_table.cpp). The error is mostly the linear
/// interpolation in variance and time.
struct DeltaTableResolution {
  unsigned time_slices = 64;     ///< at most; fewer when sqrt_step allows, or when the last expiry is
                                 ///< fewer steps away
  double sqrt_step = 0.8;        ///< largest Δ√n between slices (n: steps to expiry)
  unsigned variance_nodes = 24;  ///< ≥ 2
  unsigned spot_nodes = 64;      ///< ≥ 4
  double z_core = 6.0;           ///< spot axis uniform in z (d₁) on [−z_core, z_core]
  double zeta_max = 9.0;         ///< then geometric out to the reach of diffusion and jumps
  double max_reach = 300.0;      ///< cap on that reach, in z units
  double variance_max = 0.0;     ///< 0: max(5θ', 3·v0), θ' the long-run variance with variance jumps
  double sigma_knee = 0.03;      ///< σ₀ of the variance axis as a fraction of √variance_max
};

/// What a table holds: the deltas (hedge.delta: model), or also the marks' price, vega and theta
/// (hedge.marks: model; about ten times the build time, 4× the memory).
enum class TableContents { deltas, deltas_and_marks };

class DeltaTable {
 public:
  /// Builds the table for `options` under `model`'s risk-neutral dynamics (heston, bates, svcj; gbm
  /// gives Black–Scholes at model.vol), `dt` years per step. Throws InputError for invalid input.
  DeltaTable(const ModelParams& model, std::span<const DeltaTableOption> options, double dt,
             const DeltaTableResolution& resolution = {}, TableContents contents = TableContents::deltas);
  /// The book and step of a hedging run, with marks when hedge.marks = model (hp.marks); the hedge options
  /// then follow the book's options (option n_options + i is hedge option i).
  DeltaTable(const ModelParams& model, const HedgeParams& hedge, const DeltaTableResolution& resolution = {});

  /// A view of the host buffer.
  DeltaTableView view() const { return view(buffer_.data()); }
  /// A view of a copy of buffer() elsewhere, e.g. in device memory.
  DeltaTableView view(const double* data) const {
    DeltaTableView v = view_;
    v.data = data;
    return v;
  }
  /// The whole table, to copy to a device.
  std::span<const double> buffer() const { return buffer_; }
  /// Top of the variance axis.
  double variance_max() const;
  bool has_marks() const { return view_.marks_offset != 0; }

 private:
  std::vector<double> buffer_;
  DeltaTableView view_;
};

/// The table a hedging run of `spec` reads, if any: hedge.delta = model or hedge.marks = model under
/// heston, bates or svcj (gbm's model deltas and marks are Black–Scholes at model.vol: no table).
/// Points hp.table at it, and sets hp.model_deltas when the hedge reads its deltas; the table's buffer
/// does not move with the returned object, so hp stays valid while it lives.
std::optional<DeltaTable> attach_model_table(const RunSpec& spec, HedgeParams& hp);

}  // namespace hedgesim
