#include "config/flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "build_info.h"

namespace kpe::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Action = CommandLine::Action;

CommandLine Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "kafka-perf-exporter");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

// A config file in the test's temp dir, removed at the end of the test.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& yaml)
      : path_(::testing::TempDir() + "/kpe_flags_test_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".yaml") {
    std::ofstream(path_) << yaml;
  }
  ~ConfigFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const char* const kFile = R"(
web: {listen_address: "127.0.0.1:1234", telemetry_path: /file-metrics}
log: {level: debug, format: json}
collection: {interval: 30s}
kafka:
  servers: [file-broker:9092]
  cluster_name: from-file
  labels: {env: file}
topics: {filter: "file.*", exclude: "file-x"}
groups: {filter: "fg.*", exclude: "fg-x"}
)";

TEST(FlagsTest, no_flags_give_the_defaults_with_one_cluster) {
  const CommandLine result = Parse({});
  ASSERT_EQ(result.action, Action::kRun);
  EXPECT_EQ(result.config.web.listen_address, ":9308");
  EXPECT_EQ(result.config.web.telemetry_path, "/metrics");
  ASSERT_EQ(result.config.clusters.size(), 1u);
  EXPECT_EQ(result.config.clusters.front().topics.filter, ".*");
  EXPECT_EQ(result.config.source, "<flags>");
}

TEST(FlagsTest, equals_and_separate_value_forms_both_work) {
  const CommandLine result = Parse({"--web.listen-address=:1", "--web.telemetry-path", "/m"});
  ASSERT_EQ(result.action, Action::kRun) << result.message;
  EXPECT_EQ(result.config.web.listen_address, ":1");
  EXPECT_EQ(result.config.web.telemetry_path, "/m");
}

TEST(FlagsTest, every_flag_sets_its_value) {
  const CommandLine result =
      Parse({"--kafka.server=a:1", "--topic.filter=t.*", "--topic.exclude=tx", "--group.filter=g.*",
             "--group.exclude=gx", "--kafka.labels=env=prod", "--log.level=warn",
             "--log.format=json", "--collection.interval=1m", "--kafka.cluster-name=c1", "--demo"});
  ASSERT_EQ(result.action, Action::kRun) << result.message;
  const Config& config = result.config;
  const ClusterConfig& cluster = config.clusters.front();
  EXPECT_EQ(cluster.servers, std::vector<std::string>{"a:1"});
  EXPECT_EQ(cluster.topics.filter, "t.*");
  EXPECT_EQ(cluster.topics.exclude, "tx");
  EXPECT_EQ(cluster.groups.filter, "g.*");
  EXPECT_EQ(cluster.groups.exclude, "gx");
  EXPECT_EQ(cluster.labels, (std::map<std::string, std::string>{{"env", "prod"}}));
  EXPECT_EQ(cluster.name, "c1");
  EXPECT_EQ(config.log.level, "warn");
  EXPECT_EQ(config.log.format, "json");
  EXPECT_EQ(config.collection.interval, Duration(60'000));
  EXPECT_TRUE(config.demo);
}

TEST(FlagsTest, kafka_server_is_repeatable_and_comma_separated) {
  const CommandLine result = Parse({"--kafka.server=a:1,b:2", "--kafka.server", "c:3"});
  ASSERT_EQ(result.action, Action::kRun) << result.message;
  EXPECT_EQ(result.config.clusters.front().servers,
            (std::vector<std::string>{"a:1", "b:2", "c:3"}));
}

TEST(FlagsTest, kafka_labels_take_comma_separated_pairs_and_values_may_hold_equals) {
  const CommandLine result = Parse({"--kafka.labels=env=prod,expr=a=b"});
  ASSERT_EQ(result.action, Action::kRun) << result.message;
  EXPECT_EQ(result.config.clusters.front().labels,
            (std::map<std::string, std::string>{{"env", "prod"}, {"expr", "a=b"}}));
}

TEST(FlagsTest, repeated_single_value_flag_takes_the_last) {
  const CommandLine result = Parse({"--log.level=debug", "--log.level=error"});
  ASSERT_EQ(result.action, Action::kRun) << result.message;
  EXPECT_EQ(result.config.log.level, "error");
}

TEST(FlagsTest, config_file_values_are_kept_when_flags_are_absent) {
  const ConfigFile file(kFile);
  const CommandLine result = Parse({"--config=" + file.path()});
  ASSERT_EQ(result.action, Action::kRun) << result.message;
  const Config& config = result.config;
  const ClusterConfig& cluster = config.clusters.front();
  EXPECT_EQ(config.web.listen_address, "127.0.0.1:1234");
  EXPECT_EQ(config.web.telemetry_path, "/file-metrics");
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.log.format, "json");
  EXPECT_EQ(config.collection.interval, Duration(30'000));
  EXPECT_EQ(cluster.servers, std::vector<std::string>{"file-broker:9092"});
  EXPECT_EQ(cluster.name, "from-file");
  EXPECT_EQ(cluster.labels, (std::map<std::string, std::string>{{"env", "file"}}));
  EXPECT_EQ(cluster.topics.filter, "file.*");
  EXPECT_EQ(cluster.topics.exclude, "file-x");
  EXPECT_EQ(cluster.groups.filter, "fg.*");
  EXPECT_EQ(cluster.groups.exclude, "fg-x");
  EXPECT_FALSE(config.demo);
  EXPECT_EQ(config.source, file.path());
}

TEST(FlagsTest, flags_given_explicitly_override_the_config_file) {
  const ConfigFile file(kFile);
  const CommandLine result =
      Parse({"--config", file.path(), "--web.listen-address=:9999", "--log.level=info",
             "--kafka.server=flag-broker:1", "--kafka.labels=zone=z", "--topic.filter=flag.*",
             "--collection.interval=5s", "--kafka.cluster-name=from-flag"});
  ASSERT_EQ(result.action, Action::kRun) << result.message;
  const Config& config = result.config;
  const ClusterConfig& cluster = config.clusters.front();
  EXPECT_EQ(config.web.listen_address, ":9999");
  EXPECT_EQ(config.log.level, "info");
  EXPECT_EQ(cluster.servers, std::vector<std::string>{"flag-broker:1"});
  EXPECT_EQ(cluster.labels, (std::map<std::string, std::string>{{"zone", "z"}}));
  EXPECT_EQ(cluster.topics.filter, "flag.*");
  EXPECT_EQ(config.collection.interval, Duration(5000));
  EXPECT_EQ(cluster.name, "from-flag");
  // Not given on the command line: still from the file.
  EXPECT_EQ(config.web.telemetry_path, "/file-metrics");
  EXPECT_EQ(config.log.format, "json");
  EXPECT_EQ(cluster.topics.exclude, "file-x");
}

TEST(FlagsTest, overridden_value_is_attributed_to_its_flag) {
  const ConfigFile file(kFile);
  const CommandLine result = Parse({"--config=" + file.path(), "--web.telemetry-path=/x"});
  ASSERT_EQ(result.action, Action::kRun) << result.message;
  EXPECT_EQ(result.config.origins.at("web.telemetry_path"), "--web.telemetry-path");
  EXPECT_EQ(result.config.origins.at("log.level"), file.path() + ":3:14");
}

TEST(FlagsTest, unknown_flag_exits_2_naming_it) {
  const CommandLine result = Parse({"--kafka.servr=a:1"});
  EXPECT_EQ(result.action, Action::kExit);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.message,
            "kafka-perf-exporter: unknown flag --kafka.servr\nRun with --help for usage.\n");
}

TEST(FlagsTest, positional_argument_exits_2_naming_it) {
  const CommandLine result = Parse({"config.yaml"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.message, HasSubstr("unexpected argument \"config.yaml\""));
}

TEST(FlagsTest, bad_log_format_exits_2_naming_the_flag_and_choices) {
  const CommandLine result = Parse({"--log.format=xml"});
  EXPECT_EQ(result.action, Action::kExit);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.message,
            "kafka-perf-exporter: --log.format: xml not in {text,json}\n"
            "Run with --help for usage.\n");
}

TEST(FlagsTest, bad_log_level_exits_2_naming_the_choices) {
  const CommandLine result = Parse({"--log.level", "loud"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.message,
              HasSubstr("--log.level: loud not in {trace,debug,info,warn,error,off}"));
}

TEST(FlagsTest, label_without_value_exits_2_naming_the_flag_and_form) {
  const CommandLine result = Parse({"--kafka.labels=novalue"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.message,
            "kafka-perf-exporter: --kafka.labels: invalid label \"novalue\" (expected "
            "NAME=VALUE[,NAME=VALUE...])\nRun with --help for usage.\n");
}

TEST(FlagsTest, bad_interval_exits_2_naming_the_accepted_forms) {
  const CommandLine result = Parse({"--collection.interval=fast"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.message,
              HasSubstr("--collection.interval: invalid duration \"fast\" (expected a whole "
                        "number and a unit: ms, s, m or h"));
}

TEST(FlagsTest, flag_without_its_value_exits_2) {
  const CommandLine result = Parse({"--web.listen-address"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.message, HasSubstr("--web.listen-address"));
}

TEST(FlagsTest, missing_config_file_exits_1_naming_it) {
  const CommandLine result = Parse({"--config=/nonexistent/kpe.yaml"});
  EXPECT_EQ(result.action, Action::kExit);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.message,
            "kafka-perf-exporter: cannot read config file /nonexistent/kpe.yaml: No such file or "
            "directory\n");
}

TEST(FlagsTest, config_file_error_exits_1_with_its_location) {
  const ConfigFile file("web:\n  port: 1\n");
  const CommandLine result = Parse({"--config=" + file.path()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.message,
              StartsWith("kafka-perf-exporter: " + file.path() + ":2:3: web.port: unknown key"));
}

TEST(FlagsTest, help_exits_0_listing_every_flag_with_its_default) {
  const CommandLine result = Parse({"--help"});
  EXPECT_EQ(result.action, Action::kExit);
  EXPECT_EQ(result.exit_code, 0);
  for (const char* expected :
       {"--config FILE", "--kafka.server HOST:PORT", "--kafka.labels NAME=VALUE",
        "--kafka.cluster-name NAME=default", "--web.listen-address ADDRESS=:9308",
        "--web.telemetry-path PATH=/metrics", "--topic.filter REGEX=.*", "--topic.exclude REGEX=^$",
        "--group.filter REGEX=.*", "--group.exclude REGEX=^$",
        "--log.level LEVEL:{trace,debug,info,warn,error,off}=info",
        "--log.format FORMAT:{text,json}=text", "--collection.interval DURATION=15s", "--demo",
        "--version", "--help"}) {
    EXPECT_THAT(result.message, HasSubstr(expected));
  }
}

TEST(FlagsTest, version_exits_0_printing_name_and_version) {
  const CommandLine result = Parse({"--version"});
  EXPECT_EQ(result.action, Action::kExit);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.message, std::string("kafka-perf-exporter ") + app::kVersion + "\n");
}

}  // namespace
}  // namespace kpe::config

namespace kpe::config {
namespace {

TEST(FlagsTest, group_static_is_repeatable_and_comma_separated) {
  const CommandLine result = Parse({"--group.static=a,b", "--group.static", "c"});
  ASSERT_EQ(result.action, CommandLine::Action::kRun) << result.message;
  EXPECT_EQ(result.config.clusters.front().static_groups, (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace kpe::config

namespace kpe::config {
namespace {

TEST(FlagsTest, efficiency_switches_take_true_or_false) {
  const CommandLine off = Parse({"--collection.adaptive-sampling=false", "--collection.cache", "false"});
  ASSERT_EQ(off.action, CommandLine::Action::kRun) << off.message;
  EXPECT_FALSE(off.config.collection.adaptive_sampling);
  EXPECT_FALSE(off.config.collection.cache);
  const CommandLine bad = Parse({"--collection.cache=maybe"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.message, ::testing::HasSubstr("--collection.cache"));
}

}  // namespace
}  // namespace kpe::config

namespace kpe::config {
namespace {

TEST(FlagsTest, shard_flags_set_index_and_count) {
  const CommandLine result = Parse({"--shard.index=1", "--shard.count", "4"});
  ASSERT_EQ(result.action, CommandLine::Action::kRun) << result.message;
  EXPECT_EQ(result.config.shard.index, 1);
  EXPECT_EQ(result.config.shard.count, 4);
}

TEST(FlagsTest, shard_index_auto_reads_the_statefulset_ordinal_from_hostname) {
  ::setenv("HOSTNAME", "kafka-perf-exporter-3", 1);
  const CommandLine result = Parse({"--shard.index=auto", "--shard.count=5"});
  ASSERT_EQ(result.action, CommandLine::Action::kRun) << result.message;
  EXPECT_EQ(result.config.shard.index, 3);
  ::setenv("HOSTNAME", "laptop", 1);
  const CommandLine bad = Parse({"--shard.index=auto"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.message, ::testing::HasSubstr("cannot read a StatefulSet ordinal from HOSTNAME"));
}

TEST(FlagsTest, cluster_flags_with_several_clusters_in_the_file_are_a_usage_error) {
  const std::string path = ::testing::TempDir() + "/two_clusters.yaml";
  {
    std::ofstream out(path);
    out << "clusters:\n  - {name: a, kafka: {servers: [x:1]}}\n  - {name: b, kafka: {servers: [y:1]}}\n";
  }
  const CommandLine result = Parse({"--config=" + path, "--kafka.server=z:1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.message, ::testing::HasSubstr("--kafka.server sets the one cluster's value, but the config "
                                                   "file defines 2 clusters"));
}

}  // namespace
}  // namespace kpe::config
