// Timestamp parsing for the market-data readers: civil dates through std::chrono's calendar (proleptic
// Gregorian), offsets subtracted to reach UTC. Hand-written because GCC 12's libstdc++ lacks
// std::chrono::parse and the files mix four spellings.
#include "hedgesim/backtest/utc_time.hpp"

#include <charconv>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

namespace hedgesim {
namespace {

/// Reads exactly `width` digits at `pos` into `out`.
bool digits(std::string_view s, std::size_t& pos, std::size_t width, int& out) {
  if (pos + width > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += width;
  out = v;
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::optional<ParsedTime> parse_utc_time(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (all_digits(s)) {
    if (s.size() > 16) return std::nullopt;
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    // Milliseconds for anything past 1e11 (1e11 s is the year 5138; 1e11 ms is 1973).
    if (v > 100000000000LL) return ParsedTime{(v + 500) / 1000, false};
    return ParsedTime{v, false};
  }
  std::size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, pos, 4, y) || pos >= s.size() || s[pos++] != '-' || !digits(s, pos, 2, mo) || pos >= s.size() ||
      s[pos++] != '-' || !digits(s, pos, 2, d))
    return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const std::int64_t day_seconds = static_cast<std::int64_t>(sys_days{ymd}.time_since_epoch().count()) * 86400;
  if (pos == s.size()) return ParsedTime{day_seconds, true};
  if (s[pos] != ' ' && s[pos] != 'T') return std::nullopt;
  ++pos;
  if (!digits(s, pos, 2, h) || pos >= s.size() || s[pos++] != ':' || !digits(s, pos, 2, mi)) return std::nullopt;
  double frac = 0.0;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!digits(s, pos, 2, sec)) return std::nullopt;
    if (pos < s.size() && s[pos] == '.') {
      const std::size_t start = ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      if (pos == start) return std::nullopt;
      frac = std::stod("0." + std::string(s.substr(start, pos - start)));
    }
  }
  if (h > 23 || mi > 59 || sec > 59) return std::nullopt;
  std::int64_t t = day_seconds + h * 3600 + mi * 60 + sec + static_cast<std::int64_t>(std::lround(frac));
  if (pos == s.size()) return ParsedTime{t, true};
  if (s[pos] == 'Z' && pos + 1 == s.size()) return ParsedTime{t, false};
  if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
  const int sign = s[pos++] == '+' ? 1 : -1;
  int oh = 0, om = 0;
  if (!digits(s, pos, 2, oh)) return std::nullopt;
  if (pos < s.size() && s[pos] == ':') ++pos;
  if (!digits(s, pos, 2, om) || pos != s.size() || oh > 23 || om > 59) return std::nullopt;
  t -= sign * (oh * 3600 + om * 60);
  return ParsedTime{t, false};
}

std::string format_utc(std::int64_t seconds) {
  using namespace std::chrono;
  const std::int64_t days_since = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  const std::int64_t rem = seconds - days_since * 86400;
  const year_month_day ymd{sys_days{days{days_since}}};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), rem / 3600, rem / 60 % 60,
                     rem % 60);
}

}  // namespace hedgesim
