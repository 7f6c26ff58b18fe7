// TopicConfigClient against the Python test broker (scripted configs, refusals, delays, request counts) and
// librdkafka's mock cluster (no DescribeConfigs, controller 0: must fail fast and cleanly).

#include "kafka/config_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "kafka/mock_cluster.h"
#include "test_broker.h"
#include "test_support.h"

namespace kpe::kafka {
namespace {

using std::chrono::milliseconds;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;
using testing::TestBroker;
using Clock = std::chrono::steady_clock;

constexpr const char* kState = R"({
  "cluster_id": "test-cluster", "controller_id": 1,
  "topics": {
    "orders": {"partitions": [{"id": 0, "replicas": [1], "isr": [1]}],
               "configs": {"min.insync.replicas": "2", "segment.bytes": "1048576"}},
    "payments": {"partitions": [{"id": 0, "replicas": [1], "isr": [1]}]},
    "refunds": {"partitions": [{"id": 0, "replicas": [1], "isr": [1]}],
                "configs": {"cleanup.policy": "compact"}}
  }
})";

TopicConfigClientOptions OptionsFor(const std::string& bootstrap, milliseconds timeout = milliseconds(5000)) {
  TopicConfigClientOptions options;
  options.client.servers = {bootstrap};
  options.client.timeout = timeout;
  return options;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---------------------------------------------------------------------------------------------------------
// The Python test broker

TEST(TopicConfigClientTest, scripted_configs_come_back_with_the_broker_defaults) {
  TestBroker broker(kState);
  TopicConfigClient client(OptionsFor(broker.Bootstrap()));
  auto result = client.DescribeTopicConfigs({"orders", "payments"});
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0].topic, "orders");
  EXPECT_EQ(result[0].error, "");
  EXPECT_EQ(result[0].kind, ErrorKind::kNone);
  EXPECT_THAT(result[0].configs, Contains(Pair("min.insync.replicas", "2")));
  EXPECT_THAT(result[0].configs, Contains(Pair("segment.bytes", "1048576")));
  EXPECT_THAT(result[0].configs, Contains(Pair("retention.ms", "604800000")));
  EXPECT_EQ(result[1].topic, "payments");
  EXPECT_EQ(result[1].error, "");
  EXPECT_THAT(result[1].configs, Contains(Pair("min.insync.replicas", "1")));
}

TEST(TopicConfigClientTest, many_topics_go_in_one_request) {
  TestBroker broker(kState);
  TopicConfigClient client(OptionsFor(broker.Bootstrap()));
  auto result = client.DescribeTopicConfigs({"orders", "payments", "refunds"});
  for (const auto& entry : result) EXPECT_EQ(entry.error, "") << entry.topic;
  EXPECT_EQ(broker.RequestCount("DescribeConfigs"), 1);
}

TEST(TopicConfigClientTest, topics_are_split_into_batches_of_the_configured_size) {
  TestBroker broker(kState);
  auto options = OptionsFor(broker.Bootstrap());
  options.batch = 2;
  TopicConfigClient client(options);
  auto result = client.DescribeTopicConfigs({"orders", "payments", "refunds"});
  for (const auto& entry : result) EXPECT_EQ(entry.error, "") << entry.topic;
  EXPECT_EQ(result[2].configs.at("cleanup.policy"), "compact");
  EXPECT_EQ(broker.RequestCount("DescribeConfigs"), 2);
}

TEST(TopicConfigClientTest, a_key_subset_keeps_only_the_named_keys) {
  TestBroker broker(kState);
  auto options = OptionsFor(broker.Bootstrap());
  options.keys = {"min.insync.replicas", "cleanup.policy"};
  TopicConfigClient client(options);
  auto result = client.DescribeTopicConfigs({"orders"});
  ASSERT_EQ(result[0].error, "");
  EXPECT_THAT(result[0].configs, ElementsAre(Pair("cleanup.policy", "delete"), Pair("min.insync.replicas", "2")));
}

TEST(TopicConfigClientTest, duplicates_are_answered_in_input_order) {
  TestBroker broker(kState);
  TopicConfigClient client(OptionsFor(broker.Bootstrap()));
  auto result = client.DescribeTopicConfigs({"refunds", "orders", "refunds"});
  ASSERT_EQ(result.size(), 3u);
  EXPECT_EQ(result[0].topic, "refunds");
  EXPECT_EQ(result[1].topic, "orders");
  EXPECT_EQ(result[2].topic, "refunds");
  EXPECT_EQ(result[0].configs.at("cleanup.policy"), "compact");
  EXPECT_EQ(result[2].configs.at("cleanup.policy"), "compact");
  EXPECT_EQ(result[1].configs.at("min.insync.replicas"), "2");
}

TEST(TopicConfigClientTest, no_topics_sends_no_request) {
  TestBroker broker(kState);
  TopicConfigClient client(OptionsFor(broker.Bootstrap()));
  EXPECT_THAT(client.DescribeTopicConfigs({}), IsEmpty());
  EXPECT_EQ(broker.RequestCount("DescribeConfigs"), 0);
}

TEST(TopicConfigClientTest, an_unknown_topic_is_an_error_naming_it_while_the_others_succeed) {
  TestBroker broker(kState);
  TopicConfigClient client(OptionsFor(broker.Bootstrap()));
  auto result = client.DescribeTopicConfigs({"orders", "nosuch"});
  EXPECT_EQ(result[0].error, "");
  EXPECT_EQ(result[1].kind, ErrorKind::kOther);
  EXPECT_THAT(result[1].error, HasSubstr("topic nosuch"));
  EXPECT_THAT(result[1].error, HasSubstr("UNKNOWN_TOPIC_OR_PART"));
  EXPECT_THAT(result[1].configs, IsEmpty());
}

TEST(TopicConfigClientTest, a_refused_topic_is_an_authorization_error_while_the_others_succeed) {
  TestBroker broker(kState);
  auto options = OptionsFor(broker.Bootstrap());
  options.batch = 1;          // one topic per request, sent in name order:
  options.max_in_flight = 1;  // the first request ("orders") is the refused one
  TopicConfigClient client(options);
  broker.Control(R"({"op":"refuse","api":"DescribeConfigs","error_code":29,"times":1})");
  auto result = client.DescribeTopicConfigs({"payments", "orders", "refunds"});
  EXPECT_EQ(result[1].topic, "orders");
  EXPECT_EQ(result[1].kind, ErrorKind::kAuthorization);
  EXPECT_THAT(result[1].error, HasSubstr("TOPIC_AUTHORIZATION_FAILED"));
  EXPECT_THAT(result[1].error, HasSubstr("topic orders"));
  EXPECT_EQ(result[0].error, "");
  EXPECT_EQ(result[2].error, "");
  EXPECT_EQ(result[0].configs.at("min.insync.replicas"), "1");
}

TEST(TopicConfigClientTest, a_slow_broker_gives_timeouts_within_about_the_timeout) {
  TestBroker broker(kState);
  TopicConfigClient client(OptionsFor(broker.Bootstrap(), milliseconds(1000)));
  broker.Control(R"({"op":"delay","api":"DescribeConfigs","ms":4000})");
  const auto start = Clock::now();
  auto result = client.DescribeTopicConfigs({"orders", "payments"});
  EXPECT_LT(SecondsSince(start), 2.0);
  for (const auto& entry : result) {
    EXPECT_EQ(entry.kind, ErrorKind::kTimeout) << entry.topic << ": " << entry.error;
    EXPECT_THAT(entry.error, HasSubstr("describe configs"));
    EXPECT_THAT(entry.configs, IsEmpty());
  }
}

TEST(TopicConfigClientTest, the_client_answers_again_once_the_broker_is_fast_again) {
  TestBroker broker(kState);
  TopicConfigClient client(OptionsFor(broker.Bootstrap(), milliseconds(1000)));
  broker.Control(R"({"op":"delay","api":"DescribeConfigs","ms":2500})");
  ASSERT_EQ(client.DescribeTopicConfigs({"orders"})[0].kind, ErrorKind::kTimeout);
  broker.Control(R"({"op":"clear_faults"})");
  // The late answer to the first call must not be taken for the answer to this one.
  bool answered = testing::PollUntil(
      [&] {
        auto result = client.DescribeTopicConfigs({"orders"});
        return result[0].error.empty() && result[0].configs.at("min.insync.replicas") == "2";
      },
      milliseconds(8000), milliseconds(100));
  EXPECT_TRUE(answered);
}

TEST(TopicConfigClientTest, an_unreachable_cluster_gives_every_topic_an_error_within_about_the_timeout) {
  const auto start = Clock::now();
  {
    TopicConfigClient client(
        OptionsFor("127.0.0.1:" + std::to_string(testing::ClosedLoopbackPort()), milliseconds(1000)));
    auto result = client.DescribeTopicConfigs({"orders", "payments"});
    for (const auto& entry : result) {
      EXPECT_NE(entry.kind, ErrorKind::kNone) << entry.topic;
      EXPECT_THAT(entry.error, HasSubstr("describe configs")) << entry.topic;
    }
  }
  EXPECT_LT(SecondsSince(start), 3.0);
}

TEST(TopicConfigClientTest, empty_servers_are_rejected) {
  TopicConfigClientOptions options;
  EXPECT_THROW(
      {
        try {
          TopicConfigClient client(options);
        } catch (const std::invalid_argument& e) {
          EXPECT_THAT(e.what(), HasSubstr("no bootstrap servers"));
          throw;
        }
      },
      std::invalid_argument);
}

TEST(TopicConfigClientTest, a_bad_property_is_rejected_naming_it) {
  auto options = OptionsFor("127.0.0.1:9");
  options.client.properties["socket.timeout.ms"] = "not-a-number";
  EXPECT_THROW(
      {
        try {
          TopicConfigClient client(options);
        } catch (const std::invalid_argument& e) {
          EXPECT_THAT(e.what(), HasSubstr("socket.timeout.ms"));
          throw;
        }
      },
      std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------------------
// librdkafka's mock cluster: no DescribeConfigs, controller id 0

TEST(TopicConfigClientMockTest, the_mock_is_reported_unsupported_quickly_without_hanging_destruction) {
  MockCluster mock(3);
  mock.CreateTopic("orders", 2, 3);
  const auto start = Clock::now();
  {
    TopicConfigClient client(OptionsFor(mock.Bootstraps(), milliseconds(5000)));
    auto result = client.DescribeTopicConfigs({"orders", "payments"});
    ASSERT_EQ(result.size(), 2u);
    for (const auto& entry : result) {
      EXPECT_EQ(entry.kind, ErrorKind::kUnsupported) << entry.topic << ": " << entry.error;
      EXPECT_THAT(entry.error, HasSubstr("controller (broker 0)"));
      EXPECT_THAT(entry.configs, IsEmpty());
    }
  }
  EXPECT_LT(SecondsSince(start), 2.5);  // far below the 5 s timeout: no request waits for controller 0
}

TEST(TopicConfigClientMockTest, repeated_calls_on_the_mock_stay_fast) {
  MockCluster mock(1);
  mock.CreateTopic("orders", 1, 1);
  TopicConfigClient client(OptionsFor(mock.Bootstraps(), milliseconds(5000)));
  client.DescribeTopicConfigs({"orders"});
  const auto start = Clock::now();
  auto result = client.DescribeTopicConfigs({"orders"});
  EXPECT_EQ(result[0].kind, ErrorKind::kUnsupported);
  EXPECT_LT(SecondsSince(start), 1.0);
}

}  // namespace
}  // namespace kpe::kafka
