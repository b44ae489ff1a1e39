// Fuzz target: a Deribit option-chain CSV (calibration input), parsed and then filtered with the
// default selection and with one that keeps every currency's window wide open.
// Seed corpus: tests/fuzz/corpus/chain/.
#include "fuzz_target.hpp"
#include "hedgesim/calibration/chain.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace hs = hedgesim;
  const std::string text = hs::fuzz::text_of(data, size);
  hs::fuzz::check([&] {
    const hs::Chain chain = hs::parse_chain(text, "fuzz.csv");
    hs::fuzz::check([&] { hs::select_options(chain, hs::SelectionSpec{}); });
    hs::SelectionSpec wide;
    wide.currency = "ETH";
    wide.min_days = 0.0;
    wide.max_days = 1e4;
    wide.min_moneyness = 1e-3;
    wide.max_moneyness = 1e3;
    hs::fuzz::check([&] { hs::select_options(chain, wide); });
  });
  return 0;
}
