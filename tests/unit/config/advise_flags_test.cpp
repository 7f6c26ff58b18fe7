// The `advise` subcommand on the command line: its options, the daemon's flags on either side of it, and
// its usage errors.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/flags.h"

namespace kpe::config {
namespace {

using ::testing::HasSubstr;

CommandLine Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "kafka-perf-exporter");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

TEST(AdviseFlagsTest, without_a_subcommand_the_daemon_runs) {
  const auto result = Parse({"--kafka.server=k:9092"});
  ASSERT_EQ(result.action, CommandLine::Action::kRun);
  EXPECT_EQ(result.command, CommandLine::Command::kServe);
}

TEST(AdviseFlagsTest, advise_has_a_30s_duration_and_table_output_by_default) {
  const auto result = Parse({"advise", "--kafka.server=k:9092"});
  ASSERT_EQ(result.action, CommandLine::Action::kRun) << result.message;
  EXPECT_EQ(result.command, CommandLine::Command::kAdvise);
  EXPECT_EQ(result.advise.duration, Duration(30000));
  EXPECT_EQ(result.advise.output, AdviseOptions::Output::kTable);
}

TEST(AdviseFlagsTest, advise_options_are_read) {
  const auto result = Parse({"advise", "--advise.duration=1m", "--output=json"});
  ASSERT_EQ(result.action, CommandLine::Action::kRun) << result.message;
  EXPECT_EQ(result.advise.duration, Duration(60000));
  EXPECT_EQ(result.advise.output, AdviseOptions::Output::kJson);
}

TEST(AdviseFlagsTest, daemon_flags_work_before_and_after_the_subcommand) {
  const auto after = Parse({"advise", "--kafka.server=a:9092", "--topic.filter=^orders$", "--demo"});
  ASSERT_EQ(after.action, CommandLine::Action::kRun) << after.message;
  EXPECT_EQ(after.config.clusters.front().servers, std::vector<std::string>{"a:9092"});
  EXPECT_EQ(after.config.clusters.front().topics.filter, "^orders$");
  EXPECT_TRUE(after.config.demo);
  const auto before = Parse({"--kafka.server=b:9092", "advise", "--output=json"});
  ASSERT_EQ(before.action, CommandLine::Action::kRun) << before.message;
  EXPECT_EQ(before.command, CommandLine::Command::kAdvise);
  EXPECT_EQ(before.config.clusters.front().servers, std::vector<std::string>{"b:9092"});
}

TEST(AdviseFlagsTest, unknown_output_is_a_usage_error_naming_the_flag_and_the_choices) {
  const auto result = Parse({"advise", "--output=xml"});
  ASSERT_EQ(result.action, CommandLine::Action::kExit);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.message, HasSubstr("--output: xml not in {table,json}"));
}

TEST(AdviseFlagsTest, bad_duration_is_a_usage_error_naming_the_flag) {
  const auto result = Parse({"advise", "--advise.duration=soon"});
  ASSERT_EQ(result.action, CommandLine::Action::kExit);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.message, HasSubstr("--advise.duration"));
}

TEST(AdviseFlagsTest, zero_duration_is_a_usage_error) {
  const auto result = Parse({"advise", "--advise.duration=0s"});
  ASSERT_EQ(result.action, CommandLine::Action::kExit);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.message, HasSubstr("--advise.duration: must be above 0"));
}

TEST(AdviseFlagsTest, advise_options_without_the_subcommand_are_unknown_flags) {
  const auto result = Parse({"--output=json"});
  ASSERT_EQ(result.action, CommandLine::Action::kExit);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.message, HasSubstr("unknown flag --output"));
}

TEST(AdviseFlagsTest, advise_help_describes_the_subcommand_and_its_exit_codes) {
  const auto result = Parse({"advise", "--help"});
  ASSERT_EQ(result.action, CommandLine::Action::kExit);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.message, HasSubstr("--advise.duration"));
  EXPECT_THAT(result.message, HasSubstr("3 with one (for CI pipelines)"));
}

}  // namespace
}  // namespace kpe::config
