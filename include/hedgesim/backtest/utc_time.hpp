#pragma once
// UTC timestamps of market-data files (data/SOURCES.md, docs/backtest.md), as whole seconds since 1970-01-01
// UTC. Accepted spellings, the forms the data files use:
//   Unix time as digits: milliseconds when above 1e11 (OKX, Deribit `ts`), else seconds (Etherscan);
//   ISO 8601 `YYYY-MM-DD[ T]HH:MM[:SS[.fff…]]` followed by `Z`, `±HH:MM`, `±HHMM` (Binance's `+0000`)
//   or nothing (naive local time: converted with a caller-given offset, an error without one);
//   a bare date `YYYY-MM-DD` (midnight).
// Fractions of a second (Binance funding's millisecond jitter, `.001`) round to the nearest second.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hedgesim {

struct ParsedTime {
  std::int64_t seconds = 0;  ///< since 1970-01-01 00:00:00 UTC
  bool naive = false;        ///< no offset was written; `seconds` assumed the text was UTC
};

/// The time `text` names, or nullopt when it is in none of the accepted forms. A naive time is
/// returned as if it were UTC, with `naive` set, so the caller decides what offset applies.
std::optional<ParsedTime> parse_utc_time(std::string_view text);

/// "YYYY-MM-DDTHH:MM:SSZ".
std::string format_utc(std::int64_t seconds);

}  // namespace hedgesim
