// costs:, costs.gas: and costs.slippage: — keys of kCostKeys, kGasKeys and kSlippageKeys (schema.hpp).
#include "parser.hpp"

namespace hedgesim::config {
namespace {

/// The gas process (GasSpec): an Euler step of ln g per time step, so it must revert (kappa > 0)
/// whenever something moves it, and kappa·dt must not overshoot the long-run level.
void validate_gas(const Reporter& r, const GasSpec& g, double steps_per_day) {
  const std::span<const Key<GasSpec>> keys = kGasKeys;
  check_rules(r, keys, g, "costs.gas.");
  if (g.units == 0.0) {
    for (const Key<GasSpec>& k : keys.subspan(1)) {
      if (const double value = g.*std::get<double GasSpec::*>(k.field); value != 0.0) {
        r.fail("costs.gas." + std::string(k.name), value,
               "has no effect with costs.gas.units = 0 (no gas cost): set units > 0 or remove it");
      }
    }
    return;
  }
  require_positive(r, "costs.gas.price_gwei", g.price_gwei);
  check_ranges(r, keys, g, "costs.gas.");
  if (g.kappa == 0.0) {
    const std::string kappa = value_text(r, "costs.gas.kappa", g.kappa);
    if (g.sigma > 0.0) {
      r.fail("costs.gas.sigma", g.sigma,
             "needs costs.gas.kappa > 0, but " + kappa +
                 ": without mean reversion the log gas price is a random walk that wanders away from "
                 "price_gwei without bound over the run; set kappa > 0 (per year, e.g. 50: a half-life of about "
                 "5 days) or sigma: 0");
    }
    if (g.return_sensitivity > 0.0) {
      r.fail("costs.gas.return_sensitivity", g.return_sensitivity,
             "needs costs.gas.kappa > 0, but " + kappa +
                 ": without mean reversion every spike is permanent and the gas price only ever rises; set "
                 "kappa > 0 (per year, e.g. 50) or return_sensitivity: 0");
    }
  }
  const double per_step = g.kappa / (steps_per_day * kDaysPerYear);
  if (per_step > 1.0) {
    r.fail("costs.gas.kappa", g.kappa,
           "kappa x dt = " + format_derived(per_step) + " per step (dt = 1/" + format_number(steps_per_day) +
               " day) exceeds 1: the Euler step of ln g would overshoot the long-run gas price; raise "
               "simulation.steps_per_day to at least " +
               format_number(std::ceil(g.kappa / kDaysPerYear)) + " or lower kappa (it is per year)");
  }
}

void validate_slippage(const Reporter& r, const SlippageSpec& sl) {
  const unsigned mine = bit(sl.model);
  check_rules<SlippageSpec>(r, kSlippageKeys, sl, "costs.slippage.", mine);
  for (const Key<SlippageSpec>& k : std::span<const Key<SlippageSpec>>(kSlippageKeys).subspan(1)) {
    const std::string key = "costs.slippage." + std::string(k.name);
    const double value = sl.*std::get<double SlippageSpec::*>(k.field);
    if (!(k.used_by & mine)) {
      if (value != SlippageSpec{}.*std::get<double SlippageSpec::*>(k.field)) {  // set, not left at its default
        r.fail(key, value,
               "is used only by " + type_list<SlippageModel>(k.used_by, "model") + ", not by model " +
                   to_string(sl.model) + ": remove it or change costs.slippage.model");
      }
      continue;
    }
    if (k.name == "depth_usd" && (!std::isfinite(value) || !(value > 0.0))) {
      r.fail(key, value,
             "must be > 0 (USD of liquidity" +
                 std::string(sl.model == SlippageModel::amm ? " on each side of the pool" : "") + ")");
    }
    require_plausible(r, key, key, value);
  }
}

}  // namespace

void Parser::parse_costs(const Entry& section, CostSpec& c) {
  const std::span<const Key<CostSpec>> keys = kCostKeys;
  const auto es = map_entries(section, "costs", keys, "a map of cost keys (" + join(key_names(keys)) + ")");
  read(es, "costs", keys, c, [&](const Key<CostSpec>&, const Entry& e) {
    if (e.key == "gas") parse_gas(e, c.gas);
    if (e.key == "slippage") parse_slippage(e, c.slippage);
    if (e.key == "options") parse_option_costs(e, c.options);
    return e.key == "gas" || e.key == "slippage" || e.key == "options";
  });
}

void Parser::parse_option_costs(const Entry& section, OptionCostSpec& c) {
  const std::span<const Key<OptionCostSpec>> keys = kOptionCostKeys;
  const auto es = map_entries(section, "costs.options", keys,
                              "a map such as {fee_fraction: 0.0003, fee_cap: 0.125, half_spread_vol: 0.5}");
  read(es, "costs.options", keys, c);
}

void Parser::parse_gas(const Entry& section, GasSpec& g) {
  const std::span<const Key<GasSpec>> keys = kGasKeys;
  const auto es = map_entries(section, "costs.gas", keys, "a map of gas keys (" + join(key_names(keys)) + ")");
  if (const Key<GasSpec>* k = missing(keys, read(es, "costs.gas", keys, g))) {
    fail("costs.gas." + std::string(k->name) + " is required (gas at line " + std::to_string(section.line) +
         "): " + std::string(k->required_hint));
  }
}

void Parser::parse_slippage(const Entry& section, SlippageSpec& sl) {
  const std::span<const Key<SlippageSpec>> keys = kSlippageKeys;
  const auto es = map_entries(section, "costs.slippage", keys, "a map such as {model: amm, depth_usd: 5e6}");
  const Entry* model_entry = find(es, "model");
  if (!model_entry) {
    fail("costs.slippage.model is required (slippage at line " + std::to_string(section.line) + "): one of " +
         join(names_of<SlippageModel>()));
  }
  sl.model = enumeration<SlippageModel>("costs.slippage.model", *model_entry);
  const unsigned mine = bit(sl.model);
  const auto given = read(es, "costs.slippage", keys, sl, [&](const Key<SlippageSpec>& k, const Entry& e) {
    if (!(k.used_by & mine)) {
      not_used("costs.slippage." + e.key, e,
               "is used only by " + type_list<SlippageModel>(k.used_by, "model") + ", not by model " +
                   to_string(sl.model) + ": remove it or change costs.slippage.model");
    }
    if (e.key != "coefficient") return false;
    // What the coefficient means depends on the model.
    sl.coefficient = number("costs.slippage.coefficient", e,
                            sl.model == SlippageModel::linear
                                ? "a number >= 0 (fraction of the notional lost per 1M USD traded)"
                                : "a number >= 0 (cost = coefficient x notional x sqrt(notional / depth_usd))");
    return true;
  });
  if (const Key<SlippageSpec>* k = missing(keys, given, mine)) {
    fail("costs.slippage." + std::string(k->name) + " is required for model " + to_string(sl.model) +
         " (slippage at line " + std::to_string(section.line) + ")");
  }
}

void validate_costs(const Reporter& r, const RunSpec& s) {
  const CostSpec& c = s.costs;
  const std::span<const Key<CostSpec>> keys = kCostKeys;
  check_keys(r, keys.first(2), c, "costs.");  // fee_bps, fixed_per_trade
  validate_gas(r, c.gas, s.simulation.steps_per_day);
  validate_slippage(r, c.slippage);
  check_keys(r, keys.subspan(4), c, "costs.");  // failure_probability
  check_keys<OptionCostSpec>(r, kOptionCostKeys, c.options, "costs.options.");
  const OptionCostSpec& o = c.options;
  if (s.hedge.options.empty() && (o.fee_fraction != 0.0 || o.fee_cap != 0.0 || o.half_spread_vol != 0.0)) {
    r.fail_key("costs.options", "applies only to hedge options, and hedge.options lists none: remove it or add "
                                "hedge.options");
  }
  if (o.fee_fraction > 0.0 && o.fee_cap == 0.0) {
    r.fail("costs.options.fee_cap", o.fee_cap,
           "must be > 0 when fee_fraction is (the fee is min(fee_fraction x S, fee_cap x option price), so a cap "
           "of 0 charges nothing; Deribit: 0.125)");
  }
}

}  // namespace hedgesim::config
