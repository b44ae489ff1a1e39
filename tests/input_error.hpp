#pragma once
// Catching the InputError of a call, so a test can check that its message names the key, line or
// value at fault (bad input must say what is wrong, not just fail).
#include <string>

#include "hedgesim/errors.hpp"

namespace hedgesim::test {

/// The InputError message of `f`, or "" when it does not throw one.
template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace hedgesim::test
