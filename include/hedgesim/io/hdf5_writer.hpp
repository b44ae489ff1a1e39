#pragma once
// The `hedgesim run` results file: HDF5, format_version 2 (docs/hdf5.md; every group, dataset and
// attribute is documented in docs/hdf5.md). Host code; HDF5 itself stays out of this header.
#include <string>

#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/optimise/optimise_job.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

/// Value of the root attribute `format_version`; raised whenever a reader would misread a file.
/// 2: /summary's `name` and `type` are string attributes of the dataset, no longer fixed-length string
/// columns of it (1), so that h5py reads them as str (docs/hdf5.md, "Format versions").
inline constexpr int kHdf5FormatVersion = 2;

/// Writes `report` (with `spec`'s provenance) to `path`. The file is written as `path.tmp-<pid>` and
/// renamed onto `path` only when complete, so `path` is never a partial file; on any failure the
/// temporary file is removed and RuntimeFailure names the HDF5 or OS reason (exit code 3); on SIGINT,
/// SIGTERM or SIGHUP it is removed too (write_atomically). Call check_output_writable (atomic_file.hpp)
/// before the run. HDF5's own error printing is silenced for the duration of the call.
void write_run_hdf5(const std::string& path, const RunSpec& spec, const RunReport& report);

/// Writes an `optimise` report: the root attributes of a run file (paths, seed, config, …), /frontier
/// (every evaluated candidate, in and out of sample), /searches (the optimum of each family and level)
/// and /optimum (the chosen point); docs/hdf5.md. Same temporary-name-and-rename rule as write_run_hdf5.
void write_optimise_hdf5(const std::string& path, const RunSpec& spec, const OptimiseReport& report);

}  // namespace hedgesim
