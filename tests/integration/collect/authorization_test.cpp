// Authorization refusals through the real ClusterCollector against the Python test broker: exported per
// resource and operation while they last, logged once, and everything permitted still collected.

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../kafka/test_broker.h"
#include "collect/cluster_collector.h"

namespace kpe::collect {
namespace {

using namespace std::chrono_literals;
using kafka::testing::TestBroker;

const char* const kState = R"({
  "cluster_id": "auth-test",
  "topics": {
    "orders": {"partitions": [{"id": 0, "replicas": [1], "isr": [1], "log_start": 0, "high_watermark": 100}]},
    "payments": {"partitions": [{"id": 0, "replicas": [1], "isr": [1], "log_start": 5, "high_watermark": 40}]}},
  "groups": {
    "billing": {"state": "Stable", "protocol_type": "consumer", "protocol": "range", "members": [],
      "offsets": {"orders": {"0": 90}}},
    "reporting": {"state": "Empty", "protocol_type": "consumer", "protocol": "", "members": [],
      "offsets": {"payments": {"0": 30}}}}
})";

/// Routes spdlog to a string for the test's lifetime (restores the previous default logger after).
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  size_t CountLines(const std::string& needle) {
    spdlog::default_logger()->flush();
    std::istringstream in(out_.str());
    size_t count = 0;
    for (std::string line; std::getline(in, line);) count += line.find(needle) != std::string::npos ? 1 : 0;
    return count;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

/// A collector of the test broker that asks everything on every tick.
class Harness {
 public:
  explicit Harness(const std::string& bootstrap)
      : validated_{Cluster(bootstrap), config::NameFilter({}, "topics"), config::NameFilter({}, "groups")} {
    CollectorSettings settings;
    settings.collection.interval = 1000ms;
    settings.collection.timeout = 2000ms;
    settings.collection.adaptive_sampling = false;
    settings.collection.cache = false;
    settings.topic_configs.ttl = 1ms;  // read again every tick, so a lifted refusal shows at once
    collector_ = std::make_unique<ClusterCollector>(validated_, settings, [](SnapshotPtr) {});
  }
  SnapshotPtr Cycle() { return collector_->Cycle(); }

 private:
  static config::ClusterConfig Cluster(const std::string& bootstrap) {
    config::ClusterConfig cluster;
    cluster.name = "test";
    cluster.servers = {bootstrap};
    return cluster;
  }
  config::ValidatedCluster validated_;
  std::unique_ptr<ClusterCollector> collector_;
};

std::vector<std::string> Failures(const state::ClusterSnapshot& s) {
  std::vector<std::string> out;
  for (const auto& f : s.authorization_failures) out.push_back(f.resource_type + "/" + f.resource + "/" + f.operation);
  return out;
}

const state::Topic* FindTopic(const state::ClusterSnapshot& s, const std::string& name) {
  for (const auto& t : s.topics) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const state::ConsumerGroup* FindGroup(const state::ClusterSnapshot& s, const std::string& id) {
  for (const auto& g : s.groups) {
    if (g.id == id) return &g;
  }
  return nullptr;
}

TEST(AuthorizationTest, refused_group_and_topic_configs_are_exported_while_the_rest_is_collected) {
  TestBroker broker(kState);
  broker.Control(R"({"op":"set","path":["groups","billing","error_code"],"value":30})");
  broker.Control(R"({"op":"set","path":["topics","orders","configs_error_code"],"value":29})");
  Harness h(broker.Bootstrap());

  const auto snapshot = h.Cycle();

  EXPECT_EQ(Failures(*snapshot),
            (std::vector<std::string>{"group/billing/describe", "group/billing/offsets", "topic/orders/configs"}));
  const auto* payments = FindTopic(*snapshot, "payments");
  ASSERT_NE(payments, nullptr);
  EXPECT_FALSE(payments->configs.empty());
  EXPECT_EQ(payments->partitions.at(0).newest_offset, 40);
  const auto* orders = FindTopic(*snapshot, "orders");
  ASSERT_NE(orders, nullptr);
  EXPECT_EQ(orders->partitions.at(0).newest_offset, 100);  // its offsets are permitted
  const auto* reporting = FindGroup(*snapshot, "reporting");
  ASSERT_NE(reporting, nullptr);
  EXPECT_TRUE(reporting->described);
  ASSERT_EQ(reporting->partitions.size(), 1u);
  EXPECT_EQ(reporting->partitions[0].lag, 10);
}

TEST(AuthorizationTest, each_refusal_is_logged_once_not_once_per_tick) {
  CapturedLog log;
  TestBroker broker(kState);
  broker.Control(R"({"op":"set","path":["groups","billing","error_code"],"value":30})");
  broker.Control(R"({"op":"set","path":["topics","orders","configs_error_code"],"value":29})");
  Harness h(broker.Bootstrap());

  for (int i = 0; i < 3; ++i) h.Cycle();

  EXPECT_EQ(log.CountLines("not authorized: describe of group billing refused"), 1u);
  EXPECT_EQ(log.CountLines("not authorized: offsets of group billing refused"), 1u);
  EXPECT_EQ(log.CountLines("not authorized: configs of topic orders refused"), 1u);
  EXPECT_EQ(log.CountLines("not authorized"), 3u);
}

TEST(AuthorizationTest, lifting_the_refusal_clears_the_series_and_says_so_once) {
  CapturedLog log;
  TestBroker broker(kState);
  broker.Control(R"({"op":"set","path":["groups","billing","error_code"],"value":30})");
  broker.Control(R"({"op":"set","path":["topics","orders","configs_error_code"],"value":29})");
  Harness h(broker.Bootstrap());
  ASSERT_EQ(Failures(*h.Cycle()).size(), 3u);

  broker.Control(R"({"op":"set","path":["groups","billing","error_code"],"value":0})");
  broker.Control(R"({"op":"set","path":["topics","orders","configs_error_code"],"value":0})");
  const auto snapshot = h.Cycle();
  h.Cycle();

  EXPECT_TRUE(snapshot->authorization_failures.empty()) << Failures(*snapshot).front();
  EXPECT_TRUE(FindGroup(*snapshot, "billing")->described);
  EXPECT_FALSE(FindTopic(*snapshot, "orders")->configs.empty());
  EXPECT_EQ(log.CountLines("authorized again"), 3u);
}

TEST(AuthorizationTest, refused_topic_offsets_are_exported_and_other_topics_keep_their_offsets) {
  TestBroker broker(kState);
  broker.Control(R"({"op":"set","path":["topics","orders","partitions",0,"list_offsets_error"],"value":29})");
  Harness h(broker.Bootstrap());

  const auto snapshot = h.Cycle();

  EXPECT_EQ(Failures(*snapshot), (std::vector<std::string>{"topic/orders/offsets"}));
  EXPECT_EQ(FindTopic(*snapshot, "payments")->partitions.at(0).newest_offset, 40);
}

TEST(AuthorizationTest, refused_group_listing_is_a_cluster_failure) {
  TestBroker broker(kState);
  broker.Control(R"({"op":"refuse","api":"ListGroups","error_code":31})");
  Harness h(broker.Bootstrap());

  const auto snapshot = h.Cycle();

  EXPECT_EQ(Failures(*snapshot), (std::vector<std::string>{"cluster/test/list"}));
  EXPECT_EQ(snapshot->authorization_failures.at(0).error.find("uthoriz") != std::string::npos, true)
      << snapshot->authorization_failures.at(0).error;
}

}  // namespace
}  // namespace kpe::collect
