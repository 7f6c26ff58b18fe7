#pragma once
// Cluster snapshots → Prometheus text exposition (format 0.0.4). The part that only changes with a
// new snapshot is rendered and gzip'd once (Exposition); the few series that change with time (data
// age, process_*) are rendered on each scrape by RenderVolatile and appended.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "metrics/process_stats.h"
#include "state/snapshot.h"
#include "util/gzip.h"

namespace kpe::metrics {

using SnapshotList = std::vector<std::shared_ptr<const state::ClusterSnapshot>>;

struct BuildInfo {
  std::string version;             // ours
  std::string librdkafka_version;  // rd_kafka_version_str()
};

/// Cardinality control of RenderExposition. The default renders every partition of every topic.
///
/// A family with a `partition` label (kPartitionFamilies in names.h, which gives each one's
/// aggregate) can be folded per topic: instead of one series per partition, one series per topic
/// (per consumer group and topic for kafka_consumergroup_*) with the same name and labels but
/// partition="all", valued by the family's aggregate (sum, min or max). Folding never removes a
/// family: kafka_topic_partition_leader never folds, and a sum folds only when every partition of
/// the scope has a value (otherwise the scope keeps its per-partition series).
struct RenderOptions {
  /// Most series to render; 0: no budget. Over it, whole topics (all their foldable families) are
  /// folded, least interesting first, until the count is within the budget or nothing more can be
  /// folded. Least interesting: topics with no under-replicated or offline partition and no
  /// consumer group lagging on them, the biggest saving first, then by cluster and topic name;
  /// topics with any of those fold last, in the same order. A topic whose fold saves nothing is
  /// not folded.
  size_t max_series = 0;
  /// Partition-level families folded for every topic, whatever the budget. Names that
  /// CheckTopicGranularity rejects are ignored: check them when loading the configuration.
  std::set<std::string> topic_granularity;
};

/// nullopt when every name in `families` is a family that can be folded per topic, else an error
/// naming the first one that is not (unknown, or known without a per-topic aggregate) and the valid
/// choices. The caller adds where the names came from (the config key path). Pure function.
std::optional<std::string> CheckTopicGranularity(const std::set<std::string>& families);

/// The CPU governor's state, rendered per scrape.
struct GovernorStats {
  double budget_cores = 0;
  double usage_cores = 0;
  double stretch = 1;
};

/// Outcome of the configuration (re)loads, rendered per scrape.
struct ReloadStats {
  bool last_successful = true;
  double last_success_timestamp_seconds = 0;
};

/// What the renders of the snapshot exposition cost since the start (RenderExposition runs once per
/// published snapshot), rendered per scrape.
struct RenderStats {
  uint64_t renders = 0;
  double seconds = 0;           // wall time spent in RenderExposition
  uint64_t chunks_reused = 0;   // chunks copied deflated from the render before
  uint64_t chunks_deflated = 0;
};

/// Rendered text of everything derived from snapshots, held as an open gzip member only (a 10,000
/// partition cluster renders ~47 MB of text that deflates to a few MB). Immutable once made.
class Exposition {
 public:
  /// The text as an open gzip member: a scrape closes it with the gzip'd per-scrape tail
  /// (util::GzipClose), so the answer is one gzip member without compressing the text again.
  util::OpenGzip gzip;
  size_t series = 0;           // number of sample lines in the text
  size_t series_unfolded = 0;  // what `series` would be without RenderOptions (no self-metrics)
  size_t folded_topics = 0;    // topics (over all clusters) with at least one family folded
  size_t folded_series = 0;    // per-partition series replaced by partition="all" aggregates
  size_t chunks_reused = 0;    // chunks of the text copied deflated from the cache's last render
  size_t chunks_deflated = 0;  // chunks deflated by this render
  size_t blocks = 0;         // blocks of groups (two per block: see RenderCache) and of topics
  size_t blocks_reused = 0;  // of those, put in place from the cache's last render, text unwritten

  /// The plain text, for scrapers that do not take gzip: inflated from `gzip` on first use and kept
  /// while this exposition lives, so only a deployment with such scrapers holds it. Thread-safe.
  const std::string& Text() const;

 private:
  mutable std::once_flag text_once_;
  mutable std::string text_;
};

/// What RenderExposition keeps from one render for the next: the deflated chunks of the text (a
/// family's text is cut every kChunkLines lines, so a value that changes leaves its neighbours' cuts
/// where they were), so a render deflates only the chunks whose text changed; and which chunks each
/// block of consumer groups or topics made (about 8 of them, cut where a name hashes to 0 mod 8), so
/// a render does not even write the text of a block whose groups are the ones it rendered before
/// (state::ConsumerGroup::version) or whose topics' partitions have the same values. A cluster whose
/// collectors read a few groups or topics per cycle changes a small part of its text per snapshot.
/// Thread-safe: renders running at once each reuse the last finished one's chunks.
class RenderCache {
 public:
  /// Lines per chunk: ~60 KB of a typical exposition; smaller ones are reused more often but deflate
  /// a little worse (each starts with an empty window).
  static constexpr size_t kChunkLines = 512;

  /// What one render keeps (defined with RenderExposition).
  struct Kept;

  std::shared_ptr<const Kept> Get() const;
  void Put(std::shared_ptr<const Kept> kept);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Kept> kept_;  // guarded by mutex_
};

/// Renders the kafka_* families and the per-cluster collector self-metrics of all `snapshots` (one
/// HELP/TYPE block per family, families sorted by name, every series labelled with `cluster` and
/// the snapshot's constant labels), folding per-partition series as `options` say. With a budget or
/// a topic granularity set, it also renders kafka_perf_exporter_series_budget and
/// kafka_perf_exporter_series (exporter-wide, no labels) and kafka_perf_exporter_folded_topics and
/// kafka_perf_exporter_folded_series per cluster; with default options the output has none of them
/// and is what it was before cardinality control. With a `cache`, reuses the deflated chunks of the
/// render before (the text is the same either way). Thread-safe.
std::shared_ptr<const Exposition> RenderExposition(const SnapshotList& snapshots,
                                                   const RenderOptions& options = {},
                                                   RenderCache* cache = nullptr);

/// Series that depend on the time of the scrape:
/// kafka_perf_exporter_data_age_seconds{cluster,collector}, kafka_perf_exporter_build_info, and the
/// process_* families from `process`, the CPU governor's budget, usage and stretch, the reloads'
/// outcome and the renders' cost. Pure function.
std::string RenderVolatile(const SnapshotList& snapshots, state::WallClock::time_point now,
                           const ProcessStats& process, const BuildInfo& build,
                           const GovernorStats& governor = {}, const ReloadStats& reload = {},
                           const RenderStats& render = {});

}  // namespace kpe::metrics
