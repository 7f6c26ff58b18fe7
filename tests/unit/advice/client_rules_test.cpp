// Every client rule: fires with the right evidence on hand-built client statistics, stays quiet on a near
// miss, and follows its thresholds.

#include "advice/client_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "advice_test_support.h"

namespace kpe::advice {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using clientstats::BrokerStats;
using clientstats::ClientReport;
using clientstats::PartitionStats;
using clientstats::TopicStats;
using clientstats::Window;

Window MakeWindow(double avg, uint64_t cnt, double p99 = 0, double max = 0) {
  Window w;
  w.avg = avg;
  w.p99 = p99;
  w.max = max;
  w.cnt = cnt;
  w.sum = avg * static_cast<double>(cnt);
  return w;
}

BrokerStats Broker(int32_t id) {
  BrokerStats b;
  b.nodeid = id;
  b.name = "b" + std::to_string(id) + ":9092/" + std::to_string(id);
  b.nodename = "b" + std::to_string(id) + ":9092";
  b.source = "learned";
  b.state = "UP";
  return b;
}

ClientReport Client(const std::string& type, const std::string& client_id = "billing") {
  ClientReport r;
  r.statistics.type = type;
  r.statistics.client_id = client_id;
  r.statistics.name = client_id + "#" + type + "-1";
  r.statistics.brokers = {Broker(1)};
  return r;
}

// A producer writing `msgs` records of `bytes_per_msg` key+value bytes to topic "orders" since start, whose
// latest window saw `batches` message sets of `batch_bytes` bytes holding `batch_msgs` messages each.
ClientReport Producer(double batch_bytes, double batch_msgs = 10, uint64_t batches = 100,
                      uint64_t msgs = 100000, uint64_t bytes_per_msg = 100) {
  ClientReport r = Client("producer");
  TopicStats topic;
  topic.name = "orders";
  topic.batchsize = MakeWindow(batch_bytes, batches);
  topic.batchcnt = MakeWindow(batch_msgs, batches);
  PartitionStats p;
  p.id = 0;
  p.txmsgs = msgs;
  p.txbytes = msgs * bytes_per_msg;
  topic.partitions = {p};
  r.statistics.topics = {topic};
  return r;
}

ClientReport Consumer(std::vector<int64_t> lags = {}) {
  ClientReport r = Client("consumer");
  TopicStats topic;
  topic.name = "orders";
  for (size_t i = 0; i < lags.size(); ++i) {
    PartitionStats p;
    p.id = static_cast<int32_t>(i);
    p.consumer_lag = lags[i];
    topic.partitions.push_back(p);
  }
  r.statistics.topics = {topic};
  return r;
}

clientstats::ClientsSnapshot SnapshotOf(std::vector<ClientReport> reports) {
  clientstats::ClientsSnapshot s;
  for (auto& r : reports) s.clients.push_back(std::make_shared<const ClientReport>(std::move(r)));
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Subject

TEST(ClientSubjectTest, subject_is_the_handle_name_with_the_label_when_there_is_one) {
  ClientReport r = Client("producer");
  EXPECT_EQ(ClientSubject(r), "billing#producer-1");
  r.label = "pod-7";
  EXPECT_EQ(ClientSubject(r), "billing#producer-1 (pod-7)");
}

// ---------------------------------------------------------------------------------------------------------
// client.producer_small_batches

TEST(ClientProducerSmallBatchesTest, fires_below_one_kib_with_the_average_and_the_settings_to_change) {
  const auto found = ClientProducerSmallBatches(Producer(300, 3), Thresholds{});
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(f.rule_id, "client.producer_small_batches");
  EXPECT_EQ(f.severity, Severity::kWarning);
  EXPECT_EQ(f.subject_kind, "client");
  EXPECT_EQ(f.subject, "billing#producer-1");
  EXPECT_DOUBLE_EQ(f.evidence.at("avg_batch_bytes"), 300);
  EXPECT_DOUBLE_EQ(f.evidence.at("avg_batch_messages"), 3);
  EXPECT_DOUBLE_EQ(f.evidence.at("batches"), 100);
  EXPECT_DOUBLE_EQ(f.evidence.at("min_batch_bytes"), 1024);
  EXPECT_THAT(f.summary, HasSubstr("orders"));
  EXPECT_THAT(f.recommendation, HasSubstr("linger.ms"));
  EXPECT_THAT(f.recommendation, HasSubstr("batch.size"));
}

TEST(ClientProducerSmallBatchesTest, quiet_just_above_the_threshold) {
  EXPECT_THAT(ClientProducerSmallBatches(Producer(1100), Thresholds{}), IsEmpty());
}

TEST(ClientProducerSmallBatchesTest, quiet_when_the_window_sampled_nothing) {
  EXPECT_THAT(ClientProducerSmallBatches(Producer(300, 3, /*batches=*/0), Thresholds{}), IsEmpty());
}

TEST(ClientProducerSmallBatchesTest, average_is_weighted_by_message_sets_over_topics) {
  ClientReport r = Producer(200, 2, 10);  // 10 sets of 200 bytes
  TopicStats big;
  big.name = "payments";
  big.batchsize = MakeWindow(5000, 90);  // 90 sets of 5000 bytes
  big.batchcnt = MakeWindow(50, 90);
  r.statistics.topics.push_back(big);
  // (2000 + 450000) / 100 = 4520: the big topic dominates, no finding.
  EXPECT_THAT(ClientProducerSmallBatches(r, Thresholds{}), IsEmpty());
}

TEST(ClientProducerSmallBatchesTest, threshold_comes_from_the_thresholds) {
  Thresholds t;
  t.client_min_batch_bytes = 200;
  EXPECT_THAT(ClientProducerSmallBatches(Producer(300), t), IsEmpty());
}

TEST(ClientProducerSmallBatchesTest, consumers_are_never_judged) {
  ClientReport r = Producer(300);
  r.statistics.type = "consumer";
  EXPECT_THAT(ClientProducerSmallBatches(r, Thresholds{}), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// client.producer_uncompressed

TEST(ClientProducerUncompressedTest, fires_on_a_ratio_near_one_with_conditional_advice) {
  // 100 key+value bytes per record, 10 records per 1050-byte message set: ratio 1000 / 1050 = 0.952.
  const auto found = ClientProducerUncompressed(Producer(1050, 10), Thresholds{});
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(f.rule_id, "client.producer_uncompressed");
  EXPECT_EQ(f.severity, Severity::kInfo);
  EXPECT_NEAR(f.evidence.at("compression_ratio"), 1000.0 / 1050.0, 1e-9);
  EXPECT_DOUBLE_EQ(f.evidence.at("min_compression_ratio"), 1.1);
  EXPECT_DOUBLE_EQ(f.evidence.at("topics"), 1);
  EXPECT_THAT(f.recommendation, HasSubstr("if compression.type is none"));
  EXPECT_THAT(f.recommendation, HasSubstr("lz4"));
  EXPECT_THAT(f.recommendation, HasSubstr("zstd"));
}

TEST(ClientProducerUncompressedTest, quiet_just_above_the_minimum_ratio) {
  // 1000 bytes of records per 900-byte message set: ratio 1.11.
  EXPECT_THAT(ClientProducerUncompressed(Producer(900, 10), Thresholds{}), IsEmpty());
}

TEST(ClientProducerUncompressedTest, quiet_when_the_ratio_cannot_be_estimated) {
  EXPECT_THAT(ClientProducerUncompressed(Producer(1050, 10, 0), Thresholds{}), IsEmpty());
  EXPECT_THAT(ClientProducerUncompressed(Producer(1050, 10, 100, /*msgs=*/0), Thresholds{}), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// client.request_latency

TEST(ClientRequestLatencyTest, fires_on_a_slow_round_trip_naming_the_broker) {
  ClientReport r = Producer(5000);
  r.statistics.brokers = {Broker(1), Broker(2)};
  r.statistics.brokers[0].rtt = MakeWindow(0.01, 50, 0.02);
  r.statistics.brokers[1].rtt = MakeWindow(0.08, 50, 0.25);
  const auto found = ClientRequestLatency(r, Thresholds{});
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(f.rule_id, "client.request_latency");
  EXPECT_DOUBLE_EQ(f.evidence.at("rtt_p99_seconds"), 0.25);
  EXPECT_DOUBLE_EQ(f.evidence.at("broker_id"), 2);
  EXPECT_DOUBLE_EQ(f.evidence.at("max_latency_seconds"), 0.1);
  EXPECT_THAT(f.summary, HasSubstr("250 ms"));
  EXPECT_THAT(f.summary, HasSubstr("b2:9092/2"));
}

TEST(ClientRequestLatencyTest, fires_on_a_long_producer_queue_wait) {
  ClientReport r = Producer(5000);
  r.statistics.brokers[0].rtt = MakeWindow(0.01, 50, 0.02);
  r.statistics.brokers[0].int_latency = MakeWindow(0.1, 50, 0.3);
  const auto found = ClientRequestLatency(r, Thresholds{});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_DOUBLE_EQ(found[0].evidence.at("int_latency_p99_seconds"), 0.3);
  EXPECT_THAT(found[0].recommendation, HasSubstr("linger.ms"));
}

TEST(ClientRequestLatencyTest, quiet_just_under_100_ms) {
  ClientReport r = Producer(5000);
  r.statistics.brokers[0].rtt = MakeWindow(0.05, 50, 0.099);
  r.statistics.brokers[0].int_latency = MakeWindow(0.05, 50, 0.099);
  EXPECT_THAT(ClientRequestLatency(r, Thresholds{}), IsEmpty());
}

TEST(ClientRequestLatencyTest, consumers_long_polling_fetches_are_not_judged) {
  ClientReport r = Consumer();
  r.statistics.brokers[0].rtt = MakeWindow(0.5, 50, 0.5);
  EXPECT_THAT(ClientRequestLatency(r, Thresholds{}), IsEmpty());
}

TEST(ClientRequestLatencyTest, internal_and_bootstrap_brokers_are_skipped) {
  ClientReport r = Producer(5000);
  BrokerStats internal = Broker(-1);
  internal.rtt = MakeWindow(1, 5, 1);
  r.statistics.brokers.push_back(internal);
  EXPECT_THAT(ClientRequestLatency(r, Thresholds{}), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// client.request_errors

TEST(ClientRequestErrorsTest, fires_on_any_error_retry_or_timeout_with_the_totals) {
  ClientReport r = Producer(5000);
  r.statistics.brokers = {Broker(1), Broker(2)};
  r.statistics.brokers[0].tx = 1000;
  r.statistics.brokers[0].txretries = 3;
  r.statistics.brokers[1].tx = 500;
  r.statistics.brokers[1].req_timeouts = 2;
  r.statistics.brokers[1].txerrs = 1;
  const auto found = ClientRequestErrors(r, Thresholds{});
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(f.rule_id, "client.request_errors");
  EXPECT_DOUBLE_EQ(f.evidence.at("request_errors"), 1);
  EXPECT_DOUBLE_EQ(f.evidence.at("request_retries"), 3);
  EXPECT_DOUBLE_EQ(f.evidence.at("request_timeouts"), 2);
  EXPECT_DOUBLE_EQ(f.evidence.at("requests"), 1500);
  EXPECT_THAT(f.summary, HasSubstr("since it started"));
}

TEST(ClientRequestErrorsTest, quiet_without_errors) {
  ClientReport r = Producer(5000);
  r.statistics.brokers[0].tx = 1000;
  EXPECT_THAT(ClientRequestErrors(r, Thresholds{}), IsEmpty());
}

TEST(ClientRequestErrorsTest, quiet_at_the_allowed_count) {
  ClientReport r = Consumer();
  r.statistics.brokers[0].txretries = 5;
  Thresholds t;
  t.client_max_errors = 5;
  EXPECT_THAT(ClientRequestErrors(r, t), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// client.throttled

TEST(ClientThrottledTest, fires_when_a_broker_throttles_with_the_quota_command) {
  ClientReport r = Consumer();
  r.statistics.brokers[0].throttle = MakeWindow(0.2, 10, 0.4, 0.5);
  const auto found = ClientThrottled(r, Thresholds{});
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(f.rule_id, "client.throttled");
  EXPECT_DOUBLE_EQ(f.evidence.at("throttle_avg_seconds"), 0.2);
  EXPECT_DOUBLE_EQ(f.evidence.at("throttle_max_seconds"), 0.5);
  EXPECT_DOUBLE_EQ(f.evidence.at("broker_id"), 1);
  EXPECT_THAT(f.recommendation, HasSubstr("--entity-name billing"));
}

TEST(ClientThrottledTest, quiet_when_throttle_is_zero) {
  ClientReport r = Consumer();
  r.statistics.brokers[0].throttle = MakeWindow(0, 10);
  EXPECT_THAT(ClientThrottled(r, Thresholds{}), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// client.consumer_small_fetches

TEST(ClientConsumerSmallFetchesTest, fires_on_few_messages_per_response) {
  ClientReport r = Consumer();
  r.statistics.rxmsgs = 5000;
  r.statistics.rx = 1000;
  const auto found = ClientConsumerSmallFetches(r, Thresholds{});
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(f.rule_id, "client.consumer_small_fetches");
  EXPECT_EQ(f.severity, Severity::kInfo);
  EXPECT_DOUBLE_EQ(f.evidence.at("messages_per_fetch"), 5);
  EXPECT_DOUBLE_EQ(f.evidence.at("messages"), 5000);
  EXPECT_DOUBLE_EQ(f.evidence.at("responses"), 1000);
  EXPECT_THAT(f.recommendation, HasSubstr("fetch.min.bytes"));
  EXPECT_THAT(f.recommendation, HasSubstr("max.poll.records"));
}

TEST(ClientConsumerSmallFetchesTest, quiet_at_ten_messages_per_response) {
  ClientReport r = Consumer();
  r.statistics.rxmsgs = 10000;
  r.statistics.rx = 1000;
  EXPECT_THAT(ClientConsumerSmallFetches(r, Thresholds{}), IsEmpty());
}

TEST(ClientConsumerSmallFetchesTest, quiet_for_a_consumer_with_too_little_traffic_to_judge) {
  ClientReport r = Consumer();
  r.statistics.rxmsgs = 999;
  r.statistics.rx = 1000;
  EXPECT_THAT(ClientConsumerSmallFetches(r, Thresholds{}), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// client.consumer_rebalances

TEST(ClientConsumerRebalancesTest, fires_above_the_rebalance_count) {
  ClientReport r = Consumer();
  r.statistics.cgrp = clientstats::GroupStats{.state = "up", .join_state = "steady", .rebalance_cnt = 21,
                                              .assignment_size = 4};
  const auto found = ClientConsumerRebalances(r, Thresholds{});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rule_id, "client.consumer_rebalances");
  EXPECT_DOUBLE_EQ(found[0].evidence.at("rebalances"), 21);
  EXPECT_DOUBLE_EQ(found[0].evidence.at("max_rebalances"), 20);
  EXPECT_DOUBLE_EQ(found[0].evidence.at("assigned_partitions"), 4);
  EXPECT_THAT(found[0].recommendation, HasSubstr("max.poll.interval.ms"));
}

TEST(ClientConsumerRebalancesTest, quiet_at_the_rebalance_count) {
  ClientReport r = Consumer();
  r.statistics.cgrp = clientstats::GroupStats{.state = "up", .join_state = "steady", .rebalance_cnt = 20,
                                              .assignment_size = 4};
  EXPECT_THAT(ClientConsumerRebalances(r, Thresholds{}), IsEmpty());
}

TEST(ClientConsumerRebalancesTest, quiet_without_a_group) {
  EXPECT_THAT(ClientConsumerRebalances(Consumer(), Thresholds{}), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// client.consumer_lag

TEST(ClientConsumerLagTest, warning_over_the_warning_threshold_with_the_summed_lag) {
  const auto found = ClientConsumerLag(Consumer({60000, 50000, 0}), Thresholds{});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rule_id, "client.consumer_lag");
  EXPECT_EQ(found[0].severity, Severity::kWarning);
  EXPECT_DOUBLE_EQ(found[0].evidence.at("lag_messages"), 110000);
  EXPECT_DOUBLE_EQ(found[0].evidence.at("threshold"), 100000);
  EXPECT_DOUBLE_EQ(found[0].evidence.at("lagging_partitions"), 2);
}

TEST(ClientConsumerLagTest, critical_over_the_critical_threshold) {
  const auto found = ClientConsumerLag(Consumer({1000001}), Thresholds{});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kCritical);
  EXPECT_DOUBLE_EQ(found[0].evidence.at("threshold"), 1000000);
}

TEST(ClientConsumerLagTest, quiet_at_the_warning_threshold) {
  EXPECT_THAT(ClientConsumerLag(Consumer({100000}), Thresholds{}), IsEmpty());
}

// ---------------------------------------------------------------------------------------------------------
// EvaluateClients

TEST(EvaluateClientsTest, runs_every_rule_on_every_client_critical_first) {
  ClientReport producer = Producer(300, 3);
  ClientReport consumer = Consumer({2000000});
  consumer.statistics.client_id = "analytics";
  consumer.statistics.name = "analytics#consumer-1";
  const auto found = EvaluateClients(SnapshotOf({producer, consumer}), Thresholds{});
  EXPECT_THAT(testing::RuleIds(found),
              ElementsAre("client.consumer_lag", "client.producer_small_batches", "client.producer_uncompressed"));
  EXPECT_EQ(found[0].subject, "analytics#consumer-1");
  EXPECT_EQ(found[0].cluster, "");
}

TEST(EvaluateClientsTest, healthy_clients_give_no_findings) {
  ClientReport producer = Producer(20000, 100, 100, 100000, 500);  // ratio 500*100/20000 = 2.5
  producer.statistics.brokers[0].rtt = MakeWindow(0.005, 100, 0.01);
  ClientReport consumer = Consumer({10, 0});
  consumer.statistics.rxmsgs = 100000;
  consumer.statistics.rx = 2000;
  EXPECT_THAT(EvaluateClients(SnapshotOf({producer, consumer}), Thresholds{}), IsEmpty());
}

}  // namespace
}  // namespace kpe::advice
