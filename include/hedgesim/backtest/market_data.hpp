#pragma once
// Readers for exchanges' market-data files (data/SOURCES.md, docs/backtest.md "Data files"): hourly prices, perpetual funding
// rates and daily Ethereum gas prices, as time series in UTC. Host code.
//
// Column layouts recognised from the header (CSV, fields optionally double-quoted, LF or CRLF):
//   prices:  a time column `ts` | `timestamp` | `open_time` (the bar's OPEN time, as on OKX and
//            Binance klines) and `close`. The close is observed when the bar ends, so a row's time is
//            the open time + 1 hour: the close of bar 00:00–01:00 is the price at 01:00.
//   funding: a time column `ts` | `timestamp` | `Date` (the settlement or accrual time T) and either
//            `interest_1h` (Deribit: the rate accrued over the hour ending at T) or `funding_rate` /
//            `Funding Rate` (Binance: the rate settled at T for the 8 hours ending at T). A row covers
//            (T − interval, T]; its value is stored annualised (per year of 365 × 24 h, longs pay), the
//            unit of hedge.funding.rate, so a step inside the interval accrues rate × hours/interval.
//   gas:     `UnixTimeStamp` (the UTC day's start) and `Value (Wei)`; stored in gwei (1e9 wei) and
//            covering the day [T, T + 1 day).
// Timestamps follow utc_time.hpp; a naive one (no offset) is local time at naive_utc_offset_hours and
// an error when that is not given.
//
// Rows are checked against the last row kept: a timestamp equal to it (duplicate), before it
// (out of order) or off the series' interval grid (misaligned), and a price or gas price <= 0
// (non-positive) are bad rows; a step of more than one interval is a gap (the missing intervals are
// counted). With BadData::fail the first of these is an InputError naming the file and line (exit 2);
// with BadData::skip bad rows are dropped, gaps kept, and everything counted in DataIssues, so the
// report can say what was not used. A malformed row (missing field, text where a number belongs, a
// timestamp in no known form) is always an InputError with the line. Funding and gas files are read
// over the span of the prices only (ReadOptions::has_span).
#include <cstdint>
#include <string>
#include <vector>

#include "hedgesim/spec.hpp"

namespace hedgesim {

struct DataIssues {
  std::uint64_t rows = 0;          ///< data rows read (header and blank lines excluded)
  std::uint64_t kept = 0;          ///< rows in the series
  std::uint64_t duplicates = 0;    ///< dropped: same time as the previous row
  std::uint64_t out_of_order = 0;  ///< dropped: earlier than the previous row
  std::uint64_t misaligned = 0;    ///< dropped: not on the interval grid
  std::uint64_t non_positive = 0;  ///< dropped: price or gas price <= 0
  std::uint64_t implausible = 0;   ///< dropped: beyond the plausible range (config_ranges.hpp)
  std::uint64_t gaps = 0;          ///< steps of more than one interval between kept rows
  std::uint64_t missing = 0;       ///< intervals missing inside those gaps
  std::uint64_t outside = 0;       ///< not checked or kept: outside ReadOptions' span (funding, gas)
};

enum class SeriesKind { prices, funding, gas };

struct TimeSeries {
  SeriesKind kind = SeriesKind::prices;
  std::string file;
  std::string time_column;
  std::string value_column;
  std::int64_t interval_s = 3600;     ///< the grid the rows lie on
  std::vector<std::int64_t> time;     ///< Unix seconds, UTC, strictly increasing
  std::vector<double> value;          ///< prices: USD; funding: per year; gas: gwei
  std::vector<std::uint64_t> line;    ///< 1-based source line of each kept row
  DataIssues issues;
};

struct ReadOptions {
  BadData on_bad_data = BadData::fail;
  bool has_naive_offset = false;
  double naive_utc_offset_hours = 0.0;
  /// With has_span, rows whose time is outside [span_from, span_to] are read (a malformed one is still
  /// an error) but neither checked nor kept, only counted: a funding or gas file's rows outside the
  /// price history's span are never used, and their quirks (Etherscan's zero gas of 2015) do not matter.
  bool has_span = false;
  std::int64_t span_from = 0, span_to = 0;
};

ReadOptions read_options(const BacktestSpec& b);

/// Reads `path` (by read_input_file, at most kDataFileCap) as a series of `kind`. Throws InputError
/// (exit 2) naming the file and line.
TimeSeries read_series(const std::string& path, SeriesKind kind, const ReadOptions& options);

/// Same, from text already in memory (`source` names it in messages).
TimeSeries parse_series(const std::string& text, const std::string& source, SeriesKind kind,
                        const ReadOptions& options);

const char* to_string(SeriesKind);

}  // namespace hedgesim
