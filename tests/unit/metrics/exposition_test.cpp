#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <tuple>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.h"
#include "util/gzip.h"

namespace kpe::metrics {
namespace {

using namespace fixtures;  // NOLINT: this folder's test helpers

const std::filesystem::path kGolden =
    std::filesystem::path(KPE_SOURCE_DIR) / "tests/golden/exposition_basic.prom";

std::vector<std::string> TypeLines(const std::string& text) {
  std::vector<std::string> types;
  for (const std::string& line : Lines(text)) {
    if (line.starts_with("# TYPE ")) types.push_back(line);
  }
  return types;
}

TEST(ExpositionGoldenTest, basic_snapshot_renders_exactly_the_golden_file) {
  const std::string actual = RenderExposition(One(BasicSnapshot()))->Text();

  const std::string mismatch = GoldenMismatch(actual, kGolden);

  EXPECT_TRUE(mismatch.empty()) << mismatch;
}

TEST(ExpositionGoldenTest, golden_file_passes_promtool_check_metrics) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool))
      << kPromtool << " not found: install Debian's prometheus package to run this check";
  const std::string golden = ReadText(kGolden);
  ASSERT_FALSE(golden.empty()) << kGolden << " is missing or empty";

  const CommandResult result = PromtoolCheckMetrics(golden);

  EXPECT_EQ(result.exit_code, 0) << "promtool check metrics " << kGolden << ":\n" << result.output;
}

TEST(ExpositionGoldenTest, promtool_check_rejects_a_family_described_twice) {
  // Proves the promtool harness above can fail.
  ASSERT_TRUE(std::filesystem::exists(kPromtool)) << kPromtool << " not found";
  const std::string text =
      "# HELP kafka_up Up.\n# TYPE kafka_up gauge\nkafka_up 1\n"
      "# HELP kafka_up Up.\n# TYPE kafka_up gauge\nkafka_up 1\n";

  EXPECT_NE(PromtoolCheckMetrics(text).exit_code, 0);
}

TEST(ExpositionTest, two_clusters_share_one_help_and_type_block_per_family) {
  state::ClusterSnapshot a = BasicSnapshot();
  state::ClusterSnapshot b = BasicSnapshot();
  b.cluster = "staging";
  const SnapshotList snapshots = {std::make_shared<const state::ClusterSnapshot>(a),
                                  std::make_shared<const state::ClusterSnapshot>(b)};

  const std::string text = RenderExposition(snapshots)->Text();

  const std::vector<std::string> types = TypeLines(text);
  EXPECT_EQ(std::set<std::string>(types.begin(), types.end()).size(), types.size()) << text;
  EXPECT_EQ(types, TypeLines(RenderExposition(One(a))->Text()));
}

TEST(ExpositionTest, two_clusters_both_have_their_series) {
  state::ClusterSnapshot b = BasicSnapshot();
  b.cluster = "staging";
  b.labels.clear();
  b.brokers.resize(1);
  const SnapshotList snapshots = {std::make_shared<const state::ClusterSnapshot>(BasicSnapshot()),
                                  std::make_shared<const state::ClusterSnapshot>(b)};

  const std::string text = RenderExposition(snapshots)->Text();

  EXPECT_EQ(SampleValue(text, R"(kafka_brokers{cluster="prod",env="production",zone="eu-west-1"})"),
            2);
  EXPECT_EQ(SampleValue(text, R"(kafka_brokers{cluster="staging"})"), 1);
}

TEST(ExpositionTest, families_are_sorted_by_name) {
  const std::vector<std::string> types = TypeLines(RenderExposition(One(BasicSnapshot()))->Text());

  ASSERT_FALSE(types.empty());
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
}

TEST(ExpositionTest, cluster_totals_count_exported_topics_and_partitions) {
  const std::string text = RenderExposition(One(BasicSnapshot()))->Text();
  const std::string labels = R"({cluster="prod",env="production",zone="eu-west-1"})";

  EXPECT_EQ(SampleValue(text, "kafka_cluster_topics" + labels), 3);
  EXPECT_EQ(SampleValue(text, "kafka_cluster_partitions" + labels), 5);
  EXPECT_EQ(SampleValue(text, "kafka_cluster_under_replicated_partitions" + labels), 2);
  EXPECT_EQ(SampleValue(text, "kafka_cluster_offline_partitions" + labels), 1);
}

TEST(ExpositionTest, offsets_are_omitted_for_partitions_whose_offsets_are_unknown) {
  const std::string text = RenderExposition(One(BasicSnapshot()))->Text();

  // orders/0 and orders/1 are known; orders/2 and both payments partitions are not.
  EXPECT_EQ(CountLinesContaining(text, "kafka_topic_partition_current_offset{"), 2u);
  EXPECT_EQ(CountLinesContaining(text, "kafka_topic_partition_oldest_offset{"), 2u);
  EXPECT_EQ(CountLinesContaining(text, R"(partition="2",topic="orders")"),
            6u);  // the partition still has its 6 metadata series
}

TEST(ExpositionTest, offsets_timestamp_is_the_oldest_known_and_omitted_when_none_is_known) {
  const std::string text = RenderExposition(One(BasicSnapshot()))->Text();
  const std::string name = "kafka_topic_offsets_timestamp_seconds";

  EXPECT_EQ(
      SampleValue(text,
                  name + R"({cluster="prod",env="production",topic="orders",zone="eu-west-1"})"),
      kCollectedAt - 30.5);
  EXPECT_EQ(CountLinesContaining(text, name + "{"), 1u);
}

TEST(ExpositionTest, stale_partitions_counts_known_offsets_whose_latest_read_failed) {
  state::ClusterSnapshot s = BasicSnapshot();
  SetOffsets(s.topics[2].partitions[0], 0, 1, kCollectedAt - 1);
  s.topics[2].partitions[0].offsets_error = "Local: Timed out";
  SetOffsets(s.topics[2].partitions[1], 0, 1, kCollectedAt - 60);  // not sampled lately: not stale

  const std::string text = RenderExposition(One(s))->Text();

  // orders/1 and payments/0 failed with known values; orders/2 failed with none; the rest are fine.
  EXPECT_EQ(
      SampleValue(
          text,
          R"(kafka_perf_exporter_stale_partitions{cluster="prod",env="production",zone="eu-west-1"})"),
      2);
}

TEST(ExpositionTest, topic_with_metadata_error_and_no_partitions_reports_zero_partitions) {
  const std::string text = RenderExposition(One(BasicSnapshot()))->Text();

  EXPECT_EQ(
      SampleValue(
          text,
          R"(kafka_topic_partitions{cluster="prod",env="production",topic="broken",zone="eu-west-1"})"),
      0);
}

TEST(ExpositionTest, collector_that_never_succeeded_has_no_last_success_timestamp) {
  const std::string text = RenderExposition(One(BasicSnapshot()))->Text();
  const std::string name = "kafka_perf_exporter_collector_last_success_timestamp_seconds";

  EXPECT_EQ(CountLinesContaining(text, name + "{"), 2u);
  EXPECT_EQ(CountLinesContaining(text, name + R"({cluster="prod",collector="groups")"), 0u);
  EXPECT_EQ(CountLinesContaining(text, R"(collector_success{cluster="prod",collector="groups")"),
            1u);
}

TEST(ExpositionTest, constant_label_with_a_series_label_name_yields_to_the_series_label) {
  state::ClusterSnapshot s = BasicSnapshot();
  s.labels = {{"cluster", "shadow"}, {"topic", "shadow"}};

  const std::string text = RenderExposition(One(s))->Text();

  EXPECT_EQ(SampleValue(text, R"(kafka_topic_partitions{cluster="prod",topic="orders"})"), 3);
  EXPECT_EQ(SampleValue(text, R"(kafka_brokers{cluster="prod",topic="shadow"})"), 2);
  EXPECT_EQ(CountLinesContaining(text, R"(cluster="shadow")"), 0u);
}

TEST(ExpositionTest, label_values_with_quotes_and_backslashes_are_escaped) {
  state::ClusterSnapshot s = BasicSnapshot();
  s.cluster = R"(a "quoted" \ name)";

  const std::string text = RenderExposition(One(s))->Text();

  EXPECT_NE(text.find(R"(kafka_up{cluster="a \"quoted\" \\ name")"), std::string::npos) << text;
  ASSERT_TRUE(std::filesystem::exists(kPromtool)) << kPromtool << " not found";
  const CommandResult check = PromtoolCheckMetrics(text);
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST(ExpositionTest, series_counts_the_sample_lines) {
  const auto exposition = RenderExposition(One(BasicSnapshot()));

  size_t samples = 0;
  for (const std::string& line : Lines(exposition->Text())) samples += line.starts_with("#") ? 0 : 1;
  EXPECT_EQ(exposition->series, samples);
  EXPECT_GT(samples, 0u);
}

TEST(ExpositionTest, gzip_member_decompresses_to_the_text) {
  const auto exposition = RenderExposition(One(BasicSnapshot()));

  EXPECT_EQ(util::GzipDecompress(exposition->gzip.Bytes() + util::GzipClose(exposition->gzip, "")),
            exposition->Text());
}

TEST(ExpositionTest, no_snapshots_render_an_empty_exposition) {
  const auto exposition = RenderExposition({nullptr});

  EXPECT_EQ(exposition->Text(), "");
  EXPECT_EQ(exposition->series, 0u);
  EXPECT_EQ(util::GzipDecompress(exposition->gzip.Bytes() + util::GzipClose(exposition->gzip, "")), "");
}

TEST(ExpositionTest, cluster_down_reports_up_zero_and_unknown_cluster_info) {
  state::ClusterSnapshot s;
  s.cluster = "dark";

  const std::string text = RenderExposition(One(s))->Text();

  EXPECT_EQ(SampleValue(text, R"(kafka_up{cluster="dark"})"), 0);
  EXPECT_EQ(SampleValue(text, R"(kafka_cluster_info{cluster="dark",cluster_id=""})"), 1);
  EXPECT_EQ(SampleValue(text, R"(kafka_cluster_controller_id{cluster="dark"})"), -1);
}

// Counts the series of a 10,000-partition snapshot (8 per partition, 2 per topic, 25 per cluster);
// its render time is measured by bench/, not here.
TEST(ExpositionTest, ten_thousand_partitions_render_every_series) {
  state::ClusterSnapshot s = BasicSnapshot();
  s.topics.clear();
  for (int t = 0; t < 100; ++t) {
    state::Topic topic;
    topic.name = "service-events-topic-" + std::to_string(t);
    for (int p = 0; p < 100; ++p) {
      topic.partitions.push_back(
          MakePartition(p, p % 3 + 1, {p % 3 + 1, (p + 1) % 3 + 1}, {p % 3 + 1, (p + 1) % 3 + 1}));
      SetOffsets(topic.partitions.back(), 1000 + p, 123456789 + p, kCollectedAt);
    }
    s.topics.push_back(std::move(topic));
  }
  const SnapshotList snapshots = One(std::move(s));

  const auto exposition = RenderExposition(snapshots);
  EXPECT_EQ(exposition->series,
            80000u + 200u + 25u);  // 8 per partition, 2 per topic, 25 per cluster (2 brokers)
}


state::ClusterSnapshot ManyPartitions(int topics, int partitions) {
  state::ClusterSnapshot s = BasicSnapshot();
  s.topics.clear();
  for (int t = 0; t < topics; ++t) {
    state::Topic topic;
    topic.name = "events-" + std::to_string(t);
    for (int p = 0; p < partitions; ++p) {
      topic.partitions.push_back(MakePartition(p, 1, {1, 2}, {1, 2}));
      SetOffsets(topic.partitions.back(), 10, 1000 + p, kCollectedAt);
    }
    s.topics.push_back(std::move(topic));
  }
  return s;
}

/// The text and the gzip bytes of a render through `cache` are those of a render without one.
void ExpectSameAsUncached(const std::shared_ptr<const Exposition>& cached, const SnapshotList& snapshots,
                          const RenderOptions& options = {}) {
  const auto uncached = RenderExposition(snapshots, options);
  EXPECT_EQ(cached->Text(), uncached->Text());
  EXPECT_EQ(cached->gzip.Bytes(), uncached->gzip.Bytes());
  EXPECT_EQ(cached->series, uncached->series);
  EXPECT_EQ(cached->folded_topics, uncached->folded_topics);
  EXPECT_EQ(cached->folded_series, uncached->folded_series);
}

TEST(RenderCacheTest, a_render_deflates_only_the_chunks_whose_text_changed) {
  // 40 topics x 100 partitions: each per-partition family has 4,000 lines, 8 chunks of 512.
  state::ClusterSnapshot s = ManyPartitions(40, 100);
  RenderCache cache;
  const auto first = RenderExposition(One(s), {}, &cache);
  EXPECT_EQ(first->chunks_reused, 0u);
  EXPECT_GT(first->chunks_deflated, 8u * 8u);

  s.topics[39].partitions[99].newest_offset += 5;  // one value of kafka_topic_partition_current_offset
  const SnapshotList changed = One(s);
  const auto second = RenderExposition(changed, {}, &cache);
  const auto uncached = RenderExposition(changed);

  EXPECT_EQ(second->chunks_deflated, 1u);
  EXPECT_EQ(second->chunks_reused, first->chunks_deflated - 1);
  EXPECT_EQ(second->Text(), uncached->Text());
  EXPECT_EQ(second->gzip.Bytes(), uncached->gzip.Bytes());
  EXPECT_EQ(util::GzipDecompress(second->gzip.Bytes() + util::GzipClose(second->gzip, "")), uncached->Text());
  EXPECT_EQ(SampleValue(second->Text(),
                        R"(kafka_topic_partition_current_offset{cluster="prod",env="production",partition="99",topic="events-39",zone="eu-west-1"})"),
            1000 + 99 + 5);
}

TEST(RenderCacheTest, a_series_added_shifts_the_cuts_of_its_block_only) {
  state::ClusterSnapshot s = ManyPartitions(40, 100);
  RenderCache cache;
  const auto first = RenderExposition(One(s), {}, &cache);
  // A partition more on the first topic: every later line of its block moves by one in each
  // per-partition family, the other blocks start where they did.
  s.topics[0].partitions.push_back(MakePartition(100, 1, {1, 2}, {1, 2}));
  SetOffsets(s.topics[0].partitions.back(), 10, 5000, kCollectedAt);
  const SnapshotList changed = One(s);
  const auto second = RenderExposition(changed, {}, &cache);

  ExpectSameAsUncached(second, changed);
  EXPECT_EQ(second->blocks_reused, second->blocks - 1);
  EXPECT_GT(second->chunks_deflated, 8u);  // at least one per per-partition family
  EXPECT_LT(second->chunks_deflated, first->chunks_deflated / 2);
}

/// Cluster `cluster` with `groups` groups ("group-000", ...), each committed on 2 topics of 10
/// partitions (lag = group number).
state::ClusterSnapshot ManyGroups(int groups, std::string cluster = "prod") {
  state::ClusterSnapshot s = ManyPartitions(4, 10);
  s.cluster = std::move(cluster);
  s.groups.clear();
  for (int g = 0; g < groups; ++g) {
    state::ConsumerGroup group;
    char id[16];
    std::snprintf(id, sizeof id, "group-%03d", g);
    group.id = id;
    group.state = "Stable";
    for (const int t : {g % 4, (g + 1) % 4}) {
      const std::string topic = "events-" + std::to_string(t);
      for (int p = 0; p < 10; ++p) group.partitions.push_back(MakeGroupPartition(topic, p, 100 + p, g, 0.5, 2));
      group.topics.push_back({topic, 1045, 10L * g, 0, 1.5});
    }
    std::sort(group.partitions.begin(), group.partitions.end(),
              [](const auto& a, const auto& b) { return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition); });
    std::sort(group.topics.begin(), group.topics.end(), [](const auto& a, const auto& b) { return a.topic < b.topic; });
    s.groups.push_back(std::move(group));
  }
  return s;
}

TEST(RenderCacheTest, blocks_of_groups_that_did_not_change_are_put_in_place_unwritten) {
  state::ClusterSnapshot s = ManyGroups(200);
  RenderCache cache;
  const auto first = RenderExposition(One(s), {}, &cache);
  EXPECT_GT(first->blocks, 2u * 10u);  // ~200 / 8 per pass
  EXPECT_EQ(first->blocks_reused, 0u);

  s.groups.Mutable(123).partitions[3].lag = 999;  // one group changes
  const SnapshotList changed = One(s);
  const auto second = RenderExposition(changed, {}, &cache);

  EXPECT_EQ(second->blocks, first->blocks);
  EXPECT_EQ(second->blocks_reused, second->blocks - 2);  // its block, in each pass
  ExpectSameAsUncached(second, changed);
  EXPECT_EQ(SampleValue(second->Text(),
                        R"(kafka_consumergroup_lag{cluster="prod",consumergroup="group-123",env="production",partition="3",topic="events-0",zone="eu-west-1"})"),
            999);

  // Nothing changed: every block comes back, and nothing is deflated.
  const auto third = RenderExposition(changed, {}, &cache);
  EXPECT_EQ(third->blocks_reused, third->blocks);
  EXPECT_EQ(third->chunks_deflated, 0u);
  ExpectSameAsUncached(third, changed);
}

TEST(RenderCacheTest, groups_added_and_removed_leave_the_other_blocks_in_place) {
  state::ClusterSnapshot s = ManyGroups(200);
  RenderCache cache;
  (void)RenderExposition(One(s), {}, &cache);
  state::ClusterSnapshot fewer = s;
  fewer.groups.clear();
  for (size_t i = 0; i < s.groups.size(); ++i) {
    if (i != 10 && i != 150) fewer.groups.push_back(s.groups.shared(i));
  }
  const SnapshotList changed = One(fewer);
  const auto second = RenderExposition(changed, {}, &cache);

  EXPECT_GE(second->blocks_reused + 4, second->blocks);  // at most the 2 blocks, in each pass
  ExpectSameAsUncached(second, changed);
  EXPECT_FALSE(SampleValue(second->Text(), R"(kafka_consumergroup_up{cluster="prod",consumergroup="group-010",env="production",zone="eu-west-1"})"));
}

TEST(RenderCacheTest, folding_that_changes_renders_the_groups_partitions_again) {
  state::ClusterSnapshot s = ManyGroups(50);
  s.topics.clear();  // the groups' blocks only (their topics fold all the same)
  const SnapshotList snapshots = One(s);
  RenderCache cache;
  (void)RenderExposition(snapshots, {}, &cache);
  RenderOptions fold_lag;
  fold_lag.topic_granularity = {"kafka_consumergroup_lag"};

  const auto folded = RenderExposition(snapshots, fold_lag, &cache);
  EXPECT_EQ(folded->blocks_reused, folded->blocks / 2);  // the groups' own families only
  ExpectSameAsUncached(folded, snapshots, fold_lag);
  EXPECT_GT(folded->folded_series, 0u);

  // Folded again: the blocks come back with what they folded.
  const auto again = RenderExposition(snapshots, fold_lag, &cache);
  EXPECT_EQ(again->blocks_reused, again->blocks);
  ExpectSameAsUncached(again, snapshots, fold_lag);
}

TEST(RenderCacheTest, the_same_groups_in_two_clusters_render_each_clusters_labels) {
  const state::ClusterSnapshot a = ManyGroups(40, "a");
  state::ClusterSnapshot b = a;  // shares a's groups, versions and all
  b.cluster = "b";
  const SnapshotList both = {std::make_shared<const state::ClusterSnapshot>(a),
                             std::make_shared<const state::ClusterSnapshot>(b)};
  RenderCache cache;
  (void)RenderExposition(both, {}, &cache);
  const auto second = RenderExposition(both, {}, &cache);

  EXPECT_EQ(second->blocks_reused, second->blocks);
  ExpectSameAsUncached(second, both);
  EXPECT_EQ(SampleValue(second->Text(),
                        R"(kafka_consumergroup_lag{cluster="b",consumergroup="group-007",env="production",partition="0",topic="events-0",zone="eu-west-1"})"),
            7);
}

TEST(RenderCacheTest, groups_made_outside_a_group_list_are_always_written) {
  state::ClusterSnapshot s = ManyGroups(1);
  auto group = std::make_shared<state::ConsumerGroup>(s.groups[0]);
  group->version = 0;  // as made without GroupList::Make
  s.groups.clear();
  s.groups.push_back(std::const_pointer_cast<const state::ConsumerGroup>(group));
  RenderCache cache;
  (void)RenderExposition(One(s), {}, &cache);

  auto other = std::make_shared<state::ConsumerGroup>(*group);
  other->partitions[0].lag = 42;
  s.groups.clear();
  s.groups.push_back(std::const_pointer_cast<const state::ConsumerGroup>(other));
  const SnapshotList changed = One(s);
  const auto second = RenderExposition(changed, {}, &cache);

  EXPECT_EQ(second->blocks_reused, second->blocks - 2);  // the group's two blocks are written
  ExpectSameAsUncached(second, changed);
}

TEST(RenderCacheTest, only_the_blocks_of_topics_whose_values_changed_are_written) {
  state::ClusterSnapshot s = ManyPartitions(40, 100);
  s.groups.clear();
  RenderCache cache;
  const auto first = RenderExposition(One(s), {}, &cache);
  EXPECT_GE(first->blocks, 2u);

  // Read again with the same values (only when they were read changes): nothing to write.
  for (auto& t : s.topics) {
    for (auto& p : t.partitions) p.offsets_at += std::chrono::seconds(15);
  }
  const auto same = RenderExposition(One(s), {}, &cache);
  EXPECT_EQ(same->blocks_reused, same->blocks);

  // A leader moves, an offset grows: the blocks of those two topics only.
  s.topics[3].partitions[7].leader = 2;
  s.topics[30].partitions[0].newest_offset += 100;
  const SnapshotList changed = One(s);
  const auto second = RenderExposition(changed, {}, &cache);
  EXPECT_GE(second->blocks_reused + 2, second->blocks);
  EXPECT_LT(second->blocks_reused, second->blocks);
  ExpectSameAsUncached(second, changed);
  EXPECT_EQ(SampleValue(second->Text(),
                        R"(kafka_topic_partition_leader{cluster="prod",env="production",partition="7",topic="events-3",zone="eu-west-1"})"),
            2);

  // A topic that another shard now exports: gone from the text.
  s.topics[5].exported = false;
  const SnapshotList unexported = One(s);
  const auto third = RenderExposition(unexported, {}, &cache);
  ExpectSameAsUncached(third, unexported);
  EXPECT_FALSE(SampleValue(third->Text(),
                           R"(kafka_topic_partition_leader{cluster="prod",env="production",partition="7",topic="events-5",zone="eu-west-1"})"));
}

}  // namespace
}  // namespace kpe::metrics
