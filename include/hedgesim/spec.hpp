#pragma once
// The whole specification of a run as plain values (docs/architecture.md, "Data flow"): parsed and validated once on the
// host from YAML and flags, then passed down explicitly. Units follow docs/architecture.md "Conventions": time in years of
// 365 × 24 hours, rates continuously compounded, volatilities annualised, variance v = σ².
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hedgesim/pricing/svi.hpp"

namespace hedgesim {

enum class ModelType { gbm, heston, bates, svcj };
/// Discretisation of the variance process (Heston family).
enum class VarianceScheme { qe, euler };
enum class Measure { physical, risk_neutral };
enum class Precision { float32, float64 };
enum class BackendKind { automatic, cpu, cuda };
enum class OptionType { call, put };
enum class Settlement { linear, inverse };

constexpr double kDaysPerYear = 365.0;
constexpr double kHoursPerYear = kDaysPerYear * 24.0;

struct ModelParams {
  ModelType type = ModelType::gbm;
  double spot = 0.0;
  double rate = 0.0;      ///< r
  double dividend = 0.0;  ///< q (for a perpetual-hedged coin: the funding-implied carry)
  double drift = 0.0;     ///< μ, used under the physical measure
  double vol = 0.0;       ///< σ, GBM only
  double v0 = 0.0;
  double kappa = 0.0;
  double theta = 0.0;
  double xi = 0.0;  ///< volatility of variance
  double rho = 0.0;
  VarianceScheme scheme = VarianceScheme::qe;
  double jump_intensity = 0.0;  ///< λ, jumps per year (bates, svcj)
  double jump_mean = 0.0;       ///< μ_J (bates) / μ_S (svcj): mean log price jump
  double jump_stdev = 0.0;      ///< σ_J / σ_S
  double var_jump_mean = 0.0;   ///< μ_v (svcj): mean of the exponential variance jump
  double jump_rho = 0.0;        ///< ρ_J (svcj): price jump loading on the variance jump
};

/// A book option is European (it expires) or everlasting (it never expires; its holder pays funding
/// every funding period, pricing/everlasting.hpp and docs/models.md "Everlasting options").
enum class OptionStyle { european, everlasting };
/// A book entry's `type` in configs and outputs: the option type and its style.
enum class BookOptionType { call, put, everlasting_call, everlasting_put };
/// The default bound on the weight an everlasting option's truncated sum of Europeans leaves out.
constexpr double kEverlastingTailWeight = 1e-9;

struct OptionSpec {
  OptionType type = OptionType::call;
  double strike = 0.0;
  double expiry_days = 0.0;  ///< European only
  double quantity = 0.0;  ///< signed: negative is short
  Settlement settlement = Settlement::linear;
  OptionStyle style = OptionStyle::european;
  double funding_period_days = 0.0;  ///< everlasting only: Δ, days between funding times
  double tail_weight = kEverlastingTailWeight;  ///< everlasting only: the truncation's weight bound 2^−N
};

/// The entry's `type` (call, put, everlasting_call, everlasting_put).
BookOptionType book_type(const OptionSpec& o);
/// Whether any option of the book is everlasting.
bool has_everlasting(const std::vector<OptionSpec>& book);

struct SimulationSpec {
  std::uint64_t paths = 0;
  double steps_per_day = 24.0;
  double horizon_days = 0.0;  ///< 0: the last expiry of the book
  std::uint64_t seed = 0;
  BackendKind backend = BackendKind::automatic;
  Precision precision = Precision::float32;
  Measure measure = Measure::physical;
  unsigned threads = 0;  ///< CPU backend; 0: all hardware threads
};

// ---- Hedging (the `run` command). docs/architecture.md "Conventions" for units and signs.

enum class HedgeInstrument { spot, perpetual };
/// Where hedge ratios come from: Black–Scholes at the market's implied vol (hedge.implied_vol, or with
/// surface marks each option's vol on the surface), Black–Scholes at the path's √v_t, or the model's own
/// delta (Heston/Bates/SVCJ closed form, tabulated before the run and interpolated per path;
/// Black–Scholes at model.vol for GBM).
enum class DeltaSource { implied, instantaneous, model };
/// What the hedge offsets for inverse (coin-settled) options (docs/hedging.md "Accounting"): the book's
/// USD delta plus the coin its premiums and payoffs left in the account (coin_held: the USD value is
/// hedged), or Deribit's premium-adjusted delta Δ − V/S of each inverse option with the coin left out
/// (premium_adjusted: the value in coin is hedged, as a coin-margined desk reads its risk).
enum class InverseDelta { coin_held, premium_adjusted };

/// Where the market's prices of options come from (hedge.marks; hedging/book_marks.hpp decides for the
/// book's marks): Black–Scholes at the hedge's decision vol; the model's own prices (Heston/Bates/SVCJ
/// closed form, tabulated before the run with the model deltas; Black–Scholes at model.vol for GBM), for
/// the P&L attribution's marks of the book; or Black–Scholes at each option's own vol on an SVI surface
/// (hedge.surface; hedging/option_vol.hpp), for everything a price is read for — the book's premiums, its
/// hedge deltas, its marks (attribution, the horizon's close-out) and the hedge options.
enum class MarkSource { black_scholes, model, surface };
/// How the surface moves with the spot (hedging/option_vol.hpp): the vol of a strike stays put, or
/// the smile moves with the spot (each option keeps the vol of its moneyness ln(K/F_t)).
enum class SurfaceDynamics { sticky_strike, sticky_delta };

/// hedge.surface: the SVI surface file (written by `hedgesim calibrate --surface`, docs/hedging.md
/// "Marks and the volatility surface") and its dynamics; `slices` is the file's content, read when the
/// config is.
struct SurfaceSpec {
  std::string file;
  SurfaceDynamics dynamics = SurfaceDynamics::sticky_strike;
  SviSurface slices;
};

/// Funding on a perpetual position: longs pay `rate` per year of notional (continuously, every step);
/// shorts receive it. With `stochastic`, the rate follows an Ornstein–Uhlenbeck process around `rate`,
///   df = κ(rate − f) dt + σ_f dW^f,  d⟨W^f, W^S⟩ = ρ_f dt,
/// so funding rises with rallies when ρ_f > 0, as on crypto perpetuals.
struct FundingSpec {
  double rate = 0.0;
  bool stochastic = false;
  double kappa = 0.0;
  double sigma = 0.0;
  double rho = 0.0;
};

/// A listed option used as a hedge instrument (hedge.options): fixed strike and expiry on the time grid;
/// it settles its payoff at expiry, or is worth its Black–Scholes mark at the horizon when it expires later.
/// hedge.options[i]: a fixed series (strike, expiry_days) or a rolling one (tenor_days, roll_days,
/// moneyness, strike_step; HedgeOption in hedge_job.hpp).
struct HedgeOptionSpec {
  OptionType type = OptionType::call;
  double strike = 0.0;
  double expiry_days = 0.0;
  double max_position = 0.0;  ///< largest |position| a policy may hold, in contracts (0: no limit)
  double tenor_days = 0.0;    ///< rolling: a series' life from listing to expiry (0: a fixed series)
  double roll_days = 0.0;     ///< rolling: a series is rolled this long before its expiry
  double moneyness = 1.0;     ///< rolling: strike / spot at listing, before rounding to strike_step
  double strike_step = 0.0;   ///< rolling: listed strikes are multiples of this, USD (0: not rounded)
  bool rolling() const { return tenor_days != 0.0 || roll_days != 0.0; }
};

/// hedge.margin: the perpetual hedge sits on margin (hedging/margin.hpp, docs/hedging.md "Margin and
/// liquidation"): collateral, initial and maintenance rates of the notional |h|·S, what a liquidation
/// closes and loses, and an optional reserve that tops the account up after a delay. Left out: no margin
/// account.
struct MarginSpec {
  double collateral_usd = 0.0;
  double collateral_coin = 0.0;  ///< coins of the underlying posted beside (or instead of) collateral_usd
  double initial = 0.0;
  double maintenance = 0.0;
  double liquidation_fraction = 1.0;
  double liquidation_penalty = 0.0;
  double reserve_usd = 0.0;
  double top_up_delay_hours = 0.0;
  double impact_depth_usd = 0.0;        ///< cascades: 0, none (hedging/margin.hpp)
  double impact_half_life_hours = 0.0;  ///< required with impact_depth_usd
  bool given = false;  ///< the config has the section (a collateral of 0 there is refused, not "none")
  bool enabled() const { return given || collateral_usd != 0.0 || collateral_coin != 0.0; }
};

struct HedgeSpec {
  HedgeInstrument instrument = HedgeInstrument::perpetual;
  DeltaSource delta = DeltaSource::implied;
  double implied_vol = 0.0;  ///< required when delta = implied
  MarkSource marks = MarkSource::black_scholes;  ///< model: output.attribution only
  FundingSpec funding;       ///< perpetual only
  std::vector<HedgeOptionSpec> options;  ///< at most 2 (kMaxHedgeOptions); policies such as delta_gamma trade them
  InverseDelta inverse_delta = InverseDelta::coin_held;
  /// Execution sizes, in coins (docs/hedging.md "Trade sizes"): positions are whole lots of lot_size
  /// (0: any size) and a rebalance smaller than min_trade is not sent (0: any).
  double min_trade = 0.0;
  double lot_size = 0.0;
  /// Close the hedge at the book's last expiry, paying its costs, and trade no more after it; false:
  /// the position is marked at S_T at the horizon without a trade.
  bool unwind_at_expiry = false;
  SurfaceSpec surface;       ///< marks = surface only
  MarginSpec margin;         ///< perpetual only
};

/// Gas for on-chain rebalancing: every attempt (executed or failed) costs units × gas price (gwei)
/// × 1e-9 × the ETH price in USD. The gas price is market-wide (one per path) and follows a
/// mean-reverting log process whose spikes follow absolute returns beyond their expected size:
///   ln g_{n+1} = ln g_n + κ(ln ḡ − ln g_n)Δ + σ_g √Δ ε + β (|r_n| − σ_h √(2Δ/π)),   g_0 = ḡ,
/// with r_n = ln(S_{n+1}/S_n) and σ_h the hedge volatility, so E|r_n| is subtracted and ln g reverts to
/// ln ḡ in a market that moves as expected. κ is per year: hourly-decaying spikes need κ in the
/// thousands.
struct GasSpec {
  double units = 0.0;               ///< gas units per rebalance; 0: no gas cost
  double price_gwei = 0.0;          ///< ḡ, the long-run and initial gas price
  double eth_price_usd = 0.0;       ///< USD per ETH; 0: the simulated underlying is ETH (the path's spot)
  double kappa = 0.0;               ///< mean reversion of ln g, per year
  double sigma = 0.0;               ///< volatility of ln g, per √year
  double return_sensitivity = 0.0;  ///< β: jump in ln g per unit of absolute log return
};

enum class SlippageModel { none, linear, sqrt, amm };

/// Price impact on each executed trade of notional N = |q|·S (USD):
///   linear: cost = N · coefficient · N / 1e6 (coefficient: fraction of notional lost per 1M USD traded)
///   sqrt:   cost = coefficient · N · √(N / depth_usd)
///   amm:    a constant-product pool x·y = k holding depth_usd of each asset, re-centred on the market
///           price each step by arbitrage: trading q coins costs |q|·S·|q|/(x − q) over the mid value,
///           x = depth_usd/S. A trade of max_fill_fraction·x coins or more, either way, is refused
///           (it fails like a failed transaction), so one fill costs less than N·f/(1 − f) (f = 0.5:
///           the notional) where the pool's curve would charge without bound as q nears x.
struct SlippageSpec {
  SlippageModel model = SlippageModel::none;
  double coefficient = 0.0;
  double depth_usd = 0.0;
  double max_fill_fraction = 0.5;  ///< amm only
};

/// Costs of trading hedge options, Deribit style: per unit traded a fee min(fee_fraction·S, fee_cap·price)
/// and a half-spread of half_spread_vol vol points (1 = 0.01 of σ) times the option's vega.
struct OptionCostSpec {
  double fee_fraction = 0.0;
  double fee_cap = 0.0;
  double half_spread_vol = 0.0;
};

/// Trading costs applied to every rebalance. All optional; each is accounted separately per path.
struct CostSpec {
  OptionCostSpec options;        ///< costs.options: trading hedge options
  double fee_bps = 0.0;          ///< proportional fee on traded notional |Δh|·S, in basis points
  double fixed_per_trade = 0.0;  ///< USD per executed trade
  GasSpec gas;
  SlippageSpec slippage;
  double failure_probability = 0.0;  ///< a rebalance fails: gas is paid, the position is unchanged
};

/// The registered rebalancing policies: the enumerators, their names and their rules are derived from
/// one list in hedging/policy.hpp (include it to name an enumerator such as PolicyType::time). That list
/// is the hedging layer's, so PolicySpec::get/set and to_string(PolicyType), declared here with the
/// plain values, are defined there (src/hedging/policy_registry.cpp); no core code calls them.
enum class PolicyType : std::uint8_t;
enum class RebalanceTo { center, edge };

/// One rebalancing rule (docs/config.md `policies`): its type and the values of its config keys, by
/// name as in the YAML (a group's items as "theta.const"); the policy's header in hedging/policies/
/// names the keys, their defaults and what they allow.
struct PolicySpec {
  std::string name;
  PolicyType type{};    ///< default: the first registered policy, none
  bool leland = false;  ///< hedge ratio at Leland's adjusted volatility (any policy that trades)
  std::map<std::string, double, std::less<>> values;  ///< keys given; flags 1/0, choices their index

  /// The value of `key`: as given, else the type's default (hedging/policies/policy_config.hpp). A
  /// key the type does not have is a std::logic_error.
  double get(std::string_view key) const;
  bool flag(std::string_view key) const { return get(key) != 0.0; }
  template <class E>
  E choice(std::string_view key) const {
    return static_cast<E>(static_cast<int>(get(key)));
  }
  /// Sets `key` (a key of the type or one of its optimiser parameters), else InputError.
  void set(std::string_view key, double value);
};

struct OutputSpec {
  std::string file;        ///< HDF5 results; empty: none
  bool per_path = false;   ///< write per-path datasets
  bool attribution = false;  ///< split each path's P&L by Greek (the pnl_* path fields)
  unsigned histogram_bins = 100;
  unsigned sample_paths = 10;  ///< spot and variance of paths 0 … n−1 at every step, for plots
};

// ---- Backtest (the `backtest` command): the book and policies replayed on historical prices.

/// The volatility each window's option is sold and hedged at: hedge.implied_vol, or the realised
/// volatility of the `realized_window_hours` hourly log returns before the window starts.
enum class BacktestVol { implied, realized };
/// What to do with bad rows of a data file (duplicate, out-of-order or misaligned timestamps,
/// non-positive values) and gaps: stop with the file and line, or drop the rows / skip the windows
/// that would use them, and count them in the report.
enum class BadData { fail, skip };

/// The `backtest:` section. Book strikes are relative to model.spot: each window's strikes are
/// strike × S_start / model.spot (moneyness), so the same book serves the Monte Carlo comparison.
struct BacktestSpec {
  std::string prices;            ///< hourly price file (--prices overrides)
  std::string funding;           ///< funding-rate file for a perpetual hedge; empty: hedge.funding.rate
  std::string gas;               ///< daily gas-price file; empty: costs.gas.price_gwei
  double stride_hours = 24.0;    ///< hours between window starts
  bool has_start = false;        ///< windows start at or after `start`
  std::int64_t start = 0;        ///< Unix seconds, UTC
  bool has_end = false;          ///< windows end at or before `end`
  std::int64_t end = 0;          ///< Unix seconds, UTC
  BacktestVol vol = BacktestVol::implied;
  double realized_window_hours = 720.0;
  BadData on_bad_data = BadData::fail;
  bool has_naive_offset = false;       ///< timestamps without an offset are local time at this offset
  double naive_utc_offset_hours = 0.0;  ///< local − UTC, hours (Binance funding 2020-2023: 3)
  bool model_check = true;  ///< compare with the Monte Carlo distribution of the config's model
};

// ---- Band optimiser (the `optimise` command, docs/optimise.md).

/// The risk of the P&L distribution X (USD) that the optimiser trades against mean cost:
/// std and variance of X; VaR_α = −q_{1−α}(X); ES_α = −E[X | X ≤ q_{1−α}]; entropic
/// ρ_γ(X) = (1/γ)·ln E[e^{−γX}] with risk aversion γ per USD.
enum class RiskMeasure { stdev, variance, var, es, entropic };

/// One free parameter of a family, searched in [lo, hi] (policies/*.hpp name the parameters).
struct ParameterBound {
  std::string name;
  double lo = 0.0;
  double hi = 0.0;
};

/// A policy family: a policy type with some parameters fixed (in `base`) and some free.
struct FamilySpec {
  std::string name;
  PolicySpec base;
  std::vector<ParameterBound> free;
};

struct OptimiseSpec {
  std::vector<FamilySpec> families;  ///< empty: no optimise section
  RiskMeasure risk = RiskMeasure::stdev;
  double level = 0.95;         ///< var, es: confidence level α
  double risk_aversion = 0.0;  ///< entropic: γ per USD
  /// false: minimise mean cost + λ·risk; true: minimise risk subject to mean cost <= budget.
  bool budget_form = false;
  double lambda = 1.0;       ///< the chosen point's λ (penalty form)
  double cost_budget = 0.0;  ///< the chosen point's budget, USD (budget form)
  std::vector<double> frontier;  ///< further λ values (penalty form) or budgets (budget form)
  std::uint64_t max_evaluations = 300;  ///< candidate evaluations per search (one family, one λ or budget)
  double tolerance = 1e-3;  ///< stop when the search's step is below this, in parameters scaled to [0, 1]
  unsigned population = 0;  ///< candidates per batch (one pass over the paths); 0: automatic
  std::uint64_t seed = 1;   ///< the search's own random numbers (CMA-ES samples)
  std::uint64_t oos_seed = 0;   ///< out-of-sample paths' seed; 0: simulation.seed + 1
  std::uint64_t oos_paths = 0;  ///< out-of-sample paths; 0: simulation.paths
};

/// Customers trading an options AMM's board (the order_flow: section; hedging/order_flow.hpp, docs/hedging.md
/// "Order flow: an options AMM"): the board lists calls and puts of every strike at every expiry; the book
/// is the pool's holdings at t = 0. Vols in vol points (1 = 0.01 of σ).
struct OrderFlowSpec {
  std::vector<double> strikes;        ///< USD
  std::vector<double> expiries_days;  ///< days, whole steps
  double trades_per_day = 0.0;        ///< λ: customers per day (Poisson)
  double size_mean = 0.0;             ///< contracts per trade (exponential)
  double call_share = 0.5;            ///< share of trades in calls
  double buy_share = 0.5;             ///< probability that a customer buys, before momentum
  double momentum = 0.0;              ///< buy probability added per unit of log return over the anchor
  double lookback_hours = 24.0;       ///< the anchor's time constant
  double moneyness_width = 0.1;       ///< customers' series weights exp(−½·(ln(K/S)/width)²)
  double half_spread_vol = 0.0;       ///< vol points added to a customer buy's quote, taken off a sell's
  double skew_vol = 0.0;              ///< vol points the pool shades its quotes by at |vega| = vega_limit_usd
  double vega_limit_usd = 0.0;        ///< USD per vol point of the pool's vega; required with skew_vol
  double elasticity = 0.0;            ///< a customer trades with probability exp(−elasticity·cost in vol points)
  bool given = false;
  bool enabled() const { return given; }
};

struct RunSpec {
  SimulationSpec simulation;
  ModelParams model;
  std::vector<OptionSpec> book;
  HedgeSpec hedge;
  OrderFlowSpec order_flow;
  CostSpec costs;
  std::vector<PolicySpec> policies;
  OutputSpec output;
  BacktestSpec backtest;
  OptimiseSpec optimise;
  std::string config_text;  ///< the YAML as given, kept for provenance in outputs
  std::string effective_config;  ///< the config as it ran, flags applied (record_provenance: the CLI and the Python package set it)
  std::string command_line;      ///< the command that ran it (record_provenance; for Python the call as text), for provenance in outputs
  std::string config_path;
};

const char* to_string(ModelType);
const char* to_string(VarianceScheme);
const char* to_string(Measure);
const char* to_string(Precision);
const char* to_string(BackendKind);
const char* to_string(OptionType);
const char* to_string(Settlement);
const char* to_string(BookOptionType);
const char* to_string(HedgeInstrument);
const char* to_string(DeltaSource);
const char* to_string(MarkSource);
const char* to_string(InverseDelta);
const char* to_string(SurfaceDynamics);
const char* to_string(PolicyType);  ///< defined with the policy list (src/hedging/policy_registry.cpp)
const char* to_string(RebalanceTo);
const char* to_string(SlippageModel);
const char* to_string(BacktestVol);
const char* to_string(BadData);
const char* to_string(RiskMeasure);

}  // namespace hedgesim
