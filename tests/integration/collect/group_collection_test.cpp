// Consumer-group collection through the real ClusterCollector against two wire-protocol peers:
// librdkafka's mock cluster (real commits; no group listing) and the Python test broker (scripted
// groups, members, refusals, a slow coordinator).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <vector>

#include "../kafka/commit_support.h"
#include "../kafka/test_broker.h"
#include "collect/cluster_collector.h"
#include "kafka/mock_cluster.h"

namespace kpe::collect {
namespace {

using namespace std::chrono_literals;
using kafka::testing::SimpleCommit;
using kafka::testing::TestBroker;

const state::ConsumerGroup* FindGroup(const state::ClusterSnapshot& s, const std::string& id) {
  for (const auto& g : s.groups) {
    if (g.id == id) return &g;
  }
  return nullptr;
}

const state::CollectorStatus* FindStatus(const state::ClusterSnapshot& s, const std::string& name) {
  for (const auto& c : s.collectors) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// The group coordinator of the test broker answers one request at a time per connection, so a delayed
// DescribeGroups also delays the group's OffsetFetch, as a slow coordinator does.

// Owns what a collector refers to, and records what it publishes.
class Harness {
 public:
  Harness(config::ClusterConfig cluster, config::FilterConfig groups = {},
          std::chrono::milliseconds timeout = 2000ms)
      : validated_{std::move(cluster), config::NameFilter({}, "topics"), config::NameFilter(groups, "groups")} {
    collection_.interval = 1000ms;
    collection_.timeout = timeout;
    // These tests are about what one cycle collects; caching and adaptive sampling have their own.
    collection_.adaptive_sampling = false;
    collection_.cache = false;
    collector_ = std::make_unique<ClusterCollector>(validated_, CollectorSettings(collection_), [this](SnapshotPtr s) {
      std::lock_guard lock(mutex_);
      published_.push_back(std::move(s));
    });
  }
  SnapshotPtr Cycle() { return collector_->Cycle(); }
  std::vector<SnapshotPtr> Published() {
    std::lock_guard lock(mutex_);
    return published_;
  }

 private:
  config::ValidatedCluster validated_;
  config::CollectionConfig collection_;
  std::mutex mutex_;
  std::vector<SnapshotPtr> published_;
  std::unique_ptr<ClusterCollector> collector_;
};

config::ClusterConfig Cluster(const std::string& bootstrap, std::vector<std::string> static_groups = {}) {
  config::ClusterConfig cluster;
  cluster.name = "test";
  cluster.servers = {bootstrap};
  cluster.static_groups = std::move(static_groups);
  return cluster;
}

class MockGroupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mock_.CreateTopic("orders", 3, 3);
    mock_.Produce("orders", 0, 10);
    mock_.Produce("orders", 1, 5);
  }
  kafka::MockCluster mock_{3};
};

TEST_F(MockGroupsTest, lag_is_newest_minus_committed_for_a_static_group) {
  SimpleCommit(mock_.Bootstraps(), "billing", {{"orders", 0, 4}, {"orders", 1, 5}});
  Harness h(Cluster(mock_.Bootstraps(), {"billing"}));
  const auto snapshot = h.Cycle();
  EXPECT_EQ(snapshot->group_discovery.mode, "static");
  EXPECT_EQ(snapshot->group_discovery.refusal, "unsupported");
  const auto* group = FindGroup(*snapshot, "billing");
  ASSERT_NE(group, nullptr);
  ASSERT_EQ(group->partitions.size(), 2u);
  EXPECT_EQ(group->partitions[0].lag, 6);
  EXPECT_EQ(group->partitions[1].lag, 0);
  ASSERT_EQ(group->topics.size(), 1u);
  EXPECT_EQ(group->topics[0].lag_sum, 6);
  EXPECT_EQ(group->topics[0].uncommitted_partitions, 1);  // partition 2 has no commit
  ASSERT_NE(FindStatus(*snapshot, "groups"), nullptr);
  EXPECT_TRUE(FindStatus(*snapshot, "groups")->success) << FindStatus(*snapshot, "groups")->last_error;
}

TEST_F(MockGroupsTest, lag_follows_new_records_and_new_commits) {
  SimpleCommit(mock_.Bootstraps(), "billing", {{"orders", 0, 4}});
  Harness h(Cluster(mock_.Bootstraps(), {"billing"}));
  h.Cycle();
  mock_.Produce("orders", 0, 7);
  SimpleCommit(mock_.Bootstraps(), "billing", {{"orders", 0, 12}});
  const auto snapshot = h.Cycle();
  EXPECT_EQ(FindGroup(*snapshot, "billing")->partitions[0].lag, 17 - 12);
  EXPECT_EQ(FindGroup(*snapshot, "billing")->partitions[0].committed_offset, 12);
}

TEST_F(MockGroupsTest, committed_offset_going_backwards_is_a_rewind) {
  SimpleCommit(mock_.Bootstraps(), "billing", {{"orders", 0, 8}});
  Harness h(Cluster(mock_.Bootstraps(), {"billing"}));
  h.Cycle();
  SimpleCommit(mock_.Bootstraps(), "billing", {{"orders", 0, 2}});
  const auto snapshot = h.Cycle();
  EXPECT_EQ(FindGroup(*snapshot, "billing")->status, state::GroupStatus::kRewind);
}

TEST_F(MockGroupsTest, committed_offset_not_moving_behind_the_newest_is_stalled_after_a_window) {
  SimpleCommit(mock_.Bootstraps(), "billing", {{"orders", 0, 4}});
  Harness h(Cluster(mock_.Bootstraps(), {"billing"}));
  SnapshotPtr snapshot;
  for (size_t i = 0; i < state::StatusOptions::kDefaultWindowSize; ++i) {
    snapshot = h.Cycle();
    if (i + 1 < state::StatusOptions::kDefaultWindowSize) {
      EXPECT_NE(FindGroup(*snapshot, "billing")->status, state::GroupStatus::kStalled) << "cycle " << i;
    }
  }
  // Membership is unknown on the mock (no DescribeGroups), so a non-moving group counts as present.
  EXPECT_EQ(FindGroup(*snapshot, "billing")->status, state::GroupStatus::kStalled);
}

// A group whose committed offsets cannot be read keeps the series of its last good read (not recomputed:
// its commits since are unknown), marked by kafka_consumergroup_up 0 and its read time; then fresh again,
// with the commit history that gives its commit rate intact.
TEST_F(MockGroupsTest, unreadable_offsets_keep_the_last_good_lag_with_its_read_time_then_fresh) {
  constexpr int kRequestTimedOut = 7;
  SimpleCommit(mock_.Bootstraps(), "billing", {{"orders", 0, 4}, {"orders", 1, 5}});
  Harness h(Cluster(mock_.Bootstraps(), {"billing"}), {}, 500ms);
  const auto good = h.Cycle();
  ASSERT_EQ(FindGroup(*good, "billing")->partitions.size(), 2u);
  ASSERT_TRUE(FindStatus(*good, "groups")->success) << FindStatus(*good, "groups")->last_error;

  mock_.PushRequestErrors(kafka::MockCluster::kOffsetFetch, 100000, kRequestTimedOut);
  mock_.Produce("orders", 0, 3);
  const auto failing = h.Cycle();
  const auto* group = FindGroup(*failing, "billing");
  ASSERT_NE(group, nullptr);
  EXPECT_NE(group->error.find("offsets: "), std::string::npos) << group->error;
  ASSERT_EQ(group->partitions.size(), 2u);
  EXPECT_EQ(group->partitions[0].committed_offset, 4);
  EXPECT_EQ(group->partitions[0].lag, 10 - 4);  // as read then, although 3 records came since
  EXPECT_EQ(group->partitions[1].lag, 0);
  ASSERT_EQ(group->topics.size(), 1u);
  EXPECT_EQ(group->topics[0].lag_sum, 6);
  EXPECT_EQ(group->observed_at, good->collected_at);
  EXPECT_FALSE(FindStatus(*failing, "groups")->success);

  mock_.ClearRequestErrors(kafka::MockCluster::kOffsetFetch);
  SimpleCommit(mock_.Bootstraps(), "billing", {{"orders", 0, 8}});
  SnapshotPtr fresh;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    fresh = h.Cycle();
  } while (!FindGroup(*fresh, "billing")->error.empty() && std::chrono::steady_clock::now() < deadline);
  group = FindGroup(*fresh, "billing");
  EXPECT_EQ(group->error, "");
  EXPECT_EQ(group->observed_at, fresh->collected_at);
  ASSERT_EQ(group->partitions.size(), 2u);
  EXPECT_EQ(group->partitions[0].lag, 13 - 8);
  ASSERT_EQ(group->topics.size(), 1u);
  ASSERT_TRUE(group->topics[0].commit_rate.has_value()) << "the commit windows were lost during the failure";
  EXPECT_GT(*group->topics[0].commit_rate, 0);
}

TEST_F(MockGroupsTest, a_quick_group_step_publishes_once_per_tick_with_the_groups) {
  SimpleCommit(mock_.Bootstraps(), "billing", {{"orders", 0, 4}});
  Harness h(Cluster(mock_.Bootstraps(), {"billing"}));
  h.Cycle();
  const auto published = h.Published();
  ASSERT_EQ(published.size(), 1u);
  EXPECT_FALSE(published[0]->topics.empty());
  EXPECT_EQ(published[0]->groups.size(), 1u);
}

TEST_F(MockGroupsTest, precise_lag_seconds_come_from_the_record_at_the_committed_offset) {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  // orders/2: one record written two minutes ago, then four a minute ago; the group is at the first.
  kafka::testing::ProduceAt(mock_.Bootstraps(), "orders", 2, now_ms - 120'000);
  kafka::testing::ProduceAt(mock_.Bootstraps(), "orders", 2, now_ms - 60'000, 4);
  SimpleCommit(mock_.Bootstraps(), "billing", {{"orders", 2, 0}});

  config::ClusterConfig cluster = Cluster(mock_.Bootstraps(), {"billing"});
  config::CollectionConfig collection;
  collection.adaptive_sampling = false;
  collection.cache = false;
  collection.timeout = 2000ms;
  const config::ValidatedCluster validated{cluster, config::NameFilter({}, "topics"),
                                           config::NameFilter({}, "groups")};
  CollectorSettings precise_settings(collection);
  precise_settings.lag = {true, 10};
  ClusterCollector precise(validated, precise_settings, [](SnapshotPtr) {});
  const auto snapshot = precise.Cycle();
  const auto& p = FindGroup(*snapshot, "billing")->partitions[0];
  EXPECT_EQ(p.lag, 5);
  ASSERT_TRUE(p.lag_seconds.has_value());
  EXPECT_NEAR(*p.lag_seconds, 120.0, 5.0);

  // The history alone knows only its one sample, taken just now: a lower bound near 0.
  ClusterCollector estimated(validated, CollectorSettings(collection), [](SnapshotPtr) {});
  const auto estimate = estimated.Cycle();
  EXPECT_LT(*FindGroup(*estimate, "billing")->partitions[0].lag_seconds, 5.0);
}

const char* const kBrokerState = R"({
  "cluster_id": "groups-test",
  "topics": {"orders": {"partitions": [
      {"id": 0, "replicas": [1], "isr": [1], "log_start": 0, "high_watermark": 100},
      {"id": 1, "replicas": [1], "isr": [1], "log_start": 0, "high_watermark": 50}]}},
  "groups": {
    "billing": {"state": "Stable", "protocol_type": "consumer", "protocol": "range",
      "members": [{"member_id": "m1", "client_id": "billing-1", "client_host": "/10.0.0.7",
                   "assignment": {"orders": [0, 1]}}],
      "offsets": {"orders": {"0": 90, "1": 50}}},
    "idle": {"state": "Empty", "protocol_type": "consumer", "protocol": "", "members": []},
    "tmp-debug": {"state": "Empty", "protocol_type": "consumer", "protocol": "", "members": [],
      "offsets": {"orders": {"0": 1}}}}
})";

TEST(BrokerGroupsTest, listed_groups_pass_the_filter_and_are_described) {
  TestBroker broker(kBrokerState);
  Harness h(Cluster(broker.Bootstrap()), {".*", "^tmp-"});
  const auto snapshot = h.Cycle();
  EXPECT_EQ(snapshot->group_discovery.mode, "list");
  ASSERT_EQ(snapshot->groups.size(), 2u);
  EXPECT_EQ(FindGroup(*snapshot, "tmp-debug"), nullptr);

  const auto* billing = FindGroup(*snapshot, "billing");
  ASSERT_NE(billing, nullptr);
  EXPECT_TRUE(billing->described);
  EXPECT_EQ(billing->state, "Stable");
  EXPECT_EQ(billing->assignor, "range");
  ASSERT_EQ(billing->members.size(), 1u);
  EXPECT_EQ(billing->members[0].client_id, "billing-1");
  EXPECT_EQ(billing->members[0].assigned_partitions, 2);
  ASSERT_EQ(billing->partitions.size(), 2u);
  EXPECT_EQ(billing->partitions[0].lag, 10);
  EXPECT_EQ(billing->partitions[1].lag, 0);
}

TEST(BrokerGroupsTest, group_without_commits_has_no_lag_series_and_is_empty) {
  TestBroker broker(kBrokerState);
  Harness h(Cluster(broker.Bootstrap()));
  const auto snapshot = h.Cycle();
  const auto* idle = FindGroup(*snapshot, "idle");
  ASSERT_NE(idle, nullptr);
  EXPECT_TRUE(idle->partitions.empty());
  EXPECT_EQ(idle->state, "Empty");
  EXPECT_EQ(idle->status, state::GroupStatus::kEmpty);
}

TEST(BrokerGroupsTest, a_partition_answered_with_an_error_keeps_its_last_read_and_the_group_says_why) {
  constexpr int kUnknownTopicOrPartition = 3;
  TestBroker broker(kBrokerState);
  Harness h(Cluster(broker.Bootstrap()));
  const auto good = h.Cycle();
  ASSERT_EQ(FindGroup(*good, "billing")->partitions.size(), 2u);

  // Partition 1's commit moves on, but the broker answers it with a per-partition error.
  broker.Control(R"({"op":"set","path":["groups","billing","offsets","orders","1"],"value":{"offset":20,"error_code":)" +
                 std::to_string(kUnknownTopicOrPartition) + "}}");
  broker.Control(R"({"op":"set","path":["groups","billing","offsets","orders","0"],"value":95})");
  const auto snapshot = h.Cycle();
  const auto* billing = FindGroup(*snapshot, "billing");
  ASSERT_NE(billing, nullptr);
  EXPECT_NE(billing->error.find("offsets: 1 partition: "), std::string::npos) << billing->error;
  ASSERT_EQ(billing->partitions.size(), 2u) << "the partition's series would be lost";
  EXPECT_EQ(billing->partitions[0].committed_offset, 95);
  EXPECT_EQ(billing->partitions[1].committed_offset, 50);  // its last good read
  EXPECT_EQ(billing->partitions[1].lag, 0);

  broker.Control(R"({"op":"set","path":["groups","billing","offsets","orders","1"],"value":20})");
  const auto fixed = h.Cycle();
  billing = FindGroup(*fixed, "billing");
  EXPECT_EQ(billing->error, "");
  ASSERT_EQ(billing->partitions.size(), 2u);
  EXPECT_EQ(billing->partitions[1].committed_offset, 20);
  EXPECT_EQ(billing->partitions[1].status, state::PartitionStatus::kRewind);  // 50 -> 20: its window was kept
}

TEST(BrokerGroupsTest, refused_listing_falls_back_to_static_groups_and_says_why) {
  TestBroker broker(kBrokerState);
  broker.Control(R"({"op":"refuse","api":"ListGroups","error_code":31})");
  Harness h(Cluster(broker.Bootstrap(), {"billing"}));
  const auto snapshot = h.Cycle();
  EXPECT_EQ(snapshot->group_discovery.mode, "static");
  EXPECT_EQ(snapshot->group_discovery.refusal, "authorization");
  EXPECT_FALSE(snapshot->group_discovery.refusal_error.empty());
  ASSERT_EQ(snapshot->groups.size(), 1u);
  EXPECT_EQ(snapshot->groups[0].id, "billing");
  EXPECT_TRUE(snapshot->groups[0].described);  // only listing is refused, describing still works
  EXPECT_EQ(snapshot->groups[0].partitions[0].lag, 10);
}

TEST(BrokerGroupsTest, slow_coordinator_delays_only_the_groups) {
  TestBroker broker(kBrokerState);
  Harness h(Cluster(broker.Bootstrap()), {}, 1000ms);
  h.Cycle();  // warm: connections and coordinator known
  broker.Control(R"({"op":"delay","api":"DescribeGroups","ms":3000})");
  // The first slow tick ends within about the timeout, with the groups marked failed.
  auto start = std::chrono::steady_clock::now();
  auto snapshot = h.Cycle();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  const auto* billing = FindGroup(*snapshot, "billing");
  ASSERT_NE(billing, nullptr);
  EXPECT_FALSE(billing->described);
  EXPECT_NE(billing->error.find("describe"), std::string::npos) << billing->error;
  ASSERT_NE(FindStatus(*snapshot, "groups"), nullptr);
  EXPECT_FALSE(FindStatus(*snapshot, "groups")->success) << FindStatus(*snapshot, "groups")->last_error;
  EXPECT_TRUE(FindStatus(*snapshot, "offsets")->success);  // the topics' own collectors are unharmed
  // From then on the topics are published before the groups are read.
  const size_t before = h.Published().size();
  h.Cycle();
  const auto published = h.Published();
  ASSERT_EQ(published.size(), before + 2);
  EXPECT_EQ(published[before]->topics.size(), 1u);
  EXPECT_EQ(published[before]->generation, published[before + 1]->generation);
  // Both carry the request counters (statistics come every second, and 3 s have passed): a snapshot
  // without them would break the counters' series between the two publications.
  const auto& early = published[before]->client_requests;
  const auto& late = published[before + 1]->client_requests;
  EXPECT_FALSE(early.empty());
  for (const auto& r : early) {
    const auto same = std::find_if(late.begin(), late.end(),
                                   [&](const auto& l) { return l.client == r.client && l.api == r.api; });
    ASSERT_NE(same, late.end()) << r.client << " " << r.api;
    EXPECT_GE(same->sent, r.sent) << r.client << " " << r.api;
  }
}

}  // namespace
}  // namespace kpe::collect
