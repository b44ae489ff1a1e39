#pragma once
// The contract every parser fuzz target checks (issue 11, docs/testing.md "Fuzzing"): on any input a
// parser returns a value or throws InputError, which the CLI turns into exit 2. Any other exception
// (std::out_of_range, a yaml-cpp exception, RuntimeFailure…) escapes `check` and terminates the
// process, which libFuzzer and the corpus replay report as a crash; so do sanitizer findings,
// signals, and allocations over libFuzzer's -malloc_limit_mb.
#include <cstddef>
#include <cstdint>
#include <string>

#include "hedgesim/errors.hpp"

namespace hedgesim::fuzz {

template <class Parse>
void check(Parse&& parse) {
  try {
    parse();
  } catch (const InputError&) {
    // Rejected with a message: what bad input must get.
  }
}

inline std::string text_of(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace hedgesim::fuzz
