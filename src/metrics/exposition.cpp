#include "metrics/exposition.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "metrics/names.h"
#include "metrics/text_writer.h"
#include "util/gzip.h"

namespace kpe::metrics {
namespace {

using prometheus::ClientMetric;
using Labels = std::vector<ClientMetric::Label>;

// Level 1: the exposition is very repetitive, so level 1 is nearly as small as 6 at a fraction
// of the CPU time, and this runs once per snapshot on a worker thread.
constexpr int kGzipLevel = 1;

consteval size_t Snap(std::string_view name) { return FamilyIndex(name, Part::kSnapshot); }
consteval size_t Vol(std::string_view name) { return FamilyIndex(name, Part::kVolatile); }

struct ExtraLabel {
  std::string_view name;
  std::string_view value;
};

double UnixSeconds(state::WallClock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

bool IsSet(state::WallClock::time_point t) { return t != state::WallClock::time_point{}; }

/// `cluster` plus the snapshot's constant labels, sorted by name (the order prometheus-cpp's own
/// registry emits). A constant label named `cluster` is dropped: the snapshot's cluster wins.
Labels BaseLabels(const state::ClusterSnapshot& snapshot) {
  Labels base;
  base.reserve(snapshot.labels.size() + 1);
  base.push_back({"cluster", snapshot.cluster});
  for (const auto& [name, value] : snapshot.labels) {
    if (name != "cluster") base.push_back({name, value});
  }
  std::sort(base.begin(), base.end());
  return base;
}

/// Merges the sorted `base` with `extra` (sorted by name). On equal names the series' own label
/// wins, so a constant label can never duplicate a label name in the output.
Labels MergeLabels(const Labels& base, std::initializer_list<ExtraLabel> extra) {
  Labels out;
  out.reserve(base.size() + extra.size());
  auto b = base.begin();
  for (const ExtraLabel& e : extra) {
    for (; b != base.end() && b->name < e.name; ++b) out.push_back(*b);
    if (b != base.end() && b->name == e.name) ++b;
    out.push_back({std::string(e.name), std::string(e.value)});
  }
  out.insert(out.end(), b, base.end());
  return out;
}

/// Roughly the size of the text of `families`, to allocate it once.
size_t TextSizeHint(const std::vector<prometheus::MetricFamily>& families) {
  constexpr size_t kPerSample = 2 + 1 + 24 + 1;  // {} space value newline
  constexpr size_t kPerLabel = 4;                // ="",
  size_t size = 0;
  for (const prometheus::MetricFamily& family : families) {
    size += 2 * family.name.size() + family.help.size() + 32;
    for (const ClientMetric& metric : family.metric) {
      size += family.name.size() + kPerSample;
      for (const ClientMetric::Label& label : metric.label) {
        size += label.name.size() + label.value.size() + kPerLabel;
      }
    }
  }
  return size;
}

/// Families under construction, one slot per row of kFamilies; serializes the non-empty ones of
/// one Part in table (name) order. Not thread-safe; used by one render call.
class FamilySet {
 public:
  FamilySet() {
    for (size_t i = 0; i < kFamilyCount; ++i) {
      families_[i].name = kFamilies[i].name;
      families_[i].help = kFamilies[i].help;
      families_[i].type = kFamilies[i].type;
    }
  }

  void Reserve(size_t family, size_t n) { families_[family].metric.reserve(n); }

  void Add(size_t family, Labels labels, double value) {
    ClientMetric& m = families_[family].metric.emplace_back();
    m.label = std::move(labels);
    if (kFamilies[family].type == prometheus::MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
  }

  void Add(size_t family, const Labels& base, std::initializer_list<ExtraLabel> extra,
           double value) {
    Add(family, MergeLabels(base, extra), value);
  }

  /// Moves the families of `part` out and serializes them; `series` receives the sample count.
  std::string Serialize(Part part, size_t* series) {
    std::vector<prometheus::MetricFamily> out;
    size_t samples = 0;
    for (size_t i = 0; i < kFamilyCount; ++i) {
      if (kFamilies[i].part != part || families_[i].metric.empty()) continue;
      samples += families_[i].metric.size();
      out.push_back(std::move(families_[i]));
    }
    if (series != nullptr) *series = samples;
    std::string text;
    text.reserve(TextSizeHint(out));
    AppendText(text, out);
    return text;
  }

 private:
  std::array<prometheus::MetricFamily, kFamilyCount> families_;
};

void AddCluster(const state::ClusterSnapshot& s, FamilySet& set) {
  const Labels base = BaseLabels(s);

  set.Add(Snap("kafka_up"), base, s.up ? 1 : 0);
  set.Add(Snap("kafka_cluster_info"), base, {{"cluster_id", s.cluster_id}}, 1);
  set.Add(Snap("kafka_cluster_controller_id"), base, s.controller_id);
  set.Add(Snap("kafka_brokers"), base, static_cast<double>(s.brokers.size()));
  set.Add(Snap("kafka_perf_exporter_snapshots_published_total"), base,
          static_cast<double>(s.generation));

  for (const state::Broker& b : s.brokers) {
    const std::string id = std::to_string(b.id);
    const std::string address = b.host + ":" + std::to_string(b.port);
    set.Add(Snap("kafka_broker_info"), base, {{"address", address}, {"id", id}, {"rack", b.rack}},
            1);
  }

  for (const state::CollectorStatus& c : s.collectors) {
    const Labels labels = MergeLabels(base, {{"collector", c.name}});
    set.Add(Snap("kafka_perf_exporter_collector_success"), labels, c.success ? 1 : 0);
    set.Add(Snap("kafka_perf_exporter_collector_duration_seconds"), labels, c.duration_seconds);
    if (IsSet(c.last_success)) {
      set.Add(Snap("kafka_perf_exporter_collector_last_success_timestamp_seconds"), labels,
              UnixSeconds(c.last_success));
    }
  }

  size_t partitions = 0;
  size_t under_replicated = 0;
  size_t offline = 0;
  size_t stale = 0;
  for (const state::Topic& t : s.topics) {
    set.Add(Snap("kafka_topic_partitions"), base, {{"topic", t.name}},
            static_cast<double>(t.partitions.size()));
    bool any_offsets = false;
    state::WallClock::time_point oldest_offsets_at = state::WallClock::time_point::max();
    for (const state::Partition& p : t.partitions) {
      ++partitions;
      under_replicated += p.UnderReplicated() ? 1 : 0;
      offline += p.Offline() ? 1 : 0;
      const std::string id = std::to_string(p.id);
      Labels labels = MergeLabels(base, {{"partition", id}, {"topic", t.name}});
      set.Add(Snap("kafka_topic_partition_leader"), labels, p.leader);
      set.Add(Snap("kafka_topic_partition_replicas"), labels,
              static_cast<double>(p.replicas.size()));
      set.Add(Snap("kafka_topic_partition_in_sync_replica"), labels,
              static_cast<double>(p.isr.size()));
      set.Add(Snap("kafka_topic_partition_leader_is_preferred"), labels,
              p.LeaderIsPreferred() ? 1 : 0);
      set.Add(Snap("kafka_topic_partition_under_replicated_partition"), labels,
              p.UnderReplicated() ? 1 : 0);
      if (p.offsets_known) {
        any_offsets = true;
        oldest_offsets_at = std::min(oldest_offsets_at, p.offsets_at);
        stale += p.offsets_at < s.collected_at ? 1 : 0;
        set.Add(Snap("kafka_topic_partition_current_offset"), labels,
                static_cast<double>(p.newest_offset));
        set.Add(Snap("kafka_topic_partition_oldest_offset"), labels,
                static_cast<double>(p.oldest_offset));
      }
      set.Add(Snap("kafka_topic_partition_offline"), std::move(labels), p.Offline() ? 1 : 0);
    }
    if (any_offsets) {
      set.Add(Snap("kafka_topic_offsets_timestamp_seconds"), base, {{"topic", t.name}},
              UnixSeconds(oldest_offsets_at));
    }
  }

  set.Add(Snap("kafka_cluster_topics"), base, static_cast<double>(s.topics.size()));
  set.Add(Snap("kafka_cluster_partitions"), base, static_cast<double>(partitions));
  set.Add(Snap("kafka_cluster_under_replicated_partitions"), base,
          static_cast<double>(under_replicated));
  set.Add(Snap("kafka_cluster_offline_partitions"), base, static_cast<double>(offline));
  set.Add(Snap("kafka_perf_exporter_stale_partitions"), base, static_cast<double>(stale));
}

void ReservePartitionFamilies(const SnapshotList& snapshots, FamilySet& set) {
  size_t partitions = 0;
  for (const auto& s : snapshots) {
    if (s == nullptr) continue;
    for (const state::Topic& t : s->topics) partitions += t.partitions.size();
  }
  for (size_t i = 0; i < kFamilyCount; ++i) {
    if (kFamilies[i].name.starts_with("kafka_topic_partition_")) set.Reserve(i, partitions);
  }
}

}  // namespace

std::shared_ptr<const Exposition> RenderExposition(const SnapshotList& snapshots) {
  FamilySet set;
  ReservePartitionFamilies(snapshots, set);
  for (const auto& s : snapshots) {
    if (s != nullptr) AddCluster(*s, set);
  }
  auto exposition = std::make_shared<Exposition>();
  exposition->text = set.Serialize(Part::kSnapshot, &exposition->series);
  exposition->gzip = util::GzipCompress(exposition->text, kGzipLevel);
  return exposition;
}

std::string RenderVolatile(const SnapshotList& snapshots, state::WallClock::time_point now,
                           const ProcessStats& process, const BuildInfo& build) {
  FamilySet set;
  for (const auto& s : snapshots) {
    if (s == nullptr) continue;
    const Labels base = BaseLabels(*s);
    for (const state::CollectorStatus& c : s->collectors) {
      if (!IsSet(c.last_success)) continue;
      set.Add(Vol("kafka_perf_exporter_data_age_seconds"), base, {{"collector", c.name}},
              std::chrono::duration<double>(now - c.last_success).count());
    }
  }
  set.Add(Vol("kafka_perf_exporter_build_info"),
          {{"librdkafka_version", build.librdkafka_version}, {"version", build.version}}, 1);
  set.Add(Vol("process_cpu_seconds_total"), {}, process.cpu_seconds);
  set.Add(Vol("process_resident_memory_bytes"), {}, process.resident_memory_bytes);
  set.Add(Vol("process_virtual_memory_bytes"), {}, process.virtual_memory_bytes);
  set.Add(Vol("process_start_time_seconds"), {}, process.start_time_seconds);
  set.Add(Vol("process_open_fds"), {}, process.open_fds);
  set.Add(Vol("process_max_fds"), {}, process.max_fds);
  set.Add(Vol("process_threads"), {}, process.threads);
  return set.Serialize(Part::kVolatile, nullptr);
}

}  // namespace kpe::metrics
