#include "metrics/exposition.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
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

/// The values of the one-hot `state` label, as librdkafka names the broker's group states.
constexpr std::array<std::string_view, 6> kGroupStates = {
    "Stable", "Empty", "PreparingRebalance", "CompletingRebalance", "Dead", "Unknown"};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

/// `state` as one of kGroupStates (compared case-insensitively, as EvaluateGroup does); anything
/// else is "Unknown", so the one-hot family always has exactly one 1.
std::string_view CanonicalGroupState(std::string_view state) {
  for (std::string_view known : kGroupStates) {
    if (EqualsIgnoringCase(state, known)) return known;
  }
  return "Unknown";
}

void AddGroupDiscovery(const state::GroupDiscovery& discovery, const Labels& base,
                       size_t group_count, FamilySet& set) {
  if (discovery.mode != "none") {
    set.Add(Snap("kafka_perf_exporter_group_discovery"), base, {{"mode", discovery.mode}}, 1);
    set.Add(Snap("kafka_cluster_consumergroups"), base, static_cast<double>(group_count));
  }
  if (!discovery.refusal.empty()) {
    set.Add(Snap("kafka_perf_exporter_group_list_refused"), base, {{"reason", discovery.refusal}},
            1);
  }
}

void AddGroup(const state::ConsumerGroup& g, const Labels& base, FamilySet& set) {
  const Labels group = MergeLabels(base, {{"consumergroup", g.id}});
  set.Add(Snap("kafka_consumergroup_up"), group, g.error.empty() ? 1 : 0);
  if (g.described) {
    set.Add(Snap("kafka_consumergroup_members"), group, static_cast<double>(g.members.size()));
    set.Add(Snap("kafka_consumergroup_info"), base,
            {{"assignor", g.assignor}, {"consumergroup", g.id}}, 1);
  }

  const std::string_view state = CanonicalGroupState(g.state);
  for (std::string_view value : kGroupStates) {
    set.Add(Snap("kafka_consumergroup_state"), base, {{"consumergroup", g.id}, {"state", value}},
            value == state ? 1 : 0);
  }
  for (state::GroupStatus value : state::kAllGroupStatuses) {
    set.Add(Snap("kafka_consumergroup_status"), base,
            {{"consumergroup", g.id}, {"status", state::ToString(value)}},
            value == g.status ? 1 : 0);
  }

  std::optional<int64_t> max_lag;
  std::optional<double> max_lag_seconds;
  // Topics whose lag sum would leave out a partition with unknown lag: no sum for them (a partial
  // sum would look like the group catching up).
  std::set<std::string_view> topics_missing_lag;
  for (const state::GroupPartition& p : g.partitions) {
    const std::string id = std::to_string(p.partition);
    const Labels labels =
        MergeLabels(base, {{"consumergroup", g.id}, {"partition", id}, {"topic", p.topic}});
    set.Add(Snap("kafka_consumergroup_current_offset"), labels,
            static_cast<double>(p.committed_offset));
    if (p.lag) {
      set.Add(Snap("kafka_consumergroup_lag"), labels, static_cast<double>(*p.lag));
      max_lag = std::max(max_lag.value_or(*p.lag), *p.lag);
    } else {
      topics_missing_lag.insert(p.topic);
    }
    if (p.lag_seconds) {
      set.Add(Snap("kafka_consumergroup_lag_seconds"), labels, *p.lag_seconds);
      max_lag_seconds = std::max(max_lag_seconds.value_or(*p.lag_seconds), *p.lag_seconds);
    }
    if (p.last_commit_age_seconds) {
      set.Add(Snap("kafka_consumergroup_last_commit_age_seconds"), labels,
              *p.last_commit_age_seconds);
    }
  }
  if (max_lag) set.Add(Snap("kafka_consumergroup_max_lag"), group, static_cast<double>(*max_lag));
  if (max_lag_seconds)
    set.Add(Snap("kafka_consumergroup_max_lag_seconds"), group, *max_lag_seconds);

  for (const state::GroupTopic& t : g.topics) {
    const Labels labels = MergeLabels(base, {{"consumergroup", g.id}, {"topic", t.topic}});
    set.Add(Snap("kafka_consumergroup_current_offset_sum"), labels,
            static_cast<double>(t.committed_sum));
    if (!topics_missing_lag.contains(t.topic)) {
      set.Add(Snap("kafka_consumergroup_lag_sum"), labels, static_cast<double>(t.lag_sum));
    }
    set.Add(Snap("kafka_consumergroup_uncommitted_partitions"), labels, t.uncommitted_partitions);
    if (t.commit_rate) set.Add(Snap("kafka_consumergroup_commit_rate"), labels, *t.commit_rate);
  }
}

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

  AddGroupDiscovery(s.group_discovery, base, s.groups.size(), set);
  for (const state::ConsumerGroup& g : s.groups) AddGroup(g, base, set);
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
