// The key reference (docs/config.md, `hedgesim list`): the schema tables of schema.hpp, the policy
// registry's keys and the plausible ranges of config_ranges.hpp, printed as Markdown. The test
// config_reference regenerates docs/config.md and fails when the committed file differs.
#include <type_traits>

#include "hedgesim/config.hpp"
#include "report.hpp"

namespace hedgesim {
namespace config {
namespace {

/// A key's default as the spec holds it when the key is left out.
template <class S>
std::string default_of(const Key<S>& k) {
  if (k.required) return "required";
  if (!k.default_text.empty()) return std::string(k.default_text);
  static const S defaults{};
  return std::visit(
      [](auto field) -> std::string {
        using F = decltype(field);
        if constexpr (std::is_same_v<F, std::monostate>) {
          return "";
        } else {
          const auto& v = defaults.*field;
          using V = std::remove_cvref_t<decltype(v)>;
          if constexpr (std::is_same_v<V, double>) return format_number(v);
          else if constexpr (std::is_same_v<V, bool>) return v ? "true" : "false";
          else if constexpr (std::is_same_v<V, std::string>) return v.empty() ? "none" : v;
          else if constexpr (std::is_enum_v<V>) return to_string(v);
          else return std::to_string(v);
        }
      },
      k.field);
}

/// "(0, 1000] per year (REASON)", or "" for a key with no plausible range.
std::string range_of(std::string_view range_key) {
  const KeyRange* k = find_range(range_key);
  if (!k) return "";
  return range_text(*k, 0.0) + " (" + std::string(k->reason) + ")";
}
/// The range of a key, or of each element of a list key (order_flow.strikes: order_flow.strikes[i]).
std::string list_or_key_range(const std::string& range_key) {
  return find_range(range_key) ? range_of(range_key) : range_of(range_key + "[i]");
}

/// One section's table. `variants` names the variants of keys not used by all (model types).
template <class S>
std::string table(std::string_view title, std::string_view path, std::span<const Key<S>> keys,
                  std::string (*variants)(unsigned) = nullptr, std::string_view range_path = {}) {
  std::string out = "## `" + std::string(title) + "`\n\n| key | value | default | plausible range | meaning |\n"
                    "|---|---|---|---|---|\n";
  const std::string ranges = range_path.empty() ? std::string(path) : std::string(range_path);
  for (const Key<S>& k : keys) {
    std::string meaning(k.doc);
    if (variants && k.used_by != kAnyVariant) meaning += " (" + variants(k.used_by) + " only)";
    out += "| `" + std::string(k.name) + "` | " + std::string(k.expected) + " | " + default_of(k) + " | " +
           list_or_key_range(ranges + std::string(k.name)) + " | " + meaning + " |\n";
  }
  return out + "\n";
}

std::string model_types(unsigned bits) { return type_list<ModelType>(bits); }
std::string slippage_models(unsigned bits) { return type_list<SlippageModel>(bits, "model"); }
std::string funding_variants(unsigned) { return "stochastic: true"; }
std::string book_types(unsigned bits) {
  return bits == kEuropean ? "types call and put" : "types everlasting_call and everlasting_put";
}
std::string risk_measures(unsigned bits) { return "risk " + join_last(names_in<RiskMeasure>(bits), "and"); }

std::string policy_value(const PolicyKey& k) {
  switch (k.kind) {
    case KeyKind::number: return std::string(k.expected);
    case KeyKind::flag: return "true or false";
    case KeyKind::choice: return "one of " + join(k.items);
    case KeyKind::group: return std::string(k.group_expected) + "; each " + std::string(k.expected);
  }
  return "";
}

std::string policy_default(const PolicyKey& k) {
  if (k.is_required) return "required";
  switch (k.kind) {
    case KeyKind::flag: return k.default_value != 0.0 ? "true" : "false";
    case KeyKind::choice: return std::string(k.items[static_cast<std::size_t>(k.default_value)]);
    default: return !k.zero_error.empty() && k.default_value == 0.0 ? "none" : format_number(k.default_value);
  }
}

std::string policies() {
  std::string out =
      "## `policies`\n\nA list of 1 to 32 policies. Every policy has `name` (required, unique: 1 to 64 of A-Z a-z "
      "0-9 _ . -, not . or ..; it names the HDF5 group), `type` (required: one of " +
      enum_names<PolicyType>() +
      ") and, for every type that trades, `leland` (true or false, default false: hedge at Leland's "
      "volatility; needs costs.fee_bps > 0). Each type's own keys (an interval in hours must be a whole number of "
      "time steps; each type's rule is in its header in include/hedgesim/hedging/policies/):\n\n| type | key | value | default | meaning |\n|---|---|---|---|---|\n";
  for (const PolicyInfo& info : registered_policies()) {
    if (info.keys.empty()) out += "| `" + std::string(info.name) + "` | | (no keys) | | |\n";
    for (const PolicyKey& k : info.keys) {
      out += "| `" + std::string(info.name) + "` | `" + std::string(k.name) + "` | " + policy_value(k) + " | " +
             policy_default(k) + " | " + std::string(k.meaning) + " |\n";
    }
  }
  return out + "\n";
}

}  // namespace
}  // namespace config

std::string config_reference(std::string_view section) {
  using namespace config;
  const auto all = section.empty() || section == "keys";
  std::string out;
  if (all) {
    out = "# Config keys\n\nGenerated from the key tables (src/config/schema.hpp, the policy headers and "
          "include/hedgesim/config_ranges.hpp) by `hedgesim list keys`; do not edit by hand: the test "
          "config_reference fails when this file and the tables differ. Regenerate with\n"
          "`build/cpu/hedgesim list keys > docs/config.md`.\n\n"
          "A value outside its plausible range is an error naming the key (exit 2). `simulation`, `model` and "
          "`book` are required; `hedge`, `costs`, `policies` and `output` are read by every command and needed "
          "by `run`; `backtest` and `optimise` (docs/backtest.md, docs/optimise.md) by their commands.\n\n";
  }
  if (all || section == "simulation") out += table<SimulationSpec>("simulation", "simulation.", kSimulationKeys);
  if (all || section == "models") out += table<ModelParams>("model", "model.", kModelKeys, model_types);
  if (all || section == "book") out += table<OptionSpec>("book[i]", "book[i].", kOptionKeys, book_types);
  if (all) {
    out += table<HedgeSpec>("hedge", "hedge.", kHedgeKeys);
    out += table<FundingSpec>("hedge.funding", "hedge.funding.", kFundingKeys, funding_variants);
    out += table<HedgeOptionSpec>("hedge.options[i]", "hedge.options[i].", kHedgeOptionKeys);
    out += table<SurfaceSpec>("hedge.surface", "hedge.surface.", kSurfaceKeys);
    out += table<MarginSpec>("hedge.margin", "hedge.margin.", kMarginKeys);
    out += table<OrderFlowSpec>("order_flow", "order_flow.", kOrderFlowKeys);
  }
  if (all || section == "costs") {
    out += table<CostSpec>("costs", "costs.", kCostKeys);
    out += table<GasSpec>("costs.gas", "costs.gas.", kGasKeys);
    out += table<SlippageSpec>("costs.slippage", "costs.slippage.", kSlippageKeys, slippage_models);
    out += table<OptionCostSpec>("costs.options", "costs.options.", kOptionCostKeys);
  }
  if (all || section == "policies") out += policies();
  if (all) {
    out += table<OutputSpec>("output", "output.", kOutputKeys);
    out += table<BacktestSpec>("backtest", "backtest.", kBacktestKeys);
    out += table<OptimiseSpec>("optimise", "optimise.", kOptimiseKeys);
    out += table<OptimiseSpec>("optimise.objective", "optimise.objective.", kObjectiveKeys, risk_measures);
    out += table<OptimiseSpec>("optimise.frontier", "optimise.frontier.", kFrontierKeys);
    out += table<OptimiseSpec>("optimise.search", "optimise.search.", kSearchKeys);
    out += table<OptimiseSpec>("optimise.out_of_sample", "optimise.out_of_sample.", kOutOfSampleKeys);
  }
  if (out.empty()) {
    throw InputError("list: unknown topic '" + std::string(section) + "': expected keys, models, policies or costs");
  }
  return out;
}

}  // namespace hedgesim
