#pragma once
// The hedging of a tile of L paths (L = 1 on the GPU, a CPU tile of 32 on the host): an observer of
// the path engine (engine/path.hpp) that, at every step, settles expiring options, accrues interest,
// hedge P&L and funding, and lets every policy decide its trade against the same prices — common
// random numbers across policies by construction. State is laid out per policy as lanes (one value
// per path), and every loop over paths is branch-free, so the host compiler steps the tile's paths in
// SIMD lanes; a path's numbers do not depend on its lane or on L.
//
// Accounting, per path, in USD (docs/architecture.md, "Conventions"), in double whatever the path precision:
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
//  - P&L at the horizon = book cash + coin·S_T + policy cash (+ h·S_T for spot). Options of the book
//    that expire after the horizon are closed there at their marks (close_book), into the book's cash.
// Random numbers of the hedge (gas, funding, failures) come from blocks of the step's stream far past
// the model's (kHedgeBlock on), so adding costs never changes a path's prices.
//
// P&L attribution (output.attribution, docs/hedging.md "P&L attribution"). The book's options are marked
// at every decision (book_marks.hpp: Black–Scholes at the decision vol σ_n, or the model's own prices),
// in double. Over the step from n to n+1 the marks' change dB (payoffs of options expiring at n+1
// included, in USD) splits into delta Δ_n·ΔS, gamma ½Γ_n·ΔS², theta Θ_n·Δt, vega ν_n·(s_{n+1} − s_n)
// (s the marks' vol state: σ, or the variance for model marks) and the higher-order rest dB − (those
// four), all of the book at step n. With the coin held for inverse options (coin·ΔS, in delta), the
// interest on the book's cash and the value at inception (premiums received + the marks at t = 0) the
// book's part sums to its cash + coin·S_T at the horizon.
// A policy's hedge adds h·ΔS to delta (recovered from its accounts: cash = interest + Σ h·ΔS − funding
// − costs, spot hedges included by summation by parts) and the interest on its cash. Then
// P&L = inception + delta + gamma + theta + vega + higher_order + interest − funding − fees − fixed −
// gas − slippage + unexplained, and `unexplained` (rounding only) checks the book's accounting.
//
// Hedge options (hp.n_hedge_options > 0, docs/hedging.md "Options as hedge instruments"). At every
// decision (and the horizon) the market marks each listed hedge option from the source hp.marks
// (book_marks.hpp: Black–Scholes at the decision vol σ_n, or the model's own prices), in double (price,
// delta, gamma, theta, vega; MarketTile::hedge_option_marks), and takes the book's vega there from the
// same source. A policy that trades options (Rule::kHedgeOptions > 0) holds positions q_i: it buys Δq at
// the mark, paying |Δq|·(min(fee_fraction·S, fee_cap·price) + half_spread·quote vega) on top
// (option_costs), and its hedge target becomes −(book delta + coin + Σ q_i·Δ_i). An option settles
// q·payoff into the policy's cash at its expiry step; one expiring after the horizon adds q·mark to the
// P&L there. With attribution the options held over each step split like the book's marks — Σ_i q_i
// times delta, gamma, theta, vega and the rest — into the policy's own pieces (OptionLanes), which
// join the book's in pnl_delta … pnl_higher_order; their change at the mark is taken out of the
// accounts' hedge P&L, so the sum stays exact. A rolling hedge option (HedgeOption::tenor_steps > 0) has a
// series strike per lane (MarketTile::series_strike); at a roll step the market takes the old series'
// closing marks and lists the new one (roll_series), and each option policy closes what it holds at those
// marks (roll_options; with attribution the step's pieces are taken at them) before its rule trades.
//
// Surface marks (hedge.marks: surface, docs/hedging.md "Marks and the volatility surface") are a
// compile-time property, the flag kSurface of HedgeTile and of the MarketTile functions that mark
// (decision_greeks, hedge_option_marks_from and mark_book<MarkSource::surface>): every option — the book's for its
// hedge delta, gamma and marks, and the hedge options — is marked at its own vol on the SVI surface with
// the surface's total greeks (option_vol.hpp). The tile without the flag is the code it was before
// surfaces existed (the surface tile is compiled in a unit of its own, src/hedging/cpu_hedging_surface.cpp).
// A surface job's decision vol σ is one number (HedgeParams::implied_vol), so its vega pieces are 0: a
// move of an option's vol along the surface is a move of the spot or of time, in delta, gamma and theta.
//
// Everlasting options (BookOption::funding_steps > 0, pricing/everlasting.hpp) are compiled in only where the
// caller asks (the member templates' kEverlasting: HedgeTile<T, L, TileKind::everlasting> for books that hold one, and
// the GPU's options program), so that the tile of any other book carries none of their code. They are
// marked and hedged as the weighted sum of their Europeans; at each funding time the book pays
// q·(mark − payoff) (pay_funding, after the decision vol) from its cash or coin, summed in book_funding
// (everlasting_funding); they are closed at their marks at the horizon. With attribution the marks' jump at
// a funding time (the funding paid) joins that step's theta and the funding is a piece of its own.
//
// A margin account (hp.margin, margin.hpp) is compiled in only where the caller asks too (PolicyTile's
// kMargin: HedgeTile<T, L, TileKind::margin>, and the GPU's options program): after each step's settlement
// (accrue) it takes top-ups and liquidates, and at a decision it cuts a trade to the initial margin.
#include <cstdint>
#include <type_traits>

#include "hedgesim/hd.hpp"
#include "hedgesim/hedging/book_greeks.hpp"
#include "hedgesim/hedging/book_marks.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/hedging/margin.hpp"
#include "hedgesim/hedging/policy.hpp"
#include "hedgesim/hedging/trade_size.hpp"
#include "hedgesim/models/path_state.hpp"
#include "hedgesim/pricing/everlasting.hpp"
#include "hedgesim/rng/philox.hpp"

namespace hedgesim {

constexpr std::uint32_t kHedgeBlock = 0x40000000u;

/// On host compilers, the per-rule decision loops of PolicyTile::decide are inlined into the tile's step
/// loop whatever GCC's size heuristics say: with the option-hedging rules' cases GCC 12 called them out of
/// line (perf on btc_short_calls_perp.yaml showed them as functions of their own). Nothing on CUDA.
#if defined(__CUDACC__)
#define HS_HOST_ALWAYS_INLINE
#else
#define HS_HOST_ALWAYS_INLINE __attribute__((always_inline))
#endif

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
      // A fill of max_fill_fraction f of the coin reserve or more is refused, either way: the cost of
      // a buy, N·q/(x − q), has no bound as q nears x, and stays below N·f/(1 − f) under the cap.
      const double reserve = hp.slippage_depth / spot;
      if (m::fabs(coins) >= hp.amm_max_fill * reserve) return -1.0;
      return notional * m::fabs(coins) / (reserve - coins);
    }
  }
  return 0.0;
}

/// One policy's hedge options on the tile's L paths (hp.n_hedge_options > 0): positions and costs, and
/// with attribution the held options' marks at the last decision (summed over options, times q) and the
/// pieces so far (file comment).
template <unsigned L>
struct OptionLanes {
  double pos[kMaxHedgeOptions][L];  ///< units held of each hedge option
  double costs[L];                  ///< fees and half-spreads paid (option_costs)
  double value[L], delta[L], gamma[L], theta[L], vega[L], spot[L];
  double vol_state[L];  ///< the marks' vol state they were taken at (MarketTile::option_state)
  double settled[L];  ///< USD paid into cash by options expiring since the last decision
  double delta_pnl[L], gamma_pnl[L], theta_pnl[L], vega_pnl[L], higher_order[L];
};

/// One policy's accounts on the tile's L paths.
template <unsigned L>
struct PolicyLanes {
  double hedge[L];  ///< position in the hedge instrument, coins
  double cash[L];
  double fees[L], fixed[L], funding[L], gas[L], slippage[L], turnover[L], max_error[L];
  std::int64_t trades[L];  ///< integer lanes: a trade adds its 0/1 mask without a conversion
  double failures[L];
  double last_trade_step[L], last_trade_spot[L], traded[L];  ///< traded: 0 or 1
  double interest[L];  ///< interest earned on the policy's cash (P&L attribution)
};

/// Years to the book's last live expiry at decision step n and its discount factor e^{−r·τ}: the same
/// on every path.
struct DecisionTimes {
  double tau_last;
  double discount_last;
};
template <bool kEverlasting = false>
HS_HD DecisionTimes decision_times(const HedgeParams& hp, std::uint32_t n) {
  const double tau_last = book_tau_last<kEverlasting>(hp, n);
  return {tau_last, hp.rate == 0.0 ? 1.0 : m::exp_finite(-hp.rate * tau_last)};
}

/// The book's P&L attribution on L lanes (output.attribution): the marks of the last decision and the
/// pieces so far (file comment). Kept by the market, the same for every policy.
template <unsigned L>
struct BookAttribution {
  // The book's marks at the last decision: value (USD), delta, gamma, theta (per year), vega (per unit
  // of the vol state), the vol state (book_marks.hpp), spot and coin held they were taken at; settled:
  // USD paid by options expiring since.
  double value[L], delta[L], gamma[L], theta[L], vega[L], vol_state[L], spot[L], coin[L], settled[L];
  // The pieces, USD.
  double inception[L], delta_pnl[L], gamma_pnl[L], theta_pnl[L], vega_pnl[L], higher_order[L], interest[L];
  BookMarks<L> next;  ///< scratch of MarketTile::attribute: the marks being taken (not state)

  /// Calls v(i, x) for each of the kStateFields doubles a GPU market thread keeps between chunks.
  static constexpr unsigned kStateFields = 16;
  static constexpr unsigned kFirstPiece = 9;  ///< visit_state's fields from here on are the pieces
  /// Named one by one: an array of the fields would live in a GPU thread's local memory.
  template <class Visit>
  HS_HD void visit_state(unsigned l, Visit&& v) {
    v(0, value[l]);
    v(1, delta[l]);
    v(2, gamma[l]);
    v(3, theta[l]);
    v(4, vega[l]);
    v(5, vol_state[l]);
    v(6, spot[l]);
    v(7, coin[l]);
    v(8, settled[l]);
    v(9, inception[l]);
    v(10, delta_pnl[l]);
    v(11, gamma_pnl[l]);
    v(12, theta_pnl[l]);
    v(13, vega_pnl[l]);
    v(14, higher_order[l]);
    v(15, interest[l]);
    static_assert(kStateFields == 16, "a new field needs its line here");
  }
};

/// The market of a tile of L paths, as every policy reads it: the path's price and variance, the
/// book's cash and coin, funding and gas, and at each decision the hedge vol, the book greeks and the
/// target. It is the same for every policy, so the GPU computes it once per path and hands it to one
/// thread per (path, policy) (hedge_block.hpp); the CPU tile keeps it beside its policies.
template <class T, unsigned L>
struct MarketTile {
  const HedgeParams& hp;
  std::uint64_t seed;
  std::uint64_t path0;      ///< lane 0's path; lane l is path0 + l
  const double* log_s0k;    ///< ln(S0/K) per option (log_spot0_strike), owned by the caller

  double spot[L], spot_prev[L];
  double log_spot[L];  ///< ln(S/S0), the path's own state
  double book_cash[L];
  double coin[L];
  double funding_rate[L];  ///< current rate (stochastic funding moves it)
  double log_gas[L];       ///< ln of the current gas price (gwei)
  double sigma[L];         ///< hedge vol at the last decision, also to standardise returns
  double variance[L];
  double delta[L], gamma[L], target[L], gas_cost[L];
  double spot_change[L], carry_unit[L];  ///< per unit of hedge over the last step: settlement, carry cost
  DecisionTimes times;
  BookAttribution<L> att;  ///< hp.attribution only
  // Hedge options (hp.n_hedge_options > 0): their marks at the last decision (or the horizon) from the
  // source hp.marks, the vega their half-spread is charged on, the marks' vol state, and the book's vega
  // there (hedge_option_marks).
  double opt_price[kMaxHedgeOptions][L], opt_delta[kMaxHedgeOptions][L], opt_gamma[kMaxHedgeOptions][L];
  double opt_theta[kMaxHedgeOptions][L], opt_vega[kMaxHedgeOptions][L], opt_quote_vega[kMaxHedgeOptions][L];
  double option_state[L];
  double book_vega[L];
  // Rolling hedge options (hp.rolling_options): each one's series strike on each lane, and at a roll step
  // (rolled[i], the same on every lane) the closing marks of the series rolled out of (roll_series).
  double series_strike[kMaxHedgeOptions][L];
  double close_price[kMaxHedgeOptions][L], close_quote_vega[kMaxHedgeOptions][L];
  bool rolled[kMaxHedgeOptions];
  /// Hedge option i's marks on lane l.
  HS_HD void set_option_marks(unsigned i, unsigned l, const OptionMarks& g) {
    opt_price[i][l] = g.value;
    opt_delta[i][l] = g.delta;
    opt_gamma[i][l] = g.gamma;
    opt_theta[i][l] = g.theta;
    opt_vega[i][l] = g.vega;
    opt_quote_vega[i][l] = g.quote_vega;
  }
  // Everlasting options (the kEverlasting member functions): the funding the book has paid (USD; negative:
  // received), and with attribution the funding paid at the step being attributed (pay_funding → attribute).
  double book_funding[L], funded[L];

  HS_HD MarketTile(const HedgeParams& params, std::uint64_t run_seed, std::uint64_t first_path, const double* s0k)
      : hp(params), seed(run_seed), path0(first_path), log_s0k(s0k) {}

  /// v[l]: lane l's variance at t = 0 (ln(S0/S0) = 0 on every path). kOptions: the series strikes of rolling
  /// hedge options too (the GPU's options program; its standard one carries none of their code).
  template <bool kEverlasting = false, bool kOptions = true>
  HS_HD void begin(const T* v) {
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
    if (hp.attribution) {
      for (unsigned l = 0; l < L; ++l) {
        att.settled[l] = att.delta_pnl[l] = att.gamma_pnl[l] = att.theta_pnl[l] = att.vega_pnl[l] = 0.0;
        att.higher_order[l] = att.interest[l] = 0.0;
        att.value[l] = att.delta[l] = att.gamma[l] = att.theta[l] = att.vega[l] = att.vol_state[l] = att.coin[l] = 0.0;
        att.spot[l] = hp.spot0;
      }
    }
    if constexpr (kEverlasting) {
      for (unsigned l = 0; l < L; ++l) book_funding[l] = funded[l] = 0.0;
    }
    if (kOptions && hp.rolling_options) {
      for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
        rolled[i] = false;
        const double strike = i < hp.n_hedge_options ? hp.hedge_options[i].strike : 0.0;
        for (unsigned l = 0; l < L; ++l) series_strike[i][l] = strike;
      }
    }
  }

  /// The state x[l], v[l] of every lane after step n: the price, interest on the book's cash, the
  /// hedge's settlement and carry per unit over the step (at the funding rate in force during it),
  /// expiring options, then funding and gas move.
  HS_HD void advance(std::uint32_t n, const T* x, const T* v) {
    if (hp.attribution) {  // a loop of its own: the one below is the hot path without attribution
      for (unsigned l = 0; l < L; ++l) att.interest[l] += book_cash[l] * hp.growth - book_cash[l];
    }
    HS_LANES
    for (unsigned l = 0; l < L; ++l) {
      log_spot[l] = static_cast<double>(x[l]);
      spot[l] = hp.spot0 * m::exp_finite(log_spot[l]);
      variance[l] = static_cast<double>(v[l]);
      book_cash[l] *= hp.growth;
    }
    carry_units();
    for (unsigned i = 0; i < hp.n_options; ++i) {
      const BookOption& o = hp.options[i];
      if (o.expiry_step != n) continue;
      const double sign = o.type == OptionType::call ? 1.0 : -1.0;
      const bool linear = o.settlement == Settlement::linear;
      const bool attribution = hp.attribution;
      HS_LANES
      for (unsigned l = 0; l < L; ++l) {
        const double payoff = m::max(sign * (spot[l] - o.strike), 0.0);
        book_cash[l] += linear ? o.quantity * payoff : 0.0;
        coin[l] += linear ? 0.0 : o.quantity * payoff / spot[l];
        if (attribution) att.settled[l] += o.quantity * payoff;  // read only when kept (begin)
      }
    }
    evolve_market(n);
    for (unsigned l = 0; l < L; ++l) spot_prev[l] = spot[l];
  }

  /// Per unit of hedge over the step from spot_prev to spot: the perpetual's settlement ΔS and its
  /// funding S·f·Δ (longs pay), or a spot hedge's carry −S·q·Δ.
  HS_HD void carry_units() {
    const bool perpetual = hp.instrument == HedgeInstrument::perpetual;
    HS_LANES
    for (unsigned l = 0; l < L; ++l) {
      spot_change[l] = perpetual ? spot[l] - spot_prev[l] : 0.0;
      carry_unit[l] = perpetual ? spot_prev[l] * funding_rate[l] * hp.dt : -spot_prev[l] * hp.dividend * hp.dt;
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

  /// The hedge vol of a decision: implied, the fixed vol; instantaneous and model, the path's (model
  /// deltas read the table at v).
  HS_HD void decision_vol() {
    const bool implied = hp.delta == DeltaSource::implied;
    HS_LANES
    for (unsigned l = 0; l < L; ++l) sigma[l] = implied ? hp.implied_vol : sqrt(m::max(variance[l], 0.0));
  }

  /// kEverlasting: each everlasting option whose funding time is step n > 0 pays q·(mark − payoff) per path,
  /// the mark at the funding instant at the decision vol (decision_vol first; pricing/everlasting.hpp):
  /// a linear option from the book's cash, an inverse one in coin (its USD amount / S). With attribution the
  /// amount is also kept for the step's theta (attribute).
  template <bool kEverlasting>
  HS_HD void pay_funding(std::uint32_t n) {
    if constexpr (kEverlasting) {
      const bool attribution = hp.attribution;
      if (attribution) {
        for (unsigned l = 0; l < L; ++l) funded[l] = 0.0;
      }
      for (unsigned i = 0; i < hp.n_options; ++i) {
        const BookOption& o = hp.options[i];
        if (o.funding_steps == 0 || n == 0 || n % o.funding_steps != 0) continue;
        const double period = funding_period(o, hp.dt);
        const bool linear = o.settlement == Settlement::linear;
        for (unsigned l = 0; l < L; ++l) {
          const double paid = o.quantity * everlasting_funding<double>(o.type, spot[l], o.strike, period, o.terms,
                                                                       hp.rate, hp.dividend, sigma[l]);
          book_cash[l] -= linear ? paid : 0.0;
          coin[l] -= linear ? 0.0 : paid / spot[l];
          book_funding[l] += paid;
          if (attribution) funded[l] += paid;
        }
      }
    }
  }

  /// The book's marks at step n (a decision or the horizon; book_marks.hpp) into att.next, for
  /// attribute(n) and close_book(n): value (USD), delta, gamma, theta and vega of the options that expire
  /// after n, from the source hp.marks (kEverlasting: and of the book's everlasting options).
  template <bool kEverlasting = false>
  HS_HD void mark_book(std::uint32_t n) {
    book_marks<L, kEverlasting>(hp, n, spot, log_spot, log_s0k, sigma, variance, att.next);
  }
  /// The same with the source fixed at compile time (kMarks: hp.marks), for the GPU market threads — a
  /// kernel for each source, so that the Black–Scholes kernels carry none of the table's lookup or the
  /// surface — and for the CPU's surface tile (surface marks are compile-time only). Everlasting options
  /// are marked at the decision vol only (the config refuses model and surface marks for them).
  template <MarkSource kMarks, bool kEverlasting = false>
  HS_HD void mark_book_from(std::uint32_t n) {
    if constexpr (kMarks == MarkSource::model) {
      model_marks<L>(hp, n, spot, log_spot, log_s0k, variance, att.next);
    } else if constexpr (kMarks == MarkSource::surface) {
      surface_book_marks<L>(hp, n, spot, log_spot, log_s0k, sigma, att.next);
    } else {
      decision_vol_marks<L, kEverlasting>(hp, n, spot, log_spot, log_s0k, sigma, att.next);
    }
  }

  /// The attribution of the step that ended at n from the marks mark_book(n) took (file comment); at
  /// n = 0 the value at inception. Only with hp.attribution. kEverlasting: the theta of a step that ends at
  /// a funding time includes the funding paid there (pay_funding before), by which the marks jump as the
  /// payment leaves them (V⁺ = V⁻ + F; docs/hedging.md).
  template <bool kEverlasting = false>
  HS_HD void attribute(std::uint32_t n) {
    BookAttribution<L>& a = att;
    const BookMarks<L>& b = a.next;
    HS_LANES
    for (unsigned l = 0; l < L; ++l) {
      const double value = b.value[l];
      const double ds = spot[l] - a.spot[l];
      const double d_gamma = 0.5 * a.gamma[l] * ds * ds;
      const double d_theta = kEverlasting ? a.theta[l] * hp.dt + funded[l] : a.theta[l] * hp.dt;
      const double d_vega = a.vega[l] * (b.state[l] - a.vol_state[l]);
      const double d_value = value + a.settled[l] - a.value[l];
      // At n = 0 the marks' value at inception; after, the step that ended at n (a.* hold step n − 1's).
      const bool first = n == 0;
      a.inception[l] = first ? book_cash[l] + coin[l] * spot[l] + value : a.inception[l];
      a.delta_pnl[l] += first ? 0.0 : (a.delta[l] + a.coin[l]) * ds;
      a.gamma_pnl[l] += first ? 0.0 : d_gamma;
      a.theta_pnl[l] += first ? 0.0 : d_theta;
      a.vega_pnl[l] += first ? 0.0 : d_vega;
      a.higher_order[l] += first ? 0.0 : d_value - (a.delta[l] * ds + d_gamma + d_theta + d_vega);
      a.value[l] = value;
      a.delta[l] = b.delta[l];
      a.gamma[l] = b.gamma[l];
      a.theta[l] = b.theta[l];
      a.vega[l] = b.vega[l];
      a.vol_state[l] = b.state[l];
      a.spot[l] = spot[l];
      a.coin[l] = coin[l];
      a.settled[l] = 0.0;
    }
  }

  /// The hedge options' marks at step n (a decision or the horizon) from the source hp.marks
  /// (book_marks.hpp), in double: an expired option has its intrinsic value and no greeks. And the book's
  /// vega from the same source, the marks' vol state, and each option's quote vega. Only with hedge
  /// options; black_scholes or model (surface marks are compile-time only: the surface tile and kernels).
  /// kEverlasting: the book's everlasting options' vega too (Black–Scholes marks only: the config refuses
  /// the others for them).
  template <bool kEverlasting = false>
  HS_HD void hedge_option_marks(std::uint32_t n) {
    if (hp.marks == MarkSource::model) {
      hedge_option_marks_from<MarkSource::model>(n);
    } else {
      hedge_option_marks_from<MarkSource::black_scholes, kEverlasting>(n);
    }
  }
  /// The same with the source fixed at compile time, for the GPU's greeks items (a kernel for each source,
  /// so that the Black–Scholes kernels carry none of the table's lookup or the surface) and the CPU's
  /// surface tile. Black–Scholes: at the decision vol sigma[l], vega ∂C/∂σ (also the quote vega), the
  /// state σ. Model: the table's (model_option_marks), vega ∂C/∂v, the state the clamped variance; gbm
  /// Black–Scholes at model.vol. Surface: surface_option_marks. (A name of its own: GCC takes a template
  /// of the same name for a redeclaration and drops its noinline.)
  template <MarkSource kMarks, bool kEverlasting = false>
  HS_HD_COLD void hedge_option_marks_from(std::uint32_t n) {
    if (hp.rolling_options) roll_series<kMarks>(n);
    if constexpr (kMarks == MarkSource::surface) {
      surface_option_marks(n);
    } else if constexpr (kMarks == MarkSource::model) {
      for (unsigned l = 0; l < L; ++l) {
        double vega = 0.0;
        for (unsigned i = 0; i < hp.n_options; ++i) {
          const BookOption& o = hp.options[i];
          if (o.expiry_step <= n) continue;
          vega += o.quantity *
                  model_option_marks(hp, i, o.type, o.strike, o.expiry_step, n, spot[l], variance[l]).vega;
        }
        book_vega[l] = vega;
        option_state[l] = model_marks_state(hp, variance[l]);
        for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
          if (i >= hp.n_hedge_options) break;
          const HedgeOption& o = hp.hedge_options[i];
          set_option_marks(i, l,
                           is_rolling(o) ? series_marks<kMarks>(i, l, series_strike[i][l], series_expiry(o, n), n)
                                         : model_option_marks(hp, hp.n_options + i, o.type, o.strike, o.expiry_step, n,
                                                              spot[l], variance[l]));
        }
      }
    } else {
      for (unsigned l = 0; l < L; ++l) {
        double vega = 0.0;
        for (unsigned i = 0; i < hp.n_options; ++i) {
          const BookOption& o = hp.options[i];
          if constexpr (kEverlasting) {
            if (o.funding_steps != 0) {
              vega += o.quantity * everlasting_linear<double>(o.type, spot[l], o.strike, funding_theta(o, n, hp.dt),
                                                              funding_period(o, hp.dt), o.terms, hp.rate, hp.dividend,
                                                              sigma[l])
                                       .vega;
              continue;
            }
          }
          if (o.expiry_step <= n) continue;
          const double tau = static_cast<double>(o.expiry_step - n) * hp.dt;
          vega += o.quantity *
                  black_scholes_linear<double>(o.type, spot[l], o.strike, tau, hp.rate, hp.dividend, sigma[l]).vega;
        }
        book_vega[l] = vega;
        for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
          if (i >= hp.n_hedge_options) break;
          const HedgeOption& o = hp.hedge_options[i];
          if (is_rolling(o)) {
            set_option_marks(i, l, series_marks<kMarks>(i, l, series_strike[i][l], series_expiry(o, n), n));
            continue;
          }
          const double tau = o.expiry_step > n ? static_cast<double>(o.expiry_step - n) * hp.dt : 0.0;
          set_option_marks(i, l, option_marks(black_scholes_linear<double>(o.type, spot[l], o.strike, tau, hp.rate,
                                                                           hp.dividend, sigma[l])));
        }
        option_state[l] = sigma[l];
      }
    }
  }

  /// Lane l's marks of a series of hedge option i struck at `strike` and expiring at step `expiry`, at step
  /// n from the source kMarks, as hedge_option_marks_from takes a fixed option's: for the series of a
  /// rolling option, whose strike is the lane's.
  template <MarkSource kMarks>
  HS_HD OptionMarks series_marks(unsigned i, unsigned l, double strike, std::uint32_t expiry, std::uint32_t n) const {
    const OptionType type = hp.hedge_options[i].type;
    const double tau = expiry > n ? static_cast<double>(expiry - n) * hp.dt : 0.0;
    if constexpr (kMarks == MarkSource::model) {
      return model_series_marks(hp, type, strike, expiry, n, spot[l], variance[l]);
    } else if constexpr (kMarks == MarkSource::surface) {
      if (expiry <= n)
        return option_marks(black_scholes_linear<double>(type, spot[l], strike, 0.0, hp.rate, hp.dividend, 0.0));
      const SurfaceOption so =
          surface_option(hp.surface, hp.sticky_delta, hp.rate, hp.dividend, m::log(hp.spot0 / strike), tau);
      return surface_marks(hp.surface, so, type, strike, spot[l], log_spot[l]);
    } else {
      return option_marks(black_scholes_linear<double>(type, spot[l], strike, tau, hp.rate, hp.dividend, sigma[l]));
    }
  }

  /// At decision step n, for each rolling hedge option that rolls there (rolled[i]): the closing marks of
  /// the series rolled out of (its strike, expiring tenor − roll_every steps after n), then its successor's
  /// strike (roll_strikes). The GPU's market threads roll their strikes apart (roll_strikes), its greeks
  /// items from the strike recorded before the roll.
  template <MarkSource kMarks>
  HS_HD void roll_series(std::uint32_t n) {
    for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
      rolled[i] = i < hp.n_hedge_options && rolls_at(hp, i, n);
      if (!rolled[i]) continue;
      const std::uint32_t expiry = series_expiry(hp.hedge_options[i], n - 1);
      for (unsigned l = 0; l < L; ++l) {
        const OptionMarks c = series_marks<kMarks>(i, l, series_strike[i][l], expiry, n);
        close_price[i][l] = c.value;
        close_quote_vega[i][l] = c.quote_vega;
      }
    }
    roll_strikes(n);
  }
  /// The strikes of the series listed at decision step n: listed_strike at the lane's spot.
  HS_HD void roll_strikes(std::uint32_t n) {
    for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
      if (i >= hp.n_hedge_options || !rolls_at(hp, i, n)) continue;
      for (unsigned l = 0; l < L; ++l) series_strike[i][l] = listed_strike(hp.hedge_options[i], spot[l]);
    }
  }

  /// hedge_option_marks with surface marks: each hedge option at its own vol on the surface, its total
  /// delta, gamma and theta and its Black–Scholes vega there — the vega of a parallel move of the surface,
  /// which delta_vega hedges and the half-spread is quoted in — and the book's vega likewise. An expired
  /// option has black_scholes_linear's intrinsic value and delta, as without a surface. Options outside,
  /// lanes inside (what the surface gives an option at a step is the same on every path).
  HS_HD void surface_option_marks(std::uint32_t n) {
    for (unsigned l = 0; l < L; ++l) book_vega[l] = 0.0;
    for (unsigned i = 0; i < hp.n_options; ++i) {
      const BookOption& o = hp.options[i];
      if (o.expiry_step <= n) continue;
      const double tau = static_cast<double>(o.expiry_step - n) * hp.dt;
      const SurfaceOption so = surface_option(hp.surface, hp.sticky_delta, hp.rate, hp.dividend, log_s0k[i], tau);
      for (unsigned l = 0; l < L; ++l)
        book_vega[l] += o.quantity * surface_marks(hp.surface, so, o.type, o.strike, spot[l], log_spot[l]).vega;
    }
    for (unsigned l = 0; l < L; ++l) option_state[l] = sigma[l];  // the one decision vol: no vega piece
    for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
      if (i >= hp.n_hedge_options) break;
      const HedgeOption& o = hp.hedge_options[i];
      if (is_rolling(o)) {
        for (unsigned l = 0; l < L; ++l)
          set_option_marks(i, l, series_marks<MarkSource::surface>(i, l, series_strike[i][l], series_expiry(o, n), n));
        continue;
      }
      if (o.expiry_step <= n) {
        for (unsigned l = 0; l < L; ++l)
          set_option_marks(
              i, l, option_marks(black_scholes_linear<double>(o.type, spot[l], o.strike, 0.0, hp.rate, hp.dividend, 0.0)));
        continue;
      }
      const double tau = static_cast<double>(o.expiry_step - n) * hp.dt;
      const SurfaceOption so =
          surface_option(hp.surface, hp.sticky_delta, hp.rate, hp.dividend, m::log(hp.spot0 / o.strike), tau);
      for (unsigned l = 0; l < L; ++l)
        set_option_marks(i, l, surface_marks(hp.surface, so, o.type, o.strike, spot[l], log_spot[l]));
    }
  }

  /// At the horizon n: the options that expire later (simulation.horizon_days before the book's last
  /// expiry) are closed into the book's cash at the marks mark_book(n) has taken there — the
  /// attribution's, from hp.marks. The caller marks (with attribution it has just done so), so that a GPU
  /// kernel carries one copy of the marking, of its own source.
  HS_HD void close_book() {
    if (!hp.book_past_horizon) return;
    HS_LANES
    for (unsigned l = 0; l < L; ++l) book_cash[l] += att.next.value[l];
  }

  /// Leland (1985): hedge at σ̃² = σ² ± √(2/π)·k·σ/√Δt, k the round-trip proportional cost, + for a
  /// book short gamma, − long: at inception (hp.leland_sign), or with hp.leland_sign_turns (a book of long
  /// and short options, whose gamma can change sign) the book's gamma at σ on this path at this decision,
  /// the inception's sign where it is 0. Floored at 0 (a long book with costs beyond Leland's bound
  /// hedges at zero vol). kAllRules: as decision_greeks.
  template <bool kAllRules>
  HS_HD double leland_vol(double sig, const PolicyParams& p, double book_gamma) const {
    const double k = 2.0 * hp.fee_rate;
    const bool per_decision = kAllRules && hp.leland_sign_turns;
    const double sign = !per_decision ? hp.leland_sign : book_gamma < 0.0 ? 1.0 : book_gamma > 0.0 ? -1.0 : hp.leland_sign;
    const double adj = sig * sig + sign * 0.7978845608028654 * k * sig / p.leland_sqrt_dt;
    return sqrt(m::max(adj, 0.0));
  }

  /// Policy pp's Leland target at decision n: out[l] = −(book delta at σ̃ + coin) (alt_* are scratch).
  /// kAllRules, kEverlasting: as decision_greeks.
  template <bool kAllRules = true, bool kEverlasting = false>
  HS_HD void leland_target(std::uint32_t n, const PolicyParams& pp, double* alt_sigma, double* alt_gamma,
                           double* out) const {
    HS_LANES
    for (unsigned l = 0; l < L; ++l) alt_sigma[l] = leland_vol<kAllRules>(sigma[l], pp, gamma[l]);
    // σ̃ is the same on every lane at an implied vol, unless its sign is each path's.
    const bool uniform = hp.delta == DeltaSource::implied && !(kAllRules && hp.leland_sign_turns);
    book_greeks<T, L, kAllRules, kEverlasting>(hp, n, spot, log_spot, log_s0k, alt_sigma, uniform, variance, out,
                                               alt_gamma);
    hedge_target<kAllRules>(out, out);
  }

  /// out[l]: the full hedge of the book delta d[l], −(d + coin held), or −d with premium-adjusted deltas.
  template <bool kAllRules>
  HS_HD void hedge_target(const double* d, double* out) const {
    if (kAllRules && hp.premium_adjusted) {
      for (unsigned l = 0; l < L; ++l) out[l] = -d[l];
      return;
    }
    HS_LANES
    for (unsigned l = 0; l < L; ++l) out[l] = -(d[l] + coin[l]);
  }

  /// The book's greeks at the decision vol (kSurface: on the surface), the full hedge (hedge_target) and
  /// the gas of an attempt. kAllRules = false leaves out the code of premium-adjusted deltas (book_greeks)
  /// and of Leland's sign per decision (leland_vol): the GPU's standard kernel, which runs no job that
  /// has them (hedge_block.hpp uses_options_kernel). kEverlasting: the book may hold everlasting options
  /// (book_greeks).
  template <bool kAllRules = true, bool kSurface = false, bool kEverlasting = false>
  HS_HD void decision_greeks(std::uint32_t n) {
    const bool implied = hp.delta == DeltaSource::implied;
    if constexpr (kSurface) {
      surface_book_greeks<L>(hp, n, spot, log_spot, log_s0k, delta, gamma);
    } else {
      book_greeks<T, L, kAllRules, kEverlasting>(hp, n, spot, log_spot, log_s0k, sigma, implied, variance, delta,
                                                 gamma);
    }
    hedge_target<kAllRules>(delta, target);
    if (hp.gas_units > 0.0) {  // the exponential only for jobs with gas
      HS_LANES
      for (unsigned l = 0; l < L; ++l) {
        const double eth = hp.gas_eth_price > 0.0 ? hp.gas_eth_price : spot[l];
        gas_cost[l] = hp.gas_units * m::exp_finite(log_gas[l]) * 1e-9 * eth;
      }
    } else {
      for (unsigned l = 0; l < L; ++l) gas_cost[l] = 0.0;
    }
  }
};

/// P&L at the horizon = book cash + coin·S_T + policy cash (+ h·S_T for spot: hedge_value).
HS_HD double policy_pnl(double book_cash, double coin, double spot, double cash, double hedge_value) {
  return book_cash + coin * spot + cash + hedge_value;
}

/// What the attribution fields are made of, for one path and policy (file comment): the book's pieces
/// (BookAttribution) and the policy's accounts at the horizon.
struct AttributionInputs {
  double inception, book_delta, gamma, theta, vega, higher_order, book_interest;
  double pnl, cash, hedge_value, interest, funding;
  double charges;  ///< fees + fixed + gas + slippage, in that order, + option_costs, + liquidation_loss
  double book_funding = 0.0;  ///< the funding the book's everlasting options paid (everlasting_funding)
  MarginResults margin{};     ///< the margin account's fields (0 without hedge.margin)
  /// The hedge options' pieces (OptionLanes; 0 without them). hedge_value includes the options' value
  /// at the horizon.
  double opt_delta = 0.0, opt_gamma = 0.0, opt_theta = 0.0, opt_vega = 0.0, opt_higher_order = 0.0;
};

/// The pool's fields of a run that has them without an order flow (margin, attribution): 0.
template <class Put>
HS_HD void put_no_pool(Put&& put) {
  put(PathField::spread_income, 0.0);
  put(PathField::customer_trades, 0.0);
}

/// The attribution fields of one path and policy, and the fields before them that a run with attribution
/// always has (everlasting_funding, the pool's, the margin account's): put(field, value) for each. kOptions:
/// with the hedge options' pieces (a job with hedge options); without, the same arithmetic as before they
/// existed. The
/// everlasting options' funding is a piece of its own (everlasting_funding, 0 without them), subtracted last
/// so that a book without them sums to the same bits as before.
template <bool kOptions, class Put>
HS_HD void put_attribution(const AttributionInputs& x, Put&& put) {
  put(PathField::everlasting_funding, x.book_funding);
  put_no_pool(put);  // the config refuses order_flow with attribution
  x.margin.put_to(put);
  if constexpr (!kOptions) {
    // Σ h·ΔS from the policy's accounts: cash (+ h·S_T for spot) = interest + Σ h·ΔS − funding − charges.
    const double hedge_delta = x.cash + x.hedge_value - x.interest + x.funding + x.charges;
    const double delta_pnl = x.book_delta + hedge_delta;
    const double interest = x.book_interest + x.interest;
    put(PathField::pnl_inception, x.inception);
    put(PathField::pnl_delta, delta_pnl);
    put(PathField::pnl_gamma, x.gamma);
    put(PathField::pnl_theta, x.theta);
    put(PathField::pnl_vega, x.vega);
    put(PathField::pnl_higher_order, x.higher_order);
    put(PathField::pnl_interest, interest);
    put(PathField::pnl_unexplained, x.pnl - (x.inception + delta_pnl + x.gamma + x.theta + x.vega + x.higher_order +
                                             interest - x.funding - x.charges - x.book_funding));
    return;
  }
  // Σ h·ΔS from the policy's accounts: cash (+ h·S_T for spot, + the options' value at the horizon) =
  // interest + Σ h·ΔS + the options' change at the mark − funding − charges.
  const double opt_mark = x.opt_delta + x.opt_gamma + x.opt_theta + x.opt_vega + x.opt_higher_order;
  const double hedge_delta = x.cash + x.hedge_value - x.interest + x.funding + x.charges - opt_mark;
  const double delta_pnl = x.book_delta + hedge_delta + x.opt_delta;
  const double gamma = x.gamma + x.opt_gamma, theta = x.theta + x.opt_theta, vega = x.vega + x.opt_vega;
  const double higher_order = x.higher_order + x.opt_higher_order;
  const double interest = x.book_interest + x.interest;
  put(PathField::pnl_inception, x.inception);
  put(PathField::pnl_delta, delta_pnl);
  put(PathField::pnl_gamma, gamma);
  put(PathField::pnl_theta, theta);
  put(PathField::pnl_vega, vega);
  put(PathField::pnl_higher_order, higher_order);
  put(PathField::pnl_interest, interest);
  put(PathField::pnl_unexplained, x.pnl - (x.inception + delta_pnl + gamma + theta + vega + higher_order + interest -
                                           x.funding - x.charges - x.book_funding));
}

/// How PolicyTile::decide picks a decision's trade: by_job, from hp at run time (the CPU tile); on the GPU
/// `rules`, the rule's trade alone (the standard kernel, whose jobs have no execution rules), or `sized`,
/// the unwind or the rule's trade sized by trade_size.hpp (the options kernel; sizes of 0 leave the rule's
/// position as it is, bit for bit), so that each kernel's device code holds one copy of the rule loop.
enum class DecideCode { by_job, rules, sized };

/// The accounts of policies [first, first + count) on a tile of L paths (NP ≥ count slots): the CPU
/// tile holds every policy, a GPU thread one. Every loop over paths is branch-free. kLelandGiven: a
/// Leland policy's target is already in mk.target (the GPU computes it with the greeks).
/// kAttributionLater: finish() leaves the attribution fields to the caller (the GPU's write_attribution).
/// kOptions: the code for hedge options is compiled (the CPU tile always; on the GPU a kernel of its own,
/// so the kernel without them carries none of it); it runs only when hp.n_hedge_options > 0.
/// kMargin: the margin account's code is compiled (margin.hpp: the CPU's margin tile, the GPU's options
/// program); it runs only when hp.margin.
template <class T, unsigned L, unsigned NP, bool kLelandGiven = false, bool kAttributionLater = false,
          bool kOptions = true, bool kMargin = false>
struct PolicyTile {
  const HedgeParams& hp;
  double* out;           ///< results base: out[(field·n_policies + policy)·stride + row]
  std::uint64_t stride;  ///< rows per field and policy (the batch size)
  std::uint64_t row0;    ///< lane 0's row; lane l writes row0 + l
  unsigned valid;        ///< lanes [0, valid) are real paths; the rest are never written out
  unsigned first;        ///< policy index of slot 0
  unsigned count;        ///< policies held, ≤ NP

  double next[L];
  double alt_delta[L], alt_gamma[L], alt_sigma[L];  ///< Leland's greeks
  double opt_target[L];  ///< an option policy's hedge target: the book's less its options' deltas
  PolicyLanes<L> pol[NP];
  /// Each held policy's hedge options (kOptions; used when hp.n_hedge_options > 0), apart from pol so that
  /// the accounts of a job without them stay as dense as they were.
  OptionLanes<L> opts[kOptions ? NP : 1];
  /// Each held policy's margin account (kMargin; used when hp.margin).
  MarginLanes<L> margins[kMargin ? NP : 1];
  HS_HD OptionLanes<L>& opt_of(unsigned k) { return opts[kOptions ? k : 0]; }
  HS_HD const OptionLanes<L>& opt_of(unsigned k) const { return opts[kOptions ? k : 0]; }

  HS_HD PolicyTile(const HedgeParams& params, double* results, std::uint64_t rows, std::uint64_t first_row,
                   unsigned valid_lanes, unsigned first_policy, unsigned policies)
      : hp(params), out(results), stride(rows), row0(first_row), valid(valid_lanes), first(first_policy),
        count(policies) {}

  HS_HD void begin() {
    for (unsigned k = 0; k < NP && k < count; ++k) {
      PolicyLanes<L>& a = pol[k];
      for (unsigned l = 0; l < L; ++l) {
        a.hedge[l] = a.cash[l] = a.fees[l] = a.fixed[l] = a.funding[l] = a.gas[l] = a.slippage[l] = 0.0;
        a.turnover[l] = a.max_error[l] = a.failures[l] = 0.0;
        a.trades[l] = 0;
        a.last_trade_step[l] = 0.0;
        a.last_trade_spot[l] = hp.spot0;
        a.traded[l] = 0.0;
        a.interest[l] = 0.0;
      }
      if (kMargin && hp.margin) margins[k].begin();
      if (!kOptions || hp.n_hedge_options == 0) continue;
      OptionLanes<L>& o = opt_of(k);
      for (unsigned l = 0; l < L; ++l) {
        o.costs[l] = 0.0;
        for (unsigned i = 0; i < kMaxHedgeOptions; ++i) o.pos[i][l] = 0.0;
        o.value[l] = o.delta[l] = o.gamma[l] = o.theta[l] = o.vega[l] = o.vol_state[l] = o.settled[l] = 0.0;
        o.spot[l] = hp.spot0;
        o.delta_pnl[l] = o.gamma_pnl[l] = o.theta_pnl[l] = o.vega_pnl[l] = o.higher_order[l] = 0.0;
      }
    }
  }

  /// Interest on every policy's cash, the hedge's settlement and carry over the step n − 1 → n that just
  /// ended (mk.spot_change, mk.carry_unit); without interest (r = 0) the growth factor is left out. Then
  /// hedge options expiring at n pay their payoff into cash.
  HS_HD void accrue(const MarketTile<T, L>& mk, std::uint32_t n) {
    if (hp.growth == 1.0) {
      for (unsigned k = 0; k < NP && k < count; ++k) accrue_policy<false>(pol[k], mk);
    } else {
      for (unsigned k = 0; k < NP && k < count; ++k) accrue_policy<true>(pol[k], mk);
    }
    if constexpr (kMargin) {
      if (hp.margin) settle_margins(mk, n);
    }
    if constexpr (kOptions) {
      if (hp.n_hedge_options == 0) return;
      for (unsigned k = 0; k < NP && k < count; ++k) settle_options(opt_of(k), pol[k], mk, n);
    }
  }

  /// Every policy's margin account after the settlement of step n (margin.hpp): top-ups, margin calls and
  /// liquidations. The account's kind outside the lane loops, which then carry its code alone.
  HS_HD_COLD void settle_margins(const MarketTile<T, L>& mk, std::uint32_t n) {
    const MarginParams& mp = hp.margin_params;
    for (unsigned k = 0; k < NP && k < count; ++k) {
      PolicyLanes<L>& a = pol[k];
      MarginLanes<L>& g = margins[k];
      if (mp.loan) {
        for (unsigned l = 0; l < L; ++l) g.template settle_as<true>(mp, l, n, mk.spot[l], a.hedge[l], a.cash[l]);
      } else {
        for (unsigned l = 0; l < L; ++l) g.template settle_as<false>(mp, l, n, mk.spot[l], a.hedge[l], a.cash[l]);
      }
    }
  }

  /// Policy k's positions `next` cut by its margin account (margin.hpp's allowed_as; Loan =
  /// hp.margin_params.loan); nonzero if any lane still trades.
  template <bool Loan>
  HS_HD std::uint64_t cut_to_margin(unsigned k, const MarketTile<T, L>& mk, const PolicyLanes<L>& a) {
    std::uint64_t any = 0;
    for (unsigned l = 0; l < L; ++l) {
      next[l] = margins[k].template allowed_as<Loan>(hp.margin_params, l, mk.spot[l], a.hedge[l], next[l], a.cash[l]);
      any |= next[l] != a.hedge[l] ? 1u : 0u;
    }
    return any;
  }

  /// Hedge options expiring at step n settle q·payoff (USD) into cash; the position closes.
  HS_HD_COLD void settle_options(OptionLanes<L>& o, PolicyLanes<L>& a, const MarketTile<T, L>& mk, std::uint32_t n) {
    for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
      if (i >= hp.n_hedge_options) break;
      const HedgeOption& h = hp.hedge_options[i];
      if (h.expiry_step != n) continue;
      const double sign = h.type == OptionType::call ? 1.0 : -1.0;
      HS_LANES
      for (unsigned l = 0; l < L; ++l) {
        const double paid = o.pos[i][l] * m::max(sign * (mk.spot[l] - h.strike), 0.0);
        a.cash[l] += paid;
        o.settled[l] += paid;
        o.pos[i][l] = 0.0;
      }
    }
  }

  /// The value of lane l's hedge options at the marks mk.opt_price: Σ q_i·price_i. held: of the series
  /// held into this decision, whose price at a roll step is the closing one (held_price).
  HS_HD double option_value(const OptionLanes<L>& o, const MarketTile<T, L>& mk, unsigned l, bool held = false) const {
    double value = 0.0;
    for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
      if (i >= hp.n_hedge_options) break;
      value += o.pos[i][l] * (held ? held_price(mk, i, l) : mk.opt_price[i][l]);
    }
    return value;
  }
  /// The price of the series of hedge option i held into this decision on lane l: at a roll step
  /// (MarketTile::rolled) the one rolled out of, at its closing marks; else the marks'.
  HS_HD double held_price(const MarketTile<T, L>& mk, unsigned i, unsigned l) const {
    return hp.rolling_options && mk.rolled[i] ? mk.close_price[i][l] : mk.opt_price[i][l];
  }

  /// With attribution: the pieces of the options held over the step that ended at n (a decision, before
  /// its trade, or the horizon), from the marks of the last decision and those at n (file comment).
  HS_HD_COLD void attribute_options(OptionLanes<L>& o, const MarketTile<T, L>& mk) {
    for (unsigned l = 0; l < L; ++l) {
      const double value = option_value(o, mk, l, true);
      const double ds = mk.spot[l] - o.spot[l];
      const double d_delta = o.delta[l] * ds;
      const double d_gamma = 0.5 * o.gamma[l] * ds * ds;
      const double d_theta = o.theta[l] * hp.dt;
      const double d_vega = o.vega[l] * (mk.option_state[l] - o.vol_state[l]);
      const double d_value = value + o.settled[l] - o.value[l];
      o.delta_pnl[l] += d_delta;
      o.gamma_pnl[l] += d_gamma;
      o.theta_pnl[l] += d_theta;
      o.vega_pnl[l] += d_vega;
      o.higher_order[l] += d_value - (d_delta + d_gamma + d_theta + d_vega);
      o.settled[l] = 0.0;
    }
  }

  /// With attribution: the marks of the options held after a decision's trade (or at the horizon), summed
  /// over options times their positions, and the spot and vol state they were taken at.
  HS_HD_COLD void mark_options(OptionLanes<L>& o, const MarketTile<T, L>& mk) {
    for (unsigned l = 0; l < L; ++l) {
      double delta = 0.0, gamma = 0.0, theta = 0.0, vega = 0.0;
      for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
        if (i >= hp.n_hedge_options) break;
        delta += o.pos[i][l] * mk.opt_delta[i][l];
        gamma += o.pos[i][l] * mk.opt_gamma[i][l];
        theta += o.pos[i][l] * mk.opt_theta[i][l];
        vega += o.pos[i][l] * mk.opt_vega[i][l];
      }
      o.value[l] = option_value(o, mk, l);
      o.delta[l] = delta;
      o.gamma[l] = gamma;
      o.theta[l] = theta;
      o.vega[l] = vega;
      o.spot[l] = mk.spot[l];
      o.vol_state[l] = mk.option_state[l];
    }
  }

  /// At the horizon, before finish: the last step's pieces of each option policy's options (attribution).
  HS_HD_COLD void horizon_options(const MarketTile<T, L>& mk) {
    if constexpr (kOptions) {
      if (hp.n_hedge_options == 0 || !hp.attribution) return;
      for (unsigned k = 0; k < NP && k < count; ++k) {
        if (rule_hedge_options(hp.policies[first + k].type) == 0) continue;
        attribute_options(opt_of(k), mk);
        mark_options(opt_of(k), mk);
      }
    }
  }

  /// Policy pp's option trades at decision n (its rule's options(), each position clamped to its option's
  /// ±max_position), at the marks mk.opt_*, and its hedge target with the new positions' deltas in
  /// opt_target (from the book's, tgt).
  template <class Rule>
  HS_HD_COLD void trade_options(const PolicyParams& pp, PolicyLanes<L>& a, OptionLanes<L>& o, const MarketTile<T, L>& mk,
                           const double* tgt, std::uint32_t n) {
    for (unsigned l = 0; l < L; ++l) {
      OptionContext c{mk.spot[l], mk.gamma[l], mk.book_vega[l], {}, {}, {}};
      double held[kMaxHedgeOptions], want[kMaxHedgeOptions];
      for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
        const bool there = i < hp.n_hedge_options;
        c.gamma[i] = there ? mk.opt_gamma[i][l] : 0.0;
        c.vega[i] = there ? mk.opt_vega[i][l] : 0.0;
        c.live[i] = there && hp.hedge_options[i].expiry_step > n;
        held[i] = there ? o.pos[i][l] : 0.0;
        want[i] = held[i];
      }
      Rule::options(pp, c, held, want);
      double target = tgt[l];
      for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
        if (i >= hp.n_hedge_options) break;
        // An expired option is not traded (its position is 0). The clamp keeps a NaN a NaN and, with no
        // limit (+inf), every position's bits.
        const double limit = hp.hedge_options[i].max_position;
        const double q = c.live[i] ? (want[i] > limit ? limit : want[i] < -limit ? -limit : want[i]) : 0.0;
        trade_option(o, a, mk, i, l, q);
        target -= q * mk.opt_delta[i][l];
      }
      opt_target[l] = target;
    }
  }

  template <bool kInterest>
  HS_HD void accrue_policy(PolicyLanes<L>& a, const MarketTile<T, L>& mk) {
    HS_LANES
    for (unsigned l = 0; l < L; ++l) {
      const double h = a.hedge[l];
      const double carry_cost = h * mk.carry_unit[l];
      const double grown = kInterest ? a.cash[l] * hp.growth : a.cash[l];
      if (kInterest) a.interest[l] += grown - a.cash[l];
      a.cash[l] = grown + h * mk.spot_change[l] - carry_cost;
      a.funding[l] += carry_cost;
    }
  }

  /// Uniform for policy p's rebalance attempt at step n on lane l (execution failure).
  HS_HD double failure_uniform(const MarketTile<T, L>& mk, std::uint32_t n, unsigned p, unsigned l) const {
    // opaque: the GPU kernel would otherwise hold the seed's Philox round keys in registers all along.
    const unsigned stream = hp.failure_stream0 + p;
    StepRng<double> rng(opaque(mk.seed), mk.path0 + l, n, kHedgeBlock + 1 + stream / 4);
    return rng.uniform_of4(stream % 4);
  }

  /// Every held policy's decision at step n against the market mk (decision_vol, decision_greeks and
  /// times taken), and its trade: the rule's, sized to lots and the minimum trade (trade_size.hpp), or
  /// from the unwind step on (hedge.unwind_at_expiry) a close of the whole position (close_all).
  /// kCode: which of them the code holds (DecideCode). kEverlasting: the book may hold everlasting options
  /// (Leland's greeks).
  template <DecideCode kCode = DecideCode::by_job, bool kEverlasting = false>
  HS_HD void decide(std::uint32_t n, MarketTile<T, L>& mk) {
    if constexpr (kCode == DecideCode::rules) {
      decide_rules<false, kEverlasting>(n, mk);
    } else if (unwinds_at(hp, n)) {
      close_all(n, mk);
    } else if (kCode == DecideCode::sized || sizes_trades(hp)) {
      decide_sized<kEverlasting>(n, mk);
    } else {
      decide_rules<false, kEverlasting>(n, mk);
    }
  }

  /// The rules' positions sized by trade_size.hpp (out of line on the host: HS_HD_COLD).
  template <bool kEverlasting>
  HS_HD_COLD void decide_sized(std::uint32_t n, MarketTile<T, L>& mk) { decide_rules<true, kEverlasting>(n, mk); }

  /// Every held policy's rule and trade; kSized: the positions sized by trade_size.hpp (a template
  /// parameter, so the loop of a job without sizes is what it was before them).
  template <bool kSized, bool kEverlasting>
  HS_HD void decide_rules(std::uint32_t n, MarketTile<T, L>& mk) {
    const double tau_last = mk.times.tau_last, discount_last = mk.times.discount_last;
    const bool gas = hp.gas_units > 0.0;
    const bool costs = hp.slippage != SlippageModel::none || hp.failure_probability > 0.0;
    for (unsigned k = 0; k < NP && k < count; ++k) {
      const unsigned p = first + k;
      const PolicyParams& pp = hp.policies[p];
      const double* tgt = mk.target;
      if (!kLelandGiven && pp.leland) {
        mk.template leland_target<true, kEverlasting>(n, pp, alt_sigma, alt_gamma, alt_delta);
        tgt = alt_delta;
      }
      PolicyLanes<L>& a = pol[k];
      if constexpr (kOptions) {
        if (hp.n_hedge_options > 0 && rule_hedge_options(pp.type) > 0) {
          OptionLanes<L>& o = opt_of(k);
          if (hp.attribution) attribute_options(o, mk);
          if (hp.rolling_options) roll_options(o, a, mk);
          visit_rule(pp.type, [&](auto rule) {
            if constexpr (hedge_options_of<decltype(rule)>() > 0) trade_options<decltype(rule)>(pp, a, o, mk, tgt, n);
          });
          if (hp.attribution) mark_options(o, mk);
          tgt = opt_target;
        }
      }
      std::uint64_t any = 0;  // 64-bit like the lanes' doubles, so the OR reduction vectorises
      visit_rule(pp.type, [&](auto rule) HS_HOST_ALWAYS_INLINE {
        HS_LANES
        for (unsigned l = 0; l < L; ++l) {
          a.max_error[l] = m::max(a.max_error[l], m::fabs(a.hedge[l] - tgt[l]));
          const DecisionContext ctx{n,  mk.spot[l], tgt[l], mk.gamma[l], tau_last, discount_last, &hp, mk.variance[l],
                                    mk.log_gas[l] - hp.gas_log_mean};
          const PolicyState st{a.hedge[l], a.last_trade_step[l], a.last_trade_spot[l], a.traded[l]};
          next[l] = decltype(rule)::decide(pp, ctx, st);
          any |= next[l] != a.hedge[l] ? 1u : 0u;
        }
        if constexpr (kSized) {
          any = 0;
          for (unsigned l = 0; l < L; ++l) {
            next[l] = sized_position(hp, a.hedge[l], next[l]);
            any |= next[l] != a.hedge[l] ? 1u : 0u;
          }
        }
        if constexpr (kMargin) {
          if (hp.margin) any = hp.margin_params.loan ? cut_to_margin<true>(k, mk, a) : cut_to_margin<false>(k, mk, a);
        }
        if (any == 0) return;
        execute<reads_last_trade<decltype(rule)>()>(a, mk, p, n, gas, costs);
      });
    }
  }

  /// hedge.unwind_at_expiry: every held policy trades its whole position to 0 at step n (lots and the
  /// minimum trade do not apply), whatever its rule, and sells or buys back its hedge options at their
  /// marks, paying costs.options (close_options).
  HS_HD_COLD void close_all(std::uint32_t n, const MarketTile<T, L>& mk) {
    const bool gas = hp.gas_units > 0.0;
    const bool costs = hp.slippage != SlippageModel::none || hp.failure_probability > 0.0;
    for (unsigned k = 0; k < NP && k < count; ++k) {
      PolicyLanes<L>& a = pol[k];
      if constexpr (kOptions) {
        if (hp.n_hedge_options > 0 && rule_hedge_options(hp.policies[first + k].type) > 0) {
          OptionLanes<L>& o = opt_of(k);
          if (hp.attribution) attribute_options(o, mk);
          close_options(o, a, mk);
          if (hp.attribution) mark_options(o, mk);
        }
      }
      std::uint64_t any = 0;
      for (unsigned l = 0; l < L; ++l) {
        next[l] = 0.0;
        any |= a.hedge[l] != 0.0 ? 1u : 0u;
      }
      if (any != 0) execute<true>(a, mk, first + k, n, gas, costs);
    }
  }

  /// The unwind's option trades: every hedge option held goes back to 0 at its mark mk.opt_price (at a roll
  /// step a rolled series' closing marks), paying the fee and half-spread of trade_options on the quantity
  /// traded.
  HS_HD_COLD void close_options(OptionLanes<L>& o, PolicyLanes<L>& a, const MarketTile<T, L>& mk) {
    for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
      if (i >= hp.n_hedge_options) break;
      const bool rolled = hp.rolling_options && mk.rolled[i];
      for (unsigned l = 0; l < L; ++l) {
        if (rolled) {
          trade_option_at(o, a, mk.spot[l], mk.close_price[i][l], mk.close_quote_vega[i][l], i, l, 0.0);
        } else {
          trade_option(o, a, mk, i, l, 0.0);
        }
      }
    }
  }

  /// At a roll step: what each lane holds of every rolled series is sold or bought back at its closing
  /// marks (MarketTile::roll_series), paying the costs of trade_option; the rule then trades the new
  /// series from a position of 0.
  HS_HD_COLD void roll_options(OptionLanes<L>& o, PolicyLanes<L>& a, const MarketTile<T, L>& mk) {
    for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
      if (i >= hp.n_hedge_options || !mk.rolled[i]) continue;
      for (unsigned l = 0; l < L; ++l)
        trade_option_at(o, a, mk.spot[l], mk.close_price[i][l], mk.close_quote_vega[i][l], i, l, 0.0);
    }
  }

  /// Lane l's trade of hedge option i to the position q at its mark: the price, and per unit traded the
  /// fee min(fee_fraction·S, fee_cap·price) and the half-spread times its vega (costs.options).
  HS_HD void trade_option(OptionLanes<L>& o, PolicyLanes<L>& a, const MarketTile<T, L>& mk, unsigned i, unsigned l,
                          double q) {
    trade_option_at(o, a, mk.spot[l], mk.opt_price[i][l], mk.opt_quote_vega[i][l], i, l, q);
  }
  HS_HD void trade_option_at(OptionLanes<L>& o, PolicyLanes<L>& a, double spot, double price, double quote_vega,
                             unsigned i, unsigned l, double q) {
    const double dq = q - o.pos[i][l];
    const double fee = m::min(hp.opt_fee_fraction * spot, hp.opt_fee_cap * price);
    const double cost = m::fabs(dq) * (fee + hp.opt_half_spread * quote_vega);
    a.cash[l] -= dq * price + cost;
    o.costs[l] += cost;
    o.pos[i][l] = q;
  }

  /// Policy p's (slot a) trades to next[l] on every lane that differs, booked as the job's costs need.
  template <bool kTrack>
  HS_HD void execute(PolicyLanes<L>& a, const MarketTile<T, L>& mk, unsigned p, std::uint32_t n, bool gas, bool costs) {
    if (costs) {
      for (unsigned l = 0; l < L; ++l) trade_with_impact(a, mk, p, l, n);
    } else if (gas || hp.fixed_cost != 0.0 || hp.instrument == HedgeInstrument::spot) {
      HS_LANES
      for (unsigned l = 0; l < L; ++l) trade<true, kTrack>(a, mk, l, n);
    } else {
      HS_LANES
      for (unsigned l = 0; l < L; ++l) trade<false, kTrack>(a, mk, l, n);
    }
  }

  /// Lane l's rebalance to next[l] when it differs from the position, without slippage or failures:
  /// gas per attempt, the proportional fee and the fixed cost; a lane that does not trade adds zeros.
  /// kCharges = false leaves out gas, the fixed cost and a spot hedge's cash (all zero for the job);
  /// kTrack = false leaves out the last trade's step and spot, which only some rules read.
  template <bool kCharges, bool kTrack>
  HS_HD void trade(PolicyLanes<L>& a, const MarketTile<T, L>& mk, unsigned l, std::uint32_t n) {
    const bool attempt = next[l] != a.hedge[l];
    const double traded = next[l] - a.hedge[l];
    const double notional = m::fabs(traded) * mk.spot[l];
    const double fee = hp.fee_rate * notional;
    if (kCharges) {
      const double g = attempt ? mk.gas_cost[l] : 0.0;
      const double fixed = attempt ? hp.fixed_cost : 0.0;
      a.cash[l] -= g;
      a.gas[l] += g;
      a.cash[l] -= fee + fixed + 0.0;
      a.cash[l] -= hp.instrument == HedgeInstrument::spot ? traded * mk.spot[l] : 0.0;
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
      a.last_trade_spot[l] = attempt ? mk.spot[l] : a.last_trade_spot[l];
      a.traded[l] = attempt ? 1.0 : a.traded[l];
    }
  }

  /// The same with slippage and execution failures: every attempt pays gas; it fails with the
  /// configured probability, or when an AMM pool cannot fill it, leaving the position unchanged.
  HS_HD void trade_with_impact(PolicyLanes<L>& a, const MarketTile<T, L>& mk, unsigned p, unsigned l,
                               std::uint32_t n) {
    if (next[l] == a.hedge[l]) return;
    const double traded = next[l] - a.hedge[l];
    a.cash[l] -= mk.gas_cost[l];
    a.gas[l] += mk.gas_cost[l];
    const double impact = slippage_cost(hp, traded, mk.spot[l]);
    if (impact < 0.0 || (hp.failure_probability > 0.0 && failure_uniform(mk, n, p, l) < hp.failure_probability)) {
      a.failures[l] += 1.0;
      return;
    }
    const double notional = m::fabs(traded) * mk.spot[l];
    const double fee = hp.fee_rate * notional;
    a.cash[l] -= fee + hp.fixed_cost + impact;
    if (hp.instrument == HedgeInstrument::spot) a.cash[l] -= traded * mk.spot[l];
    a.fees[l] += fee;
    a.fixed[l] += hp.fixed_cost;
    a.slippage[l] += impact;
    a.turnover[l] += notional;
    a.trades[l] += 1;
    a.hedge[l] = next[l];
    a.last_trade_step[l] = static_cast<double>(n);
    a.last_trade_spot[l] = mk.spot[l];
    a.traded[l] = 1.0;
  }

  /// Field f of every held policy on the valid lanes: v[l], a value of the path, the same for each policy.
  HS_HD void put_shared(PathField f, const double* v) {
    const std::uint64_t block = stride * hp.n_policies;
    for (unsigned k = 0; k < NP && k < count; ++k)
      for (unsigned l = 0; l < valid; ++l) out[index_of(f) * block + (first + k) * stride + row0 + l] = v[l];
  }

  /// P&L at the horizon = book cash + coin·S_T + policy cash (+ h·S_T for spot), and the other fields.
  /// kEverlasting: the book's everlasting funding (everlasting_funding; with attribution put_attribution
  /// writes it, 0 for a book without everlasting options).
  template <bool kEverlasting = false>
  HS_HD void finish(const MarketTile<T, L>& mk) {
    const bool everlasting = kEverlasting && hp.everlasting;  // the GPU's options program runs other books too
    const std::uint64_t block = stride * hp.n_policies;
    const bool spot_hedge = hp.instrument == HedgeInstrument::spot;
    for (unsigned k = 0; k < NP && k < count; ++k) {
      const unsigned p = first + k;
      const PolicyLanes<L>& a = pol[k];
      const OptionLanes<L>& ol = opt_of(k);
      const bool options = kOptions && hp.n_hedge_options > 0;
      for (unsigned l = 0; l < valid; ++l) {
        const double spot_value = spot_hedge ? a.hedge[l] * mk.spot[l] : 0.0;
        const double hedge_value = options ? spot_value + option_value(ol, mk, l) : spot_value;
        const auto put = [&](PathField f, double v) { out[index_of(f) * block + p * stride + row0 + l] = v; };
        const double pnl = policy_pnl(mk.book_cash[l], mk.coin[l], mk.spot[l], a.cash[l], hedge_value);
        put(PathField::pnl, pnl);
        const double cost = a.fees[l] + a.fixed[l] + a.gas[l] + a.slippage[l] + a.funding[l];
        const bool margined = kMargin && hp.margin;
        const MarginResults margin = margined ? margins[k].results(l) : MarginResults{};
        put(PathField::cost, margined ? (options ? cost + ol.costs[l] : cost) + margin.loss
                                      : (options ? cost + ol.costs[l] : cost));
        put(PathField::fees, a.fees[l]);
        put(PathField::fixed, a.fixed[l]);
        put(PathField::gas, a.gas[l]);
        put(PathField::slippage, a.slippage[l]);
        put(PathField::funding, a.funding[l]);
        put(PathField::trades, static_cast<double>(a.trades[l]));
        put(PathField::failures, a.failures[l]);
        put(PathField::turnover, a.turnover[l]);
        put(PathField::max_delta_error, a.max_error[l]);
        put(PathField::option_costs, options ? ol.costs[l] : 0.0);
        if (everlasting) put(PathField::everlasting_funding, mk.book_funding[l]);
        if (margined && !hp.attribution) {  // with attribution put_attribution writes them
          put(PathField::everlasting_funding, 0.0);
          put_no_pool(put);  // the config refuses order_flow with margin
          margin.put_to(put);
        }
        static_assert(kPathFields == 29, \
                      "a new path field needs its value here (or in put_attribution, or HedgeTile::finish)");
        if (kAttributionLater || !hp.attribution) continue;
        const BookAttribution<L>& b = mk.att;
        const double charges = a.fees[l] + a.fixed[l] + a.gas[l] + a.slippage[l];
        AttributionInputs x{b.inception[l], b.delta_pnl[l], b.gamma_pnl[l], b.theta_pnl[l], b.vega_pnl[l],
                            b.higher_order[l], b.interest[l], pnl, a.cash[l], hedge_value, a.interest[l], a.funding[l],
                            options ? charges + ol.costs[l] : charges};
        if (margined) x.charges += margin.loss;
        if (everlasting) x.book_funding = mk.book_funding[l];
        x.margin = margin;
        if (!options) {
          put_attribution<false>(x, put);
          continue;
        }
        const OptionLanes<L>& o = ol;
        x.opt_delta = o.delta_pnl[l];
        x.opt_gamma = o.gamma_pnl[l];
        x.opt_theta = o.theta_pnl[l];
        x.opt_vega = o.vega_pnl[l];
        x.opt_higher_order = o.higher_order[l];
        put_attribution<true>(x, put);
      }
    }
  }
};

/// Which tile a CPU job runs (HedgeTile), each compiled apart so that the tile of every other job carries
/// none of its code (file comment): the standard one; kSurface, a job marking on a volatility surface
/// (hp.marks = surface); kEverlasting, a book holding everlasting options (HedgeParams::everlasting);
/// kMargin, a hedge on margin (hp.margin, margin.hpp); kPool, an options AMM's book that customers trade
/// (order_flow:, order_flow.hpp). The config refuses any two together.
enum class TileKind { standard, surface, everlasting, margin, pool };

/// The pool of a tile that has none (HedgeTile::pool).
struct NoPool {};

/// The hedging of a tile of L paths by every policy (the CPU backend's tile, and one path at a time
/// for backtests and sample trades), as an observer of the path engine, of kind K (TileKind).
template <class T, unsigned L, TileKind K = TileKind::standard>
struct HedgeTile {
  static constexpr bool kSurface = K == TileKind::surface;
  static constexpr bool kEverlasting = K == TileKind::everlasting;
  static constexpr bool kMargin = K == TileKind::margin;
  static constexpr bool kPool = K == TileKind::pool;
  double log_s0k[kMaxBookOptions];  ///< ln(S0/K) per option, once per tile (book_greeks)
  MarketTile<T, L> market;
  PolicyTile<T, L, kMaxPolicies, false, false, true, kMargin> policies;
  /// kPool: the pool's inventory and what its customers brought (order_flow.hpp).
  [[no_unique_address]] std::conditional_t<kPool, PoolLanes<L>, NoPool> pool;

  HS_HD HedgeTile(const HedgeParams& params, double* results, std::uint64_t rows, std::uint64_t first_row,
                  std::uint64_t run_seed, std::uint64_t first_path, unsigned valid_lanes)
      : market(params, run_seed, first_path, log_s0k),
        policies(params, results, rows, first_row, valid_lanes, 0, params.n_policies) {}
  HedgeTile(const HedgeTile&) = delete;  // market.log_s0k points into this object
  HedgeTile& operator=(const HedgeTile&) = delete;

  /// Moves the tile to the paths [first_path, first_path + valid) at rows from first_row.
  HS_HD void place(std::uint64_t first_row, std::uint64_t first_path, unsigned valid_lanes) {
    policies.row0 = first_row;
    market.path0 = first_path;
    policies.valid = valid_lanes;
  }

  /// x[l], v[l]: lane l's state at t = 0.
  HS_HD void begin(const T* x, const T* v) {
    (void)x;  // ln(S0/S0) = 0 on every path
    market.template begin<kEverlasting>(v);
    log_spot0_strike(market.hp, log_s0k);
    policies.begin();
    if constexpr (kPool) pool.begin(market.hp.flow);
    decide(0);
  }

  /// The state x[l], v[l] of every lane after step n.
  HS_HD void after_step(std::uint32_t n, const T* x, const T* v) {
    market.advance(n, x, v);
    if constexpr (kPool) pool.advance(market.hp.flow, n, market.spot, market.log_spot, market.book_cash);
    policies.accrue(market, n);
    if (n < market.hp.steps) {
      decide(n);
    } else {
      market.decision_vol();  // the horizon's vol: the marks there
      market.template pay_funding<kEverlasting>(n);
      if (market.hp.attribution) {
        attribute(n);
      } else if (market.hp.book_past_horizon) {
        mark_book(n);
      }
      market.close_book();
      if constexpr (kPool) {
        const HedgeParams& hp = market.hp;
        pool.close(hp.flow, n, market.spot, market.sigma, hp.rate, hp.dividend, hp.dt, market.book_cash);
      }
      if (market.hp.n_hedge_options > 0) option_marks(n);
      if (unwinds_at(market.hp, n)) unwind(n);
      if (market.hp.n_hedge_options > 0) policies.horizon_options(market);
      policies.template finish<kEverlasting>(market);
      if constexpr (kPool) {
        const double none[L] = {};
        policies.put_shared(PathField::everlasting_funding, none);
        policies.put_shared(PathField::spread_income, pool.spread_income);
        policies.put_shared(PathField::customer_trades, pool.trades);
      }
    }
  }

  /// kPool, at decision n: the customers of n trade the pool's board (none at t = 0), and the hedge takes the
  /// inventory's delta and gamma on top of the book's.
  HS_HD_COLD void flow_decision(std::uint32_t n) {
    const HedgeParams& hp = market.hp;
    if (n > 0) {
      pool.arrive(hp.flow, market.seed, market.path0, n, market.spot, market.log_spot, market.sigma, hp.rate,
                  hp.dividend, hp.dt, market.book_cash);
    }
    pool.greeks(hp.flow, n, market.spot, market.sigma, hp.rate, hp.dividend, hp.dt);
    for (unsigned l = 0; l < L; ++l) {
      market.delta[l] += pool.delta[l];
      market.gamma[l] += pool.gamma[l];
    }
    market.template hedge_target<true>(market.delta, market.target);
  }

  /// The book's marks at n: on the surface in the surface tile, else from hp.marks.
  HS_HD void mark_book(std::uint32_t n) {
    if constexpr (kSurface) {
      market.template mark_book_from<MarkSource::surface>(n);
    } else {
      market.template mark_book<kEverlasting>(n);
    }
  }
  /// The hedge options' marks at n, from the same source.
  HS_HD void option_marks(std::uint32_t n) {
    if constexpr (kSurface) {
      market.template hedge_option_marks_from<MarkSource::surface>(n);
    } else {
      market.template hedge_option_marks<kEverlasting>(n);
    }
  }

  HS_HD void attribute(std::uint32_t n) {
    mark_book(n);
    market.template attribute<kEverlasting>(n);
  }

  /// hedge.unwind_at_expiry at the horizon n: its decision closes what is held (nothing when the unwind
  /// came before it), at the horizon's spot, gas and option marks.
  HS_HD_COLD void unwind(std::uint32_t n) {
    market.template decision_greeks<true, kSurface, kEverlasting>(n);
    market.times = decision_times<kEverlasting>(market.hp, n);
    policies.template decide<DecideCode::by_job, kEverlasting>(n, market);
  }

  HS_HD void decide(std::uint32_t n) {
    market.decision_vol();
    market.template pay_funding<kEverlasting>(n);
    if (market.hp.attribution) attribute(n);
    market.template decision_greeks<true, kSurface, kEverlasting>(n);
    if constexpr (kPool) flow_decision(n);
    if (market.hp.n_hedge_options > 0) option_marks(n);
    market.times = decision_times<kEverlasting>(market.hp, n);
    policies.template decide<DecideCode::by_job, kEverlasting>(n, market);
  }
};

/// One path's hedging, as simulate_path's observer (sample trades, backtests, tests).
template <class T, TileKind K = TileKind::standard>
struct HedgeObserver {
  HedgeTile<T, 1, K> tile;
  HS_HD HedgeObserver(const HedgeParams& params, double* results, std::uint64_t rows, std::uint64_t path_row,
                      std::uint64_t run_seed, std::uint64_t path_index)
      : tile(params, results, rows, path_row, run_seed, path_index, 1) {}
  HS_HD void begin(const PathState<T>& s) { tile.begin(&s.x, &s.v); }
  HS_HD void after_step(std::uint32_t n, const PathState<T>& s) { tile.after_step(n, &s.x, &s.v); }
};

/// The tile hp's job runs.
HS_HD TileKind tile_kind(const HedgeParams& hp) {
  if (hp.marks == MarkSource::surface) return TileKind::surface;
  if (hp.everlasting) return TileKind::everlasting;
  if (hp.margin) return TileKind::margin;
  if (has_order_flow(hp)) return TileKind::pool;
  return TileKind::standard;
}

/// Calls f(std::integral_constant<TileKind, K>{}) with the tile hp's job runs: the one place the CPU picks it.
template <class F>
decltype(auto) with_tile_kind(const HedgeParams& hp, F&& f) {
  switch (tile_kind(hp)) {
    case TileKind::surface: return f(std::integral_constant<TileKind, TileKind::surface>{});
    case TileKind::everlasting: return f(std::integral_constant<TileKind, TileKind::everlasting>{});
    case TileKind::margin: return f(std::integral_constant<TileKind, TileKind::margin>{});
    case TileKind::pool: return f(std::integral_constant<TileKind, TileKind::pool>{});
    case TileKind::standard: break;
  }
  return f(std::integral_constant<TileKind, TileKind::standard>{});
}

}  // namespace hedgesim
