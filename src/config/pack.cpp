// A risk pack's file, its scenarios' changes to each book's YAML document, and the validation of every
// task through the config's own parser (config/pack.hpp). The changes are made to the document, not to
// the RunSpec, so a shocked config meets exactly the rules, defaults and messages of a config file.
#include "hedgesim/config/pack.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "hedgesim/errors.hpp"
#include "hedgesim/io/input_file.hpp"
#include "hedgesim/io/yaml_load.hpp"
#include "parser.hpp"
#include "text.hpp"

namespace hedgesim {
namespace {

namespace fs = std::filesystem;
using config::join;
using config::line_of;
using config::nearest;

constexpr std::string_view kPackKeys[] = {"output_dir", "seeds", "overrides", "books", "scenarios"};
constexpr std::string_view kBookKeys[] = {"name", "config"};
constexpr std::string_view kScenarioKeys[] = {"name", "shocks", "books"};
constexpr std::string_view kShockForms[] = {"scale", "add", "set"};
constexpr std::string_view kSeedModes[] = {"common", "distinct"};

/// A name that is safe as part of a file name on every file system and in a CSV field unquoted.
bool valid_name(std::string_view s) {
  return !s.empty() && s.size() <= 100 && s.front() != '.' && s.front() != '-' &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; });
}

/// One step of a dotted key: `name`, `name[3]` or `name[*]`.
struct Segment {
  std::string name;
  enum { none, one, all } index = none;
  std::size_t at = 0;
};

/// One change a scenario (or the pack's overrides) makes to a book's document.
struct Change {
  std::string key;  ///< as written: "model.spot"
  std::vector<Segment> path;
  enum Kind { set, scale, add } kind = set;
  double amount = 0;  ///< scale: the factor; add: the term
  YAML::Node value;   ///< set: the pack's own node (its line is the pack's)
  int line = 0;
};

struct Scenario {
  std::string name;
  int line = 0;
  std::vector<Change> changes;
  std::vector<std::string> books;  ///< empty: every book
};

struct Book {
  std::string name, config;  ///< config: the path as resolved against the pack's folder
  int line = 0;
};

/// What the pack file says, before any book is read.
struct PackFile {
  std::optional<std::string> out_dir;
  bool distinct_seeds = false;
  std::vector<Change> overrides;
  std::vector<Book> books;
  std::vector<Scenario> scenarios;
};

class PackReader {
 public:
  PackReader(std::string source, const PackFlags& flags) : source_(std::move(source)), flags_(flags) {}
  PackPlan read(const std::string& text);

 private:
  /// The pack's document, loaded afresh: each task edits its book with nodes of its own copy (a node
  /// set into one book's document is shared with it, and a later change inside it would otherwise
  /// reach the next task).
  YAML::Node load(const std::string& text) const;
  PackFile structure(const YAML::Node& root);

  [[noreturn]] void fail(const std::string& msg) const { throw InputError(source_ + ": " + msg); }
  std::string at(const YAML::Node& n) const { return " at line " + std::to_string(line_of(n)); }

  /// The pairs of map `node` (named `what`), each key one of `valid` (else the nearest is suggested),
  /// none twice.
  std::vector<std::pair<YAML::Node, YAML::Node>> pairs(const YAML::Node& node, const std::string& what,
                                                       std::span<const std::string_view> valid);
  std::string scalar(const YAML::Node& n, const std::string& key, const std::string& expected) const;
  std::string name(const YAML::Node& n, const std::string& key) const;
  std::vector<Segment> key_path(const YAML::Node& key_node, const std::string& where) const;
  Change change(const YAML::Node& key, const YAML::Node& value, const std::string& where) const;
  std::vector<Change> changes(const YAML::Node& map, const std::string& where, bool relative_allowed);

  std::string source_;
  const PackFlags& flags_;
};

std::vector<std::pair<YAML::Node, YAML::Node>> PackReader::pairs(const YAML::Node& node, const std::string& what,
                                                                 std::span<const std::string_view> valid) {
  if (!node.IsMap()) fail(what + at(node) + " is " + config::kind_of(node) + ": expected a map");
  std::vector<std::pair<YAML::Node, YAML::Node>> out;
  std::map<std::string, int> seen;
  for (const auto& kv : node) {
    const YAML::Node k = kv.first, v = kv.second;
    if (!k.IsScalar()) fail(what + " has a key" + at(k) + " that is " + config::kind_of(k) + ": expected a name");
    if (!valid.empty() && std::find(valid.begin(), valid.end(), k.Scalar()) == valid.end()) {
      const auto hint = nearest(k.Scalar(), valid);
      fail(fmt::format("unknown key '{}' in {}{}; {}", k.Scalar(), what, at(k),
                       hint ? fmt::format("did you mean '{}'?", *hint) : "valid keys: " + join(valid)));
    }
    if (const auto [first, inserted] = seen.emplace(k.Scalar(), line_of(k)); !inserted) {
      fail(fmt::format("duplicate key '{}' in {}{} (first given at line {})", k.Scalar(), what, at(k), first->second));
    }
    out.emplace_back(k, v);
  }
  return out;
}

std::string PackReader::scalar(const YAML::Node& n, const std::string& key, const std::string& expected) const {
  if (!n.IsScalar()) fail(key + at(n) + " is " + config::kind_of(n) + ": expected " + expected);
  return n.Scalar();
}

std::string PackReader::name(const YAML::Node& n, const std::string& key) const {
  const std::string s = scalar(n, key, "a name");
  if (!valid_name(s)) {
    fail(fmt::format("{} = '{}'{}: expected a name of letters, digits, '_', '.' and '-' (at most 100, not "
                     "starting with '.' or '-'): it names the results file",
                     key, s, at(n)));
  }
  return s;
}

std::vector<Segment> PackReader::key_path(const YAML::Node& key_node, const std::string& where) const {
  const std::string key = key_node.Scalar();
  std::vector<Segment> path;
  std::size_t start = 0;
  const auto bad = [&](const std::string& why) {
    fail(fmt::format("{}: key '{}'{}: {}; expected a dotted config key such as model.spot, "
                     "costs.gas.price_gwei, book[0].strike or book[*].quantity",
                     where, key, at(key_node), why));
  };
  while (true) {
    const std::size_t dot = key.find('.', start);
    std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    Segment s;
    if (const std::size_t open = part.find('['); open != std::string::npos) {
      if (part.back() != ']') bad("'[' without a closing ']' at the end of '" + part + "'");
      const std::string inside = part.substr(open + 1, part.size() - open - 2);
      if (inside == "*") {
        s.index = Segment::all;
      } else {
        std::uint64_t i = 0;
        if (config::parse_uint64(inside, i) != config::ScalarStatus::ok || inside.empty() ||
            !std::all_of(inside.begin(), inside.end(), [](char c) { return c >= '0' && c <= '9'; }))
          bad("'[" + inside + "]' is not an index (0, 1, ... or *)");
        s.index = Segment::one;
        s.at = static_cast<std::size_t>(i);
      }
      part.resize(open);
    }
    if (part.empty() || !std::all_of(part.begin(), part.end(), config::is_name_char)) bad("'" + part + "' is not a key name");
    s.name = part;
    path.push_back(s);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return path;
}

Change PackReader::change(const YAML::Node& key, const YAML::Node& value, const std::string& where) const {
  Change c;
  c.key = key.Scalar();
  c.path = key_path(key, where);
  c.line = line_of(key);
  c.value = value;
  // {scale: X}, {add: X} or {set: V}: a map of exactly one of these keys. Any other value, maps
  // included, is set as written.
  if (value.IsMap() && value.size() == 1) {
    const YAML::Node form = value.begin()->first, arg = value.begin()->second;
    const std::string f = form.IsScalar() ? form.Scalar() : "";
    if (f == "set") {
      c.value = arg;
    } else if (f == "scale" || f == "add") {
      c.kind = f == "scale" ? Change::scale : Change::add;
      double x = 0;
      if (!arg.IsScalar() || arg.Tag() == "!" || config::parse_double(arg.Scalar(), x) != config::ScalarStatus::ok) {
        fail(fmt::format("{}: {}: {{{}: {}}}{}: expected a finite number", where, c.key, f,
                         arg.IsScalar() ? arg.Scalar() : config::kind_of(arg), at(arg)));
      }
      c.amount = x;
    } else if (const auto hint = nearest(f, kShockForms); hint && !f.empty()) {
      fail(fmt::format("{}: {}: {{{}: ...}}{}: did you mean '{}'? (a change is VALUE, {{set: VALUE}}, "
                       "{{scale: FACTOR}} or {{add: TERM}})",
                       where, c.key, f, at(form), *hint));
    }
  }
  return c;
}

std::vector<Change> PackReader::changes(const YAML::Node& map, const std::string& where, bool relative_allowed) {
  std::vector<Change> out;
  for (const auto& [k, v] : pairs(map, where, {})) {
    out.push_back(change(k, v, where));
    if (!relative_allowed && out.back().kind != Change::set) {
      fail(fmt::format("{}: {}{}: overrides set values (scale and add belong to scenarios)", where, k.Scalar(), at(k)));
    }
  }
  return out;
}

/// A scalar node whose mark is `line` (1-based), so the config parser's messages about a value the
/// pack computed (a scale or add) point at the pack's line that asked for it. yaml-cpp has no public
/// way to set a mark; a document of line - 1 empty lines and then the scalar has it.
YAML::Node scalar_at(const std::string& text, int line) {
  return YAML::Load(std::string(static_cast<std::size_t>(std::max(line, 1) - 1), '\n') + text);
}

/// Changes one book's document. Errors name the change's key and book; the caller adds where.
class Shocker {
 public:
  Shocker(std::string context, std::string book, std::string config)
      : context_(std::move(context)), book_(std::move(book)), config_(std::move(config)) {}

  void apply(YAML::Node root, const Change& c) const { walk(root, c, 0, ""); }

 private:
  [[noreturn]] void fail(const Change& c, const std::string& why) const {
    throw InputError(fmt::format("{}: {} (line {}): {}", context_, c.key, c.line, why));
  }

  void walk(YAML::Node node, const Change& c, std::size_t i, const std::string& done) const {
    const Segment& s = c.path[i];
    const std::string here = done.empty() ? s.name : done + "." + s.name;
    const bool last = i + 1 == c.path.size();
    if (!node.IsMap()) fail(c, fmt::format("'{}' of book '{}' ({}) is {}, not a map of keys", done, book_, config_, config::kind_of(node)));
    const YAML::Node& read = node;  // const: a lookup that must not create the key
    const YAML::Node existing = read[s.name];
    if (s.index != Segment::none) {
      if (!existing.IsDefined() || !existing.IsSequence())
        fail(c, fmt::format("'{}' of book '{}' ({}) is {}: expected a list to index", here, book_, config_,
                            existing.IsDefined() ? config::kind_of(existing) : "not given"));
      if (s.index == Segment::one && s.at >= existing.size())
        fail(c, fmt::format("'{}' of book '{}' ({}) has {} element(s): index {} is past its end", here, book_, config_,
                            existing.size(), s.at));
      YAML::Node list = node[s.name];
      for (std::size_t k = 0; k < list.size(); ++k) {
        if (s.index == Segment::one && k != s.at) continue;
        const std::string element = fmt::format("{}[{}]", here, k);
        if (last) {
          YAML::Node target = list[k];
          assign(target, c, element);
        } else {
          walk(list[k], c, i + 1, element);
        }
      }
      return;
    }
    if (!existing.IsDefined()) {
      if (c.kind != Change::set) {
        std::vector<std::string> names;
        for (const auto& kv : read) names.push_back(kv.first.Scalar());
        const std::vector<std::string_view> views(names.begin(), names.end());
        const auto hint = nearest(s.name, views);
        fail(c, fmt::format("'{}' is not given in book '{}' ({}), so there is nothing to {}{}; write it there, or "
                            "set the shocked value ({}: VALUE)",
                            here, book_, config_, c.kind == Change::scale ? "scale" : "add to",
                            hint ? fmt::format(" (did you mean '{}'?)", *hint) : "", c.key));
      }
      // A new key: its key node carries the pack's line, so the parser's "unknown key ... did you
      // mean" (a misspelt key) points there.
      YAML::Node created = last ? c.value : YAML::Node(YAML::NodeType::Map);
      node[scalar_at(s.name, c.line)] = created;
      if (!last) walk(created, c, i + 1, here);
      return;
    }
    YAML::Node child = node[s.name];
    if (last) {
      assign(child, c, here);
    } else {
      walk(child, c, i + 1, here);
    }
  }

  /// Sets `target` by `c`. Nodes are always assigned whole (Node = Node shares the node; assigning a
  /// plain value would write through into a node the pack or another book shares).
  void assign(YAML::Node& target, const Change& c, const std::string& key) const {
    if (c.kind == Change::set) {
      target = c.value;
      return;
    }
    const char* verb = c.kind == Change::scale ? "scale" : "add to";
    double x = 0;
    if (!target.IsScalar() || target.Tag() == "!" || config::parse_double(target.Scalar(), x) != config::ScalarStatus::ok) {
      fail(c, fmt::format("cannot {} {} = {} of book '{}' ({}): not a number", verb, key,
                          target.IsScalar() ? "'" + target.Scalar() + "'" : std::string(config::kind_of(target)), book_,
                          config_));
    }
    const double y = c.kind == Change::scale ? x * c.amount : x + c.amount;
    // Shortest exact text: the config parser reads back exactly y.
    target = scalar_at(fmt::format("{}", y), c.line);
  }

  std::string context_, book_, config_;
};

/// Sets section.key (the section exists: the parser requires it) to plain text, for the command's flags.
void set_flag(YAML::Node root, const char* section, const char* key, const std::string& text) {
  YAML::Node s = root[section];
  s[key] = YAML::Node(text);
}

YAML::Node PackReader::load(const std::string& text) const {
  std::vector<YAML::Node> docs;
  try {
    docs = load_all_documents(text);
  } catch (const YAML::ParserException& e) {
    fail(fmt::format("YAML syntax error at line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1, e.msg));
  } catch (const YAML::Exception& e) {
    fail(std::string("cannot read the YAML: ") + e.what());
  }
  if (docs.empty() || docs.front().IsNull()) fail("the pack is empty: expected books: and scenarios:");
  if (docs.size() > 1) fail(fmt::format("the pack holds {} YAML documents: expected one", docs.size()));
  return docs.front();
}

PackFile PackReader::structure(const YAML::Node& root) {
  const fs::path pack_dir = fs::path(source_).parent_path();
  const auto resolve = [&](const std::string& p) { return fs::path(p).is_absolute() ? p : (pack_dir / p).lexically_normal().string(); };
  PackFile pf;
  std::vector<Change>& overrides = pf.overrides;
  std::vector<Book>& books = pf.books;
  std::vector<Scenario>& scenarios = pf.scenarios;
  for (const auto& [k, v] : pairs(root, "the pack", kPackKeys)) {
    const std::string key = k.Scalar();
    if (key == "output_dir") {
      const std::string d = scalar(v, key, "a folder (relative to the pack file)");
      if (d.empty()) fail("output_dir" + at(v) + " is empty: expected a folder");
      pf.out_dir = resolve(d);
    } else if (key == "seeds") {
      const std::string m = scalar(v, key, "common or distinct");
      if (std::find(std::begin(kSeedModes), std::end(kSeedModes), m) == std::end(kSeedModes))
        fail(fmt::format("seeds = '{}'{}: expected common (every scenario of a book on the book's seed: common "
                         "random numbers) or distinct (the seed plus the scenario's position)",
                         m, at(v)));
      pf.distinct_seeds = m == "distinct";
    } else if (key == "overrides") {
      overrides = changes(v, "overrides", false);
    } else if (key == "books") {
      if (!v.IsSequence() || v.size() == 0) fail("books" + at(v) + ": expected a non-empty list of {name, config}");
      std::size_t i = 0;
      for (const YAML::Node& b : v) {
        const std::string where = fmt::format("books[{}]", i++);
        Book book;
        book.line = line_of(b);
        if (b.IsScalar()) {
          book.config = b.Scalar();
        } else {
          for (const auto& [bk, bv] : pairs(b, where, kBookKeys)) {
            if (bk.Scalar() == "name") book.name = name(bv, where + ".name");
            else book.config = scalar(bv, where + ".config", "the path of a run config");
          }
        }
        if (book.config.empty()) fail(where + at(b) + ": config is required (the path of a run config, relative to the pack)");
        if (book.name.empty()) {
          book.name = fs::path(book.config).stem().string();
          if (!valid_name(book.name)) fail(where + at(b) + ": the config's file name '" + book.name + "' is no name: give name:");
        }
        book.config = resolve(book.config);
        for (const Book& other : books)
          if (other.name == book.name)
            fail(fmt::format("{}{}: book name '{}' is given twice (first at line {})", where, at(b), book.name, other.line));
        books.push_back(book);
      }
    } else if (key == "scenarios") {
      if (!v.IsSequence() || v.size() == 0) fail("scenarios" + at(v) + ": expected a non-empty list of {name, shocks}");
      std::size_t i = 0;
      for (const YAML::Node& s : v) {
        const std::string where = fmt::format("scenarios[{}]", i++);
        Scenario sc;
        sc.line = line_of(s);
        std::optional<YAML::Node> shocks, only;
        for (const auto& [sk, sv] : pairs(s, where, kScenarioKeys)) {
          if (sk.Scalar() == "name") sc.name = name(sv, where + ".name");
          else if (sk.Scalar() == "shocks") shocks = sv;
          else only = sv;
        }
        if (sc.name.empty()) fail(where + at(s) + ": name is required");
        for (const Scenario& other : scenarios)
          if (other.name == sc.name)
            fail(fmt::format("{}{}: scenario name '{}' is given twice (first at line {})", where, at(s), sc.name, other.line));
        const std::string label = fmt::format("scenario '{}'", sc.name);
        if (shocks && !shocks->IsNull()) sc.changes = changes(*shocks, label + " shocks", true);
        if (only) {
          if (!only->IsSequence() || only->size() == 0) fail(where + ".books" + at(*only) + ": expected a non-empty list of book names");
          for (const YAML::Node& n : *only) sc.books.push_back(scalar(n, where + ".books", "a book name"));
        }
        scenarios.push_back(std::move(sc));
      }
    }
  }
  if (books.empty()) fail("books is required: the run configs the scenarios apply to, e.g. books: [{name: btc, config: btc.yaml}]");
  if (scenarios.empty()) scenarios.push_back(Scenario{"base", 0, {}, {}});
  for (const Scenario& sc : scenarios) {
    for (const std::string& b : sc.books) {
      if (std::none_of(books.begin(), books.end(), [&](const Book& x) { return x.name == b; })) {
        std::vector<std::string_view> names;
        for (const Book& x : books) names.push_back(x.name);
        const auto hint = nearest(b, names);
        fail(fmt::format("scenario '{}' (line {}): books names '{}', which is not a book of the pack{}", sc.name,
                         sc.line, b, hint ? fmt::format("; did you mean '{}'?", *hint) : "; books: " + join(names)));
      }
    }
  }
  return pf;
}

PackPlan PackReader::read(const std::string& text) {
  const PackFile pf = structure(load(text));
  const fs::path pack_dir = fs::path(source_).parent_path();
  PackPlan plan;
  plan.pack_path = source_;
  plan.devices = flags_.devices.value_or("");
  plan.out_dir = pf.out_dir.value_or((pack_dir / (fs::path(source_).stem().string() + "_results")).string());
  const std::vector<Book>& books = pf.books;
  const std::vector<Scenario>& scenarios = pf.scenarios;
  if (flags_.out_dir) {
    if (flags_.out_dir->empty()) throw InputError("--out-dir = '': expected the folder of the results");
    plan.out_dir = *flags_.out_dir;
  }
  // The flags: checked by their own rules first, so a bad one is "--paths = ..." as for `run`.
  SimulationSpec scratch;
  apply_overrides(scratch, flags_.simulation);
  if (flags_.backend) parse_enum<BackendKind>(*flags_.backend, "--backend");
  if (flags_.precision) parse_enum<Precision>(*flags_.precision, "--precision");

  for (const Book& book : books) {
    // The book as `hedgesim run` would read it: its own errors are its file's.
    const std::string base_text = read_input_file(book.config, "config file", kConfigFileCap);
    parse_config(base_text, book.config);
    for (std::size_t si = 0; si < scenarios.size(); ++si) {
      const Scenario& sc = scenarios[si];
      if (!sc.books.empty() && std::find(sc.books.begin(), sc.books.end(), book.name) == sc.books.end()) continue;
      const std::string context =
          sc.line > 0 ? fmt::format("{}: scenario '{}' (line {}) on book '{}' ({})", source_, sc.name, sc.line, book.name, book.config)
                      : fmt::format("{}: scenario '{}' on book '{}' ({})", source_, sc.name, book.name, book.config);
      YAML::Node doc = load_all_documents(base_text).front();  // a fresh copy: the changes edit it
      const PackFile own = structure(load(text));
      for (const Change& c : own.overrides) Shocker(fmt::format("{}: overrides on book '{}'", source_, book.name), book.name, book.config).apply(doc, c);
      for (const Change& c : own.scenarios[si].changes) Shocker(context, book.name, book.config).apply(doc, c);
      if (flags_.simulation.paths) set_flag(doc, "simulation", "paths", *flags_.simulation.paths);
      if (flags_.simulation.seed) set_flag(doc, "simulation", "seed", *flags_.simulation.seed);
      if (flags_.backend) set_flag(doc, "simulation", "backend", *flags_.backend);
      if (flags_.precision) set_flag(doc, "simulation", "precision", *flags_.precision);
      if (pf.distinct_seeds) {
        const YAML::Node& sim = doc["simulation"];
        std::uint64_t seed = 0;
        if (sim.IsMap() && sim["seed"].IsDefined() && sim["seed"].IsScalar()) config::parse_uint64(sim["seed"].Scalar(), seed);
        set_flag(doc, "simulation", "seed", std::to_string(seed + si));  // wraps modulo 2^64, as a seed may
      }
      // Where results go is the pack's: a book's output.file would make every task's text differ by
      // folder only, and the hash should not.
      if (YAML::Node out = doc["output"]; out.IsMap() && out["file"].IsDefined()) out.remove("file");
      YAML::Emitter emitter;
      emitter << doc;
      const std::string effective = std::string(emitter.c_str()) + "\n";

      PackTask t;
      t.index = plan.tasks.size();
      t.book = book.name;
      t.scenario = sc.name;
      t.file = book.name + "__" + sc.name + ".h5";
      t.config_hash = config_hash(effective);
      t.spec = config::Parser(context).parse_root(doc, effective);
      t.spec.config_path = book.config;
      // Threads change no result (the CPU backend's bits do not depend on them), so --threads is kept
      // out of the effective config and its hash: an array task and the merge may be given different ones.
      if (flags_.simulation.threads) {
        SimulationOverrides threads;
        threads.threads = flags_.simulation.threads;
        apply_overrides(t.spec.simulation, threads);
      }
      t.spec.output.file = (fs::path(plan.out_dir) / t.file).string();
      try {
        validate_for_run(t.spec);
      } catch (const InputError& e) {
        throw InputError(context + ": " + e.what());
      }
      plan.tasks.push_back(std::move(t));
    }
  }
  if (plan.tasks.empty()) fail("no task: every scenario's books: leaves out every book");
  return plan;
}

}  // namespace

PackPlan parse_pack(const std::string& yaml_text, const std::string& source_name, const PackFlags& flags) {
  return PackReader(source_name, flags).read(yaml_text);
}

PackPlan load_pack(const std::string& path, const PackFlags& flags) {
  return parse_pack(read_input_file(path, "pack file", kConfigFileCap), path, flags);
}

}  // namespace hedgesim
