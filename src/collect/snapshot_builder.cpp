#include "collect/snapshot_builder.h"

#include <algorithm>
#include <map>
#include <utility>

#include "collect/cluster_collector.h"

namespace kpe::collect {

namespace {

constexpr const char* kMetadataCollector = "metadata";
constexpr const char* kOffsetsCollector = "offsets";
constexpr const char* kGroupsCollector = "groups";

const state::CollectorStatus* FindStatus(const state::ClusterSnapshot* snapshot, const std::string& name) {
  if (snapshot == nullptr) return nullptr;
  for (const auto& status : snapshot->collectors) {
    if (status.name == name) return &status;
  }
  return nullptr;
}

state::CollectorStatus MakeStatus(const state::ClusterSnapshot* previous, const std::string& name,
                                  const std::string& error, double seconds,
                                  state::WallClock::time_point now) {
  state::CollectorStatus status;
  status.name = name;
  status.success = error.empty();
  status.duration_seconds = seconds;
  status.last_error = error;
  if (status.success) {
    status.last_success = now;
  } else if (const auto* before = FindStatus(previous, name)) {
    status.last_success = before->last_success;
  }
  return status;
}

// Previous partitions by (topic, partition), to carry values over when a request fails.
using PartitionIndex = std::map<std::pair<std::string, int32_t>, const state::Partition*>;

PartitionIndex IndexPartitions(const state::ClusterSnapshot* previous) {
  PartitionIndex index;
  if (previous == nullptr) return index;
  for (const auto& topic : previous->topics) {
    for (const auto& partition : topic.partitions) {
      index.emplace(std::make_pair(topic.name, partition.id), &partition);
    }
  }
  return index;
}

std::string OffsetsError(const std::vector<kafka::Watermarks>& watermarks) {
  std::map<std::string, int> by_error;
  for (const auto& w : watermarks) {
    if (!w.error.empty()) ++by_error[w.error];
  }
  std::string out;
  for (const auto& [error, count] : by_error) {
    if (!out.empty()) out += "; ";
    out += std::to_string(count) + (count == 1 ? " partition: " : " partitions: ") + error;
  }
  return out;
}

}  // namespace

std::vector<kafka::PartitionRef> SelectPartitions(const kafka::ClusterMetadata& metadata,
                                                  const config::NameFilter& filter,
                                                  bool include_internal) {
  std::vector<kafka::PartitionRef> refs;
  for (const auto& topic : metadata.topics) {
    if (!include_internal && IsInternalTopic(topic.name)) continue;
    if (!filter.Matches(topic.name)) continue;
    for (const auto& partition : topic.partitions) refs.push_back({topic.name, partition.id});
  }
  return refs;
}

state::ClusterSnapshot BuildSnapshot(const state::ClusterSnapshot* previous,
                                     const config::ClusterConfig& cluster,
                                     const config::NameFilter& filter, const CycleResult& cycle) {
  state::ClusterSnapshot next;
  next.cluster = cluster.name;
  next.labels = cluster.labels;
  next.collected_at = cycle.now;
  next.generation = previous == nullptr ? 1 : previous->generation + 1;
  const kafka::ClusterMetadata* source =
      cycle.metadata.ok() ? &cycle.metadata.value : cycle.last_good_metadata;
  // The cluster answered: metadata, or (when that request failed) the offsets of any partition.
  const bool offsets_answered =
      cycle.offsets_ran && std::any_of(cycle.watermarks.begin(), cycle.watermarks.end(),
                                       [](const auto& w) { return w.error.empty(); });
  next.up = cycle.metadata.ok() || (source != nullptr && offsets_answered);
  next.ever_up = next.up || (previous != nullptr && previous->ever_up);

  next.collectors.push_back(MakeStatus(previous, kMetadataCollector, cycle.metadata.error,
                                       cycle.metadata_seconds, cycle.now));
  const std::string offsets_error =
      cycle.offsets_ran ? OffsetsError(cycle.watermarks) : "not run: metadata request failed";
  next.collectors.push_back(
      MakeStatus(previous, kOffsetsCollector, offsets_error, cycle.offsets_seconds, cycle.now));

  // Groups are collected after the topics (see ClusterCollector): until then, serve the previous ones.
  if (previous != nullptr) {
    next.groups = previous->groups;
    next.group_discovery = previous->group_discovery;
    if (const auto* groups = FindStatus(previous, kGroupsCollector)) {
      next.collectors.push_back(*groups);
      if (!next.up) {
        // They are not read while the cluster is down: served as they were, and said to be old.
        auto& status = next.collectors.back();
        status.success = false;
        status.duration_seconds = 0;
        status.last_error = "not run: cluster unreachable";
      }
    }
  }

  if (source == nullptr) {
    // Nothing to build from: keep serving what we knew, every partition's offsets not refreshed.
    if (previous != nullptr) {
      next.cluster_id = previous->cluster_id;
      next.controller_id = previous->controller_id;
      next.brokers = previous->brokers;
      next.topics = previous->topics;
      for (auto& topic : next.topics) {
        for (auto& partition : topic.partitions) partition.offsets_error = "not refreshed: metadata request failed";
      }
    }
    return next;
  }

  const auto& metadata = *source;
  next.cluster_id = metadata.cluster_id;
  next.controller_id = metadata.controller_id;
  for (const auto& b : metadata.brokers) next.brokers.push_back({b.id, b.host, b.port, b.rack});

  std::map<std::pair<std::string, int32_t>, const kafka::Watermarks*> fresh;
  for (const auto& w : cycle.watermarks) fresh.emplace(std::make_pair(w.topic, w.partition), &w);
  const PartitionIndex before = IndexPartitions(previous);

  for (const auto& topic : metadata.topics) {
    if (!cluster.include_internal_topics && IsInternalTopic(topic.name)) continue;
    if (!filter.Matches(topic.name)) continue;
    state::Topic out;
    out.name = topic.name;
    out.error = topic.error;
    out.partitions.reserve(topic.partitions.size());
    for (const auto& p : topic.partitions) {
      state::Partition partition;
      partition.id = p.id;
      partition.leader = p.leader;
      partition.replicas = p.replicas;
      partition.isr = p.isr;
      const auto key = std::make_pair(topic.name, p.id);
      const auto it = fresh.find(key);
      if (it != fresh.end() && it->second->error.empty()) {
        partition.oldest_offset = it->second->oldest;
        partition.newest_offset = it->second->newest;
        partition.offsets_known = true;
        partition.offsets_at = cycle.now;
      } else {
        const auto old = before.find(key);
        if (it != fresh.end()) {
          partition.offsets_error = it->second->error;
        } else if (old != before.end()) {  // not due this cycle (adaptive sampling): as before
          partition.offsets_error = old->second->offsets_error;
        }
        if (old != before.end() && old->second->offsets_known) {
          partition.oldest_offset = old->second->oldest_offset;
          partition.newest_offset = old->second->newest_offset;
          partition.offsets_known = true;
          partition.offsets_at = old->second->offsets_at;
        }
      }
      out.partitions.push_back(std::move(partition));
    }
    std::sort(out.partitions.begin(), out.partitions.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    next.topics.push_back(std::move(out));
  }
  std::sort(next.topics.begin(), next.topics.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return next;
}

std::string ProblemSummary(const state::ClusterSnapshot& snapshot) {
  std::string out;
  for (const auto& status : snapshot.collectors) {
    if (status.success) continue;
    if (!out.empty()) out += " | ";
    out += status.name + ": " + status.last_error;
  }
  return out;
}

}  // namespace kpe::collect
