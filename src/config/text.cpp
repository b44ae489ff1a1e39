#include "text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>
#include <vector>

namespace hedgesim::config {
namespace {

/// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent
/// transpositions ("kapa", "kpapa" → "kappa" are one edit away).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Names of three letters or fewer are only matched up to case: one edit turns "gpu" into "cpu",
// which would mislead.
std::optional<std::string_view> nearest(std::string_view word, std::span<const std::string_view> candidates) {
  std::optional<std::string_view> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  const std::string w = lower(word);
  for (std::string_view c : candidates) {
    const std::size_t allowed = c.size() <= 3 ? 0 : std::max<std::size_t>(1, c.size() / 3);
    const std::size_t dist = edit_distance(w, lower(c));
    if (dist <= allowed && dist < best_distance) {
      best = c;
      best_distance = dist;
    }
  }
  return best;
}

std::string join(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string join_last(std::span<const std::string_view> names, std::string_view last) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " " + std::string(last) + " " : ", ";
    out += names[i];
  }
  return out;
}

ScalarStatus parse_double(std::string_view text, double& out) {
  std::string_view t = text;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  const std::string l = lower(t);
  if (l == ".inf" || l == "-.inf" || l == ".nan") return ScalarStatus::not_finite;
  if (t.empty()) return ScalarStatus::not_a_number;
  const auto res = std::from_chars(t.data(), t.data() + t.size(), out, std::chars_format::general);
  if (res.ec == std::errc::result_out_of_range) return ScalarStatus::out_of_range;
  if (res.ec != std::errc() || res.ptr != t.data() + t.size()) return ScalarStatus::not_a_number;
  if (!std::isfinite(out)) return ScalarStatus::not_finite;
  return ScalarStatus::ok;
}

ScalarStatus parse_uint64(std::string_view text, std::uint64_t& out) {
  std::string_view t = text;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (!t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const auto res = std::from_chars(t.data(), t.data() + t.size(), out);
    return res.ec == std::errc() ? ScalarStatus::ok : ScalarStatus::out_of_range;
  }
  double x = 0.0;
  const ScalarStatus s = parse_double(text, x);
  if (s != ScalarStatus::ok) return s;
  if (x < 0.0 || x > 9007199254740992.0) return ScalarStatus::out_of_range;
  if (x != std::trunc(x)) return ScalarStatus::not_a_number;
  out = static_cast<std::uint64_t>(x);
  return ScalarStatus::ok;
}

}  // namespace hedgesim::config
