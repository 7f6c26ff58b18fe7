// Findings as JSON (parsed back with simdjson), HTML (escaped) and a terminal table (aligned).

#include "advice/output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace kpe::advice {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Finding MakeFinding(std::string rule, Severity severity, std::string subject) {
  Finding f;
  f.rule_id = std::move(rule);
  f.severity = severity;
  f.subject_kind = "topic";
  f.subject = std::move(subject);
  f.cluster = "prod";
  f.evidence = {{"partitions", 2}, {"rate", 12.5}};
  f.summary = "summary of " + f.subject;
  f.recommendation = "do something about " + f.subject;
  return f;
}

std::vector<Finding> Mixed() {
  return {MakeFinding("topic.b_rule", Severity::kInfo, "t1"), MakeFinding("topic.a_rule", Severity::kWarning, "t2"),
          MakeFinding("topic.a_rule", Severity::kWarning, "t1"),
          MakeFinding("cluster.z_rule", Severity::kCritical, "t3")};
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// ---------------------------------------------------------------------------------------------------------
// JSON

TEST(FindingsToJsonTest, parses_and_lists_findings_by_severity_then_rule_then_subject) {
  const std::string json = FindingsToJson(Mixed());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  std::vector<std::string> order;
  for (simdjson::dom::element f : doc["findings"].get_array()) {
    order.push_back(std::string(f["severity"].get_string().value()) + " " +
                    std::string(f["rule"].get_string().value()) + " " + std::string(f["subject"].get_string().value()));
  }
  EXPECT_THAT(order, ::testing::ElementsAre("critical cluster.z_rule t3", "warning topic.a_rule t1",
                                            "warning topic.a_rule t2", "info topic.b_rule t1"));
  EXPECT_EQ(doc["counts"]["critical"].get_int64().value(), 1);
  EXPECT_EQ(doc["counts"]["warning"].get_int64().value(), 2);
  EXPECT_EQ(doc["counts"]["info"].get_int64().value(), 1);
}

TEST(FindingsToJsonTest, carries_every_field_and_the_evidence_numbers) {
  const std::string json = FindingsToJson({MakeFinding("topic.a_rule", Severity::kWarning, "orders")});
  simdjson::dom::parser parser;
  simdjson::dom::element f = parser.parse(json)["findings"].at(0);
  EXPECT_EQ(f["subject_kind"].get_string().value(), "topic");
  EXPECT_EQ(f["cluster"].get_string().value(), "prod");
  EXPECT_EQ(f["summary"].get_string().value(), "summary of orders");
  EXPECT_EQ(f["recommendation"].get_string().value(), "do something about orders");
  EXPECT_DOUBLE_EQ(f["evidence"]["rate"].get_double().value(), 12.5);
  EXPECT_DOUBLE_EQ(f["evidence"]["partitions"].get_double().value(), 2);
}

TEST(FindingsToJsonTest, escapes_quotes_backslashes_and_control_characters) {
  Finding f = MakeFinding("topic.a_rule", Severity::kInfo, "we\"ird\\name\n\x01");
  const std::string json = FindingsToJson({f});
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  EXPECT_EQ(doc["findings"].at(0)["subject"].get_string().value(), "we\"ird\\name\n\x01");
}

TEST(FindingsToJsonTest, non_finite_evidence_is_null) {
  Finding f = MakeFinding("topic.a_rule", Severity::kInfo, "orders");
  f.evidence = {{"ratio", std::numeric_limits<double>::infinity()}};
  const std::string json = FindingsToJson({f});
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  EXPECT_TRUE(doc["findings"].at(0)["evidence"]["ratio"].is_null());
}

TEST(FindingsToJsonTest, input_order_does_not_change_the_output) {
  auto findings = Mixed();
  const std::string first = FindingsToJson(findings);
  std::reverse(findings.begin(), findings.end());
  EXPECT_EQ(FindingsToJson(findings), first);
}

TEST(FindingsToJsonTest, no_findings_is_an_empty_list) {
  EXPECT_EQ(FindingsToJson({}), R"({"counts":{"critical":0,"warning":0,"info":0},"findings":[]})");
}

// ---------------------------------------------------------------------------------------------------------
// HTML

TEST(FindingsToHtmlTest, escapes_every_text) {
  Finding f = MakeFinding("topic.a_rule", Severity::kWarning, "<script>alert('x')</script>");
  f.recommendation = "a & b \"quoted\"";
  const std::string html = FindingsToHtml({f});
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("a &amp; b &quot;quoted&quot;"));
}

TEST(FindingsToHtmlTest, has_one_row_per_finding_critical_first) {
  const std::string html = FindingsToHtml(Mixed());
  const auto critical = html.find("<tr class=\"critical\">");
  const auto info = html.find("<tr class=\"info\">");
  ASSERT_NE(critical, std::string::npos);
  ASSERT_NE(info, std::string::npos);
  EXPECT_LT(critical, info);
  size_t rows = 0;
  for (auto at = html.find("<tr class="); at != std::string::npos; at = html.find("<tr class=", at + 1)) ++rows;
  EXPECT_EQ(rows, 4u);
  EXPECT_THAT(html, HasSubstr("1 critical, 2 warning, 1 info"));
  EXPECT_THAT(html, HasSubstr("rate = 12.5"));
}

TEST(FindingsToHtmlTest, no_findings_says_so) {
  EXPECT_THAT(FindingsToHtml({}), HasSubstr("No findings."));
}

// ---------------------------------------------------------------------------------------------------------
// Table

TEST(FindingsToTableTest, columns_start_at_the_same_offset_on_every_row) {
  auto findings = Mixed();
  findings[0].subject = "a-much-longer-topic-name";
  const auto lines = Lines(FindingsToTable(findings));
  ASSERT_GE(lines.size(), 1u + 2 * findings.size());
  const std::string& header = lines[0];
  const size_t rule_at = header.find("RULE");
  const size_t subject_at = header.find("SUBJECT");
  const size_t summary_at = header.find("SUMMARY");
  for (size_t r = 0; r < findings.size(); ++r) {
    const std::string& row = lines[1 + 2 * r];
    SCOPED_TRACE(row);
    EXPECT_NE(row.substr(rule_at, 6), "      ");
    EXPECT_EQ(row[rule_at - 1], ' ');
    EXPECT_NE(row[rule_at], ' ');
    EXPECT_EQ(row[subject_at - 1], ' ');
    EXPECT_EQ(row.substr(subject_at, 6), "topic ");
    EXPECT_EQ(row.substr(summary_at, 10), "summary of");
  }
}

TEST(FindingsToTableTest, each_finding_is_followed_by_its_fix_and_the_counts_end_it) {
  const auto lines = Lines(FindingsToTable(Mixed()));
  EXPECT_THAT(lines[1], HasSubstr("critical"));
  EXPECT_EQ(lines[2], "    fix: do something about t3");
  EXPECT_EQ(lines.back(), "1 critical, 2 warning, 1 info");
}

TEST(FindingsToTableTest, no_findings_says_so) { EXPECT_EQ(FindingsToTable({}), "no findings\n"); }

}  // namespace
}  // namespace kpe::advice
