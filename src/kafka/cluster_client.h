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
  /// Deadline for each request made through this client.
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

/// Owns one librdkafka handle. Thread-compatible: calls must not overlap (the collector of one cluster
/// owns it). Destruction stops the handle's threads.
class ClusterClient {
 public:
  /// Throws std::invalid_argument naming the property when librdkafka rejects a configuration value.
  explicit ClusterClient(ClientOptions options);
  ~ClusterClient();
  ClusterClient(const ClusterClient&) = delete;
  ClusterClient& operator=(const ClusterClient&) = delete;

  /// Brokers, all topics with their partitions (leader, replicas, ISR), cluster id and controller id.
  /// Blocks at most about options.timeout.
  Result<ClusterMetadata> FetchMetadata();

  /// Oldest and newest offsets of `partitions`, batched: a bounded number of ListOffsets requests per
  /// leader broker per call, whatever the number of partitions. Partitions whose leader does not answer
  /// get an error entry; the others still get values. Returns one entry per input, same order.
  /// Blocks at most about options.timeout.
  std::vector<Watermarks> FetchWatermarks(const std::vector<PartitionRef>& partitions);

  /// Serves pending callbacks (statistics, errors, logs) without blocking.
  void ServeCallbacks();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kpe::kafka
