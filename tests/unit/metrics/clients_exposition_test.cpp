#include "metrics/clients_exposition.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "fixtures.h"
#include "metrics/exposition.h"

namespace kpe::metrics {
namespace {

using namespace fixtures;  // NOLINT: this folder's test helpers
using clientstats::BrokerStats;
using clientstats::ClientReport;
using clientstats::ClientsSnapshot;
using clientstats::PartitionStats;
using clientstats::Statistics;
using clientstats::TopicStats;
using clientstats::Window;

const std::filesystem::path kClientsGolden =
    std::filesystem::path(KPE_SOURCE_DIR) / "tests/golden/exposition_clients.prom";

constexpr double kNow = kCollectedAt + 10;

Window MakeWindow(double avg, double p99, double max, double sum, uint64_t cnt) {
  return Window{avg, p99, max, sum, cnt};
}

BrokerStats MakeBroker(std::string name, int32_t id, std::string state) {
  BrokerStats b;
  b.name = std::move(name);
  b.nodeid = id;
  b.nodename = b.name.substr(0, b.name.find('/'));
  b.source = "learned";
  b.state = std::move(state);
  return b;
}

/// Producer "orders-svc" (handle orders-svc#producer-1, label "eu-1"), reported 2.5 s before kNow:
/// broker 1 UP with every window, broker 2 CONNECT with none, and the internal broker (skipped);
/// topic "orders" (batches: 20,000 bytes per 1,000 messages; 100 uncompressed bytes per message,
/// so compression ratio 5) with two partitions.
Statistics Producer() {
  Statistics s;
  s.name = "orders-svc#producer-1";
  s.client_id = "orders-svc";
  s.type = "producer";
  s.txmsgs = 1000;
  s.txmsg_bytes = 120000;
  s.msg_cnt = 12;
  s.msg_size = 1500;
  BrokerStats b1 = MakeBroker("kafka-1:9092/1", 1, "UP");
  b1.rtt = MakeWindow(0.002, 0.015, 0.02, 0.2, 100);
  b1.int_latency = MakeWindow(0.0005, 0.004, 0.005, 0.05, 100);
  b1.outbuf_latency = MakeWindow(0.0001, 0.001, 0.002, 0.01, 100);
  b1.throttle = MakeWindow(0.25, 0.5, 0.5, 0.5, 2);
  b1.outbuf_cnt = 3;
  b1.waitresp_cnt = 2;
  b1.tx = 500;
  b1.txbytes = 90000;
  b1.txerrs = 1;
  b1.txretries = 4;
  b1.req_timeouts = 2;
  b1.rx = 498;
  b1.rxbytes = 30000;
  b1.rxerrs = 1;
  b1.connects = 3;
  b1.disconnects = 2;
  BrokerStats b2 = MakeBroker("kafka-2:9092/2", 2, "CONNECT");
  b2.connects = 7;
  b2.disconnects = 7;
  BrokerStats internal = MakeBroker(":0/internal", -1, "UP");
  internal.source = "internal";
  s.brokers = {internal, b1, b2};
  TopicStats t;
  t.name = "orders";
  t.batchsize = MakeWindow(20000, 60000, 64000, 1000000, 50);
  t.batchcnt = MakeWindow(20, 60, 64, 50000, 50);
  PartitionStats p0;
  p0.id = 0;
  p0.txmsgs = 600;
  p0.txbytes = 60000;
  PartitionStats p1;
  p1.id = 1;
  p1.txmsgs = 400;
  p1.txbytes = 40000;
  t.partitions = {p0, p1};
  s.topics = {t};
  return s;
}

/// Consumer "billing" (handle billing#consumer-1, no label), reported at kCollectedAt: broker 1
/// UP; topic "orders" with lag 5 on partition 0 and an unknown lag on partition 1; group with 3
/// rebalances and 2 assigned partitions.
Statistics Consumer() {
  Statistics s;
  s.name = "billing#consumer-1";
  s.client_id = "billing";
  s.type = "consumer";
  s.rxmsgs = 5000;
  s.rxmsg_bytes = 640000;
  BrokerStats b1 = MakeBroker("kafka-1:9092/1", 1, "UP");
  b1.rtt = MakeWindow(0.001, 0.0025, 0.003, 0.01, 10);
  b1.tx = 100;
  b1.rx = 100;
  s.brokers = {b1};
  TopicStats t;
  t.name = "orders";
  t.batchsize = MakeWindow(64000, 128000, 130000, 640000, 10);
  t.batchcnt = MakeWindow(500, 1000, 1000, 5000, 10);
  PartitionStats p0;
  p0.id = 0;
  p0.consumer_lag = 5;
  p0.rxmsgs = 3000;
  p0.rxbytes = 300000;
  PartitionStats p1;
  p1.id = 1;
  p1.rxmsgs = 2000;
  p1.rxbytes = 200000;
  t.partitions = {p0, p1};
  s.topics = {t};
  s.cgrp = clientstats::GroupStats{"up", "steady", 3, 2};
  return s;
}

std::shared_ptr<const ClientReport> Report(Statistics s, std::string label, double received_at) {
  auto report = std::make_shared<ClientReport>();
  report->statistics = std::move(s);
  report->label = std::move(label);
  report->received_at = At(received_at);
  return report;
}

ClientsSnapshot GoldenClients() {
  ClientsSnapshot snapshot;
  snapshot.clients = {Report(Consumer(), "", kCollectedAt),
                      Report(Producer(), "eu-1", kNow - 2.5)};
  snapshot.accepted_total = 42;
  snapshot.malformed_total = 3;
  snapshot.rejected_total = 1;
  snapshot.expired_total = 2;
  snapshot.max_clients = 1000;
  return snapshot;
}

const std::string kProducer =
    R"(client_id="orders-svc",client_name="orders-svc#producer-1",label="eu-1")";
const std::string kConsumer = R"(client_id="billing",client_name="billing#consumer-1",label="")";

std::string RenderGolden() { return RenderClients(GoldenClients(), At(kNow)); }

TEST(ClientsExpositionGoldenTest, clients_render_exactly_the_golden_file) {
  const std::string mismatch = GoldenMismatch(RenderGolden(), kClientsGolden);

  EXPECT_TRUE(mismatch.empty()) << mismatch;
}

TEST(ClientsExpositionGoldenTest, golden_file_passes_promtool_check_metrics) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool)) << kPromtool << " not found";
  const std::string golden = ReadText(kClientsGolden);
  ASSERT_FALSE(golden.empty()) << kClientsGolden << " is missing or empty";

  const CommandResult result = PromtoolCheckMetrics(golden);

  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(ClientsExpositionTest, message_counters_follow_the_client_type) {
  const std::string text = RenderGolden();

  EXPECT_EQ(SampleValue(text, "kafka_client_messages_sent_total{" + kProducer +
                                  ",type=\"producer\"}"),
            1000);
  EXPECT_EQ(SampleValue(text, "kafka_client_messages_received_total{" + kConsumer +
                                  ",type=\"consumer\"}"),
            5000);
  EXPECT_EQ(CountLinesContaining(text, "kafka_client_messages_received_total{client_id=\"orders"),
            0u);
  EXPECT_EQ(CountLinesContaining(text, "kafka_client_messages_sent_total{client_id=\"billing"),
            0u);
}

TEST(ClientsExpositionTest, broker_windows_render_avg_p99_and_max_in_seconds) {
  const std::string text = RenderGolden();
  const std::string labels = "{broker=\"kafka-1:9092/1\"," + kProducer;

  EXPECT_EQ(SampleValue(text, "kafka_client_broker_rtt_seconds" + labels +
                                  ",stat=\"avg\",type=\"producer\"}"),
            0.002);
  EXPECT_EQ(SampleValue(text, "kafka_client_broker_rtt_seconds" + labels +
                                  ",stat=\"p99\",type=\"producer\"}"),
            0.015);
  EXPECT_EQ(SampleValue(text, "kafka_client_broker_throttle_seconds" + labels +
                                  ",stat=\"max\",type=\"producer\"}"),
            0.5);
}

TEST(ClientsExpositionTest, a_window_that_sampled_nothing_has_no_series) {
  const std::string text = RenderGolden();

  EXPECT_EQ(CountLinesContaining(text, "kafka_client_broker_rtt_seconds{broker=\"kafka-2:9092/2\""),
            0u);
  EXPECT_EQ(SampleValue(text, "kafka_client_broker_connects_total{broker=\"kafka-2:9092/2\"," +
                                  kProducer + ",type=\"producer\"}"),
            7);
}

TEST(ClientsExpositionTest, the_internal_broker_is_not_rendered) {
  EXPECT_EQ(CountLinesContaining(RenderGolden(), "broker=\":0/internal\""), 0u);
}

TEST(ClientsExpositionTest, connection_up_is_one_only_in_state_up) {
  const std::string text = RenderGolden();

  EXPECT_EQ(SampleValue(text, "kafka_client_broker_connection_up{broker=\"kafka-1:9092/1\"," +
                                  kProducer + ",type=\"producer\"}"),
            1);
  EXPECT_EQ(SampleValue(text, "kafka_client_broker_connection_up{broker=\"kafka-2:9092/2\"," +
                                  kProducer + ",type=\"producer\"}"),
            0);
}

TEST(ClientsExpositionTest, compression_ratio_is_uncompressed_over_batch_bytes_per_message) {
  // 100,000 key+value bytes / 1,000 messages = 100; 1,000,000 batch bytes / 50,000 = 20.
  EXPECT_EQ(SampleValue(RenderGolden(), "kafka_client_topic_compression_ratio{" + kProducer +
                                            ",topic=\"orders\",type=\"producer\"}"),
            5);
}

TEST(ClientsExpositionTest, compression_ratio_is_absent_without_batches_in_the_window) {
  Statistics producer = Producer();
  producer.topics[0].batchcnt.cnt = 0;
  ClientsSnapshot snapshot;
  snapshot.clients = {Report(producer, "", kNow)};

  EXPECT_EQ(CountLinesContaining(RenderClients(snapshot, At(kNow)),
                                 "kafka_client_topic_compression_ratio{"),
            0u);
}

TEST(ClientsExpositionTest, consumer_lag_is_rendered_only_where_the_client_knows_it) {
  const std::string text = RenderGolden();

  EXPECT_EQ(SampleValue(text, "kafka_client_consumer_lag{" + kConsumer +
                                  ",partition=\"0\",topic=\"orders\",type=\"consumer\"}"),
            5);
  EXPECT_EQ(CountLinesContaining(text, "kafka_client_consumer_lag{"), 1u);
}

TEST(ClientsExpositionTest, group_families_are_rendered_for_consumers_with_a_group) {
  const std::string text = RenderGolden();

  EXPECT_EQ(SampleValue(text, "kafka_client_group_rebalances_total{" + kConsumer +
                                  ",type=\"consumer\"}"),
            3);
  EXPECT_EQ(SampleValue(text, "kafka_client_group_assigned_partitions{" + kConsumer +
                                  ",type=\"consumer\"}"),
            2);
  EXPECT_EQ(CountLinesContaining(text, "kafka_client_group_rebalances_total{"), 1u);
}

TEST(ClientsExpositionTest, last_report_age_is_measured_from_now) {
  const std::string text = RenderGolden();

  EXPECT_EQ(SampleValue(text, "kafka_client_last_report_age_seconds{" + kProducer +
                                  ",type=\"producer\"}"),
            2.5);
  EXPECT_EQ(SampleValue(text, "kafka_client_last_report_age_seconds{" + kConsumer +
                                  ",type=\"consumer\"}"),
            10);
}

TEST(ClientsExpositionTest, two_handles_with_the_same_client_id_get_distinct_series) {
  Statistics second = Producer();
  second.name = "orders-svc#producer-2";
  ClientsSnapshot snapshot;
  snapshot.clients = {Report(Producer(), "", kNow), Report(second, "", kNow)};

  const std::string text = RenderClients(snapshot, At(kNow));

  EXPECT_EQ(CountLinesContaining(text, "kafka_client_messages_sent_total{"), 2u);
  EXPECT_EQ(CountLinesContaining(text, "client_name=\"orders-svc#producer-2\""),
            CountLinesContaining(text, "client_name=\"orders-svc#producer-1\""));
}

TEST(ClientsExpositionTest, without_clients_only_the_ingestion_self_metrics_remain) {
  ClientsSnapshot snapshot;
  snapshot.max_clients = 10;

  const std::string text = RenderClients(snapshot, At(kNow));

  EXPECT_EQ(CountLinesContaining(text, "kafka_client_"), 0u);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_clients"), 0);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_clients_max"), 10);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_client_reports_total{result=\"accepted\"}"), 0);
}

TEST(ClientsExpositionTest, label_values_are_escaped) {
  ClientsSnapshot snapshot;
  snapshot.clients = {Report(Producer(), "a\"b\\c", kNow)};

  const std::string text = RenderClients(snapshot, At(kNow));

  EXPECT_GT(CountLinesContaining(text, R"(label="a\"b\\c")"), 0u);
  EXPECT_EQ(PromtoolCheckMetrics(text).exit_code, 0);
}

// ---- The exporter's own client (ClusterSnapshot::client_brokers, in RenderExposition) ----

state::ClusterSnapshot WithClientBrokers() {
  state::ClusterSnapshot s = BasicSnapshot();
  state::BrokerClientStats up;
  up.broker_id = 1;
  up.address = "kafka-1.example.com:9092";
  up.state = "UP";
  up.rtt_avg_seconds = 0.0015;
  up.rtt_p99_seconds = 0.012;
  up.throttle_avg_seconds = 0.1;
  up.throttle_max_seconds = 0.4;
  up.outbuf_requests = 1;
  up.waitresp_requests = 2;
  up.requests = 1000;
  up.request_errors = 3;
  up.responses = 997;
  up.response_errors = 1;
  up.request_timeouts = 2;
  up.sent_bytes = 50000;
  up.received_bytes = 900000;
  up.connects = 2;
  up.disconnects = 1;
  state::BrokerClientStats down;
  down.broker_id = 2;
  down.address = "kafka-2.example.com:9093";
  down.state = "CONNECT";
  down.connects = 9;
  down.disconnects = 9;
  s.client_brokers = {up, down};
  return s;
}

const std::string kOwnBroker1 =
    R"({address="kafka-1.example.com:9092",broker_id="1",cluster="prod",env="production",)";
const std::string kOwnBroker2 =
    R"({address="kafka-2.example.com:9093",broker_id="2",cluster="prod",env="production",)";

TEST(OwnClientBrokersTest, rtt_and_throttle_render_with_stat_labels) {
  const std::string text = RenderExposition(One(WithClientBrokers()))->Text();

  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_broker_rtt_seconds" + kOwnBroker1 +
                                  R"(stat="avg",zone="eu-west-1"})"),
            0.0015);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_broker_rtt_seconds" + kOwnBroker1 +
                                  R"(stat="p99",zone="eu-west-1"})"),
            0.012);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_broker_throttle_seconds" + kOwnBroker1 +
                                  R"(stat="max",zone="eu-west-1"})"),
            0.4);
}

TEST(OwnClientBrokersTest, counters_and_queues_render_per_broker) {
  const std::string text = RenderExposition(One(WithClientBrokers()))->Text();
  const std::string tail = R"(zone="eu-west-1"})";

  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_broker_requests_sent_total" + kOwnBroker1 + tail),
            1000);
  EXPECT_EQ(
      SampleValue(text, "kafka_perf_exporter_broker_request_errors_total" + kOwnBroker1 + tail), 3);
  EXPECT_EQ(
      SampleValue(text, "kafka_perf_exporter_broker_request_timeouts_total" + kOwnBroker1 + tail),
      2);
  EXPECT_EQ(SampleValue(text,
                        "kafka_perf_exporter_broker_responses_received_total" + kOwnBroker1 + tail),
            997);
  EXPECT_EQ(
      SampleValue(text, "kafka_perf_exporter_broker_response_errors_total" + kOwnBroker1 + tail),
      1);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_broker_bytes_sent_total" + kOwnBroker1 + tail),
            50000);
  EXPECT_EQ(
      SampleValue(text, "kafka_perf_exporter_broker_bytes_received_total" + kOwnBroker1 + tail),
      900000);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_broker_outbuf_requests" + kOwnBroker1 + tail),
            1);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_broker_waitresp_requests" + kOwnBroker1 + tail),
            2);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_broker_connects_total" + kOwnBroker2 + tail), 9);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_broker_disconnects_total" + kOwnBroker2 + tail),
            9);
}

TEST(OwnClientBrokersTest, connection_up_is_one_only_in_state_up) {
  const std::string text = RenderExposition(One(WithClientBrokers()))->Text();
  const std::string tail = R"(zone="eu-west-1"})";

  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_broker_connection_up" + kOwnBroker1 + tail), 1);
  EXPECT_EQ(SampleValue(text, "kafka_perf_exporter_broker_connection_up" + kOwnBroker2 + tail), 0);
}

TEST(OwnClientBrokersTest, exposition_with_own_client_brokers_passes_promtool) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool)) << kPromtool << " not found";

  const CommandResult result =
      PromtoolCheckMetrics(RenderExposition(One(WithClientBrokers()))->Text());

  EXPECT_EQ(result.exit_code, 0) << result.output;
}

// `text` has `family` once, as a counter; a snapshot without the data has none of it; promtool accepts
// `text`.
void ExpectOwnCounterFamily(const std::string& text, const std::string& family) {
  EXPECT_EQ(CountLinesContaining(text, "# TYPE " + family + " counter"), 1u);
  EXPECT_EQ(CountLinesContaining(RenderExposition(One(BasicSnapshot()))->Text(), family), 0u);
  const CommandResult result = PromtoolCheckMetrics(text);
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(OwnClientRequestsTest, requests_render_per_client_and_type_as_a_counter) {
  state::ClusterSnapshot s = BasicSnapshot();
  s.client_requests = {{"groups", "OffsetFetch", 1200}, {"metadata", "Metadata", 40}};
  const std::string text = RenderExposition(One(s))->Text();
  EXPECT_EQ(SampleValue(text, R"(kafka_perf_exporter_requests_sent_total{api="OffsetFetch",client="groups",)"
                              R"(cluster="prod",env="production",zone="eu-west-1"})"),
            1200);
  EXPECT_EQ(SampleValue(text, R"(kafka_perf_exporter_requests_sent_total{api="Metadata",client="metadata",)"
                              R"(cluster="prod",env="production",zone="eu-west-1"})"),
            40);
  ExpectOwnCounterFamily(text, "kafka_perf_exporter_requests_sent_total");
}

TEST(OwnClientRequestsTest, groups_client_reopens_render_as_a_counter_once_there_is_one) {
  state::ClusterSnapshot s = BasicSnapshot();
  s.groups_client_reopens = 2;
  const std::string text = RenderExposition(One(s))->Text();
  EXPECT_EQ(SampleValue(text, R"(kafka_perf_exporter_client_reopens_total{client="groups",)"
                              R"(cluster="prod",env="production",zone="eu-west-1"})"),
            2);
  ExpectOwnCounterFamily(text, "kafka_perf_exporter_client_reopens_total");
}

TEST(OwnClientBrokersTest, snapshots_without_client_statistics_render_no_broker_families) {
  EXPECT_EQ(CountLinesContaining(RenderExposition(One(BasicSnapshot()))->Text(),
                                 "kafka_perf_exporter_broker_"),
            0u);
}

}  // namespace
}  // namespace kpe::metrics
