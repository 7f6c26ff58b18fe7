#include <gtest/gtest.h>

#include "advice/thresholds.h"

namespace kpe::advice {
namespace {

TEST(SetThresholdTest, known_names_set_their_threshold) {
  Thresholds t;
  EXPECT_EQ(SetThreshold(t, "lag_warning_messages", 5000), "");
  EXPECT_EQ(t.lag_warning_messages, 5000);
  EXPECT_EQ(SetThreshold(t, "skew_ratio", 2.5), "");
  EXPECT_DOUBLE_EQ(t.skew_ratio, 2.5);
  EXPECT_EQ(SetThreshold(t, "partition_produce_capacity", 123), "");
  EXPECT_DOUBLE_EQ(t.partition_produce_capacity_msgs_per_second, 123);
}

TEST(SetThresholdTest, unknown_name_is_an_error_listing_the_valid_names) {
  Thresholds t;
  const std::string error = SetThreshold(t, "lag_warnings", 1);
  EXPECT_EQ(error.rfind("advice.lag_warnings: unknown threshold (valid: client_max_errors, ", 0), 0u) << error;
  EXPECT_NE(error.find(", lag_critical_messages, "), std::string::npos) << error;
}

TEST(SetThresholdTest, client_thresholds_are_settable_by_name) {
  Thresholds t;
  EXPECT_EQ(SetThreshold(t, "client_min_batch_bytes", 4096), "");
  EXPECT_DOUBLE_EQ(t.client_min_batch_bytes, 4096);
  EXPECT_EQ(SetThreshold(t, "client_max_latency_seconds", 0.25), "");
  EXPECT_DOUBLE_EQ(t.client_max_latency_seconds, 0.25);
  EXPECT_EQ(SetThreshold(t, "client_max_rebalances", 50), "");
  EXPECT_DOUBLE_EQ(t.client_max_rebalances, 50);
}

TEST(SetThresholdTest, negative_value_is_an_error) {
  Thresholds t;
  EXPECT_NE(SetThreshold(t, "skew_ratio", -1), "");
  EXPECT_DOUBLE_EQ(t.skew_ratio, Thresholds{}.skew_ratio);
}

}  // namespace
}  // namespace kpe::advice
