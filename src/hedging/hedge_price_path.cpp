// A historical path fed to HedgeObserver as the path engine feeds a simulated one: begin() at the
// window's first price, after_step(n) with x = ln(S_n/S_0). Historical funding and gas enter through
// the observer's current-rate lanes (a one-path tile), `funding_rate` (read by the carry of step n
// inside after_step(n)) and `log_gas` (read by the decisions after step n), set just before each
// step; with the stochastic parameters zeroed the observer never moves them itself.
#include "hedgesim/hedging/hedge_price_path.hpp"

#include <cmath>

#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/hedge_observer.hpp"

namespace hedgesim {

namespace {

template <TileKind K>
void hedge_one_path(const HedgeParams& local, std::span<const double> spot, std::span<const double> variance,
                    std::span<const double> funding, std::span<const double> gas, std::uint64_t seed,
                    std::uint64_t path, double* out, std::uint64_t stride, std::uint64_t row) {
  HedgeObserver<double, K> obs(local, out, stride, row, seed, path);
  obs.begin(PathState<double>{0.0, variance[0]});
  for (std::uint32_t n = 1; n <= local.steps; ++n) {
    if (!funding.empty()) obs.tile.market.funding_rate[0] = funding[n - 1];
    if (!gas.empty() && n < local.steps) obs.tile.market.log_gas[0] = std::log(gas[n]);
    obs.after_step(n, PathState<double>{std::log(spot[n] / local.spot0), variance[n]});
  }
}

}  // namespace

void hedge_price_path(const HedgeParams& hp, std::span<const double> spot, std::span<const double> variance,
                      std::span<const double> funding, std::span<const double> gas, std::uint64_t seed,
                      std::uint64_t path, double* out, std::uint64_t stride, std::uint64_t row) {
  const std::size_t steps = hp.steps;
  if (spot.size() != steps + 1 || variance.size() != steps + 1 || (!funding.empty() && funding.size() != steps) ||
      (!gas.empty() && gas.size() != steps))
    throw RuntimeFailure("hedge_price_path: series lengths do not match the window's steps");
  HedgeParams local = hp;
  local.funding_stochastic = false;
  local.gas_kappa = local.gas_sigma = local.gas_beta = 0.0;
  if (!gas.empty()) local.gas_log_mean = std::log(gas[0]);
  with_tile_kind(local, [&](auto kind) {
    hedge_one_path<decltype(kind)::value>(local, spot, variance, funding, gas, seed, path, out, stride, row);
  });
}

}  // namespace hedgesim
