#pragma once
// The GPU's hedging of a block of paths, written once for the device and for a host emulation that
// tests it (tests/test_hedge_block.cpp). One thread per path made every thread carry every policy's
// accounts (local memory, 12% occupancy); here the work splits by what it depends on:
//   market   one thread per path steps the model and the book's cash, coin, funding and gas
//            (MarketTile::advance) — the only sequential recurrence shared by the policies;
//   greeks   every thread of the block takes (step, path) items of the chunk: the hedge target, gamma
//            and gas of each decision (MarketTile::decision_greeks), and the decision times per step;
//   policy   items (path, policy): a thread loads an item's accounts from shared memory, replays the
//            chunk's decisions with one policy's accounts in registers (PolicyTile with one slot) and
//            saves them back.
// A chunk is K decision steps; the three phases are separated by block barriers. Every value comes from
// the same functions as the CPU tile's (hedge_observer.hpp), in the same order, so the emulation is
// bit-identical to the CPU backend and the device differs only by its own rounding (FMA contraction,
// libdevice).
//
// Work items are policy-major: item i is path i mod paths and policy i / paths of the block's policy
// group, so a warp's item holds one policy (no divergence between rules) and 32 consecutive paths
// (coalesced records and results). A block has at most 4 warps, which take the items in rounds: small
// blocks let several blocks share an SM, one in its market phase while another replays policies (one
// thread per item kept a 9-policy block at 288 threads, one block and 9 warps per SM). A run with more
// policies than a group holds splits them into groups (grid y), each repeating the market work.
//
// P&L attribution (output.attribution) is a kernel of its own (kAttribution), so the kernel without it
// carries none of its registers: the market threads mark the book at every step (MarketTile::attribute)
// and keep its marks and pieces in shared memory, each item keeps the interest on its cash, and after
// the horizon each item writes its attribution fields from shared memory (write_attribution).
//
// Hedge options (hp.n_hedge_options > 0) are a kernel of their own too (kOptions): the greeks items also
// mark the hedge options and take the book's vega at each decision and the horizon
// (MarketTile::hedge_option_marks) into record fields after the Leland targets (kOptRec*), and each
// policy item keeps its option positions, costs and (with attribution) their pieces in shared memory.
// The same kernel runs the rules the standard one leaves out (uses_options_kernel): trade sizes and the
// unwind (trade_size.hpp; the horizon then has a decision too) and premium-adjusted deltas. A job with
// none of them has the records, shared memory and kernel it had before.
//
// The marks' source (hedge.marks) is a compile-time property too (kMarks): model marks change the market
// threads' marking of the book (attribution) and the hedge options' marks (with their quote vegas in the
// records); surface marks also the greeks items' book delta and gamma and their hedge options' marks, and
// the close-out at the horizon.
//
// Everlasting options (hp.everlasting) run in the options program too, with Black–Scholes marks (kEverlasting
// of HedgeBlock; the config refuses the other marks for them): the market threads pay their funding and
// close them at the horizon, keeping the book's funding in one more market state field
// (everlasting_state_field), and the greeks items sum their Europeans' greeks.
//
// So does the margin account of hedge.margin (margin.hpp; kMargin of HedgeBlock, the options program
// without surface marks, which the config refuses with it): each policy item keeps its account in
// MarginStateField fields after its option state.
//
// An options AMM's customers (order_flow:, order_flow.hpp) are a program of their own, the options program
// with kPool: the market threads keep the pool's inventory in market state fields (pool_state_field0: its
// anchor, spread income, customer count, then a contract count per series; blocks of 32 paths, so that
// the up to 35 fields a path fit in shared memory), settle it, take each decision's customers and record
// the inventory's delta and gamma (kPoolRec*), which the greeks items add to the book's before the target;
// the policy items write the pool's fields from the market state at the horizon. The pool program holds no
// everlasting options' or margin account's code: the config refuses both with order flow.
#include <cstdint>
#include <type_traits>
#if !defined(__CUDACC__)
#include <vector>
#endif

#include "hedgesim/engine/path.hpp"
#include "hedgesim/hd.hpp"
#include "hedgesim/hedging/hedge_observer.hpp"
#include "hedgesim/hedging/policy.hpp"
#include "hedgesim/hedging/trade_size.hpp"

namespace hedgesim {

/// Whether the GPU runs the job with the options kernel (kOptions): it has hedge options, or a rule only
/// that kernel holds — trade sizes or the unwind (has_execution_rules), premium-adjusted deltas, Leland's
/// sign per decision (MarketTile::decision_greeks), everlasting options, a margin account — so that the
/// standard kernel carries none of their registers. Its policy items keep option state either way.
HS_HD bool uses_options_kernel(const HedgeParams& hp) {
  return hp.n_hedge_options > 0 || has_execution_rules(hp) || hp.premium_adjusted || hp.leland_sign_turns ||
         hp.everlasting || hp.margin || has_order_flow(hp);
}

/// The market records of a chunk in shared memory, field-major [field][step of chunk][path].
enum RecordField : unsigned {
  kRecSpot,
  kRecLogSpot,
  kRecVariance,
  kRecSigma,
  kRecCoin,
  kRecFunding,  ///< the funding rate after the step's move: in force over the next step
  kRecLogGas,
  kRecBookCash,
  kRecTarget,
  kRecGamma,
  kRecGasCost,
  kRecordFields  ///< then one field per Leland policy of the group: its own target, then the hedge options'
};

/// With hedge options, the record fields after the Leland targets (BlockShape::option_field0): the book's
/// vega, then per hedge option i its marks at kOptRecFirst + option_record_fields(model marks)·i + kOptRec*.
/// With model marks an option also records its quote vega (the half-spread's, book_marks.hpp); with
/// Black–Scholes marks that is its vega.
enum OptionRecordField : unsigned {
  kOptRecBookVega = 0,
  kOptRecFirst = 1,
  kOptRecPrice = 0,
  kOptRecDelta,
  kOptRecGamma,
  kOptRecTheta,
  kOptRecVega,
  kOptRecPerOption,
  kOptRecQuoteVega = kOptRecPerOption,  ///< model marks only
  kOptRecPerOptionModel
};
/// Record fields per hedge option: kOptRecPerOption, or with model marks kOptRecPerOptionModel.
HS_HD constexpr unsigned option_record_fields(bool model_marks) {
  return model_marks ? kOptRecPerOptionModel : kOptRecPerOption;
}

/// With rolling hedge options (hp.rolling_options), per hedge option i after every option's marks, at
/// BlockShape::rolling_field0 + kRollRecFields·i + kRollRec*: the strike of the series held into the step
/// (the market thread's, before a roll there), and at a roll step the closing price and quote vega of
/// that series (the greeks item's, MarketTile::roll_series).
enum RollingRecordField : unsigned { kRollRecStrike, kRollRecClosePrice, kRollRecCloseQuoteVega, kRollRecFields };

/// With order_flow (the pool program), at BlockShape::pool_field0: the inventory's delta and gamma at each
/// decision after its customers (0 at the horizon, where the inventory is closed).
enum PoolRecordField : unsigned { kPoolRecDelta, kPoolRecGamma, kPoolRecFields };
/// With order_flow, the market state fields of the pool from BlockShape::pool_state0: anchor, spread income,
/// customers, then the contracts held of each series.
enum PoolStateField : unsigned { kPsfAnchor, kPsfSpread, kPsfTrades, kPsfQty0 };

/// A market thread's state between chunks, kept in shared memory so that its registers are free
/// while the block's policy threads run: [field][path].
enum MarketStateField : unsigned {
  kStX,
  kStV,
  kStSpotPrev,
  kStBookCash,
  kStCoin,
  kStFunding,
  kStLogGas,
  kStSigma,
  kMarketStateFields  ///< then, with attribution, BookAttribution's kStateFields; then everlasting_state_field
};

/// With everlasting options (hp.everlasting), the market state field of the funding the book has paid:
/// after the attribution's fields.
HS_HD constexpr unsigned everlasting_state_field(bool attribution) {
  return kMarketStateFields + (attribution ? BookAttribution<1>::kStateFields : 0);
}
/// With rolling hedge options, the market state field of hedge option i's series strike: after the
/// everlasting funding's (everlasting: the job has that field).
HS_HD constexpr unsigned series_strike_state_field(bool attribution, bool everlasting, unsigned i) {
  return everlasting_state_field(attribution) + (everlasting ? 1 : 0) + i;
}

/// A policy item's state between chunks, in shared memory like the market's: [field][item].
enum PolicyStateField : unsigned {
  kPsHedge,
  kPsCash,
  kPsFees,
  kPsFixed,
  kPsFunding,
  kPsGas,
  kPsSlippage,
  kPsTurnover,
  kPsMaxError,
  kPsTrades,
  kPsFailures,
  kPsLastTradeStep,
  kPsLastTradeSpot,
  kPsTraded,
  kPsSpotPrev,
  kPsFundingRate,
  kPolicyStateFields,
  kPsInterest = kPolicyStateFields  ///< with attribution only: the policy's interest
};

/// With hedge options, a policy item's option state after kPolicyStateFields (+ kPsInterest with
/// attribution): positions and costs, then with attribution OptionLanes' marks and pieces.
enum OptionStateField : unsigned {
  kOsPos0,
  kOsPos1,
  kOsCosts,
  kOptionStateFields,
  kOsValue = kOptionStateFields,
  kOsDelta,
  kOsGamma,
  kOsTheta,
  kOsVega,
  kOsSpot,
  kOsVolState,
  kOsSettled,
  kOsDeltaPnl,
  kOsGammaPnl,
  kOsThetaPnl,
  kOsVegaPnl,
  kOsHigherOrder,
  kOptionAttributionStateFields
};
static_assert(kMaxHedgeOptions == 2, "OptionStateField names a position per hedge option");

/// With hedge.margin, a policy item's margin account (MarginLanes) after its option state
/// (BlockShape::margin_state0).
enum MarginStateField : unsigned {
  kMsTopups,
  kMsPending,
  kMsArrival,
  kMsLiquidated,
  kMsLoss,
  kMsNeed,
  kMsImpact,
  kMsCascaded,
  kMsCascadeLoss,
  kMarginStateFields
};

/// How a launch divides the work (block_shape picks it).
struct BlockShape {
  unsigned paths;     ///< paths per block: a multiple of 32
  unsigned policies;  ///< policies per block (the group size)
  unsigned groups;    ///< policy groups (grid y): policies [g·policies, min(n, (g+1)·policies))
  unsigned chunk;     ///< decision steps per chunk (K)
  unsigned leland;    ///< Leland targets recorded per path and step: the most Leland policies of a group
  unsigned block_threads;  ///< threads per block: a multiple of 32, at most kBlockThreadsMax
  bool attribution;        ///< hp.attribution: the market keeps the book's attribution, a policy its interest
  unsigned hedge_options;  ///< hp.n_hedge_options: option marks in the records
  bool options_kernel;     ///< uses_options_kernel: option state in the policy items
  bool model_marks;        ///< hp.marks is model: with hedge options, their quote vegas in the records too
  bool everlasting;        ///< hp.everlasting: the market keeps the book's everlasting funding
  bool margin;             ///< hp.margin: the policy items keep their margin accounts
  bool rolling;            ///< hp.rolling_options: series strikes in the market state and the records
  unsigned pool_series;    ///< order_flow: the board's series (the pool's state and records); 0: none

  HS_HD unsigned threads() const { return block_threads; }
  /// Policy items (path, policy) of a block.
  HS_HD unsigned items() const { return paths * policies; }
  /// The first record field of the hedge options' (OptionRecordField); also the record fields of a job
  /// without hedge options (the kernel without them reads this, not record_fields()).
  HS_HD unsigned option_field0() const { return kRecordFields + leland; }
  /// The first record field of the rolling options' (RollingRecordField).
  HS_HD unsigned rolling_field0() const {
    return option_field0() +
           (hedge_options > 0 ? kOptRecFirst + option_record_fields(model_marks) * hedge_options : 0);
  }
  /// The first record field of the pool's (PoolRecordField).
  HS_HD unsigned pool_field0() const { return rolling_field0() + (rolling ? kRollRecFields * hedge_options : 0); }
  HS_HD unsigned record_fields() const { return pool_field0() + (pool_series > 0 ? kPoolRecFields : 0); }
  /// The first market state field of the pool's (PoolStateField).
  HS_HD unsigned pool_state0() const {
    return series_strike_state_field(attribution, everlasting, 0) + (rolling ? hedge_options : 0);
  }
  HS_HD unsigned market_state_fields() const { return pool_state0() + (pool_series > 0 ? kPsfQty0 + pool_series : 0); }
  /// The first policy state field of the hedge options' (OptionStateField).
  HS_HD unsigned option_state0() const { return kPolicyStateFields + (attribution ? 1 : 0); }
  /// The first policy state field of the margin account's (MarginStateField).
  HS_HD unsigned margin_state0() const {
    return option_state0() + (!options_kernel ? 0 : attribution ? kOptionAttributionStateFields : kOptionStateFields);
  }
  HS_HD unsigned policy_state_fields() const { return margin_state0() + (margin ? kMarginStateFields : 0); }
  /// Doubles of shared memory: the records, the decision times per step, ln(S0/K) per option, the
  /// market state of the paths and the policy items' state.
  HS_HD unsigned shared_doubles() const {
    return record_fields() * chunk * paths + 2 * chunk + kMaxBookOptions + market_state_fields() * paths +
           policy_state_fields() * items();
  }
};

/// At most this many threads per block (the kernel's launch bound: 128 registers a thread, and 4
/// blocks an SM when their shared memory fits).
constexpr unsigned kBlockThreadsMax = 128;
/// Records per chunk (steps × paths) at most: 256 records of 11 doubles are 22.5 KB of shared memory.
constexpr unsigned kChunkRecords = 256;
/// Shared memory a block aims to stay under, so that 4 blocks share an SM's 228 KB (1 KB each is the
/// driver's): chunks get shorter when a group's policy state takes the room.
constexpr unsigned kBlockSharedTarget = 55 * 1024;

/// The shape for hp's policies: groups of at most 16 policies; 32 paths per block from 4 policies a
/// group, more (up to 128) for fewer, so that a block has about 4 warps of items; 3–4 warps a block
/// taking the items in equal rounds; the longest chunk (up to kChunkRecords records) within
/// kBlockSharedTarget, at least two steps (the barriers of a chunk cost as much as a step or two).
inline BlockShape block_shape(const HedgeParams& hp) {
  BlockShape s{};
  const unsigned n = hp.n_policies > 0 ? hp.n_policies : 1;
  s.attribution = hp.attribution;
  s.hedge_options = hp.n_hedge_options;
  s.options_kernel = uses_options_kernel(hp);
  s.model_marks = hp.marks == MarkSource::model;
  s.everlasting = hp.everlasting;
  s.margin = hp.margin;
  s.rolling = hp.rolling_options;
  s.pool_series = hp.flow.n_series;
  s.groups = (n + 15) / 16;
  s.policies = (n + s.groups - 1) / s.groups;
  s.paths = s.pool_series > 0 ? 32 : 32 * (s.policies >= 4 ? 1 : 4 / s.policies);
  const unsigned item_warps = s.items() / 32, max_warps = kBlockThreadsMax / 32;
  const unsigned rounds = (item_warps + max_warps - 1) / max_warps;
  s.block_threads = 32 * ((item_warps + rounds - 1) / rounds);
  for (unsigned g = 0; g < s.groups; ++g) {
    unsigned leland = 0;
    for (unsigned p = g * s.policies; p < hp.n_policies && p < (g + 1) * s.policies; ++p) leland += hp.policies[p].leland;
    s.leland = leland > s.leland ? leland : s.leland;
  }
  s.chunk = kChunkRecords / s.paths;
  while (s.chunk > 2 && s.shared_doubles() * sizeof(double) > kBlockSharedTarget) --s.chunk;
  return s;
}

/// A view of one block's shared memory.
struct ChunkRecords {
  double* base;
  unsigned paths;
  unsigned chunk;
  unsigned fields;  ///< BlockShape::record_fields
  unsigned market_fields;  ///< BlockShape::market_state_fields
  unsigned option_field0 = 0;  ///< BlockShape::option_field0 (hedge options only)
  unsigned option_state0 = 0;  ///< BlockShape::option_state0 (hedge options only)
  unsigned margin_state0 = 0;  ///< BlockShape::margin_state0 (the options program only)
  unsigned rolling_field0 = 0;  ///< BlockShape::rolling_field0 (the options program only)
  unsigned pool_field0 = 0;     ///< BlockShape::pool_field0 (the pool program only)
  unsigned pool_state0 = 0;     ///< BlockShape::pool_state0 (the pool program only)
  /// Rolling hedge option i's record field f (RollingRecordField).
  HS_HD double& rolling(unsigned i, unsigned f, unsigned k, unsigned j) const {
    return at(rolling_field0 + kRollRecFields * i + f, k, j);
  }

  HS_HD double& at(unsigned f, unsigned k, unsigned j) const { return base[(f * chunk + k) * paths + j]; }
  HS_HD double* tau_last() const { return base + fields * chunk * paths; }
  HS_HD double* discount_last() const { return tau_last() + chunk; }
  HS_HD double* log_s0k() const { return discount_last() + chunk; }
  HS_HD double& state(unsigned f, unsigned j) const { return log_s0k()[kMaxBookOptions + f * paths + j]; }
  /// Policy item i's state (items: the block's).
  HS_HD double& policy_state(unsigned f, unsigned i, unsigned items) const {
    return log_s0k()[kMaxBookOptions + market_fields * paths + f * items + i];
  }
};

/// A thread's state between chunks in and out of shared memory, MarketThread's and PolicyThread's alike:
/// `thread.visit_state(v)` lists the parts, `slot(field)` is the shared double of a field.
template <class Thread, class Slot>
HS_HD void load_state(Thread& thread, Slot&& slot) {
  thread.visit_state([&](auto field, auto& x) { x = static_cast<std::remove_reference_t<decltype(x)>>(slot(field)); });
}
template <class Thread, class Slot>
HS_HD void save_state(Thread& thread, Slot&& slot) {
  thread.visit_state([&](auto field, auto& x) { slot(field) = static_cast<double>(x); });
}

/// The market of one path: steps the model and records each decision step's market state. It lives
/// for one chunk: start() (the first chunk) or load() (the state the previous chunk saved), then run(),
/// then save(). kEverlasting: the program holds everlasting options' code (HedgeBlock); kOptions: the
/// options program's, which keeps the series strikes of rolling hedge options; kPool: the pool program's,
/// which keeps the pool's inventory and takes its customers (order_flow.hpp).
template <class T, class Model, bool kAttribution, MarkSource kMarks = MarkSource::black_scholes,
          bool kEverlasting = false, bool kOptions = false, bool kPool = false>
struct MarketThread {
  const Model& model;
  std::uint64_t seed;
  std::uint64_t path;
  PathState<T> state;
  MarketTile<T, 1> mk;
  [[no_unique_address]] std::conditional_t<kPool, PoolLanes<1>, NoPool> pool;
  unsigned pool_state0 = 0;  ///< kPool: ChunkRecords::pool_state0

  HS_HD MarketThread(const Model& m, const HedgeParams& hp, std::uint64_t run_seed, std::uint64_t path_index,
                     const double* log_s0k)
      : model(m), seed(run_seed), path(path_index), mk(hp, run_seed, path_index, log_s0k) {}

  /// The state at t = 0.
  HS_HD void start() {
    state = model.initial();
    mk.template begin<kEverlasting, kOptions>(&state.v);
    if constexpr (kPool) pool.begin(mk.hp.flow);
  }
  /// Calls v(field, value) for each part of the state kept between chunks (load_state, save_state).
  template <class Visit>
  HS_HD void visit_state(Visit&& v) {
    v(kStX, state.x);
    v(kStV, state.v);
    v(kStSpotPrev, mk.spot_prev[0]);
    v(kStBookCash, mk.book_cash[0]);
    v(kStCoin, mk.coin[0]);
    v(kStFunding, mk.funding_rate[0]);
    v(kStLogGas, mk.log_gas[0]);
    v(kStSigma, mk.sigma[0]);
    if (kEverlasting && mk.hp.everlasting) v(everlasting_state_field(kAttribution), mk.book_funding[0]);
    if (kOptions && mk.hp.rolling_options) {
      const bool everlasting = kEverlasting && mk.hp.everlasting;
      v(series_strike_state_field(kAttribution, everlasting, 0), mk.series_strike[0][0]);
      if (mk.hp.n_hedge_options > 1) v(series_strike_state_field(kAttribution, everlasting, 1), mk.series_strike[1][0]);
      static_assert(kMaxHedgeOptions == 2, "a series strike per hedge option");
    }
    if constexpr (kPool) {
      v(pool_state0 + kPsfAnchor, pool.anchor[0]);
      v(pool_state0 + kPsfSpread, pool.spread_income[0]);
      v(pool_state0 + kPsfTrades, pool.trades[0]);
      for (unsigned s = 0; s < mk.hp.flow.n_series; ++s) v(pool_state0 + kPsfQty0 + s, pool.qty[s][0]);
    }
  }
  HS_HD void load(const ChunkRecords& r, unsigned j) {
    pool_state0 = r.pool_state0;
    load_state(*this, [&](unsigned f) -> double& { return r.state(f, j); });
  }
  HS_HD void save(const ChunkRecords& r, unsigned j) {
    pool_state0 = r.pool_state0;
    save_state(*this, [&](unsigned f) -> double& { return r.state(f, j); });
  }

  /// Records decision steps [n0, n1) (n1 ≤ steps + 1) in slots n − n0 of path j, stepping the path to
  /// each: the state after step n, and at n = steps the horizon (no decision).
  HS_HD void run(const ChunkRecords& r, unsigned j, std::uint32_t n0, std::uint32_t n1) {
    // With attribution the book's marks and pieces (mk.att) stay in shared memory, read after the
    // step and written after the marks through an address the compiler cannot see through (opaque),
    // so that they take no registers across the model's step: the market thread has none to spare.
    // The step adds its interest and payoffs to zeros, then to the loaded sums (settled is 0 there,
    // as attribute() leaves it): the same additions as the CPU tile's.
    const auto att_shared = [&](unsigned i) -> double& {
      return opaque(&r.state(kMarketStateFields, j))[static_cast<std::size_t>(i) * r.paths];
    };
    for (std::uint32_t n = n0; n < n1; ++n) {
      if (n > 0) {
        if (kAttribution) mk.att.interest[0] = mk.att.settled[0] = 0.0;
        advance<T>(model, state, seed, path, n - 1);
        mk.advance(n, &state.x, &state.v);
        if constexpr (kPool) pool.advance(mk.hp.flow, n, mk.spot, mk.log_spot, mk.book_cash);
      }
      mk.decision_vol();  // at the horizon too: the marks there
      mk.template pay_funding<kEverlasting>(n);
      if (kAttribution) {
        mk.template mark_book_from<kMarks, kEverlasting>(n);  // before the state is loaded: it takes none of the marks' registers
        if (n > 0) {
          const double interest = mk.att.interest[0], settled = mk.att.settled[0];
          mk.att.visit_state(0, [&](unsigned i, double& x) { x = att_shared(i); });
          mk.att.interest[0] += interest;
          mk.att.settled[0] = settled;
        }
        mk.template attribute<kEverlasting>(n);
        mk.att.visit_state(0, [&](unsigned i, double& x) { att_shared(i) = x; });
      }
      if (n == mk.hp.steps) {
        if (!kAttribution && mk.hp.book_past_horizon) mk.template mark_book_from<kMarks, kEverlasting>(n);
        mk.close_book();
      }
      const unsigned k = n - n0;
      if constexpr (kPool) run_pool(r, k, j, n);
      r.at(kRecSpot, k, j) = mk.spot[0];
      r.at(kRecLogSpot, k, j) = mk.log_spot[0];
      r.at(kRecVariance, k, j) = mk.variance[0];
      r.at(kRecSigma, k, j) = mk.sigma[0];
      r.at(kRecCoin, k, j) = mk.coin[0];
      r.at(kRecFunding, k, j) = mk.funding_rate[0];
      r.at(kRecLogGas, k, j) = mk.log_gas[0];
      r.at(kRecBookCash, k, j) = mk.book_cash[0];
      if (kOptions && mk.hp.rolling_options) {  // the strikes held into step n, then those listed there
        for (unsigned i = 0; i < kMaxHedgeOptions && i < mk.hp.n_hedge_options; ++i)
          r.rolling(i, kRollRecStrike, k, j) = mk.series_strike[i][0];
        mk.roll_strikes(n);
      }
    }
  }

  /// kPool at step n (slot k, path j): the decision's customers and the inventory's delta and gamma into the
  /// records (HedgeTile::flow_decision's order), or at the horizon the inventory closed into the book's cash.
  HS_HD_COLD void run_pool(const ChunkRecords& r, unsigned k, unsigned j, std::uint32_t n) {
    const HedgeParams& hp = mk.hp;
    if (n == hp.steps) {
      pool.close(hp.flow, n, mk.spot, mk.sigma, hp.rate, hp.dividend, hp.dt, mk.book_cash);
      r.at(r.pool_field0 + kPoolRecDelta, k, j) = r.at(r.pool_field0 + kPoolRecGamma, k, j) = 0.0;
      return;
    }
    if (n > 0) {
      pool.arrive(hp.flow, seed, path, n, mk.spot, mk.log_spot, mk.sigma, hp.rate, hp.dividend, hp.dt, mk.book_cash);
    }
    pool.greeks(hp.flow, n, mk.spot, mk.sigma, hp.rate, hp.dividend, hp.dt);
    r.at(r.pool_field0 + kPoolRecDelta, k, j) = pool.delta[0];
    r.at(r.pool_field0 + kPoolRecGamma, k, j) = pool.gamma[0];
  }
};

/// With hedge options (kOptions): the hedge options' marks and the book's vega at step n (a decision or
/// the horizon) of slot k, path j, from the recorded spot and vol (model marks: and variance; surface
/// marks: and ln(S/S0)), marked from the source the kernel was made for (kEverlasting: the book's
/// everlasting options' vega too).
template <MarkSource kMarks, bool kEverlasting = false>
HS_HD void record_option_marks(const HedgeParams& hp, const ChunkRecords& r, unsigned k, unsigned j, std::uint32_t n,
                               MarketTile<double, 1>& mk) {
  constexpr bool kModelMarks = kMarks == MarkSource::model;
  mk.template hedge_option_marks_from<kMarks, kEverlasting>(n);
  const unsigned f0 = r.option_field0;
  r.at(f0 + kOptRecBookVega, k, j) = mk.book_vega[0];
  for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
    if (i >= hp.n_hedge_options) break;
    const unsigned f = f0 + kOptRecFirst + option_record_fields(kModelMarks) * i;
    r.at(f + kOptRecPrice, k, j) = mk.opt_price[i][0];
    r.at(f + kOptRecDelta, k, j) = mk.opt_delta[i][0];
    r.at(f + kOptRecGamma, k, j) = mk.opt_gamma[i][0];
    r.at(f + kOptRecTheta, k, j) = mk.opt_theta[i][0];
    r.at(f + kOptRecVega, k, j) = mk.opt_vega[i][0];
    if (kModelMarks) r.at(f + kOptRecQuoteVega, k, j) = mk.opt_quote_vega[i][0];
    if (hp.rolling_options && mk.rolled[i]) {
      r.rolling(i, kRollRecClosePrice, k, j) = mk.close_price[i][0];
      r.rolling(i, kRollRecCloseQuoteVega, k, j) = mk.close_quote_vega[i][0];
    }
  }
}

/// Rolling hedge options: the series strikes held into step n (slot k, path j) from the records, into mk.
HS_HD void load_series_strikes(const HedgeParams& hp, const ChunkRecords& r, unsigned k, unsigned j,
                               MarketTile<double, 1>& mk) {
  if (!hp.rolling_options) return;
  for (unsigned i = 0; i < kMaxHedgeOptions && i < hp.n_hedge_options; ++i)
    mk.series_strike[i][0] = r.rolling(i, kRollRecStrike, k, j);
}

/// The horizon's hedge option marks (slot k, path j; kOptions).
template <MarkSource kMarks, bool kEverlasting = false>
HS_HD void record_horizon_marks(const HedgeParams& hp, const ChunkRecords& r, unsigned k, unsigned j) {
  MarketTile<double, 1> mk(hp, 0, 0, r.log_s0k());
  mk.spot[0] = r.at(kRecSpot, k, j);
  mk.sigma[0] = r.at(kRecSigma, k, j);
  if (kMarks == MarkSource::model) mk.variance[0] = r.at(kRecVariance, k, j);
  if (kMarks == MarkSource::surface) mk.log_spot[0] = r.at(kRecLogSpot, k, j);
  load_series_strikes(hp, r, k, j, mk);
  record_option_marks<kMarks, kEverlasting>(hp, r, k, j, hp.steps, mk);
}

/// The greeks item (slot k, path j) of decision step n (< steps, or the horizon's unwind): target, gamma
/// and gas of the decision, the target of each Leland policy among policies [p0, p1), and with hedge
/// options (kOptions) their marks from the source kMarks. kEverlasting: the book may hold everlasting options.
/// kPool: the pool's inventory's delta and gamma (recorded by the market thread) join the book's.
template <class T, bool kOptions = false, MarkSource kMarks = MarkSource::black_scholes, bool kEverlasting = false,
          bool kPool = false>
HS_HD void record_greeks(const HedgeParams& hp, const ChunkRecords& r, unsigned k, unsigned j, std::uint32_t n,
                         unsigned p0, unsigned p1) {
  MarketTile<T, 1> mk(hp, 0, 0, r.log_s0k());
  mk.spot[0] = r.at(kRecSpot, k, j);
  mk.log_spot[0] = r.at(kRecLogSpot, k, j);
  mk.variance[0] = r.at(kRecVariance, k, j);
  mk.sigma[0] = r.at(kRecSigma, k, j);
  mk.coin[0] = r.at(kRecCoin, k, j);
  mk.log_gas[0] = r.at(kRecLogGas, k, j);
  mk.template decision_greeks<kOptions, kMarks == MarkSource::surface, kEverlasting>(n);
  if (kPool && n < hp.steps) {  // the horizon's unwind hedges no inventory: it is closed there
    mk.delta[0] += r.at(r.pool_field0 + kPoolRecDelta, k, j);
    mk.gamma[0] += r.at(r.pool_field0 + kPoolRecGamma, k, j);
    mk.template hedge_target<kOptions>(mk.delta, mk.target);
  }
  r.at(kRecTarget, k, j) = mk.target[0];
  r.at(kRecGamma, k, j) = mk.gamma[0];
  r.at(kRecGasCost, k, j) = mk.gas_cost[0];
  unsigned slot = kRecordFields;
  for (unsigned p = p0; p < p1; ++p) {
    if (!hp.policies[p].leland) continue;
    double alt_sigma[1], alt_gamma[1], target[1];
    mk.template leland_target<kOptions, kEverlasting>(n, hp.policies[p], alt_sigma, alt_gamma, target);
    r.at(slot++, k, j) = target[0];
  }
  if (kOptions && hp.n_hedge_options > 0) {
    MarketTile<double, 1> marks(hp, 0, 0, r.log_s0k());
    marks.spot[0] = mk.spot[0];
    marks.sigma[0] = mk.sigma[0];
    if (kMarks == MarkSource::model) marks.variance[0] = mk.variance[0];
    if (kMarks == MarkSource::surface) marks.log_spot[0] = mk.log_spot[0];
    load_series_strikes(hp, r, k, j, marks);
    record_option_marks<kMarks, kEverlasting>(hp, r, k, j, n, marks);
  }
}

/// Decision times of slot k (step n, a decision), the same on every path.
template <bool kEverlasting = false>
HS_HD void record_times(const HedgeParams& hp, const ChunkRecords& r, unsigned k, std::uint32_t n) {
  const DecisionTimes t = decision_times<kEverlasting>(hp, n);
  r.tau_last()[k] = t.tau_last;
  r.discount_last()[k] = t.discount_last;
}

/// One policy's accounts on one path, replaying the recorded market. kModelMarks: the hedge options'
/// records are model marks (their quote vegas recorded, their vol state the clamped variance);
/// kEverlasting: the book may hold everlasting options (their funding from the market's state); kMargin:
/// the hedge may be on margin (its account in the item's state); kPool: an options pool's fields from the
/// market's state at the horizon.
template <class T, bool kAttribution, bool kOptions = false, bool kModelMarks = false, bool kEverlasting = false,
          bool kMargin = false, bool kPool = false>
struct PolicyThread {
  MarketTile<T, 1> mk;  ///< the recorded market at the current step (only what the policy reads)
  /// The attribution fields come after the run (write_attribution).
  PolicyTile<T, 1, 1, true, true, kOptions, kMargin> acc;
  bool reads_state;      ///< the rule reads the variance and the gas price
  unsigned target_field;  ///< kRecTarget, or the policy's Leland target
  bool trades_options;    ///< kOptions: the rule trades hedge options (reads their marks)

  /// group_first: the first policy of the thread's group (Leland targets are numbered from it).
  HS_HD PolicyThread(const HedgeParams& hp, double* out, std::uint64_t stride, std::uint64_t row, std::uint64_t seed,
                     std::uint64_t path, unsigned policy, unsigned group_first, const double* log_s0k)
      : mk(hp, seed, path, log_s0k), acc(hp, out, stride, row, 1, policy, 1),
        reads_state(rule_reads_market_state(hp.policies[policy].type)), target_field(kRecTarget),
        trades_options(kOptions && rule_hedge_options(hp.policies[policy].type) > 0) {
    if (hp.policies[policy].leland) {
      target_field = kRecordFields;
      for (unsigned p = group_first; p < policy; ++p) target_field += hp.policies[p].leland;
    }
    mk.spot[0] = mk.spot_prev[0] = hp.spot0;
    mk.log_spot[0] = mk.variance[0] = mk.sigma[0] = mk.coin[0] = mk.book_cash[0] = 0.0;
    mk.gamma[0] = mk.gas_cost[0] = 0.0;
    mk.funding_rate[0] = hp.funding_rate;
    mk.log_gas[0] = hp.gas_log_mean;
    if constexpr (kOptions) {  // a policy without options reads the marks only as 0·price at the horizon
      mk.book_vega[0] = 0.0;
      for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
        mk.opt_price[i][0] = mk.opt_delta[i][0] = mk.opt_gamma[i][0] = mk.opt_theta[i][0] = mk.opt_vega[i][0] = 0.0;
      }
    }
    acc.begin();
  }

  /// Calls v(field, value) for each part of the state kept between chunks (load_state, save_state).
  template <class Visit>
  HS_HD void visit_state(Visit&& v) {
    PolicyLanes<1>& a = acc.pol[0];
    v(kPsHedge, a.hedge[0]);
    v(kPsCash, a.cash[0]);
    v(kPsFees, a.fees[0]);
    v(kPsFixed, a.fixed[0]);
    v(kPsFunding, a.funding[0]);
    v(kPsGas, a.gas[0]);
    v(kPsSlippage, a.slippage[0]);
    v(kPsTurnover, a.turnover[0]);
    v(kPsMaxError, a.max_error[0]);
    v(kPsTrades, a.trades[0]);  // a count of steps: exact in a double
    v(kPsFailures, a.failures[0]);
    v(kPsLastTradeStep, a.last_trade_step[0]);
    v(kPsLastTradeSpot, a.last_trade_spot[0]);
    v(kPsTraded, a.traded[0]);
    v(kPsSpotPrev, mk.spot_prev[0]);
    v(kPsFundingRate, mk.funding_rate[0]);
    if (kAttribution) v(kPsInterest, a.interest[0]);
    if constexpr (kOptions) {
      // Fields from BlockShape::option_state0, which is kPolicyStateFields + (attribution ? 1 : 0).
      constexpr unsigned f0 = kPolicyStateFields + (kAttribution ? 1 : 0);
      OptionLanes<1>& o = acc.opts[0];
      v(f0 + kOsPos0, o.pos[0][0]);
      v(f0 + kOsPos1, o.pos[1][0]);
      v(f0 + kOsCosts, o.costs[0]);
      if constexpr (kAttribution) {
        v(f0 + kOsValue, o.value[0]);
        v(f0 + kOsDelta, o.delta[0]);
        v(f0 + kOsGamma, o.gamma[0]);
        v(f0 + kOsTheta, o.theta[0]);
        v(f0 + kOsVega, o.vega[0]);
        v(f0 + kOsSpot, o.spot[0]);
        v(f0 + kOsVolState, o.vol_state[0]);
        v(f0 + kOsSettled, o.settled[0]);
        v(f0 + kOsDeltaPnl, o.delta_pnl[0]);
        v(f0 + kOsGammaPnl, o.gamma_pnl[0]);
        v(f0 + kOsThetaPnl, o.theta_pnl[0]);
        v(f0 + kOsVegaPnl, o.vega_pnl[0]);
        v(f0 + kOsHigherOrder, o.higher_order[0]);
      }
      if (kMargin && mk.hp.margin) {  // fields from BlockShape::margin_state0
        constexpr unsigned g0 = f0 + (kAttribution ? kOptionAttributionStateFields : kOptionStateFields);
        MarginLanes<1>& g = acc.margins[0];
        v(g0 + kMsTopups, g.topups[0]);
        v(g0 + kMsPending, g.pending[0]);
        v(g0 + kMsArrival, g.arrival[0]);
        v(g0 + kMsLiquidated, g.liquidated[0]);
        v(g0 + kMsLoss, g.loss[0]);
        v(g0 + kMsNeed, g.need[0]);
        v(g0 + kMsImpact, g.impact[0]);
        v(g0 + kMsCascaded, g.cascaded[0]);
        v(g0 + kMsCascadeLoss, g.cascade_loss[0]);
      }
    }
  }

  /// The hedge options' marks of slot k, path j from the records (kOptions, a rule that trades them):
  /// what the policy reads at a decision, or at the horizon their prices (and with attribution the marks'
  /// vol state: σ, or for model marks the clamped variance, as hedge_option_marks takes it).
  /// At a roll step (decision n) also the closing marks of the series rolled out of.
  HS_HD void load_option_marks(const ChunkRecords& r, unsigned k, unsigned j, bool decision, std::uint32_t n = 0) {
    const HedgeParams& hp = mk.hp;
    const unsigned f0 = r.option_field0;
    if (kAttribution) {
      mk.option_state[0] = kModelMarks ? model_marks_state(hp, r.at(kRecVariance, k, j)) : r.at(kRecSigma, k, j);
    }
    mk.book_vega[0] = decision ? r.at(f0 + kOptRecBookVega, k, j) : 0.0;
    for (unsigned i = 0; i < kMaxHedgeOptions; ++i) {
      if (i >= hp.n_hedge_options) break;
      const unsigned f = f0 + kOptRecFirst + option_record_fields(kModelMarks) * i;
      mk.opt_price[i][0] = r.at(f + kOptRecPrice, k, j);
      mk.opt_delta[i][0] = decision || kAttribution ? r.at(f + kOptRecDelta, k, j) : 0.0;
      mk.opt_gamma[i][0] = decision || kAttribution ? r.at(f + kOptRecGamma, k, j) : 0.0;
      mk.opt_theta[i][0] = kAttribution ? r.at(f + kOptRecTheta, k, j) : 0.0;
      mk.opt_vega[i][0] = decision || kAttribution ? r.at(f + kOptRecVega, k, j) : 0.0;
      mk.opt_quote_vega[i][0] = !decision ? 0.0 : kModelMarks ? r.at(f + kOptRecQuoteVega, k, j) : mk.opt_vega[i][0];
      if (hp.rolling_options) {
        mk.rolled[i] = decision && rolls_at(hp, i, n);
        mk.close_price[i][0] = mk.rolled[i] ? r.rolling(i, kRollRecClosePrice, k, j) : 0.0;
        mk.close_quote_vega[i][0] = mk.rolled[i] ? r.rolling(i, kRollRecCloseQuoteVega, k, j) : 0.0;
      }
    }
  }
  HS_HD void save(const ChunkRecords& r, unsigned item, unsigned items) {
    save_state(*this, [&](unsigned f) -> double& { return r.policy_state(f, item, items); });
  }
  HS_HD void load(const ChunkRecords& r, unsigned item, unsigned items) {
    load_state(*this, [&](unsigned f) -> double& { return r.policy_state(f, item, items); });
  }

  /// Decision steps [n0, n1) from slots n − n0 of path j: the carry of step n, then the decision (or at
  /// n = steps the results, after the unwind's decision there: kOptions).
  HS_HD void run(const ChunkRecords& r, unsigned j, std::uint32_t n0, std::uint32_t n1) {
    const HedgeParams& hp = mk.hp;
    const bool perpetual = hp.instrument == HedgeInstrument::perpetual;
    for (std::uint32_t n = n0; n < n1; ++n) {
      const unsigned k = n - n0;
      mk.spot[0] = r.at(kRecSpot, k, j);
      if (n > 0) {
        mk.carry_units();  // spot_prev and funding_rate still hold step n − 1's
        acc.accrue(mk, n);
      }
      // Where each kernel compiles to the fewest spills (ptxas, sm_90): the standard kernel's loop has
      // the results in its last step, as before the unwind (after the loop: 24 B; two ifs in the loop:
      // 28 B); the options kernel's loop has the horizon's decision, hedge.unwind_at_expiry's, and the
      // results come after it (in the loop: ~200 B more).
      if constexpr (kOptions) {
        if (n < hp.steps || unwinds_at(hp, n)) decide(r, k, j, n);
      } else if (n < hp.steps) {
        decide(r, k, j, n);
      } else {
        finish(r, k, j);
      }
      mk.spot_prev[0] = mk.spot[0];
      if (perpetual) mk.funding_rate[0] = r.at(kRecFunding, k, j);
    }
    if (kOptions && n1 == hp.steps + 1) finish(r, hp.steps - n0, j);
  }

  /// The decision of step n from slot k of path j.
  HS_HD void decide(const ChunkRecords& r, unsigned k, unsigned j, std::uint32_t n) {
    const HedgeParams& hp = mk.hp;
    // Each value is loaded only when the policy reads it, and is 0 otherwise rather than kept from an
    // earlier step, so that it is not live (a register) across steps.
    mk.target[0] = r.at(target_field, k, j);
    mk.gamma[0] = hp.needs_gamma ? r.at(kRecGamma, k, j) : 0.0;
    mk.variance[0] = reads_state ? r.at(kRecVariance, k, j) : 0.0;
    mk.log_gas[0] = reads_state ? r.at(kRecLogGas, k, j) : hp.gas_log_mean;
    mk.gas_cost[0] = hp.gas_units > 0.0 ? r.at(kRecGasCost, k, j) : 0.0;
    mk.times = {r.tau_last()[k], r.discount_last()[k]};
    if (kOptions && trades_options) load_option_marks(r, k, j, true, n);
    acc.template decide<kOptions ? DecideCode::sized : DecideCode::rules, kEverlasting>(n, mk);
  }

  /// The results at the horizon (slot k of path j).
  HS_HD void finish(const ChunkRecords& r, unsigned k, unsigned j) {
    mk.book_cash[0] = r.at(kRecBookCash, k, j);
    mk.coin[0] = r.at(kRecCoin, k, j);
    if (kEverlasting && mk.hp.everlasting) mk.book_funding[0] = r.state(everlasting_state_field(kAttribution), j);
    if (kOptions && trades_options) {
      load_option_marks(r, k, j, false);
      acc.horizon_options(mk);
    }
    acc.template finish<kEverlasting>(mk);
    if constexpr (kPool) {  // HedgeTile::after_step's fields of the pool
      const double none = 0.0, spread = r.state(r.pool_state0 + kPsfSpread, j);
      const double trades = r.state(r.pool_state0 + kPsfTrades, j);
      acc.put_shared(PathField::everlasting_funding, &none);
      acc.put_shared(PathField::spread_income, &spread);
      acc.put_shared(PathField::customer_trades, &trades);
    }
  }
};

/// With attribution, after the horizon's policy phase: the attribution fields of item `item` (path j,
/// horizon in slot k) from what the market and the item saved in shared memory, by the CPU tile's
/// functions (policy_pnl, put_attribution), so that the policy threads' registers carry none of it.
/// With hedge options (kOptions) the options' value at the horizon (the item's OptionLanes::value, which
/// horizon_options left at Σ q·price as finish() computes it), costs and pieces come from its state too.
/// kEverlasting: the book's everlasting funding from the market's state; kMargin: the margin account's fields
/// and its liquidation penalties (in the charges) from the item's state.
template <bool kOptions = false, bool kEverlasting = false, bool kMargin = false>
HS_HD void write_attribution(const HedgeParams& hp, const ChunkRecords& r, unsigned k, unsigned j, unsigned item,
                             unsigned items, double* out, std::uint64_t stride, std::uint64_t row, unsigned policy) {
  const auto ps = [&](unsigned f) { return r.policy_state(f, item, items); };
  const auto book = [&](unsigned i) { return r.state(kMarketStateFields + i, j); };
  const double spot = r.at(kRecSpot, k, j);
  if constexpr (!kOptions) {  // as before hedge options existed, so that this kernel compiles as it did
    const double hedge_value = hp.instrument == HedgeInstrument::spot ? ps(kPsHedge) * spot : 0.0;
    const double cash = ps(kPsCash);
    put_attribution<false>({book(9), book(10), book(11), book(12), book(13), book(14), book(15),
                            policy_pnl(r.at(kRecBookCash, k, j), r.at(kRecCoin, k, j), spot, cash, hedge_value), cash,
                            hedge_value, ps(kPsInterest), ps(kPsFunding),
                            ps(kPsFees) + ps(kPsFixed) + ps(kPsGas) + ps(kPsSlippage)},
                           [&](PathField f, double v) { out[(index_of(f) * hp.n_policies + policy) * stride + row] = v; });
  } else {
    const auto put = [&](PathField f, double v) { out[(index_of(f) * hp.n_policies + policy) * stride + row] = v; };
    const double spot_value = hp.instrument == HedgeInstrument::spot ? ps(kPsHedge) * spot : 0.0;
    const double cash = ps(kPsCash);
    const double charges = ps(kPsFees) + ps(kPsFixed) + ps(kPsGas) + ps(kPsSlippage);
    // A policy without options holds none: its option value, as finish() takes it, is Σ 0·price = 0.
    const unsigned o0 = r.option_state0;
    const bool trades = rule_hedge_options(hp.policies[policy].type) > 0;
    const double hedge_value = spot_value + (trades ? ps(o0 + kOsValue) : 0.0);
    AttributionInputs x{book(9), book(10), book(11), book(12), book(13), book(14), book(15),
                        policy_pnl(r.at(kRecBookCash, k, j), r.at(kRecCoin, k, j), spot, cash, hedge_value), cash,
                        hedge_value, ps(kPsInterest), ps(kPsFunding), charges + ps(o0 + kOsCosts)};
    x.opt_delta = ps(o0 + kOsDeltaPnl);
    x.opt_gamma = ps(o0 + kOsGammaPnl);
    x.opt_theta = ps(o0 + kOsThetaPnl);
    x.opt_vega = ps(o0 + kOsVegaPnl);
    x.opt_higher_order = ps(o0 + kOsHigherOrder);
    if (kEverlasting && hp.everlasting) x.book_funding = r.state(everlasting_state_field(true), j);
    if (kMargin && hp.margin) {
      const unsigned g0 = r.margin_state0;
      x.margin = {ps(g0 + kMsLiquidated), ps(g0 + kMsLoss),     ps(g0 + kMsTopups),
                  ps(g0 + kMsNeed),       ps(g0 + kMsCascaded), ps(g0 + kMsCascadeLoss)};
      x.charges += x.margin.loss;
    }
    put_attribution<true>(x, put);
  }
  static_assert(BookAttribution<1>::kFirstPiece == 9 && BookAttribution<1>::kStateFields == 16,
                "the pieces in visit_state's order: inception, delta, gamma, theta, vega, higher order, interest");
}

/// The hedging of one block's paths (block, group of the grid) in chunks of decision steps. Each chunk
/// runs phase 0 (market), 1 (greeks) and 2 (policies) on every thread with a barrier after each: the
/// kernel with __syncthreads, the host emulation one thread after another.
template <class T, class Model, bool kAttribution = false, bool kOptions = false,
          MarkSource kMarks = MarkSource::black_scholes, bool kPool = false>
struct HedgeBlock {
  static constexpr bool kModelMarks = kMarks == MarkSource::model;
  /// Everlasting options run in the options program with Black–Scholes marks (file comment); the margin
  /// account without surface marks. Neither in the pool program: the config refuses them with order flow.
  static constexpr bool kEverlasting = kOptions && kMarks == MarkSource::black_scholes && !kPool;
  static constexpr bool kMargin = kOptions && kMarks != MarkSource::surface && !kPool;
  const Model& model;
  const HedgeParams& hp;
  BlockShape shape;
  ChunkRecords records;
  std::uint32_t steps;
  std::uint64_t seed;
  std::uint64_t first_path;  ///< the batch's first path
  std::uint64_t count;       ///< paths in the batch (rows of out)
  double* out;               ///< out[(field·n_policies + policy)·count + row]
  unsigned block;
  unsigned group;

  /// Batch row of path slot j; slots past the batch's end (the last block's) do no work.
  HS_HD std::uint64_t row(unsigned j) const { return static_cast<std::uint64_t>(block) * shape.paths + j; }
  HS_HD unsigned item_path(unsigned i) const { return i % shape.paths; }
  HS_HD unsigned item_policy(unsigned i) const { return group * shape.policies + i / shape.paths; }
  /// Item i keeps a policy's accounts: a batch path, and a policy (the last group may be short).
  HS_HD bool item_valid(unsigned i) const { return item_policy(i) < hp.n_policies && row(item_path(i)) < count; }

  /// Before the first chunk, on one thread.
  HS_HD void prepare() const { log_spot0_strike(hp, records.log_s0k()); }

  using Market = MarketThread<T, Model, kAttribution, kMarks, kEverlasting, kOptions, kPool>;
  HS_HD Market market_thread(unsigned j) const {
    return Market(model, hp, seed, first_path + row(j), records.log_s0k());
  }
  /// Before the first chunk, on every thread: the policy items' state at t = 0 (the market threads
  /// start in the first chunk's phase 0).
  HS_HD void start(unsigned tid, unsigned n_threads) const {
    for (unsigned i = tid; i < shape.items(); i += n_threads)
      if (item_valid(i)) policy_thread(i).save(records, i, shape.items());
  }
  using Policy = PolicyThread<T, kAttribution, kOptions, kModelMarks, kEverlasting, kMargin, kPool>;
  HS_HD Policy policy_thread(unsigned i) const {
    const std::uint64_t r = row(item_path(i));
    return Policy(hp, out, count, r, seed, first_path + r, item_policy(i), group * shape.policies, records.log_s0k());
  }

/// Decision steps of the chunk from n0: [n0, min(n0 + K, steps + 1)).
  HS_HD std::uint32_t chunk_end(std::uint32_t n0) const {
    const std::uint32_t end = n0 + shape.chunk;
    return end < steps + 1 ? end : steps + 1;
  }

  /// Phase ph of the chunk from n0 on thread tid of n_threads (= shape.threads()).
  HS_HD void phase(unsigned ph, unsigned tid, unsigned n_threads, std::uint32_t n0) const {
    const std::uint32_t n1 = chunk_end(n0);
    if (ph == 0) {
      for (unsigned j = tid; j < shape.paths; j += n_threads) {
        if (row(j) >= count) break;
        Market mt = market_thread(j);
        if (n0 == 0) {
          mt.start();
        } else {
          mt.load(records, j);
        }
        mt.run(records, j, n0, n1);
        mt.save(records, j);
      }
    } else if (ph == 1) {
      // Items (slot k, path j), consecutive threads on consecutive paths.
      // The horizon has no decision, unless the hedge is unwound there (hedge.unwind_at_expiry).
      const std::uint32_t decided = kOptions && unwinds_at(hp, steps) ? steps + 1 : steps;
      const std::uint32_t last = n1 < decided ? n1 : decided;
      const std::uint32_t decisions = last > n0 ? last - n0 : 0;
      const unsigned items = decisions * shape.paths;
      const unsigned p0 = group * shape.policies;
      const unsigned p1 = p0 + shape.policies < hp.n_policies ? p0 + shape.policies : hp.n_policies;
      for (unsigned i = tid; i < items; i += n_threads) {
        const unsigned k = i / shape.paths, j = i % shape.paths;
        if (row(j) < count) record_greeks<T, kOptions, kMarks, kEverlasting, kPool>(hp, records, k, j, n0 + k, p0, p1);
      }
      if (kOptions && hp.n_hedge_options > 0 && n1 == steps + 1) {  // the horizon's marks: an option's value there
        for (unsigned j = tid; j < shape.paths; j += n_threads) {
          if (row(j) < count) record_horizon_marks<kMarks, kEverlasting>(hp, records, steps - n0, j);
        }
      }
      for (unsigned k = tid; k < decisions; k += n_threads) record_times<kEverlasting>(hp, records, k, n0 + k);
    } else {
      for (unsigned i = tid; i < shape.items(); i += n_threads) {
        if (!item_valid(i)) continue;
        {
          Policy pt = policy_thread(i);
          pt.load(records, i, shape.items());
          pt.run(records, item_path(i), n0, n1);
          pt.save(records, i, shape.items());
        }
        if (kAttribution && n1 == steps + 1)
          write_attribution<kOptions, kEverlasting, kMargin>(hp, records, steps - n0, item_path(i), i, shape.items(), out,
                                                             count, row(item_path(i)), item_policy(i));
      }
    }
  }
};

/// Blocks and groups of a launch over `count` paths.
inline std::uint64_t hedge_blocks(const BlockShape& s, std::uint64_t count) { return (count + s.paths - 1) / s.paths; }

/// What a block program compiles in beyond the standard (delta-only) one: P&L attribution, the options
/// program (hedge options' records and state, and the other rules of uses_options_kernel), and where
/// option prices come from (kMarks: Black–Scholes; the model's own marks, which come with attribution,
/// hedge options or both; or a volatility surface, with or without them), and an options pool's customers
/// (kPool: the options program with Black–Scholes marks, the only one order_flow runs with). Every
/// combination a job can use is a kernel of its own, so that the standard program carries none of the
/// others' registers, with a resource budget of its own (CMakeLists.txt, HEDGESIM_KERNEL_BUDGETS, matched
/// on this name; kMarks reads (hedgesim::MarkSource)0, 1 or 2 there).
template <bool kAttribution, bool kOptions, MarkSource kMarks, bool kPool = false>
struct BlockFeatures {
  template <class T, class Model>
  using Block = HedgeBlock<T, Model, kAttribution, kOptions, kMarks, kPool>;

  /// The records in shared memory: without hedge options the record fields end where theirs would start,
  /// a layout the compiler sees.
  HS_HD static ChunkRecords records(double* shared, const BlockShape& s) {
    if constexpr (kOptions) {
      return ChunkRecords{shared,           s.paths,          s.chunk,           s.record_fields(),
                          s.market_state_fields(), s.option_field0(), s.option_state0(), s.margin_state0(),
                          s.rolling_field0(), s.pool_field0(), s.pool_state0()};
    } else {
      return ChunkRecords{shared, s.paths, s.chunk, s.option_field0(), s.market_state_fields()};
    }
  }
};

/// Calls f(BlockFeatures<…>{}) with the features of hp's job: the one place a job's block program (and
/// kernel) is chosen.
template <class F>
decltype(auto) with_block_features(const HedgeParams& hp, F&& f) {
  constexpr MarkSource kBlackScholes = MarkSource::black_scholes, kModel = MarkSource::model,
                       kSurface = MarkSource::surface;
  const bool options = uses_options_kernel(hp);
  // order_flow runs with Black–Scholes marks, without attribution (config rules).
  if (has_order_flow(hp)) return f(BlockFeatures<false, true, kBlackScholes, true>{});
  if (hp.marks == kSurface) {  // the hedge ratios and hedge options too: with or without attribution
    if (!hp.attribution) {
      return options ? f(BlockFeatures<false, true, kSurface>{}) : f(BlockFeatures<false, false, kSurface>{});
    }
    return options ? f(BlockFeatures<true, true, kSurface>{}) : f(BlockFeatures<true, false, kSurface>{});
  }
  if (!hp.attribution) {
    // Model marks without attribution come with hedge options (config rule: they mark nothing else).
    if (!options) return f(BlockFeatures<false, false, kBlackScholes>{});
    return hp.marks == kModel ? f(BlockFeatures<false, true, kModel>{}) : f(BlockFeatures<false, true, kBlackScholes>{});
  }
  if (hp.marks == kModel) {
    return options ? f(BlockFeatures<true, true, kModel>{}) : f(BlockFeatures<true, false, kModel>{});
  }
  return options ? f(BlockFeatures<true, true, kBlackScholes>{}) : f(BlockFeatures<true, false, kBlackScholes>{});
}

#if !defined(__CUDACC__)
/// The kernel's work on the host, block by block and phase by phase (tests): what the device computes,
/// up to its own rounding.
template <class T, class Model>
void emulate_hedging_blocks(const Model& model, std::uint32_t steps, std::uint64_t seed, const HedgeParams& hp,
                            std::uint64_t first_path, std::uint64_t count, double* out, const BlockShape& shape) {
  std::vector<double> shared(shape.shared_doubles());
  const unsigned n = shape.threads();
  with_block_features(hp, [&](auto features) {
    using Features = decltype(features);
    for (unsigned group = 0; group < shape.groups; ++group) {
      for (std::uint64_t block = 0; block < hedge_blocks(shape, count); ++block) {
        const typename Features::template Block<T, Model> hb{model, hp, shape, Features::records(shared.data(), shape),
                                                             steps, seed, first_path, count, out,
                                                             static_cast<unsigned>(block), group};
        hb.prepare();
        for (unsigned tid = 0; tid < n; ++tid) hb.start(tid, n);
        for (std::uint32_t n0 = 0; n0 <= steps; n0 += shape.chunk)
          for (unsigned ph = 0; ph < 3; ++ph)
            for (unsigned tid = 0; tid < n; ++tid) hb.phase(ph, tid, n, n0);
      }
    }
  });
}
#endif

}  // namespace hedgesim
