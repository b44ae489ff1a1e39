#pragma once
// A Deribit option-chain snapshot (the column layout of data/deribit_options_*.csv, described in
// data/SOURCES.md) and the choice of the quotes a calibration fits.
//
// Deribit options are inverse: prices are in coin, and a coin price is the Black-76 value with zero
// rate divided by the expiry's forward F (the `underlying` column), so price_coin = c(F, K, T, σ)/F is
// already the forward-normalised price a smile fit works with. Time to expiry is ACT/365 (docs/architecture.md, "Conventions"):
// the file's `time_to_maturity` is ACT/365.25 and is rescaled by 365.25/365, which reproduces Deribit's
// mark prices from its mark IVs to about 1e-6 relative.
//
// Two kinds of bad row. A row that cannot be a quote (a field that is not a number or a time, a
// non-positive strike, forward, index or mark IV, a negative price, a time_to_maturity that contradicts
// expiry_datetime − timestamp) means the file is broken: parse_chain rejects it naming file, line and
// column. A row that is a quote but not one to fit (another currency, no mark, an implausible mark IV,
// in the money, …) is dropped by select_options and counted under its DropReason.
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "hedgesim/spec.hpp"

namespace hedgesim {

/// Largest mark IV fitted (decimal: 5 = 500%); rows above it are dropped as implausible_iv. The highest
/// mark IV in the six shipped snapshots is 1.83 (a 25-day ETH call struck at 500). Above 5 a quote is
/// out of the fit's reach (GBM's vol is held in [0.01, 5]; Heston's v0 and θ below 4, a vol of 2), and
/// its price says ever less about the vol: at three months σ√T = 2.5 already, an at-the-money option
/// costs 79% of its upper bound, and the vega that turns price errors into vol errors shrinks towards
/// zero as σ grows. Dropped, not rejected: such a mark is odd but possible (hours before expiry), not
/// a sign of a broken file.
inline constexpr double kMaxMarkIv = 5.0;

/// How far, in seconds, time_to_maturity may differ from expiry_datetime − timestamp (ACT/365.25)
/// before the row contradicts itself. The shipped snapshots agree exactly; times are read to the
/// second, so the check needs more than 1 s. One minute still catches an ACT/365 file (off by
/// 0.07% of T: 7 minutes at 7 days), which the 365.25/365 rescaling would silently mis-time.
inline constexpr double kMaturityToleranceSeconds = 60.0;

/// One row of a chain file. Coin prices are per option; a missing bid or ask (empty field) is 0.
struct ChainQuote {
  std::size_t line = 0;          ///< 1-based line in the file (the header is line 1)
  std::string instrument;        ///< e.g. BTC-27MAR26-90000-C
  std::string currency;          ///< BTC or ETH
  std::string expiry;            ///< the expiry_datetime text, which groups rows into expiries
  OptionType type = OptionType::call;
  double strike = 0.0;           ///< USD
  double forward = 0.0;          ///< USD, > 0: the row's `underlying` (future, synthetic forward or index)
  double index = 0.0;            ///< USD: Deribit spot index (0 if the field is empty)
  double maturity = 0.0;         ///< years, ACT/365
  double bid = 0.0, ask = 0.0;   ///< coin; 0 = no quote
  double mark = 0.0;             ///< coin; 0 = no mark
  double mark_iv = 0.0;          ///< Deribit mark implied vol (decimal); 0 if the field is empty
};

struct Chain {
  std::string source;  ///< file name, for messages and provenance
  std::vector<ChainQuote> quotes;
};

/// Reads a chain CSV. Throws InputError naming the file, the 1-based line and the column for an empty
/// file, a missing column, a short row or a field outside its rule: numbers finite; strike, underlying
/// and time_to_maturity > 0; index_price and implied_volatility > 0 or empty; bid, ask and mark ≥ 0 or
/// empty; timestamp and expiry_datetime UTC times (utc_time.hpp, with Z or an offset, or Unix time);
/// time_to_maturity within kMaturityToleranceSeconds of expiry_datetime − timestamp. A file that cannot
/// be opened, is not a regular file or pipe, or exceeds kDataFileCap is also an InputError
/// (read_input_file). Column order is free; extra columns are ignored.
Chain read_chain(const std::string& path);
/// As read_chain, from text (source names it in messages).
Chain parse_chain(const std::string& text, const std::string& source);

/// Why a row is not fitted, in the order the rules are applied (a row counts under the first rule it fails).
enum class DropReason : unsigned {
  currency,           ///< another currency than asked for
  expiry_window,      ///< days to expiry outside [min_days, max_days]
  no_mark,            ///< mark price 0 or empty, or mark IV empty
  implausible_iv,     ///< mark IV above kMaxMarkIv
  in_the_money,       ///< out-of-the-money only: calls with K >= F, puts with K < F
  moneyness_window,   ///< K/F outside [min_moneyness, max_moneyness]
  no_two_sided_quote, ///< bid or ask missing or <= 0, or ask < bid
  mark_outside_quote, ///< mark price outside [bid, ask]
  count_
};
inline constexpr std::size_t kDropReasons = static_cast<std::size_t>(DropReason::count_);
const char* to_string(DropReason r);

struct SelectionSpec {
  std::string currency = "BTC";
  double min_days = 7.0;
  double max_days = 365.0;
  double min_moneyness = 0.5;   ///< K/F
  double max_moneyness = 2.0;
};

/// One option chosen for the fit. Prices are forward-normalised (coin prices); vols are decimals.
struct MarketOption {
  std::size_t line = 0;
  std::string instrument;
  std::size_t expiry_index = 0;  ///< into Selection::expiries
  OptionType type = OptionType::call;
  double strike = 0.0, forward = 0.0, maturity = 0.0;
  double price = 0.0;            ///< mark, coin = USD/F
  double bid = 0.0, ask = 0.0;   ///< coin
  double iv = 0.0;               ///< market vol: Deribit mark IV
  double bid_iv = 0.0, ask_iv = 0.0;  ///< implied from bid and ask (0 where none exists)
  double vega = 0.0;             ///< ∂price/∂σ at iv, forward-normalised
};

struct Expiry {
  std::string label;    ///< expiry_datetime text
  double maturity = 0;  ///< years, ACT/365 (the first chosen row's)
  double forward = 0;   ///< USD, median `underlying` of its chosen rows
  std::size_t count = 0;
};

struct Selection {
  std::vector<MarketOption> options;  ///< grouped by expiry, ascending maturity, then strike
  std::vector<Expiry> expiries;       ///< ascending maturity
  std::size_t rows = 0;               ///< rows read
  std::array<std::size_t, kDropReasons> dropped{};
  double spot = 0;   ///< USD: median index price of the chosen rows (median forward if no index)
  double carry = 0;  ///< r − q per year fitted to ln(F/spot) = carry·T over the chosen expiries
};

/// Applies the rules of DropReason in order. Throws InputError when the window flags are
/// inconsistent, or when nothing is left (naming the reasons).
Selection select_options(const Chain& chain, const SelectionSpec& spec);

}  // namespace hedgesim
