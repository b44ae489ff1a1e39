// backtest: — keys of kBacktestKeys (schema.hpp), and the backtest command's own rules.
#include "hedgesim/backtest/utc_time.hpp"
#include "parser.hpp"

namespace hedgesim::config {
namespace {

constexpr double kMaxUtcOffsetHours = 14.0;  // the widest offset in use (UTC+14, Kiribati)

void require_whole_hours(const Reporter& r, const std::string& key, double hours, double minimum) {
  if (!std::isfinite(hours) || hours < minimum || hours != std::round(hours) || hours > 1e7) {
    r.fail(key, hours, "must be a whole number of hours >= " + format_number(minimum) + " (the price data is hourly)");
  }
}

}  // namespace

void Parser::parse_backtest(const Entry& section, BacktestSpec& b) {
  const std::span<const Key<BacktestSpec>> keys = kBacktestKeys;
  const auto es = map_entries(section, "backtest", keys, "a map of backtest keys (" + join(key_names(keys)) + ")");
  const Entry* window = find(es, "realized_window_hours");
  read(es, "backtest", keys, b);
  if (window && b.vol != BacktestVol::realized) {
    fail("backtest.realized_window_hours at line " + std::to_string(window->line) +
         " is used only with backtest.vol = realized: remove it or set vol: realized");
  }
}

void validate_backtest(const Reporter& r, const BacktestSpec& b) {
  require_whole_hours(r, "backtest.stride_hours", b.stride_hours, 1.0);
  require_whole_hours(r, "backtest.realized_window_hours", b.realized_window_hours, 2.0);
  if (b.has_start && b.has_end && b.end <= b.start) {
    r.fail("backtest.end", format_utc(b.end), "must be after backtest.start = " + format_utc(b.start));
  }
  if (b.has_naive_offset && (!std::isfinite(b.naive_utc_offset_hours) ||
                             std::fabs(b.naive_utc_offset_hours) > kMaxUtcOffsetHours ||
                             b.naive_utc_offset_hours * 4.0 != std::round(b.naive_utc_offset_hours * 4.0))) {
    r.fail("backtest.naive_utc_offset_hours", b.naive_utc_offset_hours,
           "must be a multiple of 0.25 hours in [-14, 14] (local time minus UTC)");
  }
}

}  // namespace hedgesim::config
