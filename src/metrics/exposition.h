#pragma once
// Cluster snapshots → Prometheus text exposition (format 0.0.4). The part that only changes with a new
// snapshot is rendered and gzip'd once (Exposition); the few series that change with time (data age,
// process_*) are rendered on each scrape by RenderVolatile and appended.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "metrics/process_stats.h"
#include "state/snapshot.h"

namespace kpe::metrics {

using SnapshotList = std::vector<std::shared_ptr<const state::ClusterSnapshot>>;

struct BuildInfo {
  std::string version;             // ours
  std::string librdkafka_version;  // rd_kafka_version_str()
};

/// Rendered text of everything derived from snapshots, and its gzip member. Immutable once made.
struct Exposition {
  std::string text;
  std::string gzip;
  size_t series = 0;  // number of sample lines in `text`
};

/// Renders the kafka_* families and the per-cluster collector self-metrics of all `snapshots` (one
/// HELP/TYPE block per family, families sorted by name, every series labelled with `cluster` and the
/// snapshot's constant labels). Pure function; thread-safe.
std::shared_ptr<const Exposition> RenderExposition(const SnapshotList& snapshots);

/// Series that depend on the time of the scrape: kafka_perf_exporter_data_age_seconds{cluster,collector},
/// kafka_perf_exporter_build_info, and the process_* families from `process`. Pure function.
std::string RenderVolatile(const SnapshotList& snapshots, state::WallClock::time_point now,
                           const ProcessStats& process, const BuildInfo& build);

}  // namespace kpe::metrics
