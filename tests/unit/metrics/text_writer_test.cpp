#include "metrics/text_writer.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <limits>
#include <string>
#include <vector>

namespace kpe::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

std::string Fast(const std::vector<MetricFamily>& families) {
  std::string out;
  AppendText(out, families);
  return out;
}

std::string Reference(const std::vector<MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

MetricFamily Family(MetricType type, std::vector<double> values, std::string help = "Some help.") {
  MetricFamily family{"kpe_test_value", std::move(help), type, {}};
  int i = 0;
  for (double v : values) {
    ClientMetric& m = family.metric.emplace_back();
    m.label = {{"cluster", "c"}, {"i", std::to_string(i++)}};
    m.counter.value = v;
    m.gauge.value = v;
    m.untyped.value = v;
  }
  return family;
}

const std::vector<double> kAwkwardValues = {0,
                                            -0.0,
                                            1,
                                            -1,
                                            0.1 + 0.2,
                                            1e-7,
                                            123456789,
                                            9876543210,
                                            1699999969.5,
                                            1.234567890123457e17,
                                            9.2233720368547758e18,
                                            1e300,
                                            std::numeric_limits<double>::denorm_min(),
                                            std::numeric_limits<double>::quiet_NaN(),
                                            std::numeric_limits<double>::infinity(),
                                            -std::numeric_limits<double>::infinity()};

TEST(TextWriterTest, gauge_values_are_written_like_text_serializer) {
  const std::vector<MetricFamily> families = {Family(MetricType::Gauge, kAwkwardValues)};

  EXPECT_EQ(Fast(families), Reference(families));
}

TEST(TextWriterTest, counter_values_are_written_like_text_serializer) {
  const std::vector<MetricFamily> families = {Family(MetricType::Counter, kAwkwardValues)};

  EXPECT_EQ(Fast(families), Reference(families));
}

TEST(TextWriterTest, untyped_values_are_written_like_text_serializer) {
  const std::vector<MetricFamily> families = {Family(MetricType::Untyped, kAwkwardValues)};

  EXPECT_EQ(Fast(families), Reference(families));
}

TEST(TextWriterTest, label_values_are_escaped_like_text_serializer) {
  MetricFamily family = Family(MetricType::Gauge, {1});
  family.metric[0].label = {
      {"a", R"(back\slash "quote")"}, {"b", "new\nline"}, {"c", ""}, {"d", "\\\"\n\\"}};
  const std::vector<MetricFamily> families = {family};

  EXPECT_EQ(Fast(families), Reference(families));
  EXPECT_NE(Fast(families).find(R"(a="back\\slash \"quote\"",b="new\nline",c="")"),
            std::string::npos);
}

TEST(TextWriterTest, family_without_help_has_only_a_type_line_like_text_serializer) {
  const std::vector<MetricFamily> families = {Family(MetricType::Gauge, {1}, "")};

  EXPECT_EQ(Fast(families), Reference(families));
  EXPECT_EQ(Fast(families).find("# HELP"), std::string::npos);
}

TEST(TextWriterTest, sample_without_labels_and_with_timestamp_is_written_like_text_serializer) {
  MetricFamily family = Family(MetricType::Gauge, {1, 2});
  family.metric[0].label.clear();
  family.metric[1].timestamp_ms = 1700000000123;
  const std::vector<MetricFamily> families = {family};

  EXPECT_EQ(Fast(families), Reference(families));
}

TEST(TextWriterTest, summary_is_delegated_to_text_serializer_in_place) {
  MetricFamily summary{"kpe_test_summary", "A summary.", MetricType::Summary, {}};
  ClientMetric& m = summary.metric.emplace_back();
  m.summary.sample_count = 3;
  m.summary.sample_sum = 1.5;
  m.summary.quantile = {{0.5, 0.25}};
  const std::vector<MetricFamily> families = {Family(MetricType::Gauge, {1}), summary,
                                              Family(MetricType::Counter, {2})};

  EXPECT_EQ(Fast(families), Reference(families));
}

TEST(TextWriterTest, appends_to_existing_text) {
  std::string out = "# existing\n";

  AppendText(out, {Family(MetricType::Gauge, {1})});

  EXPECT_EQ(out, "# existing\n" + Reference({Family(MetricType::Gauge, {1})}));
}

}  // namespace
}  // namespace kpe::metrics
