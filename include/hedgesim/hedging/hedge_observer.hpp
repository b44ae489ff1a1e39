#pragma once
// The hedging of a tile of L paths (L = 1 on the GPU, a CPU tile of 32 on the host): an observer of
// the path engine (engine/path.hpp) that, at every step, settles expiring options, accrues interest,
// hedge P&L and funding, and lets every policy decide its trade against the same prices — common
// random numbers across policies by construction. State is laid out per policy as lanes (one value
// per path), and every loop over paths is branch-free, so the host compiler steps the tile's paths in
// SIMD lanes; a path's numbers do not depend on its lane or on L.
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

/// One policy's accounts on the tile's L paths.
template <unsigned L>
struct PolicyLanes {
  double hedge[L];  ///< position in the hedge instrument, coins
  double cash[L];
  double fees[L], fixed[L], funding[L], gas[L], slippage[L], turnover[L], max_error[L];
  std::int64_t trades[L];  ///< integer lanes: a trade adds its 0/1 mask without a conversion
  double failures[L];
  double last_trade_step[L], last_trade_spot[L], traded[L];  ///< traded: 0 or 1
};

template <class T, unsigned L>
struct HedgeTile {
  const HedgeParams& hp;
  double* out;           ///< results base: out[(field·n_policies + policy)·stride + row]
  std::uint64_t stride;  ///< rows per field and policy (the batch size)
  std::uint64_t row0;    ///< lane 0's row; lane l writes row0 + l
  std::uint64_t seed;
  std::uint64_t path0;   ///< lane 0's path; lane l is path0 + l
  unsigned valid;        ///< lanes [0, valid) are real paths; the rest are never written out

  double spot[L], spot_prev[L];
  double log_spot[L];  ///< ln(S/S0), the path's own state
  double log_s0k[kMaxBookOptions];  ///< ln(S0/K) per option, once per tile (book_greeks)
  double book_cash[L];
  double coin[L];
  double funding_rate[L];  ///< current rate (stochastic funding moves it)
  double log_gas[L];       ///< ln of the current gas price (gwei)
  double sigma[L];         ///< hedge vol at the last decision, also to standardise returns
  double variance[L];
  double delta[L], gamma[L], target[L], gas_cost[L];
  double alt_delta[L], alt_gamma[L], alt_sigma[L];  ///< Leland's greeks
  double next[L];
  double spot_change[L], carry_unit[L];  ///< per unit of hedge over the last step: settlement, carry cost
  PolicyLanes<L> pol[kMaxPolicies];

  HS_HD HedgeTile(const HedgeParams& params, double* results, std::uint64_t rows, std::uint64_t first_row,
                  std::uint64_t run_seed, std::uint64_t first_path, unsigned valid_lanes)
      : hp(params), out(results), stride(rows), row0(first_row), seed(run_seed), path0(first_path),
        valid(valid_lanes) {}

  /// x[l], v[l]: lane l's state at t = 0.
  HS_HD void begin(const T* x, const T* v) {
    double premium_cash = 0.0, premium_coin = 0.0;
    for (unsigned i = 0; i < hp.n_options; ++i) {
      const BookOption& o = hp.options[i];
      if (o.settlement == Settlement::linear) {
        premium_cash -= o.quantity * o.premium;
      } else {
        premium_coin -= o.quantity * o.premium / hp.spot0;
      }
    }
    for (unsigned l = 0; l < L; ++l) {
      spot[l] = spot_prev[l] = hp.spot0;
      log_spot[l] = 0.0;
      book_cash[l] = premium_cash;
      coin[l] = premium_coin;
      funding_rate[l] = hp.funding_rate;
      log_gas[l] = hp.gas_log_mean;
      variance[l] = static_cast<double>(v[l]);
    }
    (void)x;  // ln(S0/S0) = 0 on every path
    log_spot0_strike(hp, log_s0k);
    for (unsigned p = 0; p < hp.n_policies; ++p) {
      PolicyLanes<L>& a = pol[p];
      for (unsigned l = 0; l < L; ++l) {
        a.hedge[l] = a.cash[l] = a.fees[l] = a.fixed[l] = a.funding[l] = a.gas[l] = a.slippage[l] = 0.0;
        a.turnover[l] = a.max_error[l] = a.failures[l] = 0.0;
        a.trades[l] = 0;
        a.last_trade_step[l] = 0.0;
        a.last_trade_spot[l] = hp.spot0;
        a.traded[l] = 0.0;
      }
    }
    decide_all(0);
  }

  /// The state x[l], v[l] of every lane after step n.
  HS_HD void after_step(std::uint32_t n, const T* x, const T* v) {
    HS_LANES
    for (unsigned l = 0; l < L; ++l) {
      log_spot[l] = static_cast<double>(x[l]);
      spot[l] = hp.spot0 * m::exp_finite(log_spot[l]);
      variance[l] = static_cast<double>(v[l]);
      book_cash[l] *= hp.growth;
    }
    accrue_hedges();
    for (unsigned i = 0; i < hp.n_options; ++i) {
      const BookOption& o = hp.options[i];
      if (o.expiry_step != n) continue;
      const double sign = o.type == OptionType::call ? 1.0 : -1.0;
      const bool linear = o.settlement == Settlement::linear;
      HS_LANES
      for (unsigned l = 0; l < L; ++l) {
        const double payoff = m::max(sign * (spot[l] - o.strike), 0.0);
        book_cash[l] += linear ? o.quantity * payoff : 0.0;
        coin[l] += linear ? 0.0 : o.quantity * payoff / spot[l];
      }
    }
    evolve_market(n);
    for (unsigned l = 0; l < L; ++l) spot_prev[l] = spot[l];
    if (n < hp.steps) {
      decide_all(n);
    } else {
      finish();
    }
  }

  /// Interest on every policy's cash, the perpetual's settlement h·ΔS and funding h·S·f·Δ (longs pay),
  /// or a spot hedge's carry −h·S·q·Δ, over the step that just ended. The per-path factors are
  /// computed once for all policies; without interest (r = 0) the growth factor is left out.
  HS_HD void accrue_hedges() {
    const bool perpetual = hp.instrument == HedgeInstrument::perpetual;
    HS_LANES
    for (unsigned l = 0; l < L; ++l) {
      spot_change[l] = perpetual ? spot[l] - spot_prev[l] : 0.0;
      carry_unit[l] = perpetual ? spot_prev[l] * funding_rate[l] * hp.dt : -spot_prev[l] * hp.dividend * hp.dt;
    }
    if (hp.growth == 1.0) {
      for (unsigned p = 0; p < hp.n_policies; ++p) accrue_policy<false>(pol[p]);
    } else {
      for (unsigned p = 0; p < hp.n_policies; ++p) accrue_policy<true>(pol[p]);
    }
  }

  template <bool kInterest>
  HS_HD void accrue_policy(PolicyLanes<L>& a) {
    HS_LANES
    for (unsigned l = 0; l < L; ++l) {
      const double h = a.hedge[l];
      const double carry_cost = h * carry_unit[l];
      const double grown = kInterest ? a.cash[l] * hp.growth : a.cash[l];
      a.cash[l] = grown + h * spot_change[l] - carry_cost;
      a.funding[l] += carry_cost;
    }
  }

  /// Funding and gas over the step that ended at n: Euler steps of their SDEs (spec.hpp), driven by
  /// the hedge stream and by the step's log return r. Funding's link to returns uses r standardised by
  /// the hedge vol, whose correlation with the price shock is ρ_f up to the vol's error.
  HS_HD void evolve_market(std::uint32_t n) {
    if (!hp.funding_stochastic && hp.gas_sigma == 0.0 && hp.gas_beta == 0.0 && hp.gas_kappa == 0.0) return;
    const double sqrt_dt = sqrt(hp.dt);
    const double rho_c = sqrt(1.0 - hp.funding_rho * hp.funding_rho);
    for (unsigned l = 0; l < L; ++l) {
      const double r = m::log_pos(spot[l] / spot_prev[l]);
      StepRng<double> rng(seed, path0 + l, n - 1, kHedgeBlock);
      const MixedBlock<double> b = rng.mixed();
      if (hp.funding_stochastic) {
        const double z_ret = sigma[l] > 0.0 ? r / (sigma[l] * sqrt_dt) : 0.0;
        const double shock = hp.funding_rho * z_ret + rho_c * b.z1;
        funding_rate[l] += hp.funding_kappa * (hp.funding_rate - funding_rate[l]) * hp.dt + hp.funding_sigma * sqrt_dt * shock;
      }
      const double expected_abs_return = sigma[l] * sqrt_dt * 0.7978845608028654;  // σ√(2Δ/π)
      log_gas[l] += hp.gas_kappa * (hp.gas_log_mean - log_gas[l]) * hp.dt + hp.gas_sigma * sqrt_dt * b.z0 +
                    hp.gas_beta * (m::fabs(r) - expected_abs_return);
    }
  }

  /// Uniform for policy p's rebalance attempt at step n on lane l (execution failure).
  HS_HD double failure_uniform(std::uint32_t n, unsigned p, unsigned l) const {
    StepRng<double> rng(seed, path0 + l, n, kHedgeBlock + 1 + p / 4);
    double u[4];
    rng.uniforms4(u);
    return u[p % 4];
  }

  /// Leland (1985): hedge at σ̃² = σ² ± √(2/π)·k·σ/√Δt, k the round-trip proportional cost, + for a
  /// book short gamma; floored at 0 (a long book with costs beyond Leland's bound hedges at zero vol).
  HS_HD double leland_vol(double sig, const PolicyParams& p) const {
    const double k = 2.0 * hp.fee_rate;
    const double adj = sig * sig + hp.leland_sign * 0.7978845608028654 * k * sig / p.leland_sqrt_dt;
    return sqrt(m::max(adj, 0.0));
  }

  HS_HD void decide_all(std::uint32_t n) {
    // implied: the fixed vol; instantaneous and model: the path's (model deltas read the table at v).
    const bool implied = hp.delta == DeltaSource::implied;
    HS_LANES
    for (unsigned l = 0; l < L; ++l) sigma[l] = implied ? hp.implied_vol : sqrt(m::max(variance[l], 0.0));
    book_greeks<T, L>(hp, n, spot, log_spot, log_s0k, sigma, implied, variance, delta, gamma);
    const double tau_last = book_tau_last(hp, n);
    const double discount_last = hp.rate == 0.0 ? 1.0 : m::exp_finite(-hp.rate * tau_last);
    const bool gas = hp.gas_units > 0.0;
    HS_LANES
    for (unsigned l = 0; l < L; ++l) target[l] = -(delta[l] + coin[l]);
    if (gas) {  // the exponential only for jobs with gas
      HS_LANES
      for (unsigned l = 0; l < L; ++l) {
        const double eth = hp.gas_eth_price > 0.0 ? hp.gas_eth_price : spot[l];
        gas_cost[l] = hp.gas_units * m::exp_finite(log_gas[l]) * 1e-9 * eth;
      }
    } else {
      for (unsigned l = 0; l < L; ++l) gas_cost[l] = 0.0;
    }
    const bool costs = hp.slippage != SlippageModel::none || hp.failure_probability > 0.0;
    for (unsigned p = 0; p < hp.n_policies; ++p) {
      const PolicyParams& pp = hp.policies[p];
      const double* tgt = target;
      if (pp.leland) {
        HS_LANES
        for (unsigned l = 0; l < L; ++l) alt_sigma[l] = leland_vol(sigma[l], pp);
        book_greeks<T, L>(hp, n, spot, log_spot, log_s0k, alt_sigma, implied, variance, alt_delta, alt_gamma);
        HS_LANES
        for (unsigned l = 0; l < L; ++l) alt_delta[l] = -(alt_delta[l] + coin[l]);
        tgt = alt_delta;
      }
      PolicyLanes<L>& a = pol[p];
      std::uint64_t any = 0;  // 64-bit like the lanes' doubles, so the OR reduction vectorises
      visit_rule(pp.type, [&](auto rule) {
        HS_LANES
        for (unsigned l = 0; l < L; ++l) {
          a.max_error[l] = m::max(a.max_error[l], m::fabs(a.hedge[l] - tgt[l]));
          const DecisionContext ctx{n,  spot[l], tgt[l], gamma[l], tau_last, discount_last, &hp, variance[l],
                                    log_gas[l] - hp.gas_log_mean};
          const PolicyState st{a.hedge[l], a.last_trade_step[l], a.last_trade_spot[l], a.traded[l]};
          next[l] = decltype(rule)::decide(pp, ctx, st);
          any |= next[l] != a.hedge[l] ? 1u : 0u;
        }
        if (any == 0) return;
        constexpr bool kTrack = reads_last_trade<decltype(rule)>();
        if (costs) {
          for (unsigned l = 0; l < L; ++l) trade_with_impact(a, p, l, n);
        } else if (gas || hp.fixed_cost != 0.0 || hp.instrument == HedgeInstrument::spot) {
          HS_LANES
          for (unsigned l = 0; l < L; ++l) trade<true, kTrack>(a, l, n);
        } else {
          HS_LANES
          for (unsigned l = 0; l < L; ++l) trade<false, kTrack>(a, l, n);
        }
      });
    }
  }

  /// Lane l's rebalance to next[l] when it differs from the position, without slippage or failures:
  /// gas per attempt, the proportional fee and the fixed cost; a lane that does not trade adds zeros.
  /// kCharges = false leaves out gas, the fixed cost and a spot hedge's cash (all zero for the job);
  /// kTrack = false leaves out the last trade's step and spot, which only some rules read.
  template <bool kCharges, bool kTrack>
  HS_HD void trade(PolicyLanes<L>& a, unsigned l, std::uint32_t n) {
    const bool attempt = next[l] != a.hedge[l];
    const double traded = next[l] - a.hedge[l];
    const double notional = m::fabs(traded) * spot[l];
    const double fee = hp.fee_rate * notional;
    if (kCharges) {
      const double g = attempt ? gas_cost[l] : 0.0;
      const double fixed = attempt ? hp.fixed_cost : 0.0;
      a.cash[l] -= g;
      a.gas[l] += g;
      a.cash[l] -= fee + fixed + 0.0;
      a.cash[l] -= hp.instrument == HedgeInstrument::spot ? traded * spot[l] : 0.0;
      a.fixed[l] += fixed;
    } else {
      a.cash[l] -= fee + 0.0 + 0.0;
    }
    a.fees[l] += fee;
    a.turnover[l] += notional;
    a.trades[l] += attempt;
    a.hedge[l] = next[l];
    if (kTrack) {
      a.last_trade_step[l] = attempt ? static_cast<double>(n) : a.last_trade_step[l];
      a.last_trade_spot[l] = attempt ? spot[l] : a.last_trade_spot[l];
      a.traded[l] = attempt ? 1.0 : a.traded[l];
    }
  }

  /// The same with slippage and execution failures: every attempt pays gas; it fails with the
  /// configured probability, or when an AMM pool cannot fill it, leaving the position unchanged.
  HS_HD void trade_with_impact(PolicyLanes<L>& a, unsigned p, unsigned l, std::uint32_t n) {
    if (next[l] == a.hedge[l]) return;
    const double traded = next[l] - a.hedge[l];
    a.cash[l] -= gas_cost[l];
    a.gas[l] += gas_cost[l];
    const double impact = slippage_cost(hp, traded, spot[l]);
    if (impact < 0.0 || (hp.failure_probability > 0.0 && failure_uniform(n, p, l) < hp.failure_probability)) {
      a.failures[l] += 1.0;
      return;
    }
    const double notional = m::fabs(traded) * spot[l];
    const double fee = hp.fee_rate * notional;
    a.cash[l] -= fee + hp.fixed_cost + impact;
    if (hp.instrument == HedgeInstrument::spot) a.cash[l] -= traded * spot[l];
    a.fees[l] += fee;
    a.fixed[l] += hp.fixed_cost;
    a.slippage[l] += impact;
    a.turnover[l] += notional;
    a.trades[l] += 1;
    a.hedge[l] = next[l];
    a.last_trade_step[l] = static_cast<double>(n);
    a.last_trade_spot[l] = spot[l];
    a.traded[l] = 1.0;
  }

  /// P&L at the horizon = book cash + coin·S_T + policy cash (+ h·S_T for spot), and the other fields.
  HS_HD void finish() {
    const std::uint64_t block = stride * hp.n_policies;
    const bool spot_hedge = hp.instrument == HedgeInstrument::spot;
    for (unsigned p = 0; p < hp.n_policies; ++p) {
      const PolicyLanes<L>& a = pol[p];
      for (unsigned l = 0; l < valid; ++l) {
        const double hedge_value = spot_hedge ? a.hedge[l] * spot[l] : 0.0;
        const double values[kPathFields] = {book_cash[l] + coin[l] * spot[l] + a.cash[l] + hedge_value,
                                            a.fees[l] + a.fixed[l] + a.gas[l] + a.slippage[l] + a.funding[l],
                                            a.fees[l],
                                            a.fixed[l],
                                            a.gas[l],
                                            a.slippage[l],
                                            a.funding[l],
                                            static_cast<double>(a.trades[l]),
                                            a.failures[l],
                                            a.turnover[l],
                                            a.max_error[l]};
        for (unsigned f = 0; f < kPathFields; ++f) out[f * block + p * stride + row0 + l] = values[f];
      }
    }
  }
};

/// One path's hedging, as simulate_path's observer (the GPU: one path per thread).
template <class T>
struct HedgeObserver {
  HedgeTile<T, 1> tile;
  HS_HD HedgeObserver(const HedgeParams& params, double* results, std::uint64_t rows, std::uint64_t path_row,
                      std::uint64_t run_seed, std::uint64_t path_index)
      : tile(params, results, rows, path_row, run_seed, path_index, 1) {}
  HS_HD void begin(const PathState<T>& s) { tile.begin(&s.x, &s.v); }
  HS_HD void after_step(std::uint32_t n, const PathState<T>& s) { tile.after_step(n, &s.x, &s.v); }
};

}  // namespace hedgesim
