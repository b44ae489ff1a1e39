#pragma once
// Numbers in messages: one spelling for every InputError that quotes a value (config keys, the
// time grid), so a value reads the same wherever it is reported.
#include <string>

namespace hedgesim {

/// Shortest text that reads back as `x`; whole numbers without an exponent (65000, not 6.5e+04).
std::string format_number(double x);

/// A derived quantity (a step count, a rate per step) for reading, not for copying back: 10
/// significant digits, so 7.9999991999999995 shows as 7.9999992.
std::string format_derived(double x);

}  // namespace hedgesim
