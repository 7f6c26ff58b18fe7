#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "collect/adaptive_schedule.h"
#include "collect/cpu_governor.h"

namespace kpe::collect {
namespace {

using namespace std::chrono_literals;
using state::WallClock;

const WallClock::time_point kT0 = WallClock::time_point{} + 1'000'000s;

TEST(AdaptiveScheduleTest, unknown_entity_is_due) {
  AdaptiveSchedule schedule(15s, 120s, true);
  EXPECT_TRUE(schedule.Due("orders", kT0));
}

TEST(AdaptiveScheduleTest, changing_entity_is_due_every_minimum_interval) {
  AdaptiveSchedule schedule(15s, 120s, true);
  schedule.Sampled("orders", kT0, Activity::kChanging);
  EXPECT_FALSE(schedule.Due("orders", kT0 + 5s));
  EXPECT_TRUE(schedule.Due("orders", kT0 + 15s));
  EXPECT_EQ(schedule.IntervalOf("orders"), 15s);
}

TEST(AdaptiveScheduleTest, steady_entity_doubles_its_interval_up_to_the_maximum) {
  AdaptiveSchedule schedule(15s, 120s, true);
  auto t = kT0;
  schedule.Sampled("idle", t, Activity::kSteady);
  EXPECT_EQ(schedule.IntervalOf("idle"), 15s);
  for (auto expected : {30s, 60s, 120s, 120s}) {
    t += schedule.IntervalOf("idle");
    schedule.Sampled("idle", t, Activity::kSteady);
    EXPECT_EQ(schedule.IntervalOf("idle"), expected);
  }
  // Due after the interval less 7.5 s of slack, and at most half of (120 s − 15 s) earlier (the spread).
  EXPECT_FALSE(schedule.Due("idle", t + 59s));
  EXPECT_TRUE(schedule.Due("idle", t + 113s));
}

TEST(AdaptiveScheduleTest, a_steady_entity_is_due_between_its_interval_less_the_spread_and_its_interval) {
  AdaptiveSchedule schedule(15s, 120s, true);
  int early = 0;
  for (int k = 0; k < 200; ++k) {
    const std::string key = "t" + std::to_string(k);
    auto t = kT0;
    for (int i = 0; i < 5; ++i, t += 120s) schedule.Sampled(key, t, Activity::kSteady);
    t -= 120s;  // the last sample; its interval is 120 s
    ASSERT_EQ(schedule.IntervalOf(key), 120s);
    EXPECT_FALSE(schedule.Due(key, t + 59s)) << key;
    EXPECT_TRUE(schedule.Due(key, t + 113s)) << key;
    if (schedule.Due(key, t + 90s)) ++early;
  }
  // The spread is random, not fixed: some keys are due before the middle of the range, some after.
  EXPECT_GT(early, 40);
  EXPECT_LT(early, 160);
}

TEST(AdaptiveScheduleTest, entities_read_in_one_tick_spread_over_the_interval_instead_of_coming_in_waves) {
  // 500 groups read together at start-up (as the first cycle does), then steady, a tick every 15 s.
  constexpr int kEntities = 500;
  AdaptiveSchedule schedule(15s, 120s, true);
  std::vector<WallClock::time_point> last(kEntities, kT0);
  for (int k = 0; k < kEntities; ++k) schedule.Sampled("g" + std::to_string(k), kT0, Activity::kSteady);
  size_t busiest = 0;
  size_t reads = 0;
  WallClock::duration stalest{};
  constexpr int kTicks = 240;  // an hour
  for (int tick = 1; tick <= kTicks; ++tick) {
    const auto now = kT0 + tick * 15s;
    size_t due = 0;
    for (int k = 0; k < kEntities; ++k) {
      const std::string key = "g" + std::to_string(k);
      if (!schedule.Due(key, now)) continue;
      ++due;
      stalest = std::max(stalest, now - last[k]);
      last[k] = now;
      schedule.Sampled(key, now, Activity::kSteady);
    }
    if (tick > kTicks / 2) {  // the second half hour
      busiest = std::max(busiest, due);
      reads += due;
    }
  }
  // Without the spread all 500 stay due in the same tick, every 8th tick (120 s), and none in between.
  const double per_tick = static_cast<double>(reads) / (kTicks / 2);
  EXPECT_LT(busiest, 2 * per_tick) << "mean " << per_tick << " per tick";
  EXPECT_LE(stalest, 120s);                 // never read later than the maximum interval
  EXPECT_LT(per_tick, kEntities / 4.0);     // on average read less than every 60 s
  EXPECT_GT(per_tick, kEntities / 8.0);     // and more often than every 120 s
}

TEST(AdaptiveScheduleTest, a_change_after_a_steady_stretch_returns_to_the_minimum) {
  AdaptiveSchedule schedule(15s, 120s, true);
  schedule.Sampled("t", kT0, Activity::kSteady);
  schedule.Sampled("t", kT0 + 15s, Activity::kSteady);
  schedule.Sampled("t", kT0 + 45s, Activity::kChanging);
  EXPECT_EQ(schedule.IntervalOf("t"), 15s);
}

TEST(AdaptiveScheduleTest, alarming_sample_makes_the_entity_due_at_once) {
  AdaptiveSchedule schedule(15s, 120s, true);
  schedule.Sampled("t", kT0, Activity::kSteady);
  schedule.Sampled("t", kT0 + 15s, Activity::kAlarming);
  EXPECT_TRUE(schedule.Due("t", kT0 + 15s));
  EXPECT_EQ(schedule.IntervalOf("t"), 15s);
}

TEST(AdaptiveScheduleTest, tighten_makes_a_stretched_entity_due_at_the_next_tick) {
  AdaptiveSchedule schedule(15s, 120s, true);
  for (int i = 0; i < 4; ++i) schedule.Sampled("t", kT0 + i * 15s, Activity::kSteady);
  EXPECT_FALSE(schedule.Due("t", kT0 + 60s));
  schedule.Tighten("t");
  EXPECT_TRUE(schedule.Due("t", kT0 + 60s));
  EXPECT_EQ(schedule.IntervalOf("t"), 15s);
}

TEST(AdaptiveScheduleTest, governor_stretch_delays_alarms_and_tightening_too) {
  AdaptiveSchedule schedule(15s, 120s, true);
  schedule.SetStretch(4.0);
  schedule.Sampled("t", kT0, Activity::kAlarming);
  EXPECT_FALSE(schedule.Due("t", kT0 + 15s));
  EXPECT_TRUE(schedule.Due("t", kT0 + 45s));  // 4 × 15 s − 15 s after the sample
  schedule.Sampled("u", kT0, Activity::kSteady);
  schedule.Tighten("u");
  EXPECT_FALSE(schedule.Due("u", kT0 + 15s));
  EXPECT_TRUE(schedule.Due("u", kT0 + 53s));
}

TEST(AdaptiveScheduleTest, without_adaptive_sampling_every_entity_stays_at_the_minimum) {
  AdaptiveSchedule schedule(15s, 120s, false);
  for (int i = 0; i < 5; ++i) schedule.Sampled("t", kT0 + i * 15s, Activity::kSteady);
  EXPECT_EQ(schedule.IntervalOf("t"), 15s);
  EXPECT_TRUE(schedule.Due("t", kT0 + 60s));  // at every tick, however soon
}

TEST(AdaptiveScheduleTest, without_adaptive_sampling_everything_is_due_at_every_tick) {
  AdaptiveSchedule schedule(15s, 120s, false);
  schedule.Sampled("t", kT0, Activity::kChanging);
  EXPECT_TRUE(schedule.Due("t", kT0 + 1s));
}

TEST(AdaptiveScheduleTest, stretch_scales_intervals_and_due_times) {
  AdaptiveSchedule schedule(15s, 120s, true);
  schedule.SetStretch(2.0);
  schedule.Sampled("t", kT0, Activity::kChanging);
  EXPECT_EQ(schedule.IntervalOf("t"), 30s);
  EXPECT_FALSE(schedule.Due("t", kT0 + 20s));
  EXPECT_TRUE(schedule.Due("t", kT0 + 30s));
  schedule.SetStretch(0.5);  // never below 1
  EXPECT_EQ(schedule.stretch(), 1.0);
}

TEST(AdaptiveScheduleTest, retain_forgets_entities_that_are_gone_and_stats_summarise) {
  AdaptiveSchedule schedule(15s, 120s, true);
  schedule.Sampled("a", kT0, Activity::kChanging);
  for (int i = 0; i < 3; ++i) schedule.Sampled("b", kT0 + i * 1s, Activity::kSteady);
  auto stats = schedule.Stats();
  EXPECT_EQ(stats.entities, 2u);
  EXPECT_DOUBLE_EQ(stats.min_seconds, 15);
  EXPECT_DOUBLE_EQ(stats.max_seconds, 60);
  EXPECT_DOUBLE_EQ(stats.avg_seconds, 37.5);
  schedule.Retain({"a"});
  EXPECT_EQ(schedule.Stats().entities, 1u);
}

class FakeCpu {
 public:
  double seconds = 0;
  CpuGovernor::CpuReader Reader() {
    return [this] { return seconds; };
  }
};

TEST(CpuGovernorTest, over_budget_stretches_and_under_half_relaxes) {
  FakeCpu cpu;
  CpuGovernor governor(0.01, 60s, cpu.Reader());
  const auto t0 = CpuGovernor::Clock::time_point{} + 1000s;
  governor.Update(t0);
  cpu.seconds = 0.6;  // 0.6 s in 20 s: 3% of a core
  governor.Update(t0 + 20s);
  EXPECT_NEAR(governor.usage_cores(), 0.03, 1e-9);
  EXPECT_DOUBLE_EQ(governor.stretch(), 1.5);
  cpu.seconds = 1.2;
  governor.Update(t0 + 40s);
  EXPECT_DOUBLE_EQ(governor.stretch(), 2.25);
  // Then idle for long enough that the window holds only idle time: relax one step per update.
  governor.Update(t0 + 200s);
  EXPECT_LT(governor.usage_cores(), 0.005);
  EXPECT_DOUBLE_EQ(governor.stretch(), 1.5);
  governor.Update(t0 + 220s);
  EXPECT_DOUBLE_EQ(governor.stretch(), 1.0);
  governor.Update(t0 + 240s);
  EXPECT_DOUBLE_EQ(governor.stretch(), 1.0);
}

TEST(CpuGovernorTest, usage_between_half_and_full_budget_keeps_the_stretch) {
  FakeCpu cpu;
  CpuGovernor governor(0.01, 60s, cpu.Reader());
  const auto t0 = CpuGovernor::Clock::time_point{} + 1000s;
  governor.Update(t0);
  cpu.seconds = 0.15;  // 0.75% over 20 s
  governor.Update(t0 + 20s);
  EXPECT_DOUBLE_EQ(governor.stretch(), 1.0);
}

TEST(CpuGovernorTest, judges_nothing_before_a_quarter_window_of_samples) {
  FakeCpu cpu;
  CpuGovernor governor(0.01, 60s, cpu.Reader());
  const auto t0 = CpuGovernor::Clock::time_point{} + 1000s;
  governor.Update(t0);
  cpu.seconds = 5;
  governor.Update(t0 + 5s);
  EXPECT_DOUBLE_EQ(governor.stretch(), 1.0);
  EXPECT_DOUBLE_EQ(governor.usage_cores(), 0.0);
}

TEST(CpuGovernorTest, zero_budget_measures_but_never_stretches) {
  FakeCpu cpu;
  CpuGovernor governor(0, 60s, cpu.Reader());
  const auto t0 = CpuGovernor::Clock::time_point{} + 1000s;
  governor.Update(t0);
  cpu.seconds = 10;
  governor.Update(t0 + 20s);
  EXPECT_NEAR(governor.usage_cores(), 0.5, 1e-9);
  EXPECT_DOUBLE_EQ(governor.stretch(), 1.0);
}

TEST(CpuGovernorTest, stretch_is_capped) {
  FakeCpu cpu;
  CpuGovernor governor(0.01, 60s, cpu.Reader());
  auto t = CpuGovernor::Clock::time_point{} + 1000s;
  for (int i = 0; i < 40; ++i, t += 20s) {
    cpu.seconds += 10;
    governor.Update(t);
  }
  EXPECT_DOUBLE_EQ(governor.stretch(), CpuGovernor::kMaxStretch);
}

TEST(CpuGovernorTest, process_cpu_seconds_grow_with_work) {
  const double before = CpuGovernor::ProcessCpuSeconds();
  volatile double sink = 0;
  for (int i = 0; i < 20'000'000; ++i) sink = sink + i * 0.5;
  EXPECT_GT(CpuGovernor::ProcessCpuSeconds(), before);
}

}  // namespace
}  // namespace kpe::collect
