// Monte Carlo pricing of the book: paths in batches on the chosen backend, discounted payoffs reduced
// on the host in path order (Welford), so the estimate is bit-identical for any thread count.
#include "hedgesim/jobs/price_job.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "hedgesim/engine/backends.hpp"
#include "hedgesim/engine/grid.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/pricing/analytic.hpp"

namespace hedgesim {
namespace {

constexpr std::uint64_t kBatchPaths = std::uint64_t{1} << 20;

struct Welford {
  std::uint64_t n = 0;
  double mean = 0.0;
  double m2 = 0.0;
  void add(double x) {
    ++n;
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
  }
  double stderr_of_mean() const { return n > 1 ? std::sqrt(m2 / static_cast<double>(n - 1) / static_cast<double>(n)) : 0.0; }
};

}  // namespace

PriceReport run_price_job(const RunSpec& spec, const BackendInfo& backend, const ProgressFn& progress) {
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
  std::vector<Welford> acc(n_opt);
  std::vector<std::uint64_t> non_finite(n_opt, 0);
  TerminalSamples samples;
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t first = 0; first < total; first += kBatchPaths) {
    const PathRange range{first, std::min(total, first + kBatchPaths)};
    simulate_terminal(job, range, backend, samples);
    for (std::uint64_t p = 0; p < range.size(); ++p) {
      const double* row = samples.log_return.data() + p * samples.records;
      for (std::size_t i = 0; i < n_opt; ++i) {
        const OptionSpec& o = spec.book[i];
        const double s_t = model.spot * std::exp(row[column[i]]);
        const double intrinsic = o.type == OptionType::call ? s_t - o.strike : o.strike - s_t;
        const double payoff = discount[i] * std::max(intrinsic, 0.0);
        if (!std::isfinite(payoff)) ++non_finite[i];
        acc[i].add(payoff);
      }
    }
    if (progress) progress(range.end, total);
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // A NaN price with exit 0 would be taken for a number: a path that broke down fails the job.
  for (std::size_t i = 0; i < n_opt; ++i) {
    if (non_finite[i] == 0 && std::isfinite(acc[i].mean) && std::isfinite(acc[i].stderr_of_mean())) continue;
    const OptionSpec& o = spec.book[i];
    throw RuntimeFailure(fmt::format(
        "price: option {} ({} K = {}, {} days): {} of {} simulated payoffs are not finite{}; the {} paths broke "
        "down in {}{}",
        i, to_string(o.type), o.strike, o.expiry_days, non_finite[i], total,
        non_finite[i] == 0 ? " (their mean or standard error overflows)" : "", to_string(model.type),
        to_string(spec.simulation.precision),
        spec.simulation.precision == Precision::float32 ? ": simulate in float64 (simulation.precision: float64)" : ""));
  }

  PriceReport report;
  static_cast<RunInfo&>(report) = RunInfo(job, backend, total, elapsed);
  for (std::size_t i = 0; i < n_opt; ++i) {
    const OptionSpec& o = spec.book[i];
    report.options.push_back({i, o, acc[i].mean, acc[i].stderr_of_mean(),
                              analytic_price(model, o.type, o.strike, o.expiry_days / kDaysPerYear)});
  }
  return report;
}

}  // namespace hedgesim
