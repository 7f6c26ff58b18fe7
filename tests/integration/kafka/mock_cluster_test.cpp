// MockCluster: the fault-injection calls and their error paths.

#include "kafka/mock_cluster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "kafka/cluster_client.h"

namespace kpe::kafka {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::ThrowsMessage;

TEST(MockClusterTest, bootstraps_list_one_loopback_address_per_broker) {
  MockCluster mock(3);
  EXPECT_EQ(mock.BrokerCount(), 3);
  EXPECT_THAT(mock.Bootstraps(),
              MatchesRegex("127\\.0\\.0\\.1:[0-9]+,127\\.0\\.0\\.1:[0-9]+,127\\.0\\.0\\.1:[0-9]+"));
}

TEST(MockClusterTest, zero_brokers_is_invalid_argument_naming_the_count) {
  EXPECT_THAT([] { MockCluster mock(0); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("broker count must be >= 1, got 0")));
}

TEST(MockClusterTest, creating_an_existing_topic_throws_naming_the_topic_and_the_reason) {
  MockCluster mock(1);
  mock.CreateTopic("twice", 1, 1);
  EXPECT_THAT(
      [&] { mock.CreateTopic("twice", 1, 1); },
      ThrowsMessage<std::runtime_error>(HasSubstr("create topic 'twice': Broker: Topic already exists")));
}

TEST(MockClusterTest, setting_the_leader_of_a_missing_partition_throws_naming_the_partition) {
  MockCluster mock(1);
  mock.CreateTopic("t", 1, 1);
  EXPECT_THAT([&] { mock.SetPartitionLeader("t", 4, 1); },
              ThrowsMessage<std::runtime_error>(HasSubstr("set leader of t/4: ")));
}

TEST(MockClusterTest, setting_an_unknown_broker_down_throws_naming_the_broker) {
  MockCluster mock(1);
  EXPECT_THAT([&] { mock.SetBrokerDown(42); },
              ThrowsMessage<std::runtime_error>(HasSubstr("set broker 42 down: ")));
}

TEST(MockClusterTest, produce_to_a_missing_partition_throws_naming_it) {
  MockCluster mock(1);
  mock.CreateTopic("small", 1, 1);
  EXPECT_THAT([&] { mock.Produce("small", 5, 1, milliseconds(3000)); },
              ThrowsMessage<std::runtime_error>(HasSubstr("produce to small/5: ")));
}

TEST(MockClusterTest, produce_to_a_down_leader_throws_when_not_acknowledged_in_time) {
  MockCluster mock(1);
  mock.CreateTopic("t", 1, 1);
  mock.Produce("t", 0, 1);  // the producer now knows the leader
  mock.SetBrokerDown(1);
  EXPECT_THAT([&] { mock.Produce("t", 0, 3, milliseconds(500)); },
              ThrowsMessage<std::runtime_error>(
                  HasSubstr("produce to t/0: 0 of 3 records acknowledged within 500 ms")));
}

TEST(MockClusterTest, broker_rtt_delays_its_answers) {
  MockCluster mock(1);
  ClientOptions options;
  options.servers = {mock.Bootstraps()};
  ClusterClient client(options);
  ASSERT_TRUE(client.FetchMetadata().ok());  // connected before the delay
  mock.SetBrokerRtt(1, milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.FetchMetadata().ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(250));
}

}  // namespace
}  // namespace kpe::kafka
