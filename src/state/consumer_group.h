#pragma once
// A consumer group as a snapshot serves it, and GroupList, the groups of a snapshot.
//
// GroupList holds each group through a shared pointer, so that the snapshots of consecutive cycles share
// the groups that did not change. A cycle reads only the groups that are due (adaptive sampling); the
// others are served as they were, and copying a snapshot's groups copies pointers instead of every
// group's partitions (about 8 MB for 500 groups on 75,000 partitions). Readers see const
// ConsumerGroup&. A group is never changed once another list shares it: Mutable(i) first copies a
// group that is shared (copy on write). Each group a list makes or changes gets a new `version`, so a
// renderer can tell a group it has seen from one that changed without comparing them.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/iterator/indirect_iterator.hpp>

#include "state/group_status.h"
#include "state/wall_clock.h"
#include "util/interned_string.h"
#include "util/packed_optional.h"

namespace kpe::state {

/// One partition a consumer group has committed an offset for. 48 bytes: there is one per committed
/// partition of every group (75,000 on the `large` benchmark), in each snapshot that holds the group.
struct GroupPartition {
  util::InternedString topic;
  int32_t partition = 0;
  PartitionStatus status = PartitionStatus::kUnknown;
  int64_t committed_offset = 0;
  /// newest − committed, never negative; absent when the partition's newest offset is unknown.
  util::PackedOptional<int64_t> lag;
  /// How long ago the committed offset was the newest offset (see OffsetHistory for accuracy).
  util::PackedOptional<double> lag_seconds;
  /// Time since the committed offset last moved, as observed by polling (a lower bound when it did
  /// not move within the status window).
  util::PackedOptional<double> last_commit_age_seconds;
};

/// Per group and topic: sums and counts derived from the partitions above.
struct GroupTopic {
  std::string topic;
  int64_t committed_sum = 0;
  int64_t lag_sum = 0;  // over partitions whose lag is known
  /// Partitions of the topic (assigned to the group or with commits of the group on the topic) that
  /// have no committed offset: they get no lag series (see README, "Consumer lag").
  int32_t uncommitted_partitions = 0;
  /// Committed offsets advanced per second since the previous observation (consumption rate);
  /// absent on the first observation or after a rewind.
  std::optional<double> commit_rate;
};

struct GroupMemberInfo {
  std::string member_id;
  std::string client_id;
  std::string host;
  int32_t assigned_partitions = 0;
};

struct ConsumerGroup {
  std::string id;
  /// As the broker reports it: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead, or
  /// Unknown when it cannot be described (e.g. the broker lacks DescribeGroups).
  std::string state = "Unknown";
  std::string assignor;
  /// False when members could not be described; members is then empty and means nothing.
  bool described = false;
  std::vector<GroupMemberInfo> members;      // sorted by member_id
  std::vector<GroupPartition> partitions;    // sorted by (topic, partition)
  std::vector<GroupTopic> topics;            // sorted by topic
  GroupStatus status = GroupStatus::kUnknown;
  std::string error;  // why describing or reading offsets failed, "" when neither did
  /// When the group's committed offsets were last read successfully (adaptive sampling reads idle groups
  /// less often, and a failed read keeps the last values; in between the group is served with the values
  /// of that read). Epoch when never.
  WallClock::time_point observed_at{};
  /// Set by GroupList whenever it makes or hands out a group to change: unique in the process, so
  /// equal versions mean the same content (0: never in a list).
  uint64_t version = 0;
};

/// See the file comment. Copying a list shares its groups.
class GroupList {
 public:
  using Ptr = std::shared_ptr<const ConsumerGroup>;
  using const_iterator = boost::indirect_iterator<std::vector<Ptr>::const_iterator, const ConsumerGroup>;
  using iterator = const_iterator;
  using value_type = ConsumerGroup;

  GroupList() = default;
  GroupList(std::initializer_list<ConsumerGroup> groups) {
    for (const auto& g : groups) push_back(g);
  }
  explicit GroupList(std::vector<ConsumerGroup> groups) {
    for (auto& g : groups) push_back(std::move(g));
  }

  const_iterator begin() const { return const_iterator(items_.begin()); }
  const_iterator end() const { return const_iterator(items_.end()); }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const ConsumerGroup& operator[](std::size_t i) const { return *items_[i]; }
  const ConsumerGroup& back() const { return *items_.back(); }

  /// A group to add to lists: created non-const, as Mutable expects, with a new version.
  static Ptr Make(ConsumerGroup group) {
    group.version = NextVersion();
    return std::make_shared<ConsumerGroup>(std::move(group));
  }

  /// The pointer to group i, to share it with another list.
  const Ptr& shared(std::size_t i) const { return items_[i]; }

  void push_back(ConsumerGroup group) { items_.push_back(Make(std::move(group))); }
  /// Shares a group with the lists that hold it; `group` comes from Make or another list's shared().
  void push_back(Ptr group) { items_.push_back(std::move(group)); }
  ConsumerGroup& emplace_back() {
    auto group = std::make_shared<ConsumerGroup>();
    group->version = NextVersion();
    ConsumerGroup& ref = *group;
    items_.push_back(std::move(group));
    return ref;
  }
  /// Group i, to change: copied first when another list (or pointer) shares it. Every group of a list
  /// is created non-const (Make, push_back, emplace_back), so changing the sole holder's group is defined.
  /// Only for a list no other thread is copying groups from. The group gets a new version.
  ConsumerGroup& Mutable(std::size_t i) {
    if (items_[i].use_count() != 1) items_[i] = std::make_shared<ConsumerGroup>(*items_[i]);
    auto& group = const_cast<ConsumerGroup&>(*items_[i]);
    group.version = NextVersion();
    return group;
  }

  void reserve(std::size_t n) { items_.reserve(n); }
  void clear() { items_.clear(); }

 private:
  static uint64_t NextVersion() {
    static std::atomic<uint64_t> last{0};
    return last.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  std::vector<Ptr> items_;
};

}  // namespace kpe::state
