#pragma once
// Background collection for one cluster: metadata, then batched watermark offsets of the partitions that
// pass the filters, merged with what was known before, published as an immutable snapshot.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "collect/adaptive_schedule.h"
#include "collect/cpu_governor.h"
#include "collect/group_tracker.h"
#include "config/config.h"
#include "kafka/cluster_client.h"
#include "kafka/config_client.h"
#include "kafka/group_client.h"
#include "kafka/record_timestamps.h"
#include "state/snapshot.h"

namespace kpe::collect {

using SnapshotPtr = std::shared_ptr<const state::ClusterSnapshot>;
/// Receives every new snapshot, on the collector's thread. Must not block for long.
using PublishFn = std::function<void(SnapshotPtr)>;

/// True for Kafka's internal topics (names starting with "__", e.g. __consumer_offsets).
bool IsInternalTopic(const std::string& topic);

/// What a collector takes from the configuration besides its cluster.
struct CollectorSettings {
  CollectorSettings() = default;
  explicit CollectorSettings(config::CollectionConfig c) : collection(c) {}

  config::CollectionConfig collection;
  config::LagConfig lag;
  config::ShardConfig shard;
  config::TopicConfigsConfig topic_configs;
};

/// Collects one cluster, every `collection.interval` (a tick), on an own thread.
/// A tick: metadata (cached for metadata_ttl; dropped early by offsets errors), watermark offsets of the
/// topics that are due (adaptive sampling), then the consumer groups that are due (group list and
/// descriptions cached, committed offsets read). Nothing due and nothing new: nothing is published.
/// When the metadata request fails, the offsets are still asked with the last good metadata: the
/// cluster is up (kafka_up) when any broker answers them, so one slow broker that librdkafka happened to
/// send the metadata request to does not make the whole cluster down.
/// While the cluster is unreachable, ticks back off exponentially (1 s doubling up to max_backoff).
/// When the previous tick's group step was slow (> 1 s), the topics are published before the groups are
/// read, so a slow group coordinator delays only the groups.
/// Thread-safety: Start/Stop from one thread; Cycle() only while not started.
class ClusterCollector {
 public:
  /// Throws std::invalid_argument when librdkafka rejects a property of the cluster's config.
  /// `cluster` must outlive the collector (it lives in the ValidatedConfig); so must `governor`, which
  /// may be null (no stretching). With several shards, only the groups this shard owns are read and
  /// only its topics are exported (see shard.h). With lag.precise, lag in seconds comes from the timestamps of the
  /// records at the committed offsets (read through a RecordTimestampReader) where they can be read.
  ClusterCollector(const config::ValidatedCluster& cluster, CollectorSettings settings, PublishFn publish,
                   CpuGovernor* governor = nullptr);
  ~ClusterCollector();
  ClusterCollector(const ClusterCollector&) = delete;
  ClusterCollector& operator=(const ClusterCollector&) = delete;

  /// Runs one tick and returns the snapshot it leaves (published when anything was sampled).
  SnapshotPtr Cycle();

  /// Starts the collecting thread; does nothing when it runs already.
  void Start();
  /// Stops the thread; returns once an in-flight request finished (bounded by collection.timeout).
  void Stop();

 private:
  // The last good metadata. Served from while fresh (metadata_ttl, and not dropped by an offsets
  // error); after that, still what the offsets are asked with while metadata requests fail.
  struct CachedMetadata {
    kafka::ClusterMetadata value;
    std::chrono::steady_clock::time_point fetched_at;
    bool dropped = false;  // an offsets error or a failed request made it unfit to serve as fresh
  };
  struct CachedDescription {
    kafka::GroupDescription value;
    std::chrono::steady_clock::time_point fetched_at;
  };

  void Run();
  kafka::Result<kafka::ClusterMetadata> Metadata(bool* fetched);
  std::set<std::string> DueTopics(const kafka::ClusterMetadata& metadata, state::WallClock::time_point now);
  void ScheduleTopics(const state::ClusterSnapshot& snapshot, const std::set<std::string>& sampled);
  size_t CollectGroups(state::ClusterSnapshot& snapshot);
  kafka::ListGroupsResult GroupList();
  std::vector<kafka::GroupDescription> Descriptions(const std::vector<std::string>& ids,
                                                    const std::map<std::string, std::string>& states);
  void PreciseLagSeconds(std::vector<state::ConsumerGroup>& groups, state::WallClock::time_point read_at);
  void CollectTopicConfigs(state::ClusterSnapshot& snapshot);
  void FillEfficiency(state::ClusterSnapshot& snapshot, size_t topics_sampled, size_t groups_sampled);
  // The requests sent so far by the metadata and groups clients (their latest statistics).
  void FillClientRequests(state::ClusterSnapshot& snapshot) const;
  void LogTransitions(const state::ClusterSnapshot& snapshot);
  // Records whether a request for one resource was refused for lack of permission; a new refusal is
  // logged once (when `log`), its end once.
  void NoteAuthorization(const std::string& type, const std::string& resource, const std::string& operation,
                         bool refused, const std::string& error, bool log = true);
  // Forgets the refusals of resources of `type` that are no longer watched.
  void RetainAuthorization(const std::string& type, const std::set<std::string>& live);
  void ExportAuthorization(state::ClusterSnapshot& snapshot) const;

  // Declared before client_ and groups_client_, whose statistics callbacks write them.
  std::vector<state::BrokerClientStats> client_brokers_;
  std::map<std::string, uint64_t> metadata_requests_;  // requests sent per type by client_
  std::map<std::string, uint64_t> group_requests_;     // requests sent per type by groups_client_
  const config::ClusterConfig& cluster_;
  const config::NameFilter& topic_filter_;
  const config::NameFilter& group_filter_;
  config::CollectionConfig collection_;
  config::ShardConfig shard_;
  config::TopicConfigsConfig topic_configs_;
  PublishFn publish_;
  std::unique_ptr<kafka::ClusterClient> client_;
  std::unique_ptr<kafka::GroupClient> groups_client_;
  std::unique_ptr<kafka::RecordTimestampReader> timestamps_;  // only with lag.precise
  std::unique_ptr<kafka::TopicConfigClient> configs_client_;  // only with topic_configs.enabled
  struct CachedConfigs {
    std::map<std::string, std::string> configs;
    state::WallClock::time_point at;
  };
  std::map<std::string, CachedConfigs> topic_configs_cache_;
  std::string configs_refusal_;  // why DescribeConfigs is refused, logged once
  CpuGovernor* governor_;
  GroupTracker tracker_;
  AdaptiveSchedule topic_schedule_;
  AdaptiveSchedule group_schedule_;

  // Caches (only touched by the collecting thread) and their cumulative lookups.
  std::optional<CachedMetadata> metadata_cache_;
  std::optional<kafka::ListGroupsResult> group_list_cache_;
  std::chrono::steady_clock::time_point group_list_fetched_at_{};
  std::map<std::string, CachedDescription> description_cache_;
  std::map<std::string, state::CacheStats> cache_stats_;
  bool slow_groups_ = false;  // the previous group step took over a second

  SnapshotPtr last_;           // only touched by the collecting thread
  std::string last_logged_;    // last logged problem summary, to log once per change
  // Refusals (*_AUTHORIZATION_FAILED) by (resource type, resource, operation) → the broker's message,
  // kept until the same request succeeds. Only touched by the collecting thread.
  std::map<std::tuple<std::string, std::string, std::string>, std::string> authorization_failures_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace kpe::collect
