#pragma once
// `hedgesim pack PACK.yaml`: run a risk pack's (book, scenario) tasks, one HDF5 file each and one
// index.csv (docs/cluster.md "Risk packs"); --list, --task I and --merge-index for a Slurm job array
// (scripts/slurm/pack_array.sbatch). Kept apart from main.cpp, which only registers it and maps
// exceptions to exit codes.
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "hedgesim/stats/collectives.hpp"

#include "hedgesim/config/pack.hpp"

namespace hedgesim::cli {

struct PackCommandFlags {
  std::string pack;
  PackFlags pack_flags;
  bool list = false;
  std::optional<std::string> task;  ///< as typed: checked against the pack's task count
  bool merge_index = false;
  std::string command_line;  ///< the whole command, for every task's results file
};

/// Adds the subcommand and its flags to `app`.
CLI::App* add_pack_command(CLI::App& app, PackCommandFlags& flags);

/// Runs it: 0 when every task ran (or merged) ok; 3 when one failed or, merging, is missing (the index
/// is written all the same, saying which); throws InputError for bad input, before anything runs.
int run_pack(const PackCommandFlags& flags, Collectives& ranks);

}  // namespace hedgesim::cli
