// hedge:, hedge.funding:, hedge.options, hedge.surface: and hedge.margin: — keys of kHedgeKeys,
// kFundingKeys, kHedgeOptionKeys, kSurfaceKeys and kMarginKeys (schema.hpp).
#include <algorithm>
#include <cmath>

#include "hedgesim/engine/grid.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/hedging/hedge_job.hpp"
#include "hedgesim/io/surface_file.hpp"
#include "parser.hpp"

namespace hedgesim::config {
namespace {

std::string policy_path(std::size_t i) { return "policies[" + std::to_string(i) + "]"; }

/// The first policy that trades (any type but none), if any.
std::optional<std::size_t> first_hedging_policy(const std::vector<PolicySpec>& policies) {
  for (std::size_t i = 0; i < policies.size(); ++i) {
    if (policy_info(policies[i].type).trades) return i;
  }
  return std::nullopt;
}

/// hedge.options: at most kMaxHedgeOptions, each a valid option on the time grid; and every policy that
/// trades options finds as many as it needs.
void validate_hedge_options(const Reporter& r, const RunSpec& s) {
  const std::vector<HedgeOptionSpec>& options = s.hedge.options;
  if (options.size() > kMaxHedgeOptions) {
    r.fail_key("hedge.options", "lists " + std::to_string(options.size()) + " options; at most " +
                                    std::to_string(kMaxHedgeOptions) +
                                    " are supported (delta_gamma_vega trades two, delta_gamma and delta_vega the first)");
  }
  const std::vector<double> all_days = config_days(s);
  const auto on_grid = [&](const std::string& key, double days) {
    require_on_grid(r, key, days, s.simulation.steps_per_day, all_days);
  };
  for (std::size_t i = 0; i < options.size(); ++i) {
    const std::string path = "hedge.options[" + std::to_string(i) + "].";
    const HedgeOptionSpec& o = options[i];
    check_keys<HedgeOptionSpec>(r, kHedgeOptionKeys, o, path, o.rolling() ? kRollingSeries : kFixedSeries,
                                "hedge.options[i].", s.model.spot);
    if (!o.rolling()) {
      on_grid(path + "expiry_days", o.expiry_days);
      continue;
    }
    // A spec set in code (not parsed) may mix the two: refused like the YAML's.
    if (o.strike != 0.0 || o.expiry_days != 0.0) {
      r.fail(path + (o.strike != 0.0 ? "strike" : "expiry_days"), o.strike != 0.0 ? o.strike : o.expiry_days,
             "is not used by a rolling option (tenor_days, roll_days): remove it");
    }
    on_grid(path + "tenor_days", o.tenor_days);
    on_grid(path + "roll_days", o.roll_days);
    if (!(o.roll_days < o.tenor_days)) {
      r.fail(path + "roll_days", o.roll_days,
             "must be less than tenor_days = " + format_number(o.tenor_days) +
                 " (a series is rolled roll_days before its expiry, into one listed then)");
    }
  }
  for (std::size_t i = 0; i < s.policies.size(); ++i) {
    const PolicySpec& p = s.policies[i];
    const unsigned needs = policy_info(p.type).hedge_options;
    if (needs > options.size()) {
      r.fail_key(policy_path(i),
                 "'" + p.name + "' (type " + to_string(p.type) + ") trades " + std::to_string(needs) +
                     (needs == 1 ? " hedge option" : " hedge options") + " but hedge.options lists " +
                     std::to_string(options.size()) + ": add them, e.g. hedge: {options: [{type: call, strike: "
                     "70000, expiry_days: 30}]}");
    }
  }
}

}  // namespace

void Parser::parse_hedge(const Entry& section, HedgeSpec& h) {
  const std::span<const Key<HedgeSpec>> keys = kHedgeKeys;
  const auto es = map_entries(section, "hedge", keys, "a map of hedge keys (" + join(key_names(keys)) + ")");
  // instrument, delta and marks first: they decide which of the other keys apply.
  if (const Entry* e = find(es, "instrument")) h.instrument = enumeration<HedgeInstrument>("hedge.instrument", *e);
  if (const Entry* e = find(es, "delta")) h.delta = enumeration<DeltaSource>("hedge.delta", *e);
  if (const Entry* e = find(es, "marks")) h.marks = enumeration<MarkSource>("hedge.marks", *e);
  read(es, "hedge", keys, h, [&](const Key<HedgeSpec>&, const Entry& e) {
    if (e.key == "implied_vol" && h.delta != DeltaSource::implied) {
      not_used("hedge.implied_vol", e,
               std::string("is used only with hedge.delta: implied, not ") + to_string(h.delta) +
                   " (the hedge ratios then come from the path's volatility or the model): remove it or set "
                   "hedge.delta: implied");
    }
    if (e.key == "implied_vol" && h.marks == MarkSource::surface) {
      not_used("hedge.implied_vol", e,
               "is not used with hedge.marks: surface (each option's implied vol is the surface's): remove it "
               "or set hedge.marks: black_scholes");
    }
    if (e.key == "options") {
      parse_hedge_options(e, h.options);
      return true;
    }
    if (e.key == "surface") {
      if (h.marks != MarkSource::surface) {
        not_used("hedge.surface", e,
                 std::string("is used only with hedge.marks: surface, not ") + to_string(h.marks) +
                     ": remove it or set hedge.marks: surface");
      }
      parse_surface(e, h.surface);
      return true;
    }
    if (e.key == "margin") {
      parse_margin(e, h.margin);
      return true;
    }
    if (e.key != "funding") return false;
    if (h.instrument != HedgeInstrument::perpetual) {
      not_used("hedge.funding", e,
               std::string("applies only to hedge.instrument: perpetual, not ") + to_string(h.instrument) +
                   " (a spot position pays no funding): remove it or set hedge.instrument: perpetual");
    }
    parse_funding(e, h.funding);
    return true;
  });
}

void Parser::parse_hedge_options(const Entry& section, std::vector<HedgeOptionSpec>& options) {
  const std::span<const Key<HedgeOptionSpec>> keys = kHedgeOptionKeys;
  for_each_element(section, "hedge.options", keys,
                   "a list of at most " + std::to_string(kMaxHedgeOptions) +
                       " options such as - {type: call, strike: 70000, expiry_days: 7}",
                   "a map such as {type: call, strike: 70000, expiry_days: 7} or {type: call, tenor_days: 30, "
                   "roll_days: 7, strike_step: 1000}",
                   [&](const std::string& path, const Entry& element, const std::vector<Entry>& es) {
    // tenor_days or roll_days make it a rolling option: they decide which keys apply.
    const bool rolling = find(es, "tenor_days") != nullptr || find(es, "roll_days") != nullptr;
    const unsigned mine = rolling ? kRollingSeries : kFixedSeries;
    HedgeOptionSpec o;
    const auto given = read(es, path, keys, o, [&](const Key<HedgeOptionSpec>& k, const Entry& e) {
      if (!(k.used_by & mine)) {
        not_used(path + "." + e.key, e,
                 rolling ? std::string("is not used by a rolling option (tenor_days, roll_days), whose series are "
                                       "struck at moneyness x the spot at their listing: remove it, or tenor_days "
                                       "and roll_days for an option of fixed strike and expiry")
                         : std::string("is used only by a rolling option, with tenor_days and roll_days instead of "
                                       "strike and expiry_days"));
      }
      return false;
    });
    if (const Key<HedgeOptionSpec>* k = missing(keys, given, mine)) {
      fail(path + "." + std::string(k->name) + " is required" +
           (rolling ? " by a rolling option (tenor_days, roll_days)" : "") + " (element at line " +
           std::to_string(element.line) + ")");
    }
    options.push_back(o);
  });
}

void Parser::parse_funding(const Entry& section, FundingSpec& f) {
  const std::span<const Key<FundingSpec>> keys = kFundingKeys;
  const auto es =
      map_entries(section, "hedge.funding", keys, "a map of funding keys (" + join(key_names(keys)) + ")");
  if (const Entry* e = find(es, "stochastic")) f.stochastic = boolean("hedge.funding.stochastic", *e);
  const unsigned mine = bit(f.stochastic);
  const auto given = read(es, "hedge.funding", keys, f, [&](const Key<FundingSpec>& k, const Entry& e) {
    if (!(k.used_by & mine)) {
      not_used("hedge.funding." + e.key, e,
               "is used only with hedge.funding.stochastic: true: remove it or set stochastic: true");
    }
    return false;
  });
  if (const Key<FundingSpec>* k = missing(keys, given, mine)) {
    fail("hedge.funding." + std::string(k->name) + " is required when stochastic is true (funding at line " +
         std::to_string(section.line) + ")");
  }
}

void Parser::parse_surface(const Entry& section, SurfaceSpec& s) {
  const std::span<const Key<SurfaceSpec>> keys = kSurfaceKeys;
  const auto es = map_entries(section, "hedge.surface", keys,
                              "a map of surface keys (" + join(key_names(keys)) + "), e.g. {file: surface.yaml, "
                              "dynamics: sticky_strike}");
  const auto given = read(es, "hedge.surface", keys, s);
  if (const Key<SurfaceSpec>* k = missing(keys, given)) {
    fail("hedge.surface." + std::string(k->name) + " is required (surface at line " + std::to_string(section.line) +
         "): the SVI surface file that hedgesim calibrate --surface writes");
  }
  const Entry& file = *find(es, "file");
  try {
    s.slices = to_surface(read_surface_file(s.file));
  } catch (const InputError& e) {
    fail("hedge.surface.file = '" + s.file + "' at line " + std::to_string(file.line) + ": " + e.what());
  }
}

void Parser::parse_margin(const Entry& section, MarginSpec& m) {
  const std::span<const Key<MarginSpec>> keys = kMarginKeys;
  const auto es = map_entries(section, "hedge.margin", keys,
                              "a map of margin keys (" + join(key_names(keys)) + "), e.g. {collateral_usd: 200000, "
                              "initial: 0.1, maintenance: 0.05}");
  m.given = true;
  const auto given = read(es, "hedge.margin", keys, m);
  const Key<MarginSpec>* k = missing(keys, given);
  const bool collateral = given.contains("collateral_usd") || given.contains("collateral_coin");
  if (k || !collateral) {
    fail("hedge.margin." + std::string(k && collateral ? k->name : "collateral_usd") + " is required (margin at line " +
         std::to_string(section.line) +
         "): hedge.margin needs collateral_usd or collateral_coin (or both), initial and maintenance");
  }
}

namespace {

/// hedge.margin: its keys, maintenance <= initial (< 1 on a spot hedge's loan), a delay of whole steps used with a
/// reserve, and the jobs it runs in (the CPU's margin tile: not with hedge options, surface marks or
/// everlasting options).
void validate_margin(const Reporter& r, const RunSpec& s) {
  const MarginSpec& m = s.hedge.margin;
  if (!m.enabled()) return;
  check_keys<MarginSpec>(r, kMarginKeys, m, "hedge.margin.");
  if (m.collateral_usd == 0.0 && m.collateral_coin == 0.0) {
    r.fail("hedge.margin.collateral_usd", m.collateral_usd,
           "must be > 0 unless hedge.margin.collateral_coin > 0 (the account needs collateral)");
  }
  if (s.hedge.instrument == HedgeInstrument::spot && m.initial >= 1.0) {
    r.fail("hedge.margin.initial", m.initial,
           "must be < 1 with hedge.instrument = spot (a loan: 1 - the largest loan-to-value; 1 would lend nothing)");
  }
  if (m.maintenance > m.initial) {
    r.fail("hedge.margin.maintenance", m.maintenance,
           "must be at most hedge.margin.initial = " + format_number(m.initial) +
               " (the account is liquidated below maintenance; a trade may go only as far as the initial margin)");
  }
  const double steps = m.top_up_delay_hours * s.simulation.steps_per_day / 24.0;
  if (m.top_up_delay_hours != 0.0 && m.reserve_usd == 0.0) {
    r.fail("hedge.margin.top_up_delay_hours", m.top_up_delay_hours,
           "is used only with hedge.margin.reserve_usd > 0 (the reserve the top-ups come from): remove it or "
           "give reserve_usd");
  } else if (!is_whole(steps)) {
    r.fail("hedge.margin.top_up_delay_hours", m.top_up_delay_hours,
           format_number(m.top_up_delay_hours) + " hours x steps_per_day " + format_number(s.simulation.steps_per_day) +
               " / 24 = " + format_derived(steps) + " steps: must be a whole number of time steps");
  }
  if (m.impact_depth_usd > 0.0 && m.impact_half_life_hours == 0.0) {
    r.fail_key("hedge.margin.impact_half_life_hours",
               "is required with hedge.margin.impact_depth_usd = " + format_number(m.impact_depth_usd) +
                   ": give the hours in which the venue's dislocation by a liquidation halves (> 0)");
  } else if (m.impact_depth_usd == 0.0 && m.impact_half_life_hours != 0.0) {
    r.fail("hedge.margin.impact_half_life_hours", m.impact_half_life_hours,
           "is used only with hedge.margin.impact_depth_usd > 0 (the depth that sets how far a liquidation moves "
           "the venue's price): remove it or give impact_depth_usd");
  }
  const std::string not_with = "hedge.margin is not available with ";
  if (!s.hedge.options.empty()) {
    r.fail_key("hedge.margin", not_with + "hedge.options (the account margins the perpetual or spot hedge alone; option "
                                          "premiums would need a portfolio margin): remove one of them");
  }
  if (s.hedge.marks == MarkSource::surface) {
    r.fail_key("hedge.margin", not_with + "hedge.marks = surface: remove one of them");
  }
  for (std::size_t i = 0; i < s.book.size(); ++i) {
    if (s.book[i].style == OptionStyle::everlasting) {
      r.fail_key("hedge.margin", not_with + "everlasting options (book[" + std::to_string(i) + "] is an " +
                                     to_string(book_type(s.book[i])) + "): remove one of them");
      break;
    }
  }
}

}  // namespace

void validate_hedge(const Reporter& r, const RunSpec& s) {
  validate_margin(r, s);
  const HedgeSpec& h = s.hedge;
  if (h.marks == MarkSource::surface) {
    // The surface gives every option its own vol: the hedge ratios are its deltas (delta implied), and
    // there is no flat implied vol.
    if (h.delta != DeltaSource::implied) {
      r.fail("hedge.delta", to_string(h.delta),
             "with hedge.marks = surface the hedge ratios are the surface's deltas (each option at its own vol, "
             "under hedge.surface.dynamics): set hedge.delta: implied (the default), or hedge.marks: black_scholes");
    }
    if (h.implied_vol != 0.0) {
      r.fail("hedge.implied_vol", h.implied_vol,
             "is not used with hedge.marks = surface (each option's implied vol is the surface's): remove it or "
             "set hedge.marks: black_scholes");
    }
  } else if (h.delta == DeltaSource::implied) {
    if (h.implied_vol != 0.0) {
      require_positive(r, "hedge.implied_vol", h.implied_vol);
      require_plausible(r, "hedge.implied_vol", "hedge.implied_vol", h.implied_vol);
    } else if (const auto i = first_hedging_policy(s.policies)) {
      const PolicySpec& p = s.policies[*i];
      r.fail_missing("hedge.implied_vol", {"hedge", policy_path(*i)},
                     policy_path(*i) + " '" + p.name + "' (type " + to_string(p.type) +
                         ") hedges, and with hedge.delta = implied (the default) the hedge ratios are "
                         "Black-Scholes deltas at this volatility; give it (annualised, e.g. implied_vol: 0.6) "
                         "or set hedge.delta: instantaneous");
    }
  } else if (h.implied_vol != 0.0) {
    r.fail("hedge.implied_vol", h.implied_vol,
           std::string("is used only with hedge.delta = implied, not ") + to_string(h.delta) +
               " (the hedge ratios then come from the path's volatility or the model): remove it or set "
               "hedge.delta: implied");
  }

  validate_hedge_options(r, s);
  if (h.marks == MarkSource::model && !s.output.attribution && h.options.empty()) {
    r.fail("hedge.marks", "model",
           "marks the book for the P&L attribution and the hedge options for the option policies, and this run "
           "has neither (output.attribution is off, hedge.options lists none): set output.attribution: true, "
           "list hedge.options, or remove hedge.marks");
  }
  static_assert(kHedgeKeys[8].name == "min_trade" && kHedgeKeys[9].name == "lot_size", "the subspan below");
  check_keys(r, std::span<const Key<HedgeSpec>>(kHedgeKeys).subspan(8, 2), h, "hedge.");  // min_trade, lot_size
  if (h.inverse_delta == InverseDelta::premium_adjusted) {
    const bool inverse = std::any_of(s.book.begin(), s.book.end(),
                                     [](const OptionSpec& o) { return o.settlement == Settlement::inverse; });
    if (!inverse) {
      r.fail("hedge.inverse_delta", "premium_adjusted",
             "applies to inverse (coin-settled) options, and the book has none: remove it or give an option "
             "settlement: inverse");
    }
    if (h.delta == DeltaSource::model && s.model.type != ModelType::gbm) {
      r.fail("hedge.inverse_delta", "premium_adjusted",
             std::string("needs each option's price along the path, which the model's delta table (hedge.delta = "
                         "model, model ") +
                 to_string(s.model.type) + ") does not hold: use hedge.delta: instantaneous or implied, or "
                 "inverse_delta: coin_held");
    }
    if (h.marks == MarkSource::surface) {
      r.fail("hedge.inverse_delta", "premium_adjusted",
             "is not available with hedge.marks = surface (the surface's deltas are the coin_held hedge's): use "
             "inverse_delta: coin_held, or hedge.marks: black_scholes");
    }
  }

  if (h.marks == MarkSource::surface && h.surface.slices.n == 0) {
    r.fail_missing("hedge.surface", {"hedge"},
                   "hedge.marks = surface reads each option's vol from an SVI surface: give hedge.surface: {file: "
                   "FILE, dynamics: sticky_strike or sticky_delta}, FILE written by hedgesim calibrate --surface");
  } else if (h.marks != MarkSource::surface && h.surface.slices.n != 0) {
    r.fail_key("hedge.surface", std::string("is used only with hedge.marks = surface, not ") + to_string(h.marks) +
                                    ": remove it or set hedge.marks: surface");
  }
  // Everlasting options are marked and hedged by Black–Scholes at the decision vol: the model table
  // (model deltas, model marks) covers each European's expiry, not an everlasting option's sum.
  for (std::size_t i = 0; i < s.book.size(); ++i) {
    if (s.book[i].style != OptionStyle::everlasting) continue;
    const std::string what = "is not available with everlasting options (book[" + std::to_string(i) + "] is an " +
                             to_string(book_type(s.book[i])) + "): the model table covers each European's expiry; ";
    if (h.delta == DeltaSource::model && s.model.type != ModelType::gbm) {
      r.fail("hedge.delta", "model",
             what + "use hedge.delta: implied or instantaneous (Black-Scholes at the path's volatility)");
    }
    if (h.marks == MarkSource::model) {
      r.fail("hedge.marks", "model", what + "remove hedge.marks (the marks are then Black-Scholes at the decision vol)");
    }
    if (h.marks == MarkSource::surface) {
      r.fail("hedge.marks", "surface",
             "is not available with everlasting options (book[" + std::to_string(i) +
                 "]): they are marked by Black-Scholes at the decision vol; remove hedge.marks and hedge.surface");
    }
    if (h.inverse_delta == InverseDelta::premium_adjusted) {
      r.fail("hedge.inverse_delta", "premium_adjusted",
             "is not available with everlasting options (book[" + std::to_string(i) +
                 "]): their delta is the USD value's; use inverse_delta: coin_held (the default)");
    }
  }

  const FundingSpec& f = h.funding;
  const std::span<const Key<FundingSpec>> keys = kFundingKeys;
  check_keys(r, keys.first(1), f, "hedge.funding.");  // rate
  const bool any_funding = f.rate != 0.0 || f.stochastic || f.kappa != 0.0 || f.sigma != 0.0 || f.rho != 0.0;
  if (h.instrument == HedgeInstrument::spot && any_funding) {
    r.fail_key("hedge.funding",
               "applies only to hedge.instrument = perpetual, not spot (a spot position pays no funding): "
               "remove it or set hedge.instrument: perpetual");
  }
  if (f.stochastic) {
    check_keys(r, keys.subspan(2), f, "hedge.funding.");  // kappa, sigma, rho
    return;
  }
  for (const Key<FundingSpec>& k : keys.subspan(2)) {
    if (const double value = f.*std::get<double FundingSpec::*>(k.field); value != 0.0) {
      r.fail("hedge.funding." + std::string(k.name), value,
             "is used only with hedge.funding.stochastic = true: remove it or set stochastic: true");
    }
  }
}

}  // namespace hedgesim::config
