#pragma once
// Every YAML document of a text, as YAML::LoadAll reads them, but always returning. yaml-cpp 0.7
// (Debian 12) loops forever on some malformed input: a stray character it cannot start a node with
// (`,$imulation: …`, found by tests/fuzz/fuzz_config) ends each "document" without consuming it,
// so LoadAll appends empty documents until memory runs out (jbeder/yaml-cpp#1319, fixed upstream
// after 0.7.0). Host code.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace hedgesim {

/// The documents of `text`. Throws YAML::ParserException (as LoadAll does for a syntax error) at the
/// place where the parser stops making progress, and whatever LoadAll throws otherwise.
std::vector<YAML::Node> load_all_documents(const std::string& text);

}  // namespace hedgesim
