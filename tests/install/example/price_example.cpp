// Prices a config's book with the installed library: load, validate, run the price job, print each
// option's Monte Carlo price and closed form (CTest install_package compares them with the CLI's).
#include <cstdio>
#include <cstdlib>

#include "hedgesim/config.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/jobs/price_job.hpp"
#include "hedgesim/version.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: price_example CONFIG PATHS\n");
    return 2;
  }
  try {
    hedgesim::RunSpec spec = hedgesim::load_config(argv[1]);
    spec.simulation.paths = std::strtoull(argv[2], nullptr, 10);
    hedgesim::validate(spec);
    const hedgesim::BackendInfo cpu = hedgesim::resolve_backend(hedgesim::BackendKind::cpu, 0);
    const hedgesim::PriceReport r = hedgesim::run_price_job(spec, cpu);
    std::printf("hedgesim %s\n", HEDGESIM_VERSION);
    for (const hedgesim::OptionPrice& o : r.options) std::printf("%zu %.17g %.17g\n", o.index, o.mc_price, o.mc_stderr);
  } catch (const hedgesim::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
