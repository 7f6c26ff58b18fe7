#include "config/flags.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "build_info.h"
#include "config/loader.h"

namespace kpe::config {
namespace {

constexpr const char* kProgram = "kafka-perf-exporter";

CommandLine Exit(int exit_code, std::string message) {
  CommandLine result;
  result.action = CommandLine::Action::kExit;
  result.exit_code = exit_code;
  result.message = std::move(message);
  return result;
}

CommandLine UsageError(const std::string& message) {
  return Exit(2, std::string(kProgram) + ": " + message + "\nRun with --help for usage.\n");
}

// The flags, bound to plain variables; only those given explicitly are applied to the Config.
struct Flags {
  std::string config_file;
  std::vector<std::string> servers;
  std::string listen_address;
  std::string telemetry_path;
  std::string web_config_file;
  bool enable_lifecycle = false;
  std::string topic_filter;
  std::string topic_exclude;
  std::string group_filter;
  std::string group_exclude;
  std::vector<std::string> static_groups;
  std::vector<std::string> labels;
  std::string log_level;
  std::string log_format;
  std::string collection_interval;
  std::string shard_index;
  int shard_count = 1;
  std::string adaptive_sampling;
  std::string cache;
  std::string cluster_name;
  bool demo = false;
  bool version = false;
  std::string advise_duration;
  std::string advise_output = "table";
};

const CLI::Validator kLabelPair(
    [](std::string& item) -> std::string {
      const auto equals = item.find('=');
      if (equals == std::string::npos || equals == 0) {
        return "invalid label \"" + item + "\" (expected NAME=VALUE[,NAME=VALUE...])";
      }
      return {};
    },
    "", "label");

const CLI::Validator kDuration(
    [](std::string& text) -> std::string {
      try {
        ParseDuration(text);
      } catch (const std::invalid_argument& e) {
        return e.what();
      }
      return {};
    },
    "", "duration");

// A StatefulSet pod's ordinal: the number after the last '-' of its host name ("kpe-3" → 3).
std::optional<int> OrdinalFromHostname(const char* hostname) {
  if (hostname == nullptr) return std::nullopt;
  const std::string name = hostname;
  const auto dash = name.rfind('-');
  if (dash == std::string::npos || dash + 1 == name.size()) return std::nullopt;
  int ordinal = 0;
  const auto [end, ec] = std::from_chars(name.data() + dash + 1, name.data() + name.size(), ordinal);
  if (ec != std::errc() || end != name.data() + name.size()) return std::nullopt;
  return ordinal;
}

// Returns a usage error, or "" when the flags were applied.
std::string Apply(const CLI::App& app, const Flags& flags, Config& config) {
  const auto given = [&app](const char* name) { return app.get_option(name)->count() > 0; };
  if (config.clusters.size() > 1) {
    for (const char* flag : {"--kafka.server", "--kafka.labels", "--kafka.cluster-name", "--topic.filter",
                             "--topic.exclude", "--group.filter", "--group.exclude", "--group.static"}) {
      if (given(flag)) {
        return std::string(flag) + " sets the one cluster's value, but the config file defines " +
               std::to_string(config.clusters.size()) + " clusters: set it per cluster under clusters:";
      }
    }
  }
  if (given("--shard.index")) {
    if (flags.shard_index == "auto") {
      const auto ordinal = OrdinalFromHostname(std::getenv("HOSTNAME"));
      if (!ordinal) {
        return "--shard.index=auto: cannot read a StatefulSet ordinal from HOSTNAME (expected NAME-N)";
      }
      config.shard.index = *ordinal;
    } else {
      int index = 0;
      const auto& text = flags.shard_index;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return "--shard.index: invalid value \"" + text + "\" (expected a number or auto)";
      }
      config.shard.index = index;
    }
    config.origins["shard.index"] = "--shard.index";
  }
  if (given("--shard.count")) {
    config.shard.count = flags.shard_count;
    config.origins["shard.count"] = "--shard.count";
  }
  const auto set = [&](const char* flag, const char* path, std::string& target,
                       const std::string& value) {
    if (!given(flag)) return;
    target = value;
    config.origins[path] = flag;
  };
  ClusterConfig& cluster = config.clusters.front();
  set("--web.listen-address", "web.listen_address", config.web.listen_address,
      flags.listen_address);
  set("--web.telemetry-path", "web.telemetry_path", config.web.telemetry_path,
      flags.telemetry_path);
  set("--web.config.file", "web.config_file", config.web.config_file, flags.web_config_file);
  if (given("--web.enable-lifecycle")) {
    config.web.enable_lifecycle = flags.enable_lifecycle;
    config.origins["web.enable_lifecycle"] = "--web.enable-lifecycle";
  }
  set("--topic.filter", "topics.filter", cluster.topics.filter, flags.topic_filter);
  set("--topic.exclude", "topics.exclude", cluster.topics.exclude, flags.topic_exclude);
  set("--group.filter", "groups.filter", cluster.groups.filter, flags.group_filter);
  set("--group.exclude", "groups.exclude", cluster.groups.exclude, flags.group_exclude);
  set("--log.level", "log.level", config.log.level, flags.log_level);
  set("--log.format", "log.format", config.log.format, flags.log_format);
  set("--kafka.cluster-name", "kafka.cluster_name", cluster.name, flags.cluster_name);
  if (given("--collection.interval")) {
    config.collection.interval = ParseDuration(flags.collection_interval);
    config.origins["collection.interval"] = "--collection.interval";
  }
  if (given("--collection.adaptive-sampling")) {
    config.collection.adaptive_sampling = flags.adaptive_sampling == "true";
    config.origins["collection.adaptive_sampling"] = "--collection.adaptive-sampling";
  }
  if (given("--collection.cache")) {
    config.collection.cache = flags.cache == "true";
    config.origins["collection.cache"] = "--collection.cache";
  }
  if (given("--demo")) config.demo = flags.demo;
  // List flags replace the file's list rather than extending it: the command line says it all.
  if (given("--kafka.server")) {
    cluster.servers = flags.servers;
    std::erase_if(config.origins,
                  [](const auto& entry) { return entry.first.starts_with("kafka.servers"); });
    for (std::size_t i = 0; i < cluster.servers.size(); ++i) {
      config.origins["kafka.servers[" + std::to_string(i) + "]"] = "--kafka.server";
    }
  }
  if (given("--group.static")) {
    cluster.static_groups = flags.static_groups;
    config.origins["groups.static"] = "--group.static";
  }
  if (given("--kafka.labels")) {
    cluster.labels.clear();
    std::erase_if(config.origins,
                  [](const auto& entry) { return entry.first.starts_with("kafka.labels."); });
    for (const std::string& item : flags.labels) {
      const auto equals = item.find('=');
      const std::string name = item.substr(0, equals);
      cluster.labels[name] = item.substr(equals + 1);
      config.origins["kafka.labels." + name] = "--kafka.labels";
    }
  }
  return "";
}

}  // namespace

CommandLine ParseCommandLine(int argc, const char* const* argv) {
  Flags flags;
  CLI::App app(
      "Prometheus exporter for Apache Kafka: broker, topic, partition and consumer group "
      "metrics.\nFlags given explicitly override the file given with --config.",
      kProgram);
  app.get_formatter()->column_width(44);
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  app.add_option("--config", flags.config_file, "YAML configuration file (default: none)")
      ->type_name("FILE");
  app.add_option("--kafka.server", flags.servers,
                 "Kafka bootstrap server; repeatable, or comma-separated; replaces the file's list "
                 "(default: none)")
      ->type_name("HOST:PORT")
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--kafka.labels", flags.labels,
                 "Constant labels on every series; replaces the file's labels (default: none)")
      ->type_name("NAME=VALUE,...")
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->check(kLabelPair);
  app.add_option("--kafka.cluster-name", flags.cluster_name,
                 "Value of the cluster label (default: the cluster entry of --kafka.labels, else "
                 "default)")
      ->type_name("NAME")
      ->default_str("default");
  app.add_option("--web.listen-address", flags.listen_address,
                 "Address to listen on: HOST:PORT, [IPv6]:PORT or :PORT")
      ->type_name("ADDRESS")
      ->default_str(":9308");
  app.add_option("--web.telemetry-path", flags.telemetry_path, "Path of the metrics page")
      ->type_name("PATH")
      ->default_str("/metrics");
  app.add_option("--web.config.file", flags.web_config_file,
                 "exporter-toolkit web configuration: TLS, basic auth, response headers")
      ->type_name("FILE");
  app.add_flag("--web.enable-lifecycle", flags.enable_lifecycle,
               "Accept POST /-/reload to re-read the configuration (as SIGHUP does)");
  app.add_option("--topic.filter", flags.topic_filter,
                 "RE2 regex; topics whose name it matches are exported")
      ->type_name("REGEX")
      ->default_str(".*");
  app.add_option("--topic.exclude", flags.topic_exclude,
                 "RE2 regex; topics whose name it matches are not exported")
      ->type_name("REGEX")
      ->default_str("^$");
  app.add_option("--group.filter", flags.group_filter,
                 "RE2 regex; consumer groups whose name it matches are exported")
      ->type_name("REGEX")
      ->default_str(".*");
  app.add_option("--group.exclude", flags.group_exclude,
                 "RE2 regex; consumer groups whose name it matches are not exported")
      ->type_name("REGEX")
      ->default_str("^$");
  app.add_option("--group.static", flags.static_groups,
                 "Consumer group to watch when the brokers refuse to list groups (repeatable)")
      ->type_name("GROUP")
      ->delimiter(',');
  app.add_option("--log.level", flags.log_level, "Log level")
      ->type_name("LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->default_str("info");
  app.add_option("--log.format", flags.log_format, "Log format")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
  app.add_option("--collection.interval", flags.collection_interval,
                 "Time between two collections of the cluster, e.g. 15s, 1m")
      ->type_name("DURATION")
      ->check(kDuration)
      ->default_str("15s");
  app.add_option("--shard.index", flags.shard_index,
                 "This replica's shard (0..shard.count-1), or auto: the StatefulSet ordinal at the "
                 "end of HOSTNAME")
      ->type_name("N|auto")
      ->default_str("0");
  app.add_option("--shard.count", flags.shard_count, "Replicas the groups and topics are split across")
      ->type_name("N")
      ->default_str("1");
  app.add_option("--collection.adaptive-sampling", flags.adaptive_sampling,
                 "Sample idle topics and groups less often (up to collection.max_interval)")
      ->type_name("BOOL")
      ->check(CLI::IsMember({"true", "false"}))
      ->default_str("true");
  app.add_option("--collection.cache", flags.cache,
                 "Keep metadata, the group list and group descriptions between cycles (with TTLs)")
      ->type_name("BOOL")
      ->check(CLI::IsMember({"true", "false"}))
      ->default_str("true");
  app.add_flag("--demo", flags.demo,
               "Run librdkafka's mock cluster in-process with a demo workload and watch it "
               "(default: off)");
  app.add_flag("--version", flags.version, "Print the version and exit");

  CLI::App* advise = app.add_subcommand(
      "advise",
      "Collect twice, --advise.duration apart, evaluate the tuning rules and print the findings, then exit: "
      "0 without a critical finding, 3 with one (for CI pipelines), 1 when a cluster cannot be reached, 2 on "
      "usage errors. Takes every flag of the daemon too (see kafka-perf-exporter --help), --config included.");
  advise->fallthrough();
  advise->add_option("--advise.duration", flags.advise_duration,
                     "Time between the two collections rates are measured over, e.g. 30s, 1m")
      ->type_name("DURATION")
      ->check(kDuration)
      ->default_str("30s");
  advise->add_option("--output", flags.advise_output, "What to print: a table for people, or JSON")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"table", "json"}))
      ->default_str("table");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return Exit(0, advise->parsed() ? advise->help() : app.help());
  } catch (const CLI::ExtrasError&) {
    const std::string extra = app.remaining().empty() ? std::string() : app.remaining().front();
    if (extra.starts_with('-'))
      return UsageError("unknown flag " + extra.substr(0, extra.find('=')));
    return UsageError("unexpected argument \"" + extra +
                      "\" (this program takes only flags, and the subcommand advise)");
  } catch (const CLI::ParseError& e) {
    return UsageError(e.what());
  }
  if (flags.version) {
    return Exit(0, std::string(kProgram) + " " + app::kVersion + "\n");
  }

  CommandLine result;
  try {
    if (app.get_option("--config")->count() > 0) {
      result.config = LoadConfigFile(flags.config_file);
    } else {
      result.config = DefaultConfig();
      result.config.source = "<flags>";
    }
  } catch (const ConfigError& e) {
    return Exit(1, std::string(kProgram) + ": " + e.what() + "\n");
  }
  if (const std::string error = Apply(app, flags, result.config); !error.empty()) return UsageError(error);
  if (advise->parsed()) {
    result.command = CommandLine::Command::kAdvise;
    if (advise->get_option("--advise.duration")->count() > 0) {
      result.advise.duration = ParseDuration(flags.advise_duration);
      if (result.advise.duration.count() <= 0) return UsageError("--advise.duration: must be above 0");
    }
    result.advise.output =
        flags.advise_output == "json" ? AdviseOptions::Output::kJson : AdviseOptions::Output::kTable;
  }
  return result;
}

}  // namespace kpe::config
