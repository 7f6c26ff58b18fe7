#pragma once
// The exporter's connection to one Kafka cluster. The only way the rest of the code talks to Kafka.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/types.h"

namespace kpe::kafka {

struct ClientOptions {
  std::vector<std::string> servers;  // bootstrap HOST:PORT list
  std::string client_id = "kafka-perf-exporter";
  /// Extra librdkafka properties, applied after ours (so a user can override anything).
  std::map<std::string, std::string> properties;
  /// Deadline for each call of FetchMetadata or FetchWatermarks as a whole (all its requests included).
  std::chrono::milliseconds timeout{10000};
  /// librdkafka statistics every this often (0: off); delivered to on_statistics.
  std::chrono::milliseconds statistics_interval{0};
  /// Receives each statistics JSON document. Called on the thread that calls ServeCallbacks() or a
  /// Fetch method. Must not call back into this client.
  std::function<void(std::string_view json)> on_statistics;
};

/// Result of a request: the value, or an error message (value then default-constructed).
template <typename T>
struct Result {
  T value{};
  std::string error;  // "" on success
  bool ok() const { return error.empty(); }
};

/// Owns one librdkafka consumer-type handle (no group). Thread-compatible: calls must not overlap (the
/// collector of one cluster owns it). Logs go to spdlog; each distinct client error is logged once as a
/// warning. Destruction stops the handle's threads without waiting for any broker.
class ClusterClient {
 public:
  /// Throws std::invalid_argument naming the property when librdkafka rejects a configuration value.
  explicit ClusterClient(ClientOptions options);
  ~ClusterClient();
  ClusterClient(const ClusterClient&) = delete;
  ClusterClient& operator=(const ClusterClient&) = delete;

  /// Brokers, all topics with their partitions (leader, replicas, ISR), cluster id and controller id.
  /// Also remembers each partition's leader for FetchWatermarks. Blocks at most about options.timeout
  /// (one Metadata request); on failure `error` is "metadata request: <librdkafka's message>".
  Result<ClusterMetadata> FetchMetadata();

  /// Oldest and newest offsets of `partitions`, batched: at most 2 ListOffsets requests per leader broker
  /// per call (newest, oldest), whatever the number of partitions; leaders are asked in parallel (on up to
  /// 8 short-lived threads) under one shared deadline. Leaders come from the last FetchMetadata; if a
  /// partition is not in it, metadata is fetched first (within the same deadline). Partitions whose
  /// leader does not answer get an error naming the leader ("newest offset from leader 2: Local: Timed
  /// out"); the others still get values. A partition not in metadata or without leader gets an error
  /// without a request. Returns one entry per input, same order. Blocks at most about options.timeout.
  std::vector<Watermarks> FetchWatermarks(const std::vector<PartitionRef>& partitions);

  /// Serves pending callbacks (statistics, errors, logs) without blocking.
  void ServeCallbacks();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kpe::kafka
