#include "collect/cluster_collector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
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

ClusterCollector::ClusterCollector(const config::ValidatedCluster& cluster,
                                   config::CollectionConfig collection, PublishFn publish)
    : cluster_(cluster.config),
      topic_filter_(cluster.topic_filter),
      group_filter_(cluster.group_filter),
      collection_(collection),
      publish_(std::move(publish)),
      client_(std::make_unique<kafka::ClusterClient>(MakeClientOptions(cluster_, collection_))),
      groups_client_(std::make_unique<kafka::GroupClient>(
          kafka::GroupClientOptions{MakeClientOptions(cluster_, collection_)})) {}

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

  auto built = BuildSnapshot(last_.get(), cluster_, topic_filter_, cycle);
  if (built.up) tracker_.ObserveTopics(built.topics, built.collected_at);
  auto snapshot = std::make_shared<const state::ClusterSnapshot>(built);
  if (built.up) {
    publish_(snapshot);  // topics are served while the groups are read
    CollectGroups(built);
    snapshot = std::make_shared<const state::ClusterSnapshot>(std::move(built));
  }
  LogTransitions(*snapshot);
  last_ = snapshot;
  publish_(snapshot);
  return snapshot;
}

void ClusterCollector::CollectGroups(state::ClusterSnapshot& snapshot) {
  const auto start = SteadyClock::now();
  GroupCycleAnswers answers;
  std::string error;
  auto& discovery = snapshot.group_discovery;
  const auto listing = groups_client_->ListGroups();
  if (listing.kind == kafka::ErrorKind::kNone) {
    discovery = {"list", "", ""};
    for (const auto& group : listing.groups) {
      if (!group_filter_.Matches(group.group_id)) continue;
      answers.group_ids.push_back(group.group_id);
      answers.listed_states[group.group_id] = group.state;
    }
    error = listing.error;  // partial: some brokers did not answer
  } else if (listing.kind == kafka::ErrorKind::kUnsupported ||
             listing.kind == kafka::ErrorKind::kAuthorization) {
    // Least-privilege principals and old brokers: watch the groups named in config instead.
    const std::string reason =
        listing.kind == kafka::ErrorKind::kUnsupported ? "unsupported" : "authorization";
    if (discovery.refusal != reason) {
      spdlog::warn("cluster {}: listing consumer groups refused ({}: {}); watching the {} groups of "
                   "groups.static instead",
                   cluster_.name, reason, listing.error, cluster_.static_groups.size());
    }
    discovery = {"static", reason, listing.error};
    answers.group_ids = cluster_.static_groups;
  } else {
    // A passing failure: keep watching the groups known from the previous cycle.
    error = "list: " + listing.error;
    for (const auto& group : snapshot.groups) answers.group_ids.push_back(group.id);
  }

  if (!answers.group_ids.empty()) {
    if (discovery.refusal != "unsupported") {
      answers.descriptions = groups_client_->DescribeGroups(answers.group_ids);
    }
    std::vector<kafka::PartitionRef> partitions;
    for (const auto& topic : snapshot.topics) {
      for (const auto& partition : topic.partitions) partitions.push_back({topic.name, partition.id});
    }
    answers.offsets = groups_client_->FetchCommittedOffsets(answers.group_ids, partitions);
  }
  snapshot.groups = tracker_.Evaluate(answers, snapshot.topics, state::WallClock::now());

  std::map<std::string, int> failures;  // grouped by message, logged once per change
  for (const auto& group : snapshot.groups) {
    if (!group.error.empty()) ++failures[group.error];
  }
  for (const auto& [message, count] : failures) {
    error += (error.empty() ? "" : "; ") + std::to_string(count) + (count == 1 ? " group: " : " groups: ") + message;
  }
  state::CollectorStatus status;
  status.name = "groups";
  status.success = error.empty();
  status.duration_seconds = SecondsSince(start);
  status.last_error = error;
  status.last_success = status.success ? state::WallClock::now() : state::WallClock::time_point{};
  for (auto it = snapshot.collectors.begin(); it != snapshot.collectors.end(); ++it) {
    if (it->name != "groups") continue;
    if (!status.success) status.last_success = it->last_success;
    snapshot.collectors.erase(it);
    break;
  }
  snapshot.collectors.push_back(std::move(status));
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
