#pragma once
// The end-to-end probe's snapshot → Prometheus text exposition (format 0.0.4), rendered per scrape
// (a few dozen series: one per partition of the canary topic and per broker that led it).

#include <map>
#include <string>

#include "state/probe.h"

namespace kpe::metrics {

/// Renders the kafka_e2e_* families (Part::kProbe in names.h), families sorted by name, each series
/// labelled with `cluster`, the constant `labels` (one named `cluster` is dropped: the argument wins)
/// and topic (the canary topic):
///   kafka_e2e_produce_latency_seconds, kafka_e2e_roundtrip_latency_seconds: histograms per
///     (partition, broker), buckets 1 ms to 10 s (state::kProbeLatencyBuckets) and +Inf;
///   kafka_e2e_messages_{produced,acknowledged,failed,received,lost,duplicated}_total: counters per
///     partition (sum them for the topic);
///   kafka_e2e_commit_latency_seconds (histogram) and kafka_e2e_commits_failed_total, per topic,
///     only when the probe commits (a commit succeeded or failed).
/// A snapshot without any probed partition renders only what it has (possibly ""). Pure function;
/// thread-safe.
std::string RenderProbe(const state::ProbeSnapshot& probe, const std::string& cluster,
                        const std::map<std::string, std::string>& labels = {});

}  // namespace kpe::metrics
