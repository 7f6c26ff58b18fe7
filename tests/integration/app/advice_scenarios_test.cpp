// The tuning advisor end to end (issue 8): real collectors (ClusterCollector::Cycle, adaptive sampling and
// caches off, topic configurations read every cycle) against two wire-protocol peers, their snapshots fed
// to an Advisor built from a config::Config whose `advice` map sets the thresholds.
// - The Python test broker for the configuration, replication and group rules: the scripted state makes
//   a rule fire, the test checks its evidence, then changes the state through the control port (as a
//   broker, an operator or a committing consumer would) and checks that the finding clears.
// - librdkafka's mock cluster for the rules over produce rates (records really produced between cycles).
// - Real librdkafka producers' statistics (a linger.ms=0 producer, the demo's producer) ingested into a
//   ClientRegistry for the client rules.
// Rates need time to pass between two offset reads: those tests wait for the configured rate interval
// (kept short through `advice.min_rate_interval`); everything else polls with deadlines.

#include <librdkafka/rdkafka.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "../kafka/test_broker.h"
#include "advice/client_rules.h"
#include "app/advisor.h"
#include "clientstats/client_registry.h"
#include "clientstats/stats_parser.h"
#include "collect/cluster_collector.h"
#include "config/loader.h"
#include "kafka/mock_cluster.h"

namespace kpe::app {
namespace {

using namespace std::chrono_literals;
using advice::Finding;
using advice::Severity;
using kafka::testing::TestBroker;

using Thresholds = std::map<std::string, double>;

config::Config ConfigWith(const Thresholds& advice) {
  config::Config config;
  config.advice = advice;
  return config;
}

/// The finding of `rule` about `subject`, if any.
std::optional<Finding> Find(const std::vector<Finding>& findings, std::string_view rule, std::string_view subject) {
  for (const auto& f : findings) {
    if (f.rule_id == rule && f.subject == subject) return f;
  }
  return std::nullopt;
}

/// Evidence value by name; fails the test (and returns NaN) when the finding lacks it.
double Evidence(const Finding& f, const std::string& name) {
  const auto it = f.evidence.find(name);
  if (it == f.evidence.end()) {
    ADD_FAILURE() << f.rule_id << " about " << f.subject << " has no evidence " << name;
    return std::nan("");
  }
  return it->second;
}

/// One cluster's collector and the Advisor the application would feed from it.
class Scenario {
 public:
  Scenario(const std::string& bootstrap, const Thresholds& advice, bool topic_configs = true,
           std::vector<std::string> static_groups = {})
      : validated_{Cluster(bootstrap, std::move(static_groups)), config::NameFilter({}, "topics"),
                   config::NameFilter({}, "groups")},
        advisor_(ConfigWith(advice)) {
    CollectorSettings settings;
    settings.collection.interval = 1000ms;
    settings.collection.timeout = 3000ms;
    // One Cycle() reads everything, every time: the scenario, not the schedule, decides what changes.
    settings.collection.adaptive_sampling = false;
    settings.collection.cache = false;
    settings.topic_configs.enabled = topic_configs;
    settings.topic_configs.ttl = 0ms;
    collector_ = std::make_unique<collect::ClusterCollector>(validated_, settings, [](collect::SnapshotPtr) {});
  }

  /// One collection cycle, observed by the advisor; returns the snapshot.
  collect::SnapshotPtr Cycle() {
    auto snapshot = collector_->Cycle();
    EXPECT_TRUE(snapshot->up) << "cluster not reachable";
    advisor_.Observe({snapshot});
    return snapshot;
  }

  /// Cycles, then the advisor's findings over the cluster (no clients).
  std::vector<Finding> Step() {
    Cycle();
    return advisor_.Findings(nullptr);
  }

  /// Cycles until `rule` fires about `subject` or `limit` passes; returns the finding, if any.
  std::optional<Finding> StepUntilFound(std::string_view rule, std::string_view subject,
                                        std::chrono::steady_clock::duration limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      if (auto f = Find(Step(), rule, subject)) return f;
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    }
  }

  const Advisor& advisor() const { return advisor_; }

 private:
  using CollectorSettings = collect::CollectorSettings;

  static config::ClusterConfig Cluster(const std::string& bootstrap, std::vector<std::string> static_groups) {
    config::ClusterConfig cluster;
    cluster.name = "scenario";
    cluster.servers = {bootstrap};
    cluster.static_groups = std::move(static_groups);
    return cluster;
  }

  config::ValidatedCluster validated_;
  Advisor advisor_;
  std::unique_ptr<collect::ClusterCollector> collector_;
};

// ---------------------------------------------------------------------------------------------------
// Thresholds from the configuration.

TEST(AdviceConfigTest, unknown_threshold_name_is_a_config_error_naming_the_key_and_where_it_was_set) {
  config::Config config = ConfigWith({{"lag_warning_mesages", 5}});
  config.origins["advice.lag_warning_mesages"] = "exporter.yaml:12:3";
  try {
    Advisor advisor(config);
    FAIL() << "no error";
  } catch (const config::ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("exporter.yaml:12:3"), std::string::npos) << message;
    EXPECT_NE(message.find("advice.lag_warning_mesages"), std::string::npos) << message;
    EXPECT_NE(message.find("lag_warning_messages"), std::string::npos) << "valid names listed: " << message;
  }
}

TEST(AdviceConfigTest, negative_threshold_is_a_config_error_naming_the_key) {
  try {
    Advisor advisor(ConfigWith({{"skew_ratio", -1}}));
    FAIL() << "no error";
  } catch (const config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("advice.skew_ratio"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------------
// Configuration and replication rules on the test broker (3 brokers).

constexpr const char* kThreeReplicas = R"([1, 2, 3])";

std::string Partitions(int count, const std::string& extra = "") {
  std::string out = "[";
  for (int i = 0; i < count; ++i) {
    out += std::string(i == 0 ? "" : ", ") + R"({"id": )" + std::to_string(i) + R"(, "replicas": )" + kThreeReplicas +
           R"(, "isr": [1, 2, 3], "high_watermark": 100)" + extra + "}";
  }
  return out + "]";
}

/// A state with the given topics (name → JSON object) and groups (name → JSON object).
std::string State(const std::map<std::string, std::string>& topics,
                  const std::map<std::string, std::string>& groups = {}) {
  std::string out = R"({"cluster_id": "scenario", "topics": {)";
  bool first = true;
  for (const auto& [name, body] : topics) {
    out += std::string(first ? "" : ", ") + "\"" + name + "\": " + body;
    first = false;
  }
  out += R"(}, "groups": {)";
  first = true;
  for (const auto& [name, body] : groups) {
    out += std::string(first ? "" : ", ") + "\"" + name + "\": " + body;
    first = false;
  }
  return out + "}}";
}

std::string HealthyTopic(int partitions = 1) {
  return R"({"partitions": )" + Partitions(partitions) + R"(, "configs": {"min.insync.replicas": "2"}})";
}

TEST(AdviceScenarioTest, replication_factor_one_fires_with_the_replica_count_and_clears_after_reassignment) {
  TestBroker broker(State({{"single", R"({"partitions": [{"id": 0, "replicas": [2], "isr": [2]},
                                                         {"id": 1, "replicas": [1, 2, 3], "isr": [1, 2, 3]}]})"}}),
                    3);
  Scenario scenario(broker.Bootstrap(), {});
  const auto f = Find(scenario.Step(), "topic.replication_factor_one", "single");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_EQ(f->cluster, "scenario");
  EXPECT_EQ(Evidence(*f, "replication_factor"), 1);
  EXPECT_EQ(Evidence(*f, "partitions_with_one_replica"), 1);

  broker.Control(
      R"({"op":"set","path":["topics","single","partitions",0],"value":{"id":0,"replicas":[2,3,1],"isr":[2,3,1]}})");
  EXPECT_FALSE(Find(scenario.Step(), "topic.replication_factor_one", "single"));
}

TEST(AdviceScenarioTest, min_insync_replicas_low_fires_for_rf3_with_min_isr_1_and_clears_when_raised) {
  TestBroker broker(State({{"durable", R"({"partitions": )" + Partitions(2) +
                                           R"(, "configs": {"min.insync.replicas": "1"}})"}}),
                    3);
  Scenario scenario(broker.Bootstrap(), {});
  const auto f = Find(scenario.Step(), "topic.min_insync_replicas_low", "durable");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_EQ(Evidence(*f, "replication_factor"), 3);
  EXPECT_EQ(Evidence(*f, "min_insync_replicas"), 1);

  broker.Control(R"({"op":"set","path":["topics","durable","configs","min.insync.replicas"],"value":"2"})");
  EXPECT_FALSE(Find(scenario.Step(), "topic.min_insync_replicas_low", "durable"));
}

TEST(AdviceScenarioTest, segment_bytes_small_compares_with_the_configured_minimum_and_clears_at_the_default) {
  TestBroker broker(State({{"tiny", R"({"partitions": )" + Partitions(1) +
                                        R"(, "configs": {"segment.bytes": "1048576"}})"},
                           {"medium", R"({"partitions": )" + Partitions(1) +
                                          R"(, "configs": {"segment.bytes": "33554432"}})"}}),
                    3);
  Scenario scenario(broker.Bootstrap(), {{"min_segment_bytes", 16.0 * 1024 * 1024}});
  const auto findings = scenario.Step();
  const auto f = Find(findings, "topic.segment_bytes_small", "tiny");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, Severity::kInfo);
  EXPECT_EQ(Evidence(*f, "segment_bytes"), 1048576);
  EXPECT_EQ(Evidence(*f, "min_segment_bytes"), 16.0 * 1024 * 1024);
  // 32 MiB is below Kafka's default (and the advisor's default minimum, 100 MiB) but above the configured one.
  EXPECT_FALSE(Find(findings, "topic.segment_bytes_small", "medium"));

  broker.Control(R"({"op":"set","path":["topics","tiny","configs","segment.bytes"],"value":"1073741824"})");
  EXPECT_FALSE(Find(scenario.Step(), "topic.segment_bytes_small", "tiny"));
}

TEST(AdviceScenarioTest, isr_below_min_insync_is_under_min_isr_and_under_replicated_until_replicas_rejoin) {
  TestBroker broker(State({{"payments", R"({"partitions": [
                                {"id": 0, "replicas": [1, 2, 3], "isr": [1]},
                                {"id": 1, "replicas": [2, 3, 1], "isr": [2, 3]},
                                {"id": 2, "replicas": [3, 1, 2], "isr": [3, 1, 2]}],
                              "configs": {"min.insync.replicas": "2"}})"}}),
                    3);
  Scenario scenario(broker.Bootstrap(), {});
  const auto findings = scenario.Step();
  const auto min_isr = Find(findings, "cluster.under_min_isr", "payments");
  ASSERT_TRUE(min_isr);
  EXPECT_EQ(min_isr->severity, Severity::kCritical);
  EXPECT_EQ(Evidence(*min_isr, "under_min_isr_partitions"), 1);
  EXPECT_EQ(Evidence(*min_isr, "min_insync_replicas"), 2);
  EXPECT_EQ(Evidence(*min_isr, "smallest_isr"), 1);
  const auto under = Find(findings, "cluster.under_replicated", "payments");
  ASSERT_TRUE(under);
  EXPECT_EQ(under->severity, Severity::kWarning);
  EXPECT_EQ(Evidence(*under, "under_replicated_partitions"), 2);
  EXPECT_EQ(Evidence(*under, "partitions"), 3);
  // Critical findings come first.
  EXPECT_EQ(findings.front().severity, Severity::kCritical);

  broker.Control(R"({"op":"set","path":["topics","payments","partitions",0,"isr"],"value":[1,2]})");
  const auto partly = scenario.Step();
  EXPECT_FALSE(Find(partly, "cluster.under_min_isr", "payments"));
  ASSERT_TRUE(Find(partly, "cluster.under_replicated", "payments"));
  EXPECT_EQ(Evidence(*Find(partly, "cluster.under_replicated", "payments"), "under_replicated_partitions"), 2);

  broker.Control(R"({"op":"set","path":["topics","payments","partitions",0,"isr"],"value":[1,2,3]})");
  broker.Control(R"({"op":"set","path":["topics","payments","partitions",1,"isr"],"value":[2,3,1]})");
  EXPECT_FALSE(Find(scenario.Step(), "cluster.under_replicated", "payments"));
}

TEST(AdviceScenarioTest, leaderless_partition_is_offline_and_not_counted_as_under_replicated_until_it_has_a_leader) {
  TestBroker broker(State({{"orders", R"({"partitions": [
                                {"id": 0, "replicas": [1, 2, 3], "isr": [1, 2, 3]},
                                {"id": 1, "replicas": [2, 3, 1], "isr": [], "leader": -1}],
                              "configs": {"min.insync.replicas": "2"}})"}}),
                    3);
  Scenario scenario(broker.Bootstrap(), {});
  const auto findings = scenario.Step();
  const auto f = Find(findings, "cluster.offline_partitions", "orders");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_EQ(Evidence(*f, "offline_partitions"), 1);
  EXPECT_EQ(Evidence(*f, "partitions"), 2);
  EXPECT_FALSE(Find(findings, "cluster.under_replicated", "orders"));
  EXPECT_FALSE(Find(findings, "cluster.under_min_isr", "orders"));

  broker.Control(R"({"op":"set","path":["topics","orders","partitions",1],)"
                 R"("value":{"id":1,"replicas":[2,3,1],"isr":[2,3,1],"leader":2}})");
  EXPECT_FALSE(Find(scenario.Step(), "cluster.offline_partitions", "orders"));
}

TEST(AdviceScenarioTest, leaders_on_one_broker_are_an_imbalance_with_the_counts_until_spread) {
  std::string all_on_one = R"({"partitions": [)";
  std::string spread = "[";
  for (int i = 0; i < 6; ++i) {
    const int preferred = 1 + i % 3;
    const std::string replicas = "[" + std::to_string(preferred) + ", " + std::to_string(1 + (i + 1) % 3) + ", " +
                                 std::to_string(1 + (i + 2) % 3) + "]";
    all_on_one += std::string(i == 0 ? "" : ", ") + R"({"id": )" + std::to_string(i) +
                  R"(, "replicas": [1, 2, 3], "isr": [1, 2, 3]})";
    spread += std::string(i == 0 ? "" : ", ") + R"({"id": )" + std::to_string(i) + R"(, "replicas": )" + replicas +
              R"(, "isr": )" + replicas + "}";
  }
  all_on_one += R"(], "configs": {"min.insync.replicas": "2"}})";
  spread += "]";
  TestBroker broker(State({{"hot", all_on_one}}), 3);
  // 6 led partitions are fewer than the default minimum of 10: the configured minimum lets the rule judge.
  Scenario scenario(broker.Bootstrap(), {{"leader_imbalance_min_partitions", 6}});
  const auto f = Find(scenario.Step(), "cluster.leader_imbalance", "scenario");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_EQ(f->subject_kind, "cluster");
  EXPECT_EQ(Evidence(*f, "max_leaders"), 6);
  EXPECT_EQ(Evidence(*f, "max_leaders_broker"), 1);
  EXPECT_EQ(Evidence(*f, "mean_leaders"), 2);
  EXPECT_EQ(Evidence(*f, "ratio"), 3);
  EXPECT_EQ(Evidence(*f, "brokers"), 3);
  EXPECT_EQ(Evidence(*f, "leader_imbalance_ratio"), 1.5);

  broker.Control(R"({"op":"set","path":["topics","hot","partitions"],"value":)" + spread + "}");
  EXPECT_FALSE(Find(scenario.Step(), "cluster.leader_imbalance", "scenario"));
}

TEST(AdviceScenarioTest, leader_off_its_preferred_replica_fires_until_the_preferred_replica_leads_again) {
  TestBroker broker(State({{"moved", R"({"partitions": [
                                {"id": 0, "replicas": [2, 1, 3], "isr": [2, 1, 3], "leader": 1},
                                {"id": 1, "replicas": [3, 2, 1], "isr": [3, 2, 1]}],
                              "configs": {"min.insync.replicas": "2"}})"}}),
                    3);
  Scenario scenario(broker.Bootstrap(), {});
  const auto f = Find(scenario.Step(), "topic.leader_not_preferred", "moved");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, Severity::kInfo);
  EXPECT_EQ(Evidence(*f, "non_preferred_leaders"), 1);
  EXPECT_EQ(Evidence(*f, "partitions"), 2);

  broker.Control(R"({"op":"set","path":["topics","moved","partitions",0,"leader"],"value":2})");
  EXPECT_FALSE(Find(scenario.Step(), "topic.leader_not_preferred", "moved"));
}

TEST(AdviceScenarioTest, healthy_topics_give_no_topic_or_cluster_findings) {
  TestBroker broker(State({{"fine", HealthyTopic(3)}}), 3);
  Scenario scenario(broker.Bootstrap(), {});
  const auto findings = scenario.Step();
  for (const auto& f : findings) ADD_FAILURE() << f.rule_id << " about " << f.subject << ": " << f.summary;
}

// ---------------------------------------------------------------------------------------------------
// Group rules on the test broker.

std::string Member(const std::string& topic) {
  return R"({"member_id": "m1", "client_id": "c1", "client_host": "/127.0.0.1", "assignment": {")" + topic +
         R"(": [0]}})";
}

std::string Group(bool with_member, int64_t committed) {
  return std::string(R"({"state": ")") + (with_member ? "Stable" : "Empty") +
         R"(", "protocol_type": "consumer", "protocol": "range", "members": [)" +
         (with_member ? Member("events") : "") + R"(], "offsets": {"events": {"0": )" + std::to_string(committed) +
         "}}}";
}

std::string EventsTopic(int64_t high_watermark) {
  return R"({"partitions": [{"id": 0, "replicas": [1, 2, 3], "isr": [1, 2, 3], "high_watermark": )" +
         std::to_string(high_watermark) + R"(}], "configs": {"min.insync.replicas": "2"}})";
}

TEST(AdviceScenarioTest, lag_over_the_configured_thresholds_is_a_warning_then_critical_and_clears_on_commit) {
  TestBroker broker(State({{"events", EventsTopic(5000)}}, {{"billing", Group(true, 0)}}), 3);
  Scenario scenario(broker.Bootstrap(), {{"lag_warning_messages", 1000}, {"lag_critical_messages", 10000}});
  const auto warning = Find(scenario.Step(), "group.lag_messages", "billing");
  ASSERT_TRUE(warning);
  EXPECT_EQ(warning->severity, Severity::kWarning);
  EXPECT_EQ(Evidence(*warning, "lag_messages"), 5000);
  EXPECT_EQ(Evidence(*warning, "threshold"), 1000);
  EXPECT_EQ(Evidence(*warning, "lagging_partitions"), 1);
  EXPECT_EQ(Evidence(*warning, "members"), 1);

  broker.Control(R"({"op":"set","path":["topics","events","partitions",0,"high_watermark"],"value":50000})");
  const auto critical = Find(scenario.Step(), "group.lag_messages", "billing");
  ASSERT_TRUE(critical);
  EXPECT_EQ(critical->severity, Severity::kCritical);
  EXPECT_EQ(Evidence(*critical, "lag_messages"), 50000);
  EXPECT_EQ(Evidence(*critical, "threshold"), 10000);

  broker.Control(R"({"op":"set","path":["groups","billing","offsets","events","0"],"value":49500})");
  EXPECT_FALSE(Find(scenario.Step(), "group.lag_messages", "billing"));
}

TEST(AdviceScenarioTest, default_lag_thresholds_leave_a_5000_record_lag_alone) {
  TestBroker broker(State({{"events", EventsTopic(5000)}}, {{"billing", Group(true, 0)}}), 3);
  Scenario scenario(broker.Bootstrap(), {});
  EXPECT_FALSE(Find(scenario.Step(), "group.lag_messages", "billing"));
}

TEST(AdviceScenarioTest, lag_in_seconds_over_the_configured_threshold_fires_and_clears_when_caught_up) {
  TestBroker broker(State({{"events", EventsTopic(100)}}, {{"billing", Group(true, 10)}}), 3);
  // The exporter dates offset 10 no later than its first read of the topic (a lower bound growing with
  // time), so a threshold of 0.3 s is passed within a few cycles.
  Scenario scenario(broker.Bootstrap(), {{"lag_warning_seconds", 0.3}, {"lag_critical_seconds", 3600}});
  const auto f = scenario.StepUntilFound("group.lag_seconds", "billing");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_GT(Evidence(*f, "lag_seconds"), 0.3);
  EXPECT_LT(Evidence(*f, "lag_seconds"), 10);
  EXPECT_EQ(Evidence(*f, "threshold"), 0.3);

  broker.Control(R"({"op":"set","path":["groups","billing","offsets","events","0"],"value":100})");
  EXPECT_FALSE(Find(scenario.Step(), "group.lag_seconds", "billing"));
}

TEST(AdviceScenarioTest, memberless_group_whose_offsets_do_not_move_is_stopped_until_it_commits) {
  TestBroker broker(State({{"events", EventsTopic(100)}}, {{"retired", Group(false, 10)}}), 3);
  Scenario scenario(broker.Bootstrap(), {});
  EXPECT_FALSE(Find(scenario.Step(), "group.stopped", "retired")) << "one observation is not a status";
  const auto f = scenario.StepUntilFound("group.stopped", "retired");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_EQ(Evidence(*f, "lag_messages"), 90);
  EXPECT_EQ(Evidence(*f, "stopped_partitions"), 1);

  broker.Control(R"({"op":"set","path":["groups","retired","offsets","events","0"],"value":100})");
  EXPECT_FALSE(Find(scenario.Step(), "group.stopped", "retired"));
}

TEST(AdviceScenarioTest, group_with_members_whose_offsets_do_not_move_for_a_full_window_is_stalled_until_it_commits) {
  TestBroker broker(State({{"events", EventsTopic(100)}}, {{"stuck", Group(true, 10)}}), 3);
  Scenario scenario(broker.Bootstrap(), {});
  for (size_t i = 0; i + 1 < state::StatusOptions::kDefaultWindowSize; ++i) {
    EXPECT_FALSE(Find(scenario.Step(), "group.stalled", "stuck")) << "cycle " << i << ": window not full yet";
  }
  const auto f = Find(scenario.Step(), "group.stalled", "stuck");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_EQ(Evidence(*f, "lag_messages"), 90);
  EXPECT_EQ(Evidence(*f, "stalled_partitions"), 1);
  EXPECT_EQ(Evidence(*f, "members"), 1);

  broker.Control(R"({"op":"set","path":["groups","stuck","offsets","events","0"],"value":100})");
  EXPECT_FALSE(Find(scenario.Step(), "group.stalled", "stuck"));
}

// ---------------------------------------------------------------------------------------------------
// Rate rules on librdkafka's mock cluster: records really produced between two collections.

constexpr double kRateInterval = 0.5;  // advice.min_rate_interval, seconds

/// Produce rate of `topic` between two snapshots, from their offsets (what the rule should measure).
double MeasuredRate(const state::ClusterSnapshot& before, const state::ClusterSnapshot& after,
                    const std::string& topic) {
  double rate = 0;
  for (const auto& t : after.topics) {
    if (t.name != topic) continue;
    for (const auto& p : t.partitions) {
      for (const auto& bt : before.topics) {
        if (bt.name != topic) continue;
        for (const auto& bp : bt.partitions) {
          if (bp.id != p.id) continue;
          const double seconds = std::chrono::duration<double>(p.offsets_at - bp.offsets_at).count();
          rate += static_cast<double>(p.newest_offset - bp.newest_offset) / seconds;
        }
      }
    }
  }
  return rate;
}

/// Waits out the rest of the rate interval since `since`: the measurement window itself.
void AwaitRateInterval(std::chrono::steady_clock::time_point since) {
  std::this_thread::sleep_until(since + std::chrono::duration<double>(kRateInterval * 1.2));
}

TEST(AdviceRateScenarioTest, produce_rate_above_the_configured_capacity_asks_for_partitions_and_clears_when_idle) {
  kafka::MockCluster mock(3);
  mock.CreateTopic("clicks", 3, 3);
  Scenario scenario(mock.Bootstraps(),
                    {{"partition_produce_capacity", 100},
                     {"partition_consume_capacity", 50},
                     {"min_rate_interval", kRateInterval}},
                    /*topic_configs=*/false);
  const auto first = scenario.Cycle();
  const auto started = std::chrono::steady_clock::now();
  for (int32_t p = 0; p < 3; ++p) mock.Produce("clicks", p, 300);
  AwaitRateInterval(started);
  const auto second = scenario.Cycle();
  const auto findings = scenario.advisor().Findings(nullptr);
  const auto f = Find(findings, "topic.partitions_below_throughput", "clicks");
  ASSERT_TRUE(f);
  const double rate = MeasuredRate(*first, *second, "clicks");
  EXPECT_GT(rate, 100);  // 900 records within a couple of seconds at most
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_NEAR(Evidence(*f, "produce_rate_msgs_per_second"), rate, rate * 1e-9);
  EXPECT_EQ(Evidence(*f, "partition_produce_capacity"), 100);
  EXPECT_EQ(Evidence(*f, "partition_consume_capacity"), 50);
  EXPECT_EQ(Evidence(*f, "partitions"), 3);
  EXPECT_EQ(Evidence(*f, "required_partitions"), std::ceil(rate / 50));
  EXPECT_GT(Evidence(*f, "hottest_partition_msgs_per_second"), 0);
  // An even spread is not skew.
  EXPECT_FALSE(Find(findings, "topic.partition_skew", "clicks"));

  const auto idle_since = std::chrono::steady_clock::now();
  AwaitRateInterval(idle_since);
  scenario.Cycle();
  EXPECT_FALSE(Find(scenario.advisor().Findings(nullptr), "topic.partitions_below_throughput", "clicks"));
}

TEST(AdviceRateScenarioTest, default_capacities_leave_a_modest_rate_alone) {
  kafka::MockCluster mock(3);
  mock.CreateTopic("clicks", 3, 3);
  Scenario scenario(mock.Bootstraps(), {{"min_rate_interval", kRateInterval}}, /*topic_configs=*/false);
  scenario.Cycle();
  const auto started = std::chrono::steady_clock::now();
  for (int32_t p = 0; p < 3; ++p) mock.Produce("clicks", p, 300);
  AwaitRateInterval(started);
  scenario.Cycle();
  EXPECT_FALSE(Find(scenario.advisor().Findings(nullptr), "topic.partitions_below_throughput", "clicks"));
}

TEST(AdviceRateScenarioTest, producing_to_one_partition_only_is_skew_and_clears_when_spread_evenly) {
  kafka::MockCluster mock(3);
  mock.CreateTopic("keyed", 3, 3);
  // With 3 partitions and everything on one, the hottest partition takes exactly 3x the mean: the default
  // skew_ratio of 3 (a strict "above") can never fire on 3 partitions, so the configured ratio is 2.
  Scenario scenario(mock.Bootstraps(), {{"skew_ratio", 2}, {"skew_min_rate", 10}, {"min_rate_interval", kRateInterval}},
                    /*topic_configs=*/false);
  const auto first = scenario.Cycle();
  auto started = std::chrono::steady_clock::now();
  mock.Produce("keyed", 0, 600);
  AwaitRateInterval(started);
  const auto second = scenario.Cycle();
  const auto f = Find(scenario.advisor().Findings(nullptr), "topic.partition_skew", "keyed");
  ASSERT_TRUE(f);
  const double rate = MeasuredRate(*first, *second, "keyed");
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_EQ(Evidence(*f, "partition"), 0);
  EXPECT_NEAR(Evidence(*f, "partition_msgs_per_second"), rate, rate * 1e-9);
  EXPECT_NEAR(Evidence(*f, "mean_msgs_per_second"), rate / 3, rate * 1e-9);
  EXPECT_NEAR(Evidence(*f, "ratio"), 3, 1e-9);
  EXPECT_EQ(Evidence(*f, "skew_ratio"), 2);

  started = std::chrono::steady_clock::now();
  for (int32_t p = 0; p < 3; ++p) mock.Produce("keyed", p, 200);
  AwaitRateInterval(started);
  scenario.Cycle();
  EXPECT_FALSE(Find(scenario.advisor().Findings(nullptr), "topic.partition_skew", "keyed"));
}

// ---------------------------------------------------------------------------------------------------
// Client rules over real librdkafka statistics.

/// Statistics documents delivered to stats_cb, in order. Thread-safe.
class StatsCapture {
 public:
  void Add(std::string_view json) {
    std::lock_guard lock(mutex_);
    documents_.emplace_back(json);
  }
  std::vector<std::string> Documents() const {
    std::lock_guard lock(mutex_);
    return documents_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> documents_;
};

int OnStatistics(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
  static_cast<StatsCapture*>(opaque)->Add(std::string_view(json, json_len));
  return 0;  // librdkafka frees json
}

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RdKafkaPtr = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

RdKafkaPtr MakeProducer(const std::vector<std::pair<std::string, std::string>>& settings, StatsCapture* capture) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(key + ": " + error);
    }
  }
  rd_kafka_conf_set_stats_cb(conf, OnStatistics);
  rd_kafka_conf_set_opaque(conf, capture);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(error);
  }
  return RdKafkaPtr(rk);
}

/// Whether the document's latest window saw produced message sets on some topic.
bool SawBatches(const std::string& json) {
  const auto parsed = clientstats::ParseStatistics(json);
  if (!parsed.ok()) return false;
  for (const auto& topic : parsed.statistics->topics) {
    if (topic.batchsize.cnt > 0) return true;
  }
  return false;
}

/// Ingests every document (in order) into `registry`; fails the test on a refused one.
void IngestAll(clientstats::ClientRegistry& registry, const std::vector<std::string>& documents) {
  for (const auto& json : documents) {
    const auto result = registry.Ingest(json, "", state::WallClock::now());
    ASSERT_EQ(result.status, clientstats::IngestStatus::kOk) << result.reason;
  }
}

TEST(AdviceClientScenarioTest, producer_with_linger_0_gets_small_batches_until_an_idle_window) {
  kafka::MockCluster mock(3);
  mock.CreateTopic("linger0", 3, 3);
  StatsCapture capture;
  RdKafkaPtr producer = MakeProducer({{"bootstrap.servers", mock.Bootstraps()},
                                      {"client.id", "scenario-linger0"},
                                      {"linger.ms", "0"},
                                      {"statistics.interval.ms", "300"}},
                                     &capture);
  const std::string payload(200, 'x');
  const auto produce = [&] {
    return rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC("linger0"), RD_KAFKA_V_PARTITION(0),
                             RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  };
  // One record first, so the connection is up before the paced records: records produced while the
  // producer still connects would wait and go out together in one big message set.
  ASSERT_EQ(produce(), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(rd_kafka_flush(producer.get(), 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  const size_t before_paced = capture.Documents().size();
  // ~300 records at ~250/s: with linger.ms=0 each goes out alone.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(produce(), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_poll(producer.get(), 0);
    // The workload's pace, not a wait for a result.
    std::this_thread::sleep_until(start + (i + 1) * 4ms);
  }
  ASSERT_EQ(rd_kafka_flush(producer.get(), 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  // Poll until a report whose window saw batches comes after the paced records.
  const auto saw_paced_batches = [&] {
    const auto docs = capture.Documents();
    for (size_t i = before_paced; i < docs.size(); ++i) {
      if (SawBatches(docs[i])) return true;
    }
    return false;
  };
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!saw_paced_batches() && std::chrono::steady_clock::now() < deadline) rd_kafka_poll(producer.get(), 50);
  ASSERT_TRUE(saw_paced_batches()) << "no report with batches within 10 s";
  // The advisor judges a client's latest report. A busy machine can hold the producer's thread back
  // long enough for a few records to share a message set, so judge the paced report with the most
  // message sets: the one the workload's pace shows best.
  auto docs = capture.Documents();
  size_t judged = before_paced;
  uint64_t most = 0;
  for (size_t i = before_paced; i < docs.size(); ++i) {
    const auto parsed = clientstats::ParseStatistics(docs[i]);
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    for (const auto& topic : parsed.statistics->topics) {
      if (topic.batchsize.cnt > most) {
        most = topic.batchsize.cnt;
        judged = i;
      }
    }
  }
  const std::vector<std::string> busy(docs.begin(), docs.begin() + static_cast<std::ptrdiff_t>(judged + 1));

  clientstats::ClientRegistry registry(10);
  IngestAll(registry, busy);
  const Advisor advisor(ConfigWith({{"client_min_batch_bytes", 2048}}));
  const auto clients = registry.Snapshot();
  ASSERT_EQ(clients->clients.size(), 1u);
  const std::string subject = advice::ClientSubject(*clients->clients[0]);
  EXPECT_TRUE(subject.starts_with("scenario-linger0#producer-")) << subject;
  const auto findings = advisor.Findings(clients.get());
  const auto f = Find(findings, "client.producer_small_batches", subject);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_EQ(f->subject_kind, "client");
  EXPECT_GT(Evidence(*f, "batches"), 0);
  EXPECT_GT(Evidence(*f, "avg_batch_bytes"), 200);  // one record and the message set overhead
  EXPECT_LT(Evidence(*f, "avg_batch_bytes"), 2048);
  EXPECT_GE(Evidence(*f, "avg_batch_messages"), 1);
  EXPECT_LT(Evidence(*f, "avg_batch_messages"), 3);
  EXPECT_EQ(Evidence(*f, "min_batch_bytes"), 2048);
  // Uncompressed 'x' * 200: the message sets are bigger than the records they carry.
  const auto uncompressed = Find(findings, "client.producer_uncompressed", subject);
  ASSERT_TRUE(uncompressed);
  EXPECT_LT(Evidence(*uncompressed, "compression_ratio"), 1.0);
  EXPECT_EQ(Evidence(*uncompressed, "topics"), 1);

  // Idle: the next windows sample no batch, and the latest report is what the advisor judges.
  const size_t seen = capture.Documents().size();
  const auto idle_deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < idle_deadline) {
    const auto docs = capture.Documents();
    if (docs.size() > seen && !SawBatches(docs.back())) break;
    rd_kafka_poll(producer.get(), 50);
  }
  const auto all = capture.Documents();
  ASSERT_FALSE(SawBatches(all.back())) << "no idle report within 10 s";
  IngestAll(registry, std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(busy.size()), all.end()));
  const auto idle = advisor.Findings(registry.Snapshot().get());
  EXPECT_FALSE(Find(idle, "client.producer_small_batches", subject));
  EXPECT_FALSE(Find(idle, "client.producer_uncompressed", subject));
}

TEST(AdviceClientScenarioTest, demo_producer_spreading_few_records_over_many_partitions_gets_small_batches) {
  StatsCapture capture;
  const auto has_producer_batches = [&] {
    for (const auto& json : capture.Documents()) {
      const auto parsed = clientstats::ParseStatistics(json);
      if (parsed.ok() && parsed.statistics->type == "producer" && SawBatches(json)) return true;
    }
    return false;
  };
  kafka::DemoCluster demo([&](std::string_view json) { capture.Add(json); });
  // The demo reports every 5 s.
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (!has_producer_batches() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(has_producer_batches()) << "no producer report with batches within 15 s";

  clientstats::ClientRegistry registry(10);
  for (const auto& json : capture.Documents()) {
    const auto result = registry.Ingest(json, "demo", state::WallClock::now());
    ASSERT_EQ(result.status, clientstats::IngestStatus::kOk) << result.reason;
  }
  const Advisor advisor(ConfigWith({}));
  std::optional<Finding> small;
  for (const auto& f : advisor.Findings(registry.Snapshot().get())) {
    if (f.rule_id == "client.producer_small_batches") small = f;
  }
  ASSERT_TRUE(small);
  EXPECT_TRUE(small->subject.starts_with("demo-producer#producer-")) << small->subject;
  EXPECT_TRUE(small->subject.ends_with(" (demo)")) << small->subject;
  // ~160 records/s of ~20 bytes over 22 partitions: linger.ms=50 still sends about one record per set.
  EXPECT_LT(Evidence(*small, "avg_batch_bytes"), 1024);
  EXPECT_GT(Evidence(*small, "batches"), 0);
  EXPECT_EQ(Evidence(*small, "min_batch_bytes"), 1024);
}

}  // namespace
}  // namespace kpe::app
