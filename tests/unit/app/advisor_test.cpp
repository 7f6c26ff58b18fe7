// Advisor: thresholds from the config, rates from an earlier snapshot, client rules merged; AdviceResponse:
// JSON or HTML by the Accept header.

#include "app/advisor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "../advice/advice_test_support.h"
#include "config/loader.h"

namespace kpe::app {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using advice::testing::kT0;
using advice::testing::MakePartition;
using advice::testing::MakeSnapshot;
using advice::testing::MakeTopic;
using advice::testing::RuleIds;
using SnapshotPtr = std::shared_ptr<const state::ClusterSnapshot>;

// Cluster "prod" with topic "orders" (one partition, three replicas) whose newest offset is `offset` at
// kT0 + `seconds`.
SnapshotPtr OrdersAt(double seconds, int64_t offset) {
  const auto at = kT0 + std::chrono::duration_cast<state::WallClock::duration>(std::chrono::duration<double>(seconds));
  auto snapshot = MakeSnapshot({MakeTopic("orders", {MakePartition(0, {1, 2, 3}, {1, 2, 3}, offset, at)})});
  snapshot.collected_at = at;
  return std::make_shared<const state::ClusterSnapshot>(std::move(snapshot));
}

constexpr const char* kPartitionsRule = "topic.partitions_below_throughput";

TEST(AdvisorTest, rates_between_two_snapshots_fire_the_partitions_rule) {
  Advisor advisor(config::DefaultConfig());
  advisor.Observe({OrdersAt(0, 0)});
  advisor.Observe({OrdersAt(10, 200000)});  // 20,000 records/s on one partition

  const auto findings = advisor.Findings(nullptr);
  ASSERT_THAT(RuleIds(findings), Contains(kPartitionsRule));
  const auto& f = *std::ranges::find(findings, std::string(kPartitionsRule), &advice::Finding::rule_id);
  EXPECT_DOUBLE_EQ(f.evidence.at("produce_rate_msgs_per_second"), 20000);
  EXPECT_DOUBLE_EQ(f.evidence.at("required_partitions"), 4);
  EXPECT_EQ(f.cluster, "prod");
}

TEST(AdvisorTest, one_snapshot_gives_no_rate_based_finding) {
  Advisor advisor(config::DefaultConfig());
  advisor.Observe({OrdersAt(10, 200000)});
  EXPECT_THAT(RuleIds(advisor.Findings(nullptr)), Not(Contains(kPartitionsRule)));
}

TEST(AdvisorTest, snapshots_closer_than_min_rate_interval_give_no_rate) {
  Advisor advisor(config::DefaultConfig());
  advisor.Observe({OrdersAt(0, 0)});
  advisor.Observe({OrdersAt(2, 40000)});  // 2 s < the default 5 s
  EXPECT_THAT(RuleIds(advisor.Findings(nullptr)), Not(Contains(kPartitionsRule)));
}

TEST(AdvisorTest, the_earlier_snapshot_stays_the_newest_one_old_enough) {
  Advisor advisor(config::DefaultConfig());
  advisor.Observe({OrdersAt(0, 0)});
  advisor.Observe({OrdersAt(10, 200000)});
  advisor.Observe({OrdersAt(12, 240000)});  // only 2 s after the previous one: rates from t=0

  const auto findings = advisor.Findings(nullptr);
  const auto f = std::ranges::find(findings, std::string(kPartitionsRule), &advice::Finding::rule_id);
  ASSERT_NE(f, findings.end());
  EXPECT_DOUBLE_EQ(f->evidence.at("produce_rate_msgs_per_second"), 20000);
}

TEST(AdvisorTest, the_same_snapshot_observed_twice_is_kept_once) {
  Advisor advisor(config::DefaultConfig());
  const auto latest = OrdersAt(10, 200000);
  advisor.Observe({OrdersAt(0, 0)});
  advisor.Observe({latest});
  advisor.Observe({latest, nullptr});
  EXPECT_THAT(RuleIds(advisor.Findings(nullptr)), Contains(kPartitionsRule));
}

TEST(AdvisorTest, threshold_override_from_the_config_changes_the_outcome) {
  config::Config config = config::DefaultConfig();
  config.advice["partition_produce_capacity"] = 50000;
  config.advice["partition_consume_capacity"] = 50000;
  Advisor advisor(config);
  advisor.Observe({OrdersAt(0, 0)});
  advisor.Observe({OrdersAt(10, 200000)});
  EXPECT_DOUBLE_EQ(advisor.thresholds().partition_consume_capacity_msgs_per_second, 50000);
  EXPECT_THAT(RuleIds(advisor.Findings(nullptr)), Not(Contains(kPartitionsRule)));
}

TEST(AdvisorTest, unknown_threshold_is_a_config_error_naming_the_key_and_where_it_was_set) {
  config::Config config = config::DefaultConfig();
  config.advice["lag_warning"] = 5;
  config.origins["advice.lag_warning"] = "exporter.yaml:40:3";
  try {
    Advisor advisor(config);
    FAIL() << "expected a ConfigError";
  } catch (const config::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("exporter.yaml:40:3: advice.lag_warning: unknown threshold (valid: "));
    EXPECT_THAT(e.what(), HasSubstr("lag_warning_messages"));
  }
}

TEST(AdvisorTest, client_findings_are_merged_with_the_cluster_ones) {
  Advisor advisor(config::DefaultConfig());
  advisor.Observe({OrdersAt(0, 0)});
  advisor.Observe({OrdersAt(10, 200000)});
  clientstats::ClientReport consumer;
  consumer.statistics.type = "consumer";
  consumer.statistics.name = "analytics#consumer-1";
  clientstats::TopicStats topic;
  topic.name = "orders";
  topic.partitions.push_back({.id = 0, .leader = 1, .consumer_lag = 5000000});
  consumer.statistics.topics = {topic};
  clientstats::ClientsSnapshot clients;
  clients.clients.push_back(std::make_shared<const clientstats::ClientReport>(consumer));

  const auto ids = RuleIds(advisor.Findings(&clients));
  ASSERT_GE(ids.size(), 2u);
  EXPECT_EQ(ids.front(), "client.consumer_lag");  // critical first
  EXPECT_THAT(ids, Contains(kPartitionsRule));
}

// ---------------------------------------------------------------------------------------------------------
// AdviceResponse

http::Request WithAccept(const std::string& accept) {
  http::Request request;
  request.method = "GET";
  request.path = "/advice";
  if (!accept.empty()) request.headers.emplace_back("accept", accept);
  return request;
}

std::vector<advice::Finding> OneFinding() {
  advice::Finding f;
  f.rule_id = "topic.replication_factor_one";
  f.severity = advice::Severity::kWarning;
  f.subject_kind = "topic";
  f.subject = "orders";
  f.cluster = "prod";
  return {f};
}

TEST(AdviceResponseTest, json_without_an_accept_header) {
  const auto response = AdviceResponse(OneFinding(), WithAccept(""));
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_THAT(response.body, HasSubstr(R"("rule":"topic.replication_factor_one")"));
}

TEST(AdviceResponseTest, html_for_a_browser) {
  const auto response = AdviceResponse(
      OneFinding(), WithAccept("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(response.body, HasSubstr("<html"));
  EXPECT_THAT(response.body, HasSubstr("topic.replication_factor_one"));
  EXPECT_THAT(response.headers, Contains(std::pair<std::string, std::string>("Vary", "Accept")));
}

TEST(AdviceResponseTest, json_for_curl_and_for_any_type) {
  EXPECT_EQ(AdviceResponse(OneFinding(), WithAccept("*/*")).content_type, "application/json");
}

TEST(PrefersHtmlTest, follows_q_values_and_order) {
  EXPECT_TRUE(PrefersHtml("text/html"));
  EXPECT_TRUE(PrefersHtml("application/json;q=0.5, text/html"));
  EXPECT_TRUE(PrefersHtml("TEXT/HTML ; q=0.9, application/json;q=0.8"));
  EXPECT_TRUE(PrefersHtml("text/html, application/json"));
  EXPECT_FALSE(PrefersHtml("application/json, text/html"));
  EXPECT_FALSE(PrefersHtml("text/html;q=0.5, application/json"));
  EXPECT_FALSE(PrefersHtml("text/html;q=0"));
  EXPECT_FALSE(PrefersHtml("text/html;q=0, */*"));
  EXPECT_FALSE(PrefersHtml("text/html;q=high"));
  EXPECT_FALSE(PrefersHtml(""));
}

}  // namespace
}  // namespace kpe::app
