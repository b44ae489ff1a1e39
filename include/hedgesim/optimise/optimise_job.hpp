#pragma once
// `hedgesim optimise`: choose the free parameters of each policy family by mean cost versus risk of the
// hedged P&L, for the chosen λ (or cost budget) and a sweep of them (the efficient frontier), then
// re-evaluate every optimum on fresh paths (docs/optimise.md).
//
// Candidates are evaluated as extra policies of one hedging pass over the same paths (common random
// numbers, up to kMaxPolicies per pass), so the objective is a deterministic function of the
// parameters for a seed and differences between candidates carry far less noise than their levels.
// Standard errors are batch means over kErrorBlocks equal blocks of paths (path order), which serves
// every risk measure alike, VaR, ES and entropic risk included.
#include <cstdint>
#include <string>
#include <vector>

#include "hedgesim/engine/job.hpp"
#include "hedgesim/jobs/price_job.hpp"
#include "hedgesim/spec.hpp"
#include "hedgesim/stats/collectives.hpp"

namespace hedgesim {

constexpr unsigned kErrorBlocks = 20;
/// Fewest paths of a run (in or out of sample): 10 in each error block. Below it the standard errors
/// are undefined, and an optimiser that cannot tell a difference from noise must not report one.
constexpr std::uint64_t kMinOptimisePaths = 10 * kErrorBlocks;

/// Risk of a P&L sample (USD; RiskMeasure in spec.hpp), from its values in any order.
double risk_of(std::vector<double> pnl, RiskMeasure risk, double level, double risk_aversion);

/// A candidate's statistics on one set of paths, with batch-means blocks for standard errors.
struct CandidateStats {
  std::uint64_t paths = 0;
  double cost_mean = 0.0, cost_se = 0.0;  ///< USD
  double risk = 0.0, risk_se = 0.0;       ///< USD (variance: USD²)
  double pnl_mean = 0.0, pnl_std = 0.0;   ///< USD
  double trades_mean = 0.0;
  std::vector<double> block_cost, block_risk;  ///< per block of paths
};

/// Objective at one level of the sweep: mean cost + λ·risk, or (budget form) risk, with the standard
/// error of the same combination over the blocks.
struct ObjectiveValue {
  double value = 0.0;
  double se = 0.0;
  bool feasible = true;  ///< budget form: mean cost <= budget
};
ObjectiveValue objective_at(const CandidateStats& s, const OptimiseSpec& o, double level);

/// One evaluation by a search: a point, its policy and its in-sample statistics (and out-of-sample ones
/// for each search's optimum).
struct CandidateRow {
  unsigned family = 0;
  unsigned search = 0;  ///< index into OptimiseReport::searches
  unsigned pass = 0;    ///< the pass over the paths that evaluated it (cache hits: the first one)
  std::vector<double> values;  ///< free parameters (FamilySpec::free order), as evaluated
  PolicySpec policy;
  std::size_t stats = 0;  ///< index into OptimiseReport::in_sample
  ObjectiveValue objective;
};

struct SearchRecord {
  unsigned family = 0;
  double level = 0.0;  ///< λ (penalty form) or cost budget (USD)
  bool chosen_level = false;  ///< objective.lambda / objective.cost_budget
  std::size_t best_row = 0;
  std::uint64_t evaluations = 0;
  unsigned iterations = 0;
  bool converged = false;
  std::string method;  ///< cma-es | grid
  CandidateStats out_of_sample;
  ObjectiveValue objective_in, objective_out;
  double difference_z = 0.0;  ///< (out − in) / √(se_in² + se_out²)
};

/// Whether the chosen point is told apart from the runner-up: the best search of another family at the
/// chosen level (of the same feasibility in the budget form). Both were evaluated on the same paths, so
/// the standard error of their difference comes from the difference of their block objectives, far
/// smaller than either's own.
struct ChoiceCheck {
  bool has_runner_up = false;
  std::size_t runner_up = 0;       ///< index into searches
  double difference = 0.0;         ///< runner-up's in-sample objective − the chosen one's
  double difference_se = 0.0;      ///< standard error of `difference` (batch means over common blocks)
  bool distinguishable = true;     ///< |difference| > 2 · difference_se
  std::uint64_t paths_needed = 0;  ///< in-sample paths that would make 2 · se = |difference|; 0 when distinguishable
};

struct OptimiseReport : RunInfo {
  std::vector<CandidateStats> in_sample;  ///< unique candidates
  std::vector<CandidateRow> rows;         ///< every evaluation, search by search
  std::vector<SearchRecord> searches;
  std::size_t chosen = 0;  ///< the search whose optimum is the answer (best family at the chosen level)
  ChoiceCheck choice;      ///< the chosen search against the runner-up
  std::uint64_t passes = 0;
  std::uint64_t unique_candidates = 0;
  double search_elapsed_s = 0.0;     ///< in-sample evaluation and search
  double candidates_per_s = 0.0;     ///< unique candidates / search_elapsed_s
  std::uint64_t oos_seed = 0, oos_paths = 0;
  double oos_elapsed_s = 0.0;
  std::vector<std::string> warnings;
};

/// The optimisation over `ranks`: every rank runs the same search; each evaluates its share of every
/// batch of candidates on all the paths (Evaluator, optimise_job.cpp). The report is the same bits on
/// every rank and for any number of ranks (but the elapsed times).
OptimiseReport run_optimise_job(const RunSpec& spec, const BackendInfo& backend, Collectives& ranks,
                                const ProgressFn& progress = {});
/// The optimisation in one process.
inline OptimiseReport run_optimise_job(const RunSpec& spec, const BackendInfo& backend, const ProgressFn& progress = {}) {
  SoloCollectives solo;
  return run_optimise_job(spec, backend, solo, progress);
}

}  // namespace hedgesim
