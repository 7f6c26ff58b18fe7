#pragma once
// What the exporter knows about one cluster at one moment. A snapshot is built by a collector, then
// published as shared_ptr<const ClusterSnapshot> and never changed again: readers on any thread may
// use it without locking.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "state/consumer_group.h"
#include "state/group_status.h"
#include "state/wall_clock.h"
#include "util/interned_string.h"

namespace kpe::state {

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
  util::InternedString offsets_error;  // few distinct messages over 10,000s of partitions

  /// The topic's min.insync.replicas (copied here for per-partition use), -1 when unknown.
  int32_t min_insync_replicas = -1;

  bool UnderReplicated() const { return isr.size() < replicas.size(); }
  /// ISR smaller than min.insync.replicas (producers with acks=all fail); nullopt when unknown.
  std::optional<bool> UnderMinIsr() const {
    if (min_insync_replicas < 0) return std::nullopt;
    return static_cast<int32_t>(isr.size()) < min_insync_replicas;
  }
  bool Offline() const { return leader < 0; }
  bool LeaderIsPreferred() const { return !replicas.empty() && leader == replicas.front(); }
};

struct Topic {
  util::InternedString name;  // shared with the group tracker's keys and the groups' partitions
  std::vector<Partition> partitions;  // sorted by id
  std::string error;                  // metadata error for this topic, "" when none
  /// False when another shard owns the topic: its offsets are still read (for the lag of this
  /// shard's groups) and it counts in the cluster totals, but its series are not exported here.
  bool exported = true;
  /// Topic configuration (DescribeConfigs), e.g. {"min.insync.replicas": "2"}; empty when unknown.
  std::map<std::string, std::string> configs;
  WallClock::time_point configs_at{};  // when they were read; epoch when never

  /// min.insync.replicas when known and valid.
  std::optional<int> MinInsyncReplicas() const {
    const auto it = configs.find("min.insync.replicas");
    if (it == configs.end()) return std::nullopt;
    try {
      return std::stoi(it->second);
    } catch (...) {
      return std::nullopt;
    }
  }
};

/// Outcome of one collector's latest run (node_exporter style: a failure is data, not a crash).
struct CollectorStatus {
  std::string name;  // "metadata", "offsets", ...
  bool success = false;
  double duration_seconds = 0;
  WallClock::time_point last_success{};  // epoch when it never succeeded
  std::string last_error;                // "" after a success
};

/// How the group list was obtained.
struct GroupDiscovery {
  /// "list": ListConsumerGroups answered; "static": the broker refused and the groups named in
  /// config are used; "none": not run yet.
  std::string mode = "none";
  /// Why ListConsumerGroups was refused ("" when it was not): "unsupported", "authorization", "error".
  std::string refusal;
  std::string refusal_error;  // the broker's message
};

/// A request the brokers refused with *_AUTHORIZATION_FAILED, while the refusal lasts (until an answer
/// for the same resource and operation succeeds, or the resource is no longer watched).
struct AuthorizationFailure {
  std::string resource_type;  // "topic", "group" or "cluster"
  std::string resource;       // topic or group name; the cluster's name for "cluster"
  std::string operation;      // "offsets", "describe", "configs" or "list"
  std::string error;          // the broker's message
};

/// The exporter's own librdkafka client's view of one broker (from its statistics): a reachability
/// and latency signal even where nothing else shows one. Counters are cumulative since the client
/// started; windows (rtt, throttle) cover the last statistics interval.
struct BrokerClientStats {
  int32_t broker_id = -1;
  std::string address;  // "host:port"
  std::string state;    // librdkafka's broker state: UP, DOWN, CONNECT, AUTH, ...
  double rtt_avg_seconds = 0;
  double rtt_p99_seconds = 0;
  double throttle_avg_seconds = 0;
  double throttle_max_seconds = 0;
  double outbuf_requests = 0;    // requests waiting to be sent
  double waitresp_requests = 0;  // requests sent, waiting for a response
  uint64_t requests = 0;         // tx
  uint64_t request_errors = 0;   // txerrs
  uint64_t responses = 0;        // rx
  uint64_t response_errors = 0;  // rxerrs
  uint64_t request_timeouts = 0; // req_timeouts
  uint64_t sent_bytes = 0;
  uint64_t received_bytes = 0;
  uint64_t connects = 0;
  uint64_t disconnects = 0;
};

/// Requests one of the exporter's own Kafka clients of a cluster sent, of one type, since it started
/// (librdkafka statistics "req", summed over brokers).
struct ClientRequests {
  std::string client;  // "metadata" (metadata and offsets), "groups" (group list, descriptions, commits)
  std::string api;     // Kafka request type as librdkafka names it: "Metadata", "OffsetFetch", ...
  uint64_t sent = 0;
};

/// Cumulative lookups of one of the collector's caches since start.
struct CacheStats {
  std::string cache;  // "metadata", "group_list", "group_description"
  uint64_t hits = 0;
  uint64_t misses = 0;
};

/// The adaptive sampling intervals of one kind of entity after the latest cycle.
struct SamplingStats {
  std::string kind;      // "topic", "group"
  size_t entities = 0;   // tracked
  size_t sampled = 0;    // sampled in the latest cycle
  double min_seconds = 0;
  double avg_seconds = 0;
  double max_seconds = 0;
};

struct ClusterSnapshot {
  /// Value of the `cluster` label.
  std::string cluster;
  /// Constant labels (kafka_exporter's --kafka.labels), without `cluster`.
  std::map<std::string, std::string> labels;

  /// True when the cluster answered the latest collection: its metadata request, or (when that failed)
  /// the offsets request of any partition, asked with the last good metadata.
  bool up = false;
  /// True once any collection succeeded since start (drives /readyz).
  bool ever_up = false;
  std::string cluster_id;     // "" when unknown
  int32_t controller_id = -1;  // -1 when unknown

  /// True on the replica that exports the cluster-wide series (brokers, cluster totals, kafka_up):
  /// shard 0, or the only replica.
  bool cluster_wide = true;

  std::vector<Broker> brokers;  // sorted by id
  std::vector<Topic> topics;    // sorted by name; only topics that passed the filters

  GroupList groups;  // sorted by id; only groups that passed the filters
  GroupDiscovery group_discovery;
  /// Requests refused for lack of permission, sorted by (resource_type, resource, operation); what is
  /// permitted is collected regardless.
  std::vector<AuthorizationFailure> authorization_failures;

  std::vector<CollectorStatus> collectors;
  std::vector<CacheStats> caches;
  std::vector<SamplingStats> sampling;
  /// From the statistics of the exporter's metadata/offsets client; sorted by broker_id.
  std::vector<BrokerClientStats> client_brokers;
  /// Requests sent by the metadata and groups clients, by client and type (sorted), from their
  /// latest statistics; empty until the first statistics interval has passed.
  std::vector<ClientRequests> client_requests;
  /// Times the groups client replaced its handle because librdkafka left every in-flight request
  /// unanswered (kafka::GroupClient::Reopens), since the collector started.
  uint64_t groups_client_reopens = 0;
  /// When the cycle that produced this snapshot ended.
  WallClock::time_point collected_at{};
  /// Monotonic counter of published snapshots for this cluster (1 for the first).
  uint64_t generation = 0;
};

}  // namespace kpe::state
