#pragma once
// The hedging simulation's parameters in the flat form both backends read (no heap, no strings):
// the book, the hedge instrument, the costs and the policies, built once on the host from a RunSpec.
#include <cstdint>
#include <limits>

#include "hedgesim/hd.hpp"
#include "hedgesim/hedging/delta_table.hpp"
#include "hedgesim/hedging/order_flow.hpp"
#include "hedgesim/pricing/svi.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

constexpr unsigned kMaxBookOptions = 16;
constexpr unsigned kMaxPolicies = 32;
/// Listed options a job may hedge with (hedge.options).
constexpr unsigned kMaxHedgeOptions = 2;
/// Per-path parameter slots of one policy (PolicyParams::value); each rule names its own.
constexpr unsigned kPolicyValues = 9;

/// An option of the book. An everlasting option (funding_steps > 0, pricing/everlasting.hpp) never expires
/// (expiry_step is kNeverExpires) and pays funding every funding_steps steps; a job whose book holds one
/// runs the tiles and kernels compiled for everlasting books (HedgeParams::everlasting).
struct BookOption {
  OptionType type;
  Settlement settlement;
  double strike;
  double quantity;  ///< signed; negative is short
  std::uint32_t expiry_step;
  std::uint32_t funding_steps;  ///< everlasting: steps per funding period Δ; 0: European
  double premium;  ///< USD per unit at inception
  unsigned terms;  ///< everlasting: Europeans summed in its price (everlasting_terms of its tail weight)
};
/// An everlasting option's expiry_step: after every horizon.
constexpr std::uint32_t kNeverExpires = 0xffffffffu;

/// Everlasting option o at `step`: years θ to its next funding time, in (0, Δ] (Δ at inception and right
/// after each funding time), and its funding period Δ in years. Its Europeans expire at θ + jΔ, j = 0, 1, …
/// (pricing/everlasting.hpp).
HS_HD double funding_theta(const BookOption& o, std::uint32_t step, double dt) {
  return static_cast<double>(o.funding_steps - step % o.funding_steps) * dt;
}
HS_HD double funding_period(const BookOption& o, double dt) { return static_cast<double>(o.funding_steps) * dt; }

/// A listed option used as a hedge instrument (hedge.options). A fixed series has a strike and an expiry
/// step; it settles its payoff in USD at its expiry step when that is at or before the horizon, else it is
/// worth its mark at the horizon. A rolling one (tenor_steps > 0; expiry_step is then kNeverExpires) is a
/// series listed at steps j·roll_every, j = 0, 1, …, each at the strike listed_strike gives the spot there
/// and expiring tenor_steps later; at its successor's listing, tenor_steps − roll_every steps before its
/// expiry, a policy closes what it holds of it and its rule trades the new one (docs/hedging.md "Rolling
/// hedge options"). Its strike is per path (MarketTile::series_strike); it never reaches its expiry.
struct HedgeOption {
  OptionType type;
  double strike;  ///< fixed series; a rolling one: the strike of its first series (listed_strike at S0)
  std::uint32_t expiry_step;
  /// Contracts: a policy's position is clamped to ±max_position; +inf, the default, is no limit.
  double max_position = std::numeric_limits<double>::infinity();
  std::uint32_t tenor_steps = 0;  ///< rolling: steps from a series' listing to its expiry; 0: a fixed series
  std::uint32_t roll_every = 0;   ///< rolling: steps between listings, 1 ≤ roll_every < tenor_steps
  double moneyness = 1.0;         ///< rolling: a series is struck at moneyness × the spot at its listing …
  double strike_step = 0.0;       ///< … rounded to the nearest multiple of this (USD; 0: not rounded)
};

HS_HD bool is_rolling(const HedgeOption& o) { return o.tenor_steps != 0; }

/// The strike of a rolling option's series listed at `spot`: the nearest multiple of strike_step to
/// moneyness·spot (at least one step), or moneyness·spot itself without a step.
HS_HD double listed_strike(const HedgeOption& o, double spot) {
  const double at = o.moneyness * spot;
  if (o.strike_step <= 0.0) return at;
  return m::max(o.strike_step, m::rint(at / o.strike_step) * o.strike_step);  // ties to even
}

/// The expiry step of the series of option o in force at decision step n (after a roll at n).
HS_HD std::uint32_t series_expiry(const HedgeOption& o, std::uint32_t n) {
  return is_rolling(o) ? n / o.roll_every * o.roll_every + o.tenor_steps : o.expiry_step;
}

/// hedge.margin in the flat form (hedging/margin.hpp applies it): USD amounts, rates of the notional (of
/// the pledged collateral on a loan).
struct MarginParams {
  double collateral;   ///< C, USD
  double initial;      ///< initial margin rate: a trade may take |h|·S up to equity / initial
  double maintenance;  ///< under maintenance·|h|·S of equity the position is liquidated
  double fraction;     ///< share of the position a liquidation closes
  double penalty;      ///< share of the liquidated notional lost
  double reserve;      ///< USD the top-ups can draw on (0: none)
  std::uint32_t delay_steps;  ///< steps from a margin call to its top-up
  /// Cascades: a liquidation's X USD move the venue's log price by ln(1 + X/impact_depth) (0: no impact),
  /// a dislocation that decays by impact_decay per step (2^{−step/half-life}).
  double impact_depth = 0.0;
  double impact_decay = 0.0;
  double collateral_coin = 0.0;  ///< coins posted beside C, valued at the venue's price
  /// A spot hedge on a lending protocol's loan: the rates apply to the pledged collateral, not the notional.
  bool loan = false;
};

/// One policy as the per-path code sees it: its type, Leland's adjustment (applied by the engine to any
/// policy) and the rule's own parameters in `value`, each rule naming its slots (policies/*.hpp) and
/// filling them on the host (its PolicyConfig::to_params). Intervals are in steps.
struct PolicyParams {
  PolicyType type;
  bool leland;
  double leland_sqrt_dt;  ///< √ of the policy's rebalancing interval in years (Leland's Δt)
  double value[kPolicyValues];
};

/// The per-path results, one value per (field, policy, path), one line per field: X(name, unit). From
/// this table come PathField, the field's name in outputs (HDF5 datasets, `<name>_mean` in JSON and
/// /summary), its unit (HDF5 attributes) and the field count; adding a field is a line here and its
/// value in PolicyTile::finish. cost = fees + fixed + gas + slippage + funding + option_costs +
/// liquidation_loss; turnover is
/// the traded notional |Δh|·S; max_delta_error is max |hedge − target| over the decisions, in coin
/// (io/units.hpp); option_costs the fees and half-spreads paid trading hedge options (hedge.options);
/// everlasting_funding the funding the book's everlasting options paid (negative: received; the same for
/// every policy, part of the P&L through the book's cash, not a cost). spread_income and customer_trades are
/// an options AMM's (order_flow:, order_flow.hpp): what its quotes earned over their marks and how many
/// customers traded, the same for every policy. The four after them are the margin
/// account's (hedge.margin, hedging/margin.hpp): liquidated (1 if the hedge was liquidated on the path),
/// liquidation_loss (penalties and execution away from the market, in cost), margin_topups (USD drawn from
/// the reserve), collateral_needed, and the cascades' (hedge.margin.impact_depth_usd): cascaded (1 if a
/// liquidation on the path came from the impact of earlier ones) and cascade_loss (their part of
/// liquidation_loss).
/// The pnl_* fields after them are the P&L attribution (output.attribution, BookAttribution in
/// hedge_observer.hpp). A run has the fields before everlasting_funding; that one too when its book holds an
/// everlasting option; with order_flow the pool's two too (everlasting_funding 0); with hedge.margin the
/// margin fields too (the fields between them 0); and every field with attribution (path_fields).
#define HEDGESIM_PATH_FIELDS(X) \
  X(pnl, "USD")                 \
  X(cost, "USD")                \
  X(fees, "USD")                \
  X(fixed, "USD")               \
  X(gas, "USD")                 \
  X(slippage, "USD")            \
  X(funding, "USD")             \
  X(trades, "count")            \
  X(failures, "count")          \
  X(turnover, "USD")            \
  X(max_delta_error, "coin")     \
  X(option_costs, "USD")        \
  X(everlasting_funding, "USD") \
  X(spread_income, "USD")       \
  X(customer_trades, "count")   \
  X(liquidated, "count")        \
  X(liquidation_loss, "USD")    \
  X(margin_topups, "USD")       \
  X(collateral_needed, "USD")   \
  X(cascaded, "count")          \
  X(cascade_loss, "USD")        \
  X(pnl_inception, "USD")       \
  X(pnl_delta, "USD")           \
  X(pnl_gamma, "USD")           \
  X(pnl_theta, "USD")           \
  X(pnl_vega, "USD")            \
  X(pnl_higher_order, "USD")    \
  X(pnl_interest, "USD")        \
  X(pnl_unexplained, "USD")

enum class PathField : unsigned {
#define HEDGESIM_PATH_FIELD_ENUMERATOR(name, unit) name,
  HEDGESIM_PATH_FIELDS(HEDGESIM_PATH_FIELD_ENUMERATOR)
#undef HEDGESIM_PATH_FIELD_ENUMERATOR
      count
};
constexpr unsigned kPathFields = static_cast<unsigned>(PathField::count);

/// The field's name in outputs.
constexpr const char* to_string(PathField f) {
  constexpr const char* kNames[kPathFields] = {
#define HEDGESIM_PATH_FIELD_NAME(name, unit) #name,
      HEDGESIM_PATH_FIELDS(HEDGESIM_PATH_FIELD_NAME)
#undef HEDGESIM_PATH_FIELD_NAME
  };
  return kNames[static_cast<unsigned>(f)];
}

/// The field's unit (HDF5 `units` attributes).
constexpr const char* units_of(PathField f) {
  constexpr const char* kUnits[kPathFields] = {
#define HEDGESIM_PATH_FIELD_UNIT(name, unit) unit,
      HEDGESIM_PATH_FIELDS(HEDGESIM_PATH_FIELD_UNIT)
#undef HEDGESIM_PATH_FIELD_UNIT
  };
  return kUnits[static_cast<unsigned>(f)];
}

/// The index of a field in per-path arrays: [field][policy][path].
constexpr unsigned index_of(PathField f) { return static_cast<unsigned>(f); }
/// Fields of a run without attribution and everlasting options: those before everlasting_funding.
constexpr unsigned kBasePathFields = index_of(PathField::everlasting_funding);
/// Fields of a run with order_flow: up to customer_trades.
constexpr unsigned kFlowPathFields = index_of(PathField::customer_trades) + 1;
/// Fields of a run with hedge.margin and without attribution: up to cascade_loss.
constexpr unsigned kMarginPathFields = index_of(PathField::cascade_loss) + 1;
static_assert(kFlowPathFields == kBasePathFields + 3 && kMarginPathFields == kFlowPathFields + 6 &&
                  index_of(PathField::pnl_inception) == kMarginPathFields,
              "everlasting_funding, the pool's fields, then the margin fields, between the base fields and the "
              "attribution's");

struct HedgeParams {
  double spot0;
  double rate;
  double dividend;
  double dt;          ///< years per step
  double growth;      ///< e^{rΔ}: cash interest per step
  std::uint32_t steps;
  HedgeInstrument instrument;
  DeltaSource delta;
  double implied_vol;
  double funding_rate;  ///< per year, paid by longs (perpetual); the long-run level when stochastic
  bool funding_stochastic;
  double funding_kappa, funding_sigma, funding_rho;
  double fee_rate;  ///< fee_bps / 1e4
  double fixed_cost;
  double gas_units;  ///< 0: no gas
  double gas_log_mean;  ///< ln ḡ (gwei)
  double gas_kappa, gas_sigma, gas_beta;
  double gas_eth_price;  ///< USD per ETH; 0: the path's spot
  SlippageModel slippage;
  double slippage_coefficient, slippage_depth;
  double failure_probability;
  double amm_max_fill;  ///< amm: a trade of this fraction of the pool's coin reserve or more is refused
  double min_trade;     ///< coins: a smaller rebalance is not sent (0: any size; trade_size.hpp)
  double lot_size;      ///< coins: positions are whole lots (0: any size)
  /// From this decision step on every policy closes its hedge and trades no more: the book's last
  /// expiry with hedge.unwind_at_expiry (a decision even at the horizon); 0: never (expiries are > 0).
  std::uint32_t unwind_step;
  bool premium_adjusted;  ///< hedge.inverse_delta: premium_adjusted (book_greeks), the coin held left out
  /// Policy p draws its execution failures from stream failure_stream0 + p: a subset of a run's
  /// policies hedged alone (the optimiser's candidates dealt to ranks) keeps the draws of its place.
  unsigned failure_stream0;
  double leland_sign;   ///< +1 for a book short gamma at inception, −1 long (Leland's ±, MarketTile::leland_vol)
  /// A Leland policy hedges a book of long and short options, whose gamma can change sign along a path:
  /// Leland's ± is then the book gamma's at each decision (else leland_sign, which it is at every decision).
  bool leland_sign_turns;
  bool needs_gamma;     ///< some policy reads the book gamma (Whalley–Wilmott, bands per gamma, state_band,
                        ///< Leland's sign when it turns)
  bool attribution;     ///< output.attribution: mark the book every step and split the P&L (pnl_* fields)
  bool book_past_horizon;  ///< some book option expires after the horizon: closed at its mark there
  bool everlasting;        ///< some book option is everlasting: the tiles and kernels compiled for them
  /// hedge.options: the listed options policies such as delta_gamma trade (0: none), and their costs
  /// (costs.options): fee per unit min(opt_fee_fraction·S, opt_fee_cap·price), half-spread
  /// opt_half_spread·vega per unit (opt_half_spread = half_spread_vol / 100, in units of σ).
  unsigned n_hedge_options;
  HedgeOption hedge_options[kMaxHedgeOptions];
  double opt_fee_fraction, opt_fee_cap, opt_half_spread;
  MarkSource marks;     ///< where option prices come from (hedge.marks; book_marks.hpp for the book's marks)
  double model_vol;     ///< gbm: model.vol (its model marks are Black–Scholes at it); else 0
  bool model_deltas;        ///< the hedge reads its deltas from the table (delta = model, Heston family)
  DeltaTableView table;     ///< delta = model or marks = model (Heston family): the model table
  std::size_t table_size;   ///< doubles in table.data (the CUDA backend copies them to the device)
  unsigned n_options;
  BookOption options[kMaxBookOptions];
  unsigned n_policies;
  PolicyParams policies[kMaxPolicies];
  // marks = surface (hedging/option_vol.hpp), last so that the fields the hot loops read keep their offsets
  // (and their code) from before them. The per-path code marks on the surface only where a template flag
  // says so (the CPU's surface tile, the GPU's surface kernels), which the launches pick from `marks`.
  // implied_vol is then the surface's at-the-money vol of the book's last expiry at inception.
  bool sticky_delta;  ///< the surface's dynamics: sticky delta, else sticky strike
  SviSurface surface;  ///< marks = surface: every option's vol from this SVI surface (hedging/option_vol.hpp)
  /// hedge.margin (hedging/margin.hpp): compiled in only where a template flag says so (the CPU's margin
  /// tile, the GPU's options program), as the surface is.
  bool margin;
  MarginParams margin_params;
  bool rolling_options;  ///< some hedge option rolls (HedgeOption::tenor_steps > 0)
  /// order_flow: (order_flow.hpp): customers trade the pool's board; n_series = 0: none. Compiled in only
  /// where a template flag says so (the CPU's pool tile).
  OrderFlowParams flow;
};

/// Whether customers trade the book (order_flow:).
HS_HD bool has_order_flow(const HedgeParams& hp) { return hp.flow.n_series > 0; }

/// Whether hedge option i rolls at decision step n: the successor of a rolling option's series is listed
/// there (0 < n < the horizon, which marks what is held).
HS_HD bool rolls_at(const HedgeParams& hp, unsigned i, std::uint32_t n) {
  const HedgeOption& o = hp.hedge_options[i];
  return is_rolling(o) && n > 0 && n < hp.steps && n % o.roll_every == 0;
}

/// Whether decision step n closes every policy's hedge (hedge.unwind_at_expiry).
HS_HD bool unwinds_at(const HedgeParams& hp, std::uint32_t n) { return hp.unwind_step != 0 && n >= hp.unwind_step; }

/// The per-path fields a job computes and reports: every field with attribution, else the base ones, with
/// the margin account's (and the fields before them) for hedge.margin, the pool's (and everlasting_funding
/// before them) for order_flow, and everlasting_funding when the book holds an everlasting option.
HS_HD constexpr unsigned path_fields(bool attribution, bool everlasting, bool margin, bool flow) {
  return attribution ? kPathFields
         : margin    ? kMarginPathFields
         : flow      ? kFlowPathFields
                     : kBasePathFields + (everlasting ? 1 : 0);
}
HS_HD unsigned path_fields(const HedgeParams& hp) {
  return path_fields(hp.attribution, hp.everlasting, hp.margin, has_order_flow(hp));
}

}  // namespace hedgesim
