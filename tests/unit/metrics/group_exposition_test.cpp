// Consumer group families of RenderExposition, on GroupsSnapshot() (see fixtures.h).

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fixtures.h"
#include "metrics/exposition.h"
#include "state/group_status.h"

namespace kpe::metrics {
namespace {

using namespace fixtures;  // NOLINT: this folder's test helpers

const std::filesystem::path kGroupsGolden =
    std::filesystem::path(KPE_SOURCE_DIR) / "tests/golden/exposition_groups.prom";

// Labels every series of GroupsSnapshot() has, then those of group "billing" and "reporting".
constexpr std::string_view kBilling = R"(cluster="prod",consumergroup="billing",env="production")";
constexpr std::string_view kReporting =
    R"(cluster="prod",consumergroup="reporting",env="production")";

std::string Render(const state::ClusterSnapshot& s) { return RenderExposition(One(s))->Text(); }

/// `name{labels}`, the way a sample line starts.
std::string Series(std::string_view name, std::string_view labels) {
  return std::string(name) + "{" + std::string(labels) + "}";
}

std::string BillingPartition(int partition, std::string_view topic) {
  return std::string(kBilling) + ",partition=\"" + std::to_string(partition) + "\",topic=\"" +
         std::string(topic) + "\"";
}

std::string BillingTopic(std::string_view topic) {
  return std::string(kBilling) + ",topic=\"" + std::string(topic) + "\"";
}

/// The value of each sample of `family` whose labels contain `must_contain`, keyed by the value
/// of label `key`.
std::map<std::string, double> ValuesByLabel(const std::string& text, std::string_view family,
                                            std::string_view must_contain, std::string_view key) {
  std::map<std::string, double> values;
  const std::string prefix = std::string(family) + "{";
  const std::string key_prefix = std::string(key) + "=\"";
  for (const std::string& line : Lines(text)) {
    if (!line.starts_with(prefix) || line.find(must_contain) == std::string::npos) continue;
    const size_t at = line.find(key_prefix);
    if (at == std::string::npos) continue;
    const size_t begin = at + key_prefix.size();
    const std::string value = line.substr(begin, line.find('"', begin) - begin);
    values[value] = std::stod(line.substr(line.rfind(' ') + 1));
  }
  return values;
}

TEST(GroupExpositionGoldenTest, groups_snapshot_renders_exactly_the_golden_file) {
  const std::string actual = Render(GroupsSnapshot());

  const std::string mismatch = GoldenMismatch(actual, kGroupsGolden);

  EXPECT_TRUE(mismatch.empty()) << mismatch;
}

TEST(GroupExpositionGoldenTest, golden_file_passes_promtool_but_for_kafka_exporter_sum_names) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool))
      << kPromtool << " not found: install Debian's prometheus package to run this check";
  const std::string golden = ReadText(kGroupsGolden);
  ASSERT_FALSE(golden.empty()) << kGroupsGolden << " is missing or empty";

  const std::string problems =
      PromtoolProblemsBesidesKafkaExporterSums(PromtoolCheckMetrics(golden));

  EXPECT_TRUE(problems.empty()) << "promtool check metrics " << kGroupsGolden << ":\n" << problems;
}

TEST(GroupExpositionGoldenTest, promtool_allowance_still_rejects_a_sum_suffix_on_other_names) {
  // Proves the allowance above covers kafka_exporter's two names only.
  ASSERT_TRUE(std::filesystem::exists(kPromtool)) << kPromtool << " not found";
  const std::string text =
      "# HELP kafka_consumergroup_lag_sum Lag.\n# TYPE kafka_consumergroup_lag_sum gauge\n"
      "kafka_consumergroup_lag_sum 1\n"
      "# HELP kafka_other_sum Other.\n# TYPE kafka_other_sum gauge\nkafka_other_sum 1\n";

  const std::string problems = PromtoolProblemsBesidesKafkaExporterSums(PromtoolCheckMetrics(text));

  EXPECT_NE(problems.find("kafka_other_sum"), std::string::npos) << problems;
  EXPECT_EQ(problems.find("kafka_consumergroup_lag_sum"), std::string::npos) << problems;
}

TEST(GroupExpositionGoldenTest, promtool_allowance_still_rejects_text_promtool_cannot_parse) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool)) << kPromtool << " not found";

  const std::string problems =
      PromtoolProblemsBesidesKafkaExporterSums(PromtoolCheckMetrics("kafka_up{cluster=} 1\n"));

  EXPECT_FALSE(problems.empty());
}

TEST(GroupExpositionTest, kafka_exporter_group_families_have_its_names_and_labels) {
  const std::string text = Render(GroupsSnapshot());

  EXPECT_EQ(SampleValue(
                text, Series("kafka_consumergroup_current_offset", BillingPartition(0, "orders"))),
            100);
  EXPECT_EQ(
      SampleValue(text, Series("kafka_consumergroup_current_offset_sum", BillingTopic("orders"))),
      300);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_lag", BillingPartition(0, "orders"))), 5);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_lag_sum", BillingTopic("orders"))), 5);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_members", kBilling)), 2);
}

TEST(GroupExpositionTest, kafka_exporter_group_families_are_gauges) {
  const std::string text = Render(GroupsSnapshot());

  for (const char* name :
       {"kafka_consumergroup_current_offset", "kafka_consumergroup_current_offset_sum",
        "kafka_consumergroup_lag", "kafka_consumergroup_lag_sum", "kafka_consumergroup_members"}) {
    EXPECT_EQ(CountLinesContaining(text, std::string("# TYPE ") + name + " gauge"), 1u) << name;
  }
}

TEST(GroupExpositionTest, partition_series_have_the_committed_offset_lag_and_ages) {
  const std::string text = Render(GroupsSnapshot());
  const std::string orders1 = BillingPartition(1, "orders");

  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_current_offset", orders1)), 200);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_lag", orders1)), 0);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_lag_seconds", orders1)), 0);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_last_commit_age_seconds", orders1)), 3);
  EXPECT_EQ(
      SampleValue(text, Series("kafka_consumergroup_lag_seconds", BillingPartition(0, "orders"))),
      2.5);
}

TEST(GroupExpositionTest, partition_without_known_lag_has_current_offset_but_no_lag_series) {
  const std::string text = Render(GroupsSnapshot());
  const std::string payments0 = BillingPartition(0, "payments");

  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_current_offset", payments0)), 50);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_lag", payments0)), std::nullopt);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_lag_seconds", payments0)), std::nullopt);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_last_commit_age_seconds", payments0)),
            std::nullopt);
  EXPECT_EQ(CountLinesContaining(text, "kafka_consumergroup_lag{"), 2u);
}

TEST(GroupExpositionTest, topic_series_have_sums_uncommitted_partitions_and_commit_rate) {
  const std::string text = Render(GroupsSnapshot());
  const std::string orders = BillingTopic("orders");

  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_current_offset_sum", orders)), 300);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_lag_sum", orders)), 5);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_uncommitted_partitions", orders)), 1);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_commit_rate", orders)), 12.5);
}

TEST(GroupExpositionTest, commit_rate_is_absent_when_unknown) {
  const std::string text = Render(GroupsSnapshot());

  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_commit_rate", BillingTopic("payments"))),
            std::nullopt);
  EXPECT_EQ(CountLinesContaining(text, "kafka_consumergroup_commit_rate{"), 1u);
}

TEST(GroupExpositionTest, lag_sum_is_absent_when_a_committed_partition_has_unknown_lag) {
  const std::string text = Render(GroupsSnapshot());
  const std::string payments = BillingTopic("payments");

  // payments/0's newest offset is unknown: a sum of 0 would claim the group is caught up.
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_lag_sum", payments)), std::nullopt);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_current_offset_sum", payments)), 50);
}

TEST(GroupExpositionTest, max_lag_and_max_lag_seconds_are_the_largest_known_partition_values) {
  state::ClusterSnapshot s = GroupsSnapshot();
  s.groups.Mutable(0).partitions[1].lag = 7;
  s.groups.Mutable(0).partitions[1].lag_seconds = 1.5;

  const std::string text = Render(s);

  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_max_lag", kBilling)), 7);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_max_lag_seconds", kBilling)), 2.5);
}

TEST(GroupExpositionTest, max_lag_is_absent_for_a_group_without_known_lag) {
  const std::string text = Render(GroupsSnapshot());

  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_max_lag", kReporting)), std::nullopt);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_max_lag_seconds", kReporting)),
            std::nullopt);
  EXPECT_EQ(CountLinesContaining(text, "kafka_consumergroup_max_lag{"), 1u);
}

TEST(GroupExpositionTest, described_group_has_members_and_assignor_info_without_member_ids) {
  const std::string text = Render(GroupsSnapshot());

  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_members", kBilling)), 2);
  EXPECT_EQ(
      SampleValue(
          text,
          Series("kafka_consumergroup_info",
                 R"(assignor="range",cluster="prod",consumergroup="billing",env="production")")),
      1);
  EXPECT_EQ(CountLinesContaining(text, "consumer-1-0a1b"), 0u);
}

TEST(GroupExpositionTest, undescribed_group_has_no_members_or_info_series) {
  const std::string text = Render(GroupsSnapshot());

  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_members", kReporting)), std::nullopt);
  EXPECT_EQ(CountLinesContaining(text, R"(kafka_consumergroup_info{)"), 1u);
  EXPECT_EQ(CountLinesContaining(text, R"(consumergroup="reporting")"),
            1u + 6u + 7u);  // up, state (6), status (7)
}

TEST(GroupExpositionTest, group_with_an_error_is_down_while_the_other_group_is_up) {
  const std::string text = Render(GroupsSnapshot());

  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_up", kBilling)), 1);
  EXPECT_EQ(SampleValue(text, Series("kafka_consumergroup_up", kReporting)), 0);
}

TEST(GroupExpositionTest, state_is_one_hot_over_every_broker_state) {
  const std::string text = Render(GroupsSnapshot());

  const std::map<std::string, double> billing =
      ValuesByLabel(text, "kafka_consumergroup_state", kBilling, "state");
  const std::map<std::string, double> reporting =
      ValuesByLabel(text, "kafka_consumergroup_state", kReporting, "state");

  const std::map<std::string, double> stable = {
      {"CompletingRebalance", 0}, {"Dead", 0},   {"Empty", 0},
      {"PreparingRebalance", 0},  {"Stable", 1}, {"Unknown", 0}};
  const std::map<std::string, double> unknown = {
      {"CompletingRebalance", 0}, {"Dead", 0},   {"Empty", 0},
      {"PreparingRebalance", 0},  {"Stable", 0}, {"Unknown", 1}};
  EXPECT_EQ(billing, stable);
  EXPECT_EQ(reporting, unknown);
}

TEST(GroupExpositionTest, state_outside_the_known_states_is_reported_as_unknown) {
  state::ClusterSnapshot s = GroupsSnapshot();
  s.groups.Mutable(0).state = "Rebalancing";

  const std::map<std::string, double> states =
      ValuesByLabel(Render(s), "kafka_consumergroup_state", kBilling, "state");

  EXPECT_EQ(states.size(), 6u);
  EXPECT_EQ(states.at("Unknown"), 1);
  EXPECT_EQ(states.at("Stable"), 0);
  EXPECT_EQ(states.count("Rebalancing"), 0u);
}

TEST(GroupExpositionTest, state_is_matched_case_insensitively) {
  state::ClusterSnapshot s = GroupsSnapshot();
  s.groups.Mutable(0).state = "preparingrebalance";

  const std::map<std::string, double> states =
      ValuesByLabel(Render(s), "kafka_consumergroup_state", kBilling, "state");

  EXPECT_EQ(states.at("PreparingRebalance"), 1);
  EXPECT_EQ(states.at("Unknown"), 0);
}

TEST(GroupExpositionTest, status_is_one_hot_over_every_group_status) {
  const std::string text = Render(GroupsSnapshot());

  const std::map<std::string, double> billing =
      ValuesByLabel(text, "kafka_consumergroup_status", kBilling, "status");
  const std::map<std::string, double> reporting =
      ValuesByLabel(text, "kafka_consumergroup_status", kReporting, "status");

  ASSERT_EQ(billing.size(), state::kAllGroupStatuses.size());
  ASSERT_EQ(reporting.size(), state::kAllGroupStatuses.size());
  for (state::GroupStatus status : state::kAllGroupStatuses) {
    const std::string name(state::ToString(status));
    EXPECT_EQ(billing.at(name), status == state::GroupStatus::kWarning ? 1 : 0) << name;
    EXPECT_EQ(reporting.at(name), status == state::GroupStatus::kUnknown ? 1 : 0) << name;
  }
}

TEST(GroupExpositionTest, discovery_mode_and_group_count_are_reported) {
  const std::string text = Render(GroupsSnapshot());

  EXPECT_EQ(
      SampleValue(
          text,
          R"(kafka_perf_exporter_group_discovery{cluster="prod",env="production",mode="static"})"),
      1);
  EXPECT_EQ(CountLinesContaining(text, "kafka_perf_exporter_group_discovery{"), 1u);
  EXPECT_EQ(SampleValue(text, R"(kafka_cluster_consumergroups{cluster="prod",env="production"})"),
            2);
}

TEST(GroupExpositionTest, discovery_and_group_count_are_absent_before_discovery_ran) {
  state::ClusterSnapshot s = GroupsSnapshot();
  s.groups.clear();
  s.group_discovery = {};

  const std::string text = Render(s);

  EXPECT_EQ(CountLinesContaining(text, "kafka_perf_exporter_group_discovery{"), 0u);
  EXPECT_EQ(CountLinesContaining(text, "kafka_cluster_consumergroups{"), 0u);
  EXPECT_EQ(CountLinesContaining(text, "kafka_perf_exporter_group_list_refused{"), 0u);
}

TEST(GroupExpositionTest, refused_group_list_is_reported_with_its_reason) {
  const std::string text = Render(GroupsSnapshot());

  EXPECT_EQ(
      SampleValue(
          text,
          R"(kafka_perf_exporter_group_list_refused{cluster="prod",env="production",reason="unsupported"})"),
      1);
  EXPECT_EQ(CountLinesContaining(text, "kafka_perf_exporter_group_list_refused{"), 1u);
}

TEST(GroupExpositionTest, listed_groups_have_no_refusal_series_and_count_zero_groups) {
  state::ClusterSnapshot s = GroupsSnapshot();
  s.groups.clear();
  s.group_discovery = {"list", "", ""};

  const std::string text = Render(s);

  EXPECT_EQ(
      SampleValue(
          text,
          R"(kafka_perf_exporter_group_discovery{cluster="prod",env="production",mode="list"})"),
      1);
  EXPECT_EQ(CountLinesContaining(text, "kafka_perf_exporter_group_list_refused"), 0u);
  EXPECT_EQ(SampleValue(text, R"(kafka_cluster_consumergroups{cluster="prod",env="production"})"),
            0);
}

TEST(GroupExpositionTest, same_group_in_two_clusters_gets_a_series_per_cluster) {
  state::ClusterSnapshot staging = GroupsSnapshot();
  staging.cluster = "staging";
  const SnapshotList snapshots = {std::make_shared<const state::ClusterSnapshot>(GroupsSnapshot()),
                                  std::make_shared<const state::ClusterSnapshot>(staging)};

  const std::string text = RenderExposition(snapshots)->Text();

  EXPECT_EQ(CountLinesContaining(text, "kafka_consumergroup_members{"), 2u);
  EXPECT_EQ(CountLinesContaining(text, "# TYPE kafka_consumergroup_members "), 1u);
}

}  // namespace
}  // namespace kpe::metrics
