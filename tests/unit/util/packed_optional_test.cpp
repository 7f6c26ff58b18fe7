#include "util/packed_optional.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>

namespace kpe::util {
namespace {

TEST(PackedOptionalTest, takes_the_size_of_its_value) {
  EXPECT_EQ(sizeof(PackedOptional<int64_t>), sizeof(int64_t));
  EXPECT_EQ(sizeof(PackedOptional<double>), sizeof(double));
}

TEST(PackedOptionalTest, empty_by_default_and_after_nullopt_or_reset) {
  PackedOptional<int64_t> lag;
  EXPECT_FALSE(lag.has_value());
  EXPECT_FALSE(lag);
  EXPECT_EQ(lag, std::nullopt);
  EXPECT_EQ(lag.value_or(7), 7);
  EXPECT_THROW((void)lag.value(), std::bad_optional_access);
  lag = 5;
  EXPECT_TRUE(lag);
  lag = std::nullopt;
  EXPECT_FALSE(lag);
  PackedOptional<double> seconds = 1.5;
  seconds.reset();
  EXPECT_FALSE(seconds);
}

TEST(PackedOptionalTest, holds_every_value_but_its_sentinel) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::max(),
                    std::numeric_limits<int64_t>::min() + 1}) {
    const PackedOptional<int64_t> lag = v;
    ASSERT_TRUE(lag.has_value()) << v;
    EXPECT_EQ(*lag, v);
    EXPECT_EQ(lag.value(), v);
  }
  for (double v : {0.0, -0.0, 1e-300, std::numeric_limits<double>::infinity(), -42.5}) {
    const PackedOptional<double> seconds = v;
    ASSERT_TRUE(seconds.has_value()) << v;
    EXPECT_EQ(*seconds, v);
  }
  // The sentinels store "none".
  EXPECT_FALSE(PackedOptional<int64_t>(std::numeric_limits<int64_t>::min()).has_value());
  EXPECT_FALSE(PackedOptional<double>(std::numeric_limits<double>::quiet_NaN()).has_value());
}

TEST(PackedOptionalTest, converts_to_and_from_std_optional) {
  const PackedOptional<double> from_value = std::optional<double>(2.5);
  const PackedOptional<double> from_empty = std::optional<double>();
  EXPECT_EQ(std::optional<double>(from_value), std::optional<double>(2.5));
  EXPECT_EQ(std::optional<double>(from_empty), std::nullopt);
}

TEST(PackedOptionalTest, equal_when_both_empty_or_both_hold_the_same_value) {
  EXPECT_EQ(PackedOptional<double>(), PackedOptional<double>());
  EXPECT_EQ(PackedOptional<double>(3.0), 3.0);
  EXPECT_NE(PackedOptional<double>(3.0), PackedOptional<double>());
  EXPECT_NE(PackedOptional<int64_t>(3), PackedOptional<int64_t>(4));
}

TEST(PackedOptionalTest, prints_its_value_or_none) {
  std::ostringstream out;
  out << PackedOptional<int64_t>(12) << " " << PackedOptional<double>();
  EXPECT_EQ(out.str(), "12 (none)");
}

}  // namespace
}  // namespace kpe::util
