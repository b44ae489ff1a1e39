#pragma once
// What the benchmarks (bench_paths, bench_hedging) share: the options both take, timing with the
// process CPU time, number formatting, a Markdown pipe table, the provenance lines of a report (date,
// commit, CPU, compiler, command) and its closing line, the sizing of the QuantLib peer's run, and the
// report's CUDA and Markdown-file boilerplate.
//
// Header-only on purpose: build_flags() reads the code-generation macros of the benchmark's own
// translation unit.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/version.hpp"

namespace hedgesim::bench {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Timing

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// CPU time of the whole process (all threads), to tell a run that had its cores from one that
/// shared them with other work on the machine.
inline double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// Process CPU time and wall clock from construction on.
struct Stopwatch {
  double cpu0 = process_cpu_seconds();
  Clock::time_point t0 = Clock::now();

  double wall() const { return seconds_since(t0); }
  /// Process CPU time since construction / (`wall` × `threads`).
  double cpu_use(double wall, unsigned threads = 1) const { return (process_cpu_seconds() - cpu0) / (wall * threads); }
};

/// The fastest of the timed calls of best_of.
struct Best {
  double seconds = 1e300;  ///< wall time
  double utilisation = 0;  ///< process CPU time / (wall time × threads)
};

/// `reps` timed calls of `run()`; while the best of them shared its cores with other work (CPU use
/// < 90%), up to `reps` more, so a busy moment on a shared machine does not decide the figure.
/// `on_best()` runs right after each call that is the fastest so far.
template <class Run, class OnBest>
Best best_of(unsigned reps, unsigned threads, Run&& run, OnBest&& on_best) {
  Best b;
  for (unsigned r = 0; r < reps || (r < 2 * reps && b.utilisation < 0.9); ++r) {
    const Stopwatch sw;
    run();
    const double wall = sw.wall();
    if (wall < b.seconds) {
      b.seconds = wall;
      b.utilisation = sw.cpu_use(wall, threads);
      on_best();
    }
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// Formatting

inline std::string fmt_rate(double r) {  // path-steps/s in millions
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f M", r / 1e6);
  return buf;
}

inline std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

inline std::size_t display_width(const std::string& s) {  // UTF-8 code points (× and the like are one column)
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

/// A Markdown pipe table; printed to stdout as is (it reads fine as plain text).
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  std::string str() const {
    std::vector<std::size_t> w(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) w[c] = display_width(header[c]);
    for (const auto& r : rows)
      for (std::size_t c = 0; c < r.size() && c < w.size(); ++c) w[c] = std::max(w[c], display_width(r[c]));
    auto line = [&](const std::vector<std::string>& cells) {
      std::string s = "|";
      for (std::size_t c = 0; c < header.size(); ++c) {
        const std::string& x = c < cells.size() ? cells[c] : std::string();
        s += " " + x + std::string(w[c] - display_width(x), ' ') + " |";
      }
      return s + "\n";
    };
    std::string s = line(header);
    s += "|";
    for (std::size_t c = 0; c < header.size(); ++c) s += std::string(w[c] + 2, '-') + "|";
    s += "\n";
    for (const auto& r : rows) s += line(r);
    return s;
  }
};

// ---------------------------------------------------------------------------------------------
// Command line

/// A positive count such as 4e6 for `flag`; otherwise exits with status 2 after a message.
inline std::uint64_t parse_count(const char* program, const char* flag, const char* s) {
  char* end = nullptr;
  const double v = std::strtod(s, &end);  // accepts 4e6
  if (end == s || *end != '\0' || !(v >= 1) || v > 1e12) {
    std::fprintf(stderr, "%s: %s needs a positive count, got '%s'\n", program, flag, s);
    std::exit(2);
  }
  return static_cast<std::uint64_t>(v);
}

/// The value of the option argv[i], the next argument, with i advanced to it; exits with status 2
/// after a message when there is none.
inline const char* option_value(const char* program, int argc, char** argv, int& i) {
  if (i + 1 >= argc) {
    std::fprintf(stderr, "%s: %s needs a value\n", program, argv[i]);
    std::exit(2);
  }
  return argv[++i];
}

/// The options both benchmarks take; each sets its own defaults for the first four.
struct CommonOptions {
  std::uint64_t paths = 0;      ///< --paths: CPU paths per timed run
  std::uint64_t gpu_paths = 0;  ///< --gpu-paths: CUDA paths per timed run
  std::uint64_t ql_paths = 0;   ///< --ql-paths; 0: as many as fit in ql_seconds, at most `paths`
  double ql_seconds = 0;        ///< --ql-seconds
  unsigned reps = 3;
  std::string markdown;
  std::string note;
  bool quantlib = true;
  bool cuda = true;
};

/// Reads argv[i] into `o` when it is one of CommonOptions' (or -h, --help: usage(0)), with i advanced
/// past its value, and returns true; false for any other argument.
inline bool parse_common_option(const char* program, int argc, char** argv, int& i, CommonOptions& o,
                                void (*usage)(int)) {
  const std::string a = argv[i];
  auto value = [&] { return option_value(program, argc, argv, i); };
  if (a == "--paths") {
    o.paths = parse_count(program, "--paths", value());
  } else if (a == "--gpu-paths") {
    o.gpu_paths = parse_count(program, "--gpu-paths", value());
  } else if (a == "--ql-paths") {
    o.ql_paths = parse_count(program, "--ql-paths", value());
  } else if (a == "--ql-seconds") {
    o.ql_seconds = std::atof(value());
    if (!(o.ql_seconds > 0)) usage(2);
  } else if (a == "--reps") {
    o.reps = static_cast<unsigned>(parse_count(program, "--reps", value()));
  } else if (a == "--markdown") {
    o.markdown = value();
  } else if (a == "--note") {
    o.note = value();
  } else if (a == "--no-quantlib") {
    o.quantlib = false;
  } else if (a == "--no-cuda") {
    o.cuda = false;
  } else if (a == "-h" || a == "--help") {
    usage(0);
  } else {
    return false;
  }
  return true;
}

/// Exits with status 2 through usage(2) after naming the unknown option `arg`.
[[noreturn]] inline void unknown_option(const char* program, const char* arg, void (*usage)(int)) {
  std::fprintf(stderr, "%s: unknown option '%s'\n", program, arg);
  usage(2);
  std::exit(2);  // not reached: usage exits
}

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

inline std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i) s += ' ';
    if (a.find_first_of(" \t\"'$") != std::string::npos) a = shell_quote(a);
    s += a;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Provenance

inline std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

inline std::string compiler_version() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("GCC ") + __VERSION__;
#else
  return "unknown compiler";
#endif
}

/// Code-generation macros of the benchmark's translation unit (the engine's own TUs share the
/// build's flags when built with CMake or the same g++ line).
inline std::string build_flags() {
  std::string s;
#if defined(__OPTIMIZE__)
  s += "optimised";
#else
  s += "NOT optimised";
#endif
#if defined(NDEBUG)
  s += ", NDEBUG";
#endif
#if defined(__AVX512F__)
  s += ", AVX-512";
#elif defined(__AVX2__)
  s += ", AVX2";
#elif defined(__AVX__)
  s += ", AVX";
#elif defined(__SSE4_2__)
  s += ", SSE4.2";
#else
  s += ", baseline x86-64 (SSE2)";
#endif
#if defined(__FMA__)
  s += ", FMA";
#endif
  return s;
}

/// The 1-, 5- and 15-minute load averages: other work on the machine depresses wall-time rates, so
/// the report records how busy the machine was around the run.
inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  if (!(in >> a >> b >> c)) return "unavailable";
  return a + " " + b + " " + c;
}

inline std::string commit_string() {
  const std::string c = HEDGESIM_GIT_COMMIT;
  return c == "unknown" ? "uncommitted (no git commit yet)" : c;
}

/// The report's first lines: date, version and commit, CPU, compiler, QuantLib, command and the
/// optional note.
inline std::string provenance(int argc, char** argv, unsigned threads, const char* quantlib_version,
                              const std::string& note) {
  std::ostringstream s;
  s << "- Date: " << utc_now() << "\n"
    << "- hedgesim " << HEDGESIM_VERSION << ", commit " << commit_string() << "\n"
    << "- CPU: " << cpu_model_name() << ", " << threads << " hardware threads\n"
    << "- Compiler: " << compiler_version() << " (bench TU: " << build_flags() << ")\n"
    << "- QuantLib: " << quantlib_version << "\n"
    << "- Command: `" << command_line(argc, argv) << "`\n";
  if (!note.empty()) s << "- Note: " << note << "\n";
  return s.str();
}

/// The report's last line: total wall time and the load average at the start and now.
inline std::string closing_line(Clock::time_point t_start, const std::string& load_start) {
  const std::string total = fmt("%.1f", seconds_since(t_start));
  return "\nTotal benchmark wall time: " + total + " s. Load average (1/5/15 min) at start " + load_start +
         ", at end " + load_average() + ".\n";
}

// ---------------------------------------------------------------------------------------------
// QuantLib peer

/// Timing of a run of the QuantLib peer (one thread).
struct PeerTiming {
  std::uint64_t paths = 0;
  double seconds = 0;
  double utilisation = 0;  ///< process CPU time / wall time
  double rate = 0;         ///< path-steps/s

  /// Records a run of `n` paths of `steps` steps timed by `sw` from its start to now.
  void stop(const Stopwatch& sw, std::uint64_t n, std::uint32_t steps) {
    paths = n;
    seconds = sw.wall();
    utilisation = sw.cpu_use(seconds);
    rate = static_cast<double>(n) * steps / seconds;
  }
};

/// Paths of the timed QuantLib run: --ql-paths when given, otherwise as many as fit in 90% of
/// --ql-seconds at the rate of the pilot run, in whole hundreds, at least `minimum`, at most --paths.
inline std::uint64_t quantlib_paths(const CommonOptions& o, double pilot_rate, std::uint32_t steps,
                                    std::uint64_t minimum) {
  if (o.ql_paths != 0) return o.ql_paths;
  const double fit = 0.9 * o.ql_seconds * pilot_rate / steps;
  const std::uint64_t hundreds = static_cast<std::uint64_t>(fit) / 100 * 100;
  return std::min<std::uint64_t>(o.paths, std::max<std::uint64_t>(minimum, hundreds));
}

/// What the report adds after the QuantLib run's path count `ql_paths` when it differs from ours.
inline const char* quantlib_paths_note(const CommonOptions& o, std::uint64_t ql_paths) {
  return o.ql_paths != 0        ? " (set by --ql-paths; rates are per path-step)"
         : ql_paths != o.paths ? " (fewer than ours, to keep its run near --ql-seconds; rates are per path-step)"
                               : "";
}

// ---------------------------------------------------------------------------------------------
// Report sections and file

/// Starts the CUDA section; when CUDA timing is off (`enabled` false) or there is no device, says
/// so and returns true: nothing more to time.
inline bool cuda_section_skipped(std::ostream& body, bool enabled, int devices) {
  body << "## CUDA backend\n\n";
  if (!enabled) {
    body << "CUDA timing skipped (--no-cuda).\n";
    return true;
  }
  if (devices <= 0) {
    body << "CUDA timing skipped: no CUDA device (cuda_compiled() = " << (cuda_compiled() ? "true" : "false")
         << ", cuda_device_count() = " << devices << ").\n";
    std::fprintf(stderr, "  cuda: skipped (no device)\n");
    return true;
  }
  return false;
}

/// Writes "# title", the provenance lines and the body to `file` (nothing when `file` is empty);
/// returns the exit status: 1 after a message when the file cannot be written.
inline int write_markdown(const char* program, const std::string& file, const std::string& title,
                          const std::string& head, const std::string& body) {
  if (file.empty()) return 0;
  std::ofstream md(file);
  md << "# " << title << "\n\n" << head << "\n" << body;
  if (!md) {
    std::fprintf(stderr, "%s: cannot write %s\n", program, file.c_str());
    return 1;
  }
  return 0;
}

}  // namespace hedgesim::bench
