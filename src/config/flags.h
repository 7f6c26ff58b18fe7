#pragma once
// Command line → Config, with kafka_exporter's flag names. Flags override the YAML file given with
// --config.

#include <string>

#include "config/config.h"

namespace kpe::config {

/// Options of the `advise` subcommand (see app/advise_command.h).
struct AdviseOptions {
  enum class Output { kTable, kJson };
  /// Time between the two collection cycles rates are measured over (--advise.duration).
  Duration duration{30000};
  /// What is printed to stdout (--output=table|json).
  Output output = Output::kTable;
};

struct CommandLine {
  enum class Action { kRun, kExit };
  /// What kRun runs: the daemon (no subcommand) or the one-shot `advise` subcommand.
  enum class Command { kServe, kAdvise };
  Action action = Action::kRun;
  Command command = Command::kServe;
  /// With Command::kAdvise: its options.
  AdviseOptions advise;
  /// With kExit: 0 for --help/--version, 2 for a usage error, 1 for a config file error.
  int exit_code = 0;
  /// With kExit: what to print (help or version to stdout when exit_code is 0, else to stderr).
  std::string message;
  /// With kRun: the merged configuration, not yet validated.
  Config config;
};

/// Parses argv: `[advise [--advise.duration=D] [--output=table|json]] [flags]`; every flag of the daemon is
/// accepted before or after `advise`. Never exits the process and never throws for bad input: errors
/// come back as kExit.
CommandLine ParseCommandLine(int argc, const char* const* argv);

}  // namespace kpe::config
