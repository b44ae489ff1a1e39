// Hedging-simulation throughput benchmark (docs/benchmarks.md, "How speed is measured"; issue "Hedging simulation").
//
// Standard case: Bates (S0 = 65000, v0 = θ = 0.36, κ = 2, ξ = 1, ρ = −0.3, λ = 5, μ_J = −0.05,
// σ_J = 0.1) under the risk-neutral measure, 30 days of hourly steps (720), a book of one short call
// (K = 70000, quantity −1) hedged with a perpetual at the delta of implied vol 0.6, fee 5 bps, and 8
// policies on the same paths: none, every_step, time 4h, time 24h, delta_band 0.05, delta_band 0.15,
// whalley_wilmott, move 2%. It times the whole run_hedging_job call (simulation + hedging + reduction)
// on 1 thread and all hardware threads (one untimed warm-up, then the best of --reps) and reports
// path-steps/s = paths × steps / wall time; the same with only the every_step policy, for the cost of
// extra policies on shared paths (goal: time(8) / time(1) < 2).
//
// In the same run it times the loop a user would write with QuantLib — BatesProcess driven by
// MultiPathGenerator<PseudoRandom> over TimeGrid(T, 720), a BlackCalculator delta per step, the same
// eight policies (and, separately, every-step rebalancing alone) with the fee and P&L accounting, one
// thread — and reports our 1-thread rates as ratios to it (goal ≥ 20× per core). It measures the peak RSS of a run without per-path output in a fresh child
// process at --mem-paths and half that, and extrapolates linearly to 10M paths (goal ≤ 2 GB). With a
// CUDA device it also times the CUDA backend. --markdown FILE writes the report with its provenance.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <ql/instruments/payoffs.hpp>
#include <ql/math/randomnumbers/rngtraits.hpp>
#include <ql/methods/montecarlo/multipathgenerator.hpp>
#include <ql/pricingengines/blackcalculator.hpp>
#include <ql/processes/batesprocess.hpp>
#include <ql/quotes/simplequote.hpp>
#include <ql/termstructures/yield/flatforward.hpp>
#include <ql/time/daycounters/actual365fixed.hpp>
#include <ql/timegrid.hpp>
#include <ql/version.hpp>

#include "bench_report.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/hedging/policy.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/pricing/black_scholes.hpp"
#include "hedgesim/spec.hpp"

namespace {

using namespace hedgesim;
using namespace hedgesim::bench;

constexpr double kDays = 30.0;
constexpr double kStepsPerDay = 24.0;
constexpr std::uint32_t kSteps = 30 * 24;  // 30 days, hourly
constexpr double kMaturity = kDays / kDaysPerYear;
constexpr double kRate = 0.04;  // risk-neutral drift r − q; QuantLib and we simulate the same law
constexpr double kSpot = 65000;
constexpr double kStrike = 70000;
constexpr double kQuantity = -1.0;
constexpr double kImpliedVol = 0.6;
constexpr double kFeeBps = 5.0;
constexpr double kRiskAversion = 1e-3;
constexpr std::uint64_t kSeed = 20240601;
constexpr unsigned long kQuantLibSeed = 42;
constexpr double kTargetPaths = 10e6;  // the memory goal: 10M paths in 2 GB
constexpr double kMemoryGoalBytes = 2.0 * (1ull << 30);

// ---------------------------------------------------------------------------------------------
// Options

struct Options : CommonOptions {
  Options() {
    paths = 20000;
    gpu_paths = std::uint64_t(1) << 20;  // 1,048,576
    ql_seconds = 8.0;
  }
  std::uint64_t mem_paths = std::uint64_t(1) << 20;  // 4 whole batches of 2^18 paths
  Precision precision = Precision::float32;
  bool memory = true;
  bool profile_run = false;     // only the 1-thread 8-policy job, --reps times (for perf record)
  std::uint64_t mem_child = 0;  // internal: run one job of this many paths and print peak RSS
};

[[noreturn]] void usage(int rc) {
  std::printf(
      "usage: bench_hedging [options]\n"
      "  --paths N          CPU paths per timed run (default 20000)\n"
      "  --gpu-paths N      CUDA paths per timed run (default 1048576)\n"
      "  --ql-paths N       QuantLib paths (default: as many as fit in --ql-seconds, at most --paths)\n"
      "  --ql-seconds S     time budget of the QuantLib run when --ql-paths is not given (default 8)\n"
      "  --mem-paths N      paths of the peak-RSS run (a second run uses N/2; default 1048576)\n"
      "  --precision P      float32 (default) or float64 path precision (accounting is double)\n"
      "  --reps N           timed repetitions per configuration, best taken (default 3)\n"
      "  --markdown FILE    write the report as Markdown to FILE\n"
      "  --note TEXT        free text added to the report (e.g. how the binary was built)\n"
      "  --no-quantlib      skip the QuantLib peer\n"
      "  --no-cuda          skip the CUDA backend even when a device is present\n"
      "  --no-memory        skip the peak-RSS runs\n"
      "  --profile-run      only time the 1-thread 8-policy job --reps times (for a profiler)\n");
  std::exit(rc);
}

std::uint64_t parse_count(const char* flag, const char* s) { return bench::parse_count("bench_hedging", flag, s); }

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    if (parse_common_option("bench_hedging", argc, argv, i, o, usage)) continue;
    const std::string a = argv[i];
    auto value = [&] { return option_value("bench_hedging", argc, argv, i); };
    if (a == "--mem-paths") {
      o.mem_paths = parse_count("--mem-paths", value());
    } else if (a == "--precision") {
      const std::string p = value();
      if (p == "float32") {
        o.precision = Precision::float32;
      } else if (p == "float64") {
        o.precision = Precision::float64;
      } else {
        std::fprintf(stderr, "bench_hedging: --precision is float32 or float64, got '%s'\n", p.c_str());
        std::exit(2);
      }
    } else if (a == "--no-memory") {
      o.memory = false;
    } else if (a == "--profile-run") {
      o.profile_run = true;
    } else if (a == "--mem-child") {
      o.mem_child = parse_count("--mem-child", value());
    } else {
      unknown_option("bench_hedging", argv[i], usage);
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// The standard case

ModelParams bates_btc() {
  ModelParams p;
  p.type = ModelType::bates;
  p.spot = kSpot;
  p.rate = kRate;
  p.dividend = 0;
  p.drift = 0.1;  // unused: the benchmark runs under the risk-neutral measure
  p.v0 = 0.36;
  p.kappa = 2;
  p.theta = 0.36;
  p.xi = 1;
  p.rho = -0.3;
  p.scheme = VarianceScheme::qe;
  p.jump_intensity = 5;
  p.jump_mean = -0.05;
  p.jump_stdev = 0.1;
  return p;
}

/// A policy named `name`; its key `parameter`, when given, set to `value`.
PolicySpec policy(const std::string& name, PolicyType type, const char* parameter = nullptr, double value = 0) {
  PolicySpec p;
  p.name = name;
  p.type = type;
  if (parameter) p.set(parameter, value);
  return p;
}

std::vector<PolicySpec> eight_policies() {
  PolicySpec ww = policy("whalley_wilmott", PolicyType::whalley_wilmott, "risk_aversion", kRiskAversion);
  ww.set("rebalance_to", static_cast<double>(RebalanceTo::edge));  // the config default for whalley_wilmott
  return {policy("none", PolicyType::none),
          policy("every_step", PolicyType::every_step),
          policy("time_4h", PolicyType::time, "every_hours", 4),
          policy("time_24h", PolicyType::time, "every_hours", 24),
          policy("delta_band_0.05", PolicyType::delta_band, "width", 0.05),
          policy("delta_band_0.15", PolicyType::delta_band, "width", 0.15),
          ww,
          policy("move_2pct", PolicyType::move, "move_pct", 2)};
}

RunSpec make_spec(std::uint64_t paths, unsigned threads, bool all_policies, Precision precision,
                  BackendKind backend = BackendKind::cpu) {
  RunSpec s;
  s.simulation.paths = paths;
  s.simulation.steps_per_day = kStepsPerDay;
  s.simulation.seed = kSeed;
  s.simulation.backend = backend;
  s.simulation.precision = precision;
  s.simulation.measure = Measure::risk_neutral;
  s.simulation.threads = threads;
  s.model = bates_btc();
  s.book = {{OptionType::call, kStrike, kDays, kQuantity, Settlement::linear}};
  s.hedge.instrument = HedgeInstrument::perpetual;
  s.hedge.delta = DeltaSource::implied;
  s.hedge.implied_vol = kImpliedVol;
  s.costs.fee_bps = kFeeBps;
  s.policies = all_policies ? eight_policies() : std::vector<PolicySpec>{policy("every_step", PolicyType::every_step)};
  validate_for_run(s);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Timing

struct Measurement {
  double rate = 0;         ///< best path-steps/s
  double seconds = 0;      ///< best wall time of the run_hedging_job call
  double job_seconds = 0;  ///< RunReport::elapsed_s of that call (its own clock, same span less set-up)
  double utilisation = 0;  ///< of the best run: process CPU time / (wall time × threads)
  RunReport report;
};

/// One warm-up call, then `reps` timed calls (up to 2·reps while the best one shared its cores with
/// other work), the best kept.
Measurement time_job(const RunSpec& spec, const BackendInfo& backend, unsigned reps, unsigned threads) {
  Measurement m;
  m.report = run_hedging_job(spec, backend);  // warm-up: first touch of buffers, caches, clocks
  RunReport rep;
  const Best best = best_of(
      reps, threads, [&] { rep = run_hedging_job(spec, backend); },
      [&] {
        m.job_seconds = rep.elapsed_s;
        m.report = std::move(rep);
      });
  m.seconds = best.seconds;
  m.utilisation = best.utilisation;
  m.rate = static_cast<double>(spec.simulation.paths) * kSteps / m.seconds;
  return m;
}

// ---------------------------------------------------------------------------------------------
// QuantLib peer: the loop a user would write

/// A rebalancing rule as a QuantLib user would code it in the loop (the standard case's eight).
struct UserPolicy {
  enum Kind { none, every_step, time, band, whalley_wilmott, move } kind;
  double parameter = 0;  ///< time: steps; band: half-width; whalley_wilmott: risk aversion; move: fraction
};

std::vector<UserPolicy> user_policies(bool all_policies) {
  if (!all_policies) return {{UserPolicy::every_step}};
  return {{UserPolicy::none},           {UserPolicy::every_step},
          {UserPolicy::time, 4},        {UserPolicy::time, 24},
          {UserPolicy::band, 0.05},     {UserPolicy::band, 0.15},
          {UserPolicy::whalley_wilmott, kRiskAversion}, {UserPolicy::move, 0.02}};
}

struct QuantLibResult : PeerTiming {
  struct PerPolicy {
    double pnl_mean = 0, pnl_std = 0, pnl_se = 0, fees_mean = 0, trades_mean = 0;
  };
  std::vector<PerPolicy> policies;
  double premium = 0;
};

class QuantLibHedge {
 public:
  QuantLibHedge() {
    using namespace QuantLib;
    const Date today(3, June, 2024);
    Settings::instance().evaluationDate() = today;
    const DayCounter dc = Actual365Fixed();
    const ModelParams p = bates_btc();
    // BatesProcess(…, λ, ν, δ, discretization): ν is the mean and δ the stdev of the log jump, as μ_J
    // and σ_J of our Bates; the variance uses the same QE scheme family as ours.
    process_ = ext::make_shared<BatesProcess>(
        Handle<YieldTermStructure>(ext::make_shared<FlatForward>(today, p.rate, dc)),
        Handle<YieldTermStructure>(ext::make_shared<FlatForward>(today, p.dividend, dc)),
        Handle<Quote>(ext::make_shared<SimpleQuote>(p.spot)), p.v0, p.kappa, p.theta, p.xi, p.rho,
        p.jump_intensity, p.jump_mean, p.jump_stdev, HestonProcess::QuadraticExponentialMartingale);
  }

  std::size_t dimension() const { return process_->factors() * kSteps; }

  /// Generates `paths` paths and hedges each with every policy (one BlackCalculator per step, shared
  /// by the policies, as a user would share it); returns the wall time and each policy's statistics.
  QuantLibResult run(std::uint64_t paths, const std::vector<UserPolicy>& policies) const {
    using namespace QuantLib;
    const TimeGrid grid(kMaturity, kSteps);
    using rsg_type = PseudoRandom::rsg_type;
    MultiPathGenerator<rsg_type> gen(process_, grid, PseudoRandom::make_sequence_generator(dimension(), kQuantLibSeed),
                                     false);
    const ext::shared_ptr<StrikedTypePayoff> payoff = ext::make_shared<PlainVanillaPayoff>(Option::Call, kStrike);
    const Real r = kRate, q = 0.0, vol = kImpliedVol, fee_rate = kFeeBps * 1e-4, funding_rate = 0.0;
    const Real T = grid.back();
    const Real premium =
        BlackCalculator(payoff, kSpot * std::exp((r - q) * T), vol * std::sqrt(T), std::exp(-r * T)).value();
    bool needs_gamma = false;
    for (const UserPolicy& p : policies) needs_gamma |= p.kind == UserPolicy::whalley_wilmott;

    struct State {
      double cash, hedge, fees, trades, last_spot;
      bool traded;
    };
    const std::size_t np = policies.size();
    std::vector<State> st(np);
    std::vector<double> sum(np), sum2(np), fee_sum(np), trade_sum(np);
    const Stopwatch sw;
    for (std::uint64_t i = 0; i < paths; ++i) {
      const Path& s = gen.next().value[0];
      double book_cash = -kQuantity * premium;  // premium received for the short call
      for (State& x : st) x = {0, 0, 0, 0, kSpot, false};
      for (Size n = 0; n <= kSteps; ++n) {
        const Real spot = s[n];
        if (n > 0) {
          const Real dt = grid.dt(n - 1), growth = std::exp(r * dt), spot_prev = s[n - 1];
          book_cash *= growth;
          for (State& x : st) {
            x.cash *= growth;
            x.cash += x.hedge * (spot - spot_prev);             // perpetual settles its P&L each step
            x.cash -= x.hedge * spot_prev * funding_rate * dt;  // funding paid by longs
          }
        }
        if (n == kSteps) {
          book_cash += kQuantity * std::max(spot - kStrike, 0.0);
          break;
        }
        const Real tau = T - grid[n];
        const BlackCalculator bs(payoff, spot * std::exp((r - q) * tau), vol * std::sqrt(tau), std::exp(-r * tau));
        const Real target = -kQuantity * bs.delta(spot);
        const Real book_gamma = needs_gamma ? kQuantity * bs.gamma(spot) : 0.0;
        for (std::size_t k = 0; k < np; ++k) {
          State& x = st[k];
          const UserPolicy& p = policies[k];
          Real next = x.hedge;
          switch (p.kind) {
            case UserPolicy::none:
              break;
            case UserPolicy::every_step:
              next = target;
              break;
            case UserPolicy::time:
              if (n % static_cast<Size>(p.parameter) == 0) next = target;
              break;
            case UserPolicy::band:
              if (std::fabs(x.hedge - target) > p.parameter) next = target;
              break;
            case UserPolicy::whalley_wilmott: {  // to the band's edge
              const Real w = std::cbrt(3 * fee_rate * book_gamma * book_gamma * spot * std::exp(-r * tau) /
                                       (2 * p.parameter));
              const Real error = x.hedge - target;
              if (std::fabs(error) > w) next = target + (error > 0 ? w : -w);
              break;
            }
            case UserPolicy::move:
              if (!x.traded || std::fabs(spot / x.last_spot - 1) > p.parameter) next = target;
              break;
          }
          const Real traded = next - x.hedge;
          if (traded != 0.0) {
            const Real fee = fee_rate * std::fabs(traded) * spot;
            x.cash -= fee;
            x.fees += fee;
            x.trades += 1;
            x.hedge = next;
            x.last_spot = spot;
            x.traded = true;
          }
        }
      }
      for (std::size_t k = 0; k < np; ++k) {
        const double pnl = book_cash + st[k].cash;
        sum[k] += pnl;
        sum2[k] += pnl * pnl;
        fee_sum[k] += st[k].fees;
        trade_sum[k] += st[k].trades;
      }
    }
    QuantLibResult res;
    res.stop(sw, paths, kSteps);
    const double n = static_cast<double>(paths);
    for (std::size_t k = 0; k < np; ++k) {
      QuantLibResult::PerPolicy p;
      p.pnl_mean = sum[k] / n;
      p.pnl_std = std::sqrt(std::max(0.0, sum2[k] / n - p.pnl_mean * p.pnl_mean));
      p.pnl_se = p.pnl_std / std::sqrt(n);
      p.fees_mean = fee_sum[k] / n;
      p.trades_mean = trade_sum[k] / n;
      res.policies.push_back(p);
    }
    res.premium = premium;
    return res;
  }

 private:
  QuantLib::ext::shared_ptr<QuantLib::BatesProcess> process_;
};

// ---------------------------------------------------------------------------------------------
// Peak memory, in a fresh process

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;  // KiB on Linux
}

/// The child's side: one all-thread 8-policy job of `paths` paths, no per-path output.
int mem_child(std::uint64_t paths, Precision precision) {
  const RunSpec spec = make_spec(paths, 0, true, precision);
  const long before = max_rss_kb();
  const Stopwatch sw;
  const RunReport r = run_hedging_job(spec, resolve_backend(BackendKind::cpu, 0));
  const double wall = sw.wall();
  const double use = sw.cpu_use(wall, cpu_hardware_threads());
  std::printf("%ld %ld %.6f %.6f %.17g\n", before, max_rss_kb(), wall, use, r.policies.at(1).pnl.mean);
  return 0;
}

struct MemoryPoint {
  std::uint64_t paths = 0;
  long baseline_kb = 0;  ///< peak RSS before the job (libraries, static data)
  long peak_kb = 0;      ///< peak RSS after it
  double seconds = 0;
  double utilisation = 0;  ///< process CPU time / (wall time × threads) of the job
  bool ok = false;
};

MemoryPoint measure_memory(std::uint64_t paths, Precision precision) {
  MemoryPoint m;
  m.paths = paths;
  char exe[4096];
  const ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) return m;
  exe[len] = '\0';
  const std::string cmd = shell_quote(exe) + " --mem-child " + std::to_string(paths) + " --precision " +
                          to_string(precision);
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return m;
  double mean = 0;
  m.ok = std::fscanf(pipe, "%ld %ld %lf %lf %lf", &m.baseline_kb, &m.peak_kb, &m.seconds, &m.utilisation, &mean) == 5;
  m.ok = pclose(pipe) == 0 && m.ok;
  return m;
}

// ---------------------------------------------------------------------------------------------
// Report

std::string mib(double bytes) { return fmt("%.0f MiB", bytes / (1 << 20)); }

std::string policy_label(const PolicySpec& p) {
  switch (p.type) {
    case PolicyType::none:
      return "none";
    case PolicyType::every_step:
      return "every_step";
    case PolicyType::time:
      return fmt("time %gh", p.get("every_hours"));
    case PolicyType::delta_band:
      return fmt("delta_band %g", p.get("width"));
    case PolicyType::whalley_wilmott:
      return fmt("whalley_wilmott a=%g", p.get("risk_aversion"));
    case PolicyType::move:
      return fmt("move %g%%", p.get("move_pct"));
    default:
      return p.name;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  if (opt.mem_child > 0) return mem_child(opt.mem_child, opt.precision);
  const unsigned threads = cpu_hardware_threads();

  if (opt.profile_run) {  // for `perf record`: only the 1-thread 8-policy job
    const RunSpec spec = make_spec(opt.paths, 1, true, opt.precision);
    const Measurement m = time_job(spec, resolve_backend(BackendKind::cpu, 1), opt.reps, 1);
    std::printf("8 policies, 1 thread, %llu paths: %.3f s, %s path-steps/s (CPU use %.0f%%)\n",
                static_cast<unsigned long long>(opt.paths), m.seconds, fmt_rate(m.rate).c_str(), 100 * m.utilisation);
    return 0;
  }

  const auto t_start = Clock::now();
  const std::string load_start = load_average();
  const std::vector<PolicySpec> policies = eight_policies();

  std::ostringstream head;
  head << provenance(argc, argv, threads, QL_VERSION, opt.note);
  head << "- Workload: Bates (QE variance) S0 = " << kSpot << ", v0 = 0.36, κ = 2, θ = 0.36, ξ = 1, ρ = −0.3, "
       << "λ = 5, μ_J = −0.05, σ_J = 0.1; risk-neutral (r = " << kRate << ", q = 0), " << to_string(opt.precision)
       << " paths, seed " << kSeed << "; " << kSteps << " steps of 1 h (30 days); book: one short call (K = "
       << kStrike << ", quantity −1, 30 days, linear); perpetual hedge (funding 0) at the Black–Scholes delta "
       << "of implied vol " << kImpliedVol << "; fee " << kFeeBps << " bps; policies";
  for (std::size_t i = 0; i < policies.size(); ++i) head << (i ? ", " : ": ") << policy_label(policies[i]);
  head << " (whalley_wilmott trades to the band edge)\n"
       << "- Rate: path-steps/s = paths × " << kSteps << " / wall time of one `run_hedging_job` call "
       << "(simulation + hedging + reduction: moments, quantiles, VaR/ES, histograms of every policy; no "
       << "per-path output, no file); one warm-up call, then the best of " << opt.reps << " calls (up to "
       << 2 * opt.reps << " while the best one shared its cores with other work)\n";
  std::cout << "# hedgesim hedging-simulation benchmark\n\n" << head.str() << std::endl;

  // ---- our CPU backend: 8 policies and 1 policy, 1 thread and all threads
  const BackendInfo cpu1 = resolve_backend(BackendKind::cpu, 1);
  const BackendInfo cpu_all = resolve_backend(BackendKind::cpu, threads);
  const RunSpec spec8_1 = make_spec(opt.paths, 1, true, opt.precision);
  const RunSpec spec8_all = make_spec(opt.paths, threads, true, opt.precision);
  const RunSpec spec1_1 = make_spec(opt.paths, 1, false, opt.precision);
  const RunSpec spec1_all = make_spec(opt.paths, threads, false, opt.precision);
  Measurement m8_1 = time_job(spec8_1, cpu1, opt.reps, 1);
  std::fprintf(stderr, "  cpu 8 policies 1 thread: %s path-steps/s (CPU use %.0f%%)\n", fmt_rate(m8_1.rate).c_str(),
               100 * m8_1.utilisation);
  // The same job on the loops compiled for the build's -march alone (what a CPU without AVX-512 runs).
  BackendInfo cpu1_build = cpu1;
  cpu1_build.cpu_isa = CpuIsa::build;
  const bool dispatched = cpu1.cpu_isa != CpuIsa::build;
  std::optional<Measurement> m8_1_build;
  if (dispatched) {
    m8_1_build = time_job(spec8_1, cpu1_build, opt.reps, 1);
    std::fprintf(stderr, "  cpu 8 policies 1 thread, %s loops: %s path-steps/s (CPU use %.0f%%)\n",
                 cpu_isa_name(CpuIsa::build).c_str(), fmt_rate(m8_1_build->rate).c_str(), 100 * m8_1_build->utilisation);
  }
  Measurement m1_1 = time_job(spec1_1, cpu1, opt.reps, 1);
  std::fprintf(stderr, "  cpu 1 policy 1 thread: %s path-steps/s (CPU use %.0f%%)\n", fmt_rate(m1_1.rate).c_str(),
               100 * m1_1.utilisation);
  Measurement m8_all = time_job(spec8_all, cpu_all, opt.reps, threads);
  std::fprintf(stderr, "  cpu 8 policies %u threads: %s path-steps/s (CPU use %.0f%%)\n", threads,
               fmt_rate(m8_all.rate).c_str(), 100 * m8_all.utilisation);
  Measurement m1_all = time_job(spec1_all, cpu_all, opt.reps, threads);
  std::fprintf(stderr, "  cpu 1 policy %u threads: %s path-steps/s (CPU use %.0f%%)\n", threads,
               fmt_rate(m1_all.rate).c_str(), 100 * m1_all.utilisation);

  // Same paths whatever the thread count or the set of policies (common random numbers): the
  // every_step policy's P&L must be bit-identical across all four runs.
  const double es8_1 = m8_1.report.policies.at(1).pnl.mean, es8_all = m8_all.report.policies.at(1).pnl.mean;
  const double es1_1 = m1_1.report.policies.at(0).pnl.mean, es1_all = m1_all.report.policies.at(0).pnl.mean;
  const bool same_paths = es8_1 == es8_all && es8_1 == es1_1 && es8_1 == es1_all;

  std::ostringstream body;
  body << "## CPU backend\n\n";
  Table cpu_table;
  cpu_table.header = {"policies", "paths", "1 thread [path-steps/s]", "1 thread [s]",
                      std::to_string(threads) + " threads [path-steps/s]", std::to_string(threads) + " threads [s]",
                      "scaling", "CPU use 1 / " + std::to_string(threads) + " thr"};
  auto cpu_row = [&](const char* name, const Measurement& one, const Measurement& all) {
    cpu_table.rows.push_back({name, std::to_string(opt.paths), fmt_rate(one.rate), fmt("%.3f", one.seconds),
                              fmt_rate(all.rate), fmt("%.3f", all.seconds), fmt("%.2f×", all.rate / one.rate),
                              fmt("%.0f%%", 100 * one.utilisation) + " / " + fmt("%.0f%%", 100 * all.utilisation)});
  };
  cpu_row("8 (standard case)", m8_1, m8_all);
  cpu_row("1 (every_step)", m1_1, m1_all);
  body << "Loops: " << cpu_isa_name(cpu1.cpu_isa) << " (the fastest variant this build has and this CPU runs; "
       << "every variant gives the same bits, tests/test_cpu_isa.cpp).\n\n"
       << cpu_table.str() << "\n";
  if (m8_1_build) {
    body << "The 1-thread 8-policy job on the loops compiled for the build's -march alone ("
         << cpu_isa_name(CpuIsa::build) << ", what a CPU without AVX-512 runs): " << fmt_rate(m8_1_build->rate)
         << " path-steps/s, " << fmt("%.3f", m8_1_build->seconds) << " s (CPU use "
         << fmt("%.0f%%", 100 * m8_1_build->utilisation) << "); the same per-path bits as the "
         << cpu_isa_name(cpu1.cpu_isa) << " run: "
         << (m8_1_build->report.policies.at(1).pnl.mean == m8_1.report.policies.at(1).pnl.mean ? "yes" : "**NO**")
         << " (every_step's mean P&L).\n\n";
  }
  body
       << "**Policies share the path: time(8 policies) / time(1 policy) = " << fmt("%.2f", m8_1.seconds / m1_1.seconds)
       << " on 1 thread, " << fmt("%.2f", m8_all.seconds / m1_all.seconds) << " on " << threads
       << " threads** (goal < 2).\n\n"
       << "CPU use = process CPU time / (wall time × threads) of the best run; well below 100% means the run "
       << "shared its cores with other work on the machine and its rate is understated. The job's own clock "
       << "(RunReport::elapsed_s) read " << fmt("%.3f", m8_1.job_seconds) << " s of the "
       << fmt("%.3f", m8_1.seconds) << " s 1-thread 8-policy call. The every_step policy's mean P&L is "
       << (same_paths ? "bit-identical" : "**NOT identical**")
       << " across the four runs (1 or 8 policies, 1 or " << threads << " threads): the same paths.\n\n";

  Table pol;
  pol.header = {"policy", "mean P&L [USD]", "std P&L", "VaR 95%", "ES 95%", "mean cost", "mean trades"};
  for (const PolicyResult& p : m8_all.report.policies) {
    pol.rows.push_back({policy_label(p.spec), fmt("%.1f", p.pnl.mean), fmt("%.1f", p.pnl.std),
                        fmt("%.1f", p.pnl.var_95), fmt("%.1f", p.pnl.es_95), fmt("%.1f", p.cost.mean),
                        fmt("%.1f", p.fields[static_cast<unsigned>(PathField::trades)].mean())});
  }
  body << "Results of the " << threads << "-thread 8-policy run (" << opt.paths << " paths; premium "
       << fmt("%.2f", m8_all.report.premiums.at(0)) << " USD at σ = " << kImpliedVol << "), a sanity check that "
       << "every policy ran:\n\n"
       << pol.str() << "\n";

  // ---- QuantLib peer
  body << "## QuantLib peer (Bates path + BlackCalculator greeks + the same policies, one thread)\n\n";
  if (opt.quantlib) {
    QuantLibHedge ql;
    const std::vector<UserPolicy> ql8 = user_policies(true), ql1 = user_policies(false);
    const QuantLibResult pilot = ql.run(std::min<std::uint64_t>(opt.paths, 200), ql8);  // warm-up and sizing
    const std::uint64_t ql_paths = quantlib_paths(opt, pilot.rate, kSteps, 200);
    const QuantLibResult q8 = ql.run(ql_paths, ql8);
    const QuantLibResult q1 = ql.run(ql_paths, ql1);
    std::fprintf(stderr, "  quantlib bates hedge loop: %llu paths, 8 policies %s, 1 policy %s path-steps/s\n",
                 static_cast<unsigned long long>(ql_paths), fmt_rate(q8.rate).c_str(), fmt_rate(q1.rate).c_str());
    body << "QuantLib " << QL_VERSION << " `BatesProcess` (QuadraticExponentialMartingale variance, λ, ν = μ_J, "
         << "δ = σ_J), `MultiPathGenerator<PseudoRandom>` (Mersenne Twister + inverse cumulative normal, dimension "
         << ql.dimension() << " = 4 factors × " << kSteps << "), `TimeGrid(T, " << kSteps << ")`; per path and step: "
         << "interest on the cash accounts, the perpetual's settlement h·ΔS and funding, then one `BlackCalculator` "
         << "(payoff, forward, σ√τ, discount) built for the step, its `delta(spot)` as the target (and `gamma(spot)` "
         << "for Whalley–Wilmott) shared by the policies, each policy's rule as a user would code it, the 5 bps fee "
         << "on the traded notional; at expiry the call's payoff. The same eight policies as ours (a `switch` per "
         << "policy), and separately the every-step policy alone. One thread, " << ql_paths << " paths"
         << quantlib_paths_note(opt, ql_paths) << ": 8 policies " << fmt("%.2f", q8.seconds) << " s, **"
         << fmt_rate(q8.rate) << " path-steps/s** (CPU use " << fmt("%.0f%%", 100 * q8.utilisation)
         << "); every step alone " << fmt("%.2f", q1.seconds) << " s, **" << fmt_rate(q1.rate)
         << " path-steps/s** (CPU use " << fmt("%.0f%%", 100 * q1.utilisation) << ").\n\n";

    Table same;
    same.header = {"policy", "QuantLib mean P&L", "ours mean P&L", "QuantLib std", "ours std", "QuantLib trades",
                   "ours trades"};
    for (std::size_t k = 0; k < q8.policies.size(); ++k) {
      const QuantLibResult::PerPolicy& a = q8.policies[k];
      const PolicyResult& b = m8_all.report.policies.at(k);
      const double b_se = b.pnl.std / std::sqrt(static_cast<double>(opt.paths));
      same.rows.push_back({policy_label(b.spec), fmt("%.1f", a.pnl_mean) + " ± " + fmt("%.1f", a.pnl_se),
                           fmt("%.1f", b.pnl.mean) + " ± " + fmt("%.1f", b_se), fmt("%.1f", a.pnl_std),
                           fmt("%.1f", b.pnl.std), fmt("%.1f", a.trades_mean),
                           fmt("%.1f", b.fields[static_cast<unsigned>(PathField::trades)].mean())});
    }
    body << "Same work on both sides (different random numbers, so agreement is statistical; premium "
         << fmt("%.2f", q8.premium) << " vs " << fmt("%.2f", m8_all.report.premiums.at(0)) << " USD):\n\n"
         << same.str() << "\n";

    Table ratio;
    ratio.header = {"ours", "vs QuantLib", "1 thread [path-steps/s]", "× QuantLib per core",
                    std::to_string(threads) + " threads [path-steps/s]", "× QuantLib",
                    "× QuantLib per hw thread"};
    auto ratio_row = [&](const char* name, const char* peer, const QuantLibResult& q, const Measurement& one,
                         const Measurement& all) {
      ratio.rows.push_back({name, peer, fmt_rate(one.rate), fmt("%.1f", one.rate / q.rate), fmt_rate(all.rate),
                            fmt("%.1f", all.rate / q.rate), fmt("%.1f", all.rate / threads / q.rate)});
    };
    ratio_row("8 policies (standard case)", "8 policies", q8, m8_1, m8_all);
    ratio_row("1 policy (every_step)", "1 policy", q1, m1_1, m1_all);
    ratio_row("8 policies", "1 policy (conservative)", q1, m8_1, m8_all);
    if (m8_1_build) {
      const std::string name = "8 policies, " + cpu_isa_name(CpuIsa::build) + " loops";
      ratio.rows.push_back({name, "8 policies", fmt_rate(m8_1_build->rate), fmt("%.1f", m8_1_build->rate / q8.rate),
                            "", "", ""});
    }
    body << ratio.str() << "\n"
         << "Goal: ≥ 20× per core on the standard case (first row: both sides hedge the eight policies). The last "
         << "row sets our eight policies against QuantLib's single one, a lower bound. Per hw thread = the "
         << threads << "-thread rate / " << threads
         << " hardware threads / QuantLib's 1-thread rate (hardware threads may be SMT siblings).\n\n";
  } else {
    body << "Skipped (--no-quantlib).\n\n";
  }

  // ---- memory
  body << "## Memory (no per-path output)\n\n";
  if (opt.memory) {
    // Two points for the slope: N and N/2. With N a multiple of 2^19 (default 2^20) both runs are whole
    // batches of 2^18 paths, at least two each, so the per-batch buffers (and the previous batch's P&L
    // and cost copies, alive while the next batch is built) are in the intercept, and the slope is the
    // per-path memory only.
    constexpr std::uint64_t kBatch = std::uint64_t{1} << 18;
    const std::uint64_t n1 = opt.mem_paths;
    const std::uint64_t n2 = std::max<std::uint64_t>(1, n1 / 2);
    const MemoryPoint a = measure_memory(n1, opt.precision);
    const MemoryPoint b = measure_memory(n2, opt.precision);
    std::fprintf(stderr, "  memory: %llu paths peak %ld KiB, %llu paths peak %ld KiB\n",
                 static_cast<unsigned long long>(n1), a.peak_kb, static_cast<unsigned long long>(n2), b.peak_kb);
    if (a.ok && b.ok) {
      const double pa = 1024.0 * static_cast<double>(a.peak_kb), pb = 1024.0 * static_cast<double>(b.peak_kb);
      const double slope = (pa - pb) / static_cast<double>(n1 - n2);  // bytes per path
      const double at10m = pa + slope * (kTargetPaths - static_cast<double>(n1));
      const unsigned np = static_cast<unsigned>(policies.size());
      const double kept = 2.0 * np * sizeof(double);  // P&L and cost per path per policy
      const double batch = static_cast<double>(kPathFields) * np * kBatch * sizeof(double);
      // P&L and cost copied out of the batch buffer: the previous batch's two copies and one new one are
      // alive at once while the next batch is copied out.
      const double batch_kept = 1.5 * 2.0 * np * kBatch * sizeof(double);
      const double bound = 1024.0 * static_cast<double>(b.baseline_kb) + batch + batch_kept + (kept + 8) * kTargetPaths;
      Table mem;
      mem.header = {"paths", "threads", "baseline RSS", "peak RSS", "job wall time [s]", "path-steps/s", "CPU use"};
      for (const MemoryPoint* p : {&b, &a}) {
        mem.rows.push_back({std::to_string(p->paths), std::to_string(threads), mib(1024.0 * p->baseline_kb),
                            mib(1024.0 * p->peak_kb), fmt("%.2f", p->seconds),
                            fmt_rate(static_cast<double>(p->paths) * kSteps / p->seconds),
                            fmt("%.0f%%", 100 * p->utilisation)});
      }
      body << "Peak RSS (getrusage ru_maxrss) of a fresh child process running one " << threads
           << "-thread 8-policy job; baseline = its peak before the job (binary, libraries).\n\n"
           << mem.str() << "\n"
           << (n2 < 2 * kBatch || n1 % kBatch != 0 || n2 % kBatch != 0
                   ? "(These runs are not both whole batches of 2^18 paths, at least two each, so the slope also "
                     "carries part of the per-batch buffers: use a multiple of 2^19 of at least 2^20 for --mem-paths.) "
                   : "")
           << "Marginal cost: " << fmt("%.1f", slope) << " bytes per path. **Linear extrapolation (not a "
           << "measurement) to 10M paths: " << mib(at10m) << " = " << fmt("%.2f", at10m / (1 << 30)) << " GiB — "
           << (at10m <= kMemoryGoalBytes ? "within" : "**exceeds**") << " the 2 GB goal.** "
           << "Where it goes (src/jobs/run_job.cpp, src/hedging/backends.cpp): P&L and cost are kept per path "
           << "for every policy for the quantiles, " << fmt("%.0f", kept) << " bytes per path for " << np
           << " policies (" << mib(kept * kTargetPaths) << " at 10M) — the only part that grows with the path "
           << "count; `summarize` copies one policy's P&L at a time (8 bytes per path, " << mib(8 * kTargetPaths)
           << " at 10M, transient). Per batch of 2^18 paths the CPU backend fills a buffer of all " << kPathFields
           << " per-path fields × " << np << " policies (" << mib(batch) << ", freed after the batch) and copies "
           << "P&L and cost out of it (" << mib(batch_kept / 1.5) << " per batch; the previous batch's copies are "
           << "still alive while the next are made, up to " << mib(batch_kept) << "): a fixed "
           << mib(batch + batch_kept) << " whatever the path count. Upper bound from the "
           << "buffer sizes (baseline + " << mib(batch + batch_kept) << " + " << fmt("%.0f", kept + 8)
           << " bytes per path): " << mib(bound) << " = " << fmt("%.2f", bound / (1 << 30)) << " GiB at 10M, "
           << (bound <= kMemoryGoalBytes ? "also within" : "**over**") << " 2 GB.\n\n";
    } else {
      body << "The memory child process failed.\n\n";
    }
  } else {
    body << "Skipped (--no-memory).\n\n";
  }

  // ---- CUDA backend
  const int devices = opt.cuda ? cuda_device_count() : 0;
  if (!cuda_section_skipped(body, opt.cuda, devices)) {
    const BackendInfo gpu = resolve_backend(BackendKind::cuda, 0);
    body << "Device 0: " << cuda_device_name(0) << " (" << devices << " visible), " << opt.gpu_paths
         << " paths per call; the rate includes the device-side reduction of run_hedging_job (moments, sort, "
            "order statistics, histograms). \"kernel [s]\" is the hedging kernel alone (CUDA events, summed over "
            "batches); the rest of \"CUDA [s]\" is reduction, transfers and set-up.\n\n";
    Table g;
    g.header = {"policies", "paths", "CUDA [path-steps/s]", "CUDA [s]", "kernel [s]",
                "× CPU " + std::to_string(threads) + " threads", "every_step mean P&L (CPU run)"};
    for (bool all : {true, false}) {
      const Measurement& c = all ? m8_all : m1_all;
      try {
        const RunSpec spec = make_spec(opt.gpu_paths, 0, all, opt.precision, BackendKind::cuda);
        const Measurement m = time_job(spec, gpu, opt.reps, 1);
        std::fprintf(stderr, "  cuda %s: %s path-steps/s\n", all ? "8 policies" : "1 policy", fmt_rate(m.rate).c_str());
        g.rows.push_back({all ? "8" : "1", std::to_string(opt.gpu_paths), fmt_rate(m.rate), fmt("%.3f", m.seconds),
                          fmt("%.3f", m.report.kernel_s), fmt("%.1f", m.rate / c.rate),
                          fmt("%.1f", m.report.policies.at(all ? 1 : 0).pnl.mean) + " (" +
                              fmt("%.1f", c.report.policies.at(all ? 1 : 0).pnl.mean) + ")"});
      } catch (const std::exception& e) {
        g.rows.push_back({all ? "8" : "1", std::to_string(opt.gpu_paths), "failed", e.what(), "", "", ""});
      }
    }
    body << g.str();
  }
  body << closing_line(t_start, load_start);

  std::cout << body.str() << std::flush;
  return write_markdown("bench_hedging", opt.markdown, "hedgesim hedging-simulation benchmark", head.str(),
                        body.str());
}
