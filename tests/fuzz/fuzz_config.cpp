// Fuzz target: a YAML run configuration, parsed and then validated for each command that reads one
// (run, backtest, optimise; `price` uses validate). Seed corpus: tests/fuzz/corpus/config/.
#include "fuzz_target.hpp"
#include "hedgesim/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace hs = hedgesim;
  const std::string text = hs::fuzz::text_of(data, size);
  hs::fuzz::check([&] {
    const hs::RunSpec spec = hs::parse_config(text, "fuzz.yaml");
    hs::fuzz::check([&] { hs::validate(spec); });
    hs::fuzz::check([&] { hs::validate_for_run(spec); });
    hs::fuzz::check([&] { hs::validate_for_backtest(spec); });
    hs::fuzz::check([&] { hs::validate_for_optimise(spec); });
  });
  return 0;
}
