// Real librdkafka producers and consumers against librdkafka's mock cluster: their statistics
// documents (stats_cb) go through ClientRegistry and RenderClients, and the rendered values are
// checked against the documents and against what the clients really did.

#include <librdkafka/rdkafka.h>
#include <simdjson.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "clientstats/client_registry.h"
#include "clientstats/stats_parser.h"
#include "kafka/mock_cluster.h"
#include "metrics/clients_exposition.h"

namespace kpe::clientstats {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RdKafkaPtr = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

/// Statistics documents delivered to stats_cb, in order. Thread-safe.
class StatsCapture {
 public:
  void Add(std::string json) {
    std::lock_guard lock(mutex_);
    documents_.push_back(std::move(json));
  }
  std::vector<std::string> Documents() const {
    std::lock_guard lock(mutex_);
    return documents_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> documents_;
};

int OnStatistics(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
  static_cast<StatsCapture*>(opaque)->Add(std::string(json, json_len));
  return 0;  // librdkafka frees json
}

RdKafkaPtr MakeClient(rd_kafka_type_t type, const std::vector<std::pair<std::string, std::string>>& settings,
                      StatsCapture* capture) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(key + ": " + error);
    }
  }
  rd_kafka_conf_set_stats_cb(conf, OnStatistics);
  rd_kafka_conf_set_opaque(conf, capture);
  rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof error);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(error);
  }
  return RdKafkaPtr(rk);
}

/// Calls `step` until `done` or the deadline; returns whether `done` became true.
bool PollUntil(const std::function<bool()>& done, std::chrono::steady_clock::duration limit,
               const std::function<void()>& step) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    step();
  }
  return true;
}

/// A compressible payload of about 200 bytes.
std::string Payload(int i) {
  std::string out;
  while (out.size() < 200) out += "order-" + std::to_string(i) + " status=shipped ";
  return out;
}

/// Top-level field of a statistics document read directly with simdjson (not through our parser).
uint64_t JsonUint(const std::string& json, const char* pointer) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return 0;
  uint64_t value = 0;
  if (doc.at_pointer(pointer).get_uint64().get(value) != simdjson::SUCCESS) return 0;
  return value;
}

void MaybeWriteCapture(const std::string& file, const std::string& json) {
  const char* dir = std::getenv("KPE_CAPTURE_STATS_DIR");
  if (dir != nullptr) std::ofstream(std::filesystem::path(dir) / file, std::ios::binary) << json;
}

/// Value of the sample line that starts with `series`, or nullopt.
std::optional<double> SampleValue(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

constexpr int kMessages = 600;
constexpr std::chrono::microseconds kMessageInterval(1667);  // ~600 messages per second

/// What one producer run produced and reported.
struct ProducerRun {
  std::string client_id;
  std::string name;  // librdkafka's handle name, "<client.id>#producer-<n>"
  std::vector<std::string> documents;
};

/// The shared mock cluster and one producer run per setting, made once for the suite (each run
/// takes about two seconds of paced producing).
class RealClientsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new kafka::MockCluster(3);  // NOLINT: suite-lifetime fixture, deleted below
    for (const char* topic : {"linger0", "linger50", "lz4", "consumed"}) {
      cluster_->CreateTopic(topic, 3, 3);
    }
    runs_ = new std::vector<ProducerRun>();  // NOLINT: as above
    runs_->push_back(Produce("linger0", "producer-linger0", {{"linger.ms", "0"}}));
    runs_->push_back(Produce("linger50", "producer-linger50", {{"linger.ms", "50"}}));
    runs_->push_back(
        Produce("lz4", "producer-lz4", {{"linger.ms", "50"}, {"compression.type", "lz4"}}));
  }

  static void TearDownTestSuite() {
    delete runs_;  // NOLINT
    delete cluster_;  // NOLINT
    runs_ = nullptr;
    cluster_ = nullptr;
  }

  /// kMessages records to partition 0 of `topic` at ~600/s, flushed, then statistics until one
  /// counts them all.
  static ProducerRun Produce(const std::string& topic, const std::string& client_id,
                             std::vector<std::pair<std::string, std::string>> settings) {
    StatsCapture capture;
    settings.push_back({"bootstrap.servers", cluster_->Bootstraps()});
    settings.push_back({"client.id", client_id});
    settings.push_back({"statistics.interval.ms", "500"});
    RdKafkaPtr producer = MakeClient(RD_KAFKA_PRODUCER, settings, &capture);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kMessages; ++i) {
      const std::string payload = Payload(i);
      const std::string key = "key-" + std::to_string(i);
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
          RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
          RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error(rd_kafka_err2str(err));
      if (i == 0) {
        // The first record waits for metadata and the leader's connection (about a second with
        // librdkafka's sparse connections), and everything produced meanwhile with it: send it
        // alone, so the paced records after it show the batching that linger.ms makes.
        if (rd_kafka_flush(producer.get(), 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          throw std::runtime_error("first record not acknowledged");
        }
        start = std::chrono::steady_clock::now();
      }
      // The workload's pace (a modest, steady rate), not a wait for a result. rd_kafka_poll
      // returns early when it serves delivery reports, so it cannot pace by itself.
      if (i % 2 == 1) {
        rd_kafka_poll(producer.get(), 0);
        std::this_thread::sleep_until(start + (i + 1) * kMessageInterval);
      }
    }
    if (rd_kafka_flush(producer.get(), 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("flush timed out");
    }
    const bool complete = PollUntil(
        [&] {
          const std::vector<std::string> docs = capture.Documents();
          return !docs.empty() && JsonUint(docs.back(), "/txmsgs") == kMessages;
        },
        seconds(10), [&] { rd_kafka_poll(producer.get(), 100); });
    if (!complete) throw std::runtime_error(client_id + ": no statistics counting every message");
    return {client_id, rd_kafka_name(producer.get()), capture.Documents()};
  }

  /// The document of `run` whose topic batch window sampled the most message sets.
  static std::string BusiestDocument(const ProducerRun& run, const std::string& topic) {
    std::string best;
    uint64_t best_cnt = 0;
    for (const std::string& doc : run.documents) {
      const uint64_t cnt = JsonUint(doc, ("/topics/" + topic + "/batchcnt/cnt").c_str());
      if (cnt > best_cnt) {
        best_cnt = cnt;
        best = doc;
      }
    }
    return best;
  }

  static kafka::MockCluster* cluster_;
  static std::vector<ProducerRun>* runs_;
};

kafka::MockCluster* RealClientsTest::cluster_ = nullptr;
std::vector<ProducerRun>* RealClientsTest::runs_ = nullptr;

const WallClock::time_point kNow = WallClock::time_point(seconds(1700000000));

/// `family{labels}` with the labels of a client sent with label "app" plus `extra`, sorted by name
/// as the renderer sorts them.
std::string Series(const std::string& family, const std::string& client_id,
                   const std::string& client_name, const std::string& type,
                   std::map<std::string, std::string> extra = {}) {
  extra["client_id"] = client_id;
  extra["client_name"] = client_name;
  extra["label"] = "app";
  extra["type"] = type;
  std::string out = family + "{";
  for (const auto& [name, value] : extra) {
    if (out.back() != '{') out += ',';
    out += name + "=\"" + value + "\"";
  }
  return out + "}";
}

std::string Series(const std::string& family, const ProducerRun& run,
                   std::map<std::string, std::string> extra = {}) {
  return Series(family, run.client_id, run.name, "producer", std::move(extra));
}

TEST_F(RealClientsTest, message_counters_equal_the_produced_count) {
  ClientRegistry registry(10);
  const ProducerRun& run = (*runs_)[0];
  ASSERT_TRUE(registry.Ingest(run.documents.back(), "app", kNow).ok());

  const std::string text = metrics::RenderClients(*registry.Snapshot(), kNow);

  EXPECT_EQ(SampleValue(text, Series("kafka_client_messages_sent_total", run)), kMessages);
  EXPECT_EQ(SampleValue(text, Series("kafka_client_topic_messages_sent_total", run,
                                     {{"topic", "linger0"}})),
            kMessages);
  EXPECT_EQ(SampleValue(text, Series("kafka_client_message_bytes_sent_total", run)),
            static_cast<double>(JsonUint(run.documents.back(), "/txmsg_bytes")));
}

TEST_F(RealClientsTest, batch_messages_per_set_are_many_times_larger_with_linger_50_than_0) {
  ClientRegistry registry(10);
  const std::string doc0 = BusiestDocument((*runs_)[0], "linger0");
  const std::string doc50 = BusiestDocument((*runs_)[1], "linger50");
  ASSERT_FALSE(doc0.empty());
  ASSERT_FALSE(doc50.empty());
  MaybeWriteCapture("producer_linger50.json", doc50);
  ASSERT_TRUE(registry.Ingest(doc0, "app", kNow).ok());
  ASSERT_TRUE(registry.Ingest(doc50, "app", kNow).ok());

  const std::string text = metrics::RenderClients(*registry.Snapshot(), kNow);

  const std::optional<double> avg0 =
      SampleValue(text, Series("kafka_client_topic_batch_messages", (*runs_)[0],
                               {{"stat", "avg"}, {"topic", "linger0"}}));
  const std::optional<double> avg50 =
      SampleValue(text, Series("kafka_client_topic_batch_messages", (*runs_)[1],
                               {{"stat", "avg"}, {"topic", "linger50"}}));
  ASSERT_TRUE(avg0 && avg50) << text;
  EXPECT_EQ(*avg0, static_cast<double>(JsonUint(doc0, "/topics/linger0/batchcnt/avg")));
  EXPECT_EQ(*avg50, static_cast<double>(JsonUint(doc50, "/topics/linger50/batchcnt/avg")));
  EXPECT_GT(*avg50, 3 * *avg0) << "linger.ms=0: " << *avg0 << ", linger.ms=50: " << *avg50;
  std::cout << "[ real ] batch messages avg: linger.ms=0 " << *avg0 << ", linger.ms=50 " << *avg50
            << "\n";
}

TEST_F(RealClientsTest, compression_ratio_is_well_above_one_with_lz4_and_at_most_one_without) {
  ClientRegistry registry(10);
  ASSERT_TRUE(registry.Ingest(BusiestDocument((*runs_)[1], "linger50"), "app", kNow).ok());
  ASSERT_TRUE(registry.Ingest(BusiestDocument((*runs_)[2], "lz4"), "app", kNow).ok());

  const std::string text = metrics::RenderClients(*registry.Snapshot(), kNow);

  const std::optional<double> none = SampleValue(
      text, Series("kafka_client_topic_compression_ratio", (*runs_)[1], {{"topic", "linger50"}}));
  const std::optional<double> lz4 = SampleValue(
      text, Series("kafka_client_topic_compression_ratio", (*runs_)[2], {{"topic", "lz4"}}));
  ASSERT_TRUE(none && lz4) << text;
  EXPECT_LE(*none, 1.0);
  EXPECT_GT(*none, 0.8);
  EXPECT_GT(*lz4, 2.0);
  std::cout << "[ real ] compression ratio: none " << *none << ", lz4 " << *lz4 << "\n";
}

TEST_F(RealClientsTest, broker_rtt_series_match_the_document) {
  ClientRegistry registry(10);
  const std::string doc = BusiestDocument((*runs_)[1], "linger50");
  ASSERT_TRUE(registry.Ingest(doc, "app", kNow).ok());
  const ParseResult parsed = ParseStatistics(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.error;

  const std::string text = metrics::RenderClients(*registry.Snapshot(), kNow);

  int checked = 0;
  for (const BrokerStats& b : parsed.statistics->brokers) {
    if (b.rtt.cnt == 0 || b.source == "internal") continue;
    const std::string series = Series("kafka_client_broker_rtt_seconds", (*runs_)[1],
                                      {{"broker", b.name}, {"stat", "avg"}});
    std::string pointer = "/brokers/";
    for (char c : b.name) pointer += c == '/' ? std::string("~1") : std::string(1, c);  // RFC 6901
    const uint64_t rtt_us = JsonUint(doc, (pointer + "/rtt/avg").c_str());
    EXPECT_DOUBLE_EQ(SampleValue(text, series).value_or(-1), rtt_us * 1e-6) << series;
    ++checked;
  }
  EXPECT_GT(checked, 0) << "no broker sampled a round trip";
}

TEST_F(RealClientsTest, real_documents_never_contain_the_ua_partition) {
  for (const ProducerRun& run : *runs_) {
    const ParseResult parsed = ParseStatistics(run.documents.back());
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    for (const TopicStats& t : parsed.statistics->topics) {
      EXPECT_EQ(t.partitions.size(), 3u) << run.client_id << " " << t.name;
      for (const PartitionStats& p : t.partitions) EXPECT_GE(p.id, 0);
    }
  }
}

TEST_F(RealClientsTest, consumer_in_a_group_reports_rebalances_assignment_and_lag) {
  for (int32_t partition = 0; partition < 3; ++partition) {
    cluster_->Produce("consumed", partition, 40);
  }
  StatsCapture capture;
  RdKafkaPtr consumer = MakeClient(RD_KAFKA_CONSUMER,
                                   {{"bootstrap.servers", cluster_->Bootstraps()},
                                    {"client.id", "consumer-app"},
                                    {"group.id", "clientstats-group"},
                                    {"auto.offset.reset", "earliest"},
                                    {"enable.auto.commit", "false"},
                                    {"statistics.interval.ms", "200"}},
                                   &capture);
  rd_kafka_poll_set_consumer(consumer.get());
  const std::string consumer_name = rd_kafka_name(consumer.get());
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "consumed", RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(consumer.get(), topics), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);

  // Consume at least 30 of the 120 records and some of every partition, then commit what was
  // consumed: the client knows a lag only for partitions with a committed offset.
  int consumed = 0;
  std::set<int32_t> partitions_seen;
  ASSERT_TRUE(PollUntil([&] { return consumed >= 30 && partitions_seen.size() == 3; },
                        seconds(20),
                        [&] {
                          rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
                          if (m == nullptr) return;
                          if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                            ++consumed;
                            partitions_seen.insert(m->partition);
                          }
                          rd_kafka_message_destroy(m);
                        }))
      << "consumed " << consumed << " from " << partitions_seen.size() << " partitions";
  ASSERT_EQ(rd_kafka_commit(consumer.get(), nullptr, 0), RD_KAFKA_RESP_ERR_NO_ERROR);

  // The consumer may have read past the 30th record: what was committed is what counts.
  rd_kafka_topic_partition_list_t* assignment = nullptr;
  ASSERT_EQ(rd_kafka_assignment(consumer.get(), &assignment), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(rd_kafka_committed(consumer.get(), assignment, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
  int64_t expected_lag = 0;
  for (int i = 0; i < assignment->cnt; ++i) {
    expected_lag += 40 - std::max<int64_t>(assignment->elems[i].offset, 0);
  }
  const int assigned = assignment->cnt;
  rd_kafka_topic_partition_list_destroy(assignment);
  ASSERT_EQ(assigned, 3);

  ClientRegistry registry(10);
  std::string text;
  double lag_sum = -1;
  const auto lag_series = [&](int partition) {
    return Series("kafka_client_consumer_lag", "consumer-app", consumer_name, "consumer",
                  {{"partition", std::to_string(partition)}, {"topic", "consumed"}});
  };
  const bool reported = PollUntil(
      [&] {
        const std::vector<std::string> docs = capture.Documents();
        if (docs.empty()) return false;
        if (!registry.Ingest(docs.back(), "app", kNow).ok()) return false;
        text = metrics::RenderClients(*registry.Snapshot(), kNow);
        lag_sum = 0;
        for (int p = 0; p < 3; ++p) {
          const std::optional<double> lag = SampleValue(text, lag_series(p));
          if (!lag) return false;
          lag_sum += *lag;
        }
        return lag_sum == static_cast<double>(expected_lag);
      },
      seconds(10), [&] {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
        if (m != nullptr) rd_kafka_message_destroy(m);
      });
  MaybeWriteCapture("consumer.json", capture.Documents().back());
  rd_kafka_consumer_close(consumer.get());

  ASSERT_TRUE(reported) << "lag sum " << lag_sum << ", expected " << expected_lag << "\n" << text;
  auto consumer_series = [&](const std::string& family) {
    return Series(family, "consumer-app", consumer_name, "consumer");
  };
  EXPECT_EQ(SampleValue(text, consumer_series("kafka_client_group_assigned_partitions")), 3);
  const double rebalances =
      SampleValue(text, consumer_series("kafka_client_group_rebalances_total")).value_or(0);
  EXPECT_GE(rebalances, 1);
  EXPECT_GE(SampleValue(text, consumer_series("kafka_client_messages_received_total")).value_or(0),
            30);
  std::cout << "[ real ] consumer: lag sum " << lag_sum << " (expected " << expected_lag
            << "), rebalances " << rebalances << "\n";
}

TEST_F(RealClientsTest, a_client_that_stops_reporting_disappears_after_the_ttl) {
  ClientRegistry registry(10);
  ASSERT_TRUE(registry.Ingest((*runs_)[0].documents.back(), "app", kNow).ok());
  ASSERT_TRUE(registry.Ingest((*runs_)[1].documents.back(), "app", kNow + seconds(50)).ok());

  const size_t removed = registry.ExpireOlderThan(seconds(60), kNow + seconds(61));
  const std::string text = metrics::RenderClients(*registry.Snapshot(), kNow + seconds(61));

  EXPECT_EQ(removed, 1u);
  EXPECT_EQ(text.find("producer-linger0"), std::string::npos);
  EXPECT_EQ(SampleValue(text, Series("kafka_client_last_report_age_seconds", (*runs_)[1])),
            11);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_clients_expired_total"), 1);
}

}  // namespace
}  // namespace kpe::clientstats
