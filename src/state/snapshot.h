#pragma once
// What the exporter knows about one cluster at one moment. A snapshot is built by a collector, then
// published as shared_ptr<const ClusterSnapshot> and never changed again: readers on any thread may
// use it without locking.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kpe::state {

using WallClock = std::chrono::system_clock;

struct Broker {
  int32_t id = -1;
  std::string host;
  int port = 0;
  std::string rack;  // empty when the broker has none
};

struct Partition {
  int32_t id = 0;
  int32_t leader = -1;  // -1: no leader (offline)
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  /// Log start and end (high watermark) offsets; valid only when offsets_known.
  int64_t oldest_offset = -1;
  int64_t newest_offset = -1;
  bool offsets_known = false;
  /// When the offsets above were fetched. Older than the snapshot's collected_at when the last
  /// attempt failed and the previous good values are carried over (they are then stale).
  WallClock::time_point offsets_at{};
  /// Error of the last offsets attempt ("" when it succeeded), e.g. "Local: Timed out".
  std::string offsets_error;

  bool UnderReplicated() const { return isr.size() < replicas.size(); }
  bool Offline() const { return leader < 0; }
  bool LeaderIsPreferred() const { return !replicas.empty() && leader == replicas.front(); }
};

struct Topic {
  std::string name;
  std::vector<Partition> partitions;  // sorted by id
  std::string error;                  // metadata error for this topic, "" when none
};

/// Outcome of one collector's latest run (node_exporter style: a failure is data, not a crash).
struct CollectorStatus {
  std::string name;  // "metadata", "offsets", ...
  bool success = false;
  double duration_seconds = 0;
  WallClock::time_point last_success{};  // epoch when it never succeeded
  std::string last_error;                // "" after a success
};

struct ClusterSnapshot {
  /// Value of the `cluster` label.
  std::string cluster;
  /// Constant labels (kafka_exporter's --kafka.labels), without `cluster`.
  std::map<std::string, std::string> labels;

  /// True when the latest metadata request reached the cluster.
  bool up = false;
  /// True once any collection succeeded since start (drives /readyz).
  bool ever_up = false;
  std::string cluster_id;     // "" when unknown
  int32_t controller_id = -1;  // -1 when unknown

  std::vector<Broker> brokers;  // sorted by id
  std::vector<Topic> topics;    // sorted by name; only topics that passed the filters

  std::vector<CollectorStatus> collectors;
  /// When the cycle that produced this snapshot ended.
  WallClock::time_point collected_at{};
  /// Monotonic counter of published snapshots for this cluster (1 for the first).
  uint64_t generation = 0;
};

}  // namespace kpe::state
