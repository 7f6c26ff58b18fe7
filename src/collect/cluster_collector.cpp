#include "collect/cluster_collector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "collect/snapshot_builder.h"

namespace kpe::collect {

namespace {

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

kafka::ClientOptions MakeClientOptions(const config::ClusterConfig& cluster,
                                       const config::CollectionConfig& collection) {
  kafka::ClientOptions options;
  options.servers = cluster.servers;
  options.client_id = cluster.client_id;
  options.properties = cluster.properties;
  options.timeout = collection.timeout;
  return options;
}

}  // namespace

bool IsInternalTopic(const std::string& topic) { return topic.rfind("__", 0) == 0; }

ClusterCollector::ClusterCollector(config::ClusterConfig cluster, const config::NameFilter& topic_filter,
                                   config::CollectionConfig collection, PublishFn publish)
    : cluster_(std::move(cluster)),
      topic_filter_(topic_filter),
      collection_(collection),
      publish_(std::move(publish)),
      client_(std::make_unique<kafka::ClusterClient>(MakeClientOptions(cluster_, collection_))) {}

ClusterCollector::~ClusterCollector() { Stop(); }

SnapshotPtr ClusterCollector::Cycle() {
  CycleResult cycle;
  auto start = SteadyClock::now();
  cycle.metadata = client_->FetchMetadata();
  if (!cycle.metadata.ok() && last_ != nullptr && last_->up) {
    // The broker that was asked may just have gone away; librdkafka has marked it down by now and
    // asks another one. A cluster that was already down gets no second try (it would only double
    // the wait).
    cycle.metadata = client_->FetchMetadata();
  }
  cycle.metadata_seconds = SecondsSince(start);
  if (cycle.metadata.ok()) {
    const auto partitions =
        SelectPartitions(cycle.metadata.value, topic_filter_, cluster_.include_internal_topics);
    start = SteadyClock::now();
    cycle.watermarks = client_->FetchWatermarks(partitions);
    cycle.offsets_seconds = SecondsSince(start);
    cycle.offsets_ran = true;
  }
  client_->ServeCallbacks();
  cycle.now = state::WallClock::now();

  auto snapshot = std::make_shared<const state::ClusterSnapshot>(
      BuildSnapshot(last_.get(), cluster_, topic_filter_, cycle));
  LogTransitions(*snapshot);
  last_ = snapshot;
  publish_(snapshot);
  return snapshot;
}

void ClusterCollector::LogTransitions(const state::ClusterSnapshot& snapshot) {
  const bool was_up = last_ != nullptr && last_->up;
  if (snapshot.up && !was_up) {
    spdlog::info("cluster {}: reachable, {} brokers, {} topics watched", snapshot.cluster,
                 snapshot.brokers.size(), snapshot.topics.size());
  }
  const std::string problems = ProblemSummary(snapshot);
  if (problems != last_logged_) {
    if (problems.empty()) {
      spdlog::info("cluster {}: collection healthy again", snapshot.cluster);
    } else {
      spdlog::warn("cluster {}: {}", snapshot.cluster, problems);
    }
    last_logged_ = problems;
  }
}

void ClusterCollector::Start() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void ClusterCollector::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ClusterCollector::Run() {
  constexpr std::chrono::milliseconds kFirstBackoff{1000};
  std::chrono::milliseconds backoff = kFirstBackoff;
  for (;;) {
    const auto started = SteadyClock::now();
    const auto snapshot = Cycle();
    std::chrono::milliseconds wait = collection_.interval;
    if (!snapshot->up) {
      wait = std::min(backoff, collection_.max_backoff);
      backoff = std::min(backoff * 2, collection_.max_backoff);
    } else {
      backoff = kFirstBackoff;
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_until(lock, started + wait, [this] { return stopping_; })) return;
  }
}

}  // namespace kpe::collect
