#pragma once
// Small pieces of the messages the strict YAML readers (config file, web config file) write.
// Header-only: the modules that parse YAML link yaml-cpp themselves.

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

namespace kpe::util {

/// "a, b, c": the valid keys of a mapping, for "unknown key (valid keys: ...)".
inline std::string JoinKeys(const std::vector<std::string_view>& keys) {
  std::string out;
  for (const auto& key : keys) out += (out.empty() ? "" : ", ") + std::string(key);
  return out;
}

/// What `node` is, for "expected X, got ...": a scalar as `quote(scalar)`, else "a list", "a mapping"
/// or "nothing".
template <typename Quote>
std::string DescribeYamlNode(const YAML::Node& node, Quote quote) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

}  // namespace kpe::util
