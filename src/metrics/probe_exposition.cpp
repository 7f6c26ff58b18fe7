#include "metrics/probe_exposition.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/names.h"
#include "metrics/text_writer.h"

namespace kpe::metrics {
namespace {

using prometheus::ClientMetric;
using Labels = std::vector<ClientMetric::Label>;

consteval size_t Probe(std::string_view name) { return FamilyIndex(name, Part::kProbe); }

/// `cluster`, the constant labels and the series' own labels, sorted by name; on equal names the
/// series' own label wins, then `cluster`.
Labels SeriesLabels(const std::string& cluster, const std::map<std::string, std::string>& constant,
                    std::initializer_list<std::pair<std::string_view, std::string>> own) {
  std::map<std::string, std::string> merged = constant;
  merged["cluster"] = cluster;
  for (const auto& [name, value] : own) merged[std::string(name)] = value;
  Labels labels;
  labels.reserve(merged.size());
  for (auto& [name, value] : merged) labels.push_back({name, value});
  return labels;
}

ClientMetric::Histogram ToHistogram(const state::LatencyHistogram& h) {
  ClientMetric::Histogram out;
  out.sample_count = h.count;
  out.sample_sum = h.sum;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < state::kProbeLatencyBuckets.size(); ++i) {
    cumulative += h.counts[i];
    // TextSerializer appends the +Inf bucket (sample_count) itself.
    out.bucket.push_back({cumulative, state::kProbeLatencyBuckets[i]});
  }
  return out;
}

class Families {
 public:
  void AddCounter(size_t family, Labels labels, uint64_t value) {
    ClientMetric& m = Family(family).metric.emplace_back();
    m.label = std::move(labels);
    m.counter.value = static_cast<double>(value);
  }
  void AddHistogram(size_t family, Labels labels, const state::LatencyHistogram& h) {
    ClientMetric& m = Family(family).metric.emplace_back();
    m.label = std::move(labels);
    m.histogram = ToHistogram(h);
  }
  std::string Serialize() {
    std::vector<prometheus::MetricFamily> out;
    for (size_t i = 0; i < kFamilyCount; ++i) {
      if (used_[i]) out.push_back(std::move(families_[i]));
    }
    std::string text;
    AppendText(text, out);
    return text;
  }

 private:
  prometheus::MetricFamily& Family(size_t i) {
    if (!used_[i]) {
      used_[i] = true;
      families_[i].name = kFamilies[i].name;
      families_[i].help = kFamilies[i].help;
      families_[i].type = kFamilies[i].type;
    }
    return families_[i];
  }

  std::array<prometheus::MetricFamily, kFamilyCount> families_;
  std::array<bool, kFamilyCount> used_{};
};

}  // namespace

std::string RenderProbe(const state::ProbeSnapshot& probe, const std::string& cluster,
                        const std::map<std::string, std::string>& labels) {
  Families families;
  for (const state::ProbeCounts& c : probe.counts) {
    const Labels series =
        SeriesLabels(cluster, labels, {{"partition", std::to_string(c.partition)}, {"topic", probe.topic}});
    families.AddCounter(Probe("kafka_e2e_messages_produced_total"), series, c.produced);
    families.AddCounter(Probe("kafka_e2e_messages_acknowledged_total"), series, c.acknowledged);
    families.AddCounter(Probe("kafka_e2e_messages_failed_total"), series, c.failed);
    families.AddCounter(Probe("kafka_e2e_messages_received_total"), series, c.received);
    families.AddCounter(Probe("kafka_e2e_messages_lost_total"), series, c.lost);
    families.AddCounter(Probe("kafka_e2e_messages_duplicated_total"), series, c.duplicated);
  }
  for (const state::ProbeLatencies& l : probe.latencies) {
    const Labels series = SeriesLabels(cluster, labels,
                                       {{"broker", std::to_string(l.broker)},
                                        {"partition", std::to_string(l.partition)},
                                        {"topic", probe.topic}});
    // A series exists once either latency has an observation; the other one may still be empty.
    families.AddHistogram(Probe("kafka_e2e_produce_latency_seconds"), series, l.produce);
    families.AddHistogram(Probe("kafka_e2e_roundtrip_latency_seconds"), series, l.roundtrip);
  }
  if (probe.commit_latency.count > 0 || probe.commits_failed > 0) {
    const Labels series = SeriesLabels(cluster, labels, {{"topic", probe.topic}});
    families.AddHistogram(Probe("kafka_e2e_commit_latency_seconds"), series, probe.commit_latency);
    families.AddCounter(Probe("kafka_e2e_commits_failed_total"), series, probe.commits_failed);
  }
  return families.Serialize();
}

}  // namespace kpe::metrics
