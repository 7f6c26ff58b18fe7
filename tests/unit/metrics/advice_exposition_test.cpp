// kafka_advice: one series per finding, valid exposition, nothing without findings.

#include "metrics/advice_exposition.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fixtures.h"

namespace kpe::metrics {
namespace {

using namespace fixtures;  // NOLINT: this folder's test helpers

advice::Finding MakeFinding(std::string rule, advice::Severity severity, std::string kind, std::string subject,
                            std::string cluster = "prod") {
  advice::Finding f;
  f.rule_id = std::move(rule);
  f.severity = severity;
  f.subject_kind = std::move(kind);
  f.subject = std::move(subject);
  f.cluster = std::move(cluster);
  f.summary = "something";
  f.evidence = {{"x", 1}};
  return f;
}

std::vector<advice::Finding> SomeFindings() {
  return {MakeFinding("group.lag_messages", advice::Severity::kCritical, "group", "orders-processor"),
          MakeFinding("topic.replication_factor_one", advice::Severity::kWarning, "topic", "audit \"log\""),
          MakeFinding("client.producer_small_batches", advice::Severity::kWarning, "client",
                      "billing#producer-1 (pod-7)", "")};
}

TEST(RenderAdviceTest, one_series_of_value_one_per_finding_with_its_labels) {
  const std::string text = RenderAdvice(SomeFindings());
  EXPECT_EQ(
      SampleValue(text,
                  R"(kafka_advice{cluster="prod",rule="group.lag_messages",severity="critical",subject="orders-processor",subject_kind="group"})"),
      1)
      << text;
  EXPECT_EQ(
      SampleValue(text,
                  R"x(kafka_advice{cluster="",rule="client.producer_small_batches",severity="warning",subject="billing#producer-1 (pod-7)",subject_kind="client"})x"),
      1)
      << text;
  EXPECT_EQ(CountLinesContaining(text, "kafka_advice{"), 3u) << text;
}

TEST(RenderAdviceTest, label_values_are_escaped) {
  const std::string text = RenderAdvice(SomeFindings());
  EXPECT_NE(text.find(R"(subject="audit \"log\"")"), std::string::npos) << text;
}

TEST(RenderAdviceTest, findings_with_equal_labels_give_one_series) {
  auto findings = SomeFindings();
  findings.push_back(findings.front());
  EXPECT_EQ(CountLinesContaining(RenderAdvice(findings), "kafka_advice{"), 3u);
}

TEST(RenderAdviceTest, no_findings_render_nothing) { EXPECT_EQ(RenderAdvice({}), ""); }

TEST(RenderAdviceTest, exposition_passes_promtool_check_metrics) {
  const CommandResult result = PromtoolCheckMetrics(RenderAdvice(SomeFindings()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace kpe::metrics
