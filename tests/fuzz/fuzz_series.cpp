// Fuzz target: the backtest's market-data CSVs (hourly prices, funding rates, daily gas prices).
// Two header bytes pick what is read: the first the series kind ('p', 'f' or 'g'; any other byte
// is prices) in lower case for BadData::fail or upper case for skip; the second's bits the read
// options (1: a naive-time offset, of +14 h with 2 and -5 h without; 4: funding and gas read over a
// 2021-2024 span only). The rest is the file. Seed corpus: tests/fuzz/corpus/series/.
#include "fuzz_target.hpp"
#include "hedgesim/backtest/market_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace hs = hedgesim;
  if (size < 2) return 0;
  const unsigned kind_byte = data[0], option_bits = data[1];
  const unsigned letter = kind_byte | 0x20u;
  const hs::SeriesKind kind = letter == 'f' ? hs::SeriesKind::funding
                              : letter == 'g' ? hs::SeriesKind::gas
                                              : hs::SeriesKind::prices;
  hs::ReadOptions options;
  options.on_bad_data = (kind_byte & 0x20u) ? hs::BadData::fail : hs::BadData::skip;
  options.has_naive_offset = (option_bits & 1u) != 0;
  options.naive_utc_offset_hours = (option_bits & 2u) ? 14.0 : -5.0;
  options.has_span = (option_bits & 4u) != 0;
  options.span_from = 1'609'459'200;  // 2021-01-01T00:00Z
  options.span_to = 1'735'689'600;    // 2025-01-01T00:00Z
  const std::string text = hs::fuzz::text_of(data + 2, size - 2);
  hs::fuzz::check([&] { hs::parse_series(text, "fuzz.csv", kind, options); });
  return 0;
}
