// ClusterCollector against librdkafka's mock cluster (a real Kafka wire-protocol server on loopback).

#include "collect/cluster_collector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "kafka/mock_cluster.h"

namespace kpe::collect {
namespace {

using namespace std::chrono_literals;

const state::Topic* FindTopic(const state::ClusterSnapshot& s, const std::string& name) {
  for (const auto& t : s.topics) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const state::CollectorStatus& Status(const state::ClusterSnapshot& s, const std::string& name) {
  for (const auto& c : s.collectors) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no collector " + name);
}

class ClusterCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mock_.CreateTopic("orders", 6, 3);
    mock_.CreateTopic("payments", 2, 3);
    cluster_.name = "mock";
    cluster_.servers = {mock_.Bootstraps()};
    collection_.interval = 200ms;
    collection_.timeout = 2000ms;
    collection_.max_backoff = 1000ms;
    // These tests are about what one cycle collects; caching and adaptive sampling have their own.
    collection_.adaptive_sampling = false;
    collection_.cache = false;
  }

  std::unique_ptr<ClusterCollector> MakeCollector(const config::FilterConfig& topics = {}) {
    validated_ = std::make_unique<config::ValidatedCluster>(config::ValidatedCluster{
        cluster_, config::NameFilter(topics, "topics"), config::NameFilter({}, "groups")});
    return std::make_unique<ClusterCollector>(*validated_, CollectorSettings(collection_), [this](SnapshotPtr s) {
      std::lock_guard lock(mutex_);
      published_.push_back(std::move(s));
    });
  }

  kafka::MockCluster mock_{3};
  config::ClusterConfig cluster_;
  config::CollectionConfig collection_;
  std::unique_ptr<config::ValidatedCluster> validated_;
  std::mutex mutex_;
  std::vector<SnapshotPtr> published_;
};

TEST_F(ClusterCollectorTest, first_cycle_sees_brokers_topics_and_partitions) {
  auto collector = MakeCollector();
  const auto snapshot = collector->Cycle();
  EXPECT_TRUE(snapshot->up);
  EXPECT_EQ(snapshot->cluster, "mock");
  ASSERT_EQ(snapshot->brokers.size(), 3u);
  EXPECT_EQ(snapshot->brokers[0].id, 1);
  ASSERT_NE(FindTopic(*snapshot, "orders"), nullptr);
  EXPECT_EQ(FindTopic(*snapshot, "orders")->partitions.size(), 6u);
  EXPECT_EQ(FindTopic(*snapshot, "payments")->partitions.size(), 2u);
  EXPECT_TRUE(Status(*snapshot, "metadata").success);
  EXPECT_TRUE(Status(*snapshot, "offsets").success);
  ASSERT_EQ(published_.size(), 1u);  // once per tick while the group step is quick
  EXPECT_EQ(published_[0], snapshot);
}

TEST_F(ClusterCollectorTest, newest_offset_advances_by_what_was_produced) {
  auto collector = MakeCollector();
  const auto before = collector->Cycle();
  mock_.Produce("orders", 2, 25);
  const auto after = collector->Cycle();
  const auto& p_before = FindTopic(*before, "orders")->partitions[2];
  const auto& p_after = FindTopic(*after, "orders")->partitions[2];
  ASSERT_TRUE(p_after.offsets_known);
  EXPECT_EQ(p_after.newest_offset - p_before.newest_offset, 25);
  EXPECT_EQ(p_after.oldest_offset, 0);
  EXPECT_EQ(FindTopic(*after, "orders")->partitions[3].newest_offset, 0);
}

TEST_F(ClusterCollectorTest, filtered_out_topics_are_not_in_the_snapshot) {
  auto collector = MakeCollector({"pay.*", "^$"});
  const auto snapshot = collector->Cycle();
  EXPECT_EQ(FindTopic(*snapshot, "orders"), nullptr);
  EXPECT_NE(FindTopic(*snapshot, "payments"), nullptr);
}

TEST_F(ClusterCollectorTest, leader_move_shows_in_the_next_cycle) {
  auto collector = MakeCollector();
  collector->Cycle();
  mock_.SetPartitionLeader("orders", 0, 3);
  const auto snapshot = collector->Cycle();
  EXPECT_EQ(FindTopic(*snapshot, "orders")->partitions[0].leader, 3);
}

TEST_F(ClusterCollectorTest, broker_down_keeps_its_partitions_last_values_stale_then_fresh_again) {
  auto collector = MakeCollector();
  mock_.Produce("orders", 0, 5);
  const auto good = collector->Cycle();
  const int32_t leader = FindTopic(*good, "orders")->partitions[0].leader;

  mock_.SetBrokerDown(leader);
  const auto down = collector->Cycle();
  EXPECT_TRUE(down->up);  // the other brokers answer metadata
  const auto& stale = FindTopic(*down, "orders")->partitions[0];
  EXPECT_TRUE(stale.offsets_known);
  EXPECT_EQ(stale.newest_offset, 5);
  EXPECT_LT(stale.offsets_at, down->collected_at);
  EXPECT_FALSE(stale.offsets_error.empty());
  EXPECT_FALSE(Status(*down, "offsets").success);
  // Partitions led by healthy brokers are fresh.
  bool some_fresh = false;
  for (const auto& p : FindTopic(*down, "orders")->partitions) {
    if (p.leader != leader) {
      EXPECT_EQ(p.offsets_at, down->collected_at) << "partition " << p.id;
      some_fresh = true;
    }
  }
  EXPECT_TRUE(some_fresh);

  mock_.SetBrokerUp(leader);
  // librdkafka reconnects with backoff; fresh values must come back within a few cycles.
  SnapshotPtr recovered;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    recovered = collector->Cycle();
  } while (!Status(*recovered, "offsets").success && std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(Status(*recovered, "offsets").success);
  EXPECT_EQ(FindTopic(*recovered, "orders")->partitions[0].offsets_at, recovered->collected_at);
}

// kafka_up means "the cluster answered": a metadata request that librdkafka sent to the one slow broker
// (it picks the broker itself) must not make the cluster down while the other brokers answer.
TEST_F(ClusterCollectorTest, one_slow_broker_leaves_the_cluster_up_and_only_its_partitions_stale) {
  for (int32_t p = 0; p < 6; ++p) mock_.SetPartitionLeader("orders", p, p < 2 ? 1 : 2 + p % 2);
  mock_.SetPartitionLeader("payments", 0, 2);
  mock_.SetPartitionLeader("payments", 1, 3);
  collection_.timeout = 300ms;
  auto collector = MakeCollector();
  ASSERT_TRUE(collector->Cycle()->up);

  mock_.SetBrokerRtt(1, 3000ms);
  for (int i = 0; i < 6; ++i) {
    const auto snapshot = collector->Cycle();
    EXPECT_TRUE(snapshot->up) << "cycle " << i << ": " << Status(*snapshot, "metadata").last_error;
    const auto& orders = FindTopic(*snapshot, "orders")->partitions;
    ASSERT_EQ(orders.size(), 6u);
    EXPECT_FALSE(orders[0].offsets_error.empty()) << "cycle " << i;  // led by the slow broker
    EXPECT_LT(orders[0].offsets_at, snapshot->collected_at);
    for (size_t p = 2; p < orders.size(); ++p) {
      EXPECT_EQ(orders[p].offsets_at, snapshot->collected_at) << "cycle " << i << ", partition " << p;
    }
  }
  mock_.SetBrokerRtt(1, 0ms);
}

// With every broker down nothing is refreshed: every served partition is stale (its offsets keep their
// time) and the groups step, which does not run, reports failure.
TEST_F(ClusterCollectorTest, whole_cluster_down_marks_every_partition_stale_and_the_groups_failed) {
  collection_.timeout = 500ms;
  auto collector = MakeCollector();
  const auto good = collector->Cycle();
  ASSERT_TRUE(good->up);
  ASSERT_TRUE(Status(*good, "groups").success);

  for (int32_t b = 1; b <= 3; ++b) mock_.SetBrokerDown(b);
  const auto down = collector->Cycle();
  EXPECT_FALSE(down->up);
  size_t partitions = 0;
  for (const auto& topic : down->topics) {
    for (const auto& p : topic.partitions) {
      ++partitions;
      EXPECT_TRUE(p.offsets_known) << topic.name << "/" << p.id;
      EXPECT_FALSE(p.offsets_error.empty()) << topic.name << "/" << p.id;
      EXPECT_EQ(p.offsets_at, good->collected_at) << topic.name << "/" << p.id;
    }
  }
  EXPECT_EQ(partitions, 8u);
  EXPECT_FALSE(Status(*down, "groups").success);
  EXPECT_EQ(Status(*down, "groups").last_success, Status(*good, "groups").last_success);

  for (int32_t b = 1; b <= 3; ++b) mock_.SetBrokerUp(b);
  SnapshotPtr recovered;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  // The groups' coordinator may come back a cycle after the partitions' leaders.
  do {
    recovered = collector->Cycle();
  } while (!(recovered->up && Status(*recovered, "offsets").success &&
             Status(*recovered, "groups").success) &&
           std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(recovered->up);
  EXPECT_TRUE(Status(*recovered, "offsets").success);
  EXPECT_TRUE(Status(*recovered, "groups").success);
  EXPECT_EQ(FindTopic(*recovered, "orders")->partitions[0].offsets_at, recovered->collected_at);
}

TEST(ClusterCollectorUnreachableTest, unreachable_bootstrap_publishes_down_snapshot_in_bounded_time) {
  config::ClusterConfig cluster;
  cluster.name = "nowhere";
  cluster.servers = {"127.0.0.1:1"};  // nothing listens on port 1
  config::CollectionConfig collection;
  collection.timeout = 1000ms;
  const config::ValidatedCluster validated{cluster, config::NameFilter({}, "topics"),
                                           config::NameFilter({}, "groups")};
  ClusterCollector collector(validated, CollectorSettings(collection), [](SnapshotPtr) {});
  const auto start = std::chrono::steady_clock::now();
  const auto snapshot = collector.Cycle();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE(snapshot->up);
  EXPECT_FALSE(snapshot->ever_up);
  EXPECT_FALSE(Status(*snapshot, "metadata").success);
  EXPECT_FALSE(Status(*snapshot, "metadata").last_error.empty());
}

TEST_F(ClusterCollectorTest, started_collector_publishes_on_its_interval_and_stops) {
  auto collector = MakeCollector();
  collector->Start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (published_.size() >= 3) break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "fewer than 3 cycles in 10 s at 200 ms";
    std::this_thread::sleep_for(20ms);
  }
  collector->Stop();
  std::lock_guard lock(mutex_);
  EXPECT_EQ(published_.back()->generation, published_.size());
}

}  // namespace
}  // namespace kpe::collect

namespace kpe::collect {
namespace {

TEST_F(ClusterCollectorTest, own_client_statistics_give_every_broker_its_rtt_and_state) {
  auto collector = MakeCollector();
  SnapshotPtr snapshot;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    snapshot = collector->Cycle();
    std::this_thread::sleep_for(100ms);
  } while (snapshot->client_brokers.size() < 3 && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(snapshot->client_brokers.size(), 3u);
  EXPECT_EQ(snapshot->client_brokers[0].broker_id, 1);
  EXPECT_EQ(snapshot->client_brokers[2].broker_id, 3);
  size_t up = 0;
  uint64_t requests = 0;
  for (const auto& b : snapshot->client_brokers) {
    up += b.state == "UP" ? 1 : 0;
    requests += b.requests;
  }
  EXPECT_GE(up, 1u);
  EXPECT_GT(requests, 0u);
}

}  // namespace
}  // namespace kpe::collect
