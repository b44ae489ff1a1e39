// Market-data readers (market_data.hpp): header lookup, a small RFC 4180 field splitter (the
// Etherscan export quotes every field), timestamps through utc_time.hpp, and the row checks.
#include "hedgesim/backtest/market_data.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "hedgesim/backtest/utc_time.hpp"
#include "hedgesim/config_ranges.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/io/input_file.hpp"

namespace hedgesim {
namespace {

constexpr std::int64_t kHour = 3600;

struct Layout {
  std::vector<std::string_view> time_names;
  std::vector<std::string_view> value_names;  ///< first present wins
};

Layout layout_of(SeriesKind kind) {
  switch (kind) {
    case SeriesKind::prices: return {{"ts", "timestamp", "open_time"}, {"close"}};
    case SeriesKind::funding: return {{"ts", "timestamp", "Date"}, {"interest_1h", "funding_rate", "Funding Rate"}};
    case SeriesKind::gas: return {{"UnixTimeStamp"}, {"Value (Wei)"}};
  }
  return {};
}

/// Splits one CSV line; quoted fields may hold commas and doubled quotes. nullopt: an unclosed quote.
std::optional<std::vector<std::string>> split_csv(std::string_view line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  bool was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      out.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else {
      field += c;
    }
  }
  if (quoted) return std::nullopt;
  out.push_back(std::move(field));
  return out;
}

std::string join_names(const std::vector<std::string_view>& names) {
  std::string s;
  for (std::string_view n : names) s += (s.empty() ? "'" : ", '") + std::string(n) + "'";
  return s;
}

class Reader {
 public:
  Reader(std::string source, SeriesKind kind, const ReadOptions& options) : options_(options) {
    s_.kind = kind;
    s_.file = std::move(source);
  }

  TimeSeries parse(const std::string& text) {
    std::istringstream in(text);
    std::string raw;
    std::uint64_t line_no = 0;
    bool header = false;
    std::size_t time_col = 0, value_col = 0, width = 0;
    while (std::getline(in, raw)) {
      ++line_no;
      if (!raw.empty() && raw.back() == '\r') raw.pop_back();
      if (raw.find_first_not_of(" \t") == std::string::npos) continue;
      const auto fields = split_csv(raw);
      if (!fields) fail(line_no, "a quoted field is not closed");
      if (!header) {
        header = true;
        locate_columns(*fields, line_no, time_col, value_col);
        width = std::max(time_col, value_col) + 1;
        continue;
      }
      if (fields->size() < width) {
        fail(line_no, fmt::format("{} fields, expected at least {} (the header names '{}' as column {})",
                                  fields->size(), width, value_col >= time_col ? s_.value_column : s_.time_column,
                                  width));
      }
      ++s_.issues.rows;
      row(line_no, (*fields)[time_col], (*fields)[value_col]);
    }
    if (!header) throw InputError(fmt::format("{}: the file is empty: expected a CSV header line", s_.file));
    if (s_.time.empty())
      throw InputError(fmt::format("{}: no data rows{}", s_.file,
                                   s_.issues.outside ? fmt::format(" in the span {} to {} of the prices",
                                                                   format_utc(options_.span_from), format_utc(options_.span_to))
                                   : s_.issues.rows  ? " left after dropping bad rows"
                                                     : ""));
    s_.issues.kept = s_.time.size();
    return std::move(s_);
  }

 private:
  [[noreturn]] void fail(std::uint64_t line, const std::string& what) const {
    throw InputError(fmt::format("{} line {}: {}", s_.file, line, what));
  }

  void locate_columns(const std::vector<std::string>& names, std::uint64_t line, std::size_t& time_col,
                      std::size_t& value_col) {
    const Layout lay = layout_of(s_.kind);
    const auto find = [&](const std::vector<std::string_view>& wanted, std::string& chosen) -> std::optional<std::size_t> {
      for (std::string_view w : wanted) {
        for (std::size_t i = 0; i < names.size(); ++i) {
          std::string_view n = names[i];
          while (!n.empty() && n.front() == ' ') n.remove_prefix(1);
          while (!n.empty() && n.back() == ' ') n.remove_suffix(1);
          if (n == w) {
            chosen = std::string(w);
            return i;
          }
        }
      }
      return std::nullopt;
    };
    std::string header;
    for (const std::string& n : names) header += (header.empty() ? "" : ",") + n;
    const auto t = find(lay.time_names, s_.time_column);
    if (!t)
      fail(line, fmt::format("header '{}' has no time column: expected one of {} for a {} file", header,
                             join_names(lay.time_names), to_string(s_.kind)));
    const auto v = find(lay.value_names, s_.value_column);
    if (!v)
      fail(line, fmt::format("header '{}' has no value column: expected one of {} for a {} file", header,
                             join_names(lay.value_names), to_string(s_.kind)));
    time_col = *t;
    value_col = *v;
    switch (s_.kind) {
      case SeriesKind::prices: interval_ = kHour; break;
      case SeriesKind::funding: interval_ = s_.value_column == "interest_1h" ? kHour : 8 * kHour; break;
      case SeriesKind::gas: interval_ = 24 * kHour; break;
    }
    s_.interval_s = interval_;
  }

  std::int64_t time_of(std::uint64_t line, const std::string& text) const {
    const auto t = parse_utc_time(text);
    if (!t)
      fail(line, fmt::format("{} = '{}' is not a timestamp (expected Unix seconds or milliseconds, or "
                             "YYYY-MM-DD HH:MM:SS with Z or an offset such as +00:00)",
                             s_.time_column, text));
    std::int64_t seconds = t->seconds;
    if (t->naive) {
      if (!options_.has_naive_offset)
        fail(line, fmt::format("{} = '{}' has no UTC offset: set backtest.naive_utc_offset_hours to the local "
                               "time's offset (e.g. 3 for UTC+3; docs/backtest.md)",
                               s_.time_column, text));
      seconds -= std::llround(options_.naive_utc_offset_hours * 3600.0);
    }
    if (s_.kind == SeriesKind::prices) seconds += kHour;  // the close is observed when the bar ends
    return seconds;
  }

  double number_of(std::uint64_t line, std::string_view text) const {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    double x = 0.0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(x))
      fail(line, fmt::format("{} = '{}' is not a finite number", s_.value_column, text));
    return x;
  }

  /// A bad row: fail, or drop it and count it.
  void bad(std::uint64_t line, std::uint64_t DataIssues::*counter, const std::string& what) {
    if (options_.on_bad_data == BadData::fail)
      fail(line, what + "; set backtest.on_bad_data: skip to drop such rows and count them");
    ++(s_.issues.*counter);
  }

  /// The rule a value of the file beyond its plausible range breaks (config_ranges.hpp), or "".
  /// Funding is checked per period, as written; gas in gwei.
  std::string implausible(double per_period, double v) const {
    switch (s_.kind) {
      case SeriesKind::prices:
        if (v > kMaxPriceUsd) return fmt::format("must be <= {:.0f} USD (above any asset's price)", kMaxPriceUsd);
        break;
      case SeriesKind::funding:
        if (!(std::fabs(per_period) < kMaxFundingPerPeriod))
          return fmt::format("must be in (-{0:.0f}, {0:.0f}) per funding period (100%; exchanges cap funding near 3%)",
                             kMaxFundingPerPeriod);
        break;
      case SeriesKind::gas:
        if (v > kMaxGasPriceGwei)
          return fmt::format("{:g} gwei, must be <= {:.0f} gwei (100 times the highest gas price ever paid)", v,
                             kMaxGasPriceGwei);
        break;
    }
    return "";
  }

  void row(std::uint64_t line, const std::string& time_text, const std::string& value_text) {
    const std::int64_t t = time_of(line, time_text);
    double v = number_of(line, value_text);
    const double per_period = v;
    if (s_.kind == SeriesKind::funding) v *= kHoursPerYear * static_cast<double>(kHour) / static_cast<double>(interval_);
    if (s_.kind == SeriesKind::gas) v *= 1e-9;
    if (options_.has_span && (t < options_.span_from || t > options_.span_to)) {
      ++s_.issues.outside;
      return;
    }
    const std::string when = format_utc(t);
    if (t % interval_ != 0) {
      bad(line, &DataIssues::misaligned,
          fmt::format("{} ({}) is not on the file's {}-hour grid", time_text, when, interval_ / kHour));
      return;
    }
    if (!s_.time.empty()) {
      const std::int64_t last = s_.time.back();
      if (t == last) {
        bad(line, &DataIssues::duplicates,
            fmt::format("duplicate timestamp {} ({}), the same as line {}", time_text, when, s_.line.back()));
        return;
      }
      if (t < last) {
        bad(line, &DataIssues::out_of_order,
            fmt::format("timestamp {} ({}) is out of order: before line {} ({})", time_text, when, s_.line.back(),
                        format_utc(last)));
        return;
      }
    }
    if (s_.kind != SeriesKind::funding && !(v > 0.0)) {
      bad(line, &DataIssues::non_positive,
          fmt::format("{} = {} at {} is not positive", s_.value_column, value_text, when));
      return;
    }
    if (const std::string rule = implausible(per_period, v); !rule.empty()) {
      bad(line, &DataIssues::implausible, fmt::format("{} = {} at {} is not plausible: {}", s_.value_column, value_text, when, rule));
      return;
    }
    if (!s_.time.empty() && t - s_.time.back() > interval_) {
      const std::int64_t missing = (t - s_.time.back()) / interval_ - 1;
      if (options_.on_bad_data == BadData::fail)
        fail(line, fmt::format("gap: {} missing {}-hour interval(s) between line {} ({}) and this row ({}); set "
                               "backtest.on_bad_data: skip to skip the windows that span gaps and count them",
                               missing, interval_ / kHour, s_.line.back(), format_utc(s_.time.back()), when));
      ++s_.issues.gaps;
      s_.issues.missing += static_cast<std::uint64_t>(missing);
    }
    s_.time.push_back(t);
    s_.value.push_back(v);
    s_.line.push_back(line);
  }

  TimeSeries s_;
  ReadOptions options_;
  std::int64_t interval_ = kHour;
};

}  // namespace

const char* to_string(SeriesKind k) {
  switch (k) {
    case SeriesKind::prices: return "prices";
    case SeriesKind::funding: return "funding";
    case SeriesKind::gas: return "gas";
  }
  return "?";
}

ReadOptions read_options(const BacktestSpec& b) {
  return ReadOptions{b.on_bad_data, b.has_naive_offset, b.naive_utc_offset_hours};
}

TimeSeries parse_series(const std::string& text, const std::string& source, SeriesKind kind,
                        const ReadOptions& options) {
  return Reader(source, kind, options).parse(text);
}

TimeSeries read_series(const std::string& path, SeriesKind kind, const ReadOptions& options) {
  return parse_series(read_input_file(path, fmt::format("{} file", to_string(kind)), kDataFileCap), path, kind,
                      options);
}

}  // namespace hedgesim
