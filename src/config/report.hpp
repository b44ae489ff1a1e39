#pragma once
// The validation stage's messages, "[source: ]key = value[ at line N]: what", and the checks every
// section shares: a key's own rule and plausible range, read from its schema row.
#include <cmath>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "hedgesim/config_ranges.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/format.hpp"
#include "schema.hpp"

namespace hedgesim::config {

/// Where each key path ("simulation.paths", "book[2].strike") was written, for messages.
struct KeyLines {
  std::string source;
  std::map<std::string, int, std::less<>> line;
};

class Reporter {
 public:
  explicit Reporter(const KeyLines* where) : where_(where) {}

  [[noreturn]] void fail(const std::string& key, const std::string& value, const std::string& what) const {
    throw InputError(prefix() + key + " = " + value + at(key) + ": " + what);
  }
  [[noreturn]] void fail(const std::string& key, double value, const std::string& what) const {
    fail(key, format_number(value), what);
  }
  [[noreturn]] void fail_key(const std::string& key, const std::string& what) const {
    throw InputError(prefix() + key + at(key) + ": " + what);
  }
  /// "KEY is required (CONTEXT at line N): WHAT", CONTEXT being the first of `context` whose line is
  /// known (none: no parenthesis).
  [[noreturn]] void fail_missing(const std::string& key, std::initializer_list<std::string> context,
                                 const std::string& what) const;
  [[noreturn]] void fail_message(const std::string& what) const { throw InputError(prefix() + what); }

  /// Whether messages carry lines (parse_config), i.e. whether a key without one was left out.
  bool located() const { return where_ != nullptr; }

  /// " at line N" where `key` was written, or "" (no lines, or a key not written in the YAML).
  std::string at(const std::string& key) const;

 private:
  std::string prefix() const { return where_ && !where_->source.empty() ? where_->source + ": " : ""; }
  const KeyLines* where_;
};

void require_finite(const Reporter& r, const std::string& key, double x);
void require_positive(const Reporter& r, const std::string& key, double x);

/// "KEY = 0 at line N", or "KEY = 0 (not given)" when the config leaves it out ("KEY = 0" when the
/// spec has no lines: validate() after overrides).
std::string value_text(const Reporter& r, const std::string& key, double value);

/// The plausible range of `range_key` in kKeyRanges, reported under key path `key` ("book[2].strike"
/// for "book[i].strike"): "must be in (0, 1000] per year (REASON)". Run after the key's own rules, so
/// that their messages win where both apply.
void require_plausible(const Reporter& r, const std::string& key, std::string_view range_key, double x,
                       double spot = 1.0);

/// "(0, 1000] per year" (`spot`: the reference of bounds that are multiples of model.spot; 0: none).
std::string range_text(const KeyRange& k, double spot);

/// The entry of kKeyRanges for `range_key`, or nullptr.
const KeyRange* find_range(std::string_view range_key);

/// One number's own rule (Rule) under key path `key`.
void check_rule(const Reporter& r, const std::string& key, Rule rule, std::string_view rule_text,
                std::string_view range_key, double x);

template <class S>
void check_rules(const Reporter& r, std::span<const Key<S>> keys, const S& s, const std::string& path,
                 unsigned variant = kAnyVariant) {
  for (const Key<S>& k : keys) {
    const auto* field = std::get_if<double S::*>(&k.field);
    if (!field || !(k.used_by & variant)) continue;
    check_rule(r, path + std::string(k.name), k.rule, k.rule_text, path + std::string(k.name), s.**field);
  }
}

template <class S>
void check_ranges(const Reporter& r, std::span<const Key<S>> keys, const S& s, const std::string& path,
                  unsigned variant = kAnyVariant, std::string_view range_path = {}, double spot = 1.0) {
  const std::string ranges = range_path.empty() ? path : std::string(range_path);
  for (const Key<S>& k : keys) {
    const auto* field = std::get_if<double S::*>(&k.field);
    if (!field || !(k.used_by & variant) || k.late_range) continue;
    const double x = s.**field;
    if (!k.written_positive.empty() && x == 0.0) continue;
    const std::string range_key = ranges + std::string(k.name);
    if (find_range(range_key)) require_plausible(r, path + std::string(k.name), range_key, x, spot);
  }
}

/// Numbers' own rules (Rule), then their plausible ranges, of the keys of `keys` that `variant`
/// uses, in table order: `path` prefixes the key in messages ("model."), `range_path` finds its
/// range ("book[i]."). A key whose 0 means "left out" is not range-checked at 0.
template <class S>
void check_keys(const Reporter& r, std::span<const Key<S>> keys, const S& s, const std::string& path,
                unsigned variant = kAnyVariant, std::string_view range_path = {}, double spot = 1.0) {
  check_rules(r, keys, s, path, variant);
  check_ranges(r, keys, s, path, variant, range_path, spot);
}

}  // namespace hedgesim::config
