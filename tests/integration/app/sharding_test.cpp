// Sharding, end to end: N collectors with shard {i, N} against one mock cluster export, together,
// exactly the series one unsharded collector exports, with the same values, and no series twice.
//
// Every collector reads the same quiet cluster once (adaptive sampling and caches off, so one Cycle()
// reads everything); each snapshot is rendered with metrics::RenderExposition, as a replica serves it,
// and the text is parsed back into series identities (name and sorted labels) and values.
//
// Left out of the set comparison, because every replica has its own by design:
// - kafka_perf_exporter_*: the replica's self-metrics (collector durations and success times, cache
//   lookups, sampling intervals, tracked/sampled entities, its client's view of each broker, snapshots
//   published, group discovery mode, stale partitions of the topics it exports).
// - kafka_cluster_consumergroups: the number of groups the replica exports; it adds up across the
//   replicas instead (checked below).
// process_*, build info and data age are per scrape (RenderVolatile) and not rendered here at all.
//
// Values that are times (sample timestamps, lag in seconds, commit age) are taken at each collector's
// own moment, so they are compared within the time all the collections took; every other value exactly.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../kafka/commit_support.h"
#include "collect/cluster_collector.h"
#include "collect/shard.h"
#include "kafka/mock_cluster.h"
#include "metrics/exposition.h"

namespace kpe::app {
namespace {

using namespace std::chrono_literals;
using kafka::testing::Commit;
using kafka::testing::SimpleCommit;

constexpr int kShards = 3;
constexpr int kTopics = 12;
constexpr int kGroups = 30;

/// Series identity: the metric name, then its labels sorted by name, as one readable string.
using SeriesSet = std::map<std::string, double>;

/// Families every replica exports for itself (see the file comment).
bool IsPerReplica(const std::string& name) {
  return name.starts_with("kafka_perf_exporter_") || name == "kafka_cluster_consumergroups";
}

/// Families whose values are times or durations measured at the collector's own moment.
bool IsTimeValued(const std::string& name) {
  return name == "kafka_topic_offsets_timestamp_seconds" ||
         name == "kafka_consumergroup_sample_timestamp_seconds" ||
         name == "kafka_consumergroup_lag_seconds" || name == "kafka_consumergroup_max_lag_seconds" ||
         name == "kafka_consumergroup_last_commit_age_seconds";
}

std::string NameOf(const std::string& identity) { return identity.substr(0, identity.find('{')); }

/// Parses one sample line of the text format (`name{a="x",b="y"} value`) into identity and value;
/// label values may hold escaped quotes and backslashes. Fails the test on anything else.
std::pair<std::string, double> ParseSample(const std::string& line) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  const std::string name = line.substr(0, i);
  std::vector<std::pair<std::string, std::string>> labels;
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const size_t eq = line.find('=', i);
      EXPECT_NE(eq, std::string::npos) << line;
      if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
        ADD_FAILURE() << "bad label in: " << line;
        return {line, 0};
      }
      std::string label = line.substr(i, eq - i);
      std::string value;
      size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size()) ++j;
        value += line[j];
      }
      labels.emplace_back(std::move(label), std::move(value));
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    ++i;  // '}'
  }
  std::sort(labels.begin(), labels.end());
  std::string identity = name + "{";
  for (size_t k = 0; k < labels.size(); ++k) {
    identity += (k ? "," : "") + labels[k].first + "=\"" + labels[k].second + "\"";
  }
  identity += "}";
  std::istringstream rest(line.substr(i));
  double value = 0;
  rest >> value;
  EXPECT_FALSE(rest.fail()) << "no value in: " << line;
  return {identity, value};
}

/// Every sample of an exposition text, keyed by identity; a duplicate identity fails the test.
SeriesSet ParseExposition(const std::string& text) {
  SeriesSet series;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#') continue;
    auto [identity, value] = ParseSample(line);
    EXPECT_TRUE(series.emplace(identity, value).second) << "series twice in one exposition: " << identity;
  }
  return series;
}

SeriesSet Without(const SeriesSet& all, bool (*drop)(const std::string&)) {
  SeriesSet kept;
  for (const auto& [identity, value] : all) {
    if (!drop(NameOf(identity))) kept.emplace(identity, value);
  }
  return kept;
}

std::string TopicName(int t) { return "topic-" + std::to_string(100 + t).substr(1); }
std::string GroupName(int g) { return "group-" + std::to_string(100 + g).substr(1); }
int PartitionsOf(int t) { return 1 + t % 4; }

/// What one collector left after one cycle, and how it renders.
struct Collected {
  collect::SnapshotPtr snapshot;
  SeriesSet series;  // everything RenderExposition rendered
};

class ShardingTest : public ::testing::Test {
 protected:
  // One cluster and one round of collections for all the tests: the mock is quiet from here on.
  static void SetUpTestSuite() {
    mock_ = std::make_unique<kafka::MockCluster>(3);
    const std::string bootstrap = mock_->Bootstraps();
    for (int t = 0; t < kTopics; ++t) {
      mock_->CreateTopic(TopicName(t), PartitionsOf(t), 3);
      for (int p = 0; p < PartitionsOf(t); ++p) mock_->Produce(TopicName(t), p, 3 + (t * 7 + p * 5) % 20);
    }
    std::vector<std::string> groups;
    for (int g = 0; g < kGroups; ++g) {
      groups.push_back(GroupName(g));
      // Each group commits on 1-3 topics, some partitions at the end, some behind, one left out.
      std::vector<Commit> commits;
      for (int k = 0; k <= g % 3; ++k) {
        const int t = (g + k * 5) % kTopics;
        for (int p = 0; p < PartitionsOf(t); ++p) {
          if (p == 1 && g % 4 == 0) continue;  // an uncommitted partition
          commits.push_back({TopicName(t), p, (g + p) % 3});
        }
      }
      SimpleCommit(bootstrap, GroupName(g), commits);
    }

    config::ClusterConfig cluster;
    cluster.name = "sharded";
    cluster.servers = {bootstrap};
    cluster.labels = {{"env", "test"}};
    cluster.static_groups = groups;  // the mock cannot list groups
    validated_ = std::make_unique<config::ValidatedCluster>(config::ValidatedCluster{
        cluster, config::NameFilter({}, "topics"), config::NameFilter({}, "groups")});

    const auto start = std::chrono::steady_clock::now();
    unsharded_ = Collect(config::ShardConfig{});
    for (int i = 0; i < kShards; ++i) shards_.push_back(Collect({i, kShards}));
    one_of_one_ = Collect({0, 1});
    collection_span_seconds_ =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  static void TearDownTestSuite() {
    shards_.clear();
    validated_.reset();
    mock_.reset();
  }

  static Collected Collect(config::ShardConfig shard) {
    config::CollectionConfig collection;
    collection.adaptive_sampling = false;
    collection.cache = false;
    collection.timeout = 10s;
    collect::CollectorSettings settings(collection);
    settings.shard = shard;
    collect::ClusterCollector collector(*validated_, settings, [](collect::SnapshotPtr) {});
    Collected out;
    // Two cycles: rates (kafka_consumergroup_commit_rate) need a previous observation. Nothing is
    // committed in between, so they are 0 on every collector.
    collector.Cycle();
    out.snapshot = collector.Cycle();
    out.series = ParseExposition(metrics::RenderExposition({out.snapshot})->Text());
    return out;
  }

  /// Values of two series sets with the same identities are equal: exactly, or for time-valued
  /// families within the time all collections took.
  static void ExpectSameValues(const SeriesSet& expected, const SeriesSet& actual) {
    for (const auto& [identity, value] : actual) {
      const auto it = expected.find(identity);
      if (it == expected.end()) continue;  // the set comparison reports it
      if (IsTimeValued(NameOf(identity))) {
        EXPECT_NEAR(value, it->second, collection_span_seconds_ + 1.0) << identity;
      } else {
        EXPECT_EQ(value, it->second) << identity;
      }
    }
  }

  static inline std::unique_ptr<kafka::MockCluster> mock_;
  static inline std::unique_ptr<config::ValidatedCluster> validated_;
  static inline Collected unsharded_;
  static inline std::vector<Collected> shards_;
  static inline Collected one_of_one_;
  static inline double collection_span_seconds_ = 0;
};

TEST_F(ShardingTest, the_unsharded_collector_sees_every_topic_and_group) {
  // The premise of the other tests: the comparison is over a full cluster, not an empty one.
  ASSERT_TRUE(unsharded_.snapshot->up);
  EXPECT_EQ(unsharded_.snapshot->topics.size(), static_cast<size_t>(kTopics));
  ASSERT_EQ(unsharded_.snapshot->groups.size(), static_cast<size_t>(kGroups));
  for (const auto& g : unsharded_.snapshot->groups) {
    EXPECT_EQ(g.error, "") << g.id;
    EXPECT_FALSE(g.partitions.empty()) << g.id;
  }
  EXPECT_GT(Without(unsharded_.series, IsPerReplica).size(), 500u);
  // Families the comparison covers beyond offsets and lag (the mock describes no group, so
  // kafka_consumergroup_members/info are absent, and no topic configuration).
  std::set<std::string> families;
  for (const auto& [identity, value] : unsharded_.series) families.insert(NameOf(identity));
  for (const char* name : {"kafka_consumergroup_commit_rate", "kafka_consumergroup_uncommitted_partitions",
                           "kafka_consumergroup_status", "kafka_broker_leaders", "kafka_topic_partitions"}) {
    EXPECT_EQ(families.count(name), 1u) << name;
  }
}

TEST_F(ShardingTest, every_topic_and_group_is_owned_by_exactly_one_shard_and_each_shard_owns_some) {
  std::map<std::string, int> topic_owners;
  std::map<std::string, int> group_owners;
  for (int i = 0; i < kShards; ++i) {
    const auto& s = *shards_[static_cast<size_t>(i)].snapshot;
    size_t exported = 0;
    for (const auto& t : s.topics) {
      EXPECT_EQ(t.exported, collect::Owns({i, kShards}, t.name)) << "shard " << i << " topic " << t.name;
      if (t.exported) ++topic_owners[t.name], ++exported;
    }
    for (const auto& g : s.groups) {
      EXPECT_TRUE(collect::Owns({i, kShards}, g.id)) << "shard " << i << " group " << g.id;
      ++group_owners[g.id];
    }
    EXPECT_GT(exported, 0u) << "shard " << i << " exports no topic";
    EXPECT_FALSE(s.groups.empty()) << "shard " << i << " reads no group";
  }
  for (int t = 0; t < kTopics; ++t) EXPECT_EQ(topic_owners[TopicName(t)], 1) << TopicName(t);
  for (int g = 0; g < kGroups; ++g) EXPECT_EQ(group_owners[GroupName(g)], 1) << GroupName(g);
  EXPECT_EQ(topic_owners.size(), static_cast<size_t>(kTopics));
  EXPECT_EQ(group_owners.size(), static_cast<size_t>(kGroups));
}

TEST_F(ShardingTest, the_shards_together_export_exactly_the_unsharded_series) {
  std::set<std::string> union_of_shards;
  for (const auto& shard : shards_) {
    for (const auto& [identity, value] : Without(shard.series, IsPerReplica)) union_of_shards.insert(identity);
  }
  std::set<std::string> unsharded;
  for (const auto& [identity, value] : Without(unsharded_.series, IsPerReplica)) unsharded.insert(identity);

  std::vector<std::string> missing;
  std::set_difference(unsharded.begin(), unsharded.end(), union_of_shards.begin(), union_of_shards.end(),
                      std::back_inserter(missing));
  std::vector<std::string> extra;
  std::set_difference(union_of_shards.begin(), union_of_shards.end(), unsharded.begin(), unsharded.end(),
                      std::back_inserter(extra));
  EXPECT_EQ(missing, std::vector<std::string>{}) << "exported unsharded, by no shard";
  EXPECT_EQ(extra, std::vector<std::string>{}) << "exported by a shard, not unsharded";
}

TEST_F(ShardingTest, no_series_is_exported_by_two_shards) {
  std::map<std::string, int> exporters;
  for (const auto& shard : shards_) {
    for (const auto& [identity, value] : Without(shard.series, IsPerReplica)) ++exporters[identity];
  }
  for (const auto& [identity, count] : exporters) EXPECT_EQ(count, 1) << identity;
}

TEST_F(ShardingTest, the_shards_export_the_unsharded_values) {
  for (const auto& shard : shards_) ExpectSameValues(unsharded_.series, Without(shard.series, IsPerReplica));
}

TEST_F(ShardingTest, cluster_wide_series_come_from_shard_zero_only) {
  for (int i = 0; i < kShards; ++i) {
    const auto& series = shards_[static_cast<size_t>(i)].series;
    for (const char* name : {"kafka_up", "kafka_brokers", "kafka_cluster_partitions",
                             "kafka_cluster_topics"}) {
      const std::string identity = std::string(name) + "{cluster=\"sharded\",env=\"test\"}";
      EXPECT_EQ(series.count(identity), i == 0 ? 1u : 0u) << "shard " << i << ": " << name;
    }
  }
  // Shard 0's totals count every topic, also those other shards export.
  EXPECT_EQ(shards_[0].series.at("kafka_cluster_partitions{cluster=\"sharded\",env=\"test\"}"),
            unsharded_.series.at("kafka_cluster_partitions{cluster=\"sharded\",env=\"test\"}"));
}

TEST_F(ShardingTest, the_shards_group_counts_add_up_to_the_unsharded_count) {
  const std::string identity = "kafka_cluster_consumergroups{cluster=\"sharded\",env=\"test\"}";
  double sum = 0;
  for (const auto& shard : shards_) sum += shard.series.at(identity);
  EXPECT_EQ(sum, unsharded_.series.at(identity));
  EXPECT_EQ(sum, kGroups);
}

TEST_F(ShardingTest, one_shard_of_one_exports_what_the_unsharded_collector_does) {
  const SeriesSet expected = Without(unsharded_.series, IsPerReplica);
  const SeriesSet actual = Without(one_of_one_.series, IsPerReplica);
  std::set<std::string> expected_ids;
  std::set<std::string> actual_ids;
  for (const auto& [identity, value] : expected) expected_ids.insert(identity);
  for (const auto& [identity, value] : actual) actual_ids.insert(identity);
  EXPECT_EQ(actual_ids, expected_ids);
  ExpectSameValues(expected, actual);
  // Its own families are all there too (same cluster-wide and group-count series).
  EXPECT_EQ(one_of_one_.series.at("kafka_cluster_consumergroups{cluster=\"sharded\",env=\"test\"}"), kGroups);
}

TEST(ShardingParseTest, a_sample_line_parses_into_sorted_labels_and_its_value) {
  const auto [identity, value] = ParseSample(R"(kafka_x{topic="a\"b",cluster="c"} 42)");
  EXPECT_EQ(identity, R"(kafka_x{cluster="c",topic="a"b"})");
  EXPECT_EQ(value, 42);
}

}  // namespace
}  // namespace kpe::app
