#pragma once
// Text helpers of the config reader: name lists, typo distance, and YAML 1.2 scalars read exactly.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace hedgesim::config {

std::string lower(std::string_view s);

/// The candidate closest to `word`, if close enough to be a plausible typo (nearest_name in config.hpp).
std::optional<std::string_view> nearest(std::string_view word, std::span<const std::string_view> candidates);

/// "a, b, c".
std::string join(std::span<const std::string_view> names);
/// "a, b and c" (`last`: "and", "or").
std::string join_last(std::span<const std::string_view> names, std::string_view last);

enum class ScalarStatus { ok, not_a_number, not_finite, out_of_range };

/// YAML 1.2 core-schema decimals (an optional sign, digits, fraction, exponent). `.inf`/`.nan` and
/// overflowing literals are reported as not finite so the message can say so.
ScalarStatus parse_double(std::string_view text, double& out);

/// Unsigned integers, exactly: digits (up to 2^64 − 1), or a number such as 1e6 whose value is a
/// whole number that a double represents exactly (≤ 2^53). Negative values are out of range.
ScalarStatus parse_uint64(std::string_view text, std::uint64_t& out);

}  // namespace hedgesim::config
