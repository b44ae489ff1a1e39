// model: — keys of kModelKeys (schema.hpp); model.type selects which of them apply.
#include "parser.hpp"

namespace hedgesim::config {

void Parser::parse_model(const Entry& section, ModelParams& m) {
  const std::span<const Key<ModelParams>> keys = kModelKeys;
  const std::vector<Entry> es = map_entries(section, "model", keys, "a map of model keys (type, spot, ...)");
  const Entry* type_entry = find(es, "type");
  if (!type_entry) {
    fail("model.type is required (section at line " + std::to_string(section.line) + "): one of " +
         join(names_of<ModelType>()));
  }
  m.type = enumeration<ModelType>("model.type", *type_entry);
  const unsigned mine = bit(m.type);
  const auto given = read(es, "model", keys, m, [&](const Key<ModelParams>& k, const Entry& e) {
    if (!(k.used_by & mine)) {
      fail("model." + e.key + " at line " + std::to_string(e.line) + " is used only by " +
           type_list<ModelType>(k.used_by) + ", not by type " + to_string(m.type) + ": remove it or change model.type");
    }
    return false;
  });
  if (const Key<ModelParams>* k = missing(keys, given, mine)) {
    fail("model." + std::string(k->name) + " is required for type " + to_string(m.type) + " (section at line " +
         std::to_string(section.line) + ")");
  }
}

void validate_model(const Reporter& r, const ModelParams& m) {
  const unsigned mine = bit(m.type);
  // Each run of rows the same model types use (all, gbm, the Heston family, jumps, svcj): their own
  // rules, then their plausible ranges.
  for (std::span<const Key<ModelParams>> keys = kModelKeys; !keys.empty();) {
    std::size_t n = 1;
    while (n < keys.size() && keys[n].used_by == keys[0].used_by) ++n;
    const auto group = keys.first(n);
    keys = keys.subspan(n);
    if (!(group[0].used_by & mine)) continue;
    check_rules(r, group, m, "model.", mine);
    // E[exp(ρ_J·Z)] for Z ~ Exp(mean μ_v) is 1/(1 − ρ_J·μ_v): the jump compensator needs ρ_J·μ_v < 1.
    if (group[0].used_by == bit(ModelType::svcj) && !(m.jump_rho * m.var_jump_mean < 1.0)) {
      r.fail("model.jump_rho", m.jump_rho,
             "jump_rho x var_jump_mean = " + format_number(m.jump_rho) + " x " + format_number(m.var_jump_mean) +
                 " = " + format_derived(m.jump_rho * m.var_jump_mean) +
                 " must be < 1 (else the expected price jump e^J is infinite)");
    }
    // model.jump_intensity's range: in validate_grid, after the per-step rule and its advice.
    check_ranges(r, group, m, "model.", mine);
  }
}

}  // namespace hedgesim::config
