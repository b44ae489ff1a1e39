// The parser's core: the document, its sections, and values read by type. The sections' own code is
// in their files (simulation.cpp, model.cpp, ...).
#include "parser.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "hedgesim/backtest/utc_time.hpp"
#include "hedgesim/io/yaml_load.hpp"

namespace hedgesim::config {
namespace {

constexpr std::string_view kSections[] = {"simulation", "model",  "book",     "hedge",   "order_flow",
                                          "costs",      "policies", "output", "backtest", "optimise"};
constexpr std::string_view kRequiredSections[] = {"simulation", "model", "book"};

/// The key path and line of the first quoted value in `n` whose closing quote is not on its own line.
/// No key takes text over several lines, and a quote left open swallows every line up to the next
/// quote character (or the end of the file) into one value, which made the config's last sections
/// look missing ("section 'book' is required").
std::optional<std::pair<std::string, int>> open_quote(const YAML::Node& n, const std::string& text,
                                                      const std::string& path) {
  if (n.IsScalar()) {
    if (n.Tag() != "!" || n.Mark().is_null()) return std::nullopt;
    const std::size_t pos = static_cast<std::size_t>(n.Mark().pos);
    if (pos >= text.size() || (text[pos] != '"' && text[pos] != '\'')) return std::nullopt;
    const char q = text[pos];
    for (std::size_t i = pos + 1; i < text.size() && text[i] != '\n'; ++i) {
      if (q == '"' && text[i] == '\\') {
        ++i;  // an escaped character, \" included
      } else if (text[i] == q) {
        if (q == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
          ++i;  // '' is a quote inside single quotes
        } else {
          return std::nullopt;
        }
      }
    }
    return std::make_pair(path, line_of(n));
  }
  if (n.IsMap()) {
    for (const auto& kv : n) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (auto hit = open_quote(kv.second, text, path.empty() ? key : path + "." + key)) return hit;
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i)
      if (auto hit = open_quote(n[i], text, path + "[" + std::to_string(i) + "]")) return hit;
  }
  return std::nullopt;
}

}  // namespace

int line_of(const YAML::Node& n) { return n.Mark().is_null() ? 0 : n.Mark().line + 1; }

const char* kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Null: return "empty";
    default: return "a scalar";
  }
}

RunSpec Parser::parse(const std::string& text) {
  std::vector<YAML::Node> docs;
  try {
    docs = load_all_documents(text);
  } catch (const YAML::ParserException& e) {
    throw InputError(prefix() + "YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
                     std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const YAML::Exception& e) {
    throw InputError(prefix() + "cannot read the YAML: " + e.what());
  }
  if (docs.empty() || docs.front().IsNull()) {
    fail("the config is empty: expected the sections " + join(kRequiredSections) +
         " (and optionally hedge, costs, policies, output)");
  }
  if (docs.size() > 1) {
    fail("the config holds " + std::to_string(docs.size()) + " YAML documents (the second starts at line " +
         std::to_string(line_of(docs[1])) + "): expected one");
  }
  const YAML::Node& root = docs.front();
  if (!root.IsMap()) {
    fail("the config at line " + std::to_string(line_of(root)) + " is " + kind_of(root) +
         ": expected a map with the sections " + join(kSections));
  }
  if (const auto hit = open_quote(root, text, "")) {
    fail(hit->first + " at line " + std::to_string(hit->second) +
         ": its quoted value does not end on that line: is the closing quote missing? (an open "
         "quote takes every following line into the value)");
  }

  return parse_root(root, text);
}

RunSpec Parser::parse_root(const YAML::Node& root, const std::string& config_text) {
  RunSpec spec;
  spec.config_text = config_text;
  spec.config_path = where_.source;
  std::map<std::string, Entry, std::less<>> sections;
  for (Entry& e : entries(root, "", kSections)) sections.emplace(e.key, std::move(e));
  for (std::string_view name : kRequiredSections) {
    if (!sections.contains(name)) fail("section '" + std::string(name) + "' is required");
  }
  parse_simulation(sections.at("simulation"), spec.simulation);
  parse_model(sections.at("model"), spec.model);
  parse_book(sections.at("book"), spec.book);
  if (const auto it = sections.find("hedge"); it != sections.end()) parse_hedge(it->second, spec.hedge);
  if (const auto it = sections.find("order_flow"); it != sections.end()) parse_order_flow(it->second, spec.order_flow);
  if (const auto it = sections.find("costs"); it != sections.end()) parse_costs(it->second, spec.costs);
  if (const auto it = sections.find("policies"); it != sections.end()) parse_policies(it->second, spec.policies);
  if (const auto it = sections.find("output"); it != sections.end()) parse_output(it->second, spec.output);
  if (const auto it = sections.find("backtest"); it != sections.end()) parse_backtest(it->second, spec.backtest);
  if (const auto it = sections.find("optimise"); it != sections.end()) parse_optimise(it->second, spec);
  validate_with(spec, &where_);
  return spec;
}

void Parser::fail(const std::string& msg) const { throw InputError(prefix() + msg); }

void Parser::type_error(const std::string& key, const Entry& e, const std::string& expected) const {
  const std::string at = " at line " + std::to_string(e.line);
  if (!e.value.IsScalar()) fail(key + at + " is " + kind_of(e.value) + ": expected " + expected);
  fail(key + " = '" + e.value.Scalar() + "'" + at + ": expected " + expected);
}

void Parser::not_used(const std::string& key, const Entry& e, const std::string& what) const {
  fail(key + " at line " + std::to_string(e.line) + " " + what);
}

std::vector<Entry> Parser::entries(const YAML::Node& node, const std::string& path,
                                   std::span<const std::string_view> valid) {
  std::vector<Entry> out;
  std::map<std::string, int> seen;
  const std::string dot = path.empty() ? "" : path + ".";
  for (const auto& pair : node) {
    // Copies: yaml-cpp's iterator hands out proxies that do not outlive the expression.
    const YAML::Node k = pair.first;
    const int key_line = line_of(k);
    if (!k.IsScalar()) {
      fail((path.empty() ? std::string("the config") : path) + " has a key at line " + std::to_string(key_line) +
           " that is " + kind_of(k) + ": expected a plain name");
    }
    const std::string& name = k.Scalar();
    const std::string full = dot + name;
    if (std::find(valid.begin(), valid.end(), name) == valid.end()) {
      const std::string what = path.empty() ? "section '" : "key '";
      std::string msg = "unknown " + what + full + "' at line " + std::to_string(key_line);
      if (const auto hint = nearest(name, valid)) {
        msg += "; did you mean '" + std::string(*hint) + "'?";
      } else {
        msg += path.empty() ? "; valid sections: " : "; valid keys: ";
        msg += join(valid);
      }
      fail(msg);
    }
    if (const auto [first, inserted] = seen.emplace(name, key_line); !inserted) {
      fail("duplicate key '" + full + "' at line " + std::to_string(key_line) + " (first given at line " +
           std::to_string(first->second) + ")");
    }
    // A key with no value has a null node marked at the next token, so point at the key instead.
    const YAML::Node v = pair.second;
    const int line = v.IsNull() || v.Mark().is_null() ? key_line : line_of(v);
    where_.line[full] = line;
    out.push_back(Entry{name, v, line});
  }
  return out;
}

std::vector<Entry> Parser::map_entries(const Entry& e, const std::string& path, std::span<const std::string_view> valid,
                                       const std::string& expected) {
  if (!e.value.IsMap()) {
    fail(path + " at line " + std::to_string(e.line) + " is " + kind_of(e.value) + ": expected " + expected);
  }
  return entries(e.value, path, valid);
}

double Parser::number(const std::string& key, const Entry& e, const std::string& expected, bool allow_infinity) const {
  if (!e.value.IsScalar()) type_error(key, e, expected);
  if (e.value.Tag() == "!") {
    type_error(key, e, expected + " (the value is quoted, so YAML reads it as text; remove the quotes)");
  }
  std::string_view t = e.value.Scalar();
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (allow_infinity && lower(t) == ".inf") return std::numeric_limits<double>::infinity();
  double x = 0.0;
  switch (parse_double(e.value.Scalar(), x)) {
    case ScalarStatus::ok: return x;
    case ScalarStatus::not_finite: type_error(key, e, expected + "; the value is not finite");
    case ScalarStatus::out_of_range: type_error(key, e, expected + "; the value is out of a double's range");
    case ScalarStatus::not_a_number: break;
  }
  type_error(key, e, expected);
}

std::uint64_t Parser::integer(const std::string& key, const Entry& e, const std::string& expected,
                              std::uint64_t max) const {
  if (!e.value.IsScalar()) type_error(key, e, expected);
  if (e.value.Tag() == "!") {
    type_error(key, e, expected + " (the value is quoted, so YAML reads it as text; remove the quotes)");
  }
  std::uint64_t x = 0;
  if (parse_uint64(e.value.Scalar(), x) != ScalarStatus::ok || x > max) type_error(key, e, expected);
  return x;
}

/// YAML 1.2 booleans: true/false, True/False, TRUE/FALSE. yes/no/on/off are text in YAML 1.2, and
/// yaml-cpp's YAML 1.1 reading of them would be a surprise, so they are rejected.
bool Parser::boolean(const std::string& key, const Entry& e) const {
  const std::string expected = "true or false";
  if (!e.value.IsScalar()) type_error(key, e, expected);
  if (e.value.Tag() == "!") {
    type_error(key, e, expected + " (the value is quoted, so YAML reads it as text; remove the quotes)");
  }
  const std::string& t = e.value.Scalar();
  if (t == "true" || t == "True" || t == "TRUE") return true;
  if (t == "false" || t == "False" || t == "FALSE") return false;
  type_error(key, e, expected);
}

/// A plain or quoted string (not a list, map or empty value).
std::string Parser::text(const std::string& key, const Entry& e, const std::string& expected) const {
  if (!e.value.IsScalar()) type_error(key, e, expected);
  return e.value.Scalar();
}

/// A UTC time: an ISO date or date-time with Z or an offset (a naive time is taken as UTC only when
/// it is a bare date).
std::int64_t Parser::utc_time(const std::string& key, const Entry& e) const {
  const std::string expected(kUtcExpected);
  if (!e.value.IsScalar()) type_error(key, e, expected);
  const auto t = parse_utc_time(e.value.Scalar());
  if (!t) type_error(key, e, expected);
  const bool bare_date = e.value.Scalar().size() == 10;
  if (t->naive && !bare_date) type_error(key, e, expected + " (a time of day needs Z or an offset such as +00:00)");
  return t->seconds;
}

double Parser::choice(const std::string& key, const Entry& e, std::span<const std::string_view> names) const {
  if (!e.value.IsScalar()) type_error(key, e, "one of " + join(names));
  const auto it = std::find(names.begin(), names.end(), e.value.Scalar());
  if (it != names.end()) return static_cast<double>(it - names.begin());
  std::string expected = "one of " + join(names);
  if (const auto hint = nearest(e.value.Scalar(), names)) expected += "; did you mean '" + std::string(*hint) + "'?";
  type_error(key, e, expected);
}

void Parser::policy_value(const std::string& key, const Entry& e, const PolicyKey& k, PolicySpec& p) {
  const std::string name(k.name);
  switch (k.kind) {
    case KeyKind::number: {
      const double x = number(key, e, std::string(k.expected), k.allow_infinity);
      // 0 means "left out" for such keys; written out it is a mistake, not that default.
      if (!k.zero_error.empty() && x == 0.0) {
        fail(key + " = " + e.value.Scalar() + " at line " + std::to_string(e.line) + ": " + std::string(k.zero_error));
      }
      p.values[name] = x;
      break;
    }
    case KeyKind::flag: p.values[name] = boolean(key, e) ? 1.0 : 0.0; break;
    case KeyKind::choice: p.values[name] = choice(key, e, k.items); break;
    case KeyKind::group:
      for (const Entry& item : map_entries(e, key, k.items, std::string(k.group_expected))) {
        p.values[name + "." + item.key] = number(key + "." + item.key, item, std::string(k.expected));
      }
      break;
  }
}

std::vector<double> Parser::number_list(const std::string& key, const Entry& e, const std::string& expected,
                                        bool (*ok)(double)) {
  if (!e.value.IsSequence() || e.value.size() == 0) type_error(key, e, "a non-empty list of " + expected);
  std::vector<double> out;
  std::size_t i = 0;
  for (const YAML::Node& item : e.value) {
    const std::string k = key + "[" + std::to_string(i++) + "]";
    const Entry element{k, item, line_of(item)};
    const double x = number(k, element, expected);
    if (!ok(x)) fail(k + " = " + item.Scalar() + " at line " + std::to_string(element.line) + ": expected " + expected);
    out.push_back(x);
  }
  return out;
}

const Entry* Parser::find(const std::vector<Entry>& es, std::string_view name) {
  const auto it = std::find_if(es.begin(), es.end(), [&](const Entry& e) { return e.key == name; });
  return it == es.end() ? nullptr : &*it;
}

}  // namespace hedgesim::config
