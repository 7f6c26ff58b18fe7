// The probe's latency histogram: bucketing on the 1 ms .. 10 s bounds and quantile estimates.

#include <gtest/gtest.h>

#include <cmath>

#include "state/probe.h"

namespace kpe::state {
namespace {

TEST(LatencyHistogramTest, a_value_on_a_bound_falls_in_that_bound_bucket) {
  LatencyHistogram h;
  h.Observe(0.001);
  h.Observe(0.01);
  EXPECT_EQ(h.counts[0], 1u);  // le 0.001
  EXPECT_EQ(h.counts[3], 1u);  // le 0.01
}

TEST(LatencyHistogramTest, a_value_just_above_a_bound_falls_in_the_next_bucket) {
  LatencyHistogram h;
  h.Observe(0.0011);
  EXPECT_EQ(h.counts[0], 0u);
  EXPECT_EQ(h.counts[1], 1u);  // le 0.002
}

TEST(LatencyHistogramTest, values_above_ten_seconds_go_to_the_overflow_bucket) {
  LatencyHistogram h;
  h.Observe(12.5);
  EXPECT_EQ(h.counts.back(), 1u);
  EXPECT_EQ(h.count, 1u);
  EXPECT_DOUBLE_EQ(h.sum, 12.5);
}

TEST(LatencyHistogramTest, negative_values_count_as_zero) {
  LatencyHistogram h;
  h.Observe(-0.5);
  EXPECT_EQ(h.counts[0], 1u);
  EXPECT_DOUBLE_EQ(h.sum, 0);
}

TEST(LatencyHistogramTest, count_and_sum_add_up_every_observation) {
  LatencyHistogram h;
  for (double v : {0.0005, 0.003, 0.2, 4.0}) h.Observe(v);
  EXPECT_EQ(h.count, 4u);
  EXPECT_NEAR(h.sum, 4.2035, 1e-12);
}

TEST(LatencyHistogramTest, quantile_of_an_empty_histogram_is_nan) {
  EXPECT_TRUE(std::isnan(LatencyHistogram().Quantile(0.99)));
}

TEST(LatencyHistogramTest, quantile_interpolates_linearly_within_the_bucket_like_prometheus) {
  LatencyHistogram h;
  for (int i = 0; i < 10; ++i) h.Observe(0.15);  // all in (0.1, 0.2]
  EXPECT_NEAR(h.Quantile(0.5), 0.15, 1e-12);
  EXPECT_NEAR(h.Quantile(1.0), 0.2, 1e-12);
}

TEST(LatencyHistogramTest, p99_is_in_the_bucket_of_the_slow_tail) {
  LatencyHistogram h;
  for (int i = 0; i < 98; ++i) h.Observe(0.0005);
  for (int i = 0; i < 2; ++i) h.Observe(0.3);  // (0.2, 0.5]
  EXPECT_GT(h.Quantile(0.99), 0.2);
  EXPECT_LE(h.Quantile(0.99), 0.5);
  EXPECT_LE(h.Quantile(0.5), 0.001);
}

TEST(LatencyHistogramTest, a_quantile_in_the_overflow_bucket_is_the_highest_finite_bound) {
  LatencyHistogram h;
  h.Observe(30);
  EXPECT_DOUBLE_EQ(h.Quantile(0.5), 10);
}

}  // namespace
}  // namespace kpe::state
