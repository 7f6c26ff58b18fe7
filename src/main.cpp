// kafka-perf-exporter: parse flags → load and validate config → run the daemon, or the `advise`
// subcommand. Nothing else lives here.

#include <cstdio>
#include <exception>
#include <iostream>

#include "app/advise_command.h"
#include "app/app.h"
#include "app/logging.h"
#include "config/flags.h"
#include "config/validate.h"

int main(int argc, char** argv) {
  auto command_line = kpe::config::ParseCommandLine(argc, argv);
  if (command_line.action == kpe::config::CommandLine::Action::kExit) {
    (command_line.exit_code == 0 ? std::cout : std::cerr) << command_line.message;
    return command_line.exit_code;
  }
  std::shared_ptr<const kpe::config::ValidatedConfig> config;
  try {
    config = kpe::config::Validate(std::move(command_line.config));
  } catch (const kpe::config::ConfigError& e) {
    std::cerr << "kafka-perf-exporter: " << e.what() << "\n";
    return 1;
  }
  const bool advise = command_line.command == kpe::config::CommandLine::Command::kAdvise;
  auto log = config->config.log;
  // A one-shot command talks to a person or a pipeline: only warnings and errors, unless asked.
  if (advise && config->config.origins.count("log.level") == 0) log.level = "warn";
  kpe::app::SetUpLogging(log);
  if (advise) {
    try {
      return kpe::app::RunAdvise(config, command_line.advise);
    } catch (const std::exception& e) {
      std::cerr << "kafka-perf-exporter advise: " << e.what() << "\n";
      return 1;
    }
  }
  // A reload reads the config file again and applies the same command line on top of it.
  auto reload = [argc, argv]() {
    auto again = kpe::config::ParseCommandLine(argc, argv);
    if (again.action == kpe::config::CommandLine::Action::kExit) throw kpe::config::ConfigError(again.message);
    return kpe::config::Validate(std::move(again.config));
  };
  try {
    kpe::app::App app(config, reload);
    return app.Run();
  } catch (const std::exception& e) {
    std::cerr << "kafka-perf-exporter: " << e.what() << "\n";
    return 1;
  }
}
