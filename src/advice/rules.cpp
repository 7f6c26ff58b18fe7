#include "advice/rules.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>

namespace kpe::advice {
namespace {

using state::ClusterSnapshot;
using state::ConsumerGroup;
using state::Topic;

Finding Make(const RuleInput& in, std::string_view rule_id, Severity severity, std::string_view kind,
             const std::string& subject) {
  Finding finding;
  finding.rule_id = rule_id;
  finding.severity = severity;
  finding.subject_kind = kind;
  finding.subject = subject;
  finding.cluster = in.snapshot.cluster;
  return finding;
}

// The smallest replica count of the topic's partitions; 0 without partitions.
size_t ReplicationFactor(const Topic& topic) {
  size_t smallest = 0;
  for (const auto& partition : topic.partitions) {
    if (smallest == 0 || partition.replicas.size() < smallest) smallest = partition.replicas.size();
  }
  return smallest;
}

std::optional<int64_t> ConfigInt(const Topic& topic, const std::string& name) {
  const auto it = topic.configs.find(name);
  if (it == topic.configs.end()) return std::nullopt;
  try {
    size_t used = 0;
    const int64_t value = std::stoll(it->second, &used);
    if (used != it->second.size()) return std::nullopt;
    return value;
  } catch (...) {
    return std::nullopt;
  }
}

// Records/s for text: "12345", "12.5", "0.25".
std::string Rate(double value) {
  if (value >= 100) return fmt::format("{:.0f}", value);
  return fmt::format("{:.3g}", value);
}

std::string Bytes(int64_t bytes) {
  if (bytes >= 1024LL * 1024 && bytes % (1024LL * 1024) == 0) return fmt::format("{} MiB", bytes / (1024 * 1024));
  return fmt::format("{} bytes", bytes);
}

// Summed known lag and the number of partitions with lag > 0.
std::pair<int64_t, int64_t> LagOf(const ConsumerGroup& group) {
  int64_t lag = 0;
  int64_t lagging = 0;
  for (const auto& partition : group.partitions) {
    if (!partition.lag) continue;
    lag += *partition.lag;
    if (*partition.lag > 0) ++lagging;
  }
  return {lag, lagging};
}

int64_t CountPartitions(const ConsumerGroup& group, state::PartitionStatus status) {
  return std::ranges::count_if(group.partitions, [&](const auto& p) { return p.status == status; });
}

}  // namespace

Rates MeasureRates(const ClusterSnapshot& now, const ClusterSnapshot& before, double min_interval_seconds) {
  Rates rates;
  auto previous_topic = before.topics.begin();
  for (const auto& topic : now.topics) {
    previous_topic = std::lower_bound(previous_topic, before.topics.end(), topic.name,
                                      [](const Topic& t, const std::string& name) { return t.name < name; });
    if (previous_topic == before.topics.end() || previous_topic->name != topic.name) continue;
    TopicRate rate;
    for (const auto& partition : topic.partitions) {
      const auto& old_partitions = previous_topic->partitions;
      const auto old = std::ranges::find(old_partitions, partition.id, &state::Partition::id);
      if (old == old_partitions.end() || !old->offsets_known || !partition.offsets_known) continue;
      const double seconds = std::chrono::duration<double>(partition.offsets_at - old->offsets_at).count();
      if (seconds < min_interval_seconds || seconds <= 0) continue;
      if (partition.newest_offset < old->newest_offset) continue;
      const double msgs = static_cast<double>(partition.newest_offset - old->newest_offset) / seconds;
      rate.partitions.push_back({partition.id, msgs});
      rate.msgs_per_second += msgs;
    }
    if (!rate.partitions.empty()) rates.emplace(topic.name, std::move(rate));
  }
  return rates;
}

std::vector<Finding> TopicPartitionsBelowThroughput(const RuleInput& in) {
  std::vector<Finding> out;
  const double p = in.thresholds.partition_produce_capacity_msgs_per_second;
  const double c = in.thresholds.partition_consume_capacity_msgs_per_second;
  if (p <= 0 || c <= 0) return out;
  for (const auto& topic : in.snapshot.topics) {
    const auto it = in.rates.find(topic.name);
    if (it == in.rates.end() || topic.partitions.empty()) continue;
    const double t = it->second.msgs_per_second;
    const double required = std::ceil(std::max(t / p, t / c));
    const auto partitions = static_cast<double>(topic.partitions.size());
    if (required <= partitions) continue;
    double hottest = 0;
    for (const auto& rate : it->second.partitions) hottest = std::max(hottest, rate.msgs_per_second);
    Finding f = Make(in, "topic.partitions_below_throughput", Severity::kWarning, "topic", topic.name);
    f.evidence = {{"produce_rate_msgs_per_second", t},
                  {"partition_produce_capacity", p},
                  {"partition_consume_capacity", c},
                  {"partitions", partitions},
                  {"required_partitions", required},
                  {"hottest_partition_msgs_per_second", hottest}};
    f.summary = fmt::format(
        "topic {} takes {} records/s on {} partitions; partitions = max(T/P, T/C) = max({}/{}, {}/{}) = {}",
        topic.name, Rate(t), topic.partitions.size(), Rate(t), Rate(p), Rate(t), Rate(c), required);
    f.recommendation = fmt::format(
        "raise the partition count to at least {0} (kafka-topics.sh --alter --topic {1} --partitions {0}); "
        "keyed records move to other partitions when the count changes, so do it before ordering matters, "
        "and run as many consumers as partitions",
        required, topic.name);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> TopicReplicationFactorOne(const RuleInput& in) {
  std::vector<Finding> out;
  for (const auto& topic : in.snapshot.topics) {
    const auto single = std::ranges::count_if(topic.partitions, [](const auto& p) { return p.replicas.size() == 1; });
    if (single == 0) continue;
    Finding f = Make(in, "topic.replication_factor_one", Severity::kWarning, "topic", topic.name);
    f.evidence = {{"replication_factor", static_cast<double>(ReplicationFactor(topic))},
                  {"partitions_with_one_replica", static_cast<double>(single)}};
    f.summary = fmt::format("topic {} has {} of {} partitions with a single replica: losing that broker loses them",
                            topic.name, single, topic.partitions.size());
    f.recommendation = "raise the replication factor to 3 (kafka-reassign-partitions.sh with a plan listing 3 "
                       "replicas per partition) and set min.insync.replicas=2 with producers on acks=all";
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> TopicMinInsyncReplicasLow(const RuleInput& in) {
  std::vector<Finding> out;
  for (const auto& topic : in.snapshot.topics) {
    const size_t rf = ReplicationFactor(topic);
    const auto min_isr = topic.MinInsyncReplicas();
    if (rf < 3 || !min_isr || *min_isr >= 2) continue;
    Finding f = Make(in, "topic.min_insync_replicas_low", Severity::kWarning, "topic", topic.name);
    f.evidence = {{"replication_factor", static_cast<double>(rf)},
                  {"min_insync_replicas", static_cast<double>(*min_isr)}};
    f.summary = fmt::format(
        "topic {} has {} replicas but min.insync.replicas={}: an acks=all write can be acknowledged by one copy",
        topic.name, rf, *min_isr);
    f.recommendation = fmt::format(
        "set min.insync.replicas=2 (kafka-configs.sh --alter --entity-type topics --entity-name {} --add-config "
        "min.insync.replicas=2) and use acks=all in producers that need durability",
        topic.name);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> TopicSegmentBytesSmall(const RuleInput& in) {
  std::vector<Finding> out;
  for (const auto& topic : in.snapshot.topics) {
    const auto segment = ConfigInt(topic, "segment.bytes");
    if (!segment || *segment >= in.thresholds.min_segment_bytes) continue;
    Finding f = Make(in, "topic.segment_bytes_small", Severity::kInfo, "topic", topic.name);
    f.evidence = {{"segment_bytes", static_cast<double>(*segment)},
                  {"min_segment_bytes", static_cast<double>(in.thresholds.min_segment_bytes)}};
    f.summary = fmt::format("topic {} rolls log segments every {} (default 1 GiB): many small files, more open "
                            "files and index memory",
                            topic.name, Bytes(*segment));
    f.recommendation = fmt::format(
        "set segment.bytes=1073741824 (kafka-configs.sh --alter --entity-type topics --entity-name {} "
        "--add-config segment.bytes=1073741824); use segment.ms if segments must roll sooner for retention or "
        "compaction",
        topic.name);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> TopicPartitionSkew(const RuleInput& in) {
  std::vector<Finding> out;
  for (const auto& topic : in.snapshot.topics) {
    const auto it = in.rates.find(topic.name);
    if (it == in.rates.end() || it->second.partitions.size() < 2) continue;
    const auto& rates = it->second.partitions;
    const double mean = it->second.msgs_per_second / static_cast<double>(rates.size());
    const auto hottest = std::ranges::max_element(rates, {}, &PartitionRate::msgs_per_second);
    if (hottest->msgs_per_second < in.thresholds.skew_min_msgs_per_second) continue;
    if (hottest->msgs_per_second <= in.thresholds.skew_ratio * mean) continue;
    const double ratio = hottest->msgs_per_second / mean;
    Finding f = Make(in, "topic.partition_skew", Severity::kWarning, "topic", topic.name);
    f.evidence = {{"partition", static_cast<double>(hottest->partition)},
                  {"partition_msgs_per_second", hottest->msgs_per_second},
                  {"mean_msgs_per_second", mean},
                  {"ratio", ratio},
                  {"skew_ratio", in.thresholds.skew_ratio}};
    f.summary = fmt::format("partition {} of topic {} takes {} records/s, {:.1f}x the mean of {} records/s",
                            hottest->partition, topic.name, Rate(hottest->msgs_per_second), ratio, Rate(mean));
    f.recommendation =
        "spread the keys: use a key with more distinct values (or add a salt to hot keys); keyless records "
        "spread evenly with the default sticky partitioner (partitioner=consistent_random in librdkafka, "
        "partitioner.class default in Java); one consumer per partition cannot share a hot partition's load";
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> TopicLeaderNotPreferred(const RuleInput& in) {
  std::vector<Finding> out;
  for (const auto& topic : in.snapshot.topics) {
    const auto moved = std::ranges::count_if(topic.partitions,
                                             [](const auto& p) { return !p.Offline() && !p.LeaderIsPreferred(); });
    if (moved == 0 || moved < in.thresholds.min_non_preferred_leaders) continue;
    Finding f = Make(in, "topic.leader_not_preferred", Severity::kInfo, "topic", topic.name);
    f.evidence = {{"non_preferred_leaders", static_cast<double>(moved)},
                  {"partitions", static_cast<double>(topic.partitions.size())}};
    f.summary = fmt::format("{} of {} partitions of topic {} are led by a broker other than their preferred replica",
                            moved, topic.partitions.size(), topic.name);
    f.recommendation = fmt::format(
        "run a preferred leader election (kafka-leader-election.sh --election-type PREFERRED --topic {}) and keep "
        "auto.leader.rebalance.enable=true on the brokers",
        topic.name);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> ClusterUnderReplicated(const RuleInput& in) {
  std::vector<Finding> out;
  for (const auto& topic : in.snapshot.topics) {
    const auto count = std::ranges::count_if(topic.partitions,
                                             [](const auto& p) { return !p.Offline() && p.UnderReplicated(); });
    if (count == 0) continue;
    Finding f = Make(in, "cluster.under_replicated", Severity::kWarning, "topic", topic.name);
    f.evidence = {{"under_replicated_partitions", static_cast<double>(count)},
                  {"partitions", static_cast<double>(topic.partitions.size())}};
    f.summary = fmt::format("{} of {} partitions of topic {} have fewer in-sync replicas than replicas", count,
                            topic.partitions.size(), topic.name);
    f.recommendation =
        "find the replicas out of the ISR (kafka-topics.sh --describe --under-replicated-partitions) and check "
        "those brokers (down, disk, network); if followers lag under load raise num.replica.fetchers or check "
        "replica.lag.time.max.ms";
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> ClusterOfflinePartitions(const RuleInput& in) {
  std::vector<Finding> out;
  for (const auto& topic : in.snapshot.topics) {
    const auto count = std::ranges::count_if(topic.partitions, [](const auto& p) { return p.Offline(); });
    if (count == 0) continue;
    Finding f = Make(in, "cluster.offline_partitions", Severity::kCritical, "topic", topic.name);
    f.evidence = {{"offline_partitions", static_cast<double>(count)},
                  {"partitions", static_cast<double>(topic.partitions.size())}};
    f.summary = fmt::format("{} of {} partitions of topic {} have no leader: they can be neither read nor written",
                            count, topic.partitions.size(), topic.name);
    f.recommendation =
        "bring the brokers holding their replicas back (kafka-topics.sh --describe --unavailable-partitions); "
        "keep unclean.leader.election.enable=false unless losing data is acceptable";
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> ClusterUnderMinIsr(const RuleInput& in) {
  std::vector<Finding> out;
  for (const auto& topic : in.snapshot.topics) {
    const auto min_isr = topic.MinInsyncReplicas();
    if (!min_isr) continue;
    int64_t count = 0;
    size_t smallest = SIZE_MAX;
    for (const auto& partition : topic.partitions) {
      if (partition.Offline() || std::cmp_greater_equal(partition.isr.size(), *min_isr)) continue;
      ++count;
      smallest = std::min(smallest, partition.isr.size());
    }
    if (count == 0) continue;
    Finding f = Make(in, "cluster.under_min_isr", Severity::kCritical, "topic", topic.name);
    f.evidence = {{"under_min_isr_partitions", static_cast<double>(count)},
                  {"min_insync_replicas", static_cast<double>(*min_isr)},
                  {"smallest_isr", static_cast<double>(smallest)}};
    f.summary = fmt::format(
        "{} partitions of topic {} have fewer in-sync replicas ({} at least) than min.insync.replicas={}: "
        "acks=all producers get NOT_ENOUGH_REPLICAS",
        count, topic.name, smallest, *min_isr);
    f.recommendation =
        "restore the missing replicas (check the brokers out of the ISR); min.insync.replicas must stay below "
        "the replication factor so that one broker can be down";
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> ClusterLeaderImbalance(const RuleInput& in) {
  std::vector<Finding> out;
  std::map<int32_t, int64_t> leaders;
  for (const auto& broker : in.snapshot.brokers) leaders[broker.id] = 0;
  int64_t total = 0;
  for (const auto& topic : in.snapshot.topics) {
    for (const auto& partition : topic.partitions) {
      if (partition.Offline()) continue;
      ++leaders[partition.leader];
      ++total;
    }
  }
  if (leaders.size() < 2 || total < in.thresholds.leader_imbalance_min_partitions || total == 0) return out;
  const double mean = static_cast<double>(total) / static_cast<double>(leaders.size());
  const auto busiest = std::ranges::max_element(leaders, {}, [](const auto& entry) { return entry.second; });
  const double ratio = static_cast<double>(busiest->second) / mean;
  if (ratio <= in.thresholds.leader_imbalance_ratio) return out;
  Finding f = Make(in, "cluster.leader_imbalance", Severity::kWarning, "cluster", in.snapshot.cluster);
  f.evidence = {{"max_leaders", static_cast<double>(busiest->second)},
                {"max_leaders_broker", static_cast<double>(busiest->first)},
                {"mean_leaders", mean},
                {"ratio", ratio},
                {"leader_imbalance_ratio", in.thresholds.leader_imbalance_ratio},
                {"brokers", static_cast<double>(leaders.size())}};
  f.summary = fmt::format("broker {} leads {} partitions, {:.2f}x the mean of {:.1f} over {} brokers", busiest->first,
                          busiest->second, ratio, mean, leaders.size());
  f.recommendation =
      "run a preferred leader election (kafka-leader-election.sh --election-type PREFERRED "
      "--all-topic-partitions) with auto.leader.rebalance.enable=true; if the preferred replicas themselves are "
      "uneven, reassign partitions (kafka-reassign-partitions.sh, or Cruise Control)";
  out.push_back(std::move(f));
  return out;
}

std::vector<Finding> GroupLagMessages(const RuleInput& in) {
  std::vector<Finding> out;
  const auto& t = in.thresholds;
  for (const auto& group : in.snapshot.groups) {
    const auto [lag, lagging] = LagOf(group);
    const bool critical = lag > t.lag_critical_messages;
    if (!critical && lag <= t.lag_warning_messages) continue;
    const int64_t threshold = critical ? t.lag_critical_messages : t.lag_warning_messages;
    Finding f =
        Make(in, "group.lag_messages", critical ? Severity::kCritical : Severity::kWarning, "group", group.id);
    f.evidence = {{"lag_messages", static_cast<double>(lag)},
                  {"threshold", static_cast<double>(threshold)},
                  {"lagging_partitions", static_cast<double>(lagging)},
                  {"members", static_cast<double>(group.members.size())}};
    f.summary = fmt::format("group {} is {} records behind on {} partitions (threshold {})", group.id, lag,
                            lagging, threshold);
    f.recommendation =
        "add consumers to the group (up to one per partition; add partitions if every partition already has "
        "one), or make each consumer faster: bigger batches with fetch.min.bytes=65536 and max.poll.records "
        "(Java) raised, processing off the poll loop; check the consumers for errors";
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> GroupLagSeconds(const RuleInput& in) {
  std::vector<Finding> out;
  const auto& t = in.thresholds;
  for (const auto& group : in.snapshot.groups) {
    std::optional<double> worst;
    for (const auto& partition : group.partitions) {
      if (partition.lag_seconds && (!worst || *partition.lag_seconds > *worst)) worst = partition.lag_seconds;
    }
    if (!worst) continue;
    const bool critical = *worst > t.lag_critical_seconds;
    if (!critical && *worst <= t.lag_warning_seconds) continue;
    const double threshold = critical ? t.lag_critical_seconds : t.lag_warning_seconds;
    Finding f = Make(in, "group.lag_seconds", critical ? Severity::kCritical : Severity::kWarning, "group", group.id);
    f.evidence = {{"lag_seconds", *worst}, {"threshold", threshold}};
    f.summary =
        fmt::format("group {} reads records written {:.0f} s ago (threshold {:.0f} s)", group.id, *worst, threshold);
    f.recommendation =
        "add consumers to the group (up to one per partition) or make each consumer faster (bigger fetches: "
        "fetch.min.bytes=65536, more max.poll.records); if the lag is old data being replayed on purpose, ignore";
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> GroupStalled(const RuleInput& in) {
  std::vector<Finding> out;
  for (const auto& group : in.snapshot.groups) {
    if (group.status != state::GroupStatus::kStalled) continue;
    const auto [lag, lagging] = LagOf(group);
    Finding f = Make(in, "group.stalled", Severity::kCritical, "group", group.id);
    f.evidence = {{"lag_messages", static_cast<double>(lag)},
                  {"stalled_partitions", static_cast<double>(CountPartitions(group, state::PartitionStatus::kStalled))},
                  {"members", static_cast<double>(group.members.size())}};
    f.summary = fmt::format("group {} has {} members but its committed offsets do not move while {} records wait",
                            group.id, group.members.size(), lag);
    f.recommendation =
        "look at the consumers' logs: a poll loop stuck on a record that always fails (skip or dead-letter it), "
        "a hung downstream call, or processing slower than max.poll.interval.ms (which makes the group "
        "rebalance forever: raise max.poll.interval.ms or lower max.poll.records); restart a hung consumer";
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Finding> GroupStopped(const RuleInput& in) {
  std::vector<Finding> out;
  for (const auto& group : in.snapshot.groups) {
    if (group.status != state::GroupStatus::kStopped) continue;
    const auto [lag, lagging] = LagOf(group);
    Finding f = Make(in, "group.stopped", Severity::kWarning, "group", group.id);
    f.evidence = {{"lag_messages", static_cast<double>(lag)},
                  {"stopped_partitions", static_cast<double>(CountPartitions(group, state::PartitionStatus::kStopped))}};
    f.summary = fmt::format("group {} has no members and {} records waiting", group.id, lag);
    f.recommendation = fmt::format(
        "start the group's consumers; if the group is retired, delete it (kafka-consumer-groups.sh --delete "
        "--group {}) so that its lag stops alerting",
        group.id);
    out.push_back(std::move(f));
  }
  return out;
}

std::span<const Rule> SnapshotRules() {
  static constexpr std::array kRules = {
      Rule{"topic.partitions_below_throughput", &TopicPartitionsBelowThroughput},
      Rule{"topic.replication_factor_one", &TopicReplicationFactorOne},
      Rule{"topic.min_insync_replicas_low", &TopicMinInsyncReplicasLow},
      Rule{"topic.segment_bytes_small", &TopicSegmentBytesSmall},
      Rule{"topic.partition_skew", &TopicPartitionSkew},
      Rule{"topic.leader_not_preferred", &TopicLeaderNotPreferred},
      Rule{"cluster.under_replicated", &ClusterUnderReplicated},
      Rule{"cluster.offline_partitions", &ClusterOfflinePartitions},
      Rule{"cluster.under_min_isr", &ClusterUnderMinIsr},
      Rule{"cluster.leader_imbalance", &ClusterLeaderImbalance},
      Rule{"group.lag_messages", &GroupLagMessages},
      Rule{"group.lag_seconds", &GroupLagSeconds},
      Rule{"group.stalled", &GroupStalled},
      Rule{"group.stopped", &GroupStopped},
  };
  return kRules;
}

void SortFindings(std::vector<Finding>& findings) {
  std::ranges::stable_sort(findings, [](const Finding& a, const Finding& b) {
    const int a_rank = -static_cast<int>(a.severity);  // critical first
    const int b_rank = -static_cast<int>(b.severity);
    return std::tie(a_rank, a.rule_id, a.subject_kind, a.subject, a.cluster) <
           std::tie(b_rank, b.rule_id, b.subject_kind, b.subject, b.cluster);
  });
}

std::vector<Finding> Evaluate(const ClusterSnapshot& now, const ClusterSnapshot* before,
                              const Thresholds& thresholds) {
  const Rates rates =
      before != nullptr ? MeasureRates(now, *before, thresholds.min_rate_interval_seconds) : Rates{};
  const RuleInput in{now, rates, thresholds};
  std::vector<Finding> findings;
  for (const Rule& rule : SnapshotRules()) {
    auto found = rule.check(in);
    findings.insert(findings.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  }
  SortFindings(findings);
  return findings;
}

}  // namespace kpe::advice
