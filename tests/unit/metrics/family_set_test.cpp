#include "metrics/family_set.h"

#include <gtest/gtest.h>
#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fixtures.h"
#include "metrics/exposition.h"
#include "metrics/names.h"
#include "state/snapshot.h"

namespace kpe::metrics {
namespace {

using internal::FamilySet;
using prometheus::ClientMetric;
using prometheus::MetricFamily;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Values whose text is easy to get wrong: special values, signs, exponents, integers beyond 2^53,
// and a sum that is not exactly 0.3.
const std::vector<double> kTrickyValues = {
    kNan, kInf, -kInf, 0, -0.0, -42.5, 1e-06, 1e-07, 123456789012, 9007199254740993.0,
    static_cast<double>(std::numeric_limits<int64_t>::max()), 1e300, 0.1 + 0.2};

// Label values with every character the text format escapes.
constexpr std::string_view kTrickyValue = "back\\slash \"quoted\"\nnew line\\";

MetricFamily ReferenceFamily(size_t row) {
  return MetricFamily{std::string(kFamilies[row].name), std::string(kFamilies[row].help),
                      kFamilies[row].type, {}};
}

void AddReference(MetricFamily& family, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric& m = family.metric.emplace_back();
  m.label = std::move(labels);
  m.counter.value = value;
  m.gauge.value = value;
}

/// The HELP/TYPE block and samples of family `name` in `text`; "" when it is absent.
std::string FamilyBlock(const std::string& text, std::string_view name) {
  const std::string head = "# HELP " + std::string(name) + " ";
  const size_t begin = text.find(head);
  if (begin == std::string::npos || (begin > 0 && text[begin - 1] != '\n')) return "";
  const size_t end = text.find("\n# HELP ", begin);
  return text.substr(begin, end == std::string::npos ? std::string::npos : end + 1 - begin);
}

TEST(FamilySetTest, series_are_written_like_text_serializer_writes_the_same_families) {
  constexpr size_t kGauge = FamilyIndex("kafka_consumergroup_lag_seconds", Part::kSnapshot);
  constexpr size_t kCounter =
      FamilyIndex("kafka_perf_exporter_snapshots_published_total", Part::kSnapshot);
  constexpr size_t kNoLabels = FamilyIndex("kafka_perf_exporter_series", Part::kSnapshot);
  const std::vector<Label> base = {{"cluster", kTrickyValue}, {"zone", "a\"b"}};
  FamilySet set;
  MetricFamily gauge = ReferenceFamily(kGauge);
  MetricFamily counter = ReferenceFamily(kCounter);
  MetricFamily no_labels = ReferenceFamily(kNoLabels);

  int i = 0;
  for (double value : kTrickyValues) {
    const std::string partition = std::to_string(i++);
    set.Add(kGauge, base, {{"partition", partition}, {"topic", "t\n"}}, value);
    AddReference(gauge,
                 {{"cluster", std::string(kTrickyValue)},
                  {"partition", partition},
                  {"topic", "t\n"},
                  {"zone", "a\"b"}},
                 value);
    const LabelText labels(base, {{"cluster", "own\\"}});
    set.Add(kCounter, labels, value);
    AddReference(counter, {{"cluster", "own\\"}, {"zone", "a\"b"}}, value);
  }
  set.Add(kNoLabels, 7);
  AddReference(no_labels, {}, 7);
  size_t series = 0;
  const std::string text = set.Serialize(Part::kSnapshot, &series);

  // In kFamilies (name) order.
  EXPECT_EQ(text, prometheus::TextSerializer().Serialize({gauge, no_labels, counter}));
  EXPECT_EQ(series, 2 * kTrickyValues.size() + 1);
}

TEST(FamilySetTest, serializes_only_the_families_of_the_part_asked_for) {
  FamilySet set;
  set.Add(FamilyIndex("kafka_up", Part::kSnapshot), 1);
  set.Add(FamilyIndex("process_threads", Part::kVolatile), 3);

  const std::string text = set.Serialize(Part::kVolatile, nullptr);

  EXPECT_EQ(text.find("kafka_up"), std::string::npos);
  EXPECT_NE(text.find("process_threads 3\n"), std::string::npos);
}

TEST(FamilySetTest, chunk_every_hands_out_each_header_then_every_n_lines_and_serialize_to_the_rest) {
  constexpr size_t kA = FamilyIndex("kafka_topic_partition_current_offset", Part::kSnapshot);
  constexpr size_t kB = FamilyIndex("kafka_topic_partition_oldest_offset", Part::kSnapshot);
  FamilySet set;
  std::vector<std::pair<size_t, std::string>> chunks;
  set.ChunkEvery(4, [&](size_t family, std::string_view text) { chunks.emplace_back(family, text); });
  std::string whole_a;
  std::string whole_b;
  // A: HELP and TYPE, then 6 samples (one whole chunk of 4); B: HELP and TYPE, then 3 samples.
  const std::vector<Label> base = {{"topic", "t"}};
  for (int i = 0; i < 6; ++i) {
    const std::string partition = std::to_string(i);
    set.Add(kA, base, {{"partition", partition}}, i);
    if (i < 3) set.Add(kB, base, {{"partition", partition}}, 10 + i);
  }
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].first, kA);  // A's header, B's header, then A's first 4 samples
  EXPECT_EQ(chunks[1].first, kB);
  EXPECT_EQ(chunks[2].first, kA);
  EXPECT_TRUE(chunks[0].second.starts_with("# HELP kafka_topic_partition_current_offset "));
  EXPECT_EQ(std::count(chunks[0].second.begin(), chunks[0].second.end(), '\n'), 2) << chunks[0].second;
  EXPECT_TRUE(chunks[1].second.starts_with("# HELP kafka_topic_partition_oldest_offset "));
  EXPECT_EQ(std::count(chunks[2].second.begin(), chunks[2].second.end(), '\n'), 4) << chunks[2].second;
  EXPECT_TRUE(chunks[2].second.ends_with("partition=\"3\",topic=\"t\"} 3\n")) << chunks[2].second;
  for (const auto& [family, text] : chunks) (family == kA ? whole_a : whole_b) += text;

  std::vector<std::pair<size_t, std::string>> rest;
  size_t series = 0;
  set.SerializeTo(Part::kSnapshot, &series,
                  [&](size_t family, std::string_view text) { rest.emplace_back(family, text); });
  EXPECT_EQ(series, 9u);
  // Both families are given, in table order.
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].first, std::min(kA, kB));
  EXPECT_EQ(rest[1].first, std::max(kA, kB));
  for (const auto& [family, text] : rest) (family == kA ? whole_a : whole_b) += text;
  EXPECT_EQ(std::count(whole_a.begin(), whole_a.end(), '\n'), 8);
  EXPECT_EQ(std::count(whole_b.begin(), whole_b.end(), '\n'), 5);
  EXPECT_NE(whole_b.find("partition=\"2\",topic=\"t\"} 12\n"), std::string::npos) << whole_b;
}

TEST(FamilySetTest, cut_hands_out_what_a_family_holds_and_splice_counts_series_put_in_place) {
  constexpr size_t kA = FamilyIndex("kafka_topic_partition_current_offset", Part::kSnapshot);
  FamilySet set;
  std::vector<std::string> chunks;
  set.ChunkEvery(100, [&](size_t, std::string_view text) { chunks.emplace_back(text); });
  set.Cut(kA);  // nothing held: nothing handed out
  EXPECT_TRUE(chunks.empty());

  set.Splice(kA, 3);  // the first series of A: its header goes out first
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_TRUE(chunks[0].starts_with("# HELP kafka_topic_partition_current_offset ")) << chunks[0];
  EXPECT_EQ(set.SeriesCount(kA), 3u);

  const std::vector<Label> none;
  set.Add(kA, none, {{"partition", "9"}}, 1);  // no second header
  set.Cut(kA);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1], "kafka_topic_partition_current_offset{partition=\"9\"} 1\n");
  set.Add(kA, none, {{"partition", "10"}}, 2);
  set.Splice(kA, 2);  // cuts what is held first
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[2], "kafka_topic_partition_current_offset{partition=\"10\"} 2\n");
  EXPECT_EQ(set.SeriesCount(kA), 7u);
  EXPECT_EQ(set.SeriesCount(), 7u);
}

TEST(FamilySetTest, splice_needs_chunk_every) {
  FamilySet set;
  EXPECT_THROW(set.Splice(0, 1), std::logic_error);
}

TEST(LabelTextTest, series_label_wins_over_a_base_label_of_the_same_name_and_order_is_kept) {
  const std::vector<Label> base = {{"a", "1"}, {"cluster", "c"}, {"z", "9"}};

  EXPECT_EQ(LabelText(base, {{"b", "2"}, {"cluster", "own"}}).View(),
            R"({a="1",b="2",cluster="own",z="9"})");
  EXPECT_EQ(LabelText().View(), "");
}

// The snapshot path (RenderExposition → FamilySet) against TextSerializer for the same families.
TEST(FamilySetTest, snapshot_with_tricky_values_renders_like_text_serializer) {
  state::ClusterSnapshot s = fixtures::BasicSnapshot();
  s.cluster = std::string(kTrickyValue);
  s.labels = {{"env", "say \"hi\"\\"}};
  s.collectors.resize(1);
  s.collectors[0].name = "off\nsets";
  s.collectors[0].duration_seconds = kNan;
  s.groups.clear();
  state::ConsumerGroup& g = s.groups.emplace_back();
  g.id = "group \"one\"\\\n";
  int32_t partition = 0;
  for (double value : kTrickyValues) {
    state::GroupPartition& p = g.partitions.emplace_back();
    p.topic = "to\"pic";
    p.partition = partition++;
    p.committed_offset = partition == 1 ? std::numeric_limits<int64_t>::max() : -partition;
    p.lag_seconds = value;
  }

  const std::string text = RenderExposition({std::make_shared<state::ClusterSnapshot>(s)})->Text();

  MetricFamily lag_seconds =
      ReferenceFamily(FamilyIndex("kafka_consumergroup_lag_seconds", Part::kSnapshot));
  MetricFamily current_offset =
      ReferenceFamily(FamilyIndex("kafka_consumergroup_current_offset", Part::kSnapshot));
  for (const state::GroupPartition& p : g.partitions) {
    const std::vector<ClientMetric::Label> labels = {{"cluster", s.cluster},
                                                     {"consumergroup", g.id},
                                                     {"env", "say \"hi\"\\"},
                                                     {"partition", std::to_string(p.partition)},
                                                     {"topic", p.topic}};
    // A lag in seconds stores "unknown" as NaN (util::PackedOptional): that partition has no series.
    if (p.lag_seconds) AddReference(lag_seconds, labels, *p.lag_seconds);
    AddReference(current_offset, labels, static_cast<double>(p.committed_offset));
  }
  MetricFamily duration = ReferenceFamily(
      FamilyIndex("kafka_perf_exporter_collector_duration_seconds", Part::kSnapshot));
  AddReference(duration,
               {{"cluster", s.cluster}, {"collector", "off\nsets"}, {"env", "say \"hi\"\\"}},
               kNan);

  for (const MetricFamily& family : {lag_seconds, current_offset, duration}) {
    EXPECT_EQ(FamilyBlock(text, family.name), prometheus::TextSerializer().Serialize({family}))
        << family.name;
  }
}

}  // namespace
}  // namespace kpe::metrics
