// load_all_documents (io/yaml_load.hpp): a first pass through yaml-cpp's event parser that only
// records where each document starts. Every real document consumes input (a `---` marker or content),
// so a document starting where the previous one started is the stall of jbeder/yaml-cpp#1319, not
// YAML: it is reported there as a syntax error. After that pass LoadAll, fed the same text, returns.
#include "hedgesim/io/yaml_load.hpp"

#include <sstream>

#include <yaml-cpp/eventhandler.h>

namespace hedgesim {
namespace {

struct DocumentStarts final : YAML::EventHandler {
  YAML::Mark last;
  void OnDocumentStart(const YAML::Mark& mark) override { last = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

std::vector<YAML::Node> load_all_documents(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  bool first = true;
  int previous = 0;
  while (parser.HandleNextDocument(starts)) {
    if (!first && starts.last.pos == previous) {
      throw YAML::ParserException(starts.last, "cannot read past this point (a character that cannot begin a YAML node?)");
    }
    first = false;
    previous = starts.last.pos;
  }
  return YAML::LoadAll(text);
}

}  // namespace hedgesim
