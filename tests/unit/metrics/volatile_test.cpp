#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "fixtures.h"
#include "metrics/exposition.h"

namespace kpe::metrics {
namespace {

using namespace fixtures;  // NOLINT: this folder's test helpers

const BuildInfo kBuild{"1.2.3", "2.0.2"};

ProcessStats SomeProcess() {
  ProcessStats p;
  p.cpu_seconds = 12.5;
  p.resident_memory_bytes = 4096 * 1000;
  p.virtual_memory_bytes = 4096 * 5000;
  p.start_time_seconds = kCollectedAt - 3600;
  p.open_fds = 17;
  p.max_fds = 1024;
  p.threads = 6;
  return p;
}

std::set<std::string> FamilyNames(const std::string& text) {
  std::set<std::string> names;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# TYPE ")) names.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  return names;
}

TEST(RenderVolatileTest, data_age_is_now_minus_last_success) {
  const std::string text =
      RenderVolatile(One(BasicSnapshot()), At(kCollectedAt + 10), SomeProcess(), kBuild);

  EXPECT_EQ(
      SampleValue(
          text,
          R"(kafka_perf_exporter_data_age_seconds{cluster="prod",collector="metadata",env="production",zone="eu-west-1"})"),
      10);
  EXPECT_EQ(
      SampleValue(
          text,
          R"(kafka_perf_exporter_data_age_seconds{cluster="prod",collector="offsets",env="production",zone="eu-west-1"})"),
      70);
}

TEST(RenderVolatileTest, data_age_is_omitted_for_a_collector_that_never_succeeded) {
  const std::string text =
      RenderVolatile(One(BasicSnapshot()), At(kCollectedAt + 10), SomeProcess(), kBuild);

  EXPECT_EQ(text.find(R"(collector="groups")"), std::string::npos) << text;
}

TEST(RenderVolatileTest, build_info_carries_version_and_librdkafka_version) {
  const std::string text = RenderVolatile({}, At(kCollectedAt), SomeProcess(), kBuild);

  EXPECT_EQ(
      SampleValue(text,
                  R"(kafka_perf_exporter_build_info{librdkafka_version="2.0.2",version="1.2.3"})"),
      1);
}

TEST(RenderVolatileTest, process_metrics_have_the_client_library_names_and_values) {
  const std::string text = RenderVolatile({}, At(kCollectedAt), SomeProcess(), kBuild);

  EXPECT_EQ(SampleValue(text, "process_cpu_seconds_total"), 12.5);
  EXPECT_EQ(SampleValue(text, "process_resident_memory_bytes"), 4096 * 1000);
  EXPECT_EQ(SampleValue(text, "process_virtual_memory_bytes"), 4096 * 5000);
  EXPECT_EQ(SampleValue(text, "process_start_time_seconds"), kCollectedAt - 3600);
  EXPECT_EQ(SampleValue(text, "process_open_fds"), 17);
  EXPECT_EQ(SampleValue(text, "process_max_fds"), 1024);
  EXPECT_EQ(SampleValue(text, "process_threads"), 6);
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
}

TEST(RenderVolatileTest, shares_no_family_with_the_exposition) {
  const SnapshotList snapshots = One(BasicSnapshot());
  const std::set<std::string> exposition = FamilyNames(RenderExposition(snapshots)->Text());
  const std::set<std::string> volatile_part =
      FamilyNames(RenderVolatile(snapshots, At(kCollectedAt), SomeProcess(), kBuild));

  ASSERT_FALSE(volatile_part.empty());
  for (const std::string& name : volatile_part) EXPECT_EQ(exposition.count(name), 0u) << name;
}

TEST(RenderVolatileTest, exposition_followed_by_volatile_passes_promtool) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool))
      << kPromtool << " not found: install Debian's prometheus package to run this check";
  const SnapshotList snapshots = One(BasicSnapshot());
  const std::string scrape =
      RenderExposition(snapshots)->Text() +
      RenderVolatile(snapshots, At(kCollectedAt + 1), ReadProcessStats(), kBuild);

  const CommandResult result = PromtoolCheckMetrics(scrape);

  EXPECT_EQ(result.exit_code, 0) << result.output << "\n--- scrape ---\n" << scrape;
}

}  // namespace
}  // namespace kpe::metrics
