#include "http/target.h"

#include <gtest/gtest.h>

namespace kpe::http {
namespace {

TEST(TargetTest, origin_form_splits_path_and_query) {
  const Target target = ParseTarget("/metrics?name[]=a&x=%20");
  EXPECT_EQ(target.error, "");
  EXPECT_EQ(target.path, "/metrics");
  EXPECT_EQ(target.query, "name[]=a&x=%20");
}

TEST(TargetTest, no_query_is_empty_query) {
  const Target target = ParseTarget("/");
  EXPECT_EQ(target.error, "");
  EXPECT_EQ(target.path, "/");
  EXPECT_EQ(target.query, "");
}

TEST(TargetTest, path_is_percent_decoded) { EXPECT_EQ(ParseTarget("/a%20b%2Fc").path, "/a b/c"); }

TEST(TargetTest, absolute_form_keeps_path_and_query) {
  const Target target = ParseTarget("HTTP://host:9308/metrics?a=1");
  EXPECT_EQ(target.error, "");
  EXPECT_EQ(target.path, "/metrics");
  EXPECT_EQ(target.query, "a=1");
}

TEST(TargetTest, absolute_form_without_path_is_root) {
  const Target target = ParseTarget("https://host");
  EXPECT_EQ(target.error, "");
  EXPECT_EQ(target.path, "/");
}

TEST(TargetTest, absolute_form_without_host_is_an_error) {
  EXPECT_EQ(ParseTarget("http:///metrics").error,
            "bad request target \"http:///metrics\": absolute form without a host");
}

TEST(TargetTest, asterisk_form_is_an_error) {
  EXPECT_EQ(ParseTarget("*").error, "bad request target \"*\": path must start with '/'");
}

TEST(TargetTest, authority_form_is_an_error) {
  EXPECT_EQ(ParseTarget("host:443").error, "bad request target \"host:443\": path must start with '/'");
}

TEST(TargetTest, empty_target_is_an_error) {
  EXPECT_EQ(ParseTarget("").error, "bad request target \"\": path must start with '/'");
}

TEST(TargetTest, dot_dot_segment_is_an_error) {
  EXPECT_EQ(ParseTarget("/a/../b").error, "bad request target \"/a/../b\": '..' segment in path");
}

TEST(TargetTest, trailing_dot_dot_segment_is_an_error) {
  EXPECT_EQ(ParseTarget("/a/..?x").error, "bad request target \"/a/..?x\": '..' segment in path");
}

TEST(TargetTest, percent_encoded_dot_dot_segment_is_an_error) {
  EXPECT_EQ(ParseTarget("/%2E%2e/x").error, "bad request target \"/%2E%2e/x\": '..' segment in path");
}

TEST(TargetTest, dots_inside_a_segment_are_allowed) {
  const Target target = ParseTarget("/a..b/...");
  EXPECT_EQ(target.error, "");
  EXPECT_EQ(target.path, "/a..b/...");
}

TEST(TargetTest, encoded_nul_is_an_error) {
  EXPECT_EQ(ParseTarget("/a%00").error, "bad request target \"/a%00\": NUL byte in path");
}

TEST(TargetTest, raw_nul_is_an_error) {
  const std::string raw("/a\0b", 4);
  EXPECT_EQ(ParseTarget(raw).error, "bad request target \"" + raw + "\": NUL byte in path");
}

TEST(TargetTest, truncated_percent_escape_is_an_error_naming_its_offset) {
  EXPECT_EQ(ParseTarget("/ab%4").error, "bad request target \"/ab%4\": bad %-escape at offset 3");
}

TEST(TargetTest, non_hex_percent_escape_is_an_error_naming_its_offset) {
  EXPECT_EQ(ParseTarget("/%zz").error, "bad request target \"/%zz\": bad %-escape at offset 1");
}

TEST(TargetTest, long_target_is_cut_in_the_error_message) {
  const std::string raw = "/" + std::string(300, 'a') + "/..";
  EXPECT_EQ(ParseTarget(raw).error,
            "bad request target \"" + raw.substr(0, 256) + "...\": '..' segment in path");
}

}  // namespace
}  // namespace kpe::http
