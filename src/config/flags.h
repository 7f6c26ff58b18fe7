#pragma once
// Command line → Config, with kafka_exporter's flag names. Flags override the YAML file given with
// --config.

#include <string>

#include "config/config.h"

namespace kpe::config {

struct CommandLine {
  enum class Action { kRun, kExit };
  Action action = Action::kRun;
  /// With kExit: 0 for --help/--version, 2 for a usage error, 1 for a config file error.
  int exit_code = 0;
  /// With kExit: what to print (help or version to stdout when exit_code is 0, else to stderr).
  std::string message;
  /// With kRun: the merged configuration, not yet validated.
  Config config;
};

/// Parses argv. Never exits the process and never throws for bad input: errors come back as kExit.
CommandLine ParseCommandLine(int argc, const char* const* argv);

}  // namespace kpe::config
