#include "collect/group_tracker.h"

#include <gtest/gtest.h>

#include <chrono>

namespace kpe::collect {
namespace {

using namespace std::chrono_literals;
using state::WallClock;

const WallClock::time_point kT0 = WallClock::time_point{} + 1'000'000s;

std::vector<state::Topic> Orders(int64_t newest0, int64_t newest1, WallClock::time_point at) {
  state::Topic topic;
  topic.name = "orders";
  for (int32_t id = 0; id < 2; ++id) {
    state::Partition p;
    p.id = id;
    p.leader = 1;
    p.newest_offset = id == 0 ? newest0 : newest1;
    p.oldest_offset = 0;
    p.offsets_known = true;
    p.offsets_at = at;
    topic.partitions.push_back(p);
  }
  return {topic};
}

kafka::GroupDescription Described(const std::string& id, int members) {
  kafka::GroupDescription d;
  d.group_id = id;
  d.state = members > 0 ? "Stable" : "Empty";
  d.assignor = "range";
  for (int m = 0; m < members; ++m) {
    d.members.push_back({"m" + std::to_string(m), "client-" + std::to_string(m), "/10.0.0.1",
                         {{"orders", m}}});
  }
  return d;
}

GroupCycleAnswers Answers(std::vector<kafka::CommittedOffset> commits, int members = 1) {
  GroupCycleAnswers answers;
  answers.group_ids = {"billing"};
  answers.descriptions = {Described("billing", members)};
  kafka::GroupOffsets offsets;
  offsets.group_id = "billing";
  offsets.offsets = std::move(commits);
  answers.offsets = {offsets};
  return answers;
}

TEST(GroupTrackerTest, lag_is_newest_minus_committed_and_sums_per_topic) {
  GroupTracker tracker;
  const auto topics = Orders(100, 50, kT0);
  tracker.ObserveTopics(topics, kT0);
  const auto groups = tracker.Evaluate(Answers({{"orders", 0, 90, ""}, {"orders", 1, 50, ""}}), topics, kT0);
  ASSERT_EQ(groups.size(), 1u);
  const auto& g = groups[0];
  EXPECT_TRUE(g.described);
  EXPECT_EQ(g.state, "Stable");
  EXPECT_EQ(g.members.size(), 1u);
  ASSERT_EQ(g.partitions.size(), 2u);
  EXPECT_EQ(g.partitions[0].lag, 10);
  EXPECT_EQ(g.partitions[1].lag, 0);
  ASSERT_EQ(g.topics.size(), 1u);
  EXPECT_EQ(g.topics[0].committed_sum, 140);
  EXPECT_EQ(g.topics[0].lag_sum, 10);
  EXPECT_EQ(g.topics[0].uncommitted_partitions, 0);
  EXPECT_FALSE(g.topics[0].commit_rate.has_value());
}

TEST(GroupTrackerTest, committed_ahead_of_newest_gives_zero_lag_not_negative) {
  GroupTracker tracker;
  const auto topics = Orders(100, 50, kT0);
  tracker.ObserveTopics(topics, kT0);
  const auto groups = tracker.Evaluate(Answers({{"orders", 0, 120, ""}}), topics, kT0);
  EXPECT_EQ(groups[0].partitions[0].lag, 0);
}

TEST(GroupTrackerTest, partition_without_commit_has_no_lag_series_and_is_counted) {
  GroupTracker tracker;
  const auto topics = Orders(100, 50, kT0);
  tracker.ObserveTopics(topics, kT0);
  const auto groups = tracker.Evaluate(Answers({{"orders", 0, 90, ""}}), topics, kT0);
  ASSERT_EQ(groups[0].partitions.size(), 1u);
  EXPECT_EQ(groups[0].topics[0].uncommitted_partitions, 1);
}

TEST(GroupTrackerTest, commits_on_unwatched_topics_are_ignored) {
  GroupTracker tracker;
  const auto topics = Orders(100, 50, kT0);
  tracker.ObserveTopics(topics, kT0);
  const auto groups = tracker.Evaluate(Answers({{"secret", 0, 5, ""}}, 0), topics, kT0);
  EXPECT_TRUE(groups[0].partitions.empty());
  EXPECT_TRUE(groups[0].topics.empty());
}

TEST(GroupTrackerTest, lag_seconds_follow_the_produce_timeline) {
  GroupTracker tracker;
  // The producer writes 10 records/s on partition 0; the consumer stays at offset 100.
  std::vector<state::ConsumerGroup> groups;
  for (int s = 0; s <= 60; s += 15) {
    const auto now = kT0 + std::chrono::seconds(s);
    const auto topics = Orders(100 + 10 * s, 0, now);
    tracker.ObserveTopics(topics, now);
    groups = tracker.Evaluate(Answers({{"orders", 0, 100, ""}}), topics, now);
  }
  // Offset 100 was the newest at t0: 60 s ago.
  ASSERT_TRUE(groups[0].partitions[0].lag_seconds.has_value());
  EXPECT_NEAR(*groups[0].partitions[0].lag_seconds, 60.0, 0.5);
  EXPECT_EQ(groups[0].partitions[0].lag, 600);
}

TEST(GroupTrackerTest, commit_rate_is_the_committed_advance_per_second) {
  GroupTracker tracker;
  auto topics = Orders(1000, 1000, kT0);
  tracker.ObserveTopics(topics, kT0);
  tracker.Evaluate(Answers({{"orders", 0, 100, ""}, {"orders", 1, 200, ""}}), topics, kT0);
  const auto later = kT0 + 10s;
  topics = Orders(1000, 1000, later);
  tracker.ObserveTopics(topics, later);
  const auto groups =
      tracker.Evaluate(Answers({{"orders", 0, 150, ""}, {"orders", 1, 300, ""}}), topics, later);
  ASSERT_TRUE(groups[0].topics[0].commit_rate.has_value());
  EXPECT_DOUBLE_EQ(*groups[0].topics[0].commit_rate, 15.0);  // (50 + 100) / 10 s
}

TEST(GroupTrackerTest, rewind_gives_no_rate_and_is_the_status) {
  GroupTracker tracker;
  auto topics = Orders(1000, 1000, kT0);
  tracker.ObserveTopics(topics, kT0);
  tracker.Evaluate(Answers({{"orders", 0, 500, ""}}), topics, kT0);
  const auto later = kT0 + 10s;
  topics = Orders(1000, 1000, later);
  tracker.ObserveTopics(topics, later);
  const auto groups = tracker.Evaluate(Answers({{"orders", 0, 0, ""}}), topics, later);
  EXPECT_FALSE(groups[0].topics[0].commit_rate.has_value());
  EXPECT_EQ(groups[0].partitions[0].status, state::PartitionStatus::kRewind);
  EXPECT_EQ(groups[0].status, state::GroupStatus::kRewind);
}

TEST(GroupTrackerTest, undescribed_group_keeps_offsets_and_reports_the_error) {
  GroupTracker tracker;
  const auto topics = Orders(100, 50, kT0);
  tracker.ObserveTopics(topics, kT0);
  auto answers = Answers({{"orders", 0, 90, ""}});
  answers.descriptions[0].error = "Local: Timed out";
  const auto groups = tracker.Evaluate(answers, topics, kT0);
  EXPECT_FALSE(groups[0].described);
  EXPECT_EQ(groups[0].error, "describe: Local: Timed out");
  EXPECT_EQ(groups[0].partitions[0].lag, 10);
}

GroupCycleAnswers Unreadable(const std::string& error) {
  auto answers = Answers({});
  answers.offsets[0].error = error;
  answers.offsets[0].kind = kafka::ErrorKind::kTimeout;
  return answers;
}

TEST(GroupTrackerTest, unreadable_offsets_keep_the_last_good_read_as_it_was_with_its_time) {
  GroupTracker tracker;
  tracker.ObserveTopics(Orders(100, 50, kT0), kT0);
  const auto good =
      tracker.Evaluate(Answers({{"orders", 0, 90, ""}, {"orders", 1, 50, ""}}), Orders(100, 50, kT0), kT0);
  // 30 new records on partition 0 since: the last good lag (10) is served as read, not recomputed.
  const auto later = kT0 + 15s;
  tracker.ObserveTopics(Orders(130, 50, later), later);
  const auto groups = tracker.Evaluate(Unreadable("committed offsets: Local: Timed out"), Orders(130, 50, later),
                                       later, state::GroupList(good));
  ASSERT_EQ(groups.size(), 1u);
  const auto& g = groups[0];
  EXPECT_EQ(g.error, "offsets: committed offsets: Local: Timed out");
  EXPECT_EQ(g.observed_at, kT0);
  ASSERT_EQ(g.partitions.size(), 2u);
  EXPECT_EQ(g.partitions[0].committed_offset, 90);
  EXPECT_EQ(g.partitions[0].lag, 10);
  ASSERT_EQ(g.topics.size(), 1u);
  EXPECT_EQ(g.topics[0].lag_sum, 10);
  EXPECT_EQ(g.status, state::GroupStatus::kUnknown);  // nothing read: not "ok"
  EXPECT_EQ(tracker.tracked_commit_windows(), 2u);    // kept for when it answers again
}

TEST(GroupTrackerTest, group_answering_again_after_unreadable_offsets_has_its_commit_rate) {
  GroupTracker tracker;
  const auto topics = Orders(300, 300, kT0);
  tracker.ObserveTopics(topics, kT0);
  const auto good = tracker.Evaluate(Answers({{"orders", 0, 100, ""}}), topics, kT0);
  const auto failed = tracker.Evaluate(Unreadable("committed offsets: Local: Timed out"), topics, kT0 + 10s, state::GroupList(good));
  const auto again = tracker.Evaluate(Answers({{"orders", 0, 200, ""}}), topics, kT0 + 20s, state::GroupList(failed));
  EXPECT_EQ(again[0].error, "");
  EXPECT_EQ(again[0].observed_at, kT0 + 20s);
  ASSERT_TRUE(again[0].topics[0].commit_rate.has_value());
  EXPECT_NEAR(*again[0].topics[0].commit_rate, 100.0 / 20, 1e-9);
}

TEST(GroupTrackerTest, unreadable_offsets_without_an_earlier_read_give_no_partitions_and_no_read_time) {
  GroupTracker tracker;
  const auto groups = tracker.Evaluate(Unreadable("committed offsets: Local: Timed out"), Orders(100, 50, kT0), kT0);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_FALSE(groups[0].error.empty());
  EXPECT_TRUE(groups[0].partitions.empty());
  EXPECT_TRUE(groups[0].topics.empty());
  EXPECT_EQ(groups[0].observed_at, WallClock::time_point{});
}

TEST(GroupTrackerTest, a_partition_answered_with_an_error_keeps_its_last_read_and_the_group_says_why) {
  GroupTracker tracker;
  tracker.ObserveTopics(Orders(100, 50, kT0), kT0);
  const auto good =
      tracker.Evaluate(Answers({{"orders", 0, 90, ""}, {"orders", 1, 40, ""}}), Orders(100, 50, kT0), kT0);
  const auto later = kT0 + 15s;
  tracker.ObserveTopics(Orders(130, 60, later), later);
  const auto groups = tracker.Evaluate(
      Answers({{"orders", 0, 120, ""}, {"orders", 1, -1, "Broker: Unknown topic or partition"}}),
      Orders(130, 60, later), later, state::GroupList(good));
  ASSERT_EQ(groups.size(), 1u);
  const auto& g = groups[0];
  EXPECT_EQ(g.error, "offsets: 1 partition: Broker: Unknown topic or partition");
  ASSERT_EQ(g.partitions.size(), 2u);
  EXPECT_EQ(g.partitions[0].committed_offset, 120);  // read now
  EXPECT_EQ(g.partitions[0].lag, 10);
  EXPECT_EQ(g.partitions[1].committed_offset, 40);  // the last good read, as it was
  EXPECT_EQ(g.partitions[1].lag, 10);
  ASSERT_EQ(g.topics.size(), 1u);
  EXPECT_EQ(g.topics[0].committed_sum, 160);
  EXPECT_EQ(g.topics[0].lag_sum, 20);
  EXPECT_EQ(g.topics[0].uncommitted_partitions, 0);
  EXPECT_EQ(tracker.tracked_commit_windows(), 2u);  // kept for when it answers again

  // Answered again: its rate counts from its own last good observation.
  const auto again = tracker.Evaluate(Answers({{"orders", 0, 120, ""}, {"orders", 1, 70, ""}}),
                                      Orders(130, 70, kT0 + 30s), kT0 + 30s, state::GroupList(groups));
  EXPECT_EQ(again[0].error, "");
  ASSERT_TRUE(again[0].topics[0].commit_rate.has_value());
  EXPECT_NEAR(*again[0].topics[0].commit_rate, 0.0 / 15 + 30.0 / 30, 1e-9);  // 0 did not move
}

TEST(GroupTrackerTest, partitions_answered_with_errors_and_never_read_are_not_served_but_counted) {
  GroupTracker tracker;
  const auto groups = tracker.Evaluate(Answers({{"orders", 0, -1, "Broker: Unknown topic or partition"},
                                                {"orders", 1, -1, "Broker: Unknown topic or partition"}}),
                                       Orders(100, 50, kT0), kT0);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].error, "offsets: 2 partitions: Broker: Unknown topic or partition");
  EXPECT_TRUE(groups[0].partitions.empty());
  EXPECT_EQ(tracker.tracked_commit_windows(), 0u);
}

TEST(GroupTrackerTest, state_comes_from_the_listing_when_not_described) {
  GroupTracker tracker;
  const auto topics = Orders(100, 50, kT0);
  auto answers = Answers({});
  answers.descriptions.clear();
  answers.listed_states["billing"] = "Empty";
  const auto groups = tracker.Evaluate(answers, topics, kT0);
  EXPECT_EQ(groups[0].state, "Empty");
  EXPECT_EQ(groups[0].status, state::GroupStatus::kEmpty);
}

TEST(GroupTrackerTest, windows_and_histories_of_vanished_groups_and_topics_are_forgotten) {
  GroupTracker tracker;
  auto topics = Orders(100, 50, kT0);
  tracker.ObserveTopics(topics, kT0);
  tracker.Evaluate(Answers({{"orders", 0, 90, ""}, {"orders", 1, 40, ""}}), topics, kT0);
  EXPECT_EQ(tracker.tracked_commit_windows(), 2u);
  EXPECT_EQ(tracker.tracked_partitions(), 2u);
  tracker.Evaluate(Answers({{"orders", 0, 91, ""}}), topics, kT0 + 15s);  // partition 1's commit is gone
  EXPECT_EQ(tracker.tracked_commit_windows(), 1u);
  tracker.RetainGroups({});
  EXPECT_EQ(tracker.tracked_commit_windows(), 0u);
  tracker.ObserveTopics({}, kT0 + 15s);
  EXPECT_EQ(tracker.tracked_partitions(), 0u);
}

TEST(GroupTrackerTest, stale_offsets_add_no_history_sample) {
  GroupTracker tracker;
  tracker.ObserveTopics(Orders(100, 50, kT0), kT0);
  tracker.ObserveTopics(Orders(100, 50, kT0), kT0 + 15s);  // carried over, fetched at kT0
  auto topics = Orders(100, 50, kT0);
  const auto groups = tracker.Evaluate(Answers({{"orders", 0, 90, ""}}), topics, kT0 + 15s);
  // One sample only: lag seconds is the lower bound since that sample (15 s).
  ASSERT_TRUE(groups[0].partitions[0].lag_seconds.has_value());
  EXPECT_NEAR(*groups[0].partitions[0].lag_seconds, 15.0, 1e-6);
}

}  // namespace
}  // namespace kpe::collect
