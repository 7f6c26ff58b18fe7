#include "state/consumer_group.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace kpe::state {
namespace {

ConsumerGroup Group(const std::string& id, int64_t lag) {
  ConsumerGroup g;
  g.id = id;
  GroupPartition& p = g.partitions.emplace_back();
  p.topic = "orders";
  p.committed_offset = 100;
  p.lag = lag;
  p.status = PartitionStatus::kOk;
  return g;
}

std::vector<std::string> Ids(const GroupList& list) {
  std::vector<std::string> out;
  for (const ConsumerGroup& g : list) out.push_back(g.id);
  return out;
}

TEST(GroupListTest, copies_share_the_groups) {
  GroupList first{Group("a", 1), Group("b", 2)};
  const GroupList second = first;
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(&second[0], &first[0]);
  EXPECT_EQ(&second[1], &first[1]);
  EXPECT_EQ(first.shared(0).use_count(), 2);
  EXPECT_EQ(Ids(second), (std::vector<std::string>{"a", "b"}));
}

TEST(GroupListTest, mutable_copies_a_shared_group_and_leaves_the_other_list_as_it_was) {
  GroupList first{Group("a", 1), Group("b", 2)};
  GroupList second = first;
  second.Mutable(0).partitions[0].lag = 50;
  EXPECT_EQ(first[0].partitions[0].lag, 1);
  EXPECT_EQ(second[0].partitions[0].lag, 50);
  EXPECT_NE(&second[0], &first[0]);
  EXPECT_EQ(&second[1], &first[1]);  // the other group is still shared
}

TEST(GroupListTest, mutable_changes_a_group_held_by_one_list_in_place) {
  GroupList list;
  list.push_back(Group("a", 1));
  const ConsumerGroup* before = &list[0];
  list.Mutable(0).state = "Stable";
  EXPECT_EQ(&list[0], before);
  EXPECT_EQ(list[0].state, "Stable");
}

TEST(GroupListTest, groups_from_another_list_and_new_ones_mix) {
  GroupList old{Group("a", 1), Group("c", 3)};
  GroupList next;
  next.push_back(old.shared(0));
  next.push_back(GroupList::Make(Group("b", 2)));
  next.push_back(old.shared(1));
  auto& d = next.emplace_back();
  d.id = "d";
  EXPECT_EQ(Ids(next), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(&next[0], &old[0]);
  EXPECT_EQ(&next.back(), &d);
  // Iterators work with the standard algorithms.
  const auto it = std::find_if(next.begin(), next.end(), [](const ConsumerGroup& g) { return g.id == "c"; });
  ASSERT_NE(it, next.end());
  EXPECT_EQ(it->partitions[0].lag, 3);
  next.clear();
  EXPECT_TRUE(next.empty());
  EXPECT_EQ(old.shared(0).use_count(), 1);
}

TEST(GroupListTest, every_group_made_or_changed_gets_a_new_version) {
  GroupList list{ConsumerGroup{}, ConsumerGroup{}};
  EXPECT_NE(list[0].version, 0u);
  EXPECT_NE(list[0].version, list[1].version);
  const uint64_t before = list[0].version;
  GroupList copy = list;  // shares the groups
  EXPECT_EQ(copy[0].version, before);
  list.Mutable(0).id = "changed";
  EXPECT_NE(list[0].version, before);
  EXPECT_EQ(copy[0].version, before);  // the shared one was copied, not changed
  const uint64_t sole = list[0].version;
  list.Mutable(0);  // the sole holder: changed in place, a new version all the same
  EXPECT_NE(list[0].version, sole);
}

}  // namespace
}  // namespace kpe::state
