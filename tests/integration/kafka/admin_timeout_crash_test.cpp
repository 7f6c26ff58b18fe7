// Regression test for librdkafka 2.0.2's enq_once use-after-free (confluentinc/librdkafka#4605): an Admin
// request to a group coordinator that librdkafka times out before the coordinator is known is later sent
// anyway, and its error path frees what it then uses ("rd_kafka_enq_once_del_source_return: Assertion
// 'eonce->refcnt > 0' failed", SIGABRT). Slow brokers and a deadline shorter than a FindCoordinator
// round trip make every call leave requests behind at its deadline; before GroupClient kept librdkafka's
// own timeout far beyond ours, this aborted the test binary within a few calls.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "kafka/group_client.h"
#include "kafka/mock_cluster.h"

namespace kpe::kafka {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

TEST(GroupClientAdminTimeoutTest, requests_outliving_the_deadline_never_crash_and_answers_come_back_after) {
  MockCluster mock(3);
  mock.CreateTopic("orders", 4, 3);
  std::vector<PartitionRef> partitions;
  for (int p = 0; p < 4; ++p) partitions.push_back({"orders", p});
  std::vector<std::string> groups;
  for (int g = 0; g < 200; ++g) groups.push_back("stress-" + std::to_string(g));

  GroupClientOptions options;
  options.client.servers = {mock.Bootstraps()};
  options.client.timeout = milliseconds(150);
  options.max_in_flight = 64;
  GroupClient client(options);
  // Every round trip (FindCoordinator included) takes longer than the whole deadline.
  for (int32_t broker = 1; broker <= 3; ++broker) mock.SetBrokerRtt(broker, milliseconds(400));
  int timed_out = 0;
  for (int call = 0; call < 12; ++call) {
    auto result = client.FetchCommittedOffsets(groups, partitions);
    ASSERT_EQ(result.size(), groups.size());
    for (const auto& entry : result) timed_out += entry.kind == ErrorKind::kTimeout ? 1 : 0;
  }
  EXPECT_GT(timed_out, 0);  // the deadline was really missed

  // Fast again: the client still answers every group (late answers of earlier calls are not taken).
  for (int32_t broker = 1; broker <= 3; ++broker) mock.SetBrokerRtt(broker, milliseconds(0));
  bool all_answered = false;
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  while (!all_answered && Clock::now() < deadline) {
    auto result = client.FetchCommittedOffsets({"stress-0", "stress-1"}, partitions);
    all_answered = result[0].error.empty() && result[1].error.empty();
  }
  EXPECT_TRUE(all_answered);
}

}  // namespace
}  // namespace kpe::kafka
