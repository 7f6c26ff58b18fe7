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
  kafka::Result<kafka::ClusterMetadata> metadata;
  double metadata_seconds = 0;
  /// Whether the offsets step ran (it does not when metadata failed).
  bool offsets_ran = false;
  std::vector<kafka::Watermarks> watermarks;  // one per partition sampled this cycle
  double offsets_seconds = 0;
  state::WallClock::time_point now;
};

/// Builds the next snapshot. When metadata failed, the previous brokers/topics are kept (stale) with
/// up=false. A partition whose offsets could not be read keeps its previous values and their time; so
/// does one that was not sampled this cycle (absent from `watermarks`), with its previous error.
/// `previous` may be null (first cycle).
state::ClusterSnapshot BuildSnapshot(const state::ClusterSnapshot* previous,
                                     const config::ClusterConfig& cluster,
                                     const config::NameFilter& filter, const CycleResult& cycle);

/// One line summarising what went wrong in a snapshot, errors grouped by message with a count, e.g.
/// "offsets: 12 partitions: Local: Timed out". "" when all is well. Used to log once per change.
std::string ProblemSummary(const state::ClusterSnapshot& snapshot);

}  // namespace kpe::collect
