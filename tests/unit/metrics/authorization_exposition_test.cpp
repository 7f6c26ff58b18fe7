// kafka_perf_exporter_authorization_failures: one series per refused resource and operation.

#include <gtest/gtest.h>

#include <string>

#include "fixtures.h"
#include "metrics/exposition.h"

namespace kpe::metrics {
namespace {

using namespace fixtures;  // NOLINT: this folder's test helpers

std::string Render(const state::ClusterSnapshot& s) { return RenderExposition(One(s))->Text(); }

TEST(AuthorizationExpositionTest, each_refusal_is_one_series_labelled_with_resource_and_operation) {
  state::ClusterSnapshot s = BasicSnapshot();
  s.authorization_failures = {{"cluster", "prod", "list", "Broker: Cluster authorization failed"},
                              {"group", "billing", "describe", "Broker: Group authorization failed"},
                              {"topic", "orders", "configs", "Broker: Topic authorization failed"}};

  const std::string text = Render(s);

  EXPECT_EQ(SampleValue(text, R"(kafka_perf_exporter_authorization_failures{cluster="prod",env="production",resource_type="group",resource="billing",operation="describe",zone="eu-west-1"})"),
            1);
  EXPECT_EQ(SampleValue(text, R"(kafka_perf_exporter_authorization_failures{cluster="prod",env="production",resource_type="topic",resource="orders",operation="configs",zone="eu-west-1"})"),
            1);
  EXPECT_EQ(SampleValue(text, R"(kafka_perf_exporter_authorization_failures{cluster="prod",env="production",resource_type="cluster",resource="prod",operation="list",zone="eu-west-1"})"),
            1);
  EXPECT_EQ(CountLinesContaining(text, "kafka_perf_exporter_authorization_failures{"), 3u);
}

TEST(AuthorizationExpositionTest, no_refusal_no_series_and_the_broker_message_is_not_exported) {
  state::ClusterSnapshot s = BasicSnapshot();
  EXPECT_EQ(CountLinesContaining(Render(s), "kafka_perf_exporter_authorization_failures{"), 0u);

  s.authorization_failures = {{"topic", "orders", "offsets", "Broker: Topic authorization failed"}};
  EXPECT_EQ(CountLinesContaining(Render(s), "Topic authorization failed"), 0u);
}

}  // namespace
}  // namespace kpe::metrics
