#include "config/validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace kpe::config {
namespace {

using testing::ErrorOf;
using ::testing::HasSubstr;

// A config that passes Validate(); each test breaks one thing.
Config Valid() {
  Config config = DefaultConfig();
  config.clusters.front().servers = {"broker-1:9092"};
  return config;
}

std::string ValidateError(const Config& config) {
  return ErrorOf([&] { Validate(config); });
}

TEST(ValidateTest, valid_config_passes_with_defaults) {
  const auto validated = Validate(Valid());
  ASSERT_EQ(validated->clusters.size(), 1u);
  EXPECT_EQ(validated->listen_host, "");
  EXPECT_EQ(validated->listen_port, 9308);
  EXPECT_EQ(validated->clusters.front().config.name, "default");
}

TEST(ValidateTest, listen_address_with_host_is_split_into_host_and_port) {
  Config config = Valid();
  config.web.listen_address = "127.0.0.1:9000";
  const auto validated = Validate(config);
  EXPECT_EQ(validated->listen_host, "127.0.0.1");
  EXPECT_EQ(validated->listen_port, 9000);
}

TEST(ValidateTest, bracketed_ipv6_listen_address_gives_host_without_brackets) {
  Config config = Valid();
  config.web.listen_address = "[::1]:9308";
  const auto validated = Validate(config);
  EXPECT_EQ(validated->listen_host, "::1");
  EXPECT_EQ(validated->listen_port, 9308);
}

TEST(ValidateTest, listen_port_zero_is_accepted) {
  Config config = Valid();
  config.web.listen_address = "localhost:0";
  EXPECT_EQ(Validate(config)->listen_port, 0);
}

TEST(ValidateTest, listen_address_without_port_is_an_error) {
  Config config = Valid();
  config.web.listen_address = "localhost";
  EXPECT_EQ(ValidateError(config),
            "web.listen_address: missing port in \"localhost\" (expected HOST:PORT, [IPv6]:PORT "
            "or :PORT)");
}

TEST(ValidateTest, listen_port_above_65535_is_an_error) {
  Config config = Valid();
  config.web.listen_address = ":65536";
  EXPECT_EQ(ValidateError(config),
            "web.listen_address: invalid port \"65536\" in \":65536\" (expected 0..65535)");
}

TEST(ValidateTest, unbracketed_ipv6_listen_address_is_an_error) {
  Config config = Valid();
  config.web.listen_address = "::1:9308";
  EXPECT_THAT(ValidateError(config),
              HasSubstr("web.listen_address: invalid address \"::1:9308\" (write IPv6 addresses "
                        "in brackets"));
}

TEST(ValidateTest, error_names_the_file_line_and_column_that_set_the_value) {
  Config config = LoadConfigString("kafka: {servers: [a:1]}\nlog:\n  level: loud\n", "x.yaml");
  EXPECT_EQ(ValidateError(config),
            "x.yaml:3:10: log.level: invalid value \"loud\" (valid: trace, debug, info, warn, "
            "error, off)");
}

TEST(ValidateTest, log_format_outside_the_choices_is_an_error) {
  Config config = Valid();
  config.log.format = "xml";
  EXPECT_EQ(ValidateError(config), "log.format: invalid value \"xml\" (valid: text, json)");
}

TEST(ValidateTest, telemetry_path_without_leading_slash_is_an_error) {
  Config config = Valid();
  config.web.telemetry_path = "metrics";
  EXPECT_EQ(ValidateError(config),
            "web.telemetry_path: invalid path \"metrics\" (must start with '/' and must not be "
            "\"/\", \"/healthz\" or \"/readyz\")");
}

TEST(ValidateTest, telemetry_path_taken_by_health_endpoints_is_an_error) {
  for (const char* path : {"/", "/healthz", "/readyz"}) {
    Config config = Valid();
    config.web.telemetry_path = path;
    EXPECT_THAT(ValidateError(config), HasSubstr("web.telemetry_path: invalid path")) << path;
  }
}

TEST(ValidateTest, max_connections_outside_range_is_an_error) {
  Config config = Valid();
  config.web.max_connections = 0;
  EXPECT_EQ(ValidateError(config),
            "web.max_connections: value 0 out of range (valid: 1 to 100000)");
}

TEST(ValidateTest, interval_below_one_second_is_an_error) {
  Config config = Valid();
  config.collection.interval = Duration(500);
  EXPECT_EQ(ValidateError(config),
            "collection.interval: duration 500ms out of range (valid: 1s to 1h)");
}

TEST(ValidateTest, interval_above_one_hour_is_an_error) {
  Config config = Valid();
  config.collection.interval = Duration(2 * 3'600'000);
  EXPECT_EQ(ValidateError(config),
            "collection.interval: duration 2h out of range (valid: 1s to 1h)");
}

TEST(ValidateTest, max_backoff_below_one_second_is_an_error) {
  Config config = Valid();
  config.collection.max_backoff = Duration(10);
  EXPECT_EQ(ValidateError(config),
            "collection.max_backoff: duration 10ms too short (valid: 1s or more)");
}

TEST(ValidateTest, constant_label_clashing_with_a_series_label_is_an_error) {
  Config config = Valid();
  config.clusters.front().labels = {{"topic", "x"}};
  EXPECT_EQ(ValidateError(config),
            "kafka.labels.topic: label name \"topic\" is used by the exporter's own series; choose another");
}

TEST(ValidateTest, default_timeout_follows_a_shorter_interval) {
  Config config = Valid();
  config.collection.interval = Duration(2000);
  EXPECT_EQ(Validate(config)->config.collection.timeout, Duration(2000));
}

TEST(ValidateTest, explicit_timeout_longer_than_interval_is_an_error) {
  Config config = Valid();
  config.collection.interval = Duration(2000);
  config.collection.timeout = Duration(5000);
  config.origins["collection.timeout"] = "--collection.timeout";
  EXPECT_THAT(ValidateError(config), HasSubstr("collection.timeout: duration 5s out of range"));
}

TEST(ValidateTest, no_servers_at_all_means_demo_mode) {
  Config config = Valid();
  config.clusters.front().servers.clear();
  EXPECT_TRUE(Validate(config)->config.demo);
}

TEST(ValidateTest, servers_given_means_no_demo_mode) {
  EXPECT_FALSE(Validate(Valid())->config.demo);
}

TEST(ValidateTest, no_servers_is_fine_in_demo_mode) {
  Config config = Valid();
  config.clusters.front().servers.clear();
  config.demo = true;
  EXPECT_NO_THROW(Validate(config));
}

TEST(ValidateTest, server_with_non_numeric_port_is_an_error_naming_its_index) {
  Config config = Valid();
  config.clusters.front().servers = {"a:9092", "b:http"};
  EXPECT_EQ(ValidateError(config),
            "kafka.servers[1]: invalid port \"http\" in \"b:http\" (expected 0..65535)");
}

TEST(ValidateTest, server_without_host_is_an_error) {
  Config config = Valid();
  config.clusters.front().servers = {":9092"};
  EXPECT_EQ(ValidateError(config),
            "kafka.servers[0]: invalid server \":9092\" (expected HOST:PORT, port 1..65535)");
}

TEST(ValidateTest, cluster_name_defaults_to_the_cluster_label_which_is_removed) {
  Config config = Valid();
  config.clusters.front().labels = {{"cluster", "prod"}, {"env", "p"}};
  const auto validated = Validate(config);
  const ClusterConfig& cluster = validated->clusters.front().config;
  EXPECT_EQ(cluster.name, "prod");
  EXPECT_EQ(cluster.labels, (std::map<std::string, std::string>{{"env", "p"}}));
  EXPECT_EQ(validated->config.clusters.front().name, "prod");
}

TEST(ValidateTest, explicit_cluster_name_wins_and_matching_label_is_removed) {
  Config config = Valid();
  config.clusters.front().name = "prod";
  config.clusters.front().labels = {{"cluster", "prod"}};
  const auto validated = Validate(config);
  EXPECT_EQ(validated->clusters.front().config.name, "prod");
  EXPECT_TRUE(validated->clusters.front().config.labels.empty());
}

TEST(ValidateTest, cluster_label_differing_from_cluster_name_is_an_error) {
  Config config = Valid();
  config.clusters.front().name = "prod";
  config.clusters.front().labels = {{"cluster", "staging"}};
  EXPECT_EQ(ValidateError(config),
            "kafka.labels.cluster: label value \"staging\" differs from kafka.cluster_name "
            "\"prod\" (the cluster label is set from cluster_name; remove one of them)");
}

TEST(ValidateTest, invalid_label_name_is_an_error) {
  Config config = Valid();
  config.clusters.front().labels = {{"bad-name", "x"}};
  EXPECT_EQ(ValidateError(config),
            "kafka.labels.bad-name: invalid label name \"bad-name\" (expected "
            "[a-zA-Z_][a-zA-Z0-9_]*)");
}

TEST(ValidateTest, empty_client_id_is_an_error) {
  Config config = Valid();
  config.clusters.front().client_id = "";
  EXPECT_EQ(ValidateError(config), "kafka.client_id: must not be empty");
}

TEST(ValidateTest, invalid_topic_regex_names_key_and_re2_error) {
  Config config = Valid();
  config.clusters.front().topics.filter = "(a";
  EXPECT_EQ(ValidateError(config),
            "topics.filter: invalid regular expression \"(a\": missing ): (a");
}

TEST(ValidateTest, invalid_group_exclude_regex_names_its_key) {
  Config config = Valid();
  config.clusters.front().groups.exclude = "a**";
  EXPECT_THAT(ValidateError(config),
              HasSubstr("groups.exclude: invalid regular expression \"a**\": "));
}

TEST(ValidateTest, compiled_filters_follow_the_config) {
  Config config = Valid();
  config.clusters.front().topics = {"orders.*", "orders-tmp"};
  config.clusters.front().groups = {"^g1$", "^$"};
  const auto validated = Validate(config);
  EXPECT_TRUE(validated->clusters.front().topic_filter.Matches("orders-eu"));
  EXPECT_FALSE(validated->clusters.front().topic_filter.Matches("orders-tmp"));
  EXPECT_TRUE(validated->clusters.front().group_filter.Matches("g1"));
  EXPECT_FALSE(validated->clusters.front().group_filter.Matches("g2"));
}

TEST(ValidateTest, two_clusters_with_the_same_name_are_an_error) {
  Config config = Valid();
  config.clusters.push_back(config.clusters.front());
  EXPECT_EQ(ValidateError(config),
            "clusters[1].kafka.cluster_name: duplicate cluster name \"default\"");
}

TEST(ValidateTest, no_cluster_is_an_error) {
  Config config = Valid();
  config.clusters.clear();
  EXPECT_EQ(ValidateError(config), "kafka: no cluster configured");
}

}  // namespace
}  // namespace kpe::config

namespace kpe::config {
namespace {

TEST(ValidateTest, negative_cpu_budget_is_an_error_naming_valid_values) {
  Config config = Valid();
  config.collection.cpu_budget = -1;
  EXPECT_THAT(ValidateError(config), HasSubstr("collection.cpu_budget: value -1.000000 out of range"));
}

TEST(ValidateTest, max_interval_below_interval_is_an_error_when_set) {
  Config config = Valid();
  config.collection.max_interval = Duration(1000);
  config.origins["collection.max_interval"] = "--x";
  EXPECT_THAT(ValidateError(config), HasSubstr("collection.max_interval: duration 1s out of range"));
}

TEST(ValidateTest, default_max_interval_follows_a_longer_interval) {
  Config config = Valid();
  config.collection.interval = Duration(600'000);
  config.collection.timeout = Duration(10'000);
  EXPECT_EQ(Validate(config)->config.collection.max_interval, Duration(600'000));
}

TEST(ValidateTest, zero_precise_reads_is_an_error) {
  Config config = Valid();
  config.lag.precise_max_reads = 0;
  EXPECT_THAT(ValidateError(config), HasSubstr("lag.precise_max_reads: value 0 out of range"));
}

}  // namespace
}  // namespace kpe::config
