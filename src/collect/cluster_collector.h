#pragma once
// Background collection for one cluster: metadata, then batched watermark offsets of the partitions that
// pass the filters, merged with what was known before, published as an immutable snapshot.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "collect/group_tracker.h"
#include "config/config.h"
#include "kafka/cluster_client.h"
#include "kafka/group_client.h"
#include "state/snapshot.h"

namespace kpe::collect {

using SnapshotPtr = std::shared_ptr<const state::ClusterSnapshot>;
/// Receives every new snapshot, on the collector's thread. Must not block for long.
using PublishFn = std::function<void(SnapshotPtr)>;

/// True for Kafka's internal topics (names starting with "__", e.g. __consumer_offsets).
bool IsInternalTopic(const std::string& topic);

/// Collects one cluster. A cycle reads metadata and watermarks and publishes a snapshot (groups carried
/// over), then reads the consumer groups and publishes again, so a slow group coordinator delays only
/// the groups. Cycle() may be called directly (tests); Start() runs cycles on an own thread every
/// `interval`, or with exponential backoff (1 s doubling up to max_backoff) while the cluster is
/// unreachable. Thread-safety: Start/Stop from one thread; Cycle() only while not started.
class ClusterCollector {
 public:
  /// Throws std::invalid_argument when librdkafka rejects a property of the cluster's config.
  /// `cluster` must outlive the collector (it lives in the ValidatedConfig).
  ClusterCollector(const config::ValidatedCluster& cluster, config::CollectionConfig collection,
                   PublishFn publish);
  ~ClusterCollector();
  ClusterCollector(const ClusterCollector&) = delete;
  ClusterCollector& operator=(const ClusterCollector&) = delete;

  /// Runs one collection cycle, publishes (twice when the cluster is up) and returns its last snapshot.
  SnapshotPtr Cycle();

  void Start();
  /// Stops the thread; returns once an in-flight request finished (bounded by collection.timeout).
  void Stop();

 private:
  void Run();
  void CollectGroups(state::ClusterSnapshot& snapshot);
  void LogTransitions(const state::ClusterSnapshot& snapshot);

  const config::ClusterConfig& cluster_;
  const config::NameFilter& topic_filter_;
  const config::NameFilter& group_filter_;
  config::CollectionConfig collection_;
  PublishFn publish_;
  std::unique_ptr<kafka::ClusterClient> client_;
  std::unique_ptr<kafka::GroupClient> groups_client_;
  GroupTracker tracker_;

  SnapshotPtr last_;           // only touched by the collecting thread
  std::string last_logged_;    // last logged problem summary, to log once per change

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace kpe::collect
