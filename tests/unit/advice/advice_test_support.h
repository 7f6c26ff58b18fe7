#pragma once
// Hand-built snapshots for the advice tests.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "advice/finding.h"
#include "state/snapshot.h"

namespace kpe::advice::testing {

using state::WallClock;

inline const WallClock::time_point kT0 = WallClock::time_point(std::chrono::seconds(1'700'000'000));

/// A partition led by its first replica (or `leader` when given), offsets known at `at`.
inline state::Partition MakePartition(int32_t id, std::vector<int32_t> replicas, std::vector<int32_t> isr,
                                      int64_t newest = 0, WallClock::time_point at = kT0) {
  state::Partition p;
  p.id = id;
  p.leader = replicas.empty() ? -1 : replicas.front();
  p.replicas = std::move(replicas);
  p.isr = std::move(isr);
  p.oldest_offset = 0;
  p.newest_offset = newest;
  p.offsets_known = true;
  p.offsets_at = at;
  return p;
}

inline state::Topic MakeTopic(std::string name, std::vector<state::Partition> partitions,
                              std::map<std::string, std::string> configs = {}) {
  state::Topic t;
  t.name = std::move(name);
  t.partitions = std::move(partitions);
  t.configs = std::move(configs);
  return t;
}

/// A topic of `rf` replicas on brokers 1..3 (partition p led by broker 1 + p % 3), all in sync.
inline state::Topic HealthyTopic(std::string name, int partitions, int rf = 3,
                                 std::map<std::string, std::string> configs = {}) {
  std::vector<state::Partition> ps;
  for (int p = 0; p < partitions; ++p) {
    std::vector<int32_t> replicas;
    for (int r = 0; r < rf; ++r) replicas.push_back(1 + (p + r) % 3);
    ps.push_back(MakePartition(p, replicas, replicas));
  }
  return MakeTopic(std::move(name), std::move(ps), std::move(configs));
}

inline state::ClusterSnapshot MakeSnapshot(std::vector<state::Topic> topics, int brokers = 3) {
  state::ClusterSnapshot s;
  s.cluster = "prod";
  s.up = true;
  for (int b = 1; b <= brokers; ++b) s.brokers.push_back({.id = b, .host = "b" + std::to_string(b), .port = 9092, .rack = ""});
  s.topics = std::move(topics);
  s.collected_at = kT0;
  return s;
}

/// A group with one member per entry of `lags` (partition i of "orders" with lag lags[i]).
inline state::ConsumerGroup MakeGroup(std::string id, std::vector<int64_t> lags,
                                      state::GroupStatus status = state::GroupStatus::kOk, int members = 1) {
  state::ConsumerGroup g;
  g.id = std::move(id);
  g.state = members > 0 ? "Stable" : "Empty";
  g.described = true;
  for (int m = 0; m < members; ++m) g.members.push_back({.member_id = "m" + std::to_string(m), .client_id = "c", .host = "h", .assigned_partitions = 1});
  for (size_t i = 0; i < lags.size(); ++i) {
    state::GroupPartition p;
    p.topic = "orders";
    p.partition = static_cast<int32_t>(i);
    p.committed_offset = 1000;
    p.lag = lags[i];
    p.status = status == state::GroupStatus::kStalled   ? state::PartitionStatus::kStalled
               : status == state::GroupStatus::kStopped ? state::PartitionStatus::kStopped
                                                        : state::PartitionStatus::kOk;
    g.partitions.push_back(p);
  }
  g.status = status;
  return g;
}

inline std::vector<std::string> RuleIds(const std::vector<Finding>& findings) {
  std::vector<std::string> ids;
  for (const auto& f : findings) ids.push_back(f.rule_id);
  return ids;
}

}  // namespace kpe::advice::testing
