#include "hedgesim/format.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace hedgesim {

std::string format_number(double x) {
  if (std::isfinite(x) && x == std::trunc(x) && std::fabs(x) < 1e15) {
    return std::to_string(static_cast<long long>(x));
  }
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x);
  return std::string(buf.data(), res.ptr);
}

std::string format_derived(double x) {
  std::array<char, 64> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x, std::chars_format::general, 10);
  return std::string(buf.data(), res.ptr);
}

}  // namespace hedgesim
