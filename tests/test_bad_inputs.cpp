// The reliability contract as one tested property (issue 11): every case of tests/bad_inputs/cases.txt
// is a bad input or a runtime failure, run by the built hedgesim in a fresh folder holding a copy of
// tests/bad_inputs (with the case's edit applied). Each case must
//   - exit with its expected code (2 bad input, 3 runtime failure), not be killed by a signal;
//   - name every expected substring on stderr (the key or file:line, and the value);
//   - print no nan or inf on stdout;
//   - leave the folder as it found it: no output file, no temporary file.
// The format of cases.txt is described at its top. A case marked in its `defect` column is a known
// defect: it is still run and still fails the test, with the mark in the report.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace fs = std::filesystem;

namespace {

struct Case {
  int line = 0;  ///< of cases.txt
  std::string name, command, edit, defect;
  int exit = 0;
  std::vector<std::string> expect;
};

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

/// Splits on `sep`, trimming each part.
std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = s.find(sep, start);
    out.push_back(trim(s.substr(start, at == std::string::npos ? std::string::npos : at - start)));
    if (at == std::string::npos) break;
    start = at + sep.size();
  }
  return out;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<Case> load_cases(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  std::vector<Case> cases;
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    const std::string t = trim(raw);
    if (t.empty() || t[0] == '#') continue;
    const std::vector<std::string> f = split(t, " | ");
    if (f.size() < 5 || f.size() > 6)
      throw std::runtime_error(file.string() + " line " + std::to_string(line) + ": expected 5 or 6 columns, got " +
                               std::to_string(f.size()));
    Case c;
    c.line = line;
    c.name = f[0];
    c.exit = std::stoi(f[1]);
    c.command = f[2];
    c.edit = f[3] == "-" ? "" : f[3];
    for (const std::string& e : split(f[4], " && "))
      if (!e.empty()) c.expect.push_back(e);
    if (f.size() == 6) c.defect = f[5];
    cases.push_back(c);
  }
  return cases;
}

// ---- edits -------------------------------------------------------------------------------------------

/// A path such as `book[0].strike` or `optimise.families[1].parameters.width` as steps: a key or an index.
struct Step {
  std::string key;
  long index = -1;
};

std::vector<Step> parse_path(const std::string& path) {
  std::vector<Step> steps;
  for (const std::string& part : split(path, ".")) {
    std::string key = part;
    std::vector<long> indices;
    while (!key.empty() && key.back() == ']') {
      const auto open = key.rfind('[');
      indices.insert(indices.begin(), std::stol(key.substr(open + 1, key.size() - open - 2)));
      key = key.substr(0, open);
    }
    if (!key.empty()) steps.push_back({key, -1});
    for (long i : indices) steps.push_back({"", i});
  }
  return steps;
}

/// `key=value` (the value read as YAML, so `[1, 2]` is a list) or `-key` (removed) on a YAML file.
std::string edit_yaml(const std::string& text, const std::vector<std::string>& ops) {
  YAML::Node root = YAML::Load(text);
  // The emitter drops the quotes of a quoted value ("200" comes out as 200): such values go in as a
  // placeholder that is replaced by the value as written once the file is emitted.
  std::vector<std::pair<std::string, std::string>> quoted;
  for (const std::string& op : ops) {
    const bool remove = op[0] == '-';
    const auto eq = op.find('=');
    const std::string path = remove ? op.substr(1) : op.substr(0, eq);
    if (!remove && eq == std::string::npos) throw std::runtime_error("edit '" + op + "': expected key=value or -key");
    const std::vector<Step> steps = parse_path(path);
    // yaml-cpp nodes are handles: walk down by reassigning a handle, never by assigning to one.
    std::vector<YAML::Node> chain{root};
    for (std::size_t i = 0; i + 1 < steps.size(); ++i) {
      YAML::Node next = steps[i].index >= 0 ? chain.back()[steps[i].index] : chain.back()[steps[i].key];
      chain.push_back(next);
    }
    YAML::Node parent = chain.back();
    const Step& last = steps.back();
    if (remove) {
      if (last.index >= 0) parent.remove(last.index);
      else parent.remove(last.key);
    } else {
      const std::string written = op.substr(eq + 1);
      YAML::Node value = YAML::Load(written);
      if (!written.empty() && (written[0] == '"' || written[0] == '\'') && written.size() > 2) {
        quoted.emplace_back("QUOTED_VALUE_" + std::to_string(quoted.size()), written);
        value = YAML::Node(quoted.back().first);
      }
      if (last.index >= 0) parent[last.index] = value;
      else parent[last.key] = value;
    }
  }
  YAML::Emitter out;
  out << root;
  std::string emitted = std::string(out.c_str()) + "\n";
  for (const auto& [placeholder, written] : quoted) emitted.replace(emitted.find(placeholder), placeholder.size(), written);
  return emitted;
}

/// `N.column=value` (line N's field under the header's `column`), `N=raw line` or `-N` on a CSV file;
/// lines count from 1, the header being line 1; N one past the end appends.
std::string edit_csv(const std::string& text, const std::vector<std::string>& ops) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  const std::vector<std::string> header = split(lines.at(0), ",");
  for (const std::string& op : ops) {
    if (op[0] == '-') {
      lines.erase(lines.begin() + (std::stol(op.substr(1)) - 1));
      continue;
    }
    const auto eq = op.find('=');
    const std::string target = op.substr(0, eq), value = op.substr(eq + 1);
    const auto dot = target.find('.');
    const std::size_t n = std::stoul(target.substr(0, dot)) - 1;
    if (n == lines.size()) lines.emplace_back();
    if (dot == std::string::npos) {
      lines.at(n) = value;
      continue;
    }
    const std::string column = target.substr(dot + 1);
    std::size_t col = 0;
    while (col < header.size() && header[col] != column && header[col] != "\"" + column + "\"") ++col;
    if (col == header.size()) throw std::runtime_error("edit '" + op + "': no column " + column);
    std::vector<std::string> fields = split(lines.at(n), ",");
    fields.at(col) = value;
    std::string joined;
    for (std::size_t i = 0; i < fields.size(); ++i) joined += (i ? "," : "") + fields[i];
    lines.at(n) = joined;
  }
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

/// Applies `FILE: op; op` to the copy of FILE in `dir`.
void apply_edit(const fs::path& dir, const std::string& edit) {
  const auto colon = edit.find(": ");
  if (colon == std::string::npos) throw std::runtime_error("edit '" + edit + "': expected FILE: op; op");
  const fs::path file = dir / edit.substr(0, colon);
  const std::vector<std::string> ops = split(edit.substr(colon + 2), "; ");
  const std::string text = read(file);
  const std::string edited = file.extension() == ".csv" ? edit_csv(text, ops) : edit_yaml(text, ops);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << edited;
}

// ---- running -----------------------------------------------------------------------------------------

/// Words of a command line: split on spaces, with '...' and "..." quoting (so `--out ''` is an empty word).
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool any = false;
  char quote = 0;
  for (char c : line) {
    if (quote) {
      if (c == quote) quote = 0;
      else cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      any = true;
    } else if (c == ' ') {
      if (any || !cur.empty()) out.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur += c;
    }
  }
  if (any || !cur.empty()) out.push_back(cur);
  return out;
}

struct Outcome {
  bool exited = false;
  int code = -1;    ///< exit status when exited
  int signal = 0;   ///< the signal that ended it otherwise
  bool timed_out = false;
  std::string out, err;
};

/// Runs `bin args` in `dir` with stdin from /dev/null, killing it after `limit_s` seconds.
Outcome run_in(const fs::path& dir, const std::string& bin, const std::vector<std::string>& args, int limit_s) {
  const fs::path out_file = dir.parent_path() / (dir.filename().string() + ".stdout");
  const fs::path err_file = dir.parent_path() / (dir.filename().string() + ".stderr");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(127);
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv{const_cast<char*>(bin.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  Outcome o;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limit_s);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      o.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  o.exited = WIFEXITED(status);
  o.code = o.exited ? WEXITSTATUS(status) : -1;
  o.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  o.out = read(out_file);
  o.err = read(err_file);
  return o;
}

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) names.insert(fs::relative(e.path(), dir).string());
  return names;
}

fs::path source_dir() {
  if (const char* d = std::getenv("HEDGESIM_BAD_INPUTS_DIR")) return d;
  return HEDGESIM_BAD_INPUTS_DIR;
}

}  // namespace

TEST(BadInputs, EveryCaseExitsWithItsCodeNamingTheKeyAndLeavesNoFile) {
  const char* bin = std::getenv("HEDGESIM_BIN");
  ASSERT_NE(bin, nullptr) << "HEDGESIM_BIN is not set (CTest sets it to the built hedgesim)";
  const fs::path src = source_dir();
  const std::vector<Case> cases = load_cases(src / "cases.txt");
  EXPECT_GE(cases.size(), 100u) << "the table must hold at least 100 cases";
  {
    std::set<std::string> names;
    for (const Case& c : cases) EXPECT_TRUE(names.insert(c.name).second) << "duplicate case name " << c.name;
  }
  const fs::path root = fs::temp_directory_path() / ("hedgesim_bad_inputs_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  const std::regex non_finite(R"((^|[^a-z])-?(nan|inf)([^a-z]|$))", std::regex::icase);
  const std::set<std::string> commands_with_out{"run", "backtest", "optimise", "optimize", "calibrate"};

  int failed = 0, known = 0;
  std::ostringstream report;
  for (const Case& c : cases) {
    const fs::path dir = root / c.name;
    fs::create_directories(dir);
    fs::copy(src, dir, fs::copy_options::recursive);
    fs::remove(dir / "cases.txt");
    if (!c.edit.empty()) apply_edit(dir, c.edit);
    std::vector<std::string> args = words(c.command);
    // Every command that can write a file is told to write it here, so a file left behind is seen.
    if (!args.empty() && commands_with_out.contains(args[0]) && c.command.find("--out") == std::string::npos) {
      args.push_back("--out");
      args.push_back("out.h5");
    }
    const std::set<std::string> before = listing(dir);
    const Outcome o = run_in(dir, bin, args, 60);
    const std::set<std::string> after = listing(dir);

    std::vector<std::string> problems;
    if (o.timed_out) problems.push_back("did not finish within 60 s (killed)");
    else if (!o.exited) problems.push_back("killed by signal " + std::to_string(o.signal) + " (" + strsignal(o.signal) + ")");
    else if (o.code != c.exit)
      problems.push_back("exit " + std::to_string(o.code) + ", expected " + std::to_string(c.exit));
    for (const std::string& want : c.expect)
      if (o.err.find(want) == std::string::npos) problems.push_back("stderr lacks '" + want + "'");
    if (std::regex_search(o.out, non_finite)) problems.push_back("stdout shows nan or inf");
    for (const std::string& f : after)
      if (!before.contains(f)) problems.push_back("left a file behind: " + f);
    for (const std::string& f : before)
      if (!after.contains(f)) problems.push_back("removed an input file: " + f);
    if (o.err.find("error:") == std::string::npos && !o.timed_out && o.exited && o.code != 0)
      problems.push_back("no 'error:' message on stderr");

    if (std::getenv("HEDGESIM_BAD_INPUTS_VERBOSE"))
      std::cout << c.name << " [" << o.code << "] " << o.err.substr(0, o.err.find('\n')) << "\n";
    if (problems.empty() && !c.defect.empty()) {
      problems.push_back("passes, but is marked as a known defect (" + c.defect + "): remove the mark");
    }
    if (problems.empty()) continue;
    ++failed;
    if (!c.defect.empty()) ++known;
    report << "\n--- case '" << c.name << "' (cases.txt line " << c.line << ")"
           << (c.defect.empty() ? "" : " KNOWN DEFECT: " + c.defect) << "\n  command: hedgesim";
    for (const std::string& a : args) report << " " << (a.empty() ? "''" : a);
    if (!c.edit.empty()) report << "\n  edit:    " << c.edit;
    report << "\n  exit:    " << (o.exited ? std::to_string(o.code) : "signal " + std::to_string(o.signal));
    for (const std::string& p : problems) report << "\n  problem: " << p;
    report << "\n  stderr:  " << o.err.substr(0, 2000);
    if (!o.out.empty()) report << "\n  stdout:  " << o.out.substr(0, 500);
    report << "\n";
  }
  EXPECT_EQ(failed, 0) << failed << " of " << cases.size() << " cases failed (" << known
                       << " of them marked as known defects):" << report.str();
  if (failed == 0) fs::remove_all(root);
  std::cout << cases.size() << " bad-input cases run\n";
}
