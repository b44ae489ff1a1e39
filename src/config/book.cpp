// book: — a list of options, each with the keys of kOptionKeys (schema.hpp) — and the time grid
// they must fall on.
#include <cstdint>
#include <limits>

#include "hedgesim/engine/grid.hpp"
#include "parser.hpp"

namespace hedgesim::config {
namespace {

constexpr double kMaxJumpsPerStep = 50.0;  // the range of the per-step Poisson sampler

/// Checks that `days` of key `key` is a whole number (>= 1) of steps.
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

}  // namespace

void Parser::parse_book(const Entry& section, std::vector<OptionSpec>& book) {
  const std::string example = "a list of options such as - {type: call, strike: 70000, expiry_days: 30}";
  OptionSpec one;
  one.quantity = 1.0;
  read_list<OptionSpec>(section, "book", kOptionKeys, example, "a map such as {type: call, strike: 70000, expiry_days: 30}",
                        one, book);
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
    check_keys<OptionSpec>(r, kOptionKeys, book[i], "book[" + std::to_string(i) + "].", kAnyVariant, "book[i].", spot);
  }
}

void validate_grid(const Reporter& r, const RunSpec& s) {
  const SimulationSpec& sim = s.simulation;
  const double spd = sim.steps_per_day;
  std::vector<double> all_days;
  for (const OptionSpec& o : s.book) all_days.push_back(o.expiry_days);
  // A horizon before the last expiry is allowed: the options still alive there are closed at their marks.
  if (sim.horizon_days > 0.0) {
    all_days.push_back(sim.horizon_days);
    require_on_grid(r, "simulation.horizon_days", sim.horizon_days, spd, all_days);
  }
  for (std::size_t i = 0; i < s.book.size(); ++i) {
    require_on_grid(r, "book[" + std::to_string(i) + "].expiry_days", s.book[i].expiry_days, spd, all_days);
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
