#include "collect/cluster_collector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "clientstats/stats_parser.h"
#include "collect/shard.h"
#include "collect/snapshot_builder.h"
#include "util/thread_priority.h"

namespace kpe::collect {

namespace {

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

kafka::ClientOptions MakeClientOptions(const config::ClusterConfig& cluster,
                                       const config::CollectionConfig& collection) {
  kafka::ClientOptions options;
  options.servers = cluster.servers;
  options.client_id = cluster.client_id;
  options.properties = cluster.properties;
  options.timeout = collection.timeout;
  return options;
}

// The metadata/offsets client also reports its librdkafka statistics, once per tick: the exporter's
// own view of every broker (rtt, throttle, queues, errors, connection state). The callback runs on the
// collector's thread (during its requests or ServeCallbacks), the only one touching `brokers`.
kafka::ClientOptions StatisticsOptions(const config::ClusterConfig& cluster,
                                       const config::CollectionConfig& collection,
                                       std::vector<state::BrokerClientStats>& brokers,
                                       std::map<std::string, uint64_t>& requests) {
  kafka::ClientOptions options = MakeClientOptions(cluster, collection);
  options.statistics_interval = collection.interval;
  options.on_statistics = [&brokers, &requests](std::string_view json) {
    auto parsed = clientstats::ParseStatistics(json);
    if (!parsed.statistics) return;
    brokers = clientstats::ToBrokerClientStats(*parsed.statistics);
    requests = clientstats::RequestsByApi(*parsed.statistics);
  };
  return options;
}

// The groups client reports only its requests per type (what the exporter costs the brokers); its
// statistics run on the collector's thread during its calls. When the client replaces a wedged handle
// the new one counts from zero: what the old one had sent is kept, so the totals never go down.
kafka::GroupClientOptions GroupOptions(const config::ClusterConfig& cluster,
                                       const config::CollectionConfig& collection,
                                       std::map<std::string, uint64_t>& requests) {
  kafka::GroupClientOptions options{MakeClientOptions(cluster, collection)};
  options.client.statistics_interval = collection.interval;
  struct Counts {
    std::map<std::string, uint64_t> before;  // sent by replaced handles
    std::map<std::string, uint64_t> last;    // the current handle's last report
  };
  options.client.on_statistics = [&requests, counts = std::make_shared<Counts>()](std::string_view json) {
    auto parsed = clientstats::ParseStatistics(json);
    if (!parsed.statistics) return;
    auto current = clientstats::RequestsByApi(*parsed.statistics);
    for (const auto& [api, sent] : counts->last) {
      const auto now = current.find(api);
      if (now == current.end() || now->second < sent) {  // a new handle: its counters restarted
        for (const auto& [a, n] : counts->last) counts->before[a] += n;
        break;
      }
    }
    counts->last = current;
    for (const auto& [api, sent] : counts->before) current[api] += sent;
    requests = std::move(current);
  };
  return options;
}

}  // namespace

bool IsInternalTopic(const std::string& topic) { return topic.rfind("__", 0) == 0; }

ClusterCollector::ClusterCollector(const config::ValidatedCluster& cluster, CollectorSettings settings,
                                   PublishFn publish, CpuGovernor* governor)
    : cluster_(cluster.config),
      topic_filter_(cluster.topic_filter),
      group_filter_(cluster.group_filter),
      collection_(settings.collection),
      shard_(settings.shard),
      topic_configs_(settings.topic_configs),
      publish_(std::move(publish)),
      client_(std::make_unique<kafka::ClusterClient>(
          StatisticsOptions(cluster_, collection_, client_brokers_, metadata_requests_))),
      groups_client_(std::make_unique<kafka::GroupClient>(GroupOptions(cluster_, collection_, group_requests_))),
      governor_(governor),
      topic_schedule_(collection_.interval, collection_.max_interval, collection_.adaptive_sampling),
      group_schedule_(collection_.interval, collection_.max_interval, collection_.adaptive_sampling) {
  const config::LagConfig& lag = settings.lag;
  for (const char* cache : {"metadata", "group_list", "group_description"}) {
    cache_stats_[cache].cache = cache;
  }
  if (topic_configs_.enabled) {
    kafka::TopicConfigClientOptions options;
    options.client = MakeClientOptions(cluster_, collection_);
    options.keys = topic_configs_.keys;
    configs_client_ = std::make_unique<kafka::TopicConfigClient>(std::move(options));
    cache_stats_["topic_config"].cache = "topic_config";
  }
  if (lag.precise) {
    kafka::RecordTimestampReader::Options options;
    options.client = MakeClientOptions(cluster_, collection_);
    options.max_reads_per_call = static_cast<size_t>(lag.precise_max_reads);
    timestamps_ = std::make_unique<kafka::RecordTimestampReader>(std::move(options));
    cache_stats_["record_timestamp"].cache = "record_timestamp";
  }
}

// Topic configurations change rarely: each topic's are read again after topic_configs.ttl. A cluster
// that cannot answer DescribeConfigs (librdkafka's mock) is not asked again; refused topics keep what
// was known and are asked again after the TTL.
void ClusterCollector::CollectTopicConfigs(state::ClusterSnapshot& snapshot) {
  if (configs_client_ == nullptr) return;
  const auto now = snapshot.collected_at;
  auto& stats = cache_stats_["topic_config"];
  std::vector<std::string> ask;
  for (const auto& topic : snapshot.topics) {
    const auto cached = topic_configs_cache_.find(topic.name);
    if (cached != topic_configs_cache_.end() && now - cached->second.at < topic_configs_.ttl) {
      ++stats.hits;
    } else if (configs_refusal_.empty()) {
      ++stats.misses;
      ask.push_back(topic.name);
    }
  }
  if (!ask.empty()) {
    std::map<std::string, int> errors;
    for (auto& answer : configs_client_->DescribeTopicConfigs(ask)) {
      if (answer.kind == kafka::ErrorKind::kUnsupported) {
        configs_refusal_ = answer.error;
        spdlog::warn("cluster {}: topic configurations cannot be read ({}); not asking again",
                     cluster_.name, answer.error);
        break;
      }
      if (answer.kind == kafka::ErrorKind::kAuthorization) {
        NoteAuthorization("topic", answer.topic, "configs", true, answer.error);
      } else if (answer.error.empty()) {
        NoteAuthorization("topic", answer.topic, "configs", false, "");
      }
      if (!answer.error.empty()) {
        // Refusals are logged once by NoteAuthorization, not again after every TTL.
        if (answer.kind != kafka::ErrorKind::kAuthorization) ++errors[answer.error];
        // Keep what was known; ask again after the TTL rather than every tick.
        auto& entry = topic_configs_cache_[answer.topic];
        entry.at = now;
        continue;
      }
      topic_configs_cache_[answer.topic] = {std::move(answer.configs), now};
    }
    for (const auto& [error, count] : errors) {
      spdlog::warn("cluster {}: topic configurations of {} topics not read: {}", cluster_.name, count, error);
    }
  }
  std::set<std::string> live;
  for (auto& topic : snapshot.topics) {
    live.insert(topic.name);
    if (const auto cached = topic_configs_cache_.find(topic.name); cached != topic_configs_cache_.end()) {
      topic.configs = cached->second.configs;
      topic.configs_at = cached->second.at;
    }
    const int32_t min_isr = topic.MinInsyncReplicas().value_or(-1);
    for (auto& partition : topic.partitions) partition.min_insync_replicas = min_isr;
  }
  std::erase_if(topic_configs_cache_, [&live](const auto& e) { return live.count(e.first) == 0; });
}

// Lag in seconds = now − the timestamp of the record at the committed offset (the next record the group
// reads), where that record could be read this time; elsewhere the history's estimate stays. Groups whose
// offsets were not read at `read_at` (served from an earlier read) keep their values.
void ClusterCollector::PreciseLagSeconds(std::vector<state::ConsumerGroup>& groups,
                                         state::WallClock::time_point read_at) {
  std::vector<kafka::RecordRef> wanted;
  for (const auto& group : groups) {
    if (group.observed_at != read_at) continue;
    for (const auto& p : group.partitions) {
      if (p.lag.value_or(0) > 0) wanted.push_back({p.topic, p.partition, p.committed_offset});
    }
  }
  if (wanted.empty()) return;
  const auto timestamps = timestamps_->Read(wanted);
  const double now_ms =
      std::chrono::duration<double, std::milli>(state::WallClock::now().time_since_epoch()).count();
  for (auto& group : groups) {
    if (group.observed_at != read_at) continue;
    for (auto& p : group.partitions) {
      if (p.lag.value_or(0) <= 0) continue;
      const auto ts = timestamps.find({p.topic, p.partition, p.committed_offset});
      if (ts != timestamps.end()) p.lag_seconds = std::max(0.0, (now_ms - static_cast<double>(ts->second)) / 1000);
    }
  }
  auto& stats = cache_stats_["record_timestamp"];
  stats.hits = timestamps_->cache_hits();
  stats.misses = timestamps_->cache_misses();
}

ClusterCollector::~ClusterCollector() { Stop(); }

kafka::Result<kafka::ClusterMetadata> ClusterCollector::Metadata(bool* fetched) {
  auto& stats = cache_stats_["metadata"];
  if (collection_.cache && metadata_cache_ && !metadata_cache_->dropped &&
      SteadyClock::now() - metadata_cache_->fetched_at < collection_.metadata_ttl) {
    ++stats.hits;
    *fetched = false;
    return {metadata_cache_->value, ""};
  }
  ++stats.misses;
  *fetched = true;
  auto metadata = client_->FetchMetadata();
  if (!metadata.ok() && last_ != nullptr && last_->up) {
    // The broker that was asked may just have gone away; librdkafka has marked it down by now and
    // asks another one. A cluster that was already down gets no second try (it would only double
    // the wait).
    metadata = client_->FetchMetadata();
  }
  if (metadata.ok()) {
    metadata_cache_ = CachedMetadata{metadata.value, SteadyClock::now()};
  } else if (metadata_cache_) {
    metadata_cache_->dropped = true;
  }
  return metadata;
}

std::set<std::string> ClusterCollector::DueTopics(const kafka::ClusterMetadata& metadata,
                                                  state::WallClock::time_point now) {
  std::set<std::string> due;
  std::set<std::string> live;
  for (const auto& topic : metadata.topics) {
    if (!cluster_.include_internal_topics && IsInternalTopic(topic.name)) continue;
    if (!topic_filter_.Matches(topic.name)) continue;
    live.insert(topic.name);
    if (topic_schedule_.Due(topic.name, now)) due.insert(topic.name);
  }
  // A group that is due gets fresh newest offsets for its lag.
  if (last_ != nullptr) {
    for (const auto& group : last_->groups) {
      if (!group_schedule_.Due(group.id, now)) continue;
      for (const auto& topic : group.topics) {
        if (live.count(topic.topic) != 0) due.insert(topic.topic);
      }
    }
  }
  topic_schedule_.Retain(live);
  return due;
}

// Sets each sampled topic's next sample from what changed since the previous snapshot, and makes the
// groups reading a changed topic due.
void ClusterCollector::ScheduleTopics(const state::ClusterSnapshot& snapshot,
                                      const std::set<std::string>& sampled) {
  std::map<std::string, const state::Topic*> before;
  if (last_ != nullptr) {
    for (const auto& topic : last_->topics) before[topic.name] = &topic;
  }
  std::set<std::string> changed;
  for (const auto& topic : snapshot.topics) {
    if (sampled.count(topic.name) == 0) continue;
    Activity activity = Activity::kSteady;
    const auto old = before.find(topic.name);
    if (old == before.end() || old->second->partitions.size() != topic.partitions.size()) {
      activity = Activity::kChanging;
    } else {
      for (size_t i = 0; i < topic.partitions.size(); ++i) {
        const auto& now = topic.partitions[i];
        const auto& then = old->second->partitions[i];
        if (!now.offsets_error.empty() || now.Offline() || now.isr.size() < then.isr.size() ||
            (now.UnderReplicated() && !then.UnderReplicated())) {
          activity = Activity::kAlarming;
          break;
        }
        if (now.newest_offset != then.newest_offset || now.oldest_offset != then.oldest_offset ||
            now.leader != then.leader || now.isr != then.isr) {
          activity = Activity::kChanging;
        }
      }
    }
    topic_schedule_.Sampled(topic.name, snapshot.collected_at, activity);
    if (activity != Activity::kSteady) changed.insert(topic.name);
  }
  // New records on a topic change the lag of every group that reads it: sample those groups too.
  if (last_ == nullptr || changed.empty()) return;
  for (const auto& group : last_->groups) {
    for (const auto& topic : group.topics) {
      if (changed.count(topic.topic) != 0) {
        group_schedule_.Tighten(group.id);
        break;
      }
    }
  }
}

SnapshotPtr ClusterCollector::Cycle() {
  if (governor_ != nullptr) {
    governor_->Update(SteadyClock::now());
    topic_schedule_.SetStretch(governor_->stretch());
    group_schedule_.SetStretch(governor_->stretch());
  }
  const auto now = state::WallClock::now();
  CycleResult cycle;
  auto start = SteadyClock::now();
  bool metadata_fetched = false;
  cycle.metadata = Metadata(&metadata_fetched);
  cycle.metadata_seconds = SecondsSince(start);

  std::set<std::string> due;
  // Without an answer to metadata, the offsets are asked with the last good metadata: whether any broker
  // answers them decides whether the cluster is up (see BuildSnapshot).
  const bool have_metadata = cycle.metadata.ok() || metadata_cache_.has_value();
  if (have_metadata) {
    const auto& metadata = cycle.metadata.ok() ? cycle.metadata.value : metadata_cache_->value;
    due = DueTopics(metadata, now);
    std::vector<kafka::PartitionRef> partitions;
    for (const auto& ref : SelectPartitions(metadata, topic_filter_, cluster_.include_internal_topics)) {
      if (due.count(ref.topic) != 0) partitions.push_back(ref);
    }
    start = SteadyClock::now();
    cycle.watermarks = client_->FetchWatermarks(partitions);
    cycle.offsets_seconds = SecondsSince(start);
    cycle.offsets_ran = true;
    std::map<std::string, const kafka::Watermarks*> refused;  // per sampled topic: a refused partition
    for (const auto& w : cycle.watermarks) {
      auto& entry = refused[w.topic];
      if (w.unauthorized && entry == nullptr) entry = &w;
    }
    for (const auto& [topic, w] : refused) {
      NoteAuthorization("topic", topic, "offsets", w != nullptr, w != nullptr ? w->error : "");
    }
    const bool any_error = std::any_of(cycle.watermarks.begin(), cycle.watermarks.end(),
                                       [](const auto& w) { return !w.error.empty(); });
    const bool all_failed = !cycle.watermarks.empty() &&
                            std::all_of(cycle.watermarks.begin(), cycle.watermarks.end(),
                                        [](const auto& w) { return !w.error.empty(); });
    // Offsets errors (not leader, unknown partition, broker gone) mean the metadata may be wrong.
    if (any_error && metadata_cache_) metadata_cache_->dropped = true;
    if (all_failed && !metadata_fetched) {
      // Nothing answered and the metadata came from the cache: ask the cluster whether it is there.
      cycle.metadata = Metadata(&metadata_fetched);
    }
  }
  client_->ServeCallbacks();
  cycle.now = now;
  if (!cycle.metadata.ok() && cycle.offsets_ran) cycle.last_good_metadata = &metadata_cache_->value;

  auto built = BuildSnapshot(last_.get(), cluster_, topic_filter_, cycle);
  built.cluster_wide = shard_.index == 0;
  built.client_brokers = client_brokers_;
  for (auto& topic : built.topics) topic.exported = Owns(shard_, topic.name);
  size_t groups_sampled = 0;
  if (built.up) {
    CollectTopicConfigs(built);
    tracker_.ObserveTopics(built.topics, built.collected_at);
    ScheduleTopics(built, due);
    std::set<std::string> live_topics;
    for (const auto& topic : built.topics) live_topics.insert(topic.name);
    RetainAuthorization("topic", live_topics);
    ExportAuthorization(built);
    // Every published snapshot has the request counters: one without them would break the series.
    FillClientRequests(built);
    if (slow_groups_) publish_(std::make_shared<const state::ClusterSnapshot>(built));
    groups_sampled = CollectGroups(built);
  }
  ExportAuthorization(built);
  FillEfficiency(built, due.size(), groups_sampled);
  FillClientRequests(built);  // again: the groups' requests just ran
  auto snapshot = std::make_shared<const state::ClusterSnapshot>(std::move(built));
  LogTransitions(*snapshot);
  // A tick that sampled nothing changed nothing: no new snapshot to render.
  const bool changed = last_ == nullptr || metadata_fetched || !due.empty() || groups_sampled > 0 ||
                       snapshot->up != last_->up;
  last_ = snapshot;
  if (changed) publish_(snapshot);
  return snapshot;
}

void ClusterCollector::FillClientRequests(state::ClusterSnapshot& snapshot) const {
  snapshot.client_requests.clear();
  for (const auto& [client, requests] : {std::pair<const char*, const std::map<std::string, uint64_t>*>{
                                             "groups", &group_requests_},
                                         {"metadata", &metadata_requests_}}) {
    for (const auto& [api, sent] : *requests) snapshot.client_requests.push_back({client, api, sent});
  }
  snapshot.groups_client_reopens = groups_client_->Reopens();
}

kafka::ListGroupsResult ClusterCollector::GroupList() {
  auto& stats = cache_stats_["group_list"];
  if (collection_.cache && group_list_cache_ &&
      SteadyClock::now() - group_list_fetched_at_ < collection_.group_list_ttl) {
    ++stats.hits;
    return *group_list_cache_;
  }
  ++stats.misses;
  auto listing = groups_client_->ListGroups();
  // Refusals are cached too (they do not change by themselves); passing failures are not.
  if (listing.kind == kafka::ErrorKind::kNone || listing.kind == kafka::ErrorKind::kUnsupported ||
      listing.kind == kafka::ErrorKind::kAuthorization) {
    group_list_cache_ = listing;
    group_list_fetched_at_ = SteadyClock::now();
  } else {
    group_list_cache_.reset();
  }
  return listing;
}

std::vector<kafka::GroupDescription> ClusterCollector::Descriptions(
    const std::vector<std::string>& ids, const std::map<std::string, std::string>& states) {
  auto& stats = cache_stats_["group_description"];
  const auto now = SteadyClock::now();
  std::vector<std::string> ask;
  for (const auto& id : ids) {
    const auto cached = description_cache_.find(id);
    const auto listed = states.find(id);
    // A state change (e.g. Stable to PreparingRebalance) means the members changed: describe again.
    const bool state_moved = listed != states.end() && listed->second != "Unknown" &&
                             cached != description_cache_.end() &&
                             listed->second != cached->second.value.state;
    if (collection_.cache && cached != description_cache_.end() && !state_moved &&
        now - cached->second.fetched_at < collection_.group_description_ttl) {
      ++stats.hits;
    } else {
      ++stats.misses;
      ask.push_back(id);
    }
  }
  std::map<std::string, kafka::GroupDescription> failed;
  if (!ask.empty()) {
    for (auto& description : groups_client_->DescribeGroups(ask)) {
      if (description.error.empty()) {
        description_cache_[description.group_id] = {description, now};
      } else {
        description_cache_.erase(description.group_id);
        failed[description.group_id] = std::move(description);
      }
    }
  }
  std::vector<kafka::GroupDescription> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    if (const auto f = failed.find(id); f != failed.end()) {
      out.push_back(f->second);
    } else if (const auto cached = description_cache_.find(id); cached != description_cache_.end()) {
      out.push_back(cached->second.value);
    }
  }
  return out;
}

size_t ClusterCollector::CollectGroups(state::ClusterSnapshot& snapshot) {
  const auto start = SteadyClock::now();
  const auto now = snapshot.collected_at;
  std::string error;
  auto& discovery = snapshot.group_discovery;
  std::vector<std::string> listed;                 // every group watched this cycle
  std::map<std::string, std::string> listed_states;
  const auto listing = GroupList();
  // Logged below, with what is watched instead.
  if (listing.kind == kafka::ErrorKind::kNone || listing.kind == kafka::ErrorKind::kAuthorization) {
    NoteAuthorization("cluster", cluster_.name, "list", listing.kind == kafka::ErrorKind::kAuthorization,
                      listing.error, /*log=*/false);
  }
  if (listing.kind == kafka::ErrorKind::kNone) {
    discovery = {"list", "", ""};
    for (const auto& group : listing.groups) {
      if (!group_filter_.Matches(group.group_id) || !Owns(shard_, group.group_id)) continue;
      listed.push_back(group.group_id);
      listed_states[group.group_id] = group.state;
    }
    error = listing.error;  // partial: some brokers did not answer
  } else if (listing.kind == kafka::ErrorKind::kUnsupported ||
             listing.kind == kafka::ErrorKind::kAuthorization) {
    // Least-privilege principals and old brokers: watch the groups named in config instead.
    const std::string reason =
        listing.kind == kafka::ErrorKind::kUnsupported ? "unsupported" : "authorization";
    if (discovery.refusal != reason) {
      if (cluster_.static_groups.empty()) {
        spdlog::warn("cluster {}: listing consumer groups refused ({}: {}) and groups.static names none: "
                     "no consumer group is watched",
                     cluster_.name, reason, listing.error);
      } else {
        spdlog::warn("cluster {}: listing consumer groups refused ({}: {}); watching the {} groups of "
                     "groups.static instead",
                     cluster_.name, reason, listing.error, cluster_.static_groups.size());
      }
    }
    discovery = {"static", reason, listing.error};
    for (const auto& id : cluster_.static_groups) {
      if (Owns(shard_, id)) listed.push_back(id);
    }
  } else {
    // A passing failure: keep watching the groups known from the previous cycle.
    error = "list: " + listing.error;
    for (const auto& group : snapshot.groups) listed.push_back(group.id);
  }

  GroupCycleAnswers answers;
  answers.listed_states = listed_states;
  for (const auto& id : listed) {
    if (group_schedule_.Due(id, now)) answers.group_ids.push_back(id);
  }
  if (!answers.group_ids.empty()) {
    if (discovery.refusal != "unsupported") {
      answers.descriptions = Descriptions(answers.group_ids, listed_states);
    }
    std::vector<kafka::PartitionRef> partitions;
    for (const auto& topic : snapshot.topics) {
      for (const auto& partition : topic.partitions) partitions.push_back({topic.name, partition.id});
    }
    // Where the cluster needs explicit partition lists, a group is asked for the topics it committed
    // on before (plus a slice of a rolling sweep over the rest), not for every watched partition.
    std::map<std::string, const state::ConsumerGroup*> known;
    for (const auto& group : snapshot.groups) known[group.id] = &group;
    std::vector<std::vector<std::string>> hints;  // topics, not partitions: 75,000 of those took 4 MB
    hints.reserve(answers.group_ids.size());
    for (const auto& id : answers.group_ids) {
      auto& hint = hints.emplace_back();
      if (const auto it = known.find(id); it != known.end()) {
        for (const auto& p : it->second->partitions) {  // sorted by topic
          if (hint.empty() || hint.back() != p.topic) hint.push_back(p.topic);
        }
      }
    }
    answers.offsets = groups_client_->FetchCommittedOffsets(answers.group_ids, partitions, hints);
    for (const auto& d : answers.descriptions) {
      if (d.kind == kafka::ErrorKind::kNone || d.kind == kafka::ErrorKind::kAuthorization) {
        NoteAuthorization("group", d.group_id, "describe", d.kind == kafka::ErrorKind::kAuthorization, d.error);
      }
    }
    for (const auto& o : answers.offsets) {
      if (o.kind == kafka::ErrorKind::kNone || o.kind == kafka::ErrorKind::kAuthorization) {
        NoteAuthorization("group", o.group_id, "offsets", o.kind == kafka::ErrorKind::kAuthorization, o.error);
      }
    }
  }
  auto evaluated = tracker_.Evaluate(answers, snapshot.topics, now, snapshot.groups);
  if (timestamps_ != nullptr) PreciseLagSeconds(evaluated, now);
  std::map<std::string, int> failures;  // grouped by message, logged once per change
  for (const auto& group : evaluated) {
    if (!group.error.empty()) ++failures[group.error];
  }

  // Merge: groups sampled now replace their previous values; the others are served as they were.
  const std::set<std::string> live(listed.begin(), listed.end());
  // Groups not sampled now stay shared with the previous snapshot (see state::GroupList).
  std::map<std::string, state::GroupList::Ptr> merged;
  for (size_t i = 0; i < snapshot.groups.size(); ++i) {
    const auto& id = snapshot.groups[i].id;
    if (live.count(id) != 0) merged[id] = snapshot.groups.shared(i);
  }
  // Groups never read whose offsets did not come back in time (not sent before the deadline, or
  // behind a slow coordinator): nothing is known of them, so they stay due at the next tick rather
  // than wait a stretched interval like an alarm. Each tick then reads as many as fit in its deadline.
  std::set<std::string> never_read_timeouts;
  for (size_t i = 0; i < answers.group_ids.size() && i < answers.offsets.size(); ++i) {
    if (answers.offsets[i].kind != kafka::ErrorKind::kTimeout) continue;
    const auto old = merged.find(answers.group_ids[i]);
    if (old == merged.end() || old->second->observed_at == state::WallClock::time_point{}) {
      never_read_timeouts.insert(answers.group_ids[i]);
    }
  }
  for (auto& group : evaluated) {
    // A copy: the right operand of = is evaluated first, and Make moves group.id away.
    const std::string id = group.id;
    if (never_read_timeouts.count(id) != 0) {
      merged[id] = state::GroupList::Make(std::move(group));
      continue;
    }
    Activity activity = Activity::kSteady;
    const auto old = merged.find(id);
    if (group.status == state::GroupStatus::kWarning || group.status == state::GroupStatus::kStalled ||
        group.status == state::GroupStatus::kStopped || group.status == state::GroupStatus::kRewind ||
        !group.error.empty()) {
      activity = Activity::kAlarming;
    } else if (old == merged.end()) {
      activity = Activity::kChanging;
    } else {
      int64_t lag_before = 0, lag_now = 0, committed_before = 0, committed_now = 0;
      for (const auto& t : old->second->topics) lag_before += t.lag_sum, committed_before += t.committed_sum;
      for (const auto& t : group.topics) lag_now += t.lag_sum, committed_now += t.committed_sum;
      if (lag_now > lag_before) {
        activity = Activity::kAlarming;  // lag grows: look again at once
      } else if (lag_now != lag_before || committed_now != committed_before) {
        activity = Activity::kChanging;
      }
    }
    group_schedule_.Sampled(id, now, activity);
    if (activity == Activity::kAlarming) {
      for (const auto& t : group.topics) topic_schedule_.Tighten(t.topic);
    }
    merged[id] = state::GroupList::Make(std::move(group));
  }
  snapshot.groups.clear();
  for (auto& [id, group] : merged) snapshot.groups.push_back(std::move(group));
  group_schedule_.Retain(live);
  tracker_.RetainGroups(live);
  RetainAuthorization("group", live);
  std::erase_if(description_cache_, [&live](const auto& e) { return live.count(e.first) == 0; });

  for (const auto& [message, count] : failures) {
    error += (error.empty() ? "" : "; ") + std::to_string(count) + (count == 1 ? " group: " : " groups: ") + message;
  }
  state::CollectorStatus status;
  status.name = "groups";
  status.success = error.empty();
  status.duration_seconds = SecondsSince(start);
  status.last_error = error;
  status.last_success = status.success ? state::WallClock::now() : state::WallClock::time_point{};
  for (auto it = snapshot.collectors.begin(); it != snapshot.collectors.end(); ++it) {
    if (it->name != "groups") continue;
    if (!status.success) status.last_success = it->last_success;
    snapshot.collectors.erase(it);
    break;
  }
  slow_groups_ = status.duration_seconds > 1.0;
  snapshot.collectors.push_back(std::move(status));
  return answers.group_ids.size();
}

void ClusterCollector::FillEfficiency(state::ClusterSnapshot& snapshot, size_t topics_sampled,
                                      size_t groups_sampled) {
  snapshot.caches.clear();
  for (const auto& [name, stats] : cache_stats_) snapshot.caches.push_back(stats);
  snapshot.sampling.clear();
  for (const auto& [kind, schedule, sampled] :
       {std::tuple<const char*, const AdaptiveSchedule*, size_t>{"topic", &topic_schedule_, topics_sampled},
        {"group", &group_schedule_, groups_sampled}}) {
    const auto stats = schedule->Stats();
    snapshot.sampling.push_back(
        {kind, stats.entities, sampled, stats.min_seconds, stats.avg_seconds, stats.max_seconds});
  }
}

void ClusterCollector::LogTransitions(const state::ClusterSnapshot& snapshot) {
  const bool was_up = last_ != nullptr && last_->up;
  if (snapshot.up && !was_up) {
    spdlog::info("cluster {}: reachable, {} brokers, {} topics watched", snapshot.cluster,
                 snapshot.brokers.size(), snapshot.topics.size());
  }
  const std::string problems = ProblemSummary(snapshot);
  if (problems != last_logged_) {
    if (problems.empty()) {
      spdlog::info("cluster {}: collection healthy again", snapshot.cluster);
    } else {
      spdlog::warn("cluster {}: {}", snapshot.cluster, problems);
    }
    last_logged_ = problems;
  }
}

void ClusterCollector::NoteAuthorization(const std::string& type, const std::string& resource,
                                         const std::string& operation, bool refused, const std::string& error,
                                         bool log) {
  const auto key = std::make_tuple(type, resource, operation);
  if (refused) {
    const auto [it, inserted] = authorization_failures_.insert_or_assign(key, error);
    if (inserted && log) {
      spdlog::warn("cluster {}: not authorized: {} of {} {} refused ({}); everything permitted is still collected",
                   cluster_.name, operation, type, resource, error);
    }
  } else if (authorization_failures_.erase(key) != 0 && log) {
    spdlog::info("cluster {}: authorized again: {} of {} {}", cluster_.name, operation, type, resource);
  }
}

void ClusterCollector::RetainAuthorization(const std::string& type, const std::set<std::string>& live) {
  std::erase_if(authorization_failures_, [&](const auto& entry) {
    return std::get<0>(entry.first) == type && live.count(std::get<1>(entry.first)) == 0;
  });
}

void ClusterCollector::ExportAuthorization(state::ClusterSnapshot& snapshot) const {
  snapshot.authorization_failures.clear();
  for (const auto& [key, error] : authorization_failures_) {
    const auto& [type, resource, operation] = key;
    snapshot.authorization_failures.push_back({type, resource, operation, error});
  }
}

void ClusterCollector::Start() {
  if (thread_.joinable()) return;  // already running
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void ClusterCollector::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ClusterCollector::Run() {
  util::RunThisThreadInBackground();  // scrapes first; refused: runs as before
  constexpr std::chrono::milliseconds kFirstBackoff{1000};
  std::chrono::milliseconds backoff = kFirstBackoff;
  for (;;) {
    const auto started = SteadyClock::now();
    const auto snapshot = Cycle();
    std::chrono::milliseconds wait = collection_.interval;
    if (!snapshot->up) {
      wait = std::min(backoff, collection_.max_backoff);
      backoff = std::min(backoff * 2, collection_.max_backoff);
    } else {
      backoff = kFirstBackoff;
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_until(lock, started + wait, [this] { return stopping_; })) return;
  }
}

}  // namespace kpe::collect
