#pragma once
// CSV rows for tests that build bad input files from good ones: a row with some fields replaced.
#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hedgesim::test {

/// The comma-separated fields of `line` (no quoting: the test files have none).
inline std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1)
    out.push_back(line.substr(start, comma - start));
  out.push_back(line.substr(start));
  return out;
}

/// `row`, a line under `header`, with the field of each named column set to its value.
inline std::string with_fields(const std::string& header, const std::string& row,
                               std::initializer_list<std::pair<std::string, std::string>> edits) {
  const std::vector<std::string> names = csv_fields(header);
  std::vector<std::string> fields = csv_fields(row);
  for (const auto& [column, value] : edits) {
    const auto at = std::find(names.begin(), names.end(), column);
    if (at == names.end()) throw std::invalid_argument("no column " + column);
    fields.at(static_cast<std::size_t>(at - names.begin())) = value;
  }
  std::string out;
  for (const std::string& f : fields) out += (out.empty() ? "" : ",") + f;
  return out;
}

}  // namespace hedgesim::test
