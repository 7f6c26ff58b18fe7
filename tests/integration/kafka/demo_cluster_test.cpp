// DemoCluster: a running workload on the mock, checked from the outside like the exporter would.

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "kafka/cluster_client.h"
#include "kafka/mock_cluster.h"
#include "kafka/rdkafka_ptr.h"
#include "test_support.h"

namespace kpe::kafka {
namespace {

using std::chrono::milliseconds;
using testing::PollUntil;

// Committed offsets of `group` for partitions 0..count-1 of `topic` (-1: none), read with OffsetFetch.
std::vector<int64_t> Committed(const std::string& bootstraps, const std::string& group,
                               const std::string& topic, int count) {
  rd::ConfPtr conf(rd_kafka_conf_new());
  rd::SetProperty(conf.get(), "bootstrap.servers", bootstraps);
  rd::SetProperty(conf.get(), "group.id", group);
  char error[512];
  rd::HandlePtr rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), error, sizeof error));
  if (!rk) throw std::runtime_error(error);
  conf.release();
  rd::PartitionListPtr list(rd_kafka_topic_partition_list_new(count));
  for (int p = 0; p < count; ++p) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  std::vector<int64_t> offsets(count, -1);
  if (rd_kafka_committed(rk.get(), list.get(), 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) return offsets;
  for (int i = 0; i < list->cnt; ++i) offsets[list->elems[i].partition] = list->elems[i].offset;
  return offsets;
}

int64_t Sum(const std::vector<int64_t>& values) {
  return std::accumulate(values.begin(), values.end(), int64_t{0},
                         [](int64_t sum, int64_t v) { return sum + std::max<int64_t>(v, 0); });
}

int64_t NewestSum(ClusterClient& client, const std::string& topic, int partitions) {
  std::vector<PartitionRef> refs;
  for (int p = 0; p < partitions; ++p) refs.push_back({topic, p});
  int64_t sum = 0;
  for (const auto& w : client.FetchWatermarks(refs)) {
    if (!w.error.empty()) return -1;
    sum += w.newest;
  }
  return sum;
}

class DemoClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { demo_ = new DemoCluster(); }
  static void TearDownTestSuite() {
    delete demo_;
    demo_ = nullptr;
  }
  static ClientOptions Options() {
    ClientOptions options;
    options.servers = {demo_->Bootstraps()};
    return options;
  }
  static DemoCluster* demo_;
};
DemoCluster* DemoClusterTest::demo_ = nullptr;

TEST_F(DemoClusterTest, has_three_brokers_and_the_demo_topics) {
  ClusterClient client(Options());
  auto metadata = client.FetchMetadata();
  ASSERT_TRUE(metadata.ok()) << metadata.error;
  EXPECT_EQ(metadata.value.brokers.size(), 3u);
  std::vector<std::pair<std::string, size_t>> topics;
  for (const auto& topic : metadata.value.topics) topics.emplace_back(topic.name, topic.partitions.size());
  for (const auto& expected : std::vector<std::pair<std::string, size_t>>{
           {"orders", 6}, {"payments", 3}, {"clickstream", 12}, {"audit-log", 1}}) {
    EXPECT_NE(std::ranges::find(topics, expected), topics.end()) << expected.first;
  }
}

TEST_F(DemoClusterTest, orders_offsets_advance) {
  ClusterClient client(Options());
  const int64_t first = NewestSum(client, "orders", 6);
  ASSERT_GE(first, 0);
  EXPECT_TRUE(PollUntil([&] { return NewestSum(client, "orders", 6) > first; }, milliseconds(5000)));
}

TEST_F(DemoClusterTest, order_processor_group_commits_offsets_but_lags_behind_the_producer) {
  ClusterClient client(Options());
  std::vector<int64_t> committed;
  ASSERT_TRUE(PollUntil(
      [&] {
        committed = Committed(demo_->Bootstraps(), "demo-order-processor", "orders", 6);
        return Sum(committed) > 0;
      },
      milliseconds(20000), milliseconds(500)));
  EXPECT_LT(Sum(committed), NewestSum(client, "orders", 6));
}

TEST_F(DemoClusterTest, analytics_group_commits_offsets_of_clickstream) {
  EXPECT_TRUE(
      PollUntil([&] { return Sum(Committed(demo_->Bootstraps(), "demo-analytics", "clickstream", 12)) > 0; },
                milliseconds(20000), milliseconds(500)));
}

}  // namespace
}  // namespace kpe::kafka
