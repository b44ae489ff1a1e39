#pragma once
// Derivative-free minimisers for the band optimiser (host code). Each works on parameters scaled to the
// unit box [0, 1]^n and evaluates whole batches of points at once, because one batch of candidates is
// one pass over the Monte Carlo paths (common random numbers). All are deterministic for a seed.
#include <cstdint>
#include <functional>
#include <vector>

namespace hedgesim {

/// A candidate's score, ordered lexicographically: any penalty (outside the box, over the cost budget)
/// ranks after every point without one, then the objective value.
struct Fitness {
  double penalty = 0.0;
  double value = 0.0;
  friend bool operator<(const Fitness& a, const Fitness& b) {
    return a.penalty != b.penalty ? a.penalty < b.penalty : a.value < b.value;
  }
};

using Point = std::vector<double>;
/// Scores a batch of points of [0, 1]^n (same order).
using BatchObjective = std::function<std::vector<Fitness>(const std::vector<Point>&)>;

struct SearchSettings {
  std::uint64_t max_evaluations = 300;  ///< points scored, counting every batch member
  double tolerance = 1e-3;              ///< in unit-box coordinates
  unsigned population = 0;              ///< batch size; 0: 4 + ⌊3 ln n⌋, at least 8 (CMA-ES) / 16 (grid)
  std::uint64_t seed = 1;
};

struct SearchResult {
  Point best;
  Fitness best_fitness;
  std::uint64_t evaluations = 0;
  unsigned iterations = 0;  ///< batches
  bool converged = false;   ///< stopped on tolerance, not on the evaluation budget
};

/// CMA-ES (Hansen 2016, "The CMA Evolution Strategy: A Tutorial", (μ/μ_w, λ) with rank-one and rank-μ
/// updates and cumulative step-size adaptation), started at x0 with step σ0. Points outside the box are
/// scored at their projection onto it plus their squared distance from it over σ², times the batch's
/// median absolute deviation of values. Stops
/// when σ·√max diag(C) < tolerance, when the best value has not changed over 10 + ⌈30n/λ⌉ batches by
/// more than 1e-12 relative, or when the next batch would exceed max_evaluations. Samples come from
/// std::mt19937_64(seed) through Box–Muller, so a seed gives the same bits on every run.
SearchResult cma_es(const BatchObjective& f, const Point& x0, double sigma0, const SearchSettings& settings);

/// One-dimensional batched grid refinement on [0, 1]: score `population` equally spaced points
/// (including the ends), shrink to the two grid cells around the best, repeat until the cell is below
/// tolerance or the budget is spent. With `levels` > 1 the parameter takes only the values
/// i/(levels − 1) (whole time steps): once no more than `population` of them are left, each is scored once.
SearchResult grid_search_1d(const BatchObjective& f, const SearchSettings& settings, std::uint64_t levels = 0);

/// Golden-section search for a unimodal f on [lo, hi], one point per evaluation; stops when the bracket
/// is shorter than tolerance·(hi − lo) or after max_evaluations.
SearchResult golden_section(const std::function<double(double)>& f, double lo, double hi, double tolerance,
                            std::uint64_t max_evaluations);

}  // namespace hedgesim
