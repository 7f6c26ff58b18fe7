#include "state/offset_history.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <stdexcept>

namespace kpe::state {
namespace {

using namespace std::chrono_literals;

// A fixed, arbitrary origin for scripted timelines (2023-11-14T22:13:20Z).
const WallClock::time_point kT0 = WallClock::time_point{} + 1'700'000'000s;

WallClock::time_point At(double seconds) {
  return kT0 + std::chrono::duration_cast<WallClock::duration>(std::chrono::duration<double>(seconds));
}

// Producer at `rate` records/s from offset `start` at t=0, sampled every `interval` s until `until`.
OffsetHistory ConstantRate(double rate, double interval, double until, int64_t start = 0,
                           std::size_t max_samples = OffsetHistory::kDefaultMaxSamples) {
  OffsetHistory history(max_samples);
  for (double t = 0; t <= until; t += interval) history.Add(At(t), start + static_cast<int64_t>(rate * t));
  return history;
}

TEST(LagTest, lag_is_newest_minus_committed) { EXPECT_EQ(OffsetHistory::Lag(1500, 1200), 300); }

TEST(LagTest, lag_is_zero_when_commit_is_ahead_of_newest) { EXPECT_EQ(OffsetHistory::Lag(1200, 1500), 0); }

TEST(OffsetHistoryTest, constant_rate_consumer_n_seconds_behind_gets_n) {
  // 100 records/s sampled every 15 s for 10 min (41 samples: no compaction).
  const OffsetHistory history = ConstantRate(100, 15, 600);
  ASSERT_EQ(history.samples().size(), 41u);
  for (double behind : {1.0, 7.5, 14.0, 120.0, 593.0}) {
    const auto committed = static_cast<int64_t>(100 * (600 - behind));
    const auto estimate = history.EstimateLag(committed, At(600));
    ASSERT_TRUE(estimate);
    EXPECT_NEAR(estimate->seconds, behind, 1e-6) << "behind " << behind;
    EXPECT_EQ(estimate->method, LagMethod::kInterpolated);
    EXPECT_DOUBLE_EQ(estimate->max_error_seconds.value(), 15.0);
  }
}

TEST(OffsetHistoryTest, lag_seconds_grows_with_now_when_the_consumer_does_not_move) {
  const OffsetHistory history = ConstantRate(100, 15, 600);
  EXPECT_NEAR(history.LagSeconds(30'000, At(600)).value(), 300, 1e-6);
  EXPECT_NEAR(history.LagSeconds(30'000, At(660)).value(), 360, 1e-6);
}

TEST(OffsetHistoryTest, caught_up_consumer_has_zero_lag_seconds) {
  const OffsetHistory history = ConstantRate(100, 15, 600);
  const auto estimate = history.EstimateLag(60'000, At(605));
  ASSERT_TRUE(estimate);
  EXPECT_EQ(estimate->seconds, 0);
  EXPECT_EQ(estimate->method, LagMethod::kCaughtUp);
  EXPECT_EQ(estimate->max_error_seconds.value(), 0);
}

TEST(OffsetHistoryTest, commit_ahead_of_newest_sample_has_zero_lag_seconds) {
  // The consumer read offsets produced after the exporter's last watermark fetch.
  const OffsetHistory history = ConstantRate(100, 15, 600);
  EXPECT_EQ(history.LagSeconds(60'250, At(605)).value(), 0);
  EXPECT_EQ(OffsetHistory::Lag(60'000, 60'250), 0);
}

TEST(OffsetHistoryTest, bursty_producer_estimate_stays_within_the_documented_bound) {
  // Samples every 15 s; a burst of 1000 records at t=100 (between the samples at 90 and 105), quiet
  // before and after. A consumer at offset 500 waits for a record produced at t=100.
  OffsetHistory history;
  for (double t = 0; t <= 90; t += 15) history.Add(At(t), 0);
  for (double t = 105; t <= 300; t += 15) history.Add(At(t), 1000);
  const auto estimate = history.EstimateLag(500, At(300));
  ASSERT_TRUE(estimate);
  const double truth = 300 - 100;
  EXPECT_EQ(estimate->method, LagMethod::kInterpolated);
  EXPECT_DOUBLE_EQ(estimate->max_error_seconds.value(), 15.0);
  EXPECT_LE(std::abs(estimate->seconds - truth), *estimate->max_error_seconds);
  EXPECT_NEAR(estimate->seconds, 300 - 97.5, 1e-6);  // linear between (90, 0) and (105, 1000)
}

TEST(OffsetHistoryTest, idle_topic_keeps_first_and_last_sample_of_the_flat_run) {
  // 10 records/s until t=100 (offset 1000), then idle until t=1000; sampled every 10 s.
  OffsetHistory history;
  for (int t = 0; t <= 1000; t += 10) history.Add(At(t), 10 * std::min(t, 100));
  ASSERT_EQ(history.samples().size(), 12u);  // t=0..100 rising, then only t=1000
  EXPECT_EQ(history.samples()[10], (OffsetHistory::Sample{At(100), 1000}));
  EXPECT_EQ(history.samples()[11], (OffsetHistory::Sample{At(1000), 1000}));
}

TEST(OffsetHistoryTest, topic_idle_since_first_sample_costs_two_samples) {
  OffsetHistory history;
  for (int t = 0; t <= 10'000; t += 10) history.Add(At(t), 42);
  ASSERT_EQ(history.samples().size(), 2u);
  EXPECT_EQ(history.Span(), 10'000s);
}

TEST(OffsetHistoryTest, consumer_behind_an_idle_topic_lags_since_the_produce_that_passed_its_offset) {
  OffsetHistory history;
  for (int t = 0; t <= 1000; t += 10) history.Add(At(t), 10 * std::min(t, 100));
  // Offset 900 was produced at t=90; the topic has been idle since t=100.
  EXPECT_NEAR(history.LagSeconds(900, At(1000)).value(), 910, 1e-6);
  EXPECT_EQ(history.LagSeconds(1000, At(1000)).value(), 0);
}

TEST(OffsetHistoryTest, committed_at_the_end_of_a_flat_run_dates_from_the_runs_last_sample) {
  // Offset 1000 was the newest offset from t=100 to t=500; the record at 1000 came after t=500.
  OffsetHistory history;
  history.Add(At(0), 0);
  history.Add(At(100), 1000);
  history.Add(At(500), 1000);
  history.Add(At(510), 1100);
  EXPECT_NEAR(history.LagSeconds(1000, At(600)).value(), 100, 1e-6);
}

TEST(OffsetHistoryTest, rereading_from_zero_before_a_long_history_is_extrapolated_and_capped) {
  // History starts at offset 1,000,000 and covers 1 h at 10 records/s: reaching offset 0 at that rate
  // would take 100,000 s (> 24 h), so the extrapolated part is capped at 24 h.
  const OffsetHistory history = ConstantRate(10, 60, 3600, 1'000'000);
  const auto estimate = history.EstimateLag(0, At(3600));
  ASSERT_TRUE(estimate);
  EXPECT_EQ(estimate->method, LagMethod::kExtrapolationCapped);
  EXPECT_TRUE(std::isfinite(estimate->seconds));
  EXPECT_DOUBLE_EQ(estimate->seconds, 3600 + 24 * 3600);
  EXPECT_FALSE(estimate->max_error_seconds);
}

TEST(OffsetHistoryTest, extrapolation_cap_is_configurable) {
  OffsetHistory history(64, 1h);
  for (int t = 0; t <= 3600; t += 60) history.Add(At(t), 1'000'000 + 10 * t);
  EXPECT_DOUBLE_EQ(history.LagSeconds(0, At(3600)).value(), 3600 + 3600);
}

TEST(OffsetHistoryTest, slightly_before_the_oldest_sample_is_extrapolated_at_the_average_rate) {
  const OffsetHistory history = ConstantRate(10, 60, 3600, 1'000'000);
  const auto estimate = history.EstimateLag(999'000, At(3600));  // 100 s of produce before t=0
  ASSERT_TRUE(estimate);
  EXPECT_EQ(estimate->method, LagMethod::kExtrapolated);
  EXPECT_NEAR(estimate->seconds, 3700, 1e-6);
}

TEST(OffsetHistoryTest, before_a_single_sample_lag_seconds_is_a_lower_bound) {
  OffsetHistory history;
  history.Add(At(0), 5000);
  const auto estimate = history.EstimateLag(100, At(30));
  ASSERT_TRUE(estimate);
  EXPECT_EQ(estimate->method, LagMethod::kLowerBound);
  EXPECT_DOUBLE_EQ(estimate->seconds, 30);
}

TEST(OffsetHistoryTest, before_a_history_without_produce_lag_seconds_is_a_lower_bound) {
  OffsetHistory history;
  for (int t = 0; t <= 600; t += 60) history.Add(At(t), 5000);
  const auto estimate = history.EstimateLag(100, At(600));
  ASSERT_TRUE(estimate);
  EXPECT_EQ(estimate->method, LagMethod::kLowerBound);
  EXPECT_DOUBLE_EQ(estimate->seconds, 600);
}

TEST(OffsetHistoryTest, no_samples_means_no_lag_seconds) {
  const OffsetHistory history;
  EXPECT_FALSE(history.LagSeconds(0, At(0)));
}

TEST(OffsetHistoryTest, negative_committed_offset_means_no_lag_seconds) {
  const OffsetHistory history = ConstantRate(100, 15, 600);
  EXPECT_FALSE(history.LagSeconds(-1001, At(600)));
}

TEST(OffsetHistoryTest, lag_seconds_is_never_negative_when_now_precedes_the_samples) {
  const OffsetHistory history = ConstantRate(100, 15, 600);
  EXPECT_EQ(history.LagSeconds(30'000, At(200)).value(), 0);  // record at 30,000 came at t=300
  EXPECT_EQ(history.LagSeconds(0, At(-50)).value(), 0);
}

TEST(OffsetHistoryTest, offsets_going_down_reset_the_history) {
  OffsetHistory history = ConstantRate(100, 15, 600);
  EXPECT_EQ(history.Add(At(615), 20), OffsetHistory::AddResult::kReset);
  ASSERT_EQ(history.samples().size(), 1u);
  EXPECT_EQ(history.samples().front(), (OffsetHistory::Sample{At(615), 20}));
  EXPECT_EQ(history.resets(), 1u);
  // Old samples no longer date anything: offset 10 predates the only sample.
  EXPECT_EQ(history.EstimateLag(10, At(620))->method, LagMethod::kLowerBound);
}

TEST(OffsetHistoryTest, out_of_order_sample_is_ignored) {
  OffsetHistory history;
  history.Add(At(10), 100);
  EXPECT_EQ(history.Add(At(5), 50), OffsetHistory::AddResult::kIgnored);
  EXPECT_EQ(history.Add(At(5), 500), OffsetHistory::AddResult::kIgnored);
  ASSERT_EQ(history.samples().size(), 1u);
  EXPECT_EQ(history.samples().front(), (OffsetHistory::Sample{At(10), 100}));
  EXPECT_EQ(history.resets(), 0u);
}

TEST(OffsetHistoryTest, second_sample_at_the_same_time_raises_the_offset) {
  OffsetHistory history;
  history.Add(At(0), 0);
  history.Add(At(10), 100);
  EXPECT_EQ(history.Add(At(10), 120), OffsetHistory::AddResult::kMerged);
  ASSERT_EQ(history.samples().size(), 2u);
  EXPECT_EQ(history.samples().back().offset, 120);
}

TEST(OffsetHistoryTest, memory_stays_bounded_while_the_span_keeps_growing) {
  OffsetHistory history;
  auto previous_span = WallClock::duration::zero();
  for (int t = 0; t < 10'000; ++t) {
    history.Add(At(t), 250LL * t);
    ASSERT_LE(history.samples().size(), 64u) << "at t=" << t;
    ASSERT_GE(history.Span(), previous_span) << "at t=" << t;
    previous_span = history.Span();
  }
  EXPECT_EQ(history.samples().size(), 64u);
  EXPECT_EQ(history.samples().front().at, At(0));
  EXPECT_EQ(history.samples().back().at, At(9999));
  EXPECT_EQ(history.Span(), 9999s);
}

TEST(OffsetHistoryTest, storage_grows_with_the_samples_held_up_to_max_samples_plus_one) {
  OffsetHistory idle;  // an idle partition: 2 samples, whatever the number of reads
  for (int t = 0; t < 1'000; ++t) idle.Add(At(t), 42);
  EXPECT_EQ(idle.samples().size(), 2u);
  EXPECT_LE(idle.samples().capacity(), 4u);

  OffsetHistory busy;
  for (int t = 0; t < 10; ++t) busy.Add(At(t), 250LL * t);
  EXPECT_LE(busy.samples().capacity(), 16u);
  for (int t = 10; t < 10'000; ++t) busy.Add(At(t), 250LL * t);
  EXPECT_EQ(busy.samples().size(), 64u);
  EXPECT_EQ(busy.samples().capacity(), 65u);  // never the 128 that doubling past 64 would give
}

TEST(OffsetHistoryTest, compacted_samples_stay_spread_over_every_decade_of_age) {
  OffsetHistory history;
  for (int t = 0; t < 10'000; ++t) history.Add(At(t), 250LL * t);
  int per_decade[4] = {0, 0, 0, 0};  // ages [1,10), [10,100), [100,1000), [1000,10000)
  for (const auto& sample : history.samples()) {
    const double age = std::chrono::duration<double>(At(9999) - sample.at).count();
    if (age >= 1) ++per_decade[std::min(3, static_cast<int>(std::log10(age)))];
  }
  for (int decade = 0; decade < 4; ++decade) EXPECT_GE(per_decade[decade], 3) << "decade " << decade;
}

TEST(OffsetHistoryTest, compaction_keeps_the_answer_exact_on_a_constant_rate) {
  OffsetHistory history;
  for (int t = 0; t < 10'000; ++t) history.Add(At(t), 250LL * t);
  for (int behind : {3, 50, 777, 5000, 9990}) {
    EXPECT_NEAR(history.LagSeconds(250LL * (9999 - behind), At(9999)).value(), behind, 1e-3) << behind;
  }
}

TEST(OffsetHistoryTest, compaction_keeps_the_knee_where_the_rate_changes) {
  // 10 records/s for 5000 s, then 1000 records/s: dropping the knee would misdate old offsets by hours.
  OffsetHistory history;
  auto offset_at = [](int t) { return t <= 5000 ? 10LL * t : 50'000 + 1000LL * (t - 5000); };
  for (int t = 0; t < 10'000; ++t) history.Add(At(t), offset_at(t));
  for (int when : {100, 2500, 4990, 5000, 5010, 7500, 9900}) {
    EXPECT_NEAR(history.LagSeconds(offset_at(when), At(9999)).value(), 9999 - when, 1.0) << when;
  }
}

TEST(OffsetHistoryTest, idle_stretches_survive_compaction) {
  // Bursts of 1000 records every 100 s, sampled every 1 s: a consumer behind must be dated by the burst
  // that passed its offset, not by a straight line across idle time.
  OffsetHistory history;
  for (int t = 0; t < 10'000; ++t) history.Add(At(t), 1000LL * (t / 100));
  ASSERT_LE(history.samples().size(), 64u);
  // Offset 99,000 became the newest at t=9900 and stayed so until t=9999: caught up.
  EXPECT_EQ(history.LagSeconds(99'000, At(9999)).value(), 0);
  // The record at 98,000 appeared in the burst between t=9899 and t=9900.
  const auto estimate = history.EstimateLag(98'000, At(9999));
  ASSERT_TRUE(estimate);
  EXPECT_NEAR(estimate->seconds, 100, 1.0);
  EXPECT_LE(*estimate->max_error_seconds, 1.0);
}

TEST(OffsetHistoryTest, fewer_than_three_max_samples_is_rejected_naming_the_parameter) {
  try {
    OffsetHistory history(2);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "OffsetHistory: max_samples must be at least 3 (first, newest and one between), got 2");
  }
}

TEST(OffsetHistoryTest, negative_max_extrapolation_is_rejected_naming_the_parameter) {
  try {
    OffsetHistory history(64, -1s);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "OffsetHistory: max_extrapolation must not be negative, got -1s");
  }
}

TEST(LagMethodTest, names_are_snake_case) {
  EXPECT_STREQ(ToString(LagMethod::kCaughtUp), "caught_up");
  EXPECT_STREQ(ToString(LagMethod::kInterpolated), "interpolated");
  EXPECT_STREQ(ToString(LagMethod::kExtrapolated), "extrapolated");
  EXPECT_STREQ(ToString(LagMethod::kExtrapolationCapped), "extrapolation_capped");
  EXPECT_STREQ(ToString(LagMethod::kLowerBound), "lower_bound");
}

}  // namespace
}  // namespace kpe::state
