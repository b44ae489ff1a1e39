#pragma once
// The JSON results of the commands (`hedgesim price|run|backtest|optimise --json`, docs/architecture.md, "Command line"), one
// function per report, shared by the CLI and the Python package (python/, docs/python.md) so both give
// the same keys and the same numbers.
#include <nlohmann/json.hpp>

#include "hedgesim/backtest/backtest_job.hpp"
#include "hedgesim/jobs/price_job.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/optimise/optimise_job.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

/// The fields every command's result starts with: version, commit, backend, precision, model, measure,
/// paths, steps, seed and timings.
nlohmann::json run_info_json(const RunInfo& info, const RunSpec& spec, Measure measure);
/// `price --json`: run_info_json and "options".
nlohmann::json price_json(const RunSpec& spec, const PriceReport& report);
/// `run --json`: run_info_json, "premiums" and "policies" (one object per policy).
nlohmann::json run_json(const RunSpec& spec, const RunReport& report);
/// `backtest --json`.
nlohmann::json backtest_json(const RunSpec& spec, const BacktestReport& report);
/// `optimise --json`: run_info_json, the objective, "frontier" and "optimum".
nlohmann::json optimise_json(const RunSpec& spec, const OptimiseReport& report);

}  // namespace hedgesim
