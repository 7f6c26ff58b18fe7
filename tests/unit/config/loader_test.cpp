#include "config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/validate.h"
#include "test_util.h"

namespace kpe::config {
namespace {

using ::testing::HasSubstr;
using testing::LoadError;
using ::testing::StartsWith;

const char* const kExample = KPE_SOURCE_DIR "/config/kafka-perf-exporter.yaml";

TEST(ParseDurationTest, accepts_each_unit) {
  EXPECT_EQ(ParseDuration("250ms"), Duration(250));
  EXPECT_EQ(ParseDuration("15s"), Duration(15'000));
  EXPECT_EQ(ParseDuration("2m"), Duration(120'000));
  EXPECT_EQ(ParseDuration("1h"), Duration(3'600'000));
}

TEST(ParseDurationTest, number_without_unit_is_an_error_naming_the_accepted_forms) {
  try {
    ParseDuration("15");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "invalid duration \"15\" (expected a whole number and a unit: ms, s, m or h, "
                 "e.g. 500ms, 15s, 1m, 1h)");
  }
}

TEST(ParseDurationTest, rejects_unknown_unit_negative_fraction_and_overflow) {
  for (const char* text : {"5d", "-1s", "1.5s", "s", "", "99999999999999999h", "1 s"}) {
    EXPECT_THROW(ParseDuration(text), std::invalid_argument) << text;
  }
}

TEST(LoaderTest, shipped_example_loads_validates_and_equals_the_defaults_except_servers) {
  const Config loaded = LoadConfigFile(kExample);
  EXPECT_NO_THROW(Validate(loaded));
  const Config defaults = DefaultConfig();
  EXPECT_EQ(loaded.web.listen_address, defaults.web.listen_address);
  EXPECT_EQ(loaded.web.telemetry_path, defaults.web.telemetry_path);
  EXPECT_EQ(loaded.web.max_connections, defaults.web.max_connections);
  EXPECT_EQ(loaded.web.read_timeout, defaults.web.read_timeout);
  EXPECT_EQ(loaded.log.level, defaults.log.level);
  EXPECT_EQ(loaded.log.format, defaults.log.format);
  EXPECT_EQ(loaded.collection.interval, defaults.collection.interval);
  EXPECT_EQ(loaded.collection.timeout, defaults.collection.timeout);
  EXPECT_EQ(loaded.collection.max_backoff, defaults.collection.max_backoff);
  EXPECT_EQ(loaded.demo, defaults.demo);
  ASSERT_EQ(loaded.clusters.size(), 1u);
  const ClusterConfig& cluster = loaded.clusters.front();
  const ClusterConfig& default_cluster = defaults.clusters.front();
  EXPECT_EQ(cluster.servers,
            std::vector<std::string>{"localhost:9092"});  // the file says: no default
  EXPECT_EQ(cluster.name, default_cluster.name);
  EXPECT_EQ(cluster.labels, default_cluster.labels);
  EXPECT_EQ(cluster.properties, default_cluster.properties);
  EXPECT_EQ(cluster.client_id, default_cluster.client_id);
  EXPECT_EQ(cluster.include_internal_topics, default_cluster.include_internal_topics);
  EXPECT_EQ(cluster.topics.filter, default_cluster.topics.filter);
  EXPECT_EQ(cluster.topics.exclude, default_cluster.topics.exclude);
  EXPECT_EQ(cluster.groups.filter, default_cluster.groups.filter);
  EXPECT_EQ(cluster.groups.exclude, default_cluster.groups.exclude);
}

TEST(LoaderTest, absent_keys_keep_their_defaults) {
  const Config config = LoadConfigString("log:\n  level: debug\n", "test.yaml");
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.log.format, "text");
  EXPECT_EQ(config.web.listen_address, ":9308");
  ASSERT_EQ(config.clusters.size(), 1u);
  EXPECT_EQ(config.clusters.front().client_id, "kafka-perf-exporter");
}

TEST(LoaderTest, reads_every_section) {
  const Config config = LoadConfigString(R"(
web: {listen_address: "127.0.0.1:9000", telemetry_path: /m, max_connections: 7, read_timeout: 2s}
log: {level: warn, format: json}
collection: {interval: 30s, timeout: 5s, max_backoff: 2m}
kafka:
  servers: [a:9092, "b:9093"]
  cluster_name: prod
  labels: {env: production, zone: 3}
  client_id: me
  properties: {security.protocol: SSL, socket.timeout.ms: 5000, enable.ssl.certificate.verification: false}
  include_internal_topics: true
topics: {filter: "orders.*", exclude: "orders-tmp"}
groups: {filter: "g.*", exclude: "g-test"}
demo: true
)",
                                         "test.yaml");
  EXPECT_EQ(config.web.listen_address, "127.0.0.1:9000");
  EXPECT_EQ(config.web.telemetry_path, "/m");
  EXPECT_EQ(config.web.max_connections, 7);
  EXPECT_EQ(config.web.read_timeout, Duration(2000));
  EXPECT_EQ(config.log.level, "warn");
  EXPECT_EQ(config.log.format, "json");
  EXPECT_EQ(config.collection.interval, Duration(30'000));
  EXPECT_EQ(config.collection.timeout, Duration(5000));
  EXPECT_EQ(config.collection.max_backoff, Duration(120'000));
  EXPECT_TRUE(config.demo);
  const ClusterConfig& cluster = config.clusters.front();
  EXPECT_EQ(cluster.servers, (std::vector<std::string>{"a:9092", "b:9093"}));
  EXPECT_EQ(cluster.name, "prod");
  EXPECT_EQ(cluster.labels,
            (std::map<std::string, std::string>{{"env", "production"}, {"zone", "3"}}));
  EXPECT_EQ(cluster.client_id, "me");
  EXPECT_EQ(cluster.properties,
            (std::map<std::string, std::string>{{"security.protocol", "SSL"},
                                                {"socket.timeout.ms", "5000"},
                                                {"enable.ssl.certificate.verification", "false"}}));
  EXPECT_TRUE(cluster.include_internal_topics);
  EXPECT_EQ(cluster.topics.filter, "orders.*");
  EXPECT_EQ(cluster.topics.exclude, "orders-tmp");
  EXPECT_EQ(cluster.groups.filter, "g.*");
  EXPECT_EQ(cluster.groups.exclude, "g-test");
}

TEST(LoaderTest, servers_as_one_comma_separated_string_are_split) {
  const Config config = LoadConfigString("kafka:\n  servers: \"a:1, b:2\"\n", "test.yaml");
  EXPECT_EQ(config.clusters.front().servers, (std::vector<std::string>{"a:1", "b:2"}));
}

TEST(LoaderTest, include_internal_topics_false_is_read) {
  const Config config = LoadConfigString("kafka:\n  include_internal_topics: false\n", "test.yaml");
  EXPECT_FALSE(config.clusters.front().include_internal_topics);
}

TEST(LoaderTest, empty_section_keeps_the_defaults) {
  const Config config = LoadConfigString("web:\nlog:\n", "test.yaml");
  EXPECT_EQ(config.web.listen_address, ":9308");
}

TEST(LoaderTest, records_where_each_value_was_set) {
  const Config config =
      LoadConfigString("web:\n  telemetry_path: /x\nkafka:\n  servers: [a:1]\n", "test.yaml");
  EXPECT_EQ(config.origins.at("web.telemetry_path"), "test.yaml:2:19");
  EXPECT_EQ(config.origins.at("kafka.servers[0]"), "test.yaml:4:13");
  EXPECT_EQ(config.source, "test.yaml");
}

// yaml-cpp 0.7's LoadAll loops forever, eating memory, on this (found by fuzz/fuzz_config).
TEST(LoaderErrorTest, stray_leading_comma_is_invalid_yaml_naming_line_and_column_not_a_hang) {
  EXPECT_EQ(LoadError(",log: {}\n"), "test.yaml:1:1: did not find expected node content");
}

TEST(LoaderErrorTest, unknown_key_is_an_error_naming_file_line_column_key_and_valid_keys) {
  EXPECT_EQ(LoadError("web:\n  listen_adress: \":9308\"\n"),
            "test.yaml:2:3: web.listen_adress: unknown key (valid keys: listen_address, "
            "telemetry_path, max_connections, read_timeout, config_file, enable_lifecycle)");
}

TEST(LoaderErrorTest, unknown_top_level_key_is_an_error_naming_the_valid_keys) {
  EXPECT_EQ(LoadError("log: {}\nwebb: {}\n"),
            "test.yaml:2:1: webb: unknown key (valid keys: web, log, collection, lag, metrics, shard, "
            "topic_configs, advice, e2e, client_stats, kafka, topics, groups, clusters, demo)");
}

TEST(LoaderErrorTest, unknown_key_in_kafka_section_names_its_path) {
  EXPECT_THAT(LoadError("kafka:\n  server: [a:1]\n"),
              StartsWith("test.yaml:2:3: kafka.server: unknown key (valid keys: servers, "));
}

TEST(LoaderErrorTest, unknown_key_in_filter_section_names_its_path) {
  EXPECT_EQ(LoadError("groups:\n  include: x\n"),
            "test.yaml:2:3: groups.include: unknown key (valid keys: filter, exclude, static)");
}

TEST(LoaderErrorTest, duplicate_key_is_an_error_naming_both_places) {
  EXPECT_EQ(LoadError("log:\n  level: info\n  level: debug\n"),
            "test.yaml:3:3: log.level: duplicate key (first set at test.yaml:2:3)");
}

TEST(LoaderErrorTest, text_for_an_integer_is_an_error_quoting_it) {
  EXPECT_EQ(LoadError("web:\n  max_connections: abc\n"),
            "test.yaml:2:20: web.max_connections: expected an integer, got \"abc\"");
}

TEST(LoaderErrorTest, integer_beyond_int_range_is_an_error) {
  EXPECT_EQ(LoadError("web:\n  max_connections: 99999999999\n"),
            "test.yaml:2:20: web.max_connections: expected an integer, got \"99999999999\"");
}

TEST(LoaderErrorTest, mapping_for_a_string_is_an_error) {
  EXPECT_EQ(LoadError("web:\n  listen_address: {a: 1}\n"),
            "test.yaml:2:19: web.listen_address: expected a string, got a mapping");
}

TEST(LoaderErrorTest, missing_value_for_a_string_is_an_error) {
  EXPECT_EQ(LoadError("kafka:\n  client_id:\n"),
            "test.yaml:2:3: kafka.client_id: expected a string, got nothing");
}

TEST(LoaderErrorTest, yes_for_a_boolean_is_an_error) {
  EXPECT_EQ(LoadError("demo: yes\n"), "test.yaml:1:7: demo: expected true or false, got \"yes\"");
}

TEST(LoaderErrorTest, non_boolean_include_internal_topics_is_an_error) {
  EXPECT_EQ(LoadError("kafka:\n  include_internal_topics: 1\n"),
            "test.yaml:2:28: kafka.include_internal_topics: expected true or false, got \"1\"");
}

TEST(LoaderErrorTest, invalid_duration_names_the_accepted_forms) {
  EXPECT_EQ(LoadError("collection:\n  interval: fast\n"),
            "test.yaml:2:13: collection.interval: invalid duration \"fast\" (expected a whole "
            "number and a unit: ms, s, m or h, e.g. 500ms, 15s, 1m, 1h)");
}

TEST(LoaderErrorTest, section_that_is_not_a_mapping_is_an_error) {
  EXPECT_EQ(LoadError("web: [1, 2]\n"), "test.yaml:1:6: web: expected a mapping, got a list");
}

TEST(LoaderErrorTest, servers_as_a_mapping_is_an_error) {
  EXPECT_EQ(LoadError("kafka:\n  servers: {a: 1}\n"),
            "test.yaml:2:12: kafka.servers: expected a list of HOST:PORT, got a mapping");
}

TEST(LoaderErrorTest, server_list_item_that_is_a_list_names_its_index) {
  EXPECT_EQ(LoadError("kafka:\n  servers:\n    - a:1\n    - [b]\n"),
            "test.yaml:4:7: kafka.servers[1]: expected a string, got a list");
}

TEST(LoaderErrorTest, property_value_that_is_a_mapping_is_an_error) {
  EXPECT_EQ(LoadError("kafka:\n  properties:\n    sasl: {a: b}\n"),
            "test.yaml:3:11: kafka.properties.sasl: expected a string, got a mapping");
}

TEST(LoaderErrorTest, invalid_label_name_is_an_error_naming_it) {
  EXPECT_EQ(LoadError("kafka:\n  labels:\n    1env: prod\n"),
            "test.yaml:3:11: kafka.labels.1env: invalid label name \"1env\" (expected "
            "[a-zA-Z_][a-zA-Z0-9_]*)");
}

TEST(LoaderErrorTest, reserved_label_name_is_an_error) {
  EXPECT_EQ(LoadError("kafka:\n  labels:\n    __name: x\n"),
            "test.yaml:3:13: kafka.labels.__name: invalid label name \"__name\" (names starting "
            "with \"__\" are reserved)");
}

TEST(LoaderErrorTest, invalid_regex_names_file_line_column_key_and_re2_error) {
  EXPECT_EQ(LoadError("topics:\n  filter: \"orders(\"\n"),
            "test.yaml:2:11: topics.filter: invalid regular expression \"orders(\": missing ): "
            "orders(");
}

TEST(LoaderErrorTest, invalid_exclude_regex_names_its_key) {
  EXPECT_THAT(LoadError("groups:\n  exclude: \"[a\"\n"),
              StartsWith("test.yaml:2:12: groups.exclude: invalid regular expression \"[a\": "));
}

TEST(LoaderErrorTest, yaml_syntax_error_names_line_column_and_yaml_cpp_message) {
  EXPECT_EQ(LoadError("log:\n  level: info: debug\n"), "test.yaml:2:14: illegal map value");
}

TEST(LoaderErrorTest, empty_file_is_an_error) {
  EXPECT_THAT(LoadError(""), StartsWith("test.yaml: the configuration is empty"));
}

TEST(LoaderErrorTest, comments_only_file_is_an_error) {
  EXPECT_THAT(LoadError("# nothing\n"), StartsWith("test.yaml: the configuration is empty"));
}

TEST(LoaderErrorTest, top_level_list_is_an_error) {
  EXPECT_EQ(LoadError("- a\n- b\n"), "test.yaml:1:1: (top level): expected a mapping, got a list");
}

TEST(LoaderErrorTest, top_level_scalar_is_an_error) {
  EXPECT_EQ(LoadError("hello\n"), "test.yaml:1:1: (top level): expected a mapping, got \"hello\"");
}

TEST(LoaderErrorTest, second_document_is_an_error) {
  EXPECT_EQ(LoadError("demo: true\n---\ndemo: false\n"),
            "test.yaml:3:1: a second YAML document (only one is read; remove the extra '---')");
}

TEST(LoaderErrorTest, missing_file_is_an_error_naming_it_and_the_reason) {
  EXPECT_EQ(testing::ErrorOf([] { LoadConfigFile("/nonexistent/kpe.yaml"); }),
            "cannot read config file /nonexistent/kpe.yaml: No such file or directory");
}

TEST(LoaderErrorTest, directory_is_an_error_naming_it_and_the_reason) {
  const std::string dir = ::testing::TempDir();
  EXPECT_EQ(testing::ErrorOf([&] { LoadConfigFile(dir); }),
            "cannot read config file " + dir + ": Is a directory");
}

TEST(LoaderErrorTest, error_in_a_file_names_the_file_path) {
  const std::string path = ::testing::TempDir() + "/kpe_loader_test_bad.yaml";
  std::ofstream(path) << "log:\n  levle: info\n";
  EXPECT_THAT(testing::ErrorOf([&] { LoadConfigFile(path); }),
              StartsWith(path + ":2:3: log.levle: unknown key"));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace kpe::config

namespace kpe::config {
namespace {

TEST(LoaderTest, static_groups_are_read_as_a_list) {
  const Config config = LoadConfigString("groups:\n  static: [billing, audit]\n", "test.yaml");
  EXPECT_EQ(config.clusters.front().static_groups, (std::vector<std::string>{"billing", "audit"}));
}

TEST(LoaderTest, static_groups_that_are_not_a_list_name_line_and_column) {
  EXPECT_EQ(testing::LoadError("groups:\n  static: billing\n"),
            "test.yaml:2:11: groups.static: expected a list of strings, got \"billing\"");
}

}  // namespace
}  // namespace kpe::config

namespace kpe::config {
namespace {

TEST(LoaderTest, efficiency_lag_and_metrics_sections_are_read) {
  const Config config = LoadConfigString(R"(
collection:
  adaptive_sampling: false
  max_interval: 5m
  cache: false
  metadata_ttl: 30s
  cpu_budget: 0.02
lag:
  precise: true
  precise_max_reads: 7
metrics:
  max_series: 5000
  topic_granularity: [kafka_topic_partition_oldest_offset]
)", "test.yaml");
  EXPECT_FALSE(config.collection.adaptive_sampling);
  EXPECT_EQ(config.collection.max_interval, Duration(300'000));
  EXPECT_FALSE(config.collection.cache);
  EXPECT_EQ(config.collection.metadata_ttl, Duration(30'000));
  EXPECT_DOUBLE_EQ(config.collection.cpu_budget, 0.02);
  EXPECT_TRUE(config.lag.precise);
  EXPECT_EQ(config.lag.precise_max_reads, 7);
  EXPECT_EQ(config.metrics.max_series, 5000);
  EXPECT_EQ(config.metrics.topic_granularity,
            std::vector<std::string>{"kafka_topic_partition_oldest_offset"});
}

TEST(LoaderTest, cpu_budget_that_is_not_a_number_names_line_and_column) {
  EXPECT_EQ(testing::LoadError("collection:\n  cpu_budget: lots\n"),
            "test.yaml:2:15: collection.cpu_budget: expected a number, got \"lots\"");
}

}  // namespace
}  // namespace kpe::config

namespace kpe::config {
namespace {

const char* const kTwoClusters = R"(
kafka:
  properties: {security.protocol: SSL}
  labels: {env: prod}
groups:
  static: [billing]
clusters:
  - name: eu
    kafka:
      servers: [eu-1:9092, eu-2:9092]
  - name: us
    kafka:
      servers: [us-1:9092]
      labels: {env: prod-us}
    topics:
      filter: "^orders"
)";

TEST(LoaderTest, clusters_start_from_the_top_level_sections) {
  const Config config = LoadConfigString(kTwoClusters, "test.yaml");
  ASSERT_EQ(config.clusters.size(), 2u);
  EXPECT_EQ(config.clusters[0].name, "eu");
  EXPECT_EQ(config.clusters[0].servers, (std::vector<std::string>{"eu-1:9092", "eu-2:9092"}));
  EXPECT_EQ(config.clusters[0].properties.at("security.protocol"), "SSL");
  EXPECT_EQ(config.clusters[0].labels.at("env"), "prod");
  EXPECT_EQ(config.clusters[0].static_groups, std::vector<std::string>{"billing"});
  EXPECT_EQ(config.clusters[1].name, "us");
  EXPECT_EQ(config.clusters[1].labels.at("env"), "prod-us");
  EXPECT_EQ(config.clusters[1].topics.filter, "^orders");
  EXPECT_EQ(config.clusters[0].topics.filter, ".*");
  EXPECT_NO_THROW(Validate(config));
}

TEST(LoaderTest, top_level_servers_with_clusters_is_an_error) {
  EXPECT_EQ(testing::LoadError("kafka:\n  servers: [a:1]\nclusters:\n  - name: x\n"),
            "test.yaml:4:3: kafka.servers: not allowed together with clusters (give each cluster its own "
            "kafka.servers)");
}

TEST(LoaderTest, unknown_key_in_a_cluster_names_its_index) {
  EXPECT_EQ(testing::LoadError("clusters:\n  - name: x\n    kafkaa: {}\n"),
            "test.yaml:3:5: clusters[0].kafkaa: unknown key (valid keys: name, kafka, topics, groups, collection)");
}

TEST(LoaderTest, empty_cluster_list_is_an_error) {
  EXPECT_THAT(testing::LoadError("clusters: []\n"), HasSubstr("clusters: expected a non-empty list"));
}

TEST(ValidateTest, cluster_without_servers_is_an_error_naming_its_index) {
  const Config config = LoadConfigString("clusters:\n  - name: a\n    kafka: {servers: [x:1]}\n  - name: b\n",
                                         "test.yaml");
  EXPECT_THAT(testing::ErrorOf([&] { Validate(config); }), HasSubstr("clusters[1].kafka.servers"));
}

TEST(ValidateTest, duplicate_cluster_names_are_an_error) {
  const Config config = LoadConfigString(
      "clusters:\n  - {name: a, kafka: {servers: [x:1]}}\n  - {name: a, kafka: {servers: [y:1]}}\n", "test.yaml");
  EXPECT_THAT(testing::ErrorOf([&] { Validate(config); }), HasSubstr("duplicate cluster name \"a\""));
}

TEST(LoaderTest, shard_section_is_read_and_validated) {
  const Config config = LoadConfigString("shard: {index: 2, count: 3}\n", "test.yaml");
  EXPECT_EQ(config.shard.index, 2);
  EXPECT_EQ(config.shard.count, 3);
  const Config bad = LoadConfigString("kafka: {servers: [a:1]}\nshard: {index: 3, count: 3}\n", "test.yaml");
  EXPECT_THAT(testing::ErrorOf([&] { Validate(bad); }),
              HasSubstr("shard.index: value 3 out of range (valid: 0 to shard.count - 1, which is 2)"));
}

}  // namespace
}  // namespace kpe::config

namespace kpe::config {
namespace {

TEST(LoaderTest, topic_configs_and_advice_thresholds_are_read) {
  const Config config = LoadConfigString(
      "topic_configs: {keys: [retention.ms], ttl: 30m}\nadvice: {lag_warning_messages: 5000, skew_ratio: 2.5}\n",
      "test.yaml");
  EXPECT_EQ(config.topic_configs.keys, std::vector<std::string>{"retention.ms"});
  EXPECT_EQ(config.topic_configs.ttl, Duration(1'800'000));
  EXPECT_DOUBLE_EQ(config.advice.at("lag_warning_messages"), 5000);
  EXPECT_DOUBLE_EQ(config.advice.at("skew_ratio"), 2.5);
}

TEST(LoaderTest, advice_threshold_that_is_not_a_number_names_its_key) {
  EXPECT_EQ(testing::LoadError("advice:\n  skew_ratio: high\n"),
            "test.yaml:2:15: advice.skew_ratio: expected a number, got \"high\"");
}

}  // namespace
}  // namespace kpe::config

namespace kpe::config {
namespace {

TEST(LoaderTest, e2e_section_is_read_and_checked_when_enabled) {
  const Config config = LoadConfigString("e2e: {enabled: true, acks: \"1\", interval: 500ms, sla: 5s}\n", "test.yaml");
  EXPECT_TRUE(config.e2e.enabled);
  EXPECT_EQ(config.e2e.acks, "1");
  EXPECT_EQ(config.e2e.interval, Duration(500));
  Config bad = LoadConfigString("kafka: {servers: [a:1]}\ne2e: {enabled: true, acks: \"2\"}\n", "test.yaml");
  EXPECT_THAT(testing::ErrorOf([&] { Validate(bad); }), HasSubstr("e2e.acks"));
}

}  // namespace
}  // namespace kpe::config

namespace kpe::config {
namespace {

TEST(LoaderTest, client_stats_and_web_files_resolve_against_the_config_folder) {
  const Config config = LoadConfigString(
      "web: {config_file: web.yml, enable_lifecycle: true}\n"
      "client_stats: {enabled: true, token_file: token, max_clients: 5, ttl: 1m}\n",
      "/etc/kpe/config.yaml");
  EXPECT_EQ(config.web.config_file, "/etc/kpe/web.yml");
  EXPECT_TRUE(config.web.enable_lifecycle);
  EXPECT_TRUE(config.client_stats.enabled);
  EXPECT_EQ(config.client_stats.token_file, "/etc/kpe/token");
  EXPECT_EQ(config.client_stats.max_clients, 5);
  EXPECT_EQ(config.client_stats.ttl, Duration(60'000));
}

}  // namespace
}  // namespace kpe::config

namespace kpe::config {
namespace {

TEST(LoaderTest, a_cluster_can_have_its_own_collection_settings) {
  const Config config = LoadConfigString(R"(
collection: {interval: 30s, cache: false}
clusters:
  - name: busy
    kafka: {servers: [a:1]}
    collection: {interval: 5s}
  - name: quiet
    kafka: {servers: [b:1]}
)", "test.yaml");
  ASSERT_TRUE(config.clusters[0].collection.has_value());
  EXPECT_EQ(config.clusters[0].collection->interval, Duration(5000));
  EXPECT_FALSE(config.clusters[0].collection->cache);  // starts from the top-level section
  EXPECT_FALSE(config.clusters[1].collection.has_value());
  const auto validated = Validate(config);
  EXPECT_EQ(validated->clusters[0].config.collection->timeout, Duration(5000));  // follows the interval
}

TEST(LoaderTest, a_cluster_cannot_set_the_process_wide_cpu_budget) {
  EXPECT_THAT(testing::LoadError("clusters:\n  - name: a\n    collection: {cpu_budget: 0.5}\n"),
              HasSubstr("clusters[0].collection.cpu_budget: unknown key"));
}

TEST(ValidateTest, a_clusters_bad_interval_names_its_path) {
  const Config config = LoadConfigString(
      "clusters:\n  - name: a\n    kafka: {servers: [x:1]}\n    collection: {interval: 100ms}\n", "test.yaml");
  EXPECT_THAT(testing::ErrorOf([&] { Validate(config); }), HasSubstr("clusters[0].collection.interval"));
}

}  // namespace
}  // namespace kpe::config
