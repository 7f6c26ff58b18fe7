// Caching and adaptive sampling through the real ClusterCollector, against librdkafka's mock cluster
// and the Python test broker (which counts the requests it receives).

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "../kafka/commit_support.h"
#include "../kafka/test_broker.h"
#include "collect/cluster_collector.h"
#include "collect/cpu_governor.h"
#include "kafka/mock_cluster.h"

namespace kpe::collect {
namespace {

using namespace std::chrono_literals;
using kafka::testing::SimpleCommit;
using kafka::testing::TestBroker;

const state::CacheStats& Cache(const state::ClusterSnapshot& s, const std::string& name) {
  for (const auto& c : s.caches) {
    if (c.cache == name) return c;
  }
  throw std::runtime_error("no cache " + name);
}

const state::SamplingStats& Sampling(const state::ClusterSnapshot& s, const std::string& kind) {
  for (const auto& c : s.sampling) {
    if (c.kind == kind) return c;
  }
  throw std::runtime_error("no sampling stats for " + kind);
}

const state::Topic& TopicOf(const state::ClusterSnapshot& s, const std::string& name) {
  for (const auto& t : s.topics) {
    if (t.name == name) return t;
  }
  throw std::runtime_error("no topic " + name);
}

const state::ConsumerGroup& GroupOf(const state::ClusterSnapshot& s, const std::string& id) {
  for (const auto& g : s.groups) {
    if (g.id == id) return g;
  }
  throw std::runtime_error("no group " + id);
}

class Collector {
 public:
  Collector(config::ClusterConfig cluster, config::CollectionConfig collection, CpuGovernor* governor = nullptr)
      : validated_{std::move(cluster), config::NameFilter({}, "topics"), config::NameFilter({}, "groups")},
        collector_(validated_, CollectorSettings(collection), [this](SnapshotPtr) { ++published_; }, governor) {}
  SnapshotPtr Cycle() { return collector_.Cycle(); }
  int published() const { return published_; }

 private:
  config::ValidatedCluster validated_;
  int published_ = 0;
  ClusterCollector collector_;
};

config::ClusterConfig Cluster(const std::string& bootstrap, std::vector<std::string> static_groups = {}) {
  config::ClusterConfig cluster;
  cluster.name = "eff";
  cluster.servers = {bootstrap};
  cluster.static_groups = std::move(static_groups);
  return cluster;
}

config::CollectionConfig Collection(bool cache, bool adaptive) {
  config::CollectionConfig c;
  c.interval = 100ms;
  c.max_interval = 800ms;
  c.timeout = 2000ms;
  c.cache = cache;
  c.adaptive_sampling = adaptive;
  c.metadata_ttl = 3600s;
  c.group_list_ttl = 3600s;
  c.group_description_ttl = 3600s;
  return c;
}

TEST(CachingTest, metadata_is_fetched_once_within_its_ttl) {
  kafka::MockCluster mock(3);
  mock.CreateTopic("orders", 3, 3);
  Collector c(Cluster(mock.Bootstraps()), Collection(true, false));
  c.Cycle();
  c.Cycle();
  const auto snapshot = c.Cycle();
  EXPECT_EQ(Cache(*snapshot, "metadata").misses, 1u);
  EXPECT_EQ(Cache(*snapshot, "metadata").hits, 2u);
  EXPECT_EQ(TopicOf(*snapshot, "orders").partitions.size(), 3u);
}

TEST(CachingTest, without_caching_metadata_is_fetched_every_cycle) {
  kafka::MockCluster mock(3);
  mock.CreateTopic("orders", 3, 3);
  Collector c(Cluster(mock.Bootstraps()), Collection(false, false));
  c.Cycle();
  c.Cycle();
  const auto snapshot = c.Cycle();
  EXPECT_EQ(Cache(*snapshot, "metadata").misses, 3u);
  EXPECT_EQ(Cache(*snapshot, "metadata").hits, 0u);
}

TEST(CachingTest, offsets_error_drops_the_cached_metadata) {
  kafka::MockCluster mock(3);
  mock.CreateTopic("orders", 3, 3);
  Collector c(Cluster(mock.Bootstraps()), Collection(true, false));
  const auto first = c.Cycle();
  mock.SetBrokerDown(TopicOf(*first, "orders").partitions[0].leader);
  const auto second = c.Cycle();  // offsets of that leader fail: the metadata may be wrong
  ASSERT_FALSE(TopicOf(*second, "orders").partitions[0].offsets_error.empty());
  const auto third = c.Cycle();
  // The third tick asked the cluster for metadata again (once, or twice when none of the brokers
  // answered offsets with the fresh metadata either).
  EXPECT_GT(Cache(*third, "metadata").misses, Cache(*second, "metadata").misses);
}

const char* const kBrokerState = R"({
  "topics": {"orders": {"partitions": [
      {"id": 0, "replicas": [1], "isr": [1], "log_start": 0, "high_watermark": 100}]}},
  "groups": {
    "billing": {"state": "Stable", "protocol_type": "consumer", "protocol": "range",
      "members": [{"member_id": "m1", "client_id": "c1", "client_host": "/10.0.0.7",
                   "assignment": {"orders": [0]}}],
      "offsets": {"orders": {"0": 90}}}}
})";

TEST(CachingTest, group_descriptions_are_asked_once_within_their_ttl) {
  TestBroker broker(kBrokerState);
  Collector c(Cluster(broker.Bootstrap()), Collection(true, false));
  for (int i = 0; i < 3; ++i) c.Cycle();
  EXPECT_EQ(broker.RequestCount("DescribeGroups"), 1);
  EXPECT_EQ(broker.RequestCount("OffsetFetch"), 3);  // committed offsets are read every tick
  const auto snapshot = c.Cycle();
  EXPECT_EQ(Cache(*snapshot, "group_description").hits, 3u);
  EXPECT_EQ(Cache(*snapshot, "group_list").misses, 1u);
}

TEST(CachingTest, without_caching_groups_are_described_every_cycle) {
  TestBroker broker(kBrokerState);
  Collector c(Cluster(broker.Bootstrap()), Collection(false, false));
  for (int i = 0; i < 3; ++i) c.Cycle();
  EXPECT_EQ(broker.RequestCount("DescribeGroups"), 3);
}

TEST(CachingTest, a_group_whose_listed_state_changed_is_described_again) {
  TestBroker broker(kBrokerState);
  auto collection = Collection(true, false);
  collection.group_list_ttl = 1000ms;
  Collector c(Cluster(broker.Bootstrap()), collection);
  c.Cycle();
  broker.Control(R"({"op":"set","path":["groups","billing","state"],"value":"PreparingRebalance"})");
  std::this_thread::sleep_for(1100ms);  // let the cached group list expire
  const auto snapshot = c.Cycle();
  EXPECT_EQ(broker.RequestCount("DescribeGroups"), 2);
  EXPECT_EQ(GroupOf(*snapshot, "billing").state, "PreparingRebalance");
}

uint64_t Sent(const state::ClusterSnapshot& s, const std::string& client, const std::string& api) {
  for (const auto& r : s.client_requests) {
    if (r.client == client && r.api == api) return r.sent;
  }
  return 0;
}

// What the exporter says it sent is what the broker says it received: the groups client's
// statistics against the scriptable broker's own request log.
TEST(RequestCountTest, requests_sent_per_client_and_type_match_what_the_broker_received) {
  TestBroker broker(kBrokerState);
  Collector c(Cluster(broker.Bootstrap()), Collection(true, false));
  SnapshotPtr snapshot;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {  // statistics come every collection.interval (100 ms): tick until they cover the first one
    snapshot = c.Cycle();
    std::this_thread::sleep_for(150ms);
  } while ((Sent(*snapshot, "groups", "DescribeGroups") == 0 || Sent(*snapshot, "metadata", "ListOffsets") == 0) &&
           std::chrono::steady_clock::now() < deadline);
  // Listing and descriptions are cached for an hour: sent once, never again.
  EXPECT_EQ(broker.RequestCount("ListGroups"), 1);
  EXPECT_EQ(broker.RequestCount("DescribeGroups"), 1);
  EXPECT_EQ(Sent(*snapshot, "groups", "ListGroups"), 1u);
  EXPECT_EQ(Sent(*snapshot, "groups", "DescribeGroups"), 1u);
  EXPECT_EQ(Sent(*snapshot, "metadata", "DescribeGroups"), 0u);
  // Committed offsets are read every tick: the latest statistics lag the broker by at most a tick.
  const uint64_t offset_fetches = Sent(*snapshot, "groups", "OffsetFetch");
  EXPECT_GT(offset_fetches, 0u);
  EXPECT_LE(offset_fetches, static_cast<uint64_t>(broker.RequestCount("OffsetFetch")));
  EXPECT_GT(Sent(*snapshot, "metadata", "Metadata"), 0u);
  EXPECT_LE(Sent(*snapshot, "metadata", "ListOffsets"), static_cast<uint64_t>(broker.RequestCount("ListOffsets")));
  // Counters: a later snapshot never has fewer.
  const uint64_t metadata_before = Sent(*snapshot, "metadata", "Metadata");
  std::this_thread::sleep_for(150ms);
  const auto later = c.Cycle();
  EXPECT_GE(Sent(*later, "groups", "OffsetFetch"), offset_fetches);
  EXPECT_GE(Sent(*later, "metadata", "Metadata"), metadata_before);
}

TEST(AdaptiveGroupsTest, a_group_never_read_that_timed_out_is_asked_again_at_the_next_tick_even_when_stretched) {
  // A process far over its budget: the governor stretches every interval to its maximum (×64), so an
  // alarming group waits 64 × 100 ms - 100 ms before it is asked again.
  double cpu = 0;
  CpuGovernor governor(0.01, 4s, [&cpu] { return cpu += 100; });
  const auto start = std::chrono::steady_clock::now() - 60s;
  for (int i = 0; i < 20; ++i) governor.Update(start + i * 2s);
  ASSERT_GE(governor.stretch(), 60);

  TestBroker broker(kBrokerState);
  auto collection = Collection(true, true);
  collection.timeout = 1000ms;
  Collector c(Cluster(broker.Bootstrap()), collection, &governor);
  broker.Control(R"({"op":"delay","api":"OffsetFetch","ms":1500})");
  const auto first = c.Cycle();
  EXPECT_TRUE(GroupOf(*first, "billing").partitions.empty());
  EXPECT_NE(GroupOf(*first, "billing").error.find("no answer within"), std::string::npos)
      << GroupOf(*first, "billing").error;

  broker.Control(R"({"op":"delay","api":"OffsetFetch","ms":0})");
  std::this_thread::sleep_for(800ms);  // the late answer comes and goes
  const int fetches = broker.RequestCount("OffsetFetch");
  const auto second = c.Cycle();
  EXPECT_GT(broker.RequestCount("OffsetFetch"), fetches) << "the group was not asked again";
  const auto& billing = GroupOf(*second, "billing");
  EXPECT_EQ(billing.error, "");
  EXPECT_EQ(billing.observed_at, second->collected_at);
  ASSERT_EQ(billing.partitions.size(), 1u);
  EXPECT_EQ(billing.partitions[0].committed_offset, 90);
}

class AdaptiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mock_.CreateTopic("busy", 2, 3);
    mock_.CreateTopic("idle", 2, 3);
    mock_.Produce("busy", 0, 5);
    mock_.Produce("idle", 0, 5);
    SimpleCommit(mock_.Bootstraps(), "reader", {{"idle", 0, 2}});
  }
  // Runs `ticks` ticks 100 ms apart, producing to "busy" before each.
  SnapshotPtr Run(Collector& c, int ticks) {
    SnapshotPtr last;
    for (int i = 0; i < ticks; ++i) {
      mock_.Produce("busy", 0, 1);
      last = c.Cycle();
      std::this_thread::sleep_for(100ms);
    }
    return last;
  }
  kafka::MockCluster mock_{3};
};

TEST_F(AdaptiveTest, idle_topic_is_sampled_less_often_than_a_busy_one) {
  Collector c(Cluster(mock_.Bootstraps(), {"reader"}), Collection(true, true));
  auto snapshot = Run(c, 12);
  const auto& stats = Sampling(*snapshot, "topic");
  EXPECT_EQ(stats.entities, 2u);
  EXPECT_DOUBLE_EQ(stats.min_seconds, 0.1);
  EXPECT_GT(stats.max_seconds, 0.1);  // the idle topic's interval grew
  // The busy topic is fresh every tick; the idle one is served with its last values between its reads
  // (which come at a random point of its interval: a tick may just have read it).
  SnapshotPtr stale = snapshot;
  for (int i = 0; i < 10 && TopicOf(*stale, "idle").partitions[0].offsets_at == stale->collected_at; ++i) {
    stale = Run(c, 1);
  }
  snapshot = stale;
  EXPECT_EQ(TopicOf(*snapshot, "busy").partitions[0].offsets_at, snapshot->collected_at);
  EXPECT_LT(TopicOf(*snapshot, "idle").partitions[0].offsets_at, snapshot->collected_at);
  EXPECT_TRUE(TopicOf(*snapshot, "idle").partitions[0].offsets_known);
  EXPECT_EQ(TopicOf(*snapshot, "idle").partitions[0].newest_offset, 5);
}

TEST_F(AdaptiveTest, without_adaptive_sampling_every_topic_is_fresh_every_tick) {
  Collector c(Cluster(mock_.Bootstraps(), {"reader"}), Collection(true, false));
  const auto snapshot = Run(c, 6);
  EXPECT_EQ(TopicOf(*snapshot, "idle").partitions[0].offsets_at, snapshot->collected_at);
  EXPECT_DOUBLE_EQ(Sampling(*snapshot, "topic").max_seconds, 0.1);
}

TEST_F(AdaptiveTest, idle_group_is_read_less_often_and_new_records_on_its_topic_bring_it_back) {
  Collector c(Cluster(mock_.Bootstraps(), {"reader"}), Collection(true, true));
  auto snapshot = Run(c, 12);
  // Read at a random point of its interval: a tick may just have read it.
  for (int i = 0; i < 10 && GroupOf(*snapshot, "reader").observed_at == snapshot->collected_at; ++i) {
    snapshot = Run(c, 1);
  }
  EXPECT_LT(GroupOf(*snapshot, "reader").observed_at, snapshot->collected_at);
  EXPECT_GT(Sampling(*snapshot, "group").max_seconds, 0.1);
  // New records on the idle topic: its lag grows, so the topic and the group are sampled at once.
  mock_.Produce("idle", 0, 3);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    snapshot = c.Cycle();
    if (GroupOf(*snapshot, "reader").observed_at == snapshot->collected_at &&
        GroupOf(*snapshot, "reader").partitions[0].lag == 6) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(GroupOf(*snapshot, "reader").partitions[0].lag, 6);  // 8 records, committed 2
  EXPECT_EQ(GroupOf(*snapshot, "reader").observed_at, snapshot->collected_at);
}

TEST_F(AdaptiveTest, a_group_not_read_in_a_tick_is_shared_with_the_snapshot_before_not_copied) {
  Collector c(Cluster(mock_.Bootstraps(), {"reader"}), Collection(true, true));
  SnapshotPtr before = Run(c, 6);
  int shared = 0;
  for (int i = 0; i < 8; ++i) {
    mock_.Produce("busy", 0, 1);
    SnapshotPtr after = c.Cycle();
    const auto& then = GroupOf(*before, "reader");
    const auto& now = GroupOf(*after, "reader");
    if (now.observed_at == then.observed_at) {
      EXPECT_EQ(&now, &then) << "tick " << i;
      ++shared;
    } else {
      EXPECT_NE(&now, &then) << "tick " << i;
    }
    before = after;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GT(shared, 0);  // the idle group was left out of some ticks
}

TEST_F(AdaptiveTest, a_tick_with_nothing_due_publishes_nothing) {
  mock_.Produce("busy", 0, 1);
  // A minimum interval far longer than any cycle (a slow first cycle under a sanitizer once took over
  // the 100 ms the other tests use, so the topic was due again at the second tick).
  auto collection = Collection(true, true);
  collection.interval = 60s;
  collection.max_interval = 120s;
  Collector c(Cluster(mock_.Bootstraps()), collection);
  c.Cycle();
  const int after_first = c.published();
  c.Cycle();  // immediately: nothing is due yet, metadata is cached
  EXPECT_EQ(c.published(), after_first);
}

}  // namespace
}  // namespace kpe::collect
