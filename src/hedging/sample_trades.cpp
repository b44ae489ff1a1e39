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
  std::int64_t seen[kMaxPolicies] = {};

  TradeRecorder(const HedgeParams& hp, double* results, std::uint64_t seed, std::uint64_t path, std::uint32_t* f,
                std::uint64_t policy_stride)
      : Base(hp, results, 1, 0, seed, path), flags(f), stride(policy_stride) {}

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
  }
};

template <class T, TileKind K>
void record(const SimulationJob& job, const HedgeParams& hp, SampleTrades& out) {
  std::vector<double> results(static_cast<std::size_t>(kPathFields) * hp.n_policies);
  const std::uint64_t per_policy = out.count * out.points;
  visit_model<T>(job.model, job.measure, job.dt_years, [&](const auto& model) {
    for (std::uint64_t path = 0; path < out.count; ++path) {
      TradeRecorder<T, K> rec(hp, results.data(), job.seed, path, out.executed.data() + path * out.points, per_policy);
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
