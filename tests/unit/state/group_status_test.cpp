#include "state/group_status.h"

#include <gtest/gtest.h>

#include <limits>

#include <chrono>
#include <vector>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "state/offset_history.h"

namespace kpe::state {

// Readable names in assertion failures.
void PrintTo(PartitionStatus status, std::ostream* os) { *os << ToString(status); }
void PrintTo(GroupStatus status, std::ostream* os) { *os << ToString(status); }

namespace {

using namespace std::chrono_literals;

const WallClock::time_point kT0 = WallClock::time_point{} + 1'700'000'000s;

WallClock::time_point At(int seconds) { return kT0 + std::chrono::seconds(seconds); }

struct Obs {
  int committed;
  int lag;
};

// Observations every 30 s starting at t=0.
std::vector<CommitSample> Window(const std::vector<Obs>& observations) {
  std::vector<CommitSample> window;
  int t = 0;
  for (const Obs& o : observations) {
    window.push_back({At(t), o.committed, o.lag});
    t += 30;
  }
  return window;
}

WallClock::time_point End(const std::vector<CommitSample>& window) { return window.back().observed_at; }

// n observations of the same committed offset with lag > 0.
std::vector<CommitSample> Unmoved(int n) { return Window(std::vector<Obs>(n, Obs{100, 50})); }

// ---- unknown

TEST(EvaluatePartitionTest, single_observation_is_unknown) {
  const auto w = Window({{100, 50}});
  EXPECT_EQ(EvaluatePartition(w, true, End(w)), PartitionStatus::kUnknown);
}

TEST(EvaluatePartitionTest, empty_window_is_unknown) {
  EXPECT_EQ(EvaluatePartition({}, true, At(0)), PartitionStatus::kUnknown);
}

TEST(EvaluatePartitionTest, two_observations_are_enough_to_judge) {
  const auto w = Window({{100, 50}, {110, 40}});
  EXPECT_EQ(EvaluatePartition(w, true, End(w)), PartitionStatus::kOk);
}

TEST(EvaluatePartitionTest, min_samples_is_configurable) {
  const auto w = Window({{100, 50}, {110, 40}});
  EXPECT_EQ(EvaluatePartition(w, true, End(w), {.min_samples = 3}), PartitionStatus::kUnknown);
}

// ---- rewind

TEST(EvaluatePartitionTest, committed_offset_going_back_is_rewind) {
  const auto w = Window({{100, 50}, {120, 40}, {10, 150}});
  EXPECT_EQ(EvaluatePartition(w, true, End(w)), PartitionStatus::kRewind);
}

TEST(EvaluatePartitionTest, committed_offset_staying_put_is_not_rewind) {
  const auto w = Window({{100, 50}, {120, 40}, {120, 45}});
  EXPECT_NE(EvaluatePartition(w, true, End(w)), PartitionStatus::kRewind);
}

TEST(EvaluatePartitionTest, rewind_wins_over_a_caught_up_observation) {
  // Reset to earliest right after being caught up.
  const auto w = Window({{500, 0}, {0, 500}});
  EXPECT_EQ(EvaluatePartition(w, false, End(w)), PartitionStatus::kRewind);
}

TEST(EvaluatePartitionTest, rewind_wins_over_stopped) {
  const auto w = Window({{500, 10}, {0, 510}, {0, 510}, {0, 510}});
  EXPECT_EQ(EvaluatePartition(w, false, End(w) + 1h), PartitionStatus::kRewind);
}

TEST(EvaluatePartitionTest, rewind_leaves_the_window_after_n_observations) {
  CommitWindow window(3);
  window.Add({At(0), 500, 10});
  window.Add({At(30), 0, 510});
  window.Add({At(60), 100, 410});
  EXPECT_EQ(EvaluatePartition(window.samples(), true, At(60), {.window_size = 3}), PartitionStatus::kRewind);
  window.Add({At(90), 200, 310});
  EXPECT_EQ(EvaluatePartition(window.samples(), true, At(90), {.window_size = 3}), PartitionStatus::kOk);
}

// ---- ok because caught up

TEST(EvaluatePartitionTest, zero_lag_anywhere_in_the_window_is_ok) {
  // Members, full window, offset never moved: would be stalled but for the one zero lag.
  std::vector<CommitSample> w = Unmoved(10);
  w[4].lag = 0;
  EXPECT_EQ(EvaluatePartition(w, true, End(w)), PartitionStatus::kOk);
}

TEST(EvaluatePartitionTest, zero_lag_wins_over_stopped) {
  const auto w = Window({{100, 0}, {100, 5}, {100, 10}});
  EXPECT_EQ(EvaluatePartition(w, false, End(w) + 1h), PartitionStatus::kOk);
}

// ---- stopped

TEST(EvaluatePartitionTest, no_members_lag_and_no_commit_over_the_window_is_stopped) {
  const auto w = Unmoved(3);
  EXPECT_EQ(EvaluatePartition(w, false, End(w)), PartitionStatus::kStopped);
}

TEST(EvaluatePartitionTest, members_present_is_not_stopped) {
  const auto w = Unmoved(3);
  EXPECT_EQ(EvaluatePartition(w, true, End(w)), PartitionStatus::kOk);
}

TEST(EvaluatePartitionTest, memberless_committer_that_just_moved_is_not_stopped) {
  // Flink-style: commits without group membership. Moved at the newest observation.
  const auto w = Window({{100, 50}, {100, 60}, {180, 20}});
  EXPECT_EQ(EvaluatePartition(w, false, End(w)), PartitionStatus::kOk);
}

TEST(EvaluatePartitionTest, memberless_committer_silent_longer_than_the_window_is_stopped) {
  // Last move seen at t=30; the window spans 60 s; at t=90 it has been silent for 60 s.
  const auto w = Window({{100, 50}, {150, 20}, {150, 30}});
  EXPECT_EQ(EvaluatePartition(w, false, At(89)), PartitionStatus::kOk);
  EXPECT_EQ(EvaluatePartition(w, false, At(90)), PartitionStatus::kStopped);
}

TEST(EvaluatePartitionTest, stopped_after_overrides_the_window_span) {
  const auto w = Unmoved(3);  // unchanged since t=0
  const StatusOptions options{.stopped_after = 300s};
  EXPECT_EQ(EvaluatePartition(w, false, At(299), options), PartitionStatus::kOk);
  EXPECT_EQ(EvaluatePartition(w, false, At(300), options), PartitionStatus::kStopped);
}

TEST(EvaluatePartitionTest, window_without_span_is_not_stopped) {
  // Two observations at the same instant say nothing about time.
  const std::vector<CommitSample> w = {{At(0), 100, 50}, {At(0), 100, 50}};
  EXPECT_EQ(EvaluatePartition(w, false, At(0)), PartitionStatus::kOk);
}

// ---- stalled

TEST(EvaluatePartitionTest, members_lag_and_offset_unmoved_over_a_full_window_is_stalled) {
  const auto w = Unmoved(10);
  EXPECT_EQ(EvaluatePartition(w, true, End(w)), PartitionStatus::kStalled);
}

TEST(EvaluatePartitionTest, window_one_short_of_full_is_not_stalled) {
  const auto w = Unmoved(9);
  EXPECT_EQ(EvaluatePartition(w, true, End(w)), PartitionStatus::kOk);
}

TEST(EvaluatePartitionTest, one_move_in_the_window_is_not_stalled) {
  auto w = Unmoved(10);
  w.back().committed = 101;
  EXPECT_EQ(EvaluatePartition(w, true, End(w)), PartitionStatus::kOk);
}

TEST(EvaluatePartitionTest, window_size_is_configurable_for_stalled) {
  const auto w = Unmoved(4);
  EXPECT_EQ(EvaluatePartition(w, true, End(w), {.window_size = 4}), PartitionStatus::kStalled);
}

// ---- warning

std::vector<CommitSample> FallingBehind(int n) {
  std::vector<Obs> observations;
  for (int i = 0; i < n; ++i) observations.push_back({100 + 10 * i, 50 + 5 * i});
  return Window(observations);
}

TEST(EvaluatePartitionTest, lag_growing_across_a_full_window_is_warning) {
  const auto w = FallingBehind(10);
  EXPECT_EQ(EvaluatePartition(w, true, End(w)), PartitionStatus::kWarning);
}

TEST(EvaluatePartitionTest, one_flat_step_in_lag_is_not_warning) {
  auto w = FallingBehind(10);
  w[5].lag = w[4].lag;
  EXPECT_EQ(EvaluatePartition(w, true, End(w)), PartitionStatus::kOk);
}

TEST(EvaluatePartitionTest, lag_growing_over_a_partial_window_is_not_warning) {
  const auto w = FallingBehind(9);
  EXPECT_EQ(EvaluatePartition(w, true, End(w)), PartitionStatus::kOk);
}

TEST(EvaluatePartitionTest, memberless_committer_falling_behind_is_warning) {
  const auto w = FallingBehind(10);
  EXPECT_EQ(EvaluatePartition(w, false, End(w)), PartitionStatus::kWarning);
}

// ---- precedence between the error rules

TEST(EvaluatePartitionTest, stalled_wins_over_warning) {
  std::vector<Obs> observations;
  for (int i = 0; i < 10; ++i) observations.push_back({100, 50 + 5 * i});
  const auto w = Window(observations);
  EXPECT_EQ(EvaluatePartition(w, true, End(w)), PartitionStatus::kStalled);
}

TEST(EvaluatePartitionTest, stopped_wins_over_warning) {
  std::vector<Obs> observations;
  for (int i = 0; i < 10; ++i) observations.push_back({100, 50 + 5 * i});
  const auto w = Window(observations);
  EXPECT_EQ(EvaluatePartition(w, false, End(w)), PartitionStatus::kStopped);
}

// ---- last commit age

TEST(LastCommitAgeTest, empty_window_has_no_age) { EXPECT_FALSE(LastCommitAgeSeconds({}, At(0))); }

TEST(LastCommitAgeTest, age_counts_from_the_first_observation_of_the_current_offset) {
  const auto w = Window({{100, 5}, {120, 5}, {140, 5}, {140, 9}, {140, 12}});  // 140 first seen at t=60
  EXPECT_DOUBLE_EQ(LastCommitAgeSeconds(w, At(130)).value(), 70);
}

TEST(LastCommitAgeTest, offset_unchanged_in_the_window_counts_from_the_oldest_observation) {
  EXPECT_DOUBLE_EQ(LastCommitAgeSeconds(Unmoved(4), At(100)).value(), 100);
}

TEST(LastCommitAgeTest, returning_to_an_earlier_offset_is_a_change) {
  const auto w = Window({{100, 5}, {200, 5}, {100, 105}});
  EXPECT_DOUBLE_EQ(LastCommitAgeSeconds(w, At(60)).value(), 0);
}

TEST(LastCommitAgeTest, age_is_never_negative) {
  EXPECT_EQ(LastCommitAgeSeconds(Unmoved(2), At(-10)).value(), 0);
}

// ---- CommitWindow

TEST(CommitWindowTest, keeps_only_the_last_capacity_observations) {
  CommitWindow window(3);
  for (int i = 0; i < 5; ++i) window.Add({At(i), i, 1});
  ASSERT_EQ(window.samples().size(), 3u);
  EXPECT_EQ(window.samples().front().committed, 2);
  EXPECT_EQ(window.samples().back().committed, 4);
  EXPECT_TRUE(window.full());
}

TEST(CommitWindowTest, out_of_order_observation_is_dropped) {
  CommitWindow window;
  EXPECT_TRUE(window.Add({At(10), 5, 1}));
  EXPECT_FALSE(window.Add({At(9), 7, 1}));
  ASSERT_EQ(window.samples().size(), 1u);
  EXPECT_EQ(window.samples().front().committed, 5);
  EXPECT_FALSE(window.full());
}

TEST(CommitWindowTest, keeps_every_observation_exactly_in_its_compact_form) {
  CommitWindow window(4);
  const std::vector<CommitSample> added = {{At(0), 1'000, 50},
                                           {At(15) + std::chrono::milliseconds(250), 1'400, 0},
                                           {At(30), 1'400, 900},
                                           {At(1'000'000), 1'000'000'000, 1'999'999'999}};
  for (const auto& sample : added) window.Add(sample);
  EXPECT_FALSE(window.spilled());
  ASSERT_EQ(window.samples().size(), 4u);
  for (size_t i = 0; i < added.size(); ++i) {
    EXPECT_EQ(window.samples()[i].observed_at, added[i].observed_at) << i;
    EXPECT_EQ(window.samples()[i].committed, added[i].committed) << i;
    EXPECT_EQ(window.samples()[i].lag, added[i].lag) << i;
  }
  ASSERT_NE(window.newest(), nullptr);
  EXPECT_EQ(window.newest()->committed, 1'000'000'000);
}

TEST(CommitWindowTest, a_default_window_of_ordinary_moves_holds_its_observations_in_itself) {
  // Polled every 30 s, ~20,000 records consumed per poll, lag wandering by thousands: 6-7 bytes each.
  CommitWindow window;
  for (int i = 0; i < 25; ++i) window.Add({At(30 * i), 20'000 * i, 5'000 + (i % 3) * 1'500});
  EXPECT_TRUE(window.full());
  EXPECT_FALSE(window.spilled());
  const auto samples = window.samples();
  ASSERT_EQ(samples.size(), 10u);
  for (int k = 0; k < 10; ++k) {
    const int i = 15 + k;
    EXPECT_EQ(samples[k].observed_at, At(30 * i)) << k;
    EXPECT_EQ(samples[k].committed, 20'000 * i) << k;
    EXPECT_EQ(samples[k].lag, 5'000 + (i % 3) * 1'500) << k;
  }
}

TEST(CommitWindowTest, extreme_values_round_trip_exactly) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  CommitWindow window(4);
  // Differences beyond int64 (taken modulo 2^64), gaps of decades.
  const std::vector<CommitSample> added = {{At(0), kMax, 0},
                                           {At(0) + std::chrono::hours(40 * 365 * 24), kMin, kMax},
                                           {At(0) + std::chrono::hours(80 * 365 * 24), kMax, kMin},
                                           {At(0) + std::chrono::hours(80 * 365 * 24), 0, -1}};
  for (const auto& sample : added) window.Add(sample);
  const auto samples = window.samples();
  ASSERT_EQ(samples.size(), 4u);
  for (size_t i = 0; i < added.size(); ++i) {
    EXPECT_EQ(samples[i].observed_at, added[i].observed_at) << i;
    EXPECT_EQ(samples[i].committed, added[i].committed) << i;
    EXPECT_EQ(samples[i].lag, added[i].lag) << i;
  }
}

TEST(CommitWindowTest, large_moves_spill_to_the_heap_until_they_leave_the_window) {
  constexpr int64_t kFar = int64_t{1} << 62;  // 9 bytes per difference
  CommitWindow window(5);
  std::vector<CommitSample> added;
  for (int i = 0; i < 5; ++i) added.push_back({At(0) + std::chrono::hours(24 * 365 * i), i % 2 * kFar, (i + 1) % 2 * kFar});
  for (const auto& sample : added) window.Add(sample);
  EXPECT_TRUE(window.spilled());
  auto samples = window.samples();
  ASSERT_EQ(samples.size(), 5u);
  for (size_t i = 0; i < added.size(); ++i) {
    EXPECT_EQ(samples[i].observed_at, added[i].observed_at) << i;
    EXPECT_EQ(samples[i].committed, added[i].committed) << i;
    EXPECT_EQ(samples[i].lag, added[i].lag) << i;
  }
  const auto t = added.back().observed_at;
  for (int i = 1; i <= 5; ++i) window.Add({t + std::chrono::seconds(10 * i), 10 * i, 0});
  EXPECT_FALSE(window.spilled());  // the large moves have left the window: in the window itself again
  samples = window.samples();
  ASSERT_EQ(samples.size(), 5u);
  EXPECT_EQ(samples.front().committed, 10);
  EXPECT_EQ(samples.back().committed, 50);
  EXPECT_EQ(samples.back().observed_at, t + std::chrono::seconds(50));
}

TEST(CommitWindowTest, a_rewind_of_a_big_topic_is_kept_exactly) {
  CommitWindow window(3);
  window.Add({At(0), 5'000'000'000, 10});
  window.Add({At(10), 0, 5'000'000'010});  // a reset to the beginning of a big topic: -5*10^9
  EXPECT_EQ(window.samples().front().committed, 5'000'000'000);
  EXPECT_EQ(window.samples().back().lag, 5'000'000'010);
  EXPECT_EQ(EvaluatePartition(window.samples(), true, At(10), {.window_size = 3}), PartitionStatus::kRewind);
}

TEST(CommitWindowTest, moved_windows_keep_their_observations_inline_or_spilled) {
  CommitWindow small(3);
  small.Add({At(0), 1, 1});
  small.Add({At(10), 2, 1});
  CommitWindow big(3);
  big.Add({At(0), std::numeric_limits<int64_t>::max(), 0});
  big.Add({At(10), std::numeric_limits<int64_t>::min(), 0});
  big.Add({At(20), std::numeric_limits<int64_t>::max(), 0});
  std::vector<CommitWindow> windows;
  windows.push_back(std::move(small));
  windows.push_back(std::move(big));
  windows.reserve(100);  // moves them again
  EXPECT_FALSE(windows[0].spilled());
  EXPECT_EQ(windows[0].samples().front().committed, 1);
  EXPECT_EQ(windows[0].samples().back().committed, 2);
  ASSERT_EQ(windows[1].samples().size(), 3u);
  EXPECT_EQ(windows[1].samples()[1].committed, std::numeric_limits<int64_t>::min());
  CommitWindow assigned(5);
  assigned = std::move(windows[1]);
  EXPECT_EQ(assigned.capacity(), 3u);
  EXPECT_EQ(assigned.samples()[0].committed, std::numeric_limits<int64_t>::max());
}

TEST(CommitWindowTest, a_gap_beyond_24_days_is_kept_exactly) {
  CommitWindow window;
  window.Add({At(0), 1, 1});
  window.Add({At(30 * 86'400), 2, 1});
  EXPECT_EQ(window.samples().front().observed_at, At(0));
  EXPECT_DOUBLE_EQ(LastCommitAgeSeconds(window.samples(), At(30 * 86'400)).value(), 0);
}

TEST(CommitWindowTest, observation_times_are_kept_to_the_millisecond) {
  CommitWindow window;
  window.Add({At(0) + std::chrono::microseconds(1'999), 1, 1});
  window.Add({At(0) + std::chrono::microseconds(2'500), 1, 1});  // 2.5 ms: rounded down, in order
  ASSERT_EQ(window.samples().size(), 2u);
  EXPECT_EQ(window.samples()[0].observed_at, At(0) + std::chrono::milliseconds(1));
  EXPECT_EQ(window.samples()[1].observed_at, At(0) + std::chrono::milliseconds(2));
}

TEST(CommitWindowTest, capacity_outside_2_to_255_is_rejected_naming_the_parameter) {
  for (size_t capacity : {size_t{1}, size_t{256}}) {
    try {
      CommitWindow window(capacity);
      FAIL() << "expected std::invalid_argument for " << capacity;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()),
                "CommitWindow: capacity must be 2 to 255 observations, got " + std::to_string(capacity));
    }
  }
  EXPECT_EQ(CommitWindow(255).capacity(), 255u);
}

// ---- group table (one test per row of the header's table)

using P = PartitionStatus;

GroupStatus Group(std::vector<P> statuses, bool members, std::string_view state) {
  return EvaluateGroup(statuses, members, state);
}

TEST(EvaluateGroupTest, any_rewind_makes_the_group_rewind_even_when_empty) {
  EXPECT_EQ(Group({P::kOk, P::kRewind, P::kStopped}, true, "Stable"), GroupStatus::kRewind);
  EXPECT_EQ(Group({P::kRewind}, false, "Empty"), GroupStatus::kRewind);
}

TEST(EvaluateGroupTest, memberless_group_with_unmoving_lag_is_stopped_not_empty) {
  EXPECT_EQ(Group({P::kOk, P::kStopped}, false, "Empty"), GroupStatus::kStopped);
}

TEST(EvaluateGroupTest, worst_error_status_wins) {
  EXPECT_EQ(Group({P::kOk, P::kWarning, P::kStalled}, true, "Stable"), GroupStatus::kStalled);
  EXPECT_EQ(Group({P::kStalled, P::kStopped, P::kWarning}, true, "Stable"), GroupStatus::kStopped);
  EXPECT_EQ(Group({P::kUnknown, P::kWarning, P::kOk}, true, "Stable"), GroupStatus::kWarning);
}

TEST(EvaluateGroupTest, memberless_group_falling_behind_is_warning_not_empty) {
  EXPECT_EQ(Group({P::kWarning, P::kOk}, false, "Empty"), GroupStatus::kWarning);
}

TEST(EvaluateGroupTest, memberless_caught_up_group_in_state_empty_is_empty) {
  EXPECT_EQ(Group({P::kOk, P::kOk}, false, "Empty"), GroupStatus::kEmpty);
  EXPECT_EQ(Group({P::kOk, P::kUnknown}, false, "Empty"), GroupStatus::kEmpty);
  EXPECT_EQ(Group({P::kUnknown}, false, "Empty"), GroupStatus::kEmpty);
}

TEST(EvaluateGroupTest, memberless_group_without_partitions_is_empty_whatever_the_state) {
  EXPECT_EQ(Group({}, false, "Dead"), GroupStatus::kEmpty);
  EXPECT_EQ(Group({}, false, ""), GroupStatus::kEmpty);
}

TEST(EvaluateGroupTest, broker_state_is_compared_ignoring_case) {
  EXPECT_EQ(Group({P::kOk}, false, "EMPTY"), GroupStatus::kEmpty);
  EXPECT_EQ(Group({P::kOk}, false, "empty"), GroupStatus::kEmpty);
}

TEST(EvaluateGroupTest, memberless_ok_group_in_another_state_is_ok) {
  // E.g. members just left during a rebalance: the broker does not call it empty yet.
  EXPECT_EQ(Group({P::kOk}, false, "PreparingRebalance"), GroupStatus::kOk);
}

TEST(EvaluateGroupTest, group_with_members_and_state_empty_is_not_empty) {
  EXPECT_EQ(Group({P::kOk}, true, "Empty"), GroupStatus::kOk);
}

TEST(EvaluateGroupTest, ok_partitions_with_some_unknown_make_the_group_ok) {
  EXPECT_EQ(Group({P::kUnknown, P::kOk}, true, "Stable"), GroupStatus::kOk);
}

TEST(EvaluateGroupTest, all_partitions_unknown_makes_the_group_unknown) {
  EXPECT_EQ(Group({P::kUnknown, P::kUnknown}, true, "Stable"), GroupStatus::kUnknown);
  EXPECT_EQ(Group({P::kUnknown}, false, "Stable"), GroupStatus::kUnknown);
}

TEST(EvaluateGroupTest, group_with_members_and_no_partitions_is_unknown) {
  EXPECT_EQ(Group({}, true, "Stable"), GroupStatus::kUnknown);
}

// ---- names

TEST(GroupStatusTest, label_values_are_lower_case_names_in_one_hot_order) {
  std::vector<std::string> names;
  for (GroupStatus s : kAllGroupStatuses) names.emplace_back(ToString(s));
  EXPECT_EQ(names,
            (std::vector<std::string>{"ok", "warning", "stalled", "stopped", "rewind", "empty", "unknown"}));
}

TEST(GroupStatusTest, partition_statuses_share_the_group_names) {
  EXPECT_EQ(ToString(P::kOk), "ok");
  EXPECT_EQ(ToString(P::kWarning), "warning");
  EXPECT_EQ(ToString(P::kStalled), "stalled");
  EXPECT_EQ(ToString(P::kStopped), "stopped");
  EXPECT_EQ(ToString(P::kRewind), "rewind");
  EXPECT_EQ(ToString(P::kUnknown), "unknown");
}

// ---- a scripted timeline through both pieces, as the collector will drive them

TEST(ScriptedTimelineTest, consumer_that_hangs_goes_from_ok_to_stalled_and_its_lag_seconds_grow) {
  // Producer: 100 records/s. Consumer: 60 s behind until it hangs at t=600 with members still present.
  // The exporter polls every 30 s.
  OffsetHistory history;
  CommitWindow window;
  auto newest_at = [](int t) { return 100LL * t; };
  auto committed_at = [&](int t) { return newest_at(std::min(t, 600) - 60); };
  for (int t = 60; t <= 600; t += 30) {
    history.Add(At(t), newest_at(t));
    window.Add({At(t), committed_at(t), OffsetHistory::Lag(newest_at(t), committed_at(t))});
  }
  EXPECT_EQ(EvaluatePartition(window.samples(), true, At(600)), PartitionStatus::kOk);
  EXPECT_NEAR(history.LagSeconds(committed_at(600), At(600)).value(), 60, 1e-6);

  int t = 600;
  for (int polls = 1; polls <= 8; ++polls) {
    t += 30;
    history.Add(At(t), newest_at(t));
    window.Add({At(t), committed_at(t), OffsetHistory::Lag(newest_at(t), committed_at(t))});
    // Lag grows every poll, but the window still holds the steady (flat-lag) observations from before
    // the hang: neither warning nor stalled yet. This delay of up to one window is the price of judging
    // trends rather than single observations.
    EXPECT_EQ(EvaluatePartition(window.samples(), true, At(t)), PartitionStatus::kOk) << "t=" << t;
  }
  t += 30;  // the 10th observation of the hung offset (first seen at t=600) fills the window
  history.Add(At(t), newest_at(t));
  window.Add({At(t), committed_at(t), OffsetHistory::Lag(newest_at(t), committed_at(t))});
  EXPECT_EQ(EvaluatePartition(window.samples(), true, At(t)), PartitionStatus::kStalled);
  ASSERT_EQ(t, 870);
  EXPECT_NEAR(history.LagSeconds(committed_at(t), At(t)).value(), 870 - 540, 1e-6);  // offset of t=540
  EXPECT_DOUBLE_EQ(LastCommitAgeSeconds(window.samples(), At(t)).value(), 870 - 600);
}

}  // namespace
}  // namespace kpe::state
