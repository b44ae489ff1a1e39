#pragma once
// Reading a risk pack (docs/cluster.md "Risk packs"): a YAML file that lists books (run configs) and
// stress scenarios, each a set of changes to a book's config. A scenario's changes are made to the
// book's YAML document before it is parsed, so every shocked config goes through the config's own
// parser and validation (config.hpp) with its messages; a message about a value the pack set points
// at the pack's line. Every task is built and validated here, before anything runs: any bad input
// is one InputError (exit 2) naming the pack, the scenario, the book, the key and the value.
//
//   output_dir: ../../results/packs/nightly      # optional; relative to the pack file
//   seeds: common                                # common (default) | distinct
//   overrides: {simulation.paths: 4000}          # optional; every task, before its scenario
//   books:
//     - {name: btc_calls, config: ../btc_short_calls_perp.yaml}   # name: default the file's stem
//   scenarios:                                   # optional; default one scenario, base, no change
//     - {name: base}
//     - name: spot_down_20
//       shocks: {model.spot: {scale: 0.8}}       # also {add: X}, {set: VALUE}, or VALUE itself
//     - name: funding_spike
//       books: [btc_calls]                       # optional; default every book
//       shocks: {hedge.funding.rate: {add: 0.5}}
//
// Keys are dotted paths of the config ("model.vol", "costs.gas.price_gwei", "book[0].strike",
// "book[*].quantity": every element). Tasks: for each book in order, each scenario that applies to
// it, in order; numbered from 0.
#include <optional>
#include <string>

#include "hedgesim/config.hpp"
#include "hedgesim/jobs/pack_job.hpp"

namespace hedgesim {

/// The pack command's flags that change every task (as `run`'s flags change its config).
struct PackFlags {
  SimulationOverrides simulation;  ///< --paths, --seed, --threads
  std::optional<std::string> backend, precision, devices;
  std::optional<std::string> out_dir;  ///< --out-dir (overrides the pack's output_dir)
};

/// Reads the pack at `path` and every book it names, and builds and validates every task.
PackPlan load_pack(const std::string& path, const PackFlags& flags = {});

/// As load_pack, from the pack's text; books' paths are relative to the folder of `source_name`.
PackPlan parse_pack(const std::string& yaml_text, const std::string& source_name, const PackFlags& flags = {});

}  // namespace hedgesim
