#pragma once
// The `hedgesim backtest` results file: the root attributes of a run file (format_version 2) plus the
// /backtest group (docs/hdf5.md). Written as `path.tmp-<pid>` and renamed when complete, as
// write_run_hdf5; failures are RuntimeFailure (exit 3) and leave no file.
#include <string>

#include "hedgesim/backtest/backtest_job.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

void write_backtest_hdf5(const std::string& path, const RunSpec& spec, const BacktestReport& report);

}  // namespace hedgesim
