// ClusterClient against librdkafka's mock cluster over loopback.

#include "kafka/cluster_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <simdjson.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "kafka/mock_cluster.h"
#include "kafka/version.h"
#include "test_support.h"
#include "util/thread_priority.h"

namespace kpe::kafka {
namespace {

using std::chrono::milliseconds;
using testing::ClosedLoopbackPort;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::PollUntil;
using Clock = std::chrono::steady_clock;

ClientOptions OptionsFor(const MockCluster& mock, milliseconds timeout = milliseconds(5000)) {
  ClientOptions options;
  options.servers = {mock.Bootstraps()};
  options.timeout = timeout;
  // Reconnect quickly to a broker that comes back, so tests of recovery stay short.
  options.properties["reconnect.backoff.max.ms"] = "500";
  return options;
}

std::vector<PartitionRef> PartitionsOf(const std::string& topic, int count) {
  std::vector<PartitionRef> refs;
  for (int p = 0; p < count; ++p) refs.push_back({topic, p});
  return refs;
}

const TopicMetadata* FindTopic(const ClusterMetadata& metadata, const std::string& name) {
  auto it = std::ranges::find(metadata.topics, name, &TopicMetadata::name);
  return it == metadata.topics.end() ? nullptr : &*it;
}

TEST(ClusterClientTest, metadata_lists_every_broker_sorted_by_id_with_its_address) {
  MockCluster mock(3);
  ClusterClient client(OptionsFor(mock));
  auto metadata = client.FetchMetadata();
  ASSERT_TRUE(metadata.ok()) << metadata.error;
  std::vector<int32_t> ids;
  for (const auto& broker : metadata.value.brokers) {
    ids.push_back(broker.id);
    EXPECT_EQ(broker.host, "127.0.0.1");
    EXPECT_THAT(mock.Bootstraps(), HasSubstr("127.0.0.1:" + std::to_string(broker.port)));
  }
  EXPECT_THAT(ids, ElementsAre(1, 2, 3));
}

TEST(ClusterClientTest, metadata_lists_topics_by_name_with_partitions_by_id_and_their_replicas) {
  MockCluster mock(3);
  mock.CreateTopic("zeta", 4, 3);
  mock.CreateTopic("alpha", 2, 3);
  ClusterClient client(OptionsFor(mock));
  auto metadata = client.FetchMetadata();
  ASSERT_TRUE(metadata.ok()) << metadata.error;

  std::vector<std::string> names;
  for (const auto& topic : metadata.value.topics) names.push_back(topic.name);
  EXPECT_TRUE(std::ranges::is_sorted(names));
  const TopicMetadata* zeta = FindTopic(metadata.value, "zeta");
  ASSERT_NE(zeta, nullptr);
  ASSERT_NE(FindTopic(metadata.value, "alpha"), nullptr);
  ASSERT_EQ(zeta->partitions.size(), 4u);
  for (int p = 0; p < 4; ++p) {
    const PartitionMetadata& partition = zeta->partitions[p];
    EXPECT_EQ(partition.id, p);
    EXPECT_EQ(partition.error, "");
    EXPECT_EQ(partition.replicas.size(), 3u);
    EXPECT_THAT(partition.replicas, ::testing::Contains(partition.leader));
    EXPECT_EQ(partition.isr, partition.replicas);  // the mock's ISR is always the replica list
  }
}

TEST(ClusterClientTest, metadata_carries_cluster_id_and_controller_id) {
  MockCluster mock(3);
  ClusterClient client(OptionsFor(mock));
  auto metadata = client.FetchMetadata();
  ASSERT_TRUE(metadata.ok()) << metadata.error;
  EXPECT_FALSE(metadata.value.cluster_id.empty());
  // The mock reports controller 0 (not one of its brokers); -1 would mean "not known".
  EXPECT_EQ(metadata.value.controller_id, 0);
}

TEST(ClusterClientTest, leader_move_is_reflected_in_the_next_metadata) {
  MockCluster mock(3);
  mock.CreateTopic("moving", 1, 3);
  mock.SetPartitionLeader("moving", 0, 1);
  ClusterClient client(OptionsFor(mock));
  auto before = client.FetchMetadata();
  ASSERT_TRUE(before.ok()) << before.error;
  ASSERT_EQ(FindTopic(before.value, "moving")->partitions[0].leader, 1);

  mock.SetPartitionLeader("moving", 0, 3);
  auto after = client.FetchMetadata();
  ASSERT_TRUE(after.ok()) << after.error;
  EXPECT_EQ(FindTopic(after.value, "moving")->partitions[0].leader, 3);
}

TEST(ClusterClientTest, newest_offset_advances_by_exactly_the_number_of_records_produced) {
  MockCluster mock(3);
  mock.CreateTopic("events", 2, 3);
  ClusterClient client(OptionsFor(mock));
  mock.Produce("events", 1, 7);
  auto before = client.FetchWatermarks(PartitionsOf("events", 2));
  ASSERT_EQ(before.size(), 2u);
  ASSERT_EQ(before[1].error, "");
  mock.Produce("events", 1, 25);
  auto after = client.FetchWatermarks(PartitionsOf("events", 2));
  ASSERT_EQ(after[1].error, "");
  EXPECT_EQ(before[1].newest, 7);
  EXPECT_EQ(after[1].newest - before[1].newest, 25);
  EXPECT_EQ(after[0].newest, 0);  // the other partition got nothing
}

TEST(ClusterClientTest, oldest_offset_of_a_fresh_partition_is_zero) {
  MockCluster mock(3);
  mock.CreateTopic("events", 1, 3);
  mock.Produce("events", 0, 10);
  ClusterClient client(OptionsFor(mock));
  auto watermarks = client.FetchWatermarks(PartitionsOf("events", 1));
  ASSERT_EQ(watermarks.size(), 1u);
  EXPECT_EQ(watermarks[0].error, "");
  EXPECT_EQ(watermarks[0].oldest, 0);
  EXPECT_EQ(watermarks[0].newest, 10);
}

TEST(ClusterClientTest, watermarks_have_one_entry_per_input_in_input_order) {
  MockCluster mock(3);
  mock.CreateTopic("a", 3, 3);
  mock.CreateTopic("b", 2, 3);
  mock.Produce("a", 2, 3);
  mock.Produce("b", 0, 5);
  ClusterClient client(OptionsFor(mock));
  std::vector<PartitionRef> input = {{"b", 1}, {"a", 2}, {"b", 0}, {"a", 0}, {"a", 2}};
  auto watermarks = client.FetchWatermarks(input);
  ASSERT_EQ(watermarks.size(), input.size());
  std::vector<int64_t> newest;
  for (size_t i = 0; i < input.size(); ++i) {
    EXPECT_EQ(watermarks[i].topic, input[i].topic);
    EXPECT_EQ(watermarks[i].partition, input[i].partition);
    EXPECT_EQ(watermarks[i].error, "");
    newest.push_back(watermarks[i].newest);
  }
  EXPECT_THAT(newest, ElementsAre(0, 3, 5, 0, 3));
}

TEST(ClusterClientTest, watermarks_of_a_partition_missing_from_metadata_is_an_error_entry_naming_why) {
  MockCluster mock(3);
  mock.CreateTopic("a", 1, 3);
  ClusterClient client(OptionsFor(mock));
  auto watermarks = client.FetchWatermarks({{"a", 0}, {"a", 9}, {"no-such-topic", 0}});
  ASSERT_EQ(watermarks.size(), 3u);
  EXPECT_EQ(watermarks[0].error, "");
  EXPECT_THAT(watermarks[1].error, HasSubstr("not in cluster metadata"));
  EXPECT_EQ(watermarks[1].newest, -1);
  EXPECT_THAT(watermarks[2].error, HasSubstr("not in cluster metadata"));
}

TEST(ClusterClientTest, watermarks_of_an_empty_list_are_empty) {
  MockCluster mock(1);
  ClusterClient client(OptionsFor(mock));
  EXPECT_TRUE(client.FetchWatermarks({}).empty());
}

// Three leaders, one per partition; broker 2 goes down.
class BrokerDownTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mock_.CreateTopic("spread", 6, 3);
    for (int p = 0; p < 6; ++p) mock_.SetPartitionLeader("spread", p, 1 + p % 3);
    for (int p = 0; p < 6; ++p) mock_.Produce("spread", p, p + 1);
    auto metadata = client_.FetchMetadata();
    ASSERT_TRUE(metadata.ok()) << metadata.error;
    mock_.SetBrokerDown(2);
  }

  static constexpr milliseconds kTimeout{1000};
  MockCluster mock_{3};
  ClusterClient client_{OptionsFor(mock_, kTimeout)};
};

TEST_F(BrokerDownTest, partitions_led_by_a_down_broker_get_errors_and_the_others_values_within_the_timeout) {
  const auto start = Clock::now();
  auto watermarks = client_.FetchWatermarks(PartitionsOf("spread", 6));
  const auto elapsed = Clock::now() - start;

  EXPECT_LT(elapsed, 3 * kTimeout);
  ASSERT_EQ(watermarks.size(), 6u);
  for (int p = 0; p < 6; ++p) {
    SCOPED_TRACE("partition " + std::to_string(p));
    if (1 + p % 3 == 2) {
      EXPECT_THAT(watermarks[p].error, HasSubstr("leader 2"));
      EXPECT_THAT(watermarks[p].error, HasSubstr("Timed out"));
    } else {
      EXPECT_EQ(watermarks[p].error, "");
      EXPECT_EQ(watermarks[p].newest, p + 1);
      EXPECT_EQ(watermarks[p].oldest, 0);
    }
  }
}

TEST_F(BrokerDownTest, partitions_get_values_again_once_the_broker_is_back_up) {
  ASSERT_NE(client_.FetchWatermarks({{"spread", 1}})[0].error, "");
  mock_.SetBrokerUp(2);
  std::vector<Watermarks> watermarks;
  EXPECT_TRUE(PollUntil(
      [&] {
        watermarks = client_.FetchWatermarks(PartitionsOf("spread", 6));
        return std::ranges::all_of(watermarks, [](const Watermarks& w) { return w.error.empty(); });
      },
      milliseconds(15000)));
  EXPECT_EQ(watermarks[1].newest, 2);
  EXPECT_EQ(watermarks[4].newest, 5);
}

TEST(ClusterClientTest, metadata_from_an_unreachable_bootstrap_is_an_error_within_about_the_timeout) {
  ClientOptions options;
  options.servers = {"127.0.0.1:" + std::to_string(ClosedLoopbackPort())};
  options.timeout = milliseconds(1000);
  ClusterClient client(options);
  const auto start = Clock::now();
  auto metadata = client.FetchMetadata();
  const auto elapsed = Clock::now() - start;
  EXPECT_FALSE(metadata.ok());
  EXPECT_THAT(metadata.error, HasSubstr("metadata request: "));
  EXPECT_LT(elapsed, milliseconds(2000));
}

TEST(ClusterClientTest, watermarks_from_an_unreachable_bootstrap_are_errors_within_about_the_timeout) {
  ClientOptions options;
  options.servers = {"127.0.0.1:" + std::to_string(ClosedLoopbackPort())};
  options.timeout = milliseconds(1000);
  ClusterClient client(options);
  const auto start = Clock::now();
  auto watermarks = client.FetchWatermarks({{"t", 0}, {"t", 1}});
  const auto elapsed = Clock::now() - start;
  ASSERT_EQ(watermarks.size(), 2u);
  EXPECT_THAT(watermarks[0].error, HasSubstr("not in cluster metadata"));
  EXPECT_THAT(watermarks[1].error, HasSubstr("not in cluster metadata"));
  EXPECT_LT(elapsed, milliseconds(2000));
}

TEST(ClusterClientTest, a_repeated_connection_error_is_logged_as_a_warning_once) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  spdlog::set_level(spdlog::level::debug);
  {
    ClientOptions options;
    options.servers = {"127.0.0.1:" + std::to_string(ClosedLoopbackPort())};
    options.timeout = milliseconds(300);
    options.properties["reconnect.backoff.ms"] = "10";
    options.properties["reconnect.backoff.max.ms"] = "10";
    ClusterClient client(options);
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(client.FetchMetadata().ok());
  }
  spdlog::set_default_logger(previous);
  int transport_warnings = 0;
  int transport_repeats = 0;
  for (const auto& line : sink->last_formatted()) {
    if (line.find("_TRANSPORT") == std::string::npos) continue;
    if (line.find("[warning]") != std::string::npos) ++transport_warnings;
    if (line.find("(again)") != std::string::npos) ++transport_repeats;
  }
  EXPECT_EQ(transport_warnings, 1);
  EXPECT_GE(transport_repeats, 1);  // the error did repeat, at debug level
}

TEST(ClusterClientTest, librdkafka_version_is_the_linked_library_version) {
  EXPECT_EQ(LibrdkafkaVersion(), rd_kafka_version_str());
}

TEST(ClusterClientTest, unknown_property_is_invalid_argument_naming_it) {
  ClientOptions options;
  options.servers = {"127.0.0.1:9092"};
  options.properties["no.such.property"] = "1";
  try {
    ClusterClient client(options);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("kafka property 'no.such.property': "));
    EXPECT_THAT(e.what(), HasSubstr("No such configuration property"));
  }
}

TEST(ClusterClientTest, invalid_property_value_is_invalid_argument_naming_the_property) {
  ClientOptions options;
  options.servers = {"127.0.0.1:9092"};
  options.properties["socket.timeout.ms"] = "soon";
  EXPECT_THAT([&] { ClusterClient client(options); }, ::testing::ThrowsMessage<std::invalid_argument>(
                                                          HasSubstr("kafka property 'socket.timeout.ms': ")));
}

TEST(ClusterClientTest, no_bootstrap_server_is_invalid_argument) {
  EXPECT_THAT([] { ClusterClient client(ClientOptions{}); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("no bootstrap servers")));
}

// Collects statistics documents and reads the per-broker ListOffsets request counters from them.
class StatisticsRecorder {
 public:
  void Record(std::string_view json) {
    std::lock_guard lock(mutex_);
    last_ = std::string(json);
    ++count_;
  }
  int Count() {
    std::lock_guard lock(mutex_);
    return count_;
  }
  /// Broker node id → req.ListOffsets in the latest document.
  std::map<int64_t, int64_t> ListOffsetsByBroker() {
    std::string json;
    {
      std::lock_guard lock(mutex_);
      json = last_;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(json);
    std::map<int64_t, int64_t> counts;
    for (auto [name, broker] : doc["brokers"].get_object()) {
      int64_t node_id = broker["nodeid"].get_int64();
      if (node_id < 0) continue;  // bootstrap connection
      counts[node_id] = broker["req"]["ListOffsets"].get_int64();
    }
    return counts;
  }

 private:
  std::mutex mutex_;
  std::string last_;
  int count_ = 0;
};

// Waits for two statistics documents after now: at least one was made after the calls before it.
std::map<int64_t, int64_t> FreshListOffsetsCounts(ClusterClient& client, StatisticsRecorder& stats) {
  const int seen = stats.Count();
  EXPECT_TRUE(PollUntil(
      [&] {
        client.ServeCallbacks();
        return stats.Count() >= seen + 2;
      },
      milliseconds(5000), milliseconds(20)));
  return stats.ListOffsetsByBroker();
}

TEST(ClusterClientTest,
     watermarks_cost_at_most_two_list_offsets_requests_per_broker_whatever_the_partition_count) {
  MockCluster mock(3);
  mock.CreateTopic("many", 60, 3);
  mock.CreateTopic("few", 3, 3);
  for (int p = 0; p < 60; ++p) mock.SetPartitionLeader("many", p, 1 + p % 3);
  for (int p = 0; p < 3; ++p) mock.SetPartitionLeader("few", p, 1 + p);
  StatisticsRecorder stats;
  ClientOptions options = OptionsFor(mock);
  options.statistics_interval = milliseconds(100);
  options.on_statistics = [&](std::string_view json) { stats.Record(json); };
  ClusterClient client(options);
  ASSERT_TRUE(client.FetchMetadata().ok());
  ASSERT_EQ(client.FetchWatermarks(PartitionsOf("many", 60))[59].error, "");  // connects to every broker

  constexpr int kCalls = 5;
  auto RequestsPerBroker = [&](const std::vector<PartitionRef>& partitions) {
    auto before = FreshListOffsetsCounts(client, stats);
    for (int i = 0; i < kCalls; ++i) {
      for (const auto& w : client.FetchWatermarks(partitions)) EXPECT_EQ(w.error, "");
    }
    auto after = FreshListOffsetsCounts(client, stats);
    std::map<int64_t, int64_t> delta;
    for (const auto& [broker, count] : after) delta[broker] = count - before[broker];
    return delta;
  };
  auto with_60 = RequestsPerBroker(PartitionsOf("many", 60));
  auto with_3 = RequestsPerBroker(PartitionsOf("few", 3));

  ASSERT_EQ(with_60.size(), 3u);
  for (const auto& [broker, requests] : with_60) {
    SCOPED_TRACE("broker " + std::to_string(broker));
    EXPECT_GE(requests, kCalls);      // every leader was asked on every call
    EXPECT_LE(requests, 2 * kCalls);  // newest + oldest, batched
    EXPECT_EQ(requests, with_3[broker]);
  }
}

// The names of this process's threads whose nice value is `nice`.
std::multiset<std::string> ThreadsWithNiceness(int nice) {
  std::multiset<std::string> found;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    const auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;  // the thread just ended
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {}  // field 19 of proc(5)'s stat: nice
    if (std::stoi(field) == nice) found.insert(stat.substr(open + 1, close - open - 1));
  }
  return found;
}

TEST(ClusterClientTest, the_clients_own_threads_run_in_the_background_and_no_other_thread_does) {
  MockCluster mock(3);  // its brokers' threads and its own handle's are not ours: they stay as they are
  const int background = std::min(util::ThisThreadNiceness() + util::kBackgroundNiceness, 19);
  ASSERT_NE(background, util::ThisThreadNiceness()) << "the test runs at nice 19 already";
  ASSERT_TRUE(ThreadsWithNiceness(background).empty());
  {
    ClusterClient client(OptionsFor(mock));
    ASSERT_TRUE(client.FetchMetadata().ok());  // connected to every broker
    std::multiset<std::string> niced;
    EXPECT_TRUE(PollUntil([&] { return (niced = ThreadsWithNiceness(background)).size() >= 4; },
                          milliseconds(5000)))
        << niced.size();
    // librdkafka names its threads rdk:main, rdk:broker<id>, rdk:broker-1 (bootstrap) and so on.
    for (const auto& name : niced) EXPECT_THAT(name, ::testing::StartsWith("rdk:")) << name;
    EXPECT_EQ(niced.count("rdk:main"), 1u);
  }
  EXPECT_TRUE(PollUntil([&] { return ThreadsWithNiceness(background).empty(); }, milliseconds(5000)));
}

TEST(ClusterClientTest, statistics_are_delivered_when_callbacks_are_served) {
  MockCluster mock(1);
  StatisticsRecorder stats;
  ClientOptions options = OptionsFor(mock);
  options.statistics_interval = milliseconds(100);
  options.on_statistics = [&](std::string_view json) { stats.Record(json); };
  ClusterClient client(options);
  EXPECT_TRUE(PollUntil(
      [&] {
        client.ServeCallbacks();
        return stats.Count() > 0;
      },
      milliseconds(3000)));
}

}  // namespace
}  // namespace kpe::kafka
