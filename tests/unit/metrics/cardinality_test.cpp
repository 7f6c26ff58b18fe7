// Cardinality control of RenderExposition: topic granularity, the series budget, and the
// self-metrics that say what was folded (see RenderOptions and kPartitionFamilies).

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fixtures.h"
#include "metrics/exposition.h"
#include "metrics/names.h"

namespace kpe::metrics {
namespace {

using namespace fixtures;  // NOLINT: this folder's test helpers

/// Topic `name` with `partitions` healthy partitions (leader 1, replicas {1, 2}, both in sync)
/// with known offsets: oldest 10 * id, newest 1000 + id.
state::Topic HealthyTopic(std::string name, int partitions) {
  state::Topic t;
  t.name = std::move(name);
  for (int p = 0; p < partitions; ++p) {
    t.partitions.push_back(MakePartition(p, 1, {1, 2}, {1, 2}));
    SetOffsets(t.partitions.back(), 10 * p, 1000 + p, kCollectedAt);
  }
  return t;
}

/// Cluster "prod" with topics "big-idle" (10 partitions), "lagging" (4, group "app" lags 7 on
/// partition 2), "small-idle" (3) and "under-replicated" (4, partition 1 has one in-sync replica).
state::ClusterSnapshot BudgetSnapshot() {
  state::ClusterSnapshot s;
  s.cluster = "prod";
  s.up = true;
  s.topics = {HealthyTopic("big-idle", 10), HealthyTopic("lagging", 4),
              HealthyTopic("small-idle", 3), HealthyTopic("under-replicated", 4)};
  s.topics[3].partitions[1].isr = {1};
  for (auto& p : s.topics[1].partitions) p.min_insync_replicas = 2;  // "lagging": configs known
  state::ConsumerGroup g;
  g.id = "app";
  for (int p = 0; p < 4; ++p) {
    g.partitions.push_back(MakeGroupPartition("lagging", p, 1000 + p, p == 2 ? 7 : 0, 0.5, 1));
  }
  g.topics = {{"lagging", 4006, 7, 0, std::nullopt}};
  s.groups = {g};
  s.collected_at = At(kCollectedAt);
  return s;
}

RenderOptions Budget(size_t max_series) {
  RenderOptions options;
  options.max_series = max_series;
  return options;
}

std::string Render(const state::ClusterSnapshot& s, const RenderOptions& options) {
  return RenderExposition(One(s), options)->Text();
}

/// Names of the families that have at least one sample in `text`.
std::set<std::string> FamiliesWithSamples(const std::string& text) {
  std::set<std::string> names;
  for (const std::string& line : Lines(text)) {
    if (line.empty() || line[0] == '#') continue;
    names.insert(line.substr(0, line.find_first_of("{ ")));
  }
  return names;
}

/// Sample lines (not HELP or TYPE) of `text` that contain `needle`.
size_t CountSamplesContaining(const std::string& text, std::string_view needle) {
  size_t n = 0;
  for (const std::string& line : Lines(text)) {
    n += !line.starts_with("#") && line.find(needle) != std::string::npos ? 1 : 0;
  }
  return n;
}

size_t SampleLines(const std::string& text) {
  size_t n = 0;
  for (const std::string& line : Lines(text)) n += !line.empty() && line[0] != '#' ? 1 : 0;
  return n;
}

std::string WithoutSelfMetricsOfCardinality(const std::string& text) {
  std::string out;
  for (const std::string& line : Lines(text)) {
    if (line.find("kafka_perf_exporter_series") != std::string::npos ||
        line.find("kafka_perf_exporter_folded_") != std::string::npos) {
      continue;
    }
    out += line + "\n";
  }
  return out;
}

std::string TopicSeries(std::string_view family, std::string_view partition,
                        std::string_view topic) {
  return std::string(family) + R"({cluster="prod",partition=")" + std::string(partition) +
         R"(",topic=")" + std::string(topic) + "\"}";
}

std::string GroupSeries(std::string_view family, std::string_view partition,
                        std::string_view topic) {
  return std::string(family) + R"({cluster="prod",consumergroup="app",partition=")" +
         std::string(partition) + R"(",topic=")" + std::string(topic) + "\"}";
}

std::set<std::string> AllFoldableFamilies() {
  std::set<std::string> names;
  for (const PartitionFamilySpec& f : kPartitionFamilies) {
    if (f.fold != Fold::kNever) names.insert(std::string(f.name));
  }
  return names;
}

bool Folded(const std::string& text, std::string_view topic) {
  return SampleValue(text, TopicSeries("kafka_topic_partition_replicas", "all", topic)).has_value();
}

// ---- No folding ----

TEST(CardinalityTest, default_options_render_no_cardinality_self_metrics) {
  const std::string text = RenderExposition(One(BudgetSnapshot()))->Text();

  EXPECT_EQ(CountLinesContaining(text, "kafka_perf_exporter_series"), 0u);
  EXPECT_EQ(CountLinesContaining(text, "kafka_perf_exporter_folded_"), 0u);
}

TEST(CardinalityTest, budget_above_the_series_count_changes_nothing_but_adds_self_metrics) {
  const std::string plain = Render(BasicSnapshot(), {});

  const std::string budgeted = Render(BasicSnapshot(), Budget(100000));

  EXPECT_EQ(WithoutSelfMetricsOfCardinality(budgeted), plain);
  EXPECT_EQ(SampleValue(budgeted, "kafka_perf_exporter_series_budget"), 100000);
  EXPECT_EQ(
      SampleValue(
          budgeted,
          R"(kafka_perf_exporter_folded_topics{cluster="prod",env="production",zone="eu-west-1"})"),
      0);
  EXPECT_EQ(
      SampleValue(
          budgeted,
          R"(kafka_perf_exporter_folded_series{cluster="prod",env="production",zone="eu-west-1"})"),
      0);
}

// ---- Topic granularity ----

TEST(CardinalityTest, topic_granularity_folds_that_family_for_every_topic) {
  const std::string text =
      Render(BasicSnapshot(), {.topic_granularity = {"kafka_topic_partition_in_sync_replica"}});
  const std::string labels = R"({cluster="prod",env="production",partition="all",topic=")";

  // orders: p2 has no in-sync replica; payments: both have 2.
  EXPECT_EQ(SampleValue(text, "kafka_topic_partition_in_sync_replica" + labels +
                                  "orders\",zone=\"eu-west-1\"}"),
            0);
  EXPECT_EQ(SampleValue(text, "kafka_topic_partition_in_sync_replica" + labels +
                                  "payments\",zone=\"eu-west-1\"}"),
            2);
  EXPECT_EQ(CountLinesContaining(text, "kafka_topic_partition_in_sync_replica{"), 2u);
}

TEST(CardinalityTest, topic_granularity_leaves_the_other_families_per_partition) {
  const std::string plain = Render(BasicSnapshot(), {});

  const std::string text =
      Render(BasicSnapshot(), {.topic_granularity = {"kafka_topic_partition_in_sync_replica"}});

  EXPECT_EQ(CountSamplesContaining(text, R"(partition="all")"), 2u);
  for (const std::string& line : Lines(plain)) {
    if (line.find("in_sync_replica") != std::string::npos) continue;
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << "lost: " << line;
  }
}

TEST(CardinalityTest, folded_topic_families_have_their_aggregates) {
  state::ClusterSnapshot s = BudgetSnapshot();
  state::Topic& t = s.topics[3];  // under-replicated: p1 has isr {1}
  t.partitions[2].leader = 2;     // not preferred
  t.partitions[3].replicas = {1, 2, 3};
  t.partitions[3].isr = {1, 2, 3};
  t.partitions[0].leader = -1;  // offline
  t.partitions[0].isr = {};

  const std::string text = Render(s, {.topic_granularity = AllFoldableFamilies()});
  auto all = [&](std::string_view family) {
    return SampleValue(text, TopicSeries(family, "all", "under-replicated"));
  };

  EXPECT_EQ(all("kafka_topic_partition_current_offset"), 1000 + 1001 + 1002 + 1003);
  EXPECT_EQ(all("kafka_topic_partition_oldest_offset"), 0 + 10 + 20 + 30);
  EXPECT_EQ(all("kafka_topic_partition_replicas"), 2);
  EXPECT_EQ(all("kafka_topic_partition_in_sync_replica"), 0);
  EXPECT_EQ(all("kafka_topic_partition_leader_is_preferred"), 0);
  EXPECT_EQ(all("kafka_topic_partition_under_replicated_partition"), 1);
  EXPECT_EQ(all("kafka_topic_partition_offline"), 1);
}

TEST(CardinalityTest, healthy_folded_topic_has_min_and_max_of_a_healthy_topic) {
  const std::string text = Render(BudgetSnapshot(), {.topic_granularity = AllFoldableFamilies()});
  auto all = [&](std::string_view family) {
    return SampleValue(text, TopicSeries(family, "all", "big-idle"));
  };

  EXPECT_EQ(all("kafka_topic_partition_in_sync_replica"), 2);
  EXPECT_EQ(all("kafka_topic_partition_leader_is_preferred"), 1);
  EXPECT_EQ(all("kafka_topic_partition_under_replicated_partition"), 0);
  EXPECT_EQ(all("kafka_topic_partition_offline"), 0);
}

TEST(CardinalityTest, leader_never_folds_and_keeps_every_partition) {
  const std::string text = Render(BudgetSnapshot(), {.topic_granularity = AllFoldableFamilies()});

  EXPECT_EQ(CountLinesContaining(text, "kafka_topic_partition_leader{"), 10u + 4u + 3u + 4u);
  EXPECT_EQ(SampleValue(text, TopicSeries("kafka_topic_partition_leader", "9", "big-idle")), 1);
}

TEST(CardinalityTest, folded_group_families_have_their_aggregates) {
  state::ClusterSnapshot s = BudgetSnapshot();
  s.groups.Mutable(0).partitions[0].lag_seconds = 4.5;
  s.groups.Mutable(0).partitions[3].last_commit_age_seconds = 30;

  const std::string text = Render(s, {.topic_granularity = AllFoldableFamilies()});
  auto all = [&](std::string_view family) {
    return SampleValue(text, GroupSeries(family, "all", "lagging"));
  };

  EXPECT_EQ(all("kafka_consumergroup_current_offset"), 1000 + 1001 + 1002 + 1003);
  EXPECT_EQ(all("kafka_consumergroup_lag"), 7);
  EXPECT_EQ(all("kafka_consumergroup_lag_seconds"), 4.5);
  EXPECT_EQ(all("kafka_consumergroup_last_commit_age_seconds"), 30);
  EXPECT_EQ(CountLinesContaining(text, R"(consumergroup="app",partition=")"), 4u);
}

TEST(CardinalityTest, every_foldable_family_gets_a_partition_all_series) {
  const std::string text = Render(BudgetSnapshot(), {.topic_granularity = AllFoldableFamilies()});

  for (const PartitionFamilySpec& f : kPartitionFamilies) {
    const bool group = f.name.starts_with("kafka_consumergroup_");
    const std::optional<double> folded =
        SampleValue(text, group ? GroupSeries(f.name, "all", "lagging")
                                : TopicSeries(f.name, "all", "lagging"));
    EXPECT_EQ(folded.has_value(), f.fold != Fold::kNever) << f.name;
  }
}

TEST(CardinalityTest, sum_keeps_per_partition_series_when_a_partition_has_no_value) {
  // orders: offsets of p0 and p1 known, p2 unknown. A partial sum would jump when p2 appears.
  const std::string text =
      Render(BasicSnapshot(), {.topic_granularity = {"kafka_topic_partition_current_offset"}});

  EXPECT_EQ(CountSamplesContaining(text, R"(partition="all")"), 0u);
  EXPECT_EQ(CountLinesContaining(text, "kafka_topic_partition_current_offset{"), 2u);
}

TEST(CardinalityTest, max_folds_over_the_known_values) {
  state::ClusterSnapshot s = BudgetSnapshot();
  s.groups.Mutable(0).partitions[0].lag_seconds.reset();
  s.groups.Mutable(0).partitions[1].lag_seconds = 9;

  const std::string text = Render(s, {.topic_granularity = {"kafka_consumergroup_lag_seconds"}});

  EXPECT_EQ(SampleValue(text, GroupSeries("kafka_consumergroup_lag_seconds", "all", "lagging")), 9);
  EXPECT_EQ(CountLinesContaining(text, "kafka_consumergroup_lag_seconds{"), 1u);
}

TEST(CardinalityTest, group_partitions_of_a_topic_not_in_the_snapshot_fold_too) {
  // GroupsSnapshot has no topics; billing commits on orders and payments.
  const std::string text =
      Render(GroupsSnapshot(), {.topic_granularity = {"kafka_consumergroup_current_offset"}});

  EXPECT_EQ(
      SampleValue(
          text,
          R"(kafka_consumergroup_current_offset{cluster="prod",consumergroup="billing",env="production",partition="all",topic="orders"})"),
      300);
  EXPECT_EQ(
      SampleValue(
          text,
          R"(kafka_consumergroup_current_offset{cluster="prod",consumergroup="billing",env="production",partition="all",topic="payments"})"),
      50);
  EXPECT_EQ(CountLinesContaining(text, "kafka_consumergroup_current_offset{"), 2u);
}

TEST(CardinalityTest, granularity_self_metrics_count_folded_topics_and_replaced_series) {
  const auto exposition = RenderExposition(
      One(BudgetSnapshot()), {.topic_granularity = {"kafka_topic_partition_replicas"}});

  EXPECT_EQ(SampleValue(exposition->Text(), R"(kafka_perf_exporter_folded_topics{cluster="prod"})"),
            4);
  EXPECT_EQ(SampleValue(exposition->Text(), R"(kafka_perf_exporter_folded_series{cluster="prod"})"),
            21);
  EXPECT_EQ(SampleValue(exposition->Text(), "kafka_perf_exporter_series_budget"), 0);
  EXPECT_EQ(exposition->folded_topics, 4u);
  EXPECT_EQ(exposition->folded_series, 21u);
}

// ---- Series budget ----

TEST(CardinalityTest, budget_folds_the_biggest_idle_topic_first) {
  const size_t unfolded = RenderExposition(One(BudgetSnapshot()))->series;
  // + 4 self-metric series; folding big-idle saves 10 * 7 - 7 = 63.
  const size_t budget = unfolded + 4 - 63;

  const auto exposition = RenderExposition(One(BudgetSnapshot()), Budget(budget));

  EXPECT_TRUE(Folded(exposition->Text(), "big-idle"));
  EXPECT_FALSE(Folded(exposition->Text(), "small-idle"));
  EXPECT_FALSE(Folded(exposition->Text(), "lagging"));
  EXPECT_FALSE(Folded(exposition->Text(), "under-replicated"));
  EXPECT_EQ(exposition->series, budget);
}

TEST(CardinalityTest, budget_folds_idle_topics_before_lagging_and_under_replicated_ones) {
  const size_t unfolded = RenderExposition(One(BudgetSnapshot()))->series;
  // big-idle saves 63, small-idle 3 * 7 - 7 = 14: both, and no more, fit one series under that.
  const size_t budget = unfolded + 4 - 63 - 1;

  const auto exposition = RenderExposition(One(BudgetSnapshot()), Budget(budget));

  EXPECT_TRUE(Folded(exposition->Text(), "big-idle"));
  EXPECT_TRUE(Folded(exposition->Text(), "small-idle"));
  EXPECT_FALSE(Folded(exposition->Text(), "lagging"));
  EXPECT_FALSE(Folded(exposition->Text(), "under-replicated"));
  EXPECT_LE(exposition->series, budget);
}

TEST(CardinalityTest, budget_self_metrics_say_how_much_was_folded) {
  const size_t unfolded = RenderExposition(One(BudgetSnapshot()))->series;
  const size_t budget = unfolded + 4 - 63;

  const auto exposition = RenderExposition(One(BudgetSnapshot()), Budget(budget));

  EXPECT_EQ(SampleValue(exposition->Text(), "kafka_perf_exporter_series_budget"), budget);
  EXPECT_EQ(SampleValue(exposition->Text(), "kafka_perf_exporter_series"), exposition->series);
  EXPECT_EQ(SampleValue(exposition->Text(), R"(kafka_perf_exporter_folded_topics{cluster="prod"})"),
            1);
  EXPECT_EQ(SampleValue(exposition->Text(), R"(kafka_perf_exporter_folded_series{cluster="prod"})"),
            70);
  EXPECT_EQ(exposition->series_unfolded, unfolded);
  EXPECT_EQ(exposition->folded_topics, 1u);
  EXPECT_EQ(exposition->folded_series, 70u);
}

TEST(CardinalityTest, budget_tie_between_equal_topics_folds_the_first_by_name) {
  state::ClusterSnapshot s = BudgetSnapshot();
  s.topics = {HealthyTopic("beta", 5), HealthyTopic("alpha", 5)};
  s.groups.clear();
  const size_t unfolded = RenderExposition(One(s))->series;

  const std::string text = Render(s, Budget(unfolded + 4 - 1));

  EXPECT_TRUE(Folded(text, "alpha"));
  EXPECT_FALSE(Folded(text, "beta"));
}

TEST(CardinalityTest, unreachable_budget_folds_everything_foldable_and_loses_no_family) {
  state::ClusterSnapshot s = BudgetSnapshot();
  const std::set<std::string> before = FamiliesWithSamples(Render(s, {}));

  const auto exposition = RenderExposition(One(s), Budget(1));

  const std::set<std::string> after = FamiliesWithSamples(exposition->Text());
  for (const std::string& family : before) EXPECT_TRUE(after.contains(family)) << family;
  for (std::string_view topic : {"big-idle", "lagging", "small-idle", "under-replicated"}) {
    EXPECT_TRUE(Folded(exposition->Text(), topic)) << topic;
  }
  EXPECT_GT(exposition->series, 1u);
}

TEST(CardinalityTest, unreachable_budget_self_metrics_are_honest) {
  const auto exposition = RenderExposition(One(BudgetSnapshot()), Budget(1));
  const std::string& text = exposition->Text();

  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_series"), SampleLines(text));
  EXPECT_EQ(exposition->series, SampleLines(text));
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_series_budget"), 1);
  EXPECT_EQ(SampleValue(text, R"(kafka_perf_exporter_folded_topics{cluster="prod"})"), 4);
  // 7 foldable topic families on 21 partitions, under-min-ISR on the 4 of "lagging" (the one topic
  // whose configuration is known), 4 group families on 4 partitions.
  EXPECT_EQ(SampleValue(text, R"(kafka_perf_exporter_folded_series{cluster="prod"})"),
            7 * 21 + 4 + 4 * 4);
  // Each replaced series group became one aggregate: 7 per topic (4 topics) and under-min-ISR of
  // "lagging", 4 for group app on lagging; plus the 4 self-metric series.
  EXPECT_EQ(exposition->series_unfolded - exposition->folded_series + 4 * 7 + 1 + 4 + 4,
            exposition->series);
}

TEST(CardinalityTest, unreachable_budget_on_the_golden_snapshots_loses_no_family) {
  for (const state::ClusterSnapshot& s : {BasicSnapshot(), GroupsSnapshot()}) {
    const std::set<std::string> before = FamiliesWithSamples(Render(s, {}));

    const std::set<std::string> after = FamiliesWithSamples(Render(s, Budget(1)));

    for (const std::string& family : before) EXPECT_TRUE(after.contains(family)) << family;
  }
}

TEST(CardinalityTest, budget_folds_topics_of_every_cluster_and_reports_each_cluster) {
  state::ClusterSnapshot b = BudgetSnapshot();
  b.cluster = "staging";
  const SnapshotList snapshots = {std::make_shared<const state::ClusterSnapshot>(BudgetSnapshot()),
                                  std::make_shared<const state::ClusterSnapshot>(b)};

  const auto exposition = RenderExposition(snapshots, Budget(1));

  EXPECT_EQ(SampleValue(exposition->Text(), R"(kafka_perf_exporter_folded_topics{cluster="prod"})"),
            4);
  EXPECT_EQ(
      SampleValue(exposition->Text(), R"(kafka_perf_exporter_folded_topics{cluster="staging"})"), 4);
  EXPECT_EQ(CountSamplesContaining(exposition->Text(), "kafka_perf_exporter_series_budget "), 1u);
  EXPECT_EQ(exposition->folded_topics, 8u);
}

TEST(CardinalityTest, folded_exposition_passes_promtool_but_for_kafka_exporter_sum_names) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool)) << kPromtool << " not found";
  state::ClusterSnapshot s = BudgetSnapshot();
  s.labels = {{"env", "production"}};
  const std::string text = Render(s, Budget(1));
  ASSERT_GT(CountSamplesContaining(text, R"(partition="all")"), 0u);

  const std::string problems = PromtoolProblemsBesidesKafkaExporterSums(PromtoolCheckMetrics(text));

  EXPECT_TRUE(problems.empty()) << problems;
}

// 100 idle topics of 100 partitions (80,000 partition series): a budget of 30,000 folds the
// fewest topics that reach it, each saving 7 * 100 - 7 = 693 series.
TEST(CardinalityTest, ten_thousand_partitions_fold_just_enough_topics_to_meet_the_budget) {
  state::ClusterSnapshot s;
  s.cluster = "prod";
  for (int t = 0; t < 100; ++t) s.topics.push_back(HealthyTopic("topic-" + std::to_string(t), 100));
  const SnapshotList snapshots = One(std::move(s));
  const size_t unfolded = RenderExposition(snapshots)->series;

  const auto exposition = RenderExposition(snapshots, Budget(30000));

  const size_t needed = (unfolded + 4 - 30000 + 692) / 693;
  EXPECT_EQ(exposition->folded_topics, needed);
  EXPECT_LE(exposition->series, 30000u);
  EXPECT_GT(exposition->series + 693, 30000u);
}

// ---- CheckTopicGranularity ----

TEST(CheckTopicGranularityTest, foldable_families_are_accepted) {
  EXPECT_EQ(CheckTopicGranularity(AllFoldableFamilies()), std::nullopt);
  EXPECT_EQ(CheckTopicGranularity({}), std::nullopt);
}

TEST(CheckTopicGranularityTest, unknown_family_is_an_error_naming_it_and_the_choices) {
  const std::optional<std::string> error =
      CheckTopicGranularity({"kafka_consumergroup_lag", "kafka_topic_partition_lag"});

  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find(R"(unknown metric family "kafka_topic_partition_lag")"), std::string::npos)
      << *error;
  EXPECT_NE(error->find("valid choices: kafka_consumergroup_current_offset, "), std::string::npos)
      << *error;
  EXPECT_NE(error->find("kafka_topic_partition_under_replicated_partition"), std::string::npos)
      << *error;
}

TEST(CheckTopicGranularityTest, leader_is_an_error_saying_it_has_no_aggregate) {
  const std::optional<std::string> error = CheckTopicGranularity({"kafka_topic_partition_leader"});

  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find(R"("kafka_topic_partition_leader" cannot be folded per topic)"),
            std::string::npos)
      << *error;
  EXPECT_EQ(error->find("choices: kafka_topic_partition_leader,"), std::string::npos) << *error;
  EXPECT_EQ(error->find(", kafka_topic_partition_leader,"), std::string::npos) << *error;
}

TEST(CheckTopicGranularityTest, family_without_partition_label_is_an_error_saying_so) {
  const std::optional<std::string> error = CheckTopicGranularity({"kafka_topic_partitions"});

  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find(R"("kafka_topic_partitions" has no partition label)"), std::string::npos)
      << *error;
}

}  // namespace
}  // namespace kpe::metrics
