#include "collect/snapshot_builder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

#include "collect/cluster_collector.h"

namespace kpe::collect {
namespace {

using namespace std::chrono_literals;

kafka::ClusterMetadata TwoTopics() {
  kafka::ClusterMetadata md;
  md.brokers = {{1, "b1", 9092, ""}, {2, "b2", 9092, "rack-b"}};
  md.cluster_id = "abc";
  md.controller_id = 1;
  md.topics = {{"__consumer_offsets", {{0, 1, {1}, {1}, ""}}, ""},
               {"orders", {{0, 1, {1, 2}, {1, 2}, ""}, {1, 2, {2, 1}, {2}, ""}}, ""},
               {"payments", {{0, 2, {2}, {2}, ""}}, ""}};
  return md;
}

config::ClusterConfig Cluster() {
  config::ClusterConfig cluster;
  cluster.name = "prod";
  cluster.labels = {{"env", "test"}};
  return cluster;
}

CycleResult Succeeded(state::WallClock::time_point now) {
  CycleResult cycle;
  cycle.metadata.value = TwoTopics();
  cycle.offsets_ran = true;
  cycle.watermarks = {{"orders", 0, 0, 10, ""}, {"orders", 1, 5, 20, ""}, {"payments", 0, 0, 7, ""}};
  cycle.now = now;
  return cycle;
}

TEST(IsInternalTopicTest, double_underscore_topics_are_internal) {
  EXPECT_TRUE(IsInternalTopic("__consumer_offsets"));
  EXPECT_TRUE(IsInternalTopic("__transaction_state"));
  EXPECT_FALSE(IsInternalTopic("_schemas"));
  EXPECT_FALSE(IsInternalTopic("orders"));
}

TEST(SelectPartitionsTest, skips_internal_topics_unless_asked) {
  const config::NameFilter all({}, "topics");
  EXPECT_EQ(SelectPartitions(TwoTopics(), all, false).size(), 3u);
  EXPECT_EQ(SelectPartitions(TwoTopics(), all, true).size(), 4u);
}

TEST(SelectPartitionsTest, applies_the_topic_filter_before_any_request) {
  const config::NameFilter only_orders({"ord.*", "^$"}, "topics");
  const auto refs = SelectPartitions(TwoTopics(), only_orders, false);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].topic, "orders");
  EXPECT_EQ(refs[1].partition, 1);
  const config::NameFilter exclude_orders({".*", "orders"}, "topics");
  EXPECT_EQ(SelectPartitions(TwoTopics(), exclude_orders, false).size(), 1u);
}

TEST(BuildSnapshotTest, first_successful_cycle_fills_everything) {
  const config::NameFilter all({}, "topics");
  const auto now = state::WallClock::now();
  const auto snapshot = BuildSnapshot(nullptr, Cluster(), all, Succeeded(now));
  EXPECT_TRUE(snapshot.up);
  EXPECT_TRUE(snapshot.ever_up);
  EXPECT_EQ(snapshot.generation, 1u);
  EXPECT_EQ(snapshot.cluster, "prod");
  EXPECT_EQ(snapshot.labels.at("env"), "test");
  EXPECT_EQ(snapshot.cluster_id, "abc");
  ASSERT_EQ(snapshot.brokers.size(), 2u);
  EXPECT_EQ(snapshot.brokers[1].rack, "rack-b");
  ASSERT_EQ(snapshot.topics.size(), 2u);  // internal topic left out
  const auto& orders = snapshot.topics[0];
  EXPECT_EQ(orders.name, "orders");
  ASSERT_EQ(orders.partitions.size(), 2u);
  EXPECT_EQ(orders.partitions[1].oldest_offset, 5);
  EXPECT_EQ(orders.partitions[1].newest_offset, 20);
  EXPECT_TRUE(orders.partitions[1].offsets_known);
  EXPECT_TRUE(orders.partitions[1].UnderReplicated());
  EXPECT_FALSE(orders.partitions[0].UnderReplicated());
  EXPECT_EQ(orders.partitions[1].offsets_at, now);
  ASSERT_EQ(snapshot.collectors.size(), 2u);
  EXPECT_TRUE(snapshot.collectors[0].success);
  EXPECT_TRUE(snapshot.collectors[1].success);
  EXPECT_EQ(ProblemSummary(snapshot), "");
}

TEST(BuildSnapshotTest, failed_partition_keeps_its_previous_offsets_and_their_time) {
  const config::NameFilter all({}, "topics");
  const auto t0 = state::WallClock::now();
  const auto first = BuildSnapshot(nullptr, Cluster(), all, Succeeded(t0));
  auto cycle = Succeeded(t0 + 15s);
  cycle.watermarks[1] = {"orders", 1, -1, -1, "Local: Timed out"};
  const auto second = BuildSnapshot(&first, Cluster(), all, cycle);

  const auto& stale = second.topics[0].partitions[1];
  EXPECT_TRUE(stale.offsets_known);
  EXPECT_EQ(stale.newest_offset, 20);
  EXPECT_EQ(stale.offsets_at, t0);
  EXPECT_EQ(stale.offsets_error, "Local: Timed out");
  EXPECT_EQ(second.topics[0].partitions[0].offsets_at, t0 + 15s);
  EXPECT_FALSE(second.collectors[1].success);
  EXPECT_EQ(second.collectors[1].last_success, t0);
  EXPECT_EQ(ProblemSummary(second), "offsets: 1 partition: Local: Timed out");
}

TEST(BuildSnapshotTest, failed_partition_without_history_has_unknown_offsets) {
  const config::NameFilter all({}, "topics");
  auto cycle = Succeeded(state::WallClock::now());
  cycle.watermarks[2].error = "Broker: Not leader for partition";
  const auto snapshot = BuildSnapshot(nullptr, Cluster(), all, cycle);
  EXPECT_FALSE(snapshot.topics[1].partitions[0].offsets_known);
}

// The first snapshot of a healthy cluster, with a groups collector run as ClusterCollector adds it.
state::ClusterSnapshot HealthyWithGroups(state::WallClock::time_point t0) {
  const config::NameFilter all({}, "topics");
  auto snapshot = BuildSnapshot(nullptr, Cluster(), all, Succeeded(t0));
  snapshot.collectors.push_back({"groups", true, 0.1, t0, ""});
  auto& group = snapshot.groups.emplace_back();
  group.id = "billing";
  group.observed_at = t0;
  return snapshot;
}

const state::CollectorStatus& StatusOf(const state::ClusterSnapshot& s, const std::string& name) {
  for (const auto& c : s.collectors) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no collector " + name);
}

size_t StalePartitions(const state::ClusterSnapshot& s) {
  size_t stale = 0;
  for (const auto& t : s.topics) {
    for (const auto& p : t.partitions) stale += p.offsets_known && !p.offsets_error.empty() ? 1 : 0;
  }
  return stale;
}

// The snapshot after `first` (taken at t0) when the next cycle, 15 s later, reached no broker.
state::ClusterSnapshot UnreachableAfter(const state::ClusterSnapshot& first, state::WallClock::time_point t0) {
  const config::NameFilter all({}, "topics");
  CycleResult failed;
  failed.metadata.error = "Local: Broker transport failure";
  failed.now = t0 + 15s;
  return BuildSnapshot(&first, Cluster(), all, failed);
}

TEST(BuildSnapshotTest, unreachable_cluster_keeps_last_known_state_and_is_down) {
  const auto t0 = state::WallClock::now();
  const auto first = HealthyWithGroups(t0);
  const auto second = UnreachableAfter(first, t0);
  EXPECT_FALSE(second.up);
  EXPECT_TRUE(second.ever_up);
  EXPECT_EQ(second.generation, 2u);
  EXPECT_EQ(second.topics.size(), 2u);
  EXPECT_EQ(second.brokers.size(), 2u);
  EXPECT_FALSE(second.collectors[0].success);
  EXPECT_EQ(second.collectors[0].last_success, t0);
  EXPECT_EQ(second.collectors[1].last_error, "not run: metadata request failed");
  // Every partition is served with its old offsets, so every one counts as stale.
  EXPECT_EQ(StalePartitions(second), 3u);
  EXPECT_EQ(second.topics[0].partitions[1].newest_offset, 20);
  EXPECT_EQ(second.topics[0].partitions[1].offsets_at, t0);
}

TEST(BuildSnapshotTest, unreachable_cluster_serves_the_groups_with_their_collector_failed) {
  const auto t0 = state::WallClock::now();
  const auto first = HealthyWithGroups(t0);
  const auto second = UnreachableAfter(first, t0);
  ASSERT_EQ(second.groups.size(), 1u);
  EXPECT_EQ(second.groups[0].observed_at, t0);
  EXPECT_EQ(&second.groups[0], &first.groups[0]);  // shared, not copied
  const auto& groups = StatusOf(second, "groups");
  EXPECT_FALSE(groups.success);
  EXPECT_EQ(groups.last_success, t0);
  EXPECT_EQ(groups.last_error, "not run: cluster unreachable");
}

TEST(BuildSnapshotTest, failed_metadata_with_offsets_answered_on_the_last_good_metadata_is_up) {
  const config::NameFilter all({}, "topics");
  const auto t0 = state::WallClock::now();
  const auto first = HealthyWithGroups(t0);
  const auto last_good = TwoTopics();
  auto cycle = Succeeded(t0 + 15s);
  cycle.metadata = {{}, "metadata request: Local: Timed out"};
  cycle.last_good_metadata = &last_good;
  cycle.watermarks[1] = {"orders", 1, -1, -1, "Local: Timed out"};
  const auto second = BuildSnapshot(&first, Cluster(), all, cycle);
  EXPECT_TRUE(second.up);  // the other partitions' offsets were answered
  EXPECT_FALSE(StatusOf(second, "metadata").success);
  EXPECT_EQ(StatusOf(second, "metadata").last_success, t0);
  EXPECT_EQ(second.cluster_id, "abc");
  EXPECT_EQ(second.brokers.size(), 2u);
  ASSERT_EQ(second.topics.size(), 2u);
  EXPECT_EQ(second.topics[0].partitions[0].offsets_at, t0 + 15s);
  EXPECT_EQ(second.topics[0].partitions[1].offsets_at, t0);
  EXPECT_EQ(StalePartitions(second), 1u);
  EXPECT_TRUE(StatusOf(second, "groups").success);  // read after the topics, by the collector
}

TEST(BuildSnapshotTest, failed_metadata_with_no_offsets_answered_is_down_and_every_partition_stale) {
  const config::NameFilter all({}, "topics");
  const auto t0 = state::WallClock::now();
  const auto first = HealthyWithGroups(t0);
  const auto last_good = TwoTopics();
  auto cycle = Succeeded(t0 + 15s);
  cycle.metadata = {{}, "metadata request: Local: Broker transport failure"};
  cycle.last_good_metadata = &last_good;
  for (auto& w : cycle.watermarks) w = {w.topic, w.partition, -1, -1, "Local: Broker transport failure"};
  const auto second = BuildSnapshot(&first, Cluster(), all, cycle);
  EXPECT_FALSE(second.up);
  EXPECT_EQ(StalePartitions(second), 3u);
  EXPECT_EQ(second.topics[0].partitions[1].newest_offset, 20);
  EXPECT_EQ(second.topics[0].partitions[1].offsets_at, t0);
  EXPECT_FALSE(StatusOf(second, "groups").success);
}

TEST(BuildSnapshotTest, never_reached_cluster_is_not_ready) {
  const config::NameFilter all({}, "topics");
  CycleResult failed;
  failed.metadata.error = "Local: Broker transport failure";
  failed.now = state::WallClock::now();
  const auto snapshot = BuildSnapshot(nullptr, Cluster(), all, failed);
  EXPECT_FALSE(snapshot.up);
  EXPECT_FALSE(snapshot.ever_up);
  EXPECT_TRUE(snapshot.topics.empty());
  EXPECT_EQ(snapshot.collectors[0].last_success, state::WallClock::time_point{});
}

TEST(BuildSnapshotTest, errors_are_grouped_by_message_in_the_summary) {
  const config::NameFilter all({}, "topics");
  auto cycle = Succeeded(state::WallClock::now());
  for (auto& w : cycle.watermarks) w.error = "Local: Timed out";
  const auto snapshot = BuildSnapshot(nullptr, Cluster(), all, cycle);
  EXPECT_EQ(ProblemSummary(snapshot), "offsets: 3 partitions: Local: Timed out");
}

}  // namespace
}  // namespace kpe::collect
