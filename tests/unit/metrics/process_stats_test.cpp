#include "metrics/process_stats.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace kpe::metrics {
namespace {

constexpr long kTicks = 100;
constexpr long kPageSize = 4096;
constexpr double kBootTime = 1700000000;

// Fields after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
// utime=250 stime=150 cutime cstime priority nice num_threads=7 itrealvalue starttime=12345
// vsize=104857600 rss=2560 rsslim ...
const std::string kStatTail =
    " S 1 4242 4242 0 -1 4194560 900 0 0 0 250 150 0 0 20 0 7 0 12345 104857600 2560 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";

TEST(ParseProcStatTest, reads_cpu_memory_threads_and_start_time) {
  const auto stats =
      ParseProcStat("4242 (kafka-perf-expo)" + kStatTail, kTicks, kPageSize, kBootTime);

  ASSERT_TRUE(stats.has_value());
  EXPECT_DOUBLE_EQ(stats->cpu_seconds, 4.0);
  EXPECT_DOUBLE_EQ(stats->threads, 7);
  EXPECT_DOUBLE_EQ(stats->start_time_seconds, kBootTime + 123.45);
  EXPECT_DOUBLE_EQ(stats->virtual_memory_bytes, 104857600);
  EXPECT_DOUBLE_EQ(stats->resident_memory_bytes, 2560.0 * kPageSize);
}

TEST(ParseProcStatTest, command_with_spaces_and_parentheses_does_not_shift_fields) {
  const auto stats = ParseProcStat("4242 (a) b (c) ) d)" + kStatTail, kTicks, kPageSize, kBootTime);

  ASSERT_TRUE(stats.has_value());
  EXPECT_DOUBLE_EQ(stats->threads, 7);
  EXPECT_DOUBLE_EQ(stats->resident_memory_bytes, 2560.0 * kPageSize);
}

TEST(ParseProcStatTest, text_without_command_parentheses_is_malformed) {
  EXPECT_FALSE(ParseProcStat("4242 kafka" + kStatTail, kTicks, kPageSize, kBootTime).has_value());
}

TEST(ParseProcStatTest, truncated_text_is_malformed) {
  EXPECT_FALSE(ParseProcStat("4242 (kafka) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 150", kTicks,
                             kPageSize, kBootTime)
                   .has_value());
}

TEST(ParseProcStatTest, non_numeric_field_is_malformed) {
  std::string tail = kStatTail;
  tail.replace(tail.find(" 2560 "), 6, " 25x0 ");

  EXPECT_FALSE(ParseProcStat("4242 (kafka)" + tail, kTicks, kPageSize, kBootTime).has_value());
}

TEST(ParseProcStatTest, empty_text_is_malformed) {
  EXPECT_FALSE(ParseProcStat("", kTicks, kPageSize, kBootTime).has_value());
}

TEST(ParseProcStatTest, non_positive_tick_rate_is_rejected) {
  EXPECT_FALSE(ParseProcStat("4242 (kafka)" + kStatTail, 0, kPageSize, kBootTime).has_value());
}

TEST(ParseBootTimeTest, reads_the_btime_line) {
  const std::string text =
      "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 12345 0 0\nctxt 987\nbtime 1795307662\nprocesses 6400\n";

  EXPECT_EQ(ParseBootTime(text), 1795307662.0);
}

TEST(ParseBootTimeTest, absent_btime_line_gives_nullopt) {
  EXPECT_FALSE(ParseBootTime("cpu  1 2 3 4\nctxt 987\nbtimex 5\n").has_value());
}

TEST(ParseBootTimeTest, non_numeric_btime_gives_nullopt) {
  EXPECT_FALSE(ParseBootTime("btime soon\n").has_value());
}

const std::string kLimitsHead =
    "Limit                     Soft Limit           Hard Limit           Units     \n"
    "Max cpu time              unlimited            unlimited            seconds   \n";

TEST(ParseMaxOpenFilesTest, reads_the_soft_limit) {
  const std::string text =
      kLimitsHead +
      "Max open files            1024                 1048576              files     \n"
      "Max locked memory         8388608              8388608              bytes     \n";

  EXPECT_EQ(ParseMaxOpenFiles(text), 1024.0);
}

TEST(ParseMaxOpenFilesTest, unlimited_gives_nullopt) {
  const std::string text =
      kLimitsHead +
      "Max open files            unlimited            unlimited            files     \n";

  EXPECT_FALSE(ParseMaxOpenFiles(text).has_value());
}

TEST(ParseMaxOpenFilesTest, absent_line_gives_nullopt) {
  EXPECT_FALSE(ParseMaxOpenFiles(kLimitsHead).has_value());
}

TEST(ReadProcessStatsTest, this_process_has_memory_fds_threads_and_a_recent_start_time) {
  const ProcessStats stats = ReadProcessStats();
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

  EXPECT_GT(stats.resident_memory_bytes, 0);
  EXPECT_GT(stats.virtual_memory_bytes, stats.resident_memory_bytes);
  EXPECT_GT(stats.open_fds, 0);
  EXPECT_GE(stats.max_fds, stats.open_fds);
  EXPECT_GE(stats.threads, 1);
  EXPECT_GE(stats.cpu_seconds, 0);
  EXPECT_LE(stats.start_time_seconds, now + 1);  // + 1: btime and clock ticks are coarse
  EXPECT_GT(stats.start_time_seconds, now - 3600);
}

TEST(ReadProcessStatsTest, counts_the_descriptors_this_process_opens_and_closes) {
  const double before = ReadProcessStats().open_fds;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const int third = dup(fds[0]);
  ASSERT_GE(third, 0);
  EXPECT_EQ(ReadProcessStats().open_fds, before + 3);
  close(fds[0]);
  close(fds[1]);
  close(third);
  EXPECT_EQ(ReadProcessStats().open_fds, before);
}

}  // namespace
}  // namespace kpe::metrics
