#include "metrics/exposition.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <charconv>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

// Header-only: the hash functions are compiled in, so the binary needs no libxxhash at run time.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "metrics/family_set.h"
#include "metrics/names.h"
#include "metrics/text_writer.h"
#include "util/gzip.h"

namespace kpe::metrics {
namespace {

using internal::FamilySet;

/// Labels of a subject, sorted by name, viewing the snapshot's strings.
using Labels = std::vector<Label>;

// Level 1: on the `large` benchmark's text (47.8 MB in chunks of 512 lines) it gives 1.55 MB where
// level 4 gives 1.37 and level 6 1.36, in 0.05 s of CPU against 0.11 and 0.16 for the whole text.
// Side by side, level 4's smaller body did not make scrapes faster (bench/README.md), so the
// cheaper level stays; this runs once per snapshot on a collector's thread.
constexpr int kGzipLevel = 1;

consteval size_t Snap(std::string_view name) { return FamilyIndex(name, Part::kSnapshot); }
consteval size_t Vol(std::string_view name) { return FamilyIndex(name, Part::kVolatile); }

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
  std::sort(base.begin(), base.end(),
            [](const Label& a, const Label& b) { return a.name < b.name; });
  return base;
}

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

/// The families of group `g` other than the per-partition ones (AddGroupPartitions).
void AddGroup(const state::ConsumerGroup& g, const Labels& base, FamilySet& set) {
  const LabelText group(base, {{"consumergroup", g.id}});
  set.Add(Snap("kafka_consumergroup_up"), group, g.error.empty() ? 1 : 0);
  if (IsSet(g.observed_at)) {
    set.Add(Snap("kafka_consumergroup_sample_timestamp_seconds"), group, UnixSeconds(g.observed_at));
  }
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
    if (p.lag) {
      max_lag = std::max(max_lag.value_or(*p.lag), *p.lag);
    } else {
      topics_missing_lag.insert(p.topic);
    }
    if (p.lag_seconds) {
      max_lag_seconds = std::max(max_lag_seconds.value_or(*p.lag_seconds), *p.lag_seconds);
    }
  }
  if (max_lag) set.Add(Snap("kafka_consumergroup_max_lag"), group, static_cast<double>(*max_lag));
  if (max_lag_seconds)
    set.Add(Snap("kafka_consumergroup_max_lag_seconds"), group, *max_lag_seconds);

  for (const state::GroupTopic& t : g.topics) {
    const LabelText labels(base, {{"consumergroup", g.id}, {"topic", t.topic}});
    set.Add(Snap("kafka_consumergroup_current_offset_sum"), labels,
            static_cast<double>(t.committed_sum));
    if (!topics_missing_lag.contains(t.topic)) {
      set.Add(Snap("kafka_consumergroup_lag_sum"), labels, static_cast<double>(t.lag_sum));
    }
    set.Add(Snap("kafka_consumergroup_uncommitted_partitions"), labels, t.uncommitted_partitions);
    if (t.commit_rate) set.Add(Snap("kafka_consumergroup_commit_rate"), labels, *t.commit_rate);
  }
}

/// The exporter's own client's view of broker `b` (from its librdkafka statistics).
void AddClientBroker(const state::BrokerClientStats& b, const Labels& base, FamilySet& set) {
  const std::string id = std::to_string(b.broker_id);
  const LabelText labels(base, {{"address", b.address}, {"broker_id", id}});
  auto count = [](uint64_t n) { return static_cast<double>(n); };
  set.Add(Snap("kafka_perf_exporter_broker_connection_up"), labels, b.state == "UP" ? 1 : 0);
  set.Add(Snap("kafka_perf_exporter_broker_connects_total"), labels, count(b.connects));
  set.Add(Snap("kafka_perf_exporter_broker_disconnects_total"), labels, count(b.disconnects));
  set.Add(Snap("kafka_perf_exporter_broker_rtt_seconds"), base,
          {{"address", b.address}, {"broker_id", id}, {"stat", "avg"}}, b.rtt_avg_seconds);
  set.Add(Snap("kafka_perf_exporter_broker_rtt_seconds"), base,
          {{"address", b.address}, {"broker_id", id}, {"stat", "p99"}}, b.rtt_p99_seconds);
  set.Add(Snap("kafka_perf_exporter_broker_throttle_seconds"), base,
          {{"address", b.address}, {"broker_id", id}, {"stat", "avg"}}, b.throttle_avg_seconds);
  set.Add(Snap("kafka_perf_exporter_broker_throttle_seconds"), base,
          {{"address", b.address}, {"broker_id", id}, {"stat", "max"}}, b.throttle_max_seconds);
  set.Add(Snap("kafka_perf_exporter_broker_outbuf_requests"), labels, b.outbuf_requests);
  set.Add(Snap("kafka_perf_exporter_broker_waitresp_requests"), labels, b.waitresp_requests);
  set.Add(Snap("kafka_perf_exporter_broker_requests_sent_total"), labels, count(b.requests));
  set.Add(Snap("kafka_perf_exporter_broker_request_errors_total"), labels,
          count(b.request_errors));
  set.Add(Snap("kafka_perf_exporter_broker_request_timeouts_total"), labels,
          count(b.request_timeouts));
  set.Add(Snap("kafka_perf_exporter_broker_responses_received_total"), labels, count(b.responses));
  set.Add(Snap("kafka_perf_exporter_broker_response_errors_total"), labels,
          count(b.response_errors));
  set.Add(Snap("kafka_perf_exporter_broker_bytes_sent_total"), labels, count(b.sent_bytes));
  set.Add(Snap("kafka_perf_exporter_broker_bytes_received_total"), labels,
          count(b.received_bytes));
}

/// The families of cluster `s` other than the per-partition ones (AddTopicPartitions) and its groups'
/// (AddGroup, rendered in blocks).
void AddCluster(const state::ClusterSnapshot& s, FamilySet& set) {
  const Labels base = BaseLabels(s);

  set.Add(Snap("kafka_perf_exporter_snapshots_published_total"), base,
          static_cast<double>(s.generation));
  // With sharding, one replica exports what describes the whole cluster, so PromQL sums stay right.
  if (s.cluster_wide) {
    set.Add(Snap("kafka_up"), base, s.up ? 1 : 0);
    set.Add(Snap("kafka_cluster_info"), base, {{"cluster_id", s.cluster_id}}, 1);
    set.Add(Snap("kafka_cluster_controller_id"), base, s.controller_id);
    set.Add(Snap("kafka_brokers"), base, static_cast<double>(s.brokers.size()));
    std::map<int32_t, std::pair<size_t, size_t>> hosted;  // broker id -> (leaders, replicas)
    for (const state::Broker& b : s.brokers) hosted[b.id] = {0, 0};
    for (const state::Topic& t : s.topics) {
      for (const state::Partition& p : t.partitions) {
        if (p.leader >= 0) ++hosted[p.leader].first;
        for (const int32_t replica : p.replicas) ++hosted[replica].second;
      }
    }
    for (const state::Broker& b : s.brokers) {
      const std::string id = std::to_string(b.id);
      const std::string address = b.host + ":" + std::to_string(b.port);
      set.Add(Snap("kafka_broker_info"), base, {{"address", address}, {"id", id}, {"rack", b.rack}},
              1);
      set.Add(Snap("kafka_broker_leaders"), base, {{"id", id}}, static_cast<double>(hosted[b.id].first));
      set.Add(Snap("kafka_broker_partitions"), base, {{"id", id}},
              static_cast<double>(hosted[b.id].second));
    }
  }

  for (const state::CollectorStatus& c : s.collectors) {
    const LabelText labels(base, {{"collector", c.name}});
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
  size_t under_min_isr = 0;
  size_t stale = 0;
  for (const state::Topic& t : s.topics) {
    // Totals count every watched topic; per-topic series only the topics this shard exports.
    for (const state::Partition& p : t.partitions) {
      ++partitions;
      under_replicated += p.UnderReplicated() ? 1 : 0;
      offline += p.Offline() ? 1 : 0;
      under_min_isr += p.UnderMinIsr().value_or(false) ? 1 : 0;
    }
    if (!t.exported) continue;
    set.Add(Snap("kafka_topic_partitions"), base, {{"topic", t.name}},
            static_cast<double>(t.partitions.size()));
    for (const auto& [key, value] : t.configs) {
      set.Add(Snap("kafka_topic_config"), base, {{"key", key}, {"topic", t.name}, {"value", value}}, 1);
    }
    bool any_offsets = false;
    state::WallClock::time_point oldest_offsets_at = state::WallClock::time_point::max();
    for (const state::Partition& p : t.partitions) {
      if (p.offsets_known) {
        any_offsets = true;
        oldest_offsets_at = std::min(oldest_offsets_at, p.offsets_at);
        stale += p.offsets_error.empty() ? 0 : 1;
      }
    }
    if (any_offsets) {
      set.Add(Snap("kafka_topic_offsets_timestamp_seconds"), base, {{"topic", t.name}},
              UnixSeconds(oldest_offsets_at));
    }
  }

  if (s.cluster_wide) {
    set.Add(Snap("kafka_cluster_topics"), base, static_cast<double>(s.topics.size()));
    set.Add(Snap("kafka_cluster_partitions"), base, static_cast<double>(partitions));
    set.Add(Snap("kafka_cluster_under_replicated_partitions"), base,
            static_cast<double>(under_replicated));
    set.Add(Snap("kafka_cluster_offline_partitions"), base, static_cast<double>(offline));
    set.Add(Snap("kafka_cluster_under_min_isr_partitions"), base, static_cast<double>(under_min_isr));
  }
  set.Add(Snap("kafka_perf_exporter_stale_partitions"), base, static_cast<double>(stale));
  for (const state::CacheStats& c : s.caches) {
    set.Add(Snap("kafka_perf_exporter_cache_requests_total"), base, {{"cache", c.cache}, {"result", "hit"}},
            static_cast<double>(c.hits));
    set.Add(Snap("kafka_perf_exporter_cache_requests_total"), base, {{"cache", c.cache}, {"result", "miss"}},
            static_cast<double>(c.misses));
  }
  for (const state::SamplingStats& k : s.sampling) {
    set.Add(Snap("kafka_perf_exporter_tracked_entities"), base, {{"kind", k.kind}},
            static_cast<double>(k.entities));
    set.Add(Snap("kafka_perf_exporter_sampled_entities"), base, {{"kind", k.kind}},
            static_cast<double>(k.sampled));
    if (k.entities == 0) continue;
    for (const auto& [stat, value] : {std::pair<const char*, double>{"min", k.min_seconds},
                                      {"avg", k.avg_seconds},
                                      {"max", k.max_seconds}}) {
      set.Add(Snap("kafka_perf_exporter_sampling_interval_seconds"), base, {{"kind", k.kind}, {"stat", stat}},
              value);
    }
  }

  for (const state::BrokerClientStats& b : s.client_brokers) AddClientBroker(b, base, set);
  for (const state::ClientRequests& r : s.client_requests) {
    set.Add(Snap("kafka_perf_exporter_requests_sent_total"), base, {{"api", r.api}, {"client", r.client}},
            static_cast<double>(r.sent));
  }
  if (s.groups_client_reopens > 0) {
    set.Add(Snap("kafka_perf_exporter_client_reopens_total"), base, {{"client", "groups"}},
            static_cast<double>(s.groups_client_reopens));
  }

  AddGroupDiscovery(s.group_discovery, base, s.groups.size(), set);
  for (const state::AuthorizationFailure& f : s.authorization_failures) {
    set.Add(Snap("kafka_perf_exporter_authorization_failures"), base,
            {{"resource_type", f.resource_type}, {"resource", f.resource}, {"operation", f.operation}}, 1);
  }
}

// ---- Per-partition families and their folding (see RenderOptions and kPartitionFamilies) ----

/// Bit i: row i of kPartitionFamilies is folded.
using FoldMask = std::bitset<kPartitionFamilies.size()>;

consteval size_t Pf(std::string_view name) { return PartitionFamilyIndex(name); }

/// Row in kFamilies of each row of kPartitionFamilies.
constexpr std::array<size_t, kPartitionFamilies.size()> kPartitionFamilyRows = []() consteval {
  std::array<size_t, kPartitionFamilies.size()> rows{};
  for (size_t i = 0; i < kPartitionFamilies.size(); ++i) {
    rows[i] = FamilyIndex(kPartitionFamilies[i].name, Part::kSnapshot);
  }
  return rows;
}
();

constexpr std::array kTopicFamilies = {
    Pf("kafka_topic_partition_current_offset"),
    Pf("kafka_topic_partition_in_sync_replica"),
    Pf("kafka_topic_partition_leader"),
    Pf("kafka_topic_partition_leader_is_preferred"),
    Pf("kafka_topic_partition_offline"),
    Pf("kafka_topic_partition_oldest_offset"),
    Pf("kafka_topic_partition_replicas"),
    Pf("kafka_topic_partition_under_min_isr"),
    Pf("kafka_topic_partition_under_replicated_partition"),
};

constexpr std::array kGroupFamilies = {
    Pf("kafka_consumergroup_current_offset"),
    Pf("kafka_consumergroup_lag"),
    Pf("kafka_consumergroup_lag_seconds"),
    Pf("kafka_consumergroup_last_commit_age_seconds"),
};

static_assert(kTopicFamilies.size() + kGroupFamilies.size() == kPartitionFamilies.size(),
              "every per-partition family is rendered from topics or from groups");

/// Value of per-partition family `pf` for partition `p`; nullopt when it has no series.
std::optional<double> ValueOf(size_t pf, const state::Partition& p) {
  switch (pf) {
    case Pf("kafka_topic_partition_current_offset"):
      if (!p.offsets_known) return std::nullopt;
      return static_cast<double>(p.newest_offset);
    case Pf("kafka_topic_partition_oldest_offset"):
      if (!p.offsets_known) return std::nullopt;
      return static_cast<double>(p.oldest_offset);
    case Pf("kafka_topic_partition_in_sync_replica"):
      return static_cast<double>(p.isr.size());
    case Pf("kafka_topic_partition_leader"):
      return p.leader;
    case Pf("kafka_topic_partition_leader_is_preferred"):
      return p.LeaderIsPreferred() ? 1 : 0;
    case Pf("kafka_topic_partition_offline"):
      return p.Offline() ? 1 : 0;
    case Pf("kafka_topic_partition_replicas"):
      return static_cast<double>(p.replicas.size());
    case Pf("kafka_topic_partition_under_min_isr"): {
      const auto under = p.UnderMinIsr();
      if (!under) return std::nullopt;
      return *under ? 1 : 0;
    }
    case Pf("kafka_topic_partition_under_replicated_partition"):
      return p.UnderReplicated() ? 1 : 0;
    default:
      return std::nullopt;
  }
}

/// Value of per-partition family `pf` for a group's committed partition `p`; nullopt when unknown.
std::optional<double> ValueOf(size_t pf, const state::GroupPartition& p) {
  switch (pf) {
    case Pf("kafka_consumergroup_current_offset"):
      return static_cast<double>(p.committed_offset);
    case Pf("kafka_consumergroup_lag"):
      if (!p.lag) return std::nullopt;
      return static_cast<double>(*p.lag);
    case Pf("kafka_consumergroup_lag_seconds"):
      return p.lag_seconds;
    case Pf("kafka_consumergroup_last_commit_age_seconds"):
      return p.last_commit_age_seconds;
    default:
      return std::nullopt;
  }
}

/// Whether family `pf`, asked to fold, folds a scope of `partitions` partitions of which `present`
/// have a value. The one rule both the series count and the rendering use.
bool Folds(size_t pf, size_t present, size_t partitions) {
  switch (kPartitionFamilies[pf].fold) {
    case Fold::kSum:
      return present > 0 && present == partitions;
    case Fold::kMin:
    case Fold::kMax:
      return present > 0;
    case Fold::kNever:
      return false;
  }
  return false;
}

/// Series of one family in one scope: present per-partition ones, or the single aggregate.
struct ScopeFamily {
  size_t pf = 0;
  size_t present = 0;
  size_t partitions = 0;

  bool FoldsUnder(const FoldMask& mask) const { return mask[pf] && Folds(pf, present, partitions); }
  size_t Series(const FoldMask& mask) const { return FoldsUnder(mask) ? 1 : present; }
};

template <size_t N, class Item>
std::array<ScopeFamily, N> Scope(const std::array<size_t, N>& families,
                                 std::span<const Item> items) {
  std::array<ScopeFamily, N> scope{};
  for (size_t i = 0; i < N; ++i) {
    scope[i].pf = families[i];
    scope[i].partitions = items.size();
    for (const Item& item : items) scope[i].present += ValueOf(families[i], item) ? 1 : 0;
  }
  return scope;
}

/// Calls `fn(topic, partitions)` for each run of `g`'s partitions on one topic (they are sorted by
/// topic, partition).
template <class Fn>
void ForEachGroupTopic(const state::ConsumerGroup& g, Fn fn) {
  auto begin = g.partitions.begin();
  while (begin != g.partitions.end()) {
    const std::string& topic = begin->topic;
    auto end = std::find_if(begin, g.partitions.end(),
                            [&](const state::GroupPartition& p) { return p.topic != topic; });
    fn(std::string_view(topic), std::span<const state::GroupPartition>(&*begin, end - begin));
    begin = end;
  }
}

/// What folding one topic of one cluster costs and saves.
struct TopicPlan {
  size_t cluster = 0;
  std::string_view name;
  std::vector<ScopeFamily> families;  // of the topic and of every group's partitions on it
  bool interesting = false;           // under-replicated or offline partition, or a lagging group
  bool budget_folded = false;

  size_t Series(const FoldMask& mask) const {
    size_t n = 0;
    for (const ScopeFamily& f : families) n += f.Series(mask);
    return n;
  }
};

/// Per cluster: its topics' plans (topics of the snapshot and topics only its groups name).
using ClusterPlan = std::map<std::string_view, TopicPlan>;

ClusterPlan PlanCluster(size_t cluster, const state::ClusterSnapshot& s) {
  ClusterPlan plan;
  auto topic = [&](std::string_view name) -> TopicPlan& {
    TopicPlan& t = plan[name];
    t.cluster = cluster;
    t.name = name;
    return t;
  };
  for (const state::Topic& t : s.topics) {
    if (!t.exported) continue;
    TopicPlan& p = topic(t.name);
    for (const ScopeFamily& f : Scope(kTopicFamilies, std::span(t.partitions))) {
      p.families.push_back(f);
    }
    for (const state::Partition& partition : t.partitions) {
      p.interesting = p.interesting || partition.UnderReplicated() || partition.Offline();
    }
  }
  for (const state::ConsumerGroup& g : s.groups) {
    ForEachGroupTopic(g, [&](std::string_view name, std::span<const state::GroupPartition> items) {
      TopicPlan& p = topic(name);
      for (const ScopeFamily& f : Scope(kGroupFamilies, items)) p.families.push_back(f);
      for (const state::GroupPartition& item : items) {
        p.interesting = p.interesting || item.lag.value_or(0) > 0;
      }
    });
  }
  return plan;
}

/// What was folded in one cluster.
struct FoldTally {
  std::set<std::string_view> topics;
  size_t replaced = 0;
};

/// Aggregate of a folded family's values.
class Aggregate {
 public:
  void Add(Fold fold, double value) {
    if (!any_) {
      value_ = value;
      any_ = true;
    } else if (fold == Fold::kSum) {
      value_ += value;
    } else if (fold == Fold::kMin) {
      value_ = std::min<long double>(value_, value);
    } else {
      value_ = std::max<long double>(value_, value);
    }
  }
  double Value() const { return static_cast<double>(value_); }

 private:
  long double value_ = 0;  // long double: a sum of int64 offsets stays exact
  bool any_ = false;
};

int32_t PartitionOf(const state::Partition& p) { return p.id; }
int32_t PartitionOf(const state::GroupPartition& p) { return p.partition; }

/// Renders `families` of one scope (a topic's partitions, or a group's partitions on one topic):
/// per partition, except the families that fold under `mask`, which get one series with
/// partition="all". `labels_of(partition, out)` writes the scope's labels with that `partition`
/// label into `out`.
template <size_t N, class Item, class LabelsOf>
void AddScope(const std::array<size_t, N>& families, std::span<const Item> items,
              const FoldMask& mask, std::string_view topic, LabelsOf labels_of, FamilySet& set,
              FoldTally& tally) {
  const std::array<ScopeFamily, N> scope = Scope(families, items);
  std::array<bool, N> fold{};
  bool any_fold = false;
  for (size_t i = 0; i < N; ++i) {
    fold[i] = scope[i].FoldsUnder(mask);
    any_fold = any_fold || fold[i];
  }
  std::array<Aggregate, N> aggregates;
  LabelText labels;
  for (const Item& item : items) {
    bool formatted = false;  // once per partition, when it has a per-partition series
    for (size_t i = 0; i < N; ++i) {
      const std::optional<double> value = ValueOf(families[i], item);
      if (!value) continue;
      if (fold[i]) {
        aggregates[i].Add(kPartitionFamilies[families[i]].fold, *value);
        continue;
      }
      if (!formatted) {
        std::array<char, 16> id;
        const char* end = std::to_chars(id.data(), id.data() + id.size(), PartitionOf(item)).ptr;
        labels_of(std::string_view(id.data(), end - id.data()), labels);
        formatted = true;
      }
      set.Add(kPartitionFamilyRows[families[i]], labels, *value);
    }
  }
  if (!any_fold) return;
  labels_of("all", labels);
  for (size_t i = 0; i < N; ++i) {
    if (!fold[i]) continue;
    set.Add(kPartitionFamilyRows[families[i]], labels, aggregates[i].Value());
    tally.replaced += scope[i].present;
  }
  tally.topics.insert(topic);
}

/// The per-partition families of topic `t`, folded as `mask` says.
void AddTopicPartitions(const state::Topic& t, const Labels& base, const FoldMask& mask, FamilySet& set,
                        FoldTally& tally) {
  AddScope(
      kTopicFamilies, std::span(t.partitions), mask, t.name,
      [&](std::string_view partition, LabelText& out) {
        out.Assign(base, {{"partition", partition}, {"topic", t.name}});
      },
      set, tally);
}

/// The per-partition families of group `g`, each topic folded as `mask_of(topic)` says.
template <class MaskOf>
void AddGroupPartitions(const state::ConsumerGroup& g, const Labels& base, MaskOf mask_of,
                        FamilySet& set, FoldTally& tally) {
  ForEachGroupTopic(g, [&](std::string_view topic, std::span<const state::GroupPartition> items) {
    AddScope(
        kGroupFamilies, items, mask_of(topic), topic,
        [&](std::string_view partition, LabelText& out) {
          out.Assign(base, {{"consumergroup", g.id}, {"partition", partition}, {"topic", topic}});
        },
        set, tally);
  });
}

FoldMask GranularityMask(const std::set<std::string>& names) {
  FoldMask mask;
  for (size_t i = 0; i < kPartitionFamilies.size(); ++i) {
    if (kPartitionFamilies[i].fold != Fold::kNever &&
        names.contains(std::string(kPartitionFamilies[i].name))) {
      mask.set(i);
    }
  }
  return mask;
}

FoldMask AllFoldable() {
  FoldMask mask;
  for (size_t i = 0; i < kPartitionFamilies.size(); ++i) {
    mask[i] = kPartitionFamilies[i].fold != Fold::kNever;
  }
  return mask;
}

/// Marks topics budget_folded, least interesting and biggest saving first, until `total` (the
/// series count with `granularity` alone, updated) is within `max_series` or nothing more folds.
void FoldToBudget(std::vector<ClusterPlan>& plans, const std::vector<std::string_view>& clusters,
                  const FoldMask& granularity, size_t max_series, size_t& total) {
  if (max_series == 0 || total <= max_series) return;
  const FoldMask all = AllFoldable();
  struct Candidate {
    TopicPlan* topic;
    size_t saving;
  };
  std::vector<Candidate> candidates;
  for (ClusterPlan& plan : plans) {
    for (auto& [name, topic] : plan) {
      const size_t before = topic.Series(granularity);
      const size_t after = topic.Series(all);
      if (after < before) candidates.push_back({&topic, before - after});
    }
  }
  std::sort(candidates.begin(), candidates.end(), [&](const Candidate& a, const Candidate& b) {
    if (a.topic->interesting != b.topic->interesting) return !a.topic->interesting;
    if (a.saving != b.saving) return a.saving > b.saving;
    const std::string_view ca = clusters[a.topic->cluster];
    const std::string_view cb = clusters[b.topic->cluster];
    if (ca != cb) return ca < cb;
    if (a.topic->cluster != b.topic->cluster) return a.topic->cluster < b.topic->cluster;
    return a.topic->name < b.topic->name;
  });
  for (const Candidate& c : candidates) {
    if (total <= max_series) break;
    c.topic->budget_folded = true;
    total -= c.saving;
  }
}

/// Sizes the text of the per-partition families for one series per partition (the most they have).
void ReservePartitionFamilies(const SnapshotList& snapshots, FamilySet& set) {
  size_t partitions = 0;
  size_t group_partitions = 0;
  for (const auto& s : snapshots) {
    if (s == nullptr) continue;
    for (const state::Topic& t : s->topics) partitions += t.partitions.size();
    for (const state::ConsumerGroup& g : s->groups) group_partitions += g.partitions.size();
  }
  for (const size_t pf : kTopicFamilies) set.Reserve(kPartitionFamilyRows[pf], partitions);
  for (const size_t pf : kGroupFamilies) set.Reserve(kPartitionFamilyRows[pf], group_partitions);
}

// ---- Groups and topics in blocks (see RenderCache) ----

using Families = std::array<bool, kFamilyCount>;

/// The families only the groups' blocks write: kafka_consumergroup_* (AddGroup, AddGroupPartitions).
constexpr Families kGroupBlockFamilies = []() consteval {
  Families block{};
  for (size_t i = 0; i < kFamilyCount; ++i) {
    block[i] = kFamilies[i].part == Part::kSnapshot && kFamilies[i].name.starts_with("kafka_consumergroup_");
  }
  return block;
}
();

/// The families only the topics' blocks write: their per-partition ones (AddTopicPartitions).
constexpr Families kTopicBlockFamilies = []() consteval {
  Families block{};
  for (const size_t pf : kTopicFamilies) block[kPartitionFamilyRows[pf]] = true;
  return block;
}
();

/// The bits of a FoldMask that a topic's (kTopicFamilies) or a group's (kGroupFamilies) per-partition
/// series depend on.
template <size_t N>
FoldMask MaskBitsOf(const std::array<size_t, N>& families) {
  FoldMask bits;
  for (const size_t pf : families) bits.set(pf);
  return bits;
}

/// A block ends after an item (group, topic) whose name hashes to 0 modulo this, or after
/// kMaxBlockItems items, so where blocks end depends on the names only: an item that changes, or
/// renders more lines, leaves the other blocks as they were. About 60 blocks for the 500 groups of
/// the `large` benchmark, 25 for its 200 topics.
constexpr size_t kBlockItems = 8;
constexpr size_t kMaxBlockItems = 32;

/// What identifies a block's text: the XXH3-128 of what it depends on.
struct BlockKey {
  uint64_t low = 0;
  uint64_t high = 0;
  bool operator==(const BlockKey&) const = default;
};

struct BlockKeyHash {
  size_t operator()(const BlockKey& key) const { return static_cast<size_t>(key.low); }
};

/// The chunks one block made in one family, in order, and the series they hold.
struct BlockFamily {
  size_t family = 0;
  size_t series = 0;
  std::vector<util::GzipChunkKey> chunks;
};

struct BlockRecord {
  std::vector<BlockFamily> families;
  size_t replaced = 0;                     // FoldTally of the block
  std::vector<std::string> folded_topics;  // FoldTally of the block
};

using BlockIndex = std::unordered_map<BlockKey, BlockRecord, BlockKeyHash>;

/// Appends the bytes of `value` to `key`.
template <class T>
void AppendKey(std::string& key, const T& value) {
  key.append(reinterpret_cast<const char*>(&value), sizeof value);
}

/// Appends what the per-partition series of topic `t` depend on (ValueOf) to `key`.
void AppendTopicKey(const state::Topic& t, std::string& key) {
  const std::string_view name = t.name;
  AppendKey(key, name.size());
  key.append(name);
  AppendKey(key, t.partitions.size());
  for (const state::Partition& p : t.partitions) {
    AppendKey(key, p.id);
    AppendKey(key, p.leader);
    AppendKey(key, p.isr.size());
    AppendKey(key, p.min_insync_replicas);
    AppendKey(key, p.offsets_known);
    AppendKey(key, p.oldest_offset);
    AppendKey(key, p.newest_offset);
    AppendKey(key, p.replicas.size());
    for (const int32_t replica : p.replicas) AppendKey(key, replica);
  }
}

/// Renders items (a cluster's groups or topics) block by block; a block whose key the last render
/// (`kept`) made is put in place from that render's chunks without writing its text. Remembers every
/// block for the next render (TakeMade).
class Blocks {
 public:
  Blocks(util::ChunkedGzipWriter& writer,
         std::array<std::vector<std::shared_ptr<const util::GzipChunk>>, kFamilyCount>& family_chunks,
         const BlockIndex* kept)
      : writer_(writer), family_chunks_(family_chunks), kept_(kept) {}

  /// Renders `count` items into `families` (and no other) with `render(i, set, tally)`, in blocks
  /// cut by `name_of(i)`. A block's key is the hash of `salt` (what besides the items the series
  /// depend on: the kind of block, labels) and what `key_of(i, key)` appends for each of its items;
  /// an item for which key_of returns false (nothing tells its content apart) leaves its block
  /// without a key: always written.
  template <class NameOf, class KeyOf, class Render>
  void Add(FamilySet& set, const Families& families, size_t count, NameOf name_of, std::string_view salt,
           KeyOf key_of, Render render, FoldTally& tally) {
    size_t begin = 0;
    while (begin < count) {
      size_t end = begin;
      while (end < count) {
        const size_t name_hash = std::hash<std::string_view>{}(name_of(end));
        ++end;
        if (name_hash % kBlockItems == 0 || end - begin >= kMaxBlockItems) break;
      }
      AddBlock(set, families, begin, end, salt, key_of, render, tally);
      begin = end;
    }
  }

  BlockIndex TakeMade() { return std::move(made_); }
  size_t blocks() const { return blocks_; }
  size_t reused() const { return reused_; }

 private:
  template <class KeyOf, class Render>
  void AddBlock(FamilySet& set, const Families& families, size_t begin, size_t end, std::string_view salt,
                KeyOf& key_of, Render& render, FoldTally& tally) {
    ++blocks_;
    std::optional<BlockKey> key;
    key_text_.assign(salt);
    bool keyed = true;
    for (size_t i = begin; i < end && keyed; ++i) keyed = key_of(i, key_text_);
    if (keyed) {
      const XXH128_hash_t h = XXH3_128bits(key_text_.data(), key_text_.size());
      key = BlockKey{h.low64, h.high64};
    }

    if (key && kept_ != nullptr) {
      if (const auto it = kept_->find(*key); it != kept_->end() && PutInPlace(set, it->second, tally)) {
        made_.emplace(*key, it->second);
        ++reused_;
        return;
      }
    }

    std::array<size_t, kFamilyCount> first_chunk{};
    std::array<size_t, kFamilyCount> series_before{};
    for (size_t f = 0; f < kFamilyCount; ++f) {
      if (!families[f]) continue;
      set.Cut(f);
      first_chunk[f] = family_chunks_[f].size();
      series_before[f] = set.SeriesCount(f);
    }
    const size_t all_before = set.SeriesCount();
    FoldTally block_tally;
    for (size_t i = begin; i < end; ++i) render(i, set, block_tally);

    BlockRecord record;
    size_t block_series = 0;
    for (size_t f = 0; f < kFamilyCount; ++f) {
      if (!families[f]) continue;
      set.Cut(f);
      const size_t series = set.SeriesCount(f) - series_before[f];
      if (series == 0) continue;
      block_series += series;
      BlockFamily& family = record.families.emplace_back();
      family.family = f;
      family.series = series;
      // A family's first series also handed its header to the sink, on its own: not the block's.
      for (size_t c = first_chunk[f] + (series_before[f] == 0 ? 1 : 0); c < family_chunks_[f].size(); ++c) {
        family.chunks.push_back(util::KeyOf(*family_chunks_[f][c]));
      }
    }
    if (block_series != set.SeriesCount() - all_before) {
      throw std::logic_error("RenderExposition: a block wrote a family it does not own");
    }
    record.replaced = block_tally.replaced;
    for (const std::string_view topic : block_tally.topics) record.folded_topics.emplace_back(topic);
    tally.replaced += block_tally.replaced;
    tally.topics.insert(block_tally.topics.begin(), block_tally.topics.end());
    if (key) made_.emplace(*key, std::move(record));
  }

  /// Puts a kept block in place; false (nothing done) when one of its chunks is not to be found.
  bool PutInPlace(FamilySet& set, const BlockRecord& record, FoldTally& tally) {
    chunks_.clear();
    for (const BlockFamily& family : record.families) {
      for (const util::GzipChunkKey& chunk_key : family.chunks) {
        auto chunk = writer_.Reuse(chunk_key);
        if (chunk == nullptr) return false;
        chunks_.push_back(std::move(chunk));
      }
    }
    size_t next = 0;
    for (const BlockFamily& family : record.families) {
      set.Splice(family.family, family.series);
      for (size_t c = 0; c < family.chunks.size(); ++c) family_chunks_[family.family].push_back(chunks_[next++]);
    }
    tally.replaced += record.replaced;
    for (const std::string& topic : record.folded_topics) tally.topics.insert(topic);
    return true;
  }

  util::ChunkedGzipWriter& writer_;
  std::array<std::vector<std::shared_ptr<const util::GzipChunk>>, kFamilyCount>& family_chunks_;
  const BlockIndex* kept_;
  BlockIndex made_;
  std::string key_text_;
  std::vector<std::shared_ptr<const util::GzipChunk>> chunks_;
  size_t blocks_ = 0;
  size_t reused_ = 0;
};

}  // namespace

struct RenderCache::Kept {
  std::shared_ptr<const util::GzipChunks> chunks;
  BlockIndex blocks;
};

std::optional<std::string> CheckTopicGranularity(const std::set<std::string>& families) {
  std::string choices;
  for (const PartitionFamilySpec& family : kPartitionFamilies) {
    if (family.fold == Fold::kNever) continue;
    if (!choices.empty()) choices += ", ";
    choices += family.name;
  }
  for (const std::string& name : families) {
    const auto partition =
        std::find_if(kPartitionFamilies.begin(), kPartitionFamilies.end(),
                     [&](const PartitionFamilySpec& family) { return family.name == name; });
    if (partition != kPartitionFamilies.end() && partition->fold != Fold::kNever) continue;
    std::string error;
    if (partition != kPartitionFamilies.end()) {
      error = "metric family \"" + name +
              "\" cannot be folded per topic: " + std::string(partition->meaning);
    } else if (std::any_of(kFamilies.begin(), kFamilies.end(),
                           [&](const FamilySpec& family) { return family.name == name; })) {
      error = "metric family \"" + name + "\" has no partition label, so there is nothing to fold";
    } else {
      error = "unknown metric family \"" + name + "\"";
    }
    return error + "; valid choices: " + choices;
  }
  return std::nullopt;
}

std::shared_ptr<const Exposition> RenderExposition(const SnapshotList& snapshots,
                                                   const RenderOptions& options, RenderCache* cache) {
  // Each family's text is cut every kChunkLines lines as it grows, and each cut is deflated (or
  // found in the last render's chunks) at once: the plain text is never held whole, only the last
  // cut of each family. The chunks are put in family order at the end.
  // Groups and topics are rendered in blocks (Blocks): the groups twice, their own families with the
  // rest of each cluster's, their per-partition ones once the folding is known, as the topics'.
  const std::shared_ptr<const RenderCache::Kept> kept = cache != nullptr ? cache->Get() : nullptr;
  util::ChunkedGzipWriter writer(kept != nullptr ? kept->chunks : nullptr, kGzipLevel);
  std::array<std::vector<std::shared_ptr<const util::GzipChunk>>, kFamilyCount> family_chunks;
  FamilySet set;
  set.ChunkEvery(RenderCache::kChunkLines, [&](size_t family, std::string_view text) {
    family_chunks[family].push_back(writer.Make(text));
  });
  Blocks blocks(writer, family_chunks, kept != nullptr ? &kept->blocks : nullptr);
  ReservePartitionFamilies(snapshots, set);
  std::vector<const state::ClusterSnapshot*> clusters;
  std::vector<Labels> bases;
  std::vector<std::string> base_texts;  // what a block's series depend on besides its items
  // A group's version tells its content (state::GroupList), and the per-partition blocks depend on
  // how each topic folds too.
  auto group_key = [](const state::ConsumerGroup& g, std::string& key) {
    AppendKey(key, g.version);
    return g.version != 0;
  };
  for (const auto& s : snapshots) {
    if (s == nullptr) continue;
    clusters.push_back(s.get());
    bases.push_back(BaseLabels(*s));
    base_texts.emplace_back(LabelText(bases.back()).View());
    AddCluster(*s, set);
    FoldTally unused;
    const state::GroupList& groups = s->groups;
    blocks.Add(
        set, kGroupBlockFamilies, groups.size(), [&](size_t k) { return std::string_view(groups[k].id); },
        "groups" + base_texts.back(), [&](size_t k, std::string& key) { return group_key(groups[k], key); },
        [&](size_t k, FamilySet& out, FoldTally&) { AddGroup(groups[k], bases.back(), out); }, unused);
  }
  const size_t fixed = set.SeriesCount();

  const FoldMask granularity = GranularityMask(options.topic_granularity);
  const bool controlled = options.max_series > 0 || !options.topic_granularity.empty();
  // series_budget and series, then folded_topics and folded_series per cluster.
  const size_t self_series = controlled && !clusters.empty() ? 2 + 2 * clusters.size() : 0;

  std::vector<ClusterPlan> plans;
  std::vector<std::string_view> cluster_names;
  size_t unfolded = fixed;
  size_t total = fixed + self_series;
  for (size_t i = 0; i < clusters.size(); ++i) {
    plans.push_back(PlanCluster(i, *clusters[i]));
    cluster_names.push_back(clusters[i]->cluster);
    for (const auto& [name, topic] : plans.back()) {
      unfolded += topic.Series(FoldMask{});
      total += topic.Series(granularity);
    }
  }
  FoldToBudget(plans, cluster_names, granularity, options.max_series, total);

  auto exposition = std::make_shared<Exposition>();
  const FoldMask all = AllFoldable();
  std::vector<FoldTally> tallies(clusters.size());
  const FoldMask topic_bits = MaskBitsOf(kTopicFamilies);
  const FoldMask group_bits = MaskBitsOf(kGroupFamilies);
  for (size_t i = 0; i < clusters.size(); ++i) {
    const ClusterPlan& plan = plans[i];
    auto mask_of = [&](std::string_view topic) {
      const auto it = plan.find(topic);
      return it != plan.end() && it->second.budget_folded ? all : granularity;
    };
    std::vector<const state::Topic*> topics;
    for (const state::Topic& t : clusters[i]->topics) {
      if (t.exported) topics.push_back(&t);
    }
    blocks.Add(
        set, kTopicBlockFamilies, topics.size(), [&](size_t k) { return std::string_view(topics[k]->name); },
        "topics" + base_texts[i],
        [&](size_t k, std::string& key) {
          AppendKey(key, (mask_of(topics[k]->name) & topic_bits).to_ulong());
          AppendTopicKey(*topics[k], key);
          return true;
        },
        [&](size_t k, FamilySet& out, FoldTally& tally) {
          AddTopicPartitions(*topics[k], bases[i], mask_of(topics[k]->name), out, tally);
        },
        tallies[i]);
    const state::GroupList& groups = clusters[i]->groups;
    blocks.Add(
        set, kGroupBlockFamilies, groups.size(), [&](size_t k) { return std::string_view(groups[k].id); },
        "partitions" + base_texts[i],
        [&](size_t k, std::string& key) {
          ForEachGroupTopic(groups[k], [&](std::string_view topic, std::span<const state::GroupPartition>) {
            AppendKey(key, (mask_of(topic) & group_bits).to_ulong());
          });
          return group_key(groups[k], key);
        },
        [&](size_t k, FamilySet& out, FoldTally& tally) { AddGroupPartitions(groups[k], bases[i], mask_of, out, tally); },
        tallies[i]);
    exposition->folded_topics += tallies[i].topics.size();
    exposition->folded_series += tallies[i].replaced;
  }
  if (self_series > 0) {
    for (size_t i = 0; i < clusters.size(); ++i) {
      set.Add(Snap("kafka_perf_exporter_folded_topics"), bases[i],
              static_cast<double>(tallies[i].topics.size()));
      set.Add(Snap("kafka_perf_exporter_folded_series"), bases[i],
              static_cast<double>(tallies[i].replaced));
    }
    set.Add(Snap("kafka_perf_exporter_series_budget"), static_cast<double>(options.max_series));
    set.Add(Snap("kafka_perf_exporter_series"), static_cast<double>(set.SeriesCount() + 1));
  }

  exposition->series_unfolded = unfolded;
  set.SerializeTo(Part::kSnapshot, &exposition->series, [&](size_t family, std::string_view rest) {
    for (const auto& chunk : family_chunks[family]) writer.Append(chunk);
    family_chunks[family].clear();
    writer.AppendChunk(rest);
  });
  for (const auto& chunks : family_chunks) {
    if (!chunks.empty()) throw std::logic_error("RenderExposition: a family outside the snapshot part was chunked");
  }
  auto next = std::make_shared<RenderCache::Kept>();
  exposition->gzip = writer.Finish(cache != nullptr ? &next->chunks : nullptr);
  exposition->chunks_reused = writer.reused_chunks();
  exposition->chunks_deflated = writer.deflated_chunks();
  exposition->blocks = blocks.blocks();
  exposition->blocks_reused = blocks.reused();
  if (cache != nullptr) {
    next->blocks = blocks.TakeMade();
    cache->Put(std::move(next));
  }
  return exposition;
}

std::shared_ptr<const RenderCache::Kept> RenderCache::Get() const {
  std::lock_guard lock(mutex_);
  return kept_;
}

void RenderCache::Put(std::shared_ptr<const Kept> kept) {
  std::lock_guard lock(mutex_);
  kept_ = std::move(kept);
}

const std::string& Exposition::Text() const {
  std::call_once(text_once_, [this] { text_ = util::GzipOpenContents(gzip); });
  return text_;
}

std::string RenderVolatile(const SnapshotList& snapshots, state::WallClock::time_point now,
                           const ProcessStats& process, const BuildInfo& build,
                           const GovernorStats& governor, const ReloadStats& reload,
                           const RenderStats& render) {
  FamilySet set;
  set.Add(Vol("kafka_perf_exporter_config_last_reload_successful"), reload.last_successful ? 1 : 0);
  if (reload.last_success_timestamp_seconds > 0) {
    set.Add(Vol("kafka_perf_exporter_config_last_reload_success_timestamp_seconds"),
            reload.last_success_timestamp_seconds);
  }
  set.Add(Vol("kafka_perf_exporter_cpu_budget_cores"), governor.budget_cores);
  set.Add(Vol("kafka_perf_exporter_cpu_usage_cores"), governor.usage_cores);
  set.Add(Vol("kafka_perf_exporter_interval_stretch"), governor.stretch);
  set.Add(Vol("kafka_perf_exporter_renders_total"), static_cast<double>(render.renders));
  set.Add(Vol("kafka_perf_exporter_render_seconds_total"), render.seconds);
  set.Add(Vol("kafka_perf_exporter_render_chunks_total"), {}, {{"result", "reused"}},
          static_cast<double>(render.chunks_reused));
  set.Add(Vol("kafka_perf_exporter_render_chunks_total"), {}, {{"result", "deflated"}},
          static_cast<double>(render.chunks_deflated));
  for (const auto& s : snapshots) {
    if (s == nullptr) continue;
    const Labels base = BaseLabels(*s);
    for (const state::CollectorStatus& c : s->collectors) {
      if (!IsSet(c.last_success)) continue;
      set.Add(Vol("kafka_perf_exporter_data_age_seconds"), base, {{"collector", c.name}},
              std::chrono::duration<double>(now - c.last_success).count());
    }
  }
  set.Add(Vol("kafka_perf_exporter_build_info"), {},
          {{"librdkafka_version", build.librdkafka_version}, {"version", build.version}}, 1);
  set.Add(Vol("process_cpu_seconds_total"), process.cpu_seconds);
  set.Add(Vol("process_resident_memory_bytes"), process.resident_memory_bytes);
  set.Add(Vol("process_virtual_memory_bytes"), process.virtual_memory_bytes);
  set.Add(Vol("process_start_time_seconds"), process.start_time_seconds);
  set.Add(Vol("process_open_fds"), process.open_fds);
  set.Add(Vol("process_max_fds"), process.max_fds);
  set.Add(Vol("process_threads"), process.threads);
  return set.Serialize(Part::kVolatile, nullptr);
}

}  // namespace kpe::metrics
