// Self-metrics of the efficiency core: caches, adaptive sampling, the CPU governor, group sample times.

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "fixtures.h"
#include "metrics/exposition.h"

namespace kpe::metrics {
namespace {

using namespace fixtures;

// The series name with the snapshot's labels and `extra`, sorted by label name as rendered.
std::string Series(const std::string& name, std::map<std::string, std::string> extra = {}) {
  extra.insert({{"cluster", "prod"}, {"env", "production"}, {"zone", "eu-west-1"}});
  std::string out = name + "{";
  for (const auto& [label, value] : extra) out += label + "=\"" + value + "\",";
  out.back() = '}';
  return out;
}

TEST(EfficiencyMetricsTest, cache_lookups_are_counters_by_cache_and_result) {
  auto s = BasicSnapshot();
  s.caches = {{"metadata", 9, 1}, {"group_description", 190, 10}};
  const std::string text = RenderExposition(One(s))->Text();
  EXPECT_NE(text.find("# TYPE kafka_perf_exporter_cache_requests_total counter"), std::string::npos);
  EXPECT_EQ(SampleValue(text, Series("kafka_perf_exporter_cache_requests_total",
                                     {{"cache", "metadata"}, {"result", "hit"}})),
            9);
  EXPECT_EQ(SampleValue(text, Series("kafka_perf_exporter_cache_requests_total",
                                     {{"cache", "group_description"}, {"result", "miss"}})),
            10);
}

TEST(EfficiencyMetricsTest, sampling_intervals_by_kind_and_stat) {
  auto s = BasicSnapshot();
  s.sampling = {{"topic", 12, 3, 15, 40, 120}, {"group", 0, 0, 0, 0, 0}};
  const std::string text = RenderExposition(One(s))->Text();
  EXPECT_EQ(SampleValue(text, Series("kafka_perf_exporter_tracked_entities", {{"kind", "topic"}})), 12);
  EXPECT_EQ(SampleValue(text, Series("kafka_perf_exporter_sampled_entities", {{"kind", "topic"}})), 3);
  EXPECT_EQ(SampleValue(text, Series("kafka_perf_exporter_sampling_interval_seconds",
                                     {{"kind", "topic"}, {"stat", "max"}})),
            120);
  EXPECT_EQ(SampleValue(text, Series("kafka_perf_exporter_sampling_interval_seconds",
                                     {{"kind", "topic"}, {"stat", "avg"}})),
            40);
  // No group tracked: counts, but no interval statistics of nothing.
  EXPECT_EQ(SampleValue(text, Series("kafka_perf_exporter_tracked_entities", {{"kind", "group"}})), 0);
  EXPECT_FALSE(SampleValue(text, Series("kafka_perf_exporter_sampling_interval_seconds",
                                        {{"kind", "group"}, {"stat", "min"}}))
                   .has_value());
}

TEST(EfficiencyMetricsTest, group_sample_time_is_exported_when_known) {
  auto s = GroupsSnapshot();
  s.groups.Mutable(0).observed_at = At(kCollectedAt - 45);
  const std::string text = RenderExposition(One(s))->Text();
  // GroupsSnapshot() has one constant label, env.
  const std::string series = "kafka_consumergroup_sample_timestamp_seconds{cluster=\"prod\",consumergroup=\"" +
                             s.groups[0].id + "\",env=\"production\"}";
  EXPECT_EQ(SampleValue(text, series), kCollectedAt - 45);
  EXPECT_EQ(CountLinesContaining(text, "kafka_consumergroup_sample_timestamp_seconds{"), 1u);
}

TEST(EfficiencyMetricsTest, governor_state_is_rendered_per_scrape) {
  const GovernorStats governor{0.01, 0.013, 1.5};
  const std::string text =
      RenderVolatile(One(BasicSnapshot()), At(kCollectedAt), ProcessStats{}, BuildInfo{"1", "2"}, governor);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_cpu_budget_cores"), 0.01);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_cpu_usage_cores"), 0.013);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_interval_stretch"), 1.5);
}

TEST(EfficiencyMetricsTest, reload_outcome_is_rendered_per_scrape) {
  const std::string text = RenderVolatile(One(BasicSnapshot()), At(kCollectedAt), ProcessStats{},
                                          BuildInfo{"1", "2"}, GovernorStats{}, ReloadStats{false, 1700000000});
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_config_last_reload_successful"), 0);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_config_last_reload_success_timestamp_seconds"), 1700000000);
}

TEST(EfficiencyMetricsTest, render_cost_is_rendered_per_scrape) {
  const std::string text =
      RenderVolatile(One(BasicSnapshot()), At(kCollectedAt), ProcessStats{}, BuildInfo{"1", "2"},
                     GovernorStats{}, ReloadStats{}, RenderStats{7, 0.75, 900, 40});
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_renders_total"), 7);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_render_seconds_total"), 0.75);
  EXPECT_EQ(SampleValue(text, R"(kafka_perf_exporter_render_chunks_total{result="reused"})"), 900);
  EXPECT_EQ(SampleValue(text, R"(kafka_perf_exporter_render_chunks_total{result="deflated"})"), 40);
}

}  // namespace
}  // namespace kpe::metrics
