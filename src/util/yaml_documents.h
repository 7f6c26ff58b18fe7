#pragma once
// YAML::LoadAll without yaml-cpp 0.7's endless loop (jbeder/yaml-cpp#1040, fixed upstream after
// 0.8.0): on some malformed streams, e.g. one starting with ',', its parser returns an empty document
// on every call without consuming anything, and LoadAll collects them until memory runs out. Found
// by fuzz/fuzz_config. Header-only: the modules that parse YAML link yaml-cpp themselves.

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <string>
#include <vector>

namespace kpe::util {

/// Every document of `yaml`, as YAML::LoadAll returns them. Throws YAML::ParserException (with the
/// mark where parsing stopped) where YAML::LoadAll would loop forever, and whatever LoadAll throws.
/// Thread-safe (pure).
inline std::vector<YAML::Node> LoadAllYaml(const std::string& yaml) {
  // A first pass that only notes where each document starts: a document starting where the previous
  // one did consumed nothing, so the parser is stuck there.
  class DocumentStarts : public YAML::EventHandler {
   public:
    void OnDocumentStart(const YAML::Mark& mark) override { last = mark; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
    YAML::Mark last = YAML::Mark::null_mark();
  };
  std::istringstream stream(yaml);
  YAML::Parser parser(stream);
  DocumentStarts starts;
  YAML::Mark previous = YAML::Mark::null_mark();
  while (parser.HandleNextDocument(starts)) {
    if (!previous.is_null() && starts.last.pos == previous.pos) {
      throw YAML::ParserException(starts.last, "did not find expected node content");
    }
    previous = starts.last;
  }
  return YAML::LoadAll(yaml);
}

}  // namespace kpe::util
