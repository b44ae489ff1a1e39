#pragma once
// The hedging of one path: an observer of the path engine (engine/path.hpp) that, at every step,
// settles expiring options, accrues interest, hedge P&L and funding, and lets every policy decide its
// trade against the same prices — common random numbers across policies by construction.
//
// Accounting, per path, in USD (DESIGN.md §3), in double whatever the path precision:
//  - the book's cash: premiums at t = 0 (−q·premium) and linear payoffs at expiry, earning e^{rΔ};
//  - coin held for inverse options: premiums are received in coin (−q·premium/S0) and payoffs paid in
//    coin (q·payoff/S_T); the hedge offsets this coin exposure along with the book delta, so a policy's
//    target position is −(book delta + coin held);
//  - per policy: the hedge position h (coins), its cash with interest, and costs. A perpetual hedge
//    settles h·ΔS each step and pays funding h·S·f·Δ (longs pay); a spot hedge pays h·S in cash for
//    coins bought and earns the carry h·S·q·Δ (reported under funding, negative = received).
//  - every rebalance attempt pays gas (on-chain hedging); it fails with the configured probability (or
//    when an AMM pool cannot fill it), leaving the position unchanged until the policy's next decision;
//    an executed trade pays the proportional fee, the fixed cost and slippage.
//  - P&L at the horizon = book cash + coin·S_T + policy cash (+ h·S_T for spot).
// Random numbers of the hedge (gas, funding, failures) come from blocks of the step's stream far past
// the model's (kHedgeBlock on), so adding costs never changes a path's prices.
#include <cstdint>

#include "hedgesim/hd.hpp"
#include "hedgesim/hedging/book_greeks.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/hedging/policy.hpp"
#include "hedgesim/models/path_state.hpp"
#include "hedgesim/rng/philox.hpp"

namespace hedgesim {

constexpr std::uint32_t kHedgeBlock = 0x40000000u;

/// Price impact of trading `coins` at `spot` (SlippageSpec in spec.hpp); negative when it cannot fill.
HS_HD double slippage_cost(const HedgeParams& hp, double coins, double spot) {
  const double notional = m::fabs(coins) * spot;
  switch (hp.slippage) {
    case SlippageModel::none:
      return 0.0;
    case SlippageModel::linear:
      return notional * hp.slippage_coefficient * notional * 1e-6;
    case SlippageModel::sqrt:
      return hp.slippage_coefficient * notional * sqrt(notional / hp.slippage_depth);
    case SlippageModel::amm: {
      const double reserve = hp.slippage_depth / spot;
      if (coins >= reserve) return -1.0;
      return notional * m::fabs(coins) / (reserve - coins);
    }
  }
  return 0.0;
}

template <class T>
struct HedgeObserver {
  const HedgeParams& hp;
  double* out;           ///< results base: out[(field·n_policies + policy)·stride + row]
  std::uint64_t stride;  ///< rows per field and policy (the batch size)
  std::uint64_t row;     ///< this path's row
  std::uint64_t seed;
  std::uint64_t path;

  double spot_prev = 0.0;
  double book_cash = 0.0;
  double coin = 0.0;
  double funding_rate = 0.0;  ///< current rate (stochastic funding moves it)
  double log_gas = 0.0;       ///< ln of the current gas price (gwei)
  double sigma_prev = 0.0;    ///< hedge vol at the last decision, to standardise returns
  PolicyState state[kMaxPolicies];
  double cash[kMaxPolicies];
  double fees[kMaxPolicies];
  double fixed[kMaxPolicies];
  double funding[kMaxPolicies];
  double gas[kMaxPolicies];
  double slippage[kMaxPolicies];
  double turnover[kMaxPolicies];
  double max_error[kMaxPolicies];
  std::uint32_t trades[kMaxPolicies];
  std::uint32_t failures[kMaxPolicies];

  /// Per-policy arrays are set in begin(), for the policies the job has.
  HS_HD HedgeObserver(const HedgeParams& params, double* results, std::uint64_t rows, std::uint64_t path_row,
                      std::uint64_t run_seed, std::uint64_t path_index)
      : hp(params), out(results), stride(rows), row(path_row), seed(run_seed), path(path_index) {}

  HS_HD void begin(const PathState<T>& s) {
    spot_prev = hp.spot0;
    funding_rate = hp.funding_rate;
    log_gas = hp.gas_log_mean;
    for (unsigned i = 0; i < hp.n_options; ++i) {
      const BookOption& o = hp.options[i];
      if (o.settlement == Settlement::linear) {
        book_cash -= o.quantity * o.premium;
      } else {
        coin -= o.quantity * o.premium / hp.spot0;
      }
    }
    for (unsigned p = 0; p < hp.n_policies; ++p) {
      state[p] = {0.0, 0u, hp.spot0, false};
      cash[p] = fees[p] = fixed[p] = funding[p] = gas[p] = slippage[p] = turnover[p] = max_error[p] = 0.0;
      trades[p] = failures[p] = 0;
    }
    decide_all(0, hp.spot0, static_cast<double>(s.v));
  }

  HS_HD void after_step(std::uint32_t n, const PathState<T>& s) {
    const double spot = hp.spot0 * exp(static_cast<double>(s.x));
    book_cash *= hp.growth;
    for (unsigned p = 0; p < hp.n_policies; ++p) {
      const double h = state[p].hedge;
      cash[p] *= hp.growth;
      double carry_cost;
      if (hp.instrument == HedgeInstrument::perpetual) {
        cash[p] += h * (spot - spot_prev);
        carry_cost = h * spot_prev * funding_rate * hp.dt;
      } else {
        carry_cost = -h * spot_prev * hp.dividend * hp.dt;
      }
      cash[p] -= carry_cost;
      funding[p] += carry_cost;
    }
    for (unsigned i = 0; i < hp.n_options; ++i) {
      const BookOption& o = hp.options[i];
      if (o.expiry_step != n) continue;
      const double payoff = m::max(o.type == OptionType::call ? spot - o.strike : o.strike - spot, 0.0);
      if (o.settlement == Settlement::linear) {
        book_cash += o.quantity * payoff;
      } else {
        coin += o.quantity * payoff / spot;
      }
    }
    evolve_market(n, spot);
    spot_prev = spot;
    if (n < hp.steps) {
      decide_all(n, spot, static_cast<double>(s.v));
    } else {
      finish(spot);
    }
  }

  /// Funding and gas over the step that ended at n: Euler steps of their SDEs (spec.hpp), driven by
  /// the hedge stream and by the step's log return r. Funding's link to returns uses r standardised by
  /// the hedge vol, whose correlation with the price shock is ρ_f up to the vol's error.
  HS_HD void evolve_market(std::uint32_t n, double spot) {
    if (!hp.funding_stochastic && hp.gas_sigma == 0.0 && hp.gas_beta == 0.0 && hp.gas_kappa == 0.0) return;
    const double r = log(spot / spot_prev);
    StepRng<double> rng(seed, path, n - 1, kHedgeBlock);
    const MixedBlock<double> b = rng.mixed();
    const double sqrt_dt = sqrt(hp.dt);
    if (hp.funding_stochastic) {
      const double z_ret = sigma_prev > 0.0 ? r / (sigma_prev * sqrt_dt) : 0.0;
      const double shock = hp.funding_rho * z_ret + sqrt(1.0 - hp.funding_rho * hp.funding_rho) * b.z1;
      funding_rate += hp.funding_kappa * (hp.funding_rate - funding_rate) * hp.dt + hp.funding_sigma * sqrt_dt * shock;
    }
    const double expected_abs_return = sigma_prev * sqrt_dt * 0.7978845608028654;  // σ√(2Δ/π)
    log_gas += hp.gas_kappa * (hp.gas_log_mean - log_gas) * hp.dt + hp.gas_sigma * sqrt_dt * b.z0 +
               hp.gas_beta * (m::fabs(r) - expected_abs_return);
  }

  /// Uniform for policy p's rebalance attempt at step n (execution failure).
  HS_HD double failure_uniform(std::uint32_t n, unsigned p) const {
    StepRng<double> rng(seed, path, n, kHedgeBlock + 1 + p / 4);
    double u[4];
    rng.uniforms4(u);
    return u[p % 4];
  }

  /// Leland (1985): hedge at σ̃² = σ² ± √(2/π)·k·σ/√Δt, k the round-trip proportional cost, + for a
  /// book short gamma; floored at 0 (a long book with costs beyond Leland's bound hedges at zero vol).
  HS_HD double leland_vol(double sigma, const PolicyParams& p) const {
    const double k = 2.0 * hp.fee_rate;
    const double adj = sigma * sigma + hp.leland_sign * 0.7978845608028654 * k * sigma / p.leland_sqrt_dt;
    return sqrt(m::max(adj, 0.0));
  }

  HS_HD void decide_all(std::uint32_t n, double spot, double variance) {
    // implied: the fixed vol; instantaneous and model: the path's (model deltas read the table at v).
    const double sigma = hp.delta == DeltaSource::implied ? hp.implied_vol : sqrt(m::max(variance, 0.0));
    sigma_prev = sigma;
    const BookGreeks g = book_greeks(hp, n, spot, sigma, variance);
    const double gas_cost = hp.gas_units > 0.0
                                ? hp.gas_units * exp(log_gas) * 1e-9 * (hp.gas_eth_price > 0.0 ? hp.gas_eth_price : spot)
                                : 0.0;
    const double base_target = -(g.delta + coin);
    for (unsigned p = 0; p < hp.n_policies; ++p) {
      const PolicyParams& pp = hp.policies[p];
      const double target =
          pp.leland ? -(book_greeks(hp, n, spot, leland_vol(sigma, pp), variance).delta + coin) : base_target;
      PolicyState& st = state[p];
      max_error[p] = m::max(max_error[p], m::fabs(st.hedge - target));
      const DecisionContext ctx{n, spot, target, g.gamma, g.tau_last, &hp, variance, log_gas - hp.gas_log_mean};
      const double next = decide(pp, ctx, st);
      if (next == st.hedge) continue;
      const double traded = next - st.hedge;
      cash[p] -= gas_cost;
      gas[p] += gas_cost;
      const double impact = slippage_cost(hp, traded, spot);
      if (impact < 0.0 || (hp.failure_probability > 0.0 && failure_uniform(n, p) < hp.failure_probability)) {
        ++failures[p];
        continue;
      }
      const double notional = m::fabs(traded) * spot;
      const double fee = hp.fee_rate * notional;
      cash[p] -= fee + hp.fixed_cost + impact;
      if (hp.instrument == HedgeInstrument::spot) cash[p] -= traded * spot;
      fees[p] += fee;
      fixed[p] += hp.fixed_cost;
      slippage[p] += impact;
      turnover[p] += notional;
      ++trades[p];
      st = {next, n, spot, true};
    }
  }

  HS_HD void finish(double spot) {
    const std::uint64_t block = stride * hp.n_policies;
    for (unsigned p = 0; p < hp.n_policies; ++p) {
      const double hedge_value = hp.instrument == HedgeInstrument::spot ? state[p].hedge * spot : 0.0;
      const double values[kPathFields] = {book_cash + coin * spot + cash[p] + hedge_value,
                                          fees[p] + fixed[p] + gas[p] + slippage[p] + funding[p],
                                          fees[p],
                                          fixed[p],
                                          gas[p],
                                          slippage[p],
                                          funding[p],
                                          static_cast<double>(trades[p]),
                                          static_cast<double>(failures[p]),
                                          turnover[p],
                                          max_error[p]};
      for (unsigned f = 0; f < kPathFields; ++f) out[f * block + p * stride + row] = values[f];
    }
  }
};

}  // namespace hedgesim
