#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "test_util.h"

namespace kpe::config {
namespace {

TEST(NameFilterTest, defaults_match_every_non_empty_name) {
  const NameFilter filter(FilterConfig{}, "topics");
  EXPECT_TRUE(filter.Matches("orders"));
  EXPECT_TRUE(filter.Matches("__consumer_offsets"));
}

TEST(NameFilterTest, default_exclude_only_matches_the_empty_name) {
  const NameFilter filter(FilterConfig{}, "topics");
  EXPECT_FALSE(filter.Matches(""));
}

TEST(NameFilterTest, filter_matches_anywhere_in_the_name_like_kafka_exporter) {
  const NameFilter filter(FilterConfig{"orders", "^$"}, "topics");
  EXPECT_TRUE(filter.Matches("orders"));
  EXPECT_TRUE(filter.Matches("orders-eu"));
  EXPECT_TRUE(filter.Matches("old-orders"));
  EXPECT_FALSE(filter.Matches("payments"));
}

TEST(NameFilterTest, anchored_filter_matches_whole_names_only) {
  const NameFilter filter(FilterConfig{"^orders$", "^$"}, "topics");
  EXPECT_TRUE(filter.Matches("orders"));
  EXPECT_FALSE(filter.Matches("orders-eu"));
}

TEST(NameFilterTest, exclude_matching_anywhere_excludes) {
  const NameFilter filter(FilterConfig{".*", "tmp"}, "topics");
  EXPECT_FALSE(filter.Matches("tmp"));
  EXPECT_FALSE(filter.Matches("orders-tmp-1"));
  EXPECT_TRUE(filter.Matches("orders"));
}

TEST(NameFilterTest, exclude_wins_over_filter) {
  const NameFilter filter(FilterConfig{"orders.*", "orders-test.*"}, "topics");
  EXPECT_TRUE(filter.Matches("orders-prod"));
  EXPECT_FALSE(filter.Matches("orders-test-1"));
}

TEST(NameFilterTest, pathological_regex_on_a_long_name_gives_the_right_answer) {
  // Backtracking engines take exponential time here; RE2 is linear.
  const NameFilter filter(FilterConfig{"^(a+)+$", "^$"}, "topics");
  EXPECT_FALSE(filter.Matches(std::string(100'000, 'a') + "b"));
  EXPECT_TRUE(filter.Matches(std::string(100'000, 'a')));
}

TEST(NameFilterTest, invalid_filter_names_the_key_path_and_re2_error) {
  EXPECT_EQ(testing::ErrorOf([] {
              NameFilter(FilterConfig{"a)", "^$"}, "groups");
            }),
            "groups.filter: invalid regular expression \"a)\": unexpected ): a)");
}

TEST(NameFilterTest, invalid_exclude_names_its_key_path) {
  EXPECT_THAT(testing::ErrorOf([] {
                NameFilter(FilterConfig{".*", "[z-a]"}, "topics");
              }),
              ::testing::StartsWith("topics.exclude: invalid regular expression \"[z-a]\": "));
}

TEST(NameFilterTest, moved_filter_keeps_matching) {
  NameFilter source(FilterConfig{"x.*", "^$"}, "topics");
  const NameFilter moved(std::move(source));
  EXPECT_TRUE(moved.Matches("xy"));
  EXPECT_FALSE(moved.Matches("yy"));
}

}  // namespace
}  // namespace kpe::config
