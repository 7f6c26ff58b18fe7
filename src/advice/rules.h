#pragma once
// The tuning advisor's rules over a cluster snapshot: one small pure function per rule. A rule reads the
// snapshot (and the produce rates measured between it and a previous snapshot), compares with Thresholds and
// returns zero or more findings. No rule reads a clock or talks to Kafka: times come from the snapshots.
// Everything here is a pure function: thread-safe.
//
// | rule id                          | subject | severity | fires when                                            |
// |----------------------------------|---------|----------|-------------------------------------------------------|
// | topic.partitions_below_throughput| topic   | warning  | ceil(max(T/P, T/C)) > partitions (T measured)         |
// | topic.replication_factor_one     | topic   | warning  | some partition has a single replica                   |
// | topic.min_insync_replicas_low    | topic   | warning  | RF >= 3 and min.insync.replicas < 2                   |
// | topic.segment_bytes_small        | topic   | info     | segment.bytes < min_segment_bytes                     |
// | topic.partition_skew             | topic   | warning  | hottest rate > skew_ratio × mean and >= min rate      |
// | topic.leader_not_preferred       | topic   | info     | >= min_non_preferred_leaders leaders off preferred    |
// | cluster.under_replicated         | topic   | warning  | partitions (with a leader) whose ISR < replicas       |
// | cluster.offline_partitions       | topic   | critical | partitions without a leader                           |
// | cluster.under_min_isr            | topic   | critical | partitions (with a leader) whose ISR < min.insync     |
// | cluster.leader_imbalance         | cluster | warning  | max leaders per broker / mean > leader_imbalance_ratio|
// | group.lag_messages               | group   | warn/crit| summed lag > lag_warning/critical_messages            |
// | group.lag_seconds                | group   | warn/crit| largest partition lag in s > lag_warning/critical_s   |
// | group.stalled                    | group   | critical | status stalled: members present, offsets not moving   |
// | group.stopped                    | group   | warning  | status stopped: no members, lag > 0, not moving       |
//
// The cluster.* rules about partitions name the topic as their subject so that an alert says where to look.
//
// Rules over producer and consumer client statistics (batch size, compression, request latency, errors and
// retries, throttling, small fetches, rebalances, the client's own lag) live in client_rules.h
// (EvaluateClients); their findings have subject_kind "client" and merge with these through SortFindings.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "advice/finding.h"
#include "advice/thresholds.h"
#include "state/snapshot.h"

namespace kpe::advice {

/// The produce rate of one partition between two snapshots.
struct PartitionRate {
  int32_t partition = 0;
  double msgs_per_second = 0;
};

/// The produce rate of one topic: the sum over its measured partitions.
struct TopicRate {
  double msgs_per_second = 0;
  std::vector<PartitionRate> partitions;  // measured partitions only, sorted by partition
};

/// Topic name → rate; topics without any measured partition are absent.
using Rates = std::map<std::string, TopicRate>;

/// Produce rates from the change of each partition's newest offset between `before` and `now`, divided by
/// the time between the two fetches of those offsets (Partition::offsets_at, so partitions sampled at
/// different times are each measured over their own interval). A partition is measured only when its
/// offsets are known in both snapshots, were fetched at least min_interval_seconds apart, and the newest
/// offset did not go backwards (a deleted and recreated topic).
Rates MeasureRates(const state::ClusterSnapshot& now, const state::ClusterSnapshot& before,
                   double min_interval_seconds);

/// What every rule reads.
struct RuleInput {
  const state::ClusterSnapshot& snapshot;
  const Rates& rates;  // empty without a previous snapshot: rate-based rules then stay quiet
  const Thresholds& thresholds;
};

/// topic.partitions_below_throughput. T = the topic's measured produce rate (records/s), P and C the
/// per-partition produce and consume capacities; required = ceil(max(T / P, T / C)). Fires when required
/// exceeds the topic's partition count. Evidence: produce_rate_msgs_per_second, partition_produce_capacity,
/// partition_consume_capacity, partitions, required_partitions, hottest_partition_msgs_per_second.
std::vector<Finding> TopicPartitionsBelowThroughput(const RuleInput& in);

/// topic.replication_factor_one: some partition has one replica, so one broker's loss loses data. Evidence:
/// replication_factor (the smallest of its partitions), partitions_with_one_replica.
std::vector<Finding> TopicReplicationFactorOne(const RuleInput& in);

/// topic.min_insync_replicas_low: replication factor >= 3 (smallest of its partitions) but
/// min.insync.replicas < 2, so acks=all writes are acknowledged by a single copy. Needs the topic's configs.
/// Evidence: replication_factor, min_insync_replicas.
std::vector<Finding> TopicMinInsyncReplicasLow(const RuleInput& in);

/// topic.segment_bytes_small: segment.bytes below min_segment_bytes (Kafka's default is 1 GiB): many small
/// segment files, more open files and index memory, more frequent rolls. Needs the topic's configs.
/// Evidence: segment_bytes, min_segment_bytes.
std::vector<Finding> TopicSegmentBytesSmall(const RuleInput& in);

/// topic.partition_skew: over the measured partitions (at least 2), the hottest partition's produce rate
/// is above skew_ratio × the mean and at least skew_min_msgs_per_second. Evidence: partition,
/// partition_msgs_per_second, mean_msgs_per_second, ratio, skew_ratio.
std::vector<Finding> TopicPartitionSkew(const RuleInput& in);

/// topic.leader_not_preferred: at least min_non_preferred_leaders partitions with a leader are led by a
/// broker other than their preferred (first) replica. Evidence: non_preferred_leaders, partitions.
std::vector<Finding> TopicLeaderNotPreferred(const RuleInput& in);

/// cluster.under_replicated: partitions with a leader whose ISR is smaller than their replica list.
/// Evidence: under_replicated_partitions, partitions.
std::vector<Finding> ClusterUnderReplicated(const RuleInput& in);

/// cluster.offline_partitions: partitions without a leader (unreadable and unwritable). Evidence:
/// offline_partitions, partitions.
std::vector<Finding> ClusterOfflinePartitions(const RuleInput& in);

/// cluster.under_min_isr: partitions with a leader whose ISR is smaller than the topic's
/// min.insync.replicas, so acks=all producers fail with NOT_ENOUGH_REPLICAS. Needs the topic's configs.
/// Evidence: under_min_isr_partitions, min_insync_replicas, smallest_isr.
std::vector<Finding> ClusterUnderMinIsr(const RuleInput& in);

/// cluster.leader_imbalance: leaders counted per broker over the watched topics' partitions (brokers of the
/// snapshot leading nothing count as 0); fires when max / mean > leader_imbalance_ratio, with at least 2
/// brokers and leader_imbalance_min_partitions led partitions. Evidence: max_leaders, max_leaders_broker,
/// mean_leaders, ratio, leader_imbalance_ratio, brokers.
std::vector<Finding> ClusterLeaderImbalance(const RuleInput& in);

/// group.lag_messages: the group's lag summed over its partitions (those with a known lag) is above
/// lag_warning_messages (warning) or lag_critical_messages (critical). Evidence: lag_messages, threshold,
/// lagging_partitions, members.
std::vector<Finding> GroupLagMessages(const RuleInput& in);

/// group.lag_seconds: the largest lag in seconds of the group's partitions is above lag_warning_seconds
/// (warning) or lag_critical_seconds (critical). Evidence: lag_seconds, threshold.
std::vector<Finding> GroupLagSeconds(const RuleInput& in);

/// group.stalled: the group's status is stalled (members present, lag > 0, committed offsets not moving
/// over the status window). Evidence: lag_messages, stalled_partitions, members.
std::vector<Finding> GroupStalled(const RuleInput& in);

/// group.stopped: the group's status is stopped (no members, lag > 0, committed offsets not moving).
/// Warning, not critical: retired groups often stay behind. Evidence: lag_messages, stopped_partitions.
std::vector<Finding> GroupStopped(const RuleInput& in);

/// One rule of the table above.
struct Rule {
  std::string_view id;
  std::vector<Finding> (*check)(const RuleInput&);
};

/// Every snapshot rule, in the table's order.
std::span<const Rule> SnapshotRules();

/// Sorts findings by severity (critical first), then rule id, subject kind, subject, cluster; stable.
void SortFindings(std::vector<Finding>& findings);

/// Runs every snapshot rule on `now`; produce rates are measured from `before` (nullptr: no rates, the
/// rate-based rules stay quiet). Returns the findings sorted with SortFindings.
std::vector<Finding> Evaluate(const state::ClusterSnapshot& now, const state::ClusterSnapshot* before,
                              const Thresholds& thresholds);

}  // namespace kpe::advice
