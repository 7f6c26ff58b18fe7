#pragma once
// YAML → Config. Strict: unknown keys, wrong types and bad values are errors naming the key path,
// the file, the line and the column.

#include <stdexcept>
#include <string>

#include "config/config.h"

namespace kpe::config {

/// A configuration problem. what() is a complete message for the user, e.g.
/// "config.yaml:12:13: collection.interval: invalid duration \"fast\" (expected a whole number
/// and a unit: ms, s, m or h, e.g. 500ms, 15s, 1m, 1h)".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses a duration such as "250ms", "15s", "2m", "1h" (an integer and one unit). Throws
/// std::invalid_argument with a message naming the accepted forms.
Duration ParseDuration(const std::string& text);

/// The built-in defaults with exactly one cluster, as if loaded from an empty mapping.
Config DefaultConfig();

/// Loads `path`. Keys absent from the file keep their defaults. Throws ConfigError, also for a bad
/// regular expression or label name (checked here while the line and column are known).
Config LoadConfigFile(const std::string& path);

/// Same, from text; `source` names it in messages (e.g. the file path).
Config LoadConfigString(const std::string& yaml, const std::string& source);

}  // namespace kpe::config
