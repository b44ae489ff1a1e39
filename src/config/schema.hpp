#pragma once
// The config's keys, one table per section (policy keys: each policy's PolicyConfig::keys). A row
// says where the value goes (and so how it is read), what a value must be, its own rule, whether it
// is required and by which variants (model types, slippage models), and what it means. The parser,
// the validation stage and the key reference (docs/config.md, `hedgesim list keys`) all read these
// rows; the plausible range of a real-valued key is its row in kKeyRanges (config_ranges.hpp), found
// by key path.
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "enums.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim::config {

/// A number's own rule, checked by the validation stage on the RunSpec (so that a value set by a
/// flag or in code meets it too), before its plausible range.
enum class Rule {
  none,          ///< the section's code checks it
  finite,        ///< "must be a finite number"
  positive,      ///< "must be > 0"
  non_negative,  ///< "must be >= 0"
  non_zero,      ///< finite and not 0
  in_range,      ///< inside its plausible range (the range is the rule itself: a correlation, a probability)
};

/// Where a key's value goes, which decides how it is read; monostate: the section's code reads it
/// (a nested map, or a key read before the others because it selects which of them apply).
template <class S>
using Field = std::variant<std::monostate, double S::*, std::uint64_t S::*, unsigned S::*, bool S::*,
                           std::string S::*, std::int64_t S::*, ModelType S::*, VarianceScheme S::*, Measure S::*,
                           Precision S::*, BackendKind S::*, OptionType S::*, Settlement S::*, HedgeInstrument S::*,
                           DeltaSource S::*, MarkSource S::*, InverseDelta S::*, SurfaceDynamics S::*, SlippageModel S::*, RiskMeasure S::*, BacktestVol S::*, BadData S::*>;

constexpr unsigned kAnyVariant = ~0u;
constexpr std::uint64_t kAnyInteger = std::numeric_limits<std::uint64_t>::max();

template <class S>
struct Key {
  std::string_view name;
  Field<S> field;
  std::string_view expected;  ///< what a value must be: "KEY = 'x' at line N: expected ..." and the docs
  std::string_view doc;       ///< what it means, for the docs
  Rule rule = Rule::none;
  std::string_view rule_text = {};  ///< the rule's message when not the plain one ("must be > 0")
  bool required = false;
  unsigned used_by = kAnyVariant;  ///< bit per variant of the section (model type, slippage model)
  std::string_view required_hint = {};  ///< "KEY is required (...): HINT"
  /// Non-empty: 0 means "left out" in the spec, so a written value must be > 0, else this message
  /// ("KEY = 0 at line N: must be > 0 (...)"); a 0 is not range-checked.
  std::string_view written_positive = {};
  std::uint64_t max = kAnyInteger;  ///< integers: the largest accepted
  bool S::*written = nullptr;       ///< set when the key is given (keys with no "left out" value)
  std::string_view default_text = {};  ///< the docs' default when not the spec's own ("1", "the last expiry")
  bool late_range = false;  ///< its plausible range is checked after a rule of the time grid
  bool (*accept)(double) = nullptr;  ///< parse time: a value it refuses is "expected ..." (accept_text, or expected)
  std::string_view accept_text = {};
};

/// simulation.paths/seed/threads: one text for the config key and its command-line flag.
inline constexpr std::string_view kPathsExpected = "an integer > 0";
inline constexpr std::string_view kPathsTwo =
    "must be >= 2 (the P&L's standard deviation and standard error need two paths)";
inline constexpr std::string_view kSeedExpected = "an unsigned 64-bit integer (0 to 18446744073709551615)";
inline constexpr std::string_view kThreadsExpected = "an integer from 0 to 1024 (0: all cores)";
static_assert(kMaxThreads == 1024 && kMaxHistogramBins == 100000 && kMaxSamplePaths == 1000,
              "the expected texts below spell these limits");

// clang-format off
inline constexpr Key<SimulationSpec> kSimulationKeys[] = {
    {.name = "paths", .field = &SimulationSpec::paths, .expected = kPathsExpected, .doc = "Monte Carlo paths (at least 2)", .required = true},
    {.name = "steps_per_day", .field = &SimulationSpec::steps_per_day, .expected = "a number > 0", .doc = "time steps per day; every expiry and the horizon must be whole steps", .rule = Rule::positive},
    {.name = "horizon_days", .field = &SimulationSpec::horizon_days, .expected = "a number > 0", .doc = "days simulated; before the last expiry the book's live options are closed at their marks there", .rule = Rule::non_negative, .rule_text = "must be > 0 (or left out: the last expiry)", .written_positive = "must be > 0 (leave it out to simulate up to the last expiry)", .default_text = "the last expiry"},
    {.name = "seed", .field = &SimulationSpec::seed, .expected = kSeedExpected, .doc = "random-number seed"},
    {.name = "backend", .field = &SimulationSpec::backend, .expected = "auto, cpu or cuda", .doc = "where paths are simulated"},
    {.name = "precision", .field = &SimulationSpec::precision, .expected = "float32 or float64", .doc = "floating-point type of the paths"},
    {.name = "measure", .field = &SimulationSpec::measure, .expected = "physical or risk_neutral", .doc = "physical: drift; risk_neutral: rate - dividend"},
    {.name = "threads", .field = &SimulationSpec::threads, .expected = kThreadsExpected, .doc = "CPU threads (0: all cores)", .max = kMaxThreads},
};

constexpr unsigned kAllModels = bit(ModelType::gbm) | bit(ModelType::heston) | bit(ModelType::bates) | bit(ModelType::svcj);
constexpr unsigned kHestonFamily = bit(ModelType::heston) | bit(ModelType::bates) | bit(ModelType::svcj);
constexpr unsigned kJumpModels = bit(ModelType::bates) | bit(ModelType::svcj);
inline constexpr Key<ModelParams> kModelKeys[] = {
    {.name = "type", .field = {}, .expected = "gbm, heston, bates or svcj", .doc = "the price process", .required = true},
    {.name = "spot", .field = &ModelParams::spot, .expected = "a number > 0", .doc = "price of the underlying at t = 0", .rule = Rule::positive, .required = true},
    {.name = "rate", .field = &ModelParams::rate, .expected = "a finite number", .doc = "risk-free rate r (continuous)", .rule = Rule::finite},
    {.name = "dividend", .field = &ModelParams::dividend, .expected = "a finite number", .doc = "carry q (for a perpetual-hedged coin: the funding-implied carry)", .rule = Rule::finite},
    {.name = "drift", .field = &ModelParams::drift, .expected = "a finite number", .doc = "drift mu under the physical measure", .rule = Rule::finite},
    {.name = "vol", .field = &ModelParams::vol, .expected = "a number > 0", .doc = "volatility sigma", .rule = Rule::positive, .required = true, .used_by = bit(ModelType::gbm)},
    {.name = "v0", .field = &ModelParams::v0, .expected = "a number >= 0", .doc = "initial variance", .rule = Rule::non_negative, .required = true, .used_by = kHestonFamily},
    {.name = "kappa", .field = &ModelParams::kappa, .expected = "a number > 0", .doc = "mean-reversion speed of the variance", .rule = Rule::positive, .required = true, .used_by = kHestonFamily},
    {.name = "theta", .field = &ModelParams::theta, .expected = "a number > 0", .doc = "long-run variance", .rule = Rule::positive, .required = true, .used_by = kHestonFamily},
    {.name = "xi", .field = &ModelParams::xi, .expected = "a number > 0", .doc = "volatility of variance", .rule = Rule::positive, .required = true, .used_by = kHestonFamily},
    {.name = "rho", .field = &ModelParams::rho, .expected = "a number in [-1, 1]", .doc = "correlation of price and variance", .rule = Rule::in_range, .rule_text = "must be in [-1, 1]", .required = true, .used_by = kHestonFamily},
    {.name = "scheme", .field = &ModelParams::scheme, .expected = "qe or euler", .doc = "variance discretisation (Andersen's QE, or full-truncation Euler)", .used_by = kHestonFamily},
    {.name = "jump_intensity", .field = &ModelParams::jump_intensity, .expected = "a number >= 0 (jumps per year)", .doc = "jump rate lambda", .rule = Rule::non_negative, .required = true, .used_by = kJumpModels, .late_range = true},
    {.name = "jump_mean", .field = &ModelParams::jump_mean, .expected = "a finite number", .doc = "mean log price jump", .rule = Rule::finite, .required = true, .used_by = kJumpModels},
    {.name = "jump_stdev", .field = &ModelParams::jump_stdev, .expected = "a number >= 0", .doc = "standard deviation of the log price jump", .rule = Rule::non_negative, .required = true, .used_by = kJumpModels},
    {.name = "var_jump_mean", .field = &ModelParams::var_jump_mean, .expected = "a number >= 0", .doc = "mean of the exponential variance jump", .rule = Rule::non_negative, .required = true, .used_by = bit(ModelType::svcj)},
    {.name = "jump_rho", .field = &ModelParams::jump_rho, .expected = "a finite number", .doc = "price jump loading on the variance jump; jump_rho x var_jump_mean < 1", .rule = Rule::finite, .required = true, .used_by = bit(ModelType::svcj)},
};

/// Book entries' variants: European (call, put) and everlasting (everlasting_call, everlasting_put).
constexpr unsigned kEuropean = bit(OptionStyle::european), kEverlasting = bit(OptionStyle::everlasting);
inline constexpr Key<OptionSpec> kOptionKeys[] = {
    {.name = "type", .field = {}, .expected = "call, put, everlasting_call or everlasting_put", .doc = "option type; everlasting_call and everlasting_put never expire and pay funding every funding period (docs/models.md)", .required = true},
    {.name = "strike", .field = &OptionSpec::strike, .expected = "a number > 0", .doc = "strike, USD", .rule = Rule::positive, .required = true},
    {.name = "expiry_days", .field = &OptionSpec::expiry_days, .expected = "a number of days > 0", .doc = "days to expiry, a whole number of time steps", .rule = Rule::positive, .required = true, .used_by = kEuropean},
    {.name = "quantity", .field = &OptionSpec::quantity, .expected = "a non-zero number (negative: short)", .doc = "units of the underlying per option; negative: short", .rule = Rule::non_zero, .rule_text = "must be a non-zero finite number (negative: short)", .default_text = "1"},
    {.name = "settlement", .field = &OptionSpec::settlement, .expected = "linear or inverse", .doc = "linear: USD; inverse: in coins (Deribit)"},
    {.name = "funding_period_days", .field = &OptionSpec::funding_period_days, .expected = "a number of days > 0", .doc = "days between funding times, a whole number of time steps; at each the holder pays mark - payoff", .rule = Rule::positive, .required = true, .used_by = kEverlasting},
    {.name = "tail_weight", .field = &OptionSpec::tail_weight, .expected = "a number > 0 and <= 0.5", .doc = "the price sums Europeans of weights 1/2, 1/4, ... until the weight left out is at most this", .rule = Rule::positive, .used_by = kEverlasting},
};

inline constexpr Key<HedgeSpec> kHedgeKeys[] = {
    {.name = "instrument", .field = &HedgeSpec::instrument, .expected = "spot or perpetual", .doc = "what the hedge trades"},
    {.name = "delta", .field = &HedgeSpec::delta, .expected = "implied, instantaneous or model", .doc = "hedge ratios: Black-Scholes at the market's implied vol (implied_vol, or with marks surface each option's vol on the surface), at the path's instantaneous volatility, or the model's own delta"},
    {.name = "marks", .field = &HedgeSpec::marks, .expected = "black_scholes, model or surface", .doc = "where option prices come from: Black-Scholes at the hedge's vol (implied_vol, or the path's); the model's own prices for the book's marks, read by output.attribution, and the hedge options (heston, bates, svcj: the closed form tabulated with the model deltas; gbm: Black-Scholes at model.vol; needs output.attribution or hedge.options); or each option's own vol on the SVI surface of hedge.surface for its premium, hedge ratio, marks and the hedge options (then with delta implied)"},
    {.name = "implied_vol", .field = &HedgeSpec::implied_vol, .expected = "a volatility > 0 (annualised, e.g. 0.6)", .doc = "volatility of the implied deltas; required by delta implied as soon as a policy trades (not with marks surface, whose vols are the surface's)", .written_positive = "must be > 0", .default_text = "none"},
    {.name = "funding", .field = {}, .expected = "a map (below)", .doc = "perpetual funding (perpetual only)"},
    {.name = "options", .field = {}, .expected = "a list of at most 2 options such as - {type: call, strike: 70000, expiry_days: 7}", .doc = "listed options the option-hedging policies (delta_gamma, delta_vega, delta_gamma_vega) trade; left out: none"},
    {.name = "surface", .field = {}, .expected = "a map (below)", .doc = "the volatility surface of marks surface; required by it"},
    {.name = "inverse_delta", .field = &HedgeSpec::inverse_delta, .expected = "coin_held or premium_adjusted", .doc = "inverse options: coin_held hedges the USD value, -(book delta + coin held); premium_adjusted hedges Deribit's premium-adjusted delta, sum of quantity x (delta - price/S), leaving the coin out (docs/hedging.md)"},
    {.name = "min_trade", .field = &HedgeSpec::min_trade, .expected = "a number of coins >= 0", .doc = "smallest rebalance sent, in coins of the underlying; a smaller one is not traded (0: any size)", .rule = Rule::non_negative},
    {.name = "lot_size", .field = &HedgeSpec::lot_size, .expected = "a number of coins >= 0", .doc = "positions are whole lots of this many coins, the policy's position rounded to the nearest (0: any size)", .rule = Rule::non_negative},
    {.name = "unwind_at_expiry", .field = &HedgeSpec::unwind_at_expiry, .expected = "true or false", .doc = "close the hedge (hedge options too) at the book's last expiry, or at simulation.horizon_days if that comes first, paying its costs, and trade no more; false: the position is marked at the horizon's price without a trade"},
    {.name = "margin", .field = {}, .expected = "a map (below)", .doc = "the perpetual hedge's margin account: collateral (USD or coin), margin rates, liquidation, top-ups and cascades (perpetual only); left out: none"},
};

/// Hedge options' variants: a fixed series (strike, expiry_days) and a rolling one (tenor_days, roll_days, ...),
/// told apart by tenor_days or roll_days.
constexpr unsigned kFixedSeries = 1u, kRollingSeries = 2u;
inline constexpr Key<HedgeOptionSpec> kHedgeOptionKeys[] = {
    {.name = "type", .field = &HedgeOptionSpec::type, .expected = "call or put", .doc = "option type", .required = true},
    {.name = "strike", .field = &HedgeOptionSpec::strike, .expected = "a number > 0", .doc = "strike, USD (a fixed series)", .rule = Rule::positive, .required = true, .used_by = kFixedSeries},
    {.name = "expiry_days", .field = &HedgeOptionSpec::expiry_days, .expected = "a number of days > 0", .doc = "days to expiry, a whole number of time steps; at or before the horizon it settles its payoff, after it it is worth its mark at the horizon (a fixed series)", .rule = Rule::positive, .required = true, .used_by = kFixedSeries},
    {.name = "tenor_days", .field = &HedgeOptionSpec::tenor_days, .expected = "a number of days > roll_days", .doc = "a rolling option instead of strike and expiry_days: a series is listed every tenor_days - roll_days days, from t = 0, and expires tenor_days after its listing (whole time steps)", .rule = Rule::positive, .required = true, .used_by = kRollingSeries},
    {.name = "roll_days", .field = &HedgeOptionSpec::roll_days, .expected = "a number of days > 0 and < tenor_days", .doc = "a rolling option's series is rolled this long before its expiry: the position is closed at its mark (paying costs.options) and the rule trades the series listed then (whole time steps)", .rule = Rule::positive, .required = true, .used_by = kRollingSeries},
    {.name = "moneyness", .field = &HedgeOptionSpec::moneyness, .expected = "a number > 0 (strike / spot)", .doc = "a rolling option's series is struck at moneyness x the spot at its listing (1: at the money)", .rule = Rule::positive, .used_by = kRollingSeries},
    {.name = "strike_step", .field = &HedgeOptionSpec::strike_step, .expected = "a number of USD >= 0", .doc = "a rolling option's listed strikes are multiples of this, the series taking the one nearest moneyness x spot (Deribit BTC: 1000 near the money); 0: exactly moneyness x spot", .rule = Rule::non_negative, .used_by = kRollingSeries},
    {.name = "max_position", .field = &HedgeOptionSpec::max_position, .expected = "a number of contracts > 0", .doc = "largest position, long or short, a policy may hold: the rule's position is clamped to it and the perpetual/spot hedge covers the clamped position's delta", .rule = Rule::non_negative, .rule_text = "must be > 0 (or left out: no limit)", .written_positive = "must be > 0 (leave it out for no limit)", .default_text = "no limit"},
};

inline constexpr Key<SurfaceSpec> kSurfaceKeys[] = {
    {.name = "file", .field = &SurfaceSpec::file, .expected = "the path of an SVI surface file (hedgesim calibrate --surface)", .doc = "the SVI surface, one slice per expiry (docs/hedging.md \"Volatility surface\"); relative paths from the working directory", .required = true},
    {.name = "dynamics", .field = &SurfaceSpec::dynamics, .expected = "sticky_strike or sticky_delta", .doc = "sticky_strike: a strike keeps its vol as the spot moves; sticky_delta: the smile moves with the spot (vol of ln(K/F_t)), and deltas carry the smile's slope"},
};

inline constexpr Key<MarginSpec> kMarginKeys[] = {
    {.name = "collateral_usd", .field = &MarginSpec::collateral_usd, .expected = "a number of USD >= 0 (> 0 without collateral_coin)", .doc = "USD collateral posted for the hedge at inception; the hedge's equity is the collateral plus the top-ups plus the policy's cash (settlements, funding, costs), plus its coins' value on a spot hedge's loan", .rule = Rule::non_negative},
    {.name = "collateral_coin", .field = &MarginSpec::collateral_coin, .expected = "a number of coins >= 0", .doc = "coins of the underlying posted as collateral, beside or instead of collateral_usd, worth coins x S at the venue's price: a coin-margined account, whose equity falls with the coin (the desk's own coins: their price moves the equity, not the P&L); 0: none", .rule = Rule::non_negative},
    {.name = "initial", .field = &MarginSpec::initial, .expected = "a rate in (0, 1] of the notional (coins held x S); < 1 on a spot hedge", .doc = "initial margin: a trade that adds exposure may take the notional (coins held x S) up to equity / initial, and is cut there; equity below it is a margin call. A spot hedge is on a loan, and the rate applies to the pledged collateral: 1 - the largest loan-to-value", .rule = Rule::in_range, .rule_text = "must be in (0, 1] of the notional (0.1 is 10x leverage)", .required = true},
    {.name = "maintenance", .field = &MarginSpec::maintenance, .expected = "a rate in (0, 1] of the notional, at most initial", .doc = "maintenance margin: equity below maintenance x the notional (coins held x S) liquidates the position; on a spot hedge's loan x the pledged collateral: 1 - the liquidation loan-to-value", .rule = Rule::in_range, .rule_text = "must be in (0, 1] of the notional", .required = true},
    {.name = "liquidation_fraction", .field = &MarginSpec::liquidation_fraction, .expected = "a share in (0, 1]", .doc = "share of the position one liquidation closes (one per step: an account still short liquidates again at the next step); on a spot hedge's loan the share of the debt repaid (the close factor)", .rule = Rule::in_range, .rule_text = "must be in (0, 1] of the position"},
    {.name = "liquidation_penalty", .field = &MarginSpec::liquidation_penalty, .expected = "a share in [0, 0.5] of the liquidated notional", .doc = "loss on a liquidation as a share of the notional closed: the liquidation fee and the slipped price (liquidation_loss, in cost); on a spot hedge's loan the liquidator's bonus, in the collateral it takes", .rule = Rule::in_range, .rule_text = "must be in [0, 0.5] of the liquidated notional"},
    {.name = "reserve_usd", .field = &MarginSpec::reserve_usd, .expected = "a number of USD >= 0", .doc = "reserve that tops the account up after a margin call, back to the initial margin (margin_topups); 0: none", .rule = Rule::non_negative},
    {.name = "top_up_delay_hours", .field = &MarginSpec::top_up_delay_hours, .expected = "a number of hours >= 0, whole steps", .doc = "hours from a margin call to its top-up's arrival (a liquidation can come first); 0: at once", .rule = Rule::non_negative},
    {.name = "impact_depth_usd", .field = &MarginSpec::impact_depth_usd, .expected = "a number of USD >= 0", .doc = "cascades: a liquidation of X USD moves the venue's price by a factor 1 + X/depth (down for a forced sale, up for a forced buy; at most 2), so later steps mark and liquidate what is left at the moved price (cascaded, cascade_loss); 0: liquidations move no price", .rule = Rule::non_negative},
    {.name = "impact_half_life_hours", .field = &MarginSpec::impact_half_life_hours, .expected = "a number of hours > 0", .doc = "half-life of the venue's dislocation by liquidations (arbitrage pulling it back to the market); required with impact_depth_usd", .rule = Rule::non_negative},
};

/// Funding's variants: bit(false) deterministic, bit(true) stochastic.
constexpr unsigned kStochastic = 2u, kEitherFunding = 3u;
inline constexpr Key<OrderFlowSpec> kOrderFlowKeys[] = {
    {.name = "strikes", .field = {}, .expected = "a non-empty list of strikes > 0 (USD)", .doc = "the board's strikes, USD: a call and a put of each at each expiry", .required = true},
    {.name = "expiries_days", .field = {}, .expected = "a non-empty list of days > 0, whole steps", .doc = "the board's expiries, days from t = 0; a series alive at the horizon is closed at its mark there", .required = true},
    {.name = "trades_per_day", .field = &OrderFlowSpec::trades_per_day, .expected = "a number > 0", .doc = "customers per day (a Poisson process; they arrive at decision steps)", .rule = Rule::positive, .required = true},
    {.name = "size_mean", .field = &OrderFlowSpec::size_mean, .expected = "a number of contracts > 0", .doc = "mean contracts a customer trades (exponentially distributed)", .rule = Rule::positive, .required = true},
    {.name = "call_share", .field = &OrderFlowSpec::call_share, .expected = "a share in [0, 1]", .doc = "probability that a customer trades a call (else a put)", .rule = Rule::in_range, .rule_text = "must be in [0, 1]", .default_text = "0.5"},
    {.name = "buy_share", .field = &OrderFlowSpec::buy_share, .expected = "a share in [0, 1]", .doc = "probability that a customer buys (the pool sells), before momentum", .rule = Rule::in_range, .rule_text = "must be in [0, 1]", .default_text = "0.5"},
    {.name = "momentum", .field = &OrderFlowSpec::momentum, .expected = "a finite number", .doc = "added to the buy probability per unit of log return over the anchor (clamped to [0, 1]): 5 makes a 2% rally add 0.1", .rule = Rule::finite},
    {.name = "lookback_hours", .field = &OrderFlowSpec::lookback_hours, .expected = "a number of hours > 0", .doc = "time constant of the anchor, an exponential average of ln S, that momentum measures returns from", .rule = Rule::positive, .default_text = "24"},
    {.name = "moneyness_width", .field = &OrderFlowSpec::moneyness_width, .expected = "a number > 0", .doc = "customers pick a live series of their type with weight exp(-(ln(K/S)/width)^2 / 2)", .rule = Rule::positive, .default_text = "0.1"},
    {.name = "half_spread_vol", .field = &OrderFlowSpec::half_spread_vol, .expected = "a number of vol points >= 0", .doc = "vol points the pool adds to the vol it sells at and takes off the vol it buys at (spread_income)", .rule = Rule::non_negative},
    {.name = "skew_vol", .field = &OrderFlowSpec::skew_vol, .expected = "a number of vol points >= 0", .doc = "vol points the pool lowers its quotes by when long vega_limit_usd of vega or more (raises when short), in proportion below", .rule = Rule::non_negative},
    {.name = "elasticity", .field = &OrderFlowSpec::elasticity, .expected = "a number >= 0 per vol point", .doc = "a customer trades with probability min(1, exp(-elasticity x c)), c the vol points the quote costs them over the mark (half-spread and skew): a skew against the pool's inventory turns customers away; 0: every customer trades", .rule = Rule::non_negative},
    {.name = "vega_limit_usd", .field = &OrderFlowSpec::vega_limit_usd, .expected = "a number of USD per vol point > 0", .doc = "the pool's vega at which its skew is full; required with skew_vol > 0", .rule = Rule::non_negative},
};

inline constexpr Key<FundingSpec> kFundingKeys[] = {
    {.name = "rate", .field = &FundingSpec::rate, .expected = "a finite number (per year of notional; longs pay it)", .doc = "funding rate per year; longs pay it", .rule = Rule::finite},
    {.name = "stochastic", .field = &FundingSpec::stochastic, .expected = "true or false", .doc = "an Ornstein-Uhlenbeck funding rate around rate"},
    {.name = "kappa", .field = &FundingSpec::kappa, .expected = "a number > 0 (mean-reversion speed per year)", .doc = "mean reversion of the funding rate", .rule = Rule::positive, .required = true, .used_by = kStochastic},
    {.name = "sigma", .field = &FundingSpec::sigma, .expected = "a number >= 0 (volatility of the funding rate)", .doc = "volatility of the funding rate", .rule = Rule::non_negative, .required = true, .used_by = kStochastic},
    {.name = "rho", .field = &FundingSpec::rho, .expected = "a number in [-1, 1]", .doc = "correlation with the price", .rule = Rule::in_range, .rule_text = "must be in [-1, 1]", .required = true, .used_by = kStochastic},
};

inline constexpr Key<CostSpec> kCostKeys[] = {
    {.name = "fee_bps", .field = &CostSpec::fee_bps, .expected = "a number >= 0 (basis points of the traded notional)", .doc = "proportional fee on the traded notional", .rule = Rule::in_range, .rule_text = "must be >= 0 and < 10000 (basis points of the traded notional; 10000 would be 100%)"},
    {.name = "fixed_per_trade", .field = &CostSpec::fixed_per_trade, .expected = "a number >= 0 (USD per trade)", .doc = "USD per executed trade", .rule = Rule::non_negative},
    {.name = "gas", .field = {}, .expected = "a map (below)", .doc = "on-chain gas per rebalance; left out: none"},
    {.name = "slippage", .field = {}, .expected = "a map (below)", .doc = "price impact; left out: none"},
    {.name = "failure_probability", .field = &CostSpec::failure_probability, .expected = "a probability >= 0 and < 1", .doc = "chance that a rebalance fails, paying gas without trading", .rule = Rule::in_range, .rule_text = "must be >= 0 and < 1 (the chance that a rebalance fails, paying gas without trading; 1 would never trade)"},
    {.name = "options", .field = {}, .expected = "a map (below)", .doc = "costs of trading hedge options (hedge.options); left out: none"},
};

inline constexpr Key<OptionCostSpec> kOptionCostKeys[] = {
    {.name = "fee_fraction", .field = &OptionCostSpec::fee_fraction, .expected = "a number >= 0 (fraction of the underlying's price per option)", .doc = "fee per option traded: min(fee_fraction x S, fee_cap x option price) (Deribit: 0.0003)", .rule = Rule::non_negative},
    {.name = "fee_cap", .field = &OptionCostSpec::fee_cap, .expected = "a number >= 0 (fraction of the option's price)", .doc = "cap of the fee as a fraction of the option's price (Deribit: 0.125)", .rule = Rule::non_negative},
    {.name = "half_spread_vol", .field = &OptionCostSpec::half_spread_vol, .expected = "a number >= 0 (vol points; 1 = 0.01 of volatility)", .doc = "half the bid-ask spread in vol points: an option trades at its mark +- half_spread_vol/100 x vega", .rule = Rule::non_negative},
};

inline constexpr Key<GasSpec> kGasKeys[] = {
    {.name = "units", .field = &GasSpec::units, .expected = "a number of gas units per rebalance > 0 (e.g. 180000 for a DEX swap)", .doc = "gas per rebalance", .rule = Rule::non_negative, .rule_text = "must be >= 0 (gas units per rebalance; 0: no gas cost)", .required = true, .required_hint = "gas units per rebalance > 0, e.g. 180000", .written_positive = "must be > 0 (leave out costs.gas for no gas cost)"},
    {.name = "price_gwei", .field = &GasSpec::price_gwei, .expected = "a gas price in gwei > 0", .doc = "long-run and initial gas price", .rule = Rule::non_negative, .required = true, .required_hint = "the long-run gas price in gwei > 0, e.g. 20"},
    {.name = "eth_price_usd", .field = &GasSpec::eth_price_usd, .expected = "a USD price >= 0 (0: the underlying is ETH, use its simulated spot)", .doc = "USD per ETH; 0: the underlying is ETH (its simulated spot)", .rule = Rule::non_negative},
    {.name = "kappa", .field = &GasSpec::kappa, .expected = "a number >= 0 (mean reversion of the log gas price, per year)", .doc = "mean reversion of ln gas; > 0 when sigma or return_sensitivity is, and kappa x dt <= 1", .rule = Rule::non_negative},
    {.name = "sigma", .field = &GasSpec::sigma, .expected = "a number >= 0 (volatility of the log gas price, per square-root year)", .doc = "volatility of ln gas", .rule = Rule::non_negative},
    {.name = "return_sensitivity", .field = &GasSpec::return_sensitivity, .expected = "a number >= 0 (jump in the log gas price per unit absolute log return)", .doc = "jump in ln gas per unit absolute log return", .rule = Rule::non_negative},
};

/// The slippage models that use each parameter; each of them requires it.
constexpr unsigned kCoefficientModels = bit(SlippageModel::linear) | bit(SlippageModel::sqrt);
constexpr unsigned kDepthModels = bit(SlippageModel::sqrt) | bit(SlippageModel::amm);
inline constexpr Key<SlippageSpec> kSlippageKeys[] = {
    {.name = "model", .field = {}, .expected = "none, linear, sqrt or amm", .doc = "the impact model", .required = true},
    {.name = "coefficient", .field = &SlippageSpec::coefficient, .expected = "a number >= 0", .doc = "linear: fraction of the notional lost per 1M USD traded; sqrt: cost = coefficient x notional x sqrt(notional / depth_usd)", .rule = Rule::non_negative, .required = true, .used_by = kCoefficientModels},
    {.name = "depth_usd", .field = &SlippageSpec::depth_usd, .expected = "a number of USD > 0", .doc = "USD of liquidity (amm: on each side of the pool)", .required = true, .used_by = kDepthModels},
    {.name = "max_fill_fraction", .field = &SlippageSpec::max_fill_fraction, .expected = "a number > 0 and < 1", .doc = "the pool refuses a trade of this fraction of its coin reserve or more (a failed attempt), so a fill's slippage stays below notional x f / (1 - f)", .rule = Rule::in_range, .rule_text = "must be > 0 and < 1 (the largest fill as a fraction of the pool's coin reserve; at 1 the cost of a fill has no bound)", .used_by = bit(SlippageModel::amm)},
};

inline constexpr Key<OutputSpec> kOutputKeys[] = {
    {.name = "file", .field = &OutputSpec::file, .expected = "a file path (the HDF5 results)", .doc = "HDF5 results (--out overrides); empty: none"},
    {.name = "per_path", .field = &OutputSpec::per_path, .expected = "true or false", .doc = "also write per-path datasets (needs a file)"},
    {.name = "attribution", .field = &OutputSpec::attribution, .expected = "true or false", .doc = "split each path's P&L into inception, delta, gamma, theta, vega, higher-order, interest, funding and costs (the pnl_* fields; docs/hedging.md)"},
    {.name = "histogram_bins", .field = &OutputSpec::histogram_bins, .expected = "an integer from 1 to 100000", .doc = "bins of the P&L histograms", .max = std::numeric_limits<unsigned>::max()},
    {.name = "sample_paths", .field = &OutputSpec::sample_paths, .expected = "an integer from 0 to 1000", .doc = "paths whose spot and variance are stored at every step, for plots", .max = std::numeric_limits<unsigned>::max()},
};

inline constexpr std::string_view kUtcExpected = "a UTC date or time, e.g. 2024-01-01 or 2024-01-01T08:00:00Z";
inline constexpr Key<BacktestSpec> kBacktestKeys[] = {
    {.name = "prices", .field = &BacktestSpec::prices, .expected = "a file path (hourly prices)", .doc = "hourly price CSV (--prices overrides)"},
    {.name = "funding", .field = &BacktestSpec::funding, .expected = "a file path (funding rates)", .doc = "funding-rate CSV for a perpetual hedge (--funding); empty: hedge.funding.rate"},
    {.name = "gas", .field = &BacktestSpec::gas, .expected = "a file path (daily gas prices)", .doc = "daily gas-price CSV (--gas); empty: costs.gas.price_gwei"},
    {.name = "stride_hours", .field = &BacktestSpec::stride_hours, .expected = "a whole number of hours >= 1", .doc = "hours between window starts"},
    {.name = "start", .field = &BacktestSpec::start, .expected = kUtcExpected, .doc = "windows start at or after it (Z or an offset with a time of day)", .written = &BacktestSpec::has_start, .default_text = "the first price"},
    {.name = "end", .field = &BacktestSpec::end, .expected = kUtcExpected, .doc = "windows end at or before it; after start", .written = &BacktestSpec::has_end, .default_text = "the last price"},
    {.name = "vol", .field = &BacktestSpec::vol, .expected = "implied or realized", .doc = "the volatility of the hedge ratios and the model check"},
    {.name = "realized_window_hours", .field = &BacktestSpec::realized_window_hours, .expected = "a whole number of hours >= 2", .doc = "trailing window of the realised volatility (vol realized only)"},
    {.name = "on_bad_data", .field = &BacktestSpec::on_bad_data, .expected = "fail or skip", .doc = "a bad row fails the run, or is skipped and counted"},
    {.name = "naive_utc_offset_hours", .field = &BacktestSpec::naive_utc_offset_hours, .expected = "a number of hours in [-14, 14]", .doc = "local time minus UTC of timestamps without an offset (a multiple of 0.25); left out: such a timestamp is an error", .written = &BacktestSpec::has_naive_offset, .default_text = "none"},
    {.name = "model_check", .field = &BacktestSpec::model_check, .expected = "true or false", .doc = "compare the history with the Monte Carlo distribution of the config's model"},
};
// optimise: (docs/optimise.md). The families' keys are the policy registry's (a family's type, its
// flag and choice keys, leland, and parameters: the type's ParameterInfo), read by optimise.cpp.
constexpr unsigned kTailRisks = bit(RiskMeasure::var) | bit(RiskMeasure::es);
inline constexpr Key<OptimiseSpec> kOptimiseKeys[] = {
    {.name = "families", .field = {}, .expected = "a list of {name, type, parameters: {NAME: value or [min, max]}, settings}", .doc = "the policy families to optimise; at least one parameter of each free ([min, max])", .required = true},
    {.name = "objective", .field = {}, .expected = "a map (below)", .doc = "what is minimised"},
    {.name = "frontier", .field = {}, .expected = "a map (below)", .doc = "further trade-offs searched: the efficient frontier"},
    {.name = "search", .field = {}, .expected = "a map (below)", .doc = "the CMA-ES search"},
    {.name = "out_of_sample", .field = {}, .expected = "a map (below)", .doc = "the re-evaluation of each optimum on fresh paths"},
};
inline constexpr Key<OptimiseSpec> kObjectiveKeys[] = {
    {.name = "risk", .field = &OptimiseSpec::risk, .expected = "std, variance, var, es or entropic", .doc = "risk measure of the hedged P&L"},
    {.name = "level", .field = &OptimiseSpec::level, .expected = "a number > 0.5 and < 1 (e.g. 0.95)", .doc = "confidence level", .used_by = kTailRisks, .accept = [](double x) { return x > 0.5 && x < 1.0; }},
    {.name = "risk_aversion", .field = &OptimiseSpec::risk_aversion, .expected = "a number > 0 (per USD of P&L)", .doc = "entropic risk aversion", .required = true, .used_by = bit(RiskMeasure::entropic), .required_hint = "a number > 0 per USD, e.g. 1e-3", .accept = [](double x) { return x > 0.0; }},
    {.name = "lambda", .field = &OptimiseSpec::lambda, .expected = "a number >= 0 (USD of mean cost per USD of risk)", .doc = "minimise mean cost + lambda x risk", .accept = [](double x) { return x >= 0.0; }},
    {.name = "cost_budget", .field = &OptimiseSpec::cost_budget, .expected = "a number > 0 (USD of mean cost)", .doc = "instead of lambda: minimise risk subject to mean cost <= budget", .written = &OptimiseSpec::budget_form, .default_text = "none", .accept = [](double x) { return x > 0.0; }},
};
inline constexpr Key<OptimiseSpec> kFrontierKeys[] = {
    {.name = "lambdas", .field = {}, .expected = "a non-empty list of numbers >= 0", .doc = "with lambda: the further lambdas"},
    {.name = "budgets", .field = {}, .expected = "a non-empty list of numbers > 0", .doc = "with cost_budget: the further budgets, USD"},
};
inline constexpr Key<OptimiseSpec> kSearchKeys[] = {
    {.name = "max_evaluations", .field = &OptimiseSpec::max_evaluations, .expected = "an integer from 1 to 1000000 (candidates per search)", .doc = "candidate evaluations per search", .max = 1000000, .accept = [](double x) { return x >= 1.0; }},
    {.name = "tolerance", .field = &OptimiseSpec::tolerance, .expected = "a number > 0 and < 1 (step size in parameters scaled to [0, 1])", .doc = "stop when the search's step is below it", .accept = [](double x) { return x > 0.0 && x < 1.0; }},
    {.name = "population", .field = &OptimiseSpec::population, .expected = "0 (automatic) or an integer from 2 to 32", .doc = "candidates per batch (one pass over the paths)", .max = 32, .accept = [](double x) { return x != 1.0; }},
    {.name = "seed", .field = &OptimiseSpec::seed, .expected = "an unsigned 64-bit integer", .doc = "the search's own random numbers"},
};
inline constexpr Key<OptimiseSpec> kOutOfSampleKeys[] = {
    {.name = "seed", .field = &OptimiseSpec::oos_seed, .expected = "an unsigned 64-bit integer", .doc = "seed of the fresh paths", .default_text = "simulation.seed + 1"},
    {.name = "paths", .field = &OptimiseSpec::oos_paths, .expected = "an integer >= 100", .doc = "fresh paths", .default_text = "simulation.paths", .accept = [](double x) { return x >= 100.0; }, .accept_text = "an integer >= 100 (standard errors need paths)"},
};
// clang-format on

template <class S>
std::vector<std::string_view> key_names(std::span<const Key<S>> keys) {
  std::vector<std::string_view> out;
  for (const Key<S>& k : keys) out.push_back(k.name);
  return out;
}

template <class S>
const Key<S>& key_named(std::span<const Key<S>> keys, std::string_view name) {
  for (const Key<S>& k : keys) {
    if (k.name == name) return k;
  }
  throw std::logic_error("config schema: no key " + std::string(name));
}

}  // namespace hedgesim::config
