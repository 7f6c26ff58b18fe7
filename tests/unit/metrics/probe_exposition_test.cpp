// The end-to-end probe's families: names, labels, histogram buckets, and promtool's verdict.

#include "metrics/probe_exposition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"
#include "metrics/names.h"

namespace kpe::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

state::ProbeSnapshot ProbeWithOnePartition() {
  state::ProbeSnapshot probe;
  probe.topic = "canary";
  state::ProbeCounts c;
  c.partition = 0;
  c.produced = 10;
  c.acknowledged = 9;
  c.failed = 1;
  c.received = 8;
  c.lost = 1;
  c.duplicated = 2;
  probe.counts.push_back(c);
  state::ProbeLatencies l;
  l.partition = 0;
  l.broker = 2;
  l.produce.Observe(0.0015);  // le 0.002
  l.produce.Observe(0.3);     // le 0.5
  l.roundtrip.Observe(12);    // +Inf only
  probe.latencies.push_back(l);
  return probe;
}

TEST(ProbeExpositionTest, counters_are_per_partition_with_cluster_constant_and_topic_labels) {
  const std::string text = RenderProbe(ProbeWithOnePartition(), "prod", {{"env", "production"}});
  EXPECT_THAT(text, HasSubstr("# TYPE kafka_e2e_messages_lost_total counter\n"
                              "kafka_e2e_messages_lost_total{cluster=\"prod\",env=\"production\","
                              "partition=\"0\",topic=\"canary\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_messages_produced_total{cluster=\"prod\",env=\"production\","
                              "partition=\"0\",topic=\"canary\"} 10\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_messages_duplicated_total{cluster=\"prod\",env=\"production\","
                              "partition=\"0\",topic=\"canary\"} 2\n"));
}

TEST(ProbeExpositionTest, histogram_buckets_are_cumulative_from_1ms_to_10s_plus_inf) {
  const std::string text = RenderProbe(ProbeWithOnePartition(), "prod");
  const std::string labels = "broker=\"2\",cluster=\"prod\",partition=\"0\",topic=\"canary\"";
  EXPECT_THAT(text, HasSubstr("# TYPE kafka_e2e_produce_latency_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_produce_latency_seconds_count{" + labels + "} 2\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_produce_latency_seconds_bucket{" + labels + ",le=\"0.001\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_produce_latency_seconds_bucket{" + labels + ",le=\"0.002\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_produce_latency_seconds_bucket{" + labels + ",le=\"0.2\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_produce_latency_seconds_bucket{" + labels + ",le=\"0.5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_produce_latency_seconds_bucket{" + labels + ",le=\"10\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_produce_latency_seconds_bucket{" + labels + ",le=\"+Inf\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_roundtrip_latency_seconds_bucket{" + labels + ",le=\"10\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_roundtrip_latency_seconds_bucket{" + labels + ",le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_roundtrip_latency_seconds_sum{" + labels + "} 12\n"));
}

TEST(ProbeExpositionTest, a_constant_label_named_cluster_is_overridden_by_the_cluster) {
  const std::string text = RenderProbe(ProbeWithOnePartition(), "prod", {{"cluster", "other"}});
  EXPECT_THAT(text, Not(HasSubstr("other")));
  EXPECT_THAT(text, HasSubstr("cluster=\"prod\""));
}

TEST(ProbeExpositionTest, commit_families_appear_only_once_the_probe_has_committed) {
  state::ProbeSnapshot probe = ProbeWithOnePartition();
  EXPECT_THAT(RenderProbe(probe, "prod"), Not(HasSubstr("kafka_e2e_commit")));
  probe.commit_latency.Observe(0.004);
  probe.commits_failed = 3;
  const std::string text = RenderProbe(probe, "prod");
  EXPECT_THAT(text, HasSubstr("kafka_e2e_commit_latency_seconds_bucket{cluster=\"prod\",topic=\"canary\","
                              "le=\"0.005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("kafka_e2e_commits_failed_total{cluster=\"prod\",topic=\"canary\"} 3\n"));
}

TEST(ProbeExpositionTest, an_empty_snapshot_renders_nothing) {
  state::ProbeSnapshot probe;
  probe.topic = "canary";
  EXPECT_EQ(RenderProbe(probe, "prod"), "");
}

TEST(ProbeExpositionTest, families_come_in_name_order_each_with_help_and_type) {
  state::ProbeSnapshot probe = ProbeWithOnePartition();
  probe.commit_latency.Observe(0.004);
  const std::string text = RenderProbe(probe, "prod");
  size_t previous = 0;
  for (const FamilySpec& family : kFamilies) {
    if (family.part != Part::kProbe) continue;
    const size_t at = text.find("# HELP " + std::string(family.name) + " ");
    ASSERT_NE(at, std::string::npos) << family.name;
    EXPECT_GE(at, previous) << family.name;
    previous = at;
  }
}

TEST(ProbeExpositionTest, the_exposition_passes_promtool_check_metrics) {
  state::ProbeSnapshot probe = ProbeWithOnePartition();
  probe.commit_latency.Observe(0.004);
  const auto result = fixtures::PromtoolCheckMetrics(RenderProbe(probe, "prod", {{"env", "production"}}));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(ProbeExpositionTest, promtool_check_rejects_a_broken_histogram_so_the_check_above_can_fail) {
  const std::string text = RenderProbe(ProbeWithOnePartition(), "prod");
  std::string broken = text;
  const std::string counts = "kafka_e2e_produce_latency_seconds_count{";
  broken.replace(broken.find(counts), counts.size(), "kafka_e2e_produce_latency_seconds_count{{");
  EXPECT_NE(fixtures::PromtoolCheckMetrics(broken).exit_code, 0);
}

}  // namespace
}  // namespace kpe::metrics
