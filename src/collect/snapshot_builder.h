#pragma once
// The pure part of a collection cycle: what to ask for, and how the answers and the previous snapshot
// become the next snapshot. No I/O here, so every rule is unit-tested directly.

#include <string>
#include <vector>

#include "config/config.h"
#include "kafka/cluster_client.h"
#include "state/snapshot.h"

namespace kpe::collect {

/// The partitions whose offsets to request: every partition of the topics that pass `filter` (internal
/// topics only when `include_internal`), in metadata order.
std::vector<kafka::PartitionRef> SelectPartitions(const kafka::ClusterMetadata& metadata,
                                                  const config::NameFilter& filter,
                                                  bool include_internal);

struct CycleResult {
  /// This cycle's metadata (a request's answer, or the cache's).
  kafka::Result<kafka::ClusterMetadata> metadata;
  /// When `metadata` failed: the last good metadata, with which the offsets were asked (a metadata
  /// request that librdkafka sent to one slow or dead broker says nothing of the others); null when
  /// there is none or `metadata` succeeded. Not owned; must outlive the BuildSnapshot call.
  const kafka::ClusterMetadata* last_good_metadata = nullptr;
  double metadata_seconds = 0;
  /// Whether the offsets step ran (it does not when there is no metadata at all).
  bool offsets_ran = false;
  std::vector<kafka::Watermarks> watermarks;  // one per partition sampled this cycle
  double offsets_seconds = 0;
  state::WallClock::time_point now;
};

/// Builds the next snapshot. `up` ("the cluster answered") is true when the metadata request succeeded
/// or, when it failed, when any partition's offsets were read with the last good metadata; the topics
/// and brokers then come from that metadata. Without any metadata the previous brokers and topics are
/// kept, every partition marked as not refreshed. A partition whose offsets could not be read keeps its
/// previous values and their time, with the error (counted as stale); one that was not sampled this
/// cycle (absent from `watermarks`) keeps them with its previous error. The groups are the previous
/// ones (ClusterCollector reads them after the topics); while the cluster is down, when they will not be
/// read, their collector status is a failure that keeps its last success. `previous` may be null (first
/// cycle).
state::ClusterSnapshot BuildSnapshot(const state::ClusterSnapshot* previous,
                                     const config::ClusterConfig& cluster,
                                     const config::NameFilter& filter, const CycleResult& cycle);

/// One line summarising what went wrong in a snapshot, errors grouped by message with a count, e.g.
/// "offsets: 12 partitions: Local: Timed out". "" when all is well. Used to log once per change.
std::string ProblemSummary(const state::ClusterSnapshot& snapshot);

}  // namespace kpe::collect
