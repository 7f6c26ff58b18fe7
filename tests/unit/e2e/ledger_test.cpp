// The probe's record accounting, driven by scripted sequences of events on a scripted clock.

#include "e2e/ledger.h"

#include <gtest/gtest.h>

#include <chrono>

namespace kpe::e2e {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr milliseconds kSla{10000};
const SteadyClock::time_point kT0{std::chrono::hours(1)};

SteadyClock::time_point At(int ms) { return kT0 + milliseconds(ms); }

state::ProbeCounts CountsOf(const Ledger& ledger, int32_t partition) {
  for (const state::ProbeCounts& c : ledger.Snapshot({}).counts) {
    if (c.partition == partition) return c;
  }
  ADD_FAILURE() << "no counts for partition " << partition;
  return {};
}

/// Sends sequence `seq` to `partition` at `sent_ms` and acknowledges it by broker 1 after 2 ms.
void SendAndAck(Ledger& ledger, int32_t partition, int64_t seq, int sent_ms) {
  ledger.Sent(partition, seq, At(sent_ms));
  ledger.Acknowledged(partition, seq, 1, microseconds(2000));
}

Receipt Receive(Ledger& ledger, int32_t partition, int64_t seq, int at_ms, int32_t broker = 1) {
  return ledger.Received(partition, seq, broker, At(at_ms), 0, 0);
}

TEST(LedgerTest, a_record_sent_acknowledged_and_received_counts_once_in_each) {
  Ledger ledger("canary", kSla);
  SendAndAck(ledger, 0, 0, 0);
  EXPECT_EQ(Receive(ledger, 0, 0, 5), Receipt::kFirst);
  ledger.Expire(At(60000));
  const auto c = CountsOf(ledger, 0);
  EXPECT_EQ(c.produced, 1u);
  EXPECT_EQ(c.acknowledged, 1u);
  EXPECT_EQ(c.received, 1u);
  EXPECT_EQ(c.lost, 0u);
  EXPECT_EQ(c.failed, 0u);
  EXPECT_EQ(c.duplicated, 0u);
}

TEST(LedgerTest, roundtrip_latency_is_receipt_minus_send_time_labelled_by_partition_and_broker) {
  Ledger ledger("canary", kSla);
  SendAndAck(ledger, 3, 0, 0);
  Receive(ledger, 3, 0, 150, 2);
  const auto snapshot = ledger.Snapshot({});
  ASSERT_EQ(snapshot.latencies.size(), 2u);  // produce by broker 1, roundtrip from broker 2
  EXPECT_EQ(snapshot.latencies[0].broker, 1);
  EXPECT_EQ(snapshot.latencies[0].produce.count, 1u);
  EXPECT_DOUBLE_EQ(snapshot.latencies[0].produce.sum, 0.002);
  EXPECT_EQ(snapshot.latencies[1].broker, 2);
  EXPECT_EQ(snapshot.latencies[1].partition, 3);
  EXPECT_DOUBLE_EQ(snapshot.latencies[1].roundtrip.sum, 0.150);
}

TEST(LedgerTest, an_unknown_broker_is_labelled_with_the_metadata_leader) {
  Ledger ledger("canary", kSla);
  ledger.SetLeader(0, 7);
  ledger.Sent(0, 0, At(0));
  ledger.Acknowledged(0, 0, -1, microseconds(1000));
  ASSERT_EQ(ledger.Snapshot({}).latencies.size(), 1u);
  EXPECT_EQ(ledger.Snapshot({}).latencies[0].broker, 7);
}

TEST(LedgerTest, an_acknowledged_record_not_received_within_the_sla_is_lost_once) {
  Ledger ledger("canary", kSla);
  SendAndAck(ledger, 0, 0, 0);
  ledger.Expire(At(9999));
  EXPECT_EQ(CountsOf(ledger, 0).lost, 0u);
  ledger.Expire(At(10001));
  ledger.Expire(At(20000));
  EXPECT_EQ(CountsOf(ledger, 0).lost, 1u);
}

TEST(LedgerTest, a_lost_record_that_arrives_late_stays_lost_and_counts_received) {
  Ledger ledger("canary", kSla);
  SendAndAck(ledger, 0, 0, 0);
  ledger.Expire(At(11000));
  EXPECT_EQ(Receive(ledger, 0, 0, 12000), Receipt::kFirst);
  const auto c = CountsOf(ledger, 0);
  EXPECT_EQ(c.lost, 1u);
  EXPECT_EQ(c.received, 1u);
}

TEST(LedgerTest, a_failed_record_is_never_lost) {
  Ledger ledger("canary", kSla);
  ledger.Sent(0, 0, At(0));
  ledger.Failed(0, 0);
  ledger.Expire(At(20000));
  const auto c = CountsOf(ledger, 0);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_EQ(c.lost, 0u);
  EXPECT_EQ(c.acknowledged, 0u);
}

TEST(LedgerTest, a_record_still_awaiting_its_acknowledgement_is_not_lost) {
  Ledger ledger("canary", kSla);
  ledger.Sent(0, 0, At(0));
  ledger.Expire(At(15000));
  EXPECT_EQ(CountsOf(ledger, 0).lost, 0u);
}

TEST(LedgerTest, a_record_received_before_its_acknowledgement_is_not_lost) {
  Ledger ledger("canary", kSla);
  ledger.Sent(0, 0, At(0));
  EXPECT_EQ(Receive(ledger, 0, 0, 3), Receipt::kFirst);
  ledger.Acknowledged(0, 0, 1, microseconds(4000));
  ledger.Expire(At(20000));
  EXPECT_EQ(CountsOf(ledger, 0).lost, 0u);
  EXPECT_EQ(CountsOf(ledger, 0).received, 1u);
}

TEST(LedgerTest, the_same_record_received_twice_counts_one_duplicate_and_one_latency) {
  Ledger ledger("canary", kSla);
  SendAndAck(ledger, 0, 0, 0);
  EXPECT_EQ(Receive(ledger, 0, 0, 5), Receipt::kFirst);
  EXPECT_EQ(Receive(ledger, 0, 0, 6), Receipt::kDuplicate);
  EXPECT_EQ(Receive(ledger, 0, 0, 7), Receipt::kDuplicate);
  const auto c = CountsOf(ledger, 0);
  EXPECT_EQ(c.received, 1u);
  EXPECT_EQ(c.duplicated, 2u);
  EXPECT_EQ(ledger.Snapshot({}).latencies[0].roundtrip.count, 1u);
}

TEST(LedgerTest, the_same_sequence_on_two_partitions_is_two_records) {
  Ledger ledger("canary", kSla);
  SendAndAck(ledger, 0, 5, 0);
  SendAndAck(ledger, 1, 5, 0);
  EXPECT_EQ(Receive(ledger, 0, 5, 5), Receipt::kFirst);
  EXPECT_EQ(Receive(ledger, 1, 5, 5), Receipt::kFirst);
}

TEST(LedgerTest, a_scripted_sequence_with_a_gap_a_failure_and_a_duplicate_counts_each_once) {
  Ledger ledger("canary", kSla);
  for (int seq = 0; seq < 10; ++seq) {
    ledger.Sent(0, seq, At(seq * 100));
    if (seq == 4) {
      ledger.Failed(0, seq);  // injected produce error
    } else {
      ledger.Acknowledged(0, seq, 1, microseconds(1000));
    }
  }
  for (int seq : {0, 1, 2, 3, 5, 6, 6, 8, 9}) Receive(ledger, 0, seq, seq * 100 + 20);  // 7 missing
  ledger.Expire(At(30000));
  const auto c = CountsOf(ledger, 0);
  EXPECT_EQ(c.produced, 10u);
  EXPECT_EQ(c.acknowledged, 9u);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_EQ(c.received, 8u);
  EXPECT_EQ(c.duplicated, 1u);
  EXPECT_EQ(c.lost, 1u);
  EXPECT_EQ(ledger.Snapshot({}).Totals().lost, 1u);
}

TEST(LedgerTest, a_sequence_never_sent_is_unknown_and_not_counted) {
  Ledger ledger("canary", kSla);
  SendAndAck(ledger, 0, 0, 0);
  EXPECT_EQ(Receive(ledger, 0, 99, 5), Receipt::kUnknown);
  EXPECT_EQ(CountsOf(ledger, 0).received, 0u);
}

TEST(LedgerTest, records_are_forgotten_after_three_slas_and_then_count_received_without_duplicate_check) {
  Ledger ledger("canary", kSla);
  SendAndAck(ledger, 0, 0, 0);
  Receive(ledger, 0, 0, 5);
  ledger.Expire(At(30001));
  EXPECT_EQ(ledger.Remembered(), 0u);
  EXPECT_EQ(ledger.Received(0, 0, 1, At(31000), 1'000'000, 32'000'000), Receipt::kForgotten);
  const auto c = CountsOf(ledger, 0);
  EXPECT_EQ(c.received, 2u);
  EXPECT_EQ(c.duplicated, 0u);
  // Its latency comes from the send time it carries: 31 s.
  EXPECT_EQ(ledger.Snapshot({}).latencies[0].roundtrip.counts.back(), 1u);
}

TEST(LedgerTest, memory_per_partition_is_bounded) {
  Ledger ledger("canary", kSla);
  const size_t n = Ledger::kMaxRemembered + 10;
  for (size_t seq = 0; seq < n; ++seq) ledger.Sent(0, static_cast<int64_t>(seq), At(0));
  EXPECT_EQ(ledger.Remembered(), Ledger::kMaxRemembered);
  EXPECT_EQ(Receive(ledger, 0, 3, 1), Receipt::kForgotten);
}

TEST(LedgerTest, commits_time_the_successful_ones_and_count_the_failed_ones) {
  Ledger ledger("canary", kSla);
  ledger.Committed(milliseconds(3), true);
  ledger.Committed(milliseconds(40), false);
  const auto snapshot = ledger.Snapshot({});
  EXPECT_EQ(snapshot.commit_latency.count, 1u);
  EXPECT_DOUBLE_EQ(snapshot.commit_latency.sum, 0.003);
  EXPECT_EQ(snapshot.commits_failed, 1u);
}

TEST(LedgerTest, the_latest_error_and_its_time_are_in_the_snapshot) {
  Ledger ledger("canary", kSla);
  const state::WallClock::time_point when{std::chrono::seconds(1700000000)};
  ledger.Error("first", when);
  ledger.Error("produce to canary/2: Broker: Invalid record", when + std::chrono::seconds(1));
  const auto snapshot = ledger.Snapshot(when);
  EXPECT_EQ(snapshot.last_error, "produce to canary/2: Broker: Invalid record");
  EXPECT_EQ(snapshot.last_error_at, when + std::chrono::seconds(1));
  EXPECT_EQ(snapshot.topic, "canary");
}

}  // namespace
}  // namespace kpe::e2e
