#include "clientstats/stats_parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "stats_fixtures.h"

namespace kpe::clientstats {
namespace {

using fixtures::kConsumerDocument;
using fixtures::kMinimalDocument;
using fixtures::RealDocument;

Statistics ParseOk(std::string_view json) {
  ParseResult result = ParseStatistics(json);
  EXPECT_TRUE(result.ok()) << result.error;
  return result.ok() ? *result.statistics : Statistics{};
}

std::string ParseError(std::string_view json) {
  const ParseResult result = ParseStatistics(json);
  EXPECT_FALSE(result.ok()) << "parsed: " << json;
  EXPECT_FALSE(result.statistics.has_value());
  return result.error;
}

/// A document with the required fields and `body` (",..." members) appended.
std::string With(const std::string& body) {
  return R"({"name": "app#producer-1", "client_id": "app", "type": "producer")" + body + "}";
}

const BrokerStats* FindBroker(const Statistics& s, std::string_view name) {
  for (const BrokerStats& b : s.brokers) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

// ---- A complete document, written after STATISTICS.md ----

TEST(StatsParserTest, top_level_identity_and_counters_are_read) {
  const Statistics s = ParseOk(kConsumerDocument);

  EXPECT_EQ(s.name, "billing#consumer-1");
  EXPECT_EQ(s.client_id, "billing");
  EXPECT_EQ(s.type, "consumer");
  EXPECT_EQ(s.ts_us, 5011738551);
  EXPECT_EQ(s.time_s, 1700000000);
  EXPECT_EQ(s.tx, 310u);
  EXPECT_EQ(s.tx_bytes, 41250u);
  EXPECT_EQ(s.rx, 309u);
  EXPECT_EQ(s.rx_bytes, 1825000u);
  EXPECT_EQ(s.rxmsgs, 12000u);
  EXPECT_EQ(s.rxmsg_bytes, 1500000u);
  EXPECT_EQ(s.txmsgs, 0u);
}

TEST(StatsParserTest, brokers_are_sorted_by_name_with_their_counters) {
  const Statistics s = ParseOk(kConsumerDocument);

  ASSERT_EQ(s.brokers.size(), 2u);
  EXPECT_EQ(s.brokers[0].name, "kafka-0:9092/bootstrap");
  const BrokerStats& b = s.brokers[1];
  EXPECT_EQ(b.name, "kafka-1:9092/1");
  EXPECT_EQ(b.nodename, "kafka-1:9092");
  EXPECT_EQ(b.nodeid, 1);
  EXPECT_EQ(b.source, "learned");
  EXPECT_EQ(b.state, "UP");
  EXPECT_EQ(b.outbuf_cnt, 2);
  EXPECT_EQ(b.waitresp_cnt, 1);
  EXPECT_EQ(b.tx, 300u);
  EXPECT_EQ(b.txbytes, 40000u);
  EXPECT_EQ(b.txerrs, 1u);
  EXPECT_EQ(b.txretries, 2u);
  EXPECT_EQ(b.req_timeouts, 3u);
  EXPECT_EQ(b.rx, 299u);
  EXPECT_EQ(b.rxbytes, 1800000u);
  EXPECT_EQ(b.rxerrs, 4u);
  EXPECT_EQ(b.connects, 5u);
  EXPECT_EQ(b.disconnects, 4u);
}

TEST(StatsParserTest, latency_windows_are_converted_from_microseconds_to_seconds) {
  const Statistics s = ParseOk(kConsumerDocument);
  const BrokerStats& b = s.brokers[1];

  EXPECT_DOUBLE_EQ(b.rtt.avg, 0.0125);
  EXPECT_DOUBLE_EQ(b.rtt.p99, 0.2);
  EXPECT_DOUBLE_EQ(b.rtt.max, 0.25);
  EXPECT_DOUBLE_EQ(b.rtt.sum, 0.25);
  EXPECT_EQ(b.rtt.cnt, 20u);
  EXPECT_DOUBLE_EQ(b.outbuf_latency.avg, 25e-6);
  EXPECT_DOUBLE_EQ(b.outbuf_latency.p99, 80e-6);
  EXPECT_EQ(b.int_latency.cnt, 0u);
}

TEST(StatsParserTest, throttle_window_is_converted_from_milliseconds_to_seconds) {
  const Statistics s = ParseOk(kConsumerDocument);
  const BrokerStats& b = s.brokers[1];

  EXPECT_DOUBLE_EQ(b.throttle.avg, 0.25);
  EXPECT_DOUBLE_EQ(b.throttle.max, 1.5);
  EXPECT_EQ(b.throttle.cnt, 2u);
}

TEST(StatsParserTest, a_broker_without_windows_gets_empty_windows) {
  const Statistics s = ParseOk(kConsumerDocument);
  const BrokerStats& b = s.brokers[0];

  EXPECT_EQ(b.rtt.cnt, 0u);
  EXPECT_EQ(b.rtt.avg, 0);
  EXPECT_EQ(b.throttle.cnt, 0u);
  EXPECT_EQ(b.nodeid, -1);
  EXPECT_EQ(b.state, "DOWN");
}

TEST(StatsParserTest, batch_windows_keep_bytes_and_messages) {
  const Statistics s = ParseOk(kConsumerDocument);

  ASSERT_EQ(s.topics.size(), 1u);
  EXPECT_EQ(s.topics[0].name, "orders");
  EXPECT_DOUBLE_EQ(s.topics[0].batchsize.avg, 16000);
  EXPECT_DOUBLE_EQ(s.topics[0].batchsize.p99, 60000);
  EXPECT_DOUBLE_EQ(s.topics[0].batchsize.sum, 1600000);
  EXPECT_DOUBLE_EQ(s.topics[0].batchcnt.avg, 120);
  EXPECT_EQ(s.topics[0].batchcnt.cnt, 100u);
}

TEST(StatsParserTest, partitions_are_sorted_and_the_ua_partition_is_dropped) {
  const Statistics s = ParseOk(kConsumerDocument);
  const TopicStats& t = s.topics[0];

  ASSERT_EQ(t.partitions.size(), 2u);
  EXPECT_EQ(t.partitions[0].id, 0);
  EXPECT_EQ(t.partitions[1].id, 1);
  EXPECT_EQ(t.partitions[0].leader, 1);
  EXPECT_EQ(t.partitions[0].rxmsgs, 11900u);
  EXPECT_EQ(t.partitions[0].rxbytes, 1487500u);
}

TEST(StatsParserTest, consumer_lag_of_minus_one_is_unknown) {
  const Statistics s = ParseOk(kConsumerDocument);
  const TopicStats& t = s.topics[0];

  EXPECT_EQ(t.partitions[0].consumer_lag, 5);
  EXPECT_FALSE(t.partitions[1].consumer_lag.has_value());
}

TEST(StatsParserTest, consumer_group_section_is_read) {
  const Statistics s = ParseOk(kConsumerDocument);

  ASSERT_TRUE(s.cgrp.has_value());
  EXPECT_EQ(s.cgrp->state, "up");
  EXPECT_EQ(s.cgrp->join_state, "steady");
  EXPECT_EQ(s.cgrp->rebalance_cnt, 3u);
  EXPECT_EQ(s.cgrp->assignment_size, 2);
}

TEST(StatsParserTest, document_with_only_the_required_fields_is_valid_and_empty) {
  const Statistics s = ParseOk(kMinimalDocument);

  EXPECT_EQ(s.type, "producer");
  EXPECT_TRUE(s.brokers.empty());
  EXPECT_TRUE(s.topics.empty());
  EXPECT_FALSE(s.cgrp.has_value());
  EXPECT_EQ(s.txmsgs, 0u);
}

TEST(StatsParserTest, null_values_count_as_missing) {
  const Statistics s = ParseOk(With(R"(, "txmsgs": null, "cgrp": null, "brokers": null)"));

  EXPECT_EQ(s.txmsgs, 0u);
  EXPECT_FALSE(s.cgrp.has_value());
}

TEST(StatsParserTest, partition_id_comes_from_the_key_when_the_field_is_missing) {
  const Statistics s =
      ParseOk(With(R"(, "topics": {"t": {"partitions": {"7": {"txmsgs": 3}}}})"));

  ASSERT_EQ(s.topics[0].partitions.size(), 1u);
  EXPECT_EQ(s.topics[0].partitions[0].id, 7);
  EXPECT_EQ(s.topics[0].partitions[0].txmsgs, 3u);
}

// ---- Real documents from librdkafka 2.0.2 ----

TEST(StatsParserTest, real_producer_document_parses) {
  const std::string json = RealDocument("producer_linger50.json");
  ASSERT_FALSE(json.empty());

  const Statistics s = ParseOk(json);

  EXPECT_EQ(s.type, "producer");
  EXPECT_EQ(s.client_id, "producer-linger50");
  EXPECT_EQ(s.brokers.size(), 3u);
  ASSERT_EQ(s.topics.size(), 1u);
  EXPECT_EQ(s.topics[0].partitions.size(), 3u);
  EXPECT_GT(s.topics[0].batchcnt.cnt, 0u);
  uint64_t partition_msgs = 0;
  for (const PartitionStats& p : s.topics[0].partitions) partition_msgs += p.txmsgs;
  EXPECT_EQ(partition_msgs, s.txmsgs);
  EXPECT_FALSE(s.cgrp.has_value());
}

TEST(StatsParserTest, real_consumer_document_has_group_and_lags) {
  const std::string json = RealDocument("consumer.json");
  ASSERT_FALSE(json.empty());

  const Statistics s = ParseOk(json);

  EXPECT_EQ(s.type, "consumer");
  ASSERT_TRUE(s.cgrp.has_value());
  EXPECT_EQ(s.cgrp->assignment_size, 3);
  EXPECT_GE(s.cgrp->rebalance_cnt, 1u);
  ASSERT_EQ(s.topics.size(), 1u);
  for (const PartitionStats& p : s.topics[0].partitions) EXPECT_TRUE(p.consumer_lag) << p.id;
  const BrokerStats* coordinator = FindBroker(s, "GroupCoordinator");
  ASSERT_NE(coordinator, nullptr);
  EXPECT_EQ(coordinator->source, "logical");
}

// ---- The exporter's own client ----

TEST(StatsParserTest, requests_per_type_are_summed_over_brokers_and_zero_types_left_out) {
  const Statistics s = ParseOk(With(R"(, "brokers": {
      "b:9092/bootstrap": {"nodeid": -1, "source": "configured", "req": {"ApiVersion": 1, "Metadata": 1, "Fetch": 0}},
      "b:9092/1": {"nodeid": 1, "source": "learned", "req": {"Metadata": 2, "OffsetFetch": 7}},
      "GroupCoordinator": {"nodeid": 1, "source": "logical", "req": {"OffsetFetch": 3, "FindCoordinator": 1}},
      "b:9093/2": {"nodeid": 2, "source": "learned"}})"));
  const BrokerStats* one = FindBroker(s, "b:9092/1");
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->requests_by_api, (std::map<std::string, uint64_t>{{"Metadata", 2}, {"OffsetFetch", 7}}));
  EXPECT_TRUE(FindBroker(s, "b:9093/2")->requests_by_api.empty());
  EXPECT_EQ(RequestsByApi(s), (std::map<std::string, uint64_t>{
                                  {"ApiVersion", 1}, {"FindCoordinator", 1}, {"Metadata", 3}, {"OffsetFetch", 10}}));
}

TEST(StatsParserTest, requests_per_type_of_a_real_document_add_up_per_broker) {
  const Statistics s = ParseOk(RealDocument("consumer.json"));
  const std::map<std::string, uint64_t> total = RequestsByApi(s);
  uint64_t fetches = 0;
  for (const BrokerStats& b : s.brokers) {
    if (b.requests_by_api.count("Fetch") != 0) fetches += b.requests_by_api.at("Fetch");
  }
  ASSERT_EQ(total.count("Fetch"), 1u);
  EXPECT_GT(total.at("Fetch"), 0u);
  EXPECT_EQ(total.at("Fetch"), fetches);
  for (const auto& [api, sent] : total) EXPECT_GT(sent, 0u) << api;
}

TEST(StatsParserTest, a_request_count_of_the_wrong_type_is_named) {
  EXPECT_EQ(ParseError(With(R"(, "brokers": {"b:9092/1": {"req": {"Metadata": "many"}}})")),
            R"(brokers."b:9092/1".req.Metadata: expected a number)");
  EXPECT_EQ(ParseError(With(R"(, "brokers": {"b:9092/1": {"req": [1]}})")),
            R"(brokers."b:9092/1".req: expected an object)");
}

TEST(StatsParserTest, request_types_that_are_not_identifiers_are_ignored) {
  const Statistics s = ParseOk(
      With(R"(, "brokers": {"b:9092/1": {"req": {"Metadata": 1, "a b": 2, "": 3, "x\n": "junk"}}})"));
  EXPECT_EQ(RequestsByApi(s), (std::map<std::string, uint64_t>{{"Metadata", 1}}));
}

TEST(StatsParserTest, own_client_brokers_skip_bootstrap_brokers) {
  const std::vector<state::BrokerClientStats> brokers =
      ToBrokerClientStats(ParseOk(kConsumerDocument));

  ASSERT_EQ(brokers.size(), 1u);
  const state::BrokerClientStats& b = brokers[0];
  EXPECT_EQ(b.broker_id, 1);
  EXPECT_EQ(b.address, "kafka-1:9092");
  EXPECT_EQ(b.state, "UP");
  EXPECT_DOUBLE_EQ(b.rtt_avg_seconds, 0.0125);
  EXPECT_DOUBLE_EQ(b.rtt_p99_seconds, 0.2);
  EXPECT_DOUBLE_EQ(b.throttle_avg_seconds, 0.25);
  EXPECT_DOUBLE_EQ(b.throttle_max_seconds, 1.5);
  EXPECT_EQ(b.outbuf_requests, 2);
  EXPECT_EQ(b.waitresp_requests, 1);
  EXPECT_EQ(b.requests, 300u);
  EXPECT_EQ(b.request_errors, 1u);
  EXPECT_EQ(b.responses, 299u);
  EXPECT_EQ(b.response_errors, 4u);
  EXPECT_EQ(b.request_timeouts, 3u);
  EXPECT_EQ(b.sent_bytes, 40000u);
  EXPECT_EQ(b.received_bytes, 1800000u);
  EXPECT_EQ(b.connects, 5u);
  EXPECT_EQ(b.disconnects, 4u);
}

TEST(StatsParserTest, own_client_brokers_prefer_the_real_broker_to_the_logical_coordinator) {
  const Statistics s = ParseOk(RealDocument("consumer.json"));

  const std::vector<state::BrokerClientStats> brokers = ToBrokerClientStats(s);

  ASSERT_EQ(brokers.size(), 3u);
  for (size_t i = 0; i < brokers.size(); ++i) {
    EXPECT_EQ(brokers[i].broker_id, static_cast<int32_t>(i + 1));
    const BrokerStats* real = FindBroker(s, brokers[i].address + "/" + std::to_string(i + 1));
    ASSERT_NE(real, nullptr) << brokers[i].address;
    EXPECT_EQ(brokers[i].requests, real->tx);
  }
}

// ---- Bad input: every error names what and where ----

TEST(StatsParserTest, text_that_is_not_json_is_refused_as_not_json) {
  EXPECT_EQ(ParseError("{\"name\": ").rfind("not JSON: ", 0), 0u);
  EXPECT_EQ(ParseError("").rfind("not JSON: ", 0), 0u);
  EXPECT_EQ(ParseError("hello").rfind("not JSON: ", 0), 0u);
}

TEST(StatsParserTest, a_document_without_the_identity_fields_is_refused) {
  const std::string expected = R"(expected an object with "name", "client_id" and "type")";
  EXPECT_EQ(ParseError("[1, 2]"), expected);
  EXPECT_EQ(ParseError(R"({"name": "a", "type": "producer"})"), expected);
  EXPECT_EQ(ParseError(R"({"name": 1, "client_id": "a", "type": "producer"})"), expected);
}

TEST(StatsParserTest, an_unknown_client_type_is_refused_naming_it) {
  EXPECT_EQ(ParseError(R"({"name": "a", "client_id": "a", "type": "admin"})"),
            R"(type: expected "producer" or "consumer", got "admin")");
}

TEST(StatsParserTest, an_empty_name_is_refused) {
  EXPECT_EQ(ParseError(R"({"name": "", "client_id": "a", "type": "producer"})"),
            "name: expected a non-empty string");
}

TEST(StatsParserTest, a_top_level_counter_of_the_wrong_type_is_named) {
  EXPECT_EQ(ParseError(With(R"(, "txmsgs": "12")")), "txmsgs: expected a number");
}

TEST(StatsParserTest, brokers_that_are_not_an_object_are_named) {
  EXPECT_EQ(ParseError(With(R"(, "brokers": [])")), "brokers: expected an object");
}

TEST(StatsParserTest, a_broker_that_is_not_an_object_is_named_by_its_key) {
  EXPECT_EQ(ParseError(With(R"(, "brokers": {"b:9092/1": 5})")),
            R"(brokers."b:9092/1": expected an object)");
}

TEST(StatsParserTest, a_window_that_is_not_an_object_is_named_by_its_path) {
  EXPECT_EQ(ParseError(With(R"(, "brokers": {"b:9092/1": {"rtt": 12}})")),
            R"(brokers."b:9092/1".rtt: expected an object)");
}

TEST(StatsParserTest, a_window_value_of_the_wrong_type_is_named_by_its_path) {
  EXPECT_EQ(ParseError(With(R"(, "brokers": {"b:9092/1": {"rtt": {"avg": "fast"}}})")),
            R"(brokers."b:9092/1".rtt.avg: expected a number)");
}

TEST(StatsParserTest, a_broker_string_field_of_the_wrong_type_is_named) {
  EXPECT_EQ(ParseError(With(R"(, "brokers": {"b": {"state": 3}})")),
            R"(brokers."b".state: expected a string)");
}

TEST(StatsParserTest, a_partition_without_an_id_is_named) {
  EXPECT_EQ(ParseError(With(R"(, "topics": {"t": {"partitions": {"x": {"txmsgs": 1}}}})")),
            R"(topics."t".partitions."x": expected a "partition" id or a numeric key)");
}

TEST(StatsParserTest, a_partition_id_out_of_range_is_named) {
  EXPECT_EQ(
      ParseError(With(R"(, "topics": {"t": {"partitions": {"0": {"partition": 4294967296}}}})")),
      R"(topics."t".partitions."0".partition: out of range)");
}

TEST(StatsParserTest, partitions_that_are_not_an_object_are_named) {
  EXPECT_EQ(ParseError(With(R"(, "topics": {"t": {"partitions": true}})")),
            R"(topics."t".partitions: expected an object)");
}

TEST(StatsParserTest, a_batch_window_of_the_wrong_type_is_named) {
  EXPECT_EQ(ParseError(With(R"(, "topics": {"t": {"batchcnt": [1]}})")),
            R"(topics."t".batchcnt: expected an object)");
}

TEST(StatsParserTest, a_group_field_of_the_wrong_type_is_named) {
  EXPECT_EQ(ParseError(With(R"(, "cgrp": {"rebalance_cnt": {}})")),
            "cgrp.rebalance_cnt: expected a number");
  EXPECT_EQ(ParseError(With(R"(, "cgrp": "up")")), "cgrp: expected an object");
}

TEST(StatsParserTest, long_or_odd_keys_are_shortened_and_sanitized_in_errors) {
  const std::string key(200, 'k');
  const std::string error =
      ParseError(With(R"(, "brokers": {")" + key + R"(\n\"x": 1})"));

  EXPECT_EQ(error, "brokers.\"" + std::string(64, 'k') + "...\": expected an object");
  EXPECT_EQ(ParseError(With(R"(, "brokers": {"a\nb\"c": 1})")),
            R"(brokers."a?b?c": expected an object)");
}

// ---- Robustness: no crash, no garbage, whatever the input ----

TEST(StatsParserTest, every_truncation_of_a_real_document_is_refused_without_crashing) {
  const std::string json = RealDocument("consumer.json");
  ASSERT_FALSE(json.empty());
  size_t refused = 0;
  for (size_t n = 0; n < json.size(); ++n) {
    const ParseResult result = ParseStatistics(std::string_view(json).substr(0, n));
    refused += !result.ok() && !result.error.empty() ? 1 : 0;
  }
  // Only trailing whitespace can be cut without breaking the document.
  size_t trailing_whitespace = 0;
  while (trailing_whitespace < json.size() &&
         std::isspace(static_cast<unsigned char>(json[json.size() - 1 - trailing_whitespace]))) {
    ++trailing_whitespace;
  }
  EXPECT_EQ(refused, json.size() - trailing_whitespace);
}

TEST(StatsParserTest, counters_beyond_their_range_are_clamped) {
  const Statistics s = ParseOk(With(
      R"(, "txmsgs": 1e30, "rxmsgs": -5, "tx": 18446744073709551615, "ts": 1e300,)"
      R"( "time": -1e300, "msg_cnt": 18446744073709551615)"));

  EXPECT_EQ(s.txmsgs, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(s.rxmsgs, 0u);
  EXPECT_EQ(s.tx, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(s.ts_us, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(s.time_s, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(s.msg_cnt, std::numeric_limits<int64_t>::max());
}

TEST(StatsParserTest, integers_beyond_64_bits_do_not_crash) {
  const ParseResult result = ParseStatistics(With(R"(, "txmsgs": 123456789012345678901234567890)"));

  // simdjson 3.0.1 refuses them as a number error; a later version may read them as doubles.
  if (result.ok()) {
    EXPECT_EQ(result.statistics->txmsgs, std::numeric_limits<uint64_t>::max());
  } else {
    EXPECT_EQ(result.error.rfind("not JSON: ", 0), 0u) << result.error;
  }
}

TEST(StatsParserTest, deeply_nested_junk_is_refused_without_crashing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');

  EXPECT_EQ(ParseError(With(", \"future\": " + deep)).rfind("not JSON: ", 0), 0u);
}

TEST(StatsParserTest, moderately_nested_unknown_fields_are_ignored) {
  const std::string nested = std::string(500, '[') + std::string(500, ']');

  EXPECT_TRUE(ParseStatistics(With(", \"future\": " + nested)).ok());
}

TEST(StatsParserTest, repeated_keys_keep_one_broker_topic_and_partition) {
  const Statistics s = ParseOk(With(
      R"(, "brokers": {"b": {"tx": 1}, "b": {"tx": 2}},)"
      R"( "topics": {"t": {"partitions": {"0": {"txmsgs": 1}, "00": {"partition": 0}}},)"
      R"( "t": {}})"));

  EXPECT_EQ(s.brokers.size(), 1u);
  EXPECT_EQ(s.topics.size(), 1u);
  EXPECT_EQ(s.topics[0].partitions.size(), 1u);
}

TEST(StatsParserTest, invalid_utf8_in_a_string_is_refused) {
  const std::string json =
      "{\"name\": \"a\xff\", \"client_id\": \"a\", \"type\": \"producer\"}";

  EXPECT_EQ(ParseError(json).rfind("not JSON: ", 0), 0u);
}

}  // namespace
}  // namespace kpe::clientstats
