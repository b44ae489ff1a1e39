#pragma once
// Host construction of the model delta table read by table_greeks (delta_table.hpp, where the axes
// and the buffer layout are described). One table serves the whole book: delta depends on the strike
// only through ln(S/K) and on the expiry only through the time left.
#include <cstdint>
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

/// Grid sizes. With the defaults the table's delta is within about 5e-4 of the closed form's (mean
/// about 3e-5) for heston, bates and svcj, and a build takes about 0.3–0.6 s of CPU time whatever the
/// book (tests/test_delta_table.cpp). The error is mostly the linear interpolation in variance:
/// 16 variance nodes double it, 32 time slices or 48 spot nodes instead of more change it little.
struct DeltaTableResolution {
  unsigned time_slices = 32;     ///< at most; fewer when the last expiry is fewer steps away
  unsigned variance_nodes = 24;  ///< ≥ 2
  unsigned spot_nodes = 48;      ///< ≥ 4
  double z_max = 8.0;            ///< spot axis half-width in standard deviations of the time left
  double variance_max = 0.0;     ///< 0: max(5θ', 3·v0), θ' the long-run variance with variance jumps
  double sigma_knee = 0.03;      ///< σ₀ of the variance axis as a fraction of √variance_max
};

class DeltaTable {
 public:
  /// Builds the table for `options` under `model`'s risk-neutral dynamics (heston, bates, svcj; gbm
  /// gives Black–Scholes at model.vol), `dt` years per step. Throws InputError for invalid input.
  DeltaTable(const ModelParams& model, std::span<const DeltaTableOption> options, double dt,
             const DeltaTableResolution& resolution = {});
  /// The book and step of a hedging run.
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

 private:
  std::vector<double> buffer_;
  DeltaTableView view_;
};

}  // namespace hedgesim
