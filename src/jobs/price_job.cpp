// Monte Carlo pricing of the book: each rank's paths in batches on the chosen backend, the discounted
// payoffs' tile moments folded in path order and merged over the ranks (stats/tile_fold.hpp), so the
// estimate is bit-identical for any thread count, batch size or number of ranks.
#include "hedgesim/jobs/price_job.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>

#include <fmt/format.h>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/grid.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/pricing/analytic.hpp"
#include "hedgesim/stats/tile_fold.hpp"

namespace hedgesim {
namespace {

constexpr std::uint64_t kBatchPaths = std::uint64_t{1} << 20;
static_assert(kBatchPaths % kMomentTile == 0, "batches of whole tiles keep the tiles aligned on the path index");

}  // namespace

PriceReport run_price_job(const RunSpec& spec, const BackendInfo& backend, Collectives& ranks,
                          const ProgressFn& progress) {
  SimulationJob job = make_simulation_job(spec);
  job.measure = Measure::risk_neutral;
  const ModelParams& model = job.model;
  const std::size_t n_opt = spec.book.size();

  // Per option: which recorded column, its discount factor and strike.
  std::vector<unsigned> column(n_opt);
  std::vector<double> discount(n_opt);
  for (std::size_t i = 0; i < n_opt; ++i) {
    const std::uint32_t step = expiry_step(spec.book[i], spec.simulation.steps_per_day);
    column[i] = static_cast<unsigned>(std::find(job.record.step, job.record.step + job.record.count, step) - job.record.step);
    discount[i] = std::exp(-model.rate * spec.book[i].expiry_days / kDaysPerYear);
  }

  const std::uint64_t total = spec.simulation.paths;
  const PathRange mine = rank_paths(total, ranks.rank(), ranks.size());
  std::vector<TileFold> folds(n_opt, TileFold(mine.begin / kMomentTile));
  std::vector<std::uint64_t> non_finite(n_opt, 0);
  TerminalSamples samples;
  std::vector<double> payoffs;
  const auto start = std::chrono::steady_clock::now();
  run_and_agree(ranks, [&] {
    for (std::uint64_t first = mine.begin; first < mine.end; first += kBatchPaths) {
      const PathRange range{first, std::min(mine.end, first + kBatchPaths)};
      const std::size_t n = range.size();
      simulate_terminal(job, range, backend, samples);
      payoffs.resize(n);
      for (std::size_t i = 0; i < n_opt; ++i) {
        const OptionSpec& o = spec.book[i];
        for (std::size_t p = 0; p < n; ++p) {
          const double s_t = model.spot * std::exp(samples.log_return[p * samples.records + column[i]]);
          const double intrinsic = o.type == OptionType::call ? s_t - o.strike : o.strike - s_t;
          payoffs[p] = discount[i] * std::max(intrinsic, 0.0);
          if (!std::isfinite(payoffs[p])) ++non_finite[i];
        }
        folds[i].add_values(payoffs);
      }
      if (progress) progress(range.end - mine.begin, mine.size());
    }
  });
  ranks.sum(non_finite);
  const std::vector<Moments> acc = merge_over_ranks(ranks, folds);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PriceReport report;
  static_cast<RunInfo&>(report) = RunInfo(job, backend, total, elapsed);
  if (!ranks.is_root()) return report;
  const auto stderr_of = [](const Moments& m) { return m.count > 1 ? m.stderr_of_mean() : 0.0; };

  // A NaN price with exit 0 would be taken for a number: a path that broke down fails the job.
  for (std::size_t i = 0; i < n_opt; ++i) {
    if (non_finite[i] == 0 && std::isfinite(acc[i].mean()) && std::isfinite(stderr_of(acc[i]))) continue;
    const OptionSpec& o = spec.book[i];
    throw RuntimeFailure(fmt::format(
        "price: option {} ({} K = {}, {} days): {} of {} simulated payoffs are not finite{}; the {} paths broke "
        "down in {}{}",
        i, to_string(o.type), o.strike, o.expiry_days, non_finite[i], total,
        non_finite[i] == 0 ? " (their mean or standard error overflows)" : "", to_string(model.type),
        to_string(spec.simulation.precision),
        spec.simulation.precision == Precision::float32 ? ": simulate in float64 (simulation.precision: float64)" : ""));
  }

  for (std::size_t i = 0; i < n_opt; ++i) {
    const OptionSpec& o = spec.book[i];
    report.options.push_back({i, o, acc[i].mean(), stderr_of(acc[i]),
                              analytic_price(model, o.type, o.strike, o.expiry_days / kDaysPerYear)});
  }
  return report;
}

}  // namespace hedgesim
