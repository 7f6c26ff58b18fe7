#pragma once
// Consumer-group state that lives across cycles: the (time, newest offset) history of every watched
// partition (for lag in seconds), each group partition's window of commit observations (for status),
// (also the base of commit rates). Turns one cycle's answers into ConsumerGroups.
// No I/O: the answers come in as plain structs, the time is passed in.

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kafka/group_client.h"
#include "state/group_status.h"
#include "state/offset_history.h"
#include "state/snapshot.h"
#include "util/interned_string.h"

namespace kpe::collect {

/// What one cycle learnt about the groups. Vectors indexed like `group_ids`.
struct GroupCycleAnswers {
  std::vector<std::string> group_ids;
  /// Broker state per group from ListGroups ("Unknown" or absent when not listed).
  std::map<std::string, std::string> listed_states;
  /// Empty when groups could not be described (then membership is unknown).
  std::vector<kafka::GroupDescription> descriptions;
  std::vector<kafka::GroupOffsets> offsets;
};

/// Not thread-safe: owned by one cluster's collector thread.
class GroupTracker {
 public:
  explicit GroupTracker(state::StatusOptions options = {});

  /// Adds a history sample for every partition whose offsets were fetched at `now`, and forgets the
  /// history of partitions no longer watched.
  void ObserveTopics(const std::vector<state::Topic>& topics, state::WallClock::time_point now);

  /// The groups answered this cycle, sorted by id. Forgets the windows of their partitions that no
  /// longer have a commit.
  /// A partition whose committed offset the broker answered with an error (CommittedOffset::error)
  /// keeps its entry from `previous` as it was, and its commit window; the group's error says
  /// "offsets: N partitions: <message>" per message.
  /// commit_rate of a group topic sums its partitions' own committed-offset advances since their
  /// previous observation (a partition rewinding or committing for the first time adds nothing).
  /// A group whose committed offsets could not be read (GroupOffsets::error) has the error and keeps,
  /// from its entry in `previous` (the groups served so far), the partitions and topics of its last good
  /// read as they were (lag included: its commits since are unknown) and that read's time in
  /// observed_at; without one it has neither. Its commit windows are kept for when it answers again.
  std::vector<state::ConsumerGroup> Evaluate(const GroupCycleAnswers& answers,
                                             const std::vector<state::Topic>& topics,
                                             state::WallClock::time_point now,
                                             const state::GroupList& previous = {});

  /// Forgets everything about groups not in `live` (deleted, or filtered out).
  void RetainGroups(const std::set<std::string>& live);

  size_t tracked_partitions() const { return histories_.size(); }
  size_t tracked_commit_windows() const;

 private:
  using PartitionKey = std::pair<util::InternedString, int32_t>;  // one per watched partition
  struct PartitionWindow {  // 128 bytes, no heap block: one per committed partition of every group
    util::InternedString topic;
    int32_t partition = 0;
    state::CommitWindow window;
  };

  state::ConsumerGroup EvaluateOne(const std::string& id, const std::string& listed_state,
                                   const kafka::GroupDescription* description,
                                   const kafka::GroupOffsets& offsets, const state::ConsumerGroup* previous,
                                   const std::map<PartitionKey, const state::Partition*>& watched,
                                   const std::map<std::string, int32_t>& partition_counts,
                                   state::WallClock::time_point now);

  state::StatusOptions options_;
  std::map<PartitionKey, state::OffsetHistory> histories_;
  /// Each group's commit windows, sorted by (topic, partition): 75,000 of them in one vector per
  /// group take about half the memory of a map keyed by (group, topic, partition).
  std::map<std::string, std::vector<PartitionWindow>> windows_;
};

}  // namespace kpe::collect
