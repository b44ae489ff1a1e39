#include "report.hpp"

namespace hedgesim::config {

void Reporter::fail_missing(const std::string& key, std::initializer_list<std::string> context,
                            const std::string& what) const {
  std::string where;
  for (const std::string& c : context) {
    if (const std::string a = at(c); !a.empty()) {
      where = " (" + c + a + ")";
      break;
    }
  }
  throw InputError(prefix() + key + " is required" + where + ": " + what);
}

std::string Reporter::at(const std::string& key) const {
  if (!where_) return "";
  const auto it = where_->line.find(key);
  return it == where_->line.end() ? "" : " at line " + std::to_string(it->second);
}

void require_finite(const Reporter& r, const std::string& key, double x) {
  if (!std::isfinite(x)) r.fail(key, x, "must be a finite number");
}
void require_positive(const Reporter& r, const std::string& key, double x) {
  if (!std::isfinite(x) || !(x > 0.0)) r.fail(key, x, "must be > 0");
}

std::string value_text(const Reporter& r, const std::string& key, double value) {
  const std::string at = r.at(key);
  return key + " = " + format_number(value) + (at.empty() && r.located() ? " (not given)" : at);
}

const KeyRange* find_range(std::string_view range_key) {
  for (const KeyRange& k : kKeyRanges) {
    if (k.key == range_key) return &k;
  }
  return nullptr;
}

std::string range_text(const KeyRange& k, double spot) {
  const auto interval = [&](double lo, double hi) {
    return (k.lo_open ? "(" : "[") + format_number(lo) + ", " + format_number(hi) + (k.hi_open ? ")" : "]");
  };
  std::string out = interval(k.lo, k.hi);
  if (!k.unit.empty()) out += " " + std::string(k.unit);
  if (k.times_spot && spot != 0.0) out += " = " + interval(k.lo * spot, k.hi * spot);
  return out;
}

void require_plausible(const Reporter& r, const std::string& key, std::string_view range_key, double x, double spot) {
  const KeyRange& k = *find_range(range_key);
  const double scale = k.times_spot ? spot : 1.0;
  if (!((k.lo_open ? x > k.lo * scale : x >= k.lo * scale) && (k.hi_open ? x < k.hi * scale : x <= k.hi * scale))) {
    r.fail(key, x, "must be in " + range_text(k, spot) + " (" + std::string(k.reason) + ")");
  }
}

void check_rule(const Reporter& r, const std::string& key, Rule rule, std::string_view rule_text,
                std::string_view range_key, double x) {
  bool ok = true;
  std::string_view must;
  switch (rule) {
    case Rule::none: return;
    case Rule::finite: ok = std::isfinite(x), must = "must be a finite number"; break;
    case Rule::positive: ok = std::isfinite(x) && x > 0.0, must = "must be > 0"; break;
    case Rule::non_negative: ok = std::isfinite(x) && x >= 0.0, must = "must be >= 0"; break;
    case Rule::non_zero: ok = std::isfinite(x) && x != 0.0, must = "must be a non-zero finite number"; break;
    case Rule::in_range: ok = std::isfinite(x) && find_range(range_key)->contains(x); break;
  }
  if (!ok) r.fail(key, x, std::string(rule_text.empty() ? must : rule_text));
}

}  // namespace hedgesim::config
