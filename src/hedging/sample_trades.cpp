// Rebalance times on the sample paths (hedging/sample_trades.hpp).
#include "hedgesim/hedging/sample_trades.hpp"

#include "hedgesim/engine/path.hpp"
#include "hedgesim/hedging/hedge_observer.hpp"
#include "hedgesim/models/model.hpp"

namespace hedgesim {
namespace {

/// HedgeObserver that notes, after each decision time, which policies' trade counts went up.
template <class T, TileKind K>
struct TradeRecorder : HedgeObserver<T, K> {
  using Base = HedgeObserver<T, K>;
  std::uint32_t* flags;  ///< [policy · stride + step]
  std::uint64_t stride;
  double* greeks[3];  ///< kind pool: the path's rows of pool_delta, pool_gamma and pool_vega
  std::int64_t seen[kMaxPolicies] = {};

  TradeRecorder(const HedgeParams& hp, double* results, std::uint64_t seed, std::uint64_t path, std::uint32_t* f,
                std::uint64_t policy_stride, double* delta, double* gamma, double* vega)
      : Base(hp, results, 1, 0, seed, path), flags(f), stride(policy_stride), greeks{delta, gamma, vega} {}

  void begin(const PathState<T>& s) {
    Base::begin(s);
    note(0);
  }
  void after_step(std::uint32_t n, const PathState<T>& s) {
    Base::after_step(n, s);
    note(n);  // the horizon too: a trade there is hedge.unwind_at_expiry's close
  }
  void note(std::uint32_t n) {
    for (unsigned p = 0; p < this->tile.market.hp.n_policies; ++p) {
      const std::int64_t trades = this->tile.policies.pol[p].trades[0];
      if (trades != seen[p]) {
        flags[p * stride + n] = 1;
        seen[p] = trades;
      }
    }
    if constexpr (K == TileKind::pool) {
      const auto& pool = this->tile.pool;
      const bool open = n < this->tile.market.hp.steps;
      greeks[0][n] = open ? pool.delta[0] : 0.0;
      greeks[1][n] = open ? pool.gamma[0] : 0.0;
      greeks[2][n] = open ? 0.01 * pool.vega[0] : 0.0;
    }
  }
};

template <class T, TileKind K>
void record(const SimulationJob& job, const HedgeParams& hp, SampleTrades& out) {
  std::vector<double> results(static_cast<std::size_t>(kPathFields) * hp.n_policies);
  const std::uint64_t per_policy = out.count * out.points;
  visit_model<T>(job.model, job.measure, job.dt_years, [&](const auto& model) {
    const bool pool = K == TileKind::pool;
    for (std::uint64_t path = 0; path < out.count; ++path) {
      const std::size_t row = path * out.points;
      const auto at = [&](std::vector<double>& g) { return pool ? g.data() + row : nullptr; };
      TradeRecorder<T, K> rec(hp, results.data(), job.seed, path, out.executed.data() + row, per_policy,
                              at(out.pool_delta), at(out.pool_gamma), at(out.pool_vega));
      simulate_path<T>(model, job.steps, job.seed, path, rec);
    }
  });
}

}  // namespace

SampleTrades cpu_sample_trades(const SimulationJob& job, const HedgeParams& hedge, std::uint64_t count) {
  SampleTrades out;
  out.count = count;
  out.policies = hedge.n_policies;
  out.points = job.steps + 1;
  out.executed.assign(static_cast<std::size_t>(out.policies) * count * out.points, 0u);
  if (has_order_flow(hedge)) {
    for (std::vector<double>* g : {&out.pool_delta, &out.pool_gamma, &out.pool_vega})
      g->assign(count * out.points, 0.0);
  }
  if (count == 0 || out.policies == 0) return out;
  with_tile_kind(hedge, [&](auto kind) {
    if (job.precision == Precision::float32) {
      record<float, decltype(kind)::value>(job, hedge, out);
    } else {
      record<double, decltype(kind)::value>(job, hedge, out);
    }
  });
  return out;
}

}  // namespace hedgesim
