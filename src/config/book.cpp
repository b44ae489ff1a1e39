// book: — a list of options, each with the keys of kOptionKeys (schema.hpp) — and the time grid
// they must fall on.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "hedgesim/engine/grid.hpp"
#include "parser.hpp"

namespace hedgesim::config {
namespace {

constexpr double kMaxJumpsPerStep = 50.0;  // the range of the per-step Poisson sampler

}  // namespace

void require_on_grid(const Reporter& r, const std::string& key, double days, double spd,
                     std::span<const double> all_days) {
  const double steps = days * spd;
  const std::string product = format_number(days) + " days x steps_per_day " + format_number(spd) + " = " +
                              format_derived(steps) + " steps";
  const std::string grid = "time steps are uniform, dt = 1/" + format_number(spd) + " day";
  if (steps > static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
    r.fail(key, days, product + ", more than the grid's limit of 4294967295");
  }
  if (!is_whole(steps)) {
    std::string msg = product + ", not a whole number (" + grid + ")";
    if (const auto s = grid_suggestion(all_days, spd)) {
      msg += "; steps_per_day: " + format_number(*s) + " puts every expiry and the horizon on the grid";
    } else {
      const double nearest_steps = std::max(1.0, std::round(steps));
      msg += "; no steps_per_day up to " + std::to_string(kMaxSuggestedStepsPerDay) +
             " fits every date, so give a whole number of steps, e.g. " +
             format_number(nearest_steps / spd) + " (" + format_number(nearest_steps) + " steps)";
    }
    r.fail(key, days, msg);
  }
  if (std::round(steps) < 1.0) {
    r.fail(key, days, "shorter than one time step (" + grid + ")");
  }
}

void Parser::parse_book(const Entry& section, std::vector<OptionSpec>& book) {
  const std::span<const Key<OptionSpec>> keys = kOptionKeys;
  for_each_element(section, "book", keys, "a list of options such as - {type: call, strike: 70000, expiry_days: 30}",
                   "a map such as {type: call, strike: 70000, expiry_days: 30}",
                   [&](const std::string& path, const Entry& element, const std::vector<Entry>& es) {
    // The type first: it decides which keys apply (expiry_days, or funding_period_days and tail_weight).
    const Entry* type_entry = find(es, "type");
    if (!type_entry) {
      fail(path + ".type is required (element at line " + std::to_string(element.line) + "): one of " +
           join(names_of<BookOptionType>()));
    }
    const BookOptionType type = enumeration<BookOptionType>(path + ".type", *type_entry);
    OptionSpec o;
    o.quantity = 1.0;
    o.type = type == BookOptionType::call || type == BookOptionType::everlasting_call ? OptionType::call : OptionType::put;
    o.style = type == BookOptionType::call || type == BookOptionType::put ? OptionStyle::european : OptionStyle::everlasting;
    const unsigned mine = bit(o.style);
    const auto given = read(es, path, keys, o, [&](const Key<OptionSpec>& k, const Entry& e) {
      if (!(k.used_by & mine)) {
        not_used(path + "." + e.key, e,
                 std::string("is used only by ") + (k.used_by == kEuropean ? "types call and put" : "types everlasting_call and everlasting_put") +
                     ", not by type " + to_string(type) +
                     (o.style == OptionStyle::everlasting
                          ? " (an everlasting option has no expiry: the run ends at simulation.horizon_days)"
                          : "") +
                     ": remove it or change " + path + ".type");
      }
      return false;
    });
    if (const Key<OptionSpec>* k = missing(keys, given, mine)) {
      fail(path + "." + std::string(k->name) + " is required for type " + to_string(type) + " (element at line " +
           std::to_string(element.line) + ")");
    }
    book.push_back(o);
  });
  if (book.empty()) {
    fail("book at line " + std::to_string(section.line) + " is an empty list: expected at least one option");
  }
}

void validate_book(const Reporter& r, const std::vector<OptionSpec>& book, double spot) {
  if (book.empty()) r.fail_key("book", "must list at least one option");
  // Every command (price too) takes the same books, so that a book that prices also hedges.
  if (book.size() > kMaxBookOptions) {
    r.fail_key("book", "lists " + std::to_string(book.size()) + " options; at most " +
                           std::to_string(kMaxBookOptions) + " are supported (the hedging kernels' fixed book size)");
  }
  for (std::size_t i = 0; i < book.size(); ++i) {
    const std::string path = "book[" + std::to_string(i) + "].";
    check_keys<OptionSpec>(r, kOptionKeys, book[i], path, bit(book[i].style), "book[i].", spot);
    // A spec set in code (not parsed) may carry the other style's keys: refused like the YAML's.
    if (book[i].style == OptionStyle::everlasting && book[i].expiry_days != 0.0) {
      r.fail(path + "expiry_days", book[i].expiry_days,
             std::string("is used only by types call and put, not by type ") + to_string(book_type(book[i])) +
                 " (an everlasting option has no expiry: the run ends at simulation.horizon_days)");
    }
    if (book[i].style == OptionStyle::european && book[i].funding_period_days != 0.0) {
      r.fail(path + "funding_period_days", book[i].funding_period_days,
             std::string("is used only by types everlasting_call and everlasting_put, not by type ") +
                 to_string(book_type(book[i])));
    }
  }
}

std::vector<double> config_days(const RunSpec& s) {
  std::vector<double> days;
  for (const OptionSpec& o : s.book)
    days.push_back(o.style == OptionStyle::european ? o.expiry_days : o.funding_period_days);
  if (s.simulation.horizon_days > 0.0) days.push_back(s.simulation.horizon_days);
  days.insert(days.end(), s.order_flow.expiries_days.begin(), s.order_flow.expiries_days.end());
  for (const HedgeOptionSpec& o : s.hedge.options) {
    if (o.rolling()) {
      days.push_back(o.tenor_days);
      days.push_back(o.roll_days);
    } else {
      days.push_back(o.expiry_days);
    }
  }
  return days;
}

void validate_grid(const Reporter& r, const RunSpec& s) {
  const SimulationSpec& sim = s.simulation;
  const double spd = sim.steps_per_day;
  const std::vector<double> all_days = config_days(s);
  // An everlasting option never expires: the run needs its own horizon, where the book is closed at its marks.
  if (sim.horizon_days == 0.0) {
    for (std::size_t i = 0; i < s.book.size(); ++i) {
      if (s.book[i].style != OptionStyle::everlasting) continue;
      const std::string entry = "book[" + std::to_string(i) + "]";
      r.fail_missing("simulation.horizon_days", {entry, "simulation"},
                     entry + " is an " + to_string(book_type(s.book[i])) +
                         ", which never expires, so the run needs a horizon (days; the book is closed at its marks "
                         "there), e.g. horizon_days: 7");
    }
  }
  // A horizon before the last expiry is allowed: the options still alive there are closed at their marks.
  if (sim.horizon_days > 0.0) require_on_grid(r, "simulation.horizon_days", sim.horizon_days, spd, all_days);
  for (std::size_t i = 0; i < s.book.size(); ++i) {
    const OptionSpec& o = s.book[i];
    const std::string path = "book[" + std::to_string(i) + "].";
    if (o.style == OptionStyle::european) {
      require_on_grid(r, path + "expiry_days", o.expiry_days, spd, all_days);
      continue;
    }
    require_on_grid(r, path + "funding_period_days", o.funding_period_days, spd, all_days);
    // Its Europeans of expiries Δ, 2Δ, … weigh 1/2, 1/4, …; a carry that lifts them by more than 2 per period
    // (e^{cΔ} ≥ 2, c = max(0, −r, −q)) makes the sum, the price, infinite (pricing/everlasting.hpp).
    const double c = std::max({0.0, -s.model.rate, -s.model.dividend});
    const double period_years = o.funding_period_days / kDaysPerYear;
    if (!(c * period_years < std::log(2.0))) {
      r.fail(path + "funding_period_days", o.funding_period_days,
             "with model." + std::string(-s.model.rate >= -s.model.dividend ? "rate = " + format_number(s.model.rate)
                                                                            : "dividend = " + format_number(s.model.dividend)) +
                 " the Europeans the price sums grow by e^(" + format_number(c) + " x " + format_derived(period_years) +
                 " years) = " + format_derived(std::exp(c * period_years)) +
                 " per funding period, at least as fast as their weights halve, so the price is infinite: use a "
                 "funding period under ln 2 / " + format_number(c) + " = " + format_derived(std::log(2.0) / c * kDaysPerYear) +
                 " days");
    }
  }

  const ModelParams& m = s.model;
  if (m.type == ModelType::bates || m.type == ModelType::svcj) {
    const double dt_years = 1.0 / (spd * kDaysPerYear);
    const double per_step = m.jump_intensity * dt_years;
    if (per_step > kMaxJumpsPerStep) {
      r.fail("model.jump_intensity", m.jump_intensity,
             "jump_intensity x dt = " + format_derived(per_step) + " expected jumps per step (dt = 1/" +
                 format_number(spd) + " day) exceeds " + format_number(kMaxJumpsPerStep) +
                 ", the Poisson sampler's range; raise simulation.steps_per_day to at least " +
                 format_number(std::ceil(m.jump_intensity / (kMaxJumpsPerStep * kDaysPerYear))) +
                 " or lower jump_intensity");
    }
    require_plausible(r, "model.jump_intensity", "model.jump_intensity", m.jump_intensity);
  }
}

}  // namespace hedgesim::config
