// Every snapshot rule: fires with the right evidence on a hand-built snapshot, stays quiet on a near miss,
// and follows its thresholds.

#include "advice/rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "advice_test_support.h"

namespace kpe::advice {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace testing;  // NOLINT: the test support helpers
using std::chrono::seconds;

std::vector<Finding> Check(std::vector<Finding> (*rule)(const RuleInput&), const state::ClusterSnapshot& now,
                         const Thresholds& thresholds = {}, const Rates& rates = {}) {
  return rule(RuleInput{now, rates, thresholds});
}

// Two snapshots 10 s apart where partition p of `topic` received per_partition[p] records per second.
struct RateFixture {
  state::ClusterSnapshot before;
  state::ClusterSnapshot now;
};
RateFixture WithRates(const std::string& topic, const std::vector<double>& per_partition, double seconds_apart = 10) {
  std::vector<state::Partition> old_partitions;
  std::vector<state::Partition> new_partitions;
  const auto later = kT0 + std::chrono::duration_cast<WallClock::duration>(std::chrono::duration<double>(seconds_apart));
  for (size_t p = 0; p < per_partition.size(); ++p) {
    const auto id = static_cast<int32_t>(p);
    const std::vector<int32_t> replicas = {static_cast<int32_t>(1 + p % 3), static_cast<int32_t>(1 + (p + 1) % 3),
                                           static_cast<int32_t>(1 + (p + 2) % 3)};
    old_partitions.push_back(MakePartition(id, replicas, replicas, 1000, kT0));
    new_partitions.push_back(MakePartition(
        id, replicas, replicas, 1000 + static_cast<int64_t>(per_partition[p] * seconds_apart), later));
  }
  return {MakeSnapshot({MakeTopic(topic, old_partitions)}), MakeSnapshot({MakeTopic(topic, new_partitions)})};
}

Rates RatesOf(const RateFixture& f, double min_interval = 5) { return MeasureRates(f.now, f.before, min_interval); }

// ---------------------------------------------------------------------------------------------------------
// Rates

TEST(MeasureRatesTest, rate_is_the_newest_offset_change_over_the_time_between_fetches) {
  auto f = WithRates("orders", {150, 50});
  auto rates = RatesOf(f);
  ASSERT_TRUE(rates.contains("orders"));
  EXPECT_DOUBLE_EQ(rates["orders"].msgs_per_second, 200);
  ASSERT_EQ(rates["orders"].partitions.size(), 2u);
  EXPECT_DOUBLE_EQ(rates["orders"].partitions[0].msgs_per_second, 150);
}

TEST(MeasureRatesTest, offsets_fetched_closer_than_the_minimum_interval_give_no_rate) {
  auto f = WithRates("orders", {150}, 2);
  EXPECT_THAT(RatesOf(f, 5), IsEmpty());
}

TEST(MeasureRatesTest, a_partition_not_fetched_again_gives_no_rate) {
  auto f = WithRates("orders", {150, 10});
  f.now.topics[0].partitions[1].offsets_at = kT0;  // carried over, not sampled again
  auto rates = RatesOf(f);
  ASSERT_EQ(rates["orders"].partitions.size(), 1u);
  EXPECT_DOUBLE_EQ(rates["orders"].msgs_per_second, 150);
}

TEST(MeasureRatesTest, a_newest_offset_going_backwards_gives_no_rate) {
  auto f = WithRates("orders", {150});
  f.now.topics[0].partitions[0].newest_offset = 10;  // topic recreated
  EXPECT_THAT(RatesOf(f), IsEmpty());
}

TEST(MeasureRatesTest, unknown_offsets_give_no_rate) {
  auto f = WithRates("orders", {150});
  f.before.topics[0].partitions[0].offsets_known = false;
  EXPECT_THAT(RatesOf(f), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// topic.partitions_below_throughput

TEST(PartitionsBelowThroughputTest, fires_with_the_formula_numbers_when_the_rate_needs_more_partitions) {
  auto f = WithRates("orders", {20000, 10000});  // T = 30,000/s on 2 partitions
  auto findings = Check(TopicPartitionsBelowThroughput, f.now, {}, RatesOf(f));
  ASSERT_EQ(findings.size(), 1u);
  const Finding& finding = findings[0];
  EXPECT_EQ(finding.rule_id, "topic.partitions_below_throughput");
  EXPECT_EQ(finding.severity, Severity::kWarning);
  EXPECT_EQ(finding.subject_kind, "topic");
  EXPECT_EQ(finding.subject, "orders");
  EXPECT_EQ(finding.cluster, "prod");
  EXPECT_DOUBLE_EQ(finding.evidence.at("produce_rate_msgs_per_second"), 30000);
  EXPECT_DOUBLE_EQ(finding.evidence.at("partition_produce_capacity"), 10000);
  EXPECT_DOUBLE_EQ(finding.evidence.at("partition_consume_capacity"), 5000);
  EXPECT_DOUBLE_EQ(finding.evidence.at("partitions"), 2);
  EXPECT_DOUBLE_EQ(finding.evidence.at("required_partitions"), 6);  // max(30000/10000, 30000/5000)
  EXPECT_DOUBLE_EQ(finding.evidence.at("hottest_partition_msgs_per_second"), 20000);
  EXPECT_THAT(finding.recommendation, HasSubstr("--partitions 6"));
  EXPECT_THAT(finding.summary, HasSubstr("max(30000/10000, 30000/5000) = 6"));
}

TEST(PartitionsBelowThroughputTest, is_quiet_when_the_partitions_just_suffice) {
  auto f = WithRates("orders", {5000, 5000});  // T = 10,000/s: max(1, 2) = 2 partitions
  EXPECT_THAT(Check(TopicPartitionsBelowThroughput, f.now, {}, RatesOf(f)), IsEmpty());
}

TEST(PartitionsBelowThroughputTest, higher_capacities_need_fewer_partitions) {
  auto f = WithRates("orders", {20000, 10000});
  Thresholds t;
  t.partition_produce_capacity_msgs_per_second = 20000;
  t.partition_consume_capacity_msgs_per_second = 15000;  // max(1.5, 2) = 2
  EXPECT_THAT(Check(TopicPartitionsBelowThroughput, f.now, t, RatesOf(f)), IsEmpty());
}

TEST(PartitionsBelowThroughputTest, is_quiet_without_a_previous_snapshot) {
  auto f = WithRates("orders", {20000, 10000});
  EXPECT_THAT(RuleIds(Evaluate(f.now, nullptr, {})), Not(::testing::Contains("topic.partitions_below_throughput")));
  EXPECT_THAT(RuleIds(Evaluate(f.now, &f.before, {})), ::testing::Contains("topic.partitions_below_throughput"));
}

// ---------------------------------------------------------------------------------------------------------
// topic.replication_factor_one

TEST(ReplicationFactorOneTest, fires_counting_the_single_replica_partitions) {
  auto s = MakeSnapshot({MakeTopic("logs", {MakePartition(0, {1}, {1}), MakePartition(1, {2}, {2})})});
  auto findings = Check(TopicReplicationFactorOne, s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject, "logs");
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("replication_factor"), 1);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("partitions_with_one_replica"), 2);
  EXPECT_THAT(findings[0].recommendation, HasSubstr("min.insync.replicas=2"));
}

TEST(ReplicationFactorOneTest, is_quiet_with_two_replicas) {
  EXPECT_THAT(Check(TopicReplicationFactorOne, MakeSnapshot({HealthyTopic("logs", 3, 2)})), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// topic.min_insync_replicas_low

TEST(MinInsyncReplicasLowTest, fires_for_three_replicas_and_min_isr_one) {
  auto s = MakeSnapshot({HealthyTopic("orders", 2, 3, {{"min.insync.replicas", "1"}})});
  auto findings = Check(TopicMinInsyncReplicasLow, s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("replication_factor"), 3);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("min_insync_replicas"), 1);
  EXPECT_THAT(findings[0].recommendation, HasSubstr("min.insync.replicas=2"));
}

TEST(MinInsyncReplicasLowTest, is_quiet_with_min_isr_two) {
  EXPECT_THAT(Check(TopicMinInsyncReplicasLow,
                  MakeSnapshot({HealthyTopic("orders", 2, 3, {{"min.insync.replicas", "2"}})})),
              IsEmpty());
}

TEST(MinInsyncReplicasLowTest, is_quiet_with_two_replicas) {
  EXPECT_THAT(Check(TopicMinInsyncReplicasLow,
                  MakeSnapshot({HealthyTopic("orders", 2, 2, {{"min.insync.replicas", "1"}})})),
              IsEmpty());
}

TEST(MinInsyncReplicasLowTest, is_quiet_when_the_configs_are_unknown) {
  EXPECT_THAT(Check(TopicMinInsyncReplicasLow, MakeSnapshot({HealthyTopic("orders", 2, 3)})), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// topic.segment_bytes_small

TEST(SegmentBytesSmallTest, fires_below_100_mib_by_default) {
  auto s = MakeSnapshot({HealthyTopic("orders", 1, 3, {{"segment.bytes", "52428800"}})});
  auto findings = Check(TopicSegmentBytesSmall, s);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kInfo);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("segment_bytes"), 52428800);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("min_segment_bytes"), 104857600);
  EXPECT_THAT(findings[0].summary, HasSubstr("50 MiB"));
  EXPECT_THAT(findings[0].recommendation, HasSubstr("segment.bytes=1073741824"));
}

TEST(SegmentBytesSmallTest, is_quiet_at_exactly_the_minimum) {
  EXPECT_THAT(Check(TopicSegmentBytesSmall, MakeSnapshot({HealthyTopic("o", 1, 3, {{"segment.bytes", "104857600"}})})),
              IsEmpty());
}

TEST(SegmentBytesSmallTest, a_lower_minimum_silences_it) {
  Thresholds t;
  t.min_segment_bytes = 10 * 1024 * 1024;
  EXPECT_THAT(Check(TopicSegmentBytesSmall, MakeSnapshot({HealthyTopic("o", 1, 3, {{"segment.bytes", "52428800"}})}), t),
              IsEmpty());
}

TEST(SegmentBytesSmallTest, a_value_that_is_not_a_number_is_ignored) {
  EXPECT_THAT(Check(TopicSegmentBytesSmall, MakeSnapshot({HealthyTopic("o", 1, 3, {{"segment.bytes", "50MB"}})})),
              IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// topic.partition_skew

TEST(PartitionSkewTest, fires_naming_the_hottest_partition_and_its_ratio_to_the_mean) {
  auto f = WithRates("clicks", {50, 900, 50, 0});  // mean 250, hottest 900 = 3.6x
  auto findings = Check(TopicPartitionSkew, f.now, {}, RatesOf(f));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("partition"), 1);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("partition_msgs_per_second"), 900);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("mean_msgs_per_second"), 250);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("ratio"), 3.6);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("skew_ratio"), 3);
}

TEST(PartitionSkewTest, is_quiet_below_the_ratio) {
  auto f = WithRates("clicks", {700, 100, 100, 100});  // mean 250, 2.8x
  EXPECT_THAT(Check(TopicPartitionSkew, f.now, {}, RatesOf(f)), IsEmpty());
}

TEST(PartitionSkewTest, is_quiet_when_the_hottest_partition_is_slow) {
  auto f = WithRates("clicks", {90, 1, 1, 0});  // 3.9x but only 90 records/s
  EXPECT_THAT(Check(TopicPartitionSkew, f.now, {}, RatesOf(f)), IsEmpty());
}

TEST(PartitionSkewTest, a_lower_ratio_makes_it_fire) {
  auto f = WithRates("clicks", {700, 100, 100, 100});
  Thresholds t;
  t.skew_ratio = 2.5;
  EXPECT_EQ(Check(TopicPartitionSkew, f.now, t, RatesOf(f)).size(), 1u);
}

// ---------------------------------------------------------------------------------------------------------
// topic.leader_not_preferred

TEST(LeaderNotPreferredTest, fires_counting_partitions_led_off_their_preferred_replica) {
  auto topic = HealthyTopic("orders", 3);
  topic.partitions[1].leader = topic.partitions[1].replicas[1];
  auto findings = Check(TopicLeaderNotPreferred, MakeSnapshot({topic}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("non_preferred_leaders"), 1);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("partitions"), 3);
  EXPECT_THAT(findings[0].recommendation, HasSubstr("kafka-leader-election.sh --election-type PREFERRED"));
}

TEST(LeaderNotPreferredTest, is_quiet_when_every_leader_is_preferred_or_offline) {
  auto topic = HealthyTopic("orders", 3);
  topic.partitions[2].leader = -1;
  EXPECT_THAT(Check(TopicLeaderNotPreferred, MakeSnapshot({topic})), IsEmpty());
}

TEST(LeaderNotPreferredTest, a_higher_minimum_silences_a_single_one) {
  auto topic = HealthyTopic("orders", 3);
  topic.partitions[1].leader = topic.partitions[1].replicas[1];
  Thresholds t;
  t.min_non_preferred_leaders = 2;
  EXPECT_THAT(Check(TopicLeaderNotPreferred, MakeSnapshot({topic}), t), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// cluster.under_replicated, cluster.offline_partitions, cluster.under_min_isr

TEST(UnderReplicatedTest, fires_for_partitions_whose_isr_is_smaller_than_their_replicas) {
  auto topic = HealthyTopic("orders", 3);
  topic.partitions[0].isr = {topic.partitions[0].replicas[0]};
  auto findings = Check(ClusterUnderReplicated, MakeSnapshot({topic}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule_id, "cluster.under_replicated");
  EXPECT_EQ(findings[0].subject_kind, "topic");
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("under_replicated_partitions"), 1);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("partitions"), 3);
}

TEST(UnderReplicatedTest, is_quiet_with_a_full_isr_and_does_not_count_offline_partitions) {
  auto topic = HealthyTopic("orders", 3);
  topic.partitions[0].leader = -1;
  topic.partitions[0].isr = {};
  EXPECT_THAT(Check(ClusterUnderReplicated, MakeSnapshot({topic})), IsEmpty());
}

TEST(OfflinePartitionsTest, fires_critical_for_leaderless_partitions) {
  auto topic = HealthyTopic("orders", 3);
  topic.partitions[2].leader = -1;
  auto findings = Check(ClusterOfflinePartitions, MakeSnapshot({topic}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("offline_partitions"), 1);
}

TEST(OfflinePartitionsTest, is_quiet_when_every_partition_has_a_leader) {
  EXPECT_THAT(Check(ClusterOfflinePartitions, MakeSnapshot({HealthyTopic("orders", 3)})), IsEmpty());
}

TEST(UnderMinIsrTest, fires_critical_when_the_isr_is_below_min_insync_replicas) {
  auto topic = HealthyTopic("orders", 3, 3, {{"min.insync.replicas", "2"}});
  topic.partitions[1].isr = {topic.partitions[1].leader};
  auto findings = Check(ClusterUnderMinIsr, MakeSnapshot({topic}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("under_min_isr_partitions"), 1);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("min_insync_replicas"), 2);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("smallest_isr"), 1);
}

TEST(UnderMinIsrTest, is_quiet_when_the_isr_equals_min_insync_replicas) {
  auto topic = HealthyTopic("orders", 3, 3, {{"min.insync.replicas", "2"}});
  topic.partitions[1].isr.pop_back();  // 2 in sync
  EXPECT_THAT(Check(ClusterUnderMinIsr, MakeSnapshot({topic})), IsEmpty());
}

TEST(UnderMinIsrTest, is_quiet_when_the_configs_are_unknown) {
  auto topic = HealthyTopic("orders", 3);
  topic.partitions[1].isr = {topic.partitions[1].leader};
  EXPECT_THAT(Check(ClusterUnderMinIsr, MakeSnapshot({topic})), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// cluster.leader_imbalance

// A topic with `per_broker[b]` partitions led by broker b + 1.
state::Topic LedBy(const std::vector<int>& per_broker) {
  std::vector<state::Partition> partitions;
  int32_t id = 0;
  for (size_t b = 0; b < per_broker.size(); ++b) {
    for (int i = 0; i < per_broker[b]; ++i) {
      const auto leader = static_cast<int32_t>(b + 1);
      partitions.push_back(MakePartition(id++, {leader}, {leader}));
    }
  }
  return MakeTopic("t", partitions);
}

TEST(LeaderImbalanceTest, fires_naming_the_busiest_broker_and_the_ratio_to_the_mean) {
  auto findings = Check(ClusterLeaderImbalance, MakeSnapshot({LedBy({8, 2, 2})}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].subject_kind, "cluster");
  EXPECT_EQ(findings[0].subject, "prod");
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("max_leaders"), 8);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("max_leaders_broker"), 1);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("mean_leaders"), 4);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("ratio"), 2);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("brokers"), 3);
}

TEST(LeaderImbalanceTest, is_quiet_at_exactly_the_ratio) {
  EXPECT_THAT(Check(ClusterLeaderImbalance, MakeSnapshot({LedBy({6, 3, 3})})), IsEmpty());  // 6 / 4 = 1.5
}

TEST(LeaderImbalanceTest, a_broker_leading_nothing_counts_in_the_mean) {
  auto findings = Check(ClusterLeaderImbalance, MakeSnapshot({LedBy({7, 5, 0})}));  // 7 / 4 = 1.75
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("mean_leaders"), 4);
}

TEST(LeaderImbalanceTest, is_quiet_with_fewer_partitions_than_the_minimum) {
  EXPECT_THAT(Check(ClusterLeaderImbalance, MakeSnapshot({LedBy({7, 1, 1})})), IsEmpty());  // 9 < 10
}

TEST(LeaderImbalanceTest, a_higher_ratio_silences_it) {
  Thresholds t;
  t.leader_imbalance_ratio = 2;
  EXPECT_THAT(Check(ClusterLeaderImbalance, MakeSnapshot({LedBy({8, 2, 2})}), t), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// group.lag_messages, group.lag_seconds

state::ClusterSnapshot WithGroups(std::vector<state::ConsumerGroup> groups) {
  auto s = MakeSnapshot({HealthyTopic("orders", 3)});
  s.groups = state::GroupList(std::move(groups));
  return s;
}

TEST(LagMessagesTest, fires_warning_above_the_warning_threshold) {
  auto findings = Check(GroupLagMessages, WithGroups({MakeGroup("billing", {100000, 50000, 0})}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_EQ(findings[0].subject_kind, "group");
  EXPECT_EQ(findings[0].subject, "billing");
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("lag_messages"), 150000);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("threshold"), 100000);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("lagging_partitions"), 2);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("members"), 1);
}

TEST(LagMessagesTest, fires_critical_above_the_critical_threshold) {
  auto findings = Check(GroupLagMessages, WithGroups({MakeGroup("billing", {1500000})}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("threshold"), 1000000);
}

TEST(LagMessagesTest, is_quiet_at_exactly_the_warning_threshold) {
  EXPECT_THAT(Check(GroupLagMessages, WithGroups({MakeGroup("billing", {60000, 40000})})), IsEmpty());
}

TEST(LagMessagesTest, thresholds_from_config_decide) {
  Thresholds t;
  t.lag_warning_messages = 10;
  t.lag_critical_messages = 100;
  auto findings = Check(GroupLagMessages, WithGroups({MakeGroup("billing", {101})}), t);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
}

TEST(LagSecondsTest, fires_on_the_largest_partition_lag_in_seconds) {
  auto group = MakeGroup("billing", {10, 10});
  group.partitions[0].lag_seconds = 60;
  group.partitions[1].lag_seconds = 400;
  auto findings = Check(GroupLagSeconds, WithGroups({group}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("lag_seconds"), 400);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("threshold"), 300);
}

TEST(LagSecondsTest, fires_critical_above_an_hour) {
  auto group = MakeGroup("billing", {10});
  group.partitions[0].lag_seconds = 4000;
  auto findings = Check(GroupLagSeconds, WithGroups({group}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
}

TEST(LagSecondsTest, is_quiet_at_exactly_the_warning_threshold_and_without_lag_seconds) {
  auto group = MakeGroup("billing", {10, 10});
  group.partitions[0].lag_seconds = 300;
  EXPECT_THAT(Check(GroupLagSeconds, WithGroups({group, MakeGroup("other", {5})})), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// group.stalled, group.stopped

TEST(GroupStalledTest, fires_critical_for_a_stalled_group_with_its_lag_and_members) {
  auto findings =
      Check(GroupStalled, WithGroups({MakeGroup("billing", {30, 20}, state::GroupStatus::kStalled, 2)}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("lag_messages"), 50);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("stalled_partitions"), 2);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("members"), 2);
}

TEST(GroupStalledTest, is_quiet_for_a_group_that_is_only_falling_behind) {
  EXPECT_THAT(Check(GroupStalled, WithGroups({MakeGroup("billing", {30}, state::GroupStatus::kWarning)})), IsEmpty());
}

TEST(GroupStoppedTest, fires_warning_for_a_stopped_group) {
  auto findings = Check(GroupStopped, WithGroups({MakeGroup("old", {70}, state::GroupStatus::kStopped, 0)}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, Severity::kWarning);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("lag_messages"), 70);
  EXPECT_DOUBLE_EQ(findings[0].evidence.at("stopped_partitions"), 1);
  EXPECT_THAT(findings[0].recommendation, HasSubstr("--delete --group old"));
}

TEST(GroupStoppedTest, is_quiet_for_an_empty_group) {
  EXPECT_THAT(Check(GroupStopped, WithGroups({MakeGroup("old", {0}, state::GroupStatus::kEmpty, 0)})), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// Evaluate

TEST(EvaluateTest, a_healthy_cluster_has_no_findings) {
  auto now = MakeSnapshot({HealthyTopic("orders", 6, 3, {{"min.insync.replicas", "2"}})});
  now.groups = {MakeGroup("billing", {1, 2, 3})};
  EXPECT_THAT(Evaluate(now, &now, {}), IsEmpty());
}

TEST(EvaluateTest, every_rule_fires_once_on_a_snapshot_that_breaks_them_all) {
  auto f = WithRates("hot", {20000, 900, 900, 900});  // below throughput and skewed
  auto broken = HealthyTopic("broken", 12, 3, {{"min.insync.replicas", "1"}, {"segment.bytes", "1048576"}});
  for (auto& p : broken.partitions) p.leader = 1;  // leader imbalance, most not preferred
  broken.partitions[0].isr = {1};                  // under-replicated
  broken.partitions[1].leader = -1;                // offline
  auto strict = HealthyTopic("strict", 1, 3, {{"min.insync.replicas", "3"}});
  strict.partitions[0].isr = {strict.partitions[0].leader};  // under min ISR (and under-replicated)
  auto single = HealthyTopic("single", 1, 1);
  f.now.topics.insert(f.now.topics.begin(), broken);
  f.now.topics.push_back(single);
  f.now.topics.push_back(strict);
  auto lagging = MakeGroup("lagging", {2000000});
  lagging.partitions[0].lag_seconds = 5000;
  f.now.groups = {lagging, MakeGroup("stalled", {5}, state::GroupStatus::kStalled),
                  MakeGroup("stopped", {5}, state::GroupStatus::kStopped, 0)};

  auto findings = Evaluate(f.now, &f.before, {});
  std::set<std::string> fired;
  for (const auto& finding : findings) fired.insert(finding.rule_id);
  std::set<std::string> all;
  for (const auto& rule : SnapshotRules()) all.insert(std::string(rule.id));
  EXPECT_EQ(fired, all);
  for (const auto& finding : findings) EXPECT_EQ(finding.cluster, "prod") << finding.rule_id;
}

TEST(EvaluateTest, findings_are_sorted_by_severity_then_rule_then_subject) {
  auto now = MakeSnapshot({HealthyTopic("b", 1, 1), HealthyTopic("a", 1, 1)});
  now.topics[0].partitions[0].leader = -1;  // b offline: critical
  auto findings = Evaluate(now, nullptr, {});
  std::vector<std::string> order;
  for (const auto& f : findings) order.push_back(f.rule_id + " " + f.subject);
  EXPECT_THAT(order, ElementsAre("cluster.offline_partitions b", "topic.replication_factor_one a",
                                 "topic.replication_factor_one b"));
}

}  // namespace
}  // namespace kpe::advice
