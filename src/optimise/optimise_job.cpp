// Host side of `hedgesim optimise` (optimise/optimise_job.hpp): unit-box points → policies → batched
// hedging passes → risk, cost and objective → CMA-ES / grid search per family and level → out-of-sample.
#include "hedgesim/optimise/optimise_job.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "hedgesim/errors.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/optimise/parameters.hpp"
#include "hedgesim/optimise/search.hpp"

namespace hedgesim {
namespace {

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

double mean_of(const std::vector<double>& x) {
  double s = 0.0;
  for (double v : x) s += v;
  return s / static_cast<double>(x.size());
}

/// Standard error of the mean of block statistics: sd / √B.
double block_se(const std::vector<double>& blocks) {
  if (blocks.size() < 2) return nan();
  const double m = mean_of(blocks);
  double ss = 0.0;
  for (double b : blocks) ss += (b - m) * (b - m);
  return std::sqrt(ss / static_cast<double>(blocks.size() - 1) / static_cast<double>(blocks.size()));
}

CandidateStats stats_of(const std::vector<double>& pnl, const std::vector<double>& cost, double trades_mean,
                        const OptimiseSpec& o) {
  CandidateStats s;
  const std::size_t n = pnl.size();
  s.paths = n;
  s.cost_mean = mean_of(cost);
  s.risk = risk_of(pnl, o.risk, o.level, o.risk_aversion);
  s.pnl_mean = mean_of(pnl);
  double ss = 0.0;
  for (double x : pnl) ss += (x - s.pnl_mean) * (x - s.pnl_mean);
  s.pnl_std = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : nan();
  s.trades_mean = trades_mean;
  if (n >= kMinOptimisePaths) {
    for (unsigned b = 0; b < kErrorBlocks; ++b) {
      const std::size_t lo = n * b / kErrorBlocks, hi = n * (b + 1) / kErrorBlocks;
      std::vector<double> bp(pnl.begin() + lo, pnl.begin() + hi), bc(cost.begin() + lo, cost.begin() + hi);
      s.block_cost.push_back(mean_of(bc));
      s.block_risk.push_back(risk_of(std::move(bp), o.risk, o.level, o.risk_aversion));
    }
    s.cost_se = block_se(s.block_cost);
    s.risk_se = block_se(s.block_risk);
  } else {
    s.cost_se = s.risk_se = nan();
  }
  return s;
}

/// A free parameter's value at unit coordinate u: log-scale parameters geometrically, steps parameters
/// at whole steps of the grid.
double value_at(const ParameterBound& b, ParameterScale scale, double u, double steps_per_day) {
  u = std::clamp(u, 0.0, 1.0);
  switch (scale) {
    case ParameterScale::log:
      return std::exp(std::log(b.lo) + u * (std::log(b.hi) - std::log(b.lo)));
    case ParameterScale::steps: {
      const double h = 24.0 / steps_per_day;
      const double s_lo = std::max(1.0, std::round(b.lo / h)), s_hi = std::max(1.0, std::round(b.hi / h));
      return (s_lo + std::round(u * (s_hi - s_lo))) * h;
    }
    case ParameterScale::linear:
      break;
  }
  return b.lo + u * (b.hi - b.lo);
}

std::uint64_t step_levels(const ParameterBound& b, double steps_per_day) {
  const double h = 24.0 / steps_per_day;
  const double s_lo = std::max(1.0, std::round(b.lo / h)), s_hi = std::max(1.0, std::round(b.hi / h));
  return static_cast<std::uint64_t>(s_hi - s_lo) + 1;
}

/// A CandidateStats as doubles (bit copies) for the ranks' exchange, and back.
void append_stats(const CandidateStats& c, std::vector<double>& out) {
  out.insert(out.end(), {static_cast<double>(c.paths), c.cost_mean, c.cost_se, c.risk, c.risk_se, c.pnl_mean, c.pnl_std,
                         c.trades_mean, static_cast<double>(c.block_cost.size())});
  out.insert(out.end(), c.block_cost.begin(), c.block_cost.end());
  out.insert(out.end(), c.block_risk.begin(), c.block_risk.end());
}
CandidateStats read_stats(const std::vector<double>& in, std::size_t& at) {
  CandidateStats c;
  c.paths = static_cast<std::uint64_t>(in.at(at));
  c.cost_mean = in[at + 1];
  c.cost_se = in[at + 2];
  c.risk = in[at + 3];
  c.risk_se = in[at + 4];
  c.pnl_mean = in[at + 5];
  c.pnl_std = in[at + 6];
  c.trades_mean = in[at + 7];
  const auto blocks = static_cast<std::size_t>(in[at + 8]);
  at += 9;
  c.block_cost.assign(in.begin() + static_cast<std::ptrdiff_t>(at), in.begin() + static_cast<std::ptrdiff_t>(at + blocks));
  at += blocks;
  c.block_risk.assign(in.begin() + static_cast<std::ptrdiff_t>(at), in.begin() + static_cast<std::ptrdiff_t>(at + blocks));
  at += blocks;
  return c;
}

/// Evaluates policies over one set of paths, in passes of at most kMaxPolicies as one process would
/// (candidate k is policy k mod kMaxPolicies of its pass, which keys its execution-failure draws). With
/// several ranks each evaluates a contiguous share of the candidates on all the paths, in the same
/// places of the same passes, and every rank gets every candidate's statistics: the same bits for any
/// number of ranks, and every rank's search takes the same steps.
class Evaluator {
 public:
  Evaluator(const RunSpec& spec, const BackendInfo& backend, Collectives& ranks)
      : spec_(spec), backend_(backend), ranks_(ranks) {
    spec_.output.per_path = false;
    spec_.output.file.clear();
  }

  std::vector<CandidateStats> evaluate(const std::vector<PolicySpec>& policies) {
    const std::size_t n = policies.size(), r = ranks_.rank(), size = ranks_.size();
    // Earlier ranks one more, so rank 0 has candidates whenever there are any.
    const std::size_t lo = (n * r + size - 1) / size, hi = (n * (r + 1) + size - 1) / size;
    std::vector<double> mine;
    run_and_agree(ranks_, [&] {
      for (std::size_t first = lo; first < hi;) {
        const std::size_t last = std::min(hi, (first / kMaxPolicies + 1) * kMaxPolicies);
        RunSpec s = spec_;
        s.policies.assign(policies.begin() + static_cast<std::ptrdiff_t>(first),
                          policies.begin() + static_cast<std::ptrdiff_t>(last));
        for (std::size_t i = 0; i < s.policies.size(); ++i) s.policies[i].name = fmt::format("c{}", (first + i) % kMaxPolicies);
        const PolicyPaths paths = run_hedging_paths(s, backend_, static_cast<unsigned>(first % kMaxPolicies));
        info = paths;
        for (std::size_t i = 0; i < s.policies.size(); ++i) {
          append_stats(stats_of(paths.pnl[i], paths.cost[i],
                                paths.fields[i][static_cast<unsigned>(PathField::trades)].mean(), spec_.optimise),
                       mine);
        }
        first = last;
      }
    });
    passes += (n + kMaxPolicies - 1) / kMaxPolicies;
    std::vector<double> all = ranks_.gather<double>(mine);
    ranks_.broadcast(all);
    std::vector<CandidateStats> out;
    std::size_t at = 0;
    for (std::size_t k = 0; k < n; ++k) out.push_back(read_stats(all, at));
    return out;
  }

  std::uint64_t passes = 0;
  RunInfo info;

 private:
  RunSpec spec_;
  const BackendInfo& backend_;
  Collectives& ranks_;
};

}  // namespace

double risk_of(std::vector<double> x, RiskMeasure risk, double level, double risk_aversion) {
  const std::size_t n = x.size();
  if (n == 0) return nan();
  switch (risk) {
    case RiskMeasure::stdev:
    case RiskMeasure::variance: {
      if (n < 2) return nan();
      const double m = mean_of(x);
      double ss = 0.0;
      for (double v : x) ss += (v - m) * (v - m);
      const double var = ss / static_cast<double>(n - 1);
      return risk == RiskMeasure::variance ? var : std::sqrt(var);
    }
    case RiskMeasure::var:
    case RiskMeasure::es: {
      // VaR: −q_β (type 7), β = 1 − level; ES: Acerbi–Tasche over the sorted tail (stats/summary.hpp).
      const double beta = 1.0 - level;
      const double h = static_cast<double>(n - 1) * beta;
      const double k = static_cast<double>(n) * beta;
      const std::size_t need = std::min(n, static_cast<std::size_t>(std::max(std::floor(h), std::floor(k))) + 2);
      std::partial_sort(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(need), x.end());
      const auto j = static_cast<std::size_t>(std::floor(h));
      const double q = j + 1 < n ? x[j] + (h - std::floor(h)) * (x[j + 1] - x[j]) : x[j];
      if (risk == RiskMeasure::var) return -q;
      const auto kf = static_cast<std::size_t>(std::floor(k));
      double tail = 0.0;
      for (std::size_t i = 0; i < kf; ++i) tail += x[i];
      if (kf < n) tail += (k - std::floor(k)) * x[kf];
      return k > 0.0 ? std::max(-tail / k, -q) : -x[0];
    }
    case RiskMeasure::entropic: {
      // (1/γ)·ln mean e^{−γx}, by log-sum-exp.
      double top = -std::numeric_limits<double>::infinity();
      for (double v : x) top = std::max(top, -risk_aversion * v);
      double s = 0.0;
      for (double v : x) s += std::exp(-risk_aversion * v - top);
      return (top + std::log(s / static_cast<double>(n))) / risk_aversion;
    }
  }
  return nan();
}

namespace {

/// The objective of each block of paths: risk (budget form) or cost + level · risk.
std::vector<double> objective_blocks(const CandidateStats& s, const OptimiseSpec& o, double level) {
  if (o.budget_form) return s.block_risk;
  std::vector<double> blocks(s.block_cost.size());
  for (std::size_t b = 0; b < blocks.size(); ++b) blocks[b] = s.block_cost[b] + level * s.block_risk[b];
  return blocks;
}

}  // namespace

ObjectiveValue objective_at(const CandidateStats& s, const OptimiseSpec& o, double level) {
  ObjectiveValue v;
  v.value = o.budget_form ? s.risk : s.cost_mean + level * s.risk;
  v.feasible = !o.budget_form || s.cost_mean <= level;
  v.se = block_se(objective_blocks(s, o, level));
  return v;
}

namespace {

ChoiceCheck check_choice(const OptimiseReport& report, const OptimiseSpec& o, std::uint64_t paths) {
  ChoiceCheck c;
  const SearchRecord& chosen = report.searches[report.chosen];
  for (std::size_t i = 0; i < report.searches.size(); ++i) {
    const SearchRecord& s = report.searches[i];
    if (!s.chosen_level || s.family == chosen.family || s.objective_in.feasible != chosen.objective_in.feasible) continue;
    if (!c.has_runner_up || s.objective_in.value < report.searches[c.runner_up].objective_in.value) c.runner_up = i;
    c.has_runner_up = true;
  }
  if (!c.has_runner_up) return c;
  const SearchRecord& r = report.searches[c.runner_up];
  const CandidateStats& a = report.in_sample[report.rows[chosen.best_row].stats];
  const CandidateStats& b = report.in_sample[report.rows[r.best_row].stats];
  const std::vector<double> ba = objective_blocks(a, o, chosen.level), bb = objective_blocks(b, o, r.level);
  std::vector<double> diff(ba.size());
  for (std::size_t k = 0; k < diff.size(); ++k) diff[k] = bb[k] - ba[k];
  c.difference = r.objective_in.value - chosen.objective_in.value;
  c.difference_se = block_se(diff);
  c.distinguishable = std::fabs(c.difference) > 2.0 * c.difference_se;
  if (!c.distinguishable) {
    // The standard error falls like 1/√paths: 2·se·√(n/n') = |difference| at n'.
    const double ratio = c.difference != 0.0 ? 2.0 * c.difference_se / std::fabs(c.difference) : 1e6;
    c.paths_needed = static_cast<std::uint64_t>(std::ceil(static_cast<double>(paths) * std::min(ratio * ratio, 1e12)));
  }
  return c;
}

}  // namespace

OptimiseReport run_optimise_job(const RunSpec& spec, const BackendInfo& backend, Collectives& ranks,
                                const ProgressFn& progress) {
  const OptimiseSpec& o = spec.optimise;
  if (o.families.empty()) throw InputError("the optimise command needs an optimise section with at least one family");
  if (spec.simulation.paths < kMinOptimisePaths) {
    throw InputError(fmt::format("simulation.paths (or --paths) = {}: optimise needs at least {} paths (10 in each of "
                                 "the {} blocks its standard errors are computed from)",
                                 spec.simulation.paths, kMinOptimisePaths, kErrorBlocks));
  }
  if (o.oos_paths != 0 && o.oos_paths < kMinOptimisePaths) {
    throw InputError(fmt::format("optimise.out_of_sample.paths = {}: must be at least {} (10 in each of the {} blocks "
                                 "its standard errors are computed from), or left out to use simulation.paths",
                                 o.oos_paths, kMinOptimisePaths, kErrorBlocks));
  }
  const double spd = spec.simulation.steps_per_day;
  OptimiseReport report;

  // Levels: the chosen one and the frontier sweep, ascending, each searched per family.
  const double chosen_level = o.budget_form ? o.cost_budget : o.lambda;
  std::vector<double> levels = o.frontier;
  levels.push_back(chosen_level);
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());

  // A budget below one batch would evaluate nothing: say so before simulating anything.
  for (const FamilySpec& fam : o.families) {
    const std::size_t n = fam.free.size();
    const std::uint64_t batch =
        n == 1 ? 2 : (o.population >= 2 ? o.population
                                        : std::max<std::uint64_t>(8, 4 + static_cast<std::uint64_t>(std::floor(3.0 * std::log(double(n))))));
    if (o.max_evaluations < batch) {
      throw InputError(fmt::format("optimise.search.max_evaluations = {} is smaller than one batch of family '{}' ({} "
                                   "candidates with {} free parameters): raise it or lower optimise.search.population",
                                   o.max_evaluations, fam.name, batch, n));
    }
  }

  Evaluator in_sample(spec, backend, ranks);
  std::map<std::pair<unsigned, std::vector<double>>, std::size_t> cache;  // (family, values) → in_sample index
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t total_searches = o.families.size() * levels.size();

  for (unsigned fi = 0; fi < o.families.size(); ++fi) {
    const FamilySpec& fam = o.families[fi];
    std::vector<ParameterScale> scales;
    for (const ParameterBound& b : fam.free) scales.push_back(find_parameter(fam.base.type, b.name)->scale);
    Point warm;
    for (double level : levels) {
      const unsigned search_index = static_cast<unsigned>(report.searches.size());
      SearchRecord rec;
      rec.family = fi;
      rec.level = level;
      rec.chosen_level = level == chosen_level;
      const std::size_t first_row = report.rows.size();

      const BatchObjective f = [&](const std::vector<Point>& points) {
        std::vector<std::vector<double>> values(points.size());
        std::vector<PolicySpec> todo;
        std::vector<std::vector<double>> todo_values;
        for (std::size_t k = 0; k < points.size(); ++k) {
          for (std::size_t i = 0; i < fam.free.size(); ++i)
            values[k].push_back(value_at(fam.free[i], scales[i], points[k][i], spd));
          const auto key = std::make_pair(fi, values[k]);
          if (cache.contains(key) ||
              std::find(todo_values.begin(), todo_values.end(), values[k]) != todo_values.end())
            continue;
          todo_values.push_back(values[k]);
          todo.push_back(family_policy(fam, values[k], spd, "c"));
        }
        const std::uint64_t pass = in_sample.passes;
        const std::vector<CandidateStats> stats = in_sample.evaluate(todo);
        for (std::size_t t = 0; t < todo.size(); ++t) {
          cache[{fi, todo_values[t]}] = report.in_sample.size();
          report.in_sample.push_back(stats[t]);
        }
        std::vector<Fitness> out;
        for (std::size_t k = 0; k < points.size(); ++k) {
          CandidateRow row;
          row.family = fi;
          row.search = search_index;
          row.pass = static_cast<unsigned>(pass);
          row.values = values[k];
          row.policy = family_policy(fam, values[k], spd, fam.name);
          row.stats = cache.at({fi, values[k]});
          row.objective = objective_at(report.in_sample[row.stats], o, level);
          const CandidateStats& s = report.in_sample[row.stats];
          Fitness fit{0.0, row.objective.value};
          if (!row.objective.feasible) fit.penalty = (s.cost_mean - level) / level;
          if (!std::isfinite(fit.value)) fit.penalty = std::numeric_limits<double>::infinity();
          out.push_back(fit);
          report.rows.push_back(std::move(row));
        }
        return out;
      };

      SearchSettings settings{o.max_evaluations, o.tolerance, o.population, o.seed + search_index};
      SearchResult result;
      if (fam.free.size() == 1) {
        const std::uint64_t n_levels = scales[0] == ParameterScale::steps ? step_levels(fam.free[0], spd) : 0;
        result = grid_search_1d(f, settings, n_levels);
        rec.method = "grid";
      } else {
        const Point x0 = warm.empty() ? Point(fam.free.size(), 0.5) : warm;
        result = cma_es(f, x0, warm.empty() ? 0.3 : 0.2, settings);
        rec.method = "cma-es";
      }
      if (report.rows.size() == first_row) {
        throw InputError(fmt::format("optimise.search.max_evaluations = {} is too small for family '{}': a batch of "
                                     "candidates did not fit",
                                     o.max_evaluations, fam.name));
      }
      warm = result.best;
      rec.evaluations = result.evaluations;
      rec.iterations = result.iterations;
      rec.converged = result.converged;
      // The best row of this search (ties: the first evaluated).
      std::size_t best = first_row;
      auto fitness_of = [&](const CandidateRow& r) {
        const CandidateStats& s = report.in_sample[r.stats];
        Fitness fit{r.objective.feasible ? 0.0 : (s.cost_mean - level) / level, r.objective.value};
        if (!std::isfinite(fit.value)) fit.penalty = std::numeric_limits<double>::infinity();
        return fit;
      };
      for (std::size_t r = first_row; r < report.rows.size(); ++r) {
        if (fitness_of(report.rows[r]) < fitness_of(report.rows[best])) best = r;
      }
      rec.best_row = best;
      rec.objective_in = report.rows[best].objective;
      report.searches.push_back(std::move(rec));
      if (progress) progress(report.searches.size(), total_searches);
    }
  }
  report.search_elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.passes = in_sample.passes;
  report.unique_candidates = report.in_sample.size();
  report.candidates_per_s = report.search_elapsed_s > 0 ? report.unique_candidates / report.search_elapsed_s : 0.0;
  static_cast<RunInfo&>(report) = in_sample.info;
  report.elapsed_s = report.search_elapsed_s;

  // The answer: the best family at the chosen level (feasible first in the budget form).
  bool have = false;
  for (std::size_t i = 0; i < report.searches.size(); ++i) {
    const SearchRecord& s = report.searches[i];
    if (!s.chosen_level) continue;
    const ObjectiveValue& v = s.objective_in;
    const ObjectiveValue& c = report.searches[report.chosen].objective_in;
    // Both over the budget: the cheaper one is nearer to it.
    const double v_key = v.feasible || !o.budget_form ? v.value : report.in_sample[report.rows[s.best_row].stats].cost_mean;
    const double c_key = c.feasible || !o.budget_form
                             ? c.value
                             : report.in_sample[report.rows[report.searches[report.chosen].best_row].stats].cost_mean;
    if (!have || (v.feasible && !c.feasible) || (v.feasible == c.feasible && v_key < c_key)) {
      report.chosen = i;
      have = true;
    }
  }
  report.choice = check_choice(report, o, spec.simulation.paths);
  if (report.choice.has_runner_up && !report.choice.distinguishable) {
    const ChoiceCheck& c = report.choice;
    const SearchRecord &a = report.searches[report.chosen], &b = report.searches[c.runner_up];
    report.warnings.push_back(fmt::format(
        "the chosen family '{}' and the runner-up '{}' differ by {:.6g} +- {:.3g} in the objective on the same {} "
        "paths (less than 2 standard errors of the difference): the choice between them is not resolved; about {} "
        "paths would resolve a difference this size",
        o.families[a.family].name, o.families[b.family].name, c.difference, c.difference_se, spec.simulation.paths,
        c.paths_needed));
  }
  if (o.budget_form && !report.searches[report.chosen].objective_in.feasible) {
    report.warnings.push_back(fmt::format(
        "no candidate of any family kept the mean cost within the budget of {:.6g} USD; the chosen point is the "
        "cheapest found and does not meet the budget",
        o.cost_budget));
  }

  // Out of sample: every search's optimum on fresh paths, in one set of passes.
  RunSpec oos = spec;
  oos.simulation.seed = o.oos_seed != 0 ? o.oos_seed : spec.simulation.seed + 1;
  oos.simulation.paths = o.oos_paths != 0 ? o.oos_paths : spec.simulation.paths;
  report.oos_seed = oos.simulation.seed;
  report.oos_paths = oos.simulation.paths;
  std::vector<PolicySpec> optima;
  std::vector<std::size_t> optimum_of(report.searches.size());
  std::map<std::size_t, std::size_t> by_stats;
  for (std::size_t i = 0; i < report.searches.size(); ++i) {
    const CandidateRow& r = report.rows[report.searches[i].best_row];
    const auto [it, inserted] = by_stats.emplace(r.stats, optima.size());
    if (inserted) optima.push_back(r.policy);
    optimum_of[i] = it->second;
  }
  const auto oos_start = std::chrono::steady_clock::now();
  Evaluator out_of_sample(oos, backend, ranks);
  const std::vector<CandidateStats> oos_stats = out_of_sample.evaluate(optima);
  report.oos_elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - oos_start).count();
  for (std::size_t i = 0; i < report.searches.size(); ++i) {
    SearchRecord& s = report.searches[i];
    s.out_of_sample = oos_stats[optimum_of[i]];
    s.objective_out = objective_at(s.out_of_sample, o, s.level);
    const double se = std::hypot(s.objective_in.se, s.objective_out.se);
    s.difference_z = se > 0 ? (s.objective_out.value - s.objective_in.value) / se : nan();
    if (std::isfinite(s.difference_z) && std::fabs(s.difference_z) > 3.0) {
      report.warnings.push_back(fmt::format(
          "family '{}' at {} = {:.6g}: out-of-sample objective {:.6g} differs from in-sample {:.6g} by {:.1f} standard "
          "errors of the difference (more than 3): the optimum may be fitted to the in-sample paths; use more paths",
          o.families[s.family].name, o.budget_form ? "budget" : "lambda", s.level, s.objective_out.value,
          s.objective_in.value, s.difference_z));
    }
  }
  return report;
}

}  // namespace hedgesim
