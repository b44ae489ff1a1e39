// Reading a Deribit chain CSV and choosing the quotes to fit (rules in chain.hpp). The files have no
// quoted fields, so a row is split on commas; a quoted field would fail the numeric checks by name.
#include "hedgesim/calibration/chain.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "hedgesim/backtest/utc_time.hpp"
#include "hedgesim/calibration/implied_vol.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/io/input_file.hpp"

namespace hedgesim {
namespace {

/// ACT/365.25 (the file's time_to_maturity) to ACT/365 (docs/architecture.md, "Conventions").
constexpr double kYearRescale = 365.25 / 365.0;
constexpr double kSecondsPerFileYear = 365.25 * 86400.0;

enum Col : std::size_t { c_time, c_instrument, c_underlying, c_type, c_strike, c_expiry, c_ttm, c_bid, c_ask, c_mark,
                         c_iv, c_currency, c_index, c_count };
constexpr std::string_view kColumns[c_count] = {"timestamp", "instrument_name", "underlying", "option_type", "strike",
                                                "expiry_datetime", "time_to_maturity", "bid_price", "ask_price",
                                                "mark_price", "implied_volatility", "currency", "index_price"};

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

struct RowReader {
  const std::string& source;
  std::size_t line;
  const std::vector<std::string_view>& fields;
  const std::array<std::size_t, c_count>& at;

  std::string_view text(Col c) const { return trim(fields[at[c]]); }
  [[noreturn]] void fail(Col c, std::string_view value, std::string_view allowed) const {
    throw InputError(fmt::format("{} line {}, column {} = '{}': {}", source, line, kColumns[c], value, allowed));
  }
  /// A finite number; an empty field reads as 0 in optional columns (no bid, no index) and is an error elsewhere.
  double number(Col c, bool optional = false) const {
    const std::string_view t = text(c);
    if (t.empty()) {
      if (optional) return 0.0;
      fail(c, t, "expected a number, the field is empty");
    }
    double v = 0.0;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(v)) fail(c, t, "expected a finite number");
    return v;
  }
  /// A number > 0; with `optional`, an empty field reads as 0 (none), but a written 0 is still an error.
  double positive(Col c, std::string_view meaning, bool optional = false) const {
    const double v = number(c, optional);
    if (!(v > 0) && !(optional && text(c).empty())) fail(c, text(c), fmt::format("must be > 0 ({})", meaning));
    return v;
  }
  /// A coin price: >= 0, where empty or 0 means none.
  double price(Col c) const {
    const double v = number(c, true);
    if (v < 0) fail(c, text(c), "must be >= 0 (coin per option; 0 or empty: no quote)");
    return v;
  }
  /// A UTC time, seconds. A naive time is refused: nothing says which zone the snapshot was taken in.
  std::int64_t time(Col c) const {
    const std::string_view t = text(c);
    const std::optional<ParsedTime> p = parse_utc_time(t);
    if (!p || p->naive)
      fail(c, t, "expected a UTC time: YYYY-MM-DD HH:MM[:SS] (or with T) followed by Z or an offset such as +00:00, "
                 "or Unix seconds or milliseconds");
    return p->seconds;
  }
};

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

const char* to_string(DropReason r) {
  switch (r) {
    case DropReason::currency: return "other_currency";
    case DropReason::expiry_window: return "expiry_window";
    case DropReason::no_mark: return "no_mark";
    case DropReason::implausible_iv: return "implausible_iv";
    case DropReason::in_the_money: return "in_the_money";
    case DropReason::moneyness_window: return "moneyness_window";
    case DropReason::no_two_sided_quote: return "no_two_sided_quote";
    case DropReason::mark_outside_quote: return "mark_outside_quote";
    case DropReason::count_: break;
  }
  return "unknown";
}

Chain parse_chain(const std::string& text, const std::string& source) {
  Chain chain{source, {}};
  std::istringstream in(text);
  std::string header_line;
  if (!std::getline(in, header_line) || trim(header_line).empty())
    throw InputError(fmt::format("{} line 1: the file is empty; expected a header with columns {}", source,
                                 fmt::join(kColumns, ", ")));
  const std::vector<std::string_view> header = split(header_line);
  std::array<std::size_t, c_count> at{};
  for (std::size_t c = 0; c < c_count; ++c) {
    const auto it = std::find_if(header.begin(), header.end(), [&](std::string_view h) { return trim(h) == kColumns[c]; });
    if (it == header.end())
      throw InputError(fmt::format("{} line 1: missing column '{}' in the header; a Deribit chain needs {}", source,
                                   kColumns[c], fmt::join(kColumns, ", ")));
    at[c] = static_cast<std::size_t>(it - header.begin());
  }
  std::string row;
  std::size_t line = 1;
  while (std::getline(in, row)) {
    ++line;
    if (trim(row).empty()) continue;
    const std::vector<std::string_view> fields = split(row);
    if (fields.size() != header.size())
      throw InputError(fmt::format("{} line {}: {} fields, the header has {}", source, line, fields.size(), header.size()));
    const RowReader r{source, line, fields, at};
    ChainQuote q;
    q.line = line;
    q.instrument = std::string(r.text(c_instrument));
    q.currency = std::string(r.text(c_currency));
    q.expiry = std::string(r.text(c_expiry));
    const std::string_view type = r.text(c_type);
    if (type == "call") q.type = OptionType::call;
    else if (type == "put") q.type = OptionType::put;
    else r.fail(c_type, type, "expected call or put");
    q.strike = r.positive(c_strike, "USD");
    q.forward = r.positive(c_underlying, "USD: the expiry's forward");
    q.index = r.positive(c_index, "USD: the spot index; empty if none", true);
    const std::int64_t now = r.time(c_time);
    const std::int64_t expiry = r.time(c_expiry);
    const double file_years = r.positive(c_ttm, "years to expiry, ACT/365.25");
    const double implied_years = static_cast<double>(expiry - now) / kSecondsPerFileYear;
    if (!(std::fabs(file_years - implied_years) * kSecondsPerFileYear <= kMaturityToleranceSeconds))
      r.fail(c_ttm, r.text(c_ttm),
             fmt::format("contradicts expiry_datetime - timestamp = {:.10g} years (ACT/365.25: {} to {}); they must "
                         "agree within {:g} s",
                         implied_years, format_utc(now), format_utc(expiry), kMaturityToleranceSeconds));
    q.maturity = file_years * kYearRescale;
    q.bid = r.price(c_bid);
    q.ask = r.price(c_ask);
    q.mark = r.price(c_mark);
    q.mark_iv = r.positive(c_iv, "the mark's implied vol, decimal; empty if none", true);
    chain.quotes.push_back(std::move(q));
  }
  return chain;
}

Chain read_chain(const std::string& path) {
  return parse_chain(read_input_file(path, "chain file", kDataFileCap), path);
}

Selection select_options(const Chain& chain, const SelectionSpec& spec) {
  // Finite bounds: the window is echoed in the report, which never prints inf (a wide finite one
  // such as 1e5 days or K/F of 1e6 already keeps every row).
  if (!(spec.min_days >= 0) || !(spec.max_days > spec.min_days) || !std::isfinite(spec.max_days))
    throw InputError(fmt::format("expiry window [{}, {}] days: need 0 <= --min-days < --max-days, both finite",
                                 spec.min_days, spec.max_days));
  if (!(spec.min_moneyness >= 0) || !(spec.max_moneyness > spec.min_moneyness) || !std::isfinite(spec.max_moneyness))
    throw InputError(fmt::format("moneyness window [{}, {}] (K/F): need 0 <= min < max, both finite",
                                 spec.min_moneyness, spec.max_moneyness));
  Selection sel;
  sel.rows = chain.quotes.size();
  std::vector<const ChainQuote*> kept;
  for (const ChainQuote& q : chain.quotes) {
    const auto drop = [&](DropReason r) { ++sel.dropped[static_cast<std::size_t>(r)]; };
    const double days = q.maturity * kDaysPerYear;
    if (q.currency != spec.currency) { drop(DropReason::currency); continue; }
    if (days < spec.min_days || days > spec.max_days) { drop(DropReason::expiry_window); continue; }
    if (!(q.mark > 0) || !(q.mark_iv > 0)) { drop(DropReason::no_mark); continue; }
    if (q.mark_iv > kMaxMarkIv) { drop(DropReason::implausible_iv); continue; }
    const bool otm = q.type == OptionType::call ? q.strike >= q.forward : q.strike < q.forward;
    if (!otm) { drop(DropReason::in_the_money); continue; }
    const double m = q.strike / q.forward;
    if (m < spec.min_moneyness || m > spec.max_moneyness) { drop(DropReason::moneyness_window); continue; }
    if (!(q.bid > 0) || !(q.ask > 0) || q.ask < q.bid) { drop(DropReason::no_two_sided_quote); continue; }
    if (q.mark < q.bid || q.mark > q.ask) { drop(DropReason::mark_outside_quote); continue; }
    kept.push_back(&q);
  }
  if (kept.empty()) {
    std::string why;
    for (std::size_t r = 0; r < kDropReasons; ++r)
      if (sel.dropped[r]) why += fmt::format("{}{} {}", why.empty() ? "" : ", ", sel.dropped[r], to_string(DropReason(r)));
    throw InputError(fmt::format("{}: no {} option left to fit out of {} rows ({}); check --currency, the expiry and "
                                 "moneyness windows",
                                 chain.source, spec.currency, sel.rows, why.empty() ? "empty file" : why));
  }
  // Group by expiry (ordered by maturity), then strike.
  std::map<std::string, std::vector<const ChainQuote*>> groups;
  for (const ChainQuote* q : kept) groups[q->expiry].push_back(q);
  std::vector<std::vector<const ChainQuote*>> ordered;
  for (auto& [label, rows] : groups) {
    std::sort(rows.begin(), rows.end(), [](const ChainQuote* a, const ChainQuote* b) { return a->strike < b->strike; });
    ordered.push_back(rows);
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.front()->maturity < b.front()->maturity; });
  std::vector<double> index_prices, forwards;
  for (const auto& rows : ordered) {
    Expiry e;
    e.label = rows.front()->expiry;
    e.maturity = rows.front()->maturity;
    e.count = rows.size();
    std::vector<double> f;
    for (const ChainQuote* q : rows) {
      f.push_back(q->forward);
      if (q->index > 0) index_prices.push_back(q->index);
      MarketOption o;
      o.line = q->line;
      o.instrument = q->instrument;
      o.expiry_index = sel.expiries.size();
      o.type = q->type;
      o.strike = q->strike;
      o.forward = q->forward;
      o.maturity = q->maturity;
      o.price = q->mark;
      o.bid = q->bid;
      o.ask = q->ask;
      o.iv = q->mark_iv;
      const double x = o.strike / o.forward;
      const double bid_iv = implied_vol(o.type, x, o.maturity, o.bid, o.iv);
      const double ask_iv = implied_vol(o.type, x, o.maturity, o.ask, o.iv);
      o.bid_iv = std::isfinite(bid_iv) ? bid_iv : 0.0;
      o.ask_iv = std::isfinite(ask_iv) ? ask_iv : 0.0;
      o.vega = black_normalised_vega(x, o.maturity, o.iv);
      sel.options.push_back(std::move(o));
    }
    e.forward = median(f);
    forwards.push_back(e.forward);
    sel.expiries.push_back(e);
  }
  sel.spot = index_prices.empty() ? median(forwards) : median(index_prices);
  // Least squares through the origin: carry = Σ T ln(F/S) / Σ T².
  double num = 0.0, den = 0.0;
  for (const Expiry& e : sel.expiries) {
    num += e.maturity * std::log(e.forward / sel.spot);
    den += e.maturity * e.maturity;
  }
  sel.carry = den > 0 ? num / den : 0.0;
  return sel;
}

}  // namespace hedgesim
