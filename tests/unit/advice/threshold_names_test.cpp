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
  EXPECT_EQ(error.rfind("advice.lag_warnings: unknown threshold (valid: lag_critical_messages, ", 0), 0u) << error;
}

TEST(SetThresholdTest, negative_value_is_an_error) {
  Thresholds t;
  EXPECT_NE(SetThreshold(t, "skew_ratio", -1), "");
  EXPECT_DOUBLE_EQ(t.skew_ratio, Thresholds{}.skew_ratio);
}

}  // namespace
}  // namespace kpe::advice
