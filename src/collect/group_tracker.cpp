#include "collect/group_tracker.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

namespace kpe::collect {

namespace {

double Seconds(state::WallClock::duration d) { return std::chrono::duration<double>(d).count(); }

struct GroupPartitionRef {
  const std::string& topic;
  int32_t partition;
};

/// Orders anything with `topic` and `partition` by them.
struct ByPartition {
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  }
};

/// The entry of `partitions` (sorted by topic, partition) for `ref`; null when there is none.
const state::GroupPartition* FindPartition(const std::vector<state::GroupPartition>& partitions,
                                           const GroupPartitionRef& ref) {
  const auto it = std::lower_bound(partitions.begin(), partitions.end(), ref, ByPartition());
  return it != partitions.end() && it->topic == ref.topic && it->partition == ref.partition ? &*it : nullptr;
}

}  // namespace

GroupTracker::GroupTracker(state::StatusOptions options) : options_(options) {}

void GroupTracker::ObserveTopics(const std::vector<state::Topic>& topics,
                                 state::WallClock::time_point now) {
  std::set<PartitionKey> seen;
  for (const auto& topic : topics) {
    for (const auto& partition : topic.partitions) {
      PartitionKey key{topic.name, partition.id};
      seen.insert(key);
      if (!partition.offsets_known || partition.offsets_at != now) continue;  // stale: no new sample
      histories_.try_emplace(key).first->second.Add(now, partition.newest_offset);
    }
  }
  std::erase_if(histories_, [&seen](const auto& entry) { return seen.count(entry.first) == 0; });
}

std::vector<state::ConsumerGroup> GroupTracker::Evaluate(const GroupCycleAnswers& answers,
                                                         const std::vector<state::Topic>& topics,
                                                         state::WallClock::time_point now,
                                                         const state::GroupList& previous) {
  std::map<PartitionKey, const state::Partition*> watched;
  std::map<std::string, int32_t> partition_counts;
  for (const auto& topic : topics) {
    partition_counts[topic.name] = static_cast<int32_t>(topic.partitions.size());
    for (const auto& partition : topic.partitions) watched[{topic.name, partition.id}] = &partition;
  }
  std::map<std::string, const kafka::GroupDescription*> descriptions;
  for (const auto& description : answers.descriptions) descriptions[description.group_id] = &description;
  std::map<std::string, const state::ConsumerGroup*> before;
  for (const auto& group : previous) before[group.id] = &group;

  std::vector<state::ConsumerGroup> groups;
  groups.reserve(answers.group_ids.size());
  for (size_t i = 0; i < answers.group_ids.size() && i < answers.offsets.size(); ++i) {
    const std::string& id = answers.group_ids[i];
    const auto listed = answers.listed_states.find(id);
    const auto described = descriptions.find(id);
    const auto old = before.find(id);
    groups.push_back(EvaluateOne(id, listed == answers.listed_states.end() ? "Unknown" : listed->second,
                                 described == descriptions.end() ? nullptr : described->second,
                                 answers.offsets[i], old == before.end() ? nullptr : old->second, watched,
                                 partition_counts, now));
  }
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return groups;
}

void GroupTracker::RetainGroups(const std::set<std::string>& live) {
  std::erase_if(windows_, [&](const auto& e) { return live.count(e.first) == 0; });
}

size_t GroupTracker::tracked_commit_windows() const {
  size_t count = 0;
  for (const auto& [id, windows] : windows_) count += windows.size();
  return count;
}

state::ConsumerGroup GroupTracker::EvaluateOne(
    const std::string& id, const std::string& listed_state, const kafka::GroupDescription* description,
    const kafka::GroupOffsets& offsets, const state::ConsumerGroup* previous,
    const std::map<PartitionKey, const state::Partition*>& watched,
    const std::map<std::string, int32_t>& partition_counts, state::WallClock::time_point now) {
  state::ConsumerGroup group;
  group.id = id;
  group.state = listed_state.empty() ? "Unknown" : listed_state;
  std::set<std::string> group_topics;  // topics with commits or assignments of this group
  if (description != nullptr && description->error.empty()) {
    group.described = true;
    group.state = description->state.empty() ? group.state : description->state;
    group.assignor = description->assignor;
    for (const auto& member : description->members) {
      group.members.push_back({member.member_id, member.client_id, member.host,
                               static_cast<int32_t>(member.assignment.size())});
      for (const auto& ref : member.assignment) {
        if (partition_counts.count(ref.topic) != 0) group_topics.insert(ref.topic);
      }
    }
  } else if (description != nullptr) {
    group.error = "describe: " + description->error;
  }
  // Membership decides stalled (members there, not committing) vs stopped (nobody there). Without a
  // description it is unknown: only a listed "Empty" state says nobody is there.
  const bool has_members = group.described ? !group.members.empty() : group.state != "Empty";
  if (!offsets.error.empty()) {
    group.error += (group.error.empty() ? "" : "; ") + std::string("offsets: ") + offsets.error;
    // Its commits are unknown now: serve the last good read as it was, with its time; its status is
    // what nothing read says (unknown, or empty without members).
    if (previous != nullptr) {
      group.partitions = previous->partitions;
      group.topics = previous->topics;
      group.observed_at = previous->observed_at;
    }
    group.status = state::EvaluateGroup({}, has_members, group.state);
    return group;
  }

  std::map<std::string, std::set<int32_t>> committed_by_topic;
  std::map<std::string, double> rates;  // offsets per second, by topic
  std::vector<state::PartitionStatus> statuses;
  // Sized once: grown by doubling, the partitions of 500 groups held up to 1.7 times their size.
  group.partitions.reserve(offsets.offsets.size());
  std::map<std::string, int> unreadable;  // per-partition errors, by message
  // The group's windows are rebuilt in commit order: those of partitions without a commit now are
  // forgotten (bounded memory under churn). Only the windows move out of `old`, so its keys stay
  // sorted for the lookups.
  std::vector<PartitionWindow>& old = windows_[id];
  std::vector<PartitionWindow> next;
  next.reserve(offsets.offsets.size());
  const auto window_of = [&](const util::InternedString& topic, int32_t partition) -> state::CommitWindow& {
    PartitionWindow& entry = next.emplace_back(PartitionWindow{topic, partition, state::CommitWindow(options_.window_size)});
    const auto it = std::lower_bound(old.begin(), old.end(), GroupPartitionRef{topic.get(), partition}, ByPartition());
    if (it != old.end() && it->topic == topic && it->partition == partition) entry.window = std::move(it->window);
    return entry.window;
  };
  for (const auto& commit : offsets.offsets) {
    const auto partition = watched.find({commit.topic, commit.partition});
    if (partition == watched.end()) continue;
    if (!commit.error.empty()) {
      // The broker could not give this partition's commit: serve the last good read of it as it was
      // (its commit window is kept), and say why in the group's error.
      ++unreadable[commit.error];
      const GroupPartitionRef ref{commit.topic, commit.partition};
      const auto* last = previous == nullptr ? nullptr : FindPartition(previous->partitions, ref);
      if (last != nullptr) {
        group_topics.insert(commit.topic);
        committed_by_topic[commit.topic].insert(commit.partition);
        statuses.push_back(last->status);
        group.partitions.push_back(*last);
        (void)window_of(commit.topic, commit.partition);  // kept as it was
      }
      continue;
    }
    if (commit.offset < 0) continue;
    group_topics.insert(commit.topic);
    committed_by_topic[commit.topic].insert(commit.partition);

    state::GroupPartition out;
    out.topic = commit.topic;
    out.partition = commit.partition;
    out.committed_offset = commit.offset;
    const state::Partition& p = *partition->second;
    if (p.offsets_known) out.lag = state::OffsetHistory::Lag(p.newest_offset, commit.offset);
    if (const auto history = histories_.find({commit.topic, commit.partition}); history != histories_.end()) {
      out.lag_seconds = history->second.LagSeconds(commit.offset, now);
    }
    state::CommitWindow& window = window_of(commit.topic, commit.partition);
    if (const state::CommitSample* before = window.newest()) {
      // Consumption rate from this partition's own previous observation, so a partition that gets
      // its first commit (or one that rewinds) adds no spike. The window keeps times to the
      // millisecond: so is `now` here, or a second read at the same moment would divide by nanoseconds.
      const auto now_ms = std::chrono::floor<std::chrono::milliseconds>(now);
      if (now_ms > before->observed_at && commit.offset >= before->committed) {
        rates[commit.topic] += static_cast<double>(commit.offset - before->committed) /
                               Seconds(now_ms - before->observed_at);
      }
    }
    window.Add({now, commit.offset, out.lag.value_or(0)});
    const std::vector<state::CommitSample> samples = window.samples();
    out.status = state::EvaluatePartition(samples, has_members, now, options_);
    out.last_commit_age_seconds = state::LastCommitAgeSeconds(samples, now);
    statuses.push_back(out.status);
    group.partitions.push_back(std::move(out));
  }
  std::sort(group.partitions.begin(), group.partitions.end(), [](const auto& a, const auto& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  group.partitions.shrink_to_fit();  // commits on unwatched partitions were skipped
  std::sort(next.begin(), next.end(), ByPartition());
  next.shrink_to_fit();
  if (next.empty()) {
    windows_.erase(id);
  } else {
    old = std::move(next);
  }

  for (const auto& topic : group_topics) {
    state::GroupTopic t;
    t.topic = topic;
    for (const auto& p : group.partitions) {
      if (p.topic != topic) continue;
      t.committed_sum += p.committed_offset;
      t.lag_sum += p.lag.value_or(0);
    }
    const auto count = partition_counts.find(topic);
    const int32_t committed = static_cast<int32_t>(committed_by_topic[topic].size());
    t.uncommitted_partitions = count == partition_counts.end() ? 0 : count->second - committed;
    if (const auto rate = rates.find(topic); rate != rates.end()) t.commit_rate = rate->second;
    group.topics.push_back(std::move(t));
  }
  for (const auto& [message, count] : unreadable) {
    group.error += (group.error.empty() ? "" : "; ") + std::string("offsets: ") + std::to_string(count) +
                   (count == 1 ? " partition: " : " partitions: ") + message;
  }
  group.status = state::EvaluateGroup(statuses, has_members, group.state);
  group.observed_at = now;
  return group;
}

}  // namespace kpe::collect
