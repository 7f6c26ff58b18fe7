// The end-to-end probe against librdkafka's mock cluster over loopback: latencies, injected RTT, a broker
// down and back, injected produce errors, a leader move, a missing canary topic, and stopping.

#include "e2e/probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>

#include "kafka/mock_cluster.h"

namespace kpe::e2e {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr char kTopic[] = "canary";
constexpr int kInvalidRecord = 87;  // Kafka protocol error INVALID_RECORD: never retried by the producer

/// Calls `done` every 20 ms until it returns true or `limit` has passed; returns its last answer.
bool PollUntil(const std::function<bool()>& done, milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

ProbeOptions OptionsFor(const kafka::MockCluster& mock, const std::string& topic = kTopic) {
  ProbeOptions options;
  options.client.servers = {mock.Bootstraps()};
  options.client.timeout = milliseconds(2000);
  // Reconnect quickly to a broker that comes back, so tests of recovery stay short.
  options.client.properties["reconnect.backoff.ms"] = "100";
  options.client.properties["reconnect.backoff.max.ms"] = "300";
  options.topic = topic;
  options.interval = milliseconds(100);
  options.sla = milliseconds(2000);
  options.commit_every = 5;
  options.metadata_interval = milliseconds(1000);
  return options;
}

/// A 3-broker mock cluster with the canary topic's partition p led by broker p + 1.
std::unique_ptr<kafka::MockCluster> ClusterWithCanary() {
  auto mock = std::make_unique<kafka::MockCluster>(3);
  mock->CreateTopic(kTopic, 3, 3);
  for (int32_t p = 0; p < 3; ++p) mock->SetPartitionLeader(kTopic, p, p + 1);
  return mock;
}

state::ProbeCounts CountsOf(const state::ProbeSnapshot& s, int32_t partition) {
  for (const state::ProbeCounts& c : s.counts) {
    if (c.partition == partition) return c;
  }
  return {};
}

/// Latencies of `partition` over all brokers that led it.
state::ProbeLatencies LatenciesOf(const state::ProbeSnapshot& s, int32_t partition, int32_t broker = -2) {
  state::ProbeLatencies sum;
  sum.partition = partition;
  sum.broker = broker;
  for (const state::ProbeLatencies& l : s.latencies) {
    if (l.partition != partition || (broker != -2 && l.broker != broker)) continue;
    for (size_t i = 0; i < l.produce.counts.size(); ++i) {
      sum.produce.counts[i] += l.produce.counts[i];
      sum.roundtrip.counts[i] += l.roundtrip.counts[i];
    }
    sum.produce.count += l.produce.count;
    sum.produce.sum += l.produce.sum;
    sum.roundtrip.count += l.roundtrip.count;
    sum.roundtrip.sum += l.roundtrip.sum;
  }
  return sum;
}

/// What `after` observed since `before` (the same series at two times).
state::LatencyHistogram Since(const state::LatencyHistogram& after, const state::LatencyHistogram& before) {
  state::LatencyHistogram d;
  for (size_t i = 0; i < d.counts.size(); ++i) d.counts[i] = after.counts[i] - before.counts[i];
  d.count = after.count - before.count;
  d.sum = after.sum - before.sum;
  return d;
}

bool EveryPartitionReceived(const Probe& probe, uint64_t n) {
  const auto s = probe.Snapshot();
  for (int32_t p = 0; p < 3; ++p) {
    if (CountsOf(*s, p).received < n) return false;
  }
  return true;
}

TEST(ProbeTest, histograms_fill_for_every_partition_labelled_with_its_leader_and_nothing_is_lost) {
  auto mock = ClusterWithCanary();
  Probe probe(OptionsFor(*mock));
  ASSERT_TRUE(PollUntil([&] { return EveryPartitionReceived(probe, 3); }, milliseconds(15000)))
      << probe.Snapshot()->last_error;
  const auto warm = probe.Snapshot();
  ASSERT_TRUE(PollUntil([&] { return EveryPartitionReceived(probe, 3 + 20); }, milliseconds(15000)))
      << probe.Snapshot()->last_error;
  ASSERT_TRUE(PollUntil([&] { return probe.Snapshot()->commit_latency.count > 0; }, milliseconds(5000)));
  const auto s = probe.Snapshot();
  for (int32_t p = 0; p < 3; ++p) {
    const auto leader = LatenciesOf(*s, p, p + 1);
    EXPECT_GE(leader.produce.count, 10u) << "partition " << p;
    EXPECT_GE(leader.roundtrip.count, 10u) << "partition " << p;
    EXPECT_EQ(LatenciesOf(*s, p).produce.count, leader.produce.count) << "a broker other than the leader";
    const auto c = CountsOf(*s, p);
    EXPECT_EQ(c.failed, 0u);
    EXPECT_EQ(c.lost, 0u);
    EXPECT_EQ(c.duplicated, 0u);
    EXPECT_GE(c.acknowledged, c.received);
  }
  EXPECT_EQ(s->commits_failed, 0u);
  EXPECT_EQ(s->topic, kTopic);
  const auto produce = Since(LatenciesOf(*s, 0).produce, LatenciesOf(*warm, 0).produce);
  const auto roundtrip = Since(LatenciesOf(*s, 0).roundtrip, LatenciesOf(*warm, 0).roundtrip);
  EXPECT_LT(produce.Quantile(0.99), 0.1);
  std::cout << "[ measured ] no injected RTT, warm: partition 0 produce p50 " << produce.Quantile(0.5) * 1000
            << " ms p99 " << produce.Quantile(0.99) * 1000 << " ms, roundtrip p50 " << roundtrip.Quantile(0.5) * 1000
            << " ms p99 " << roundtrip.Quantile(0.99) * 1000 << " ms; commit p99 "
            << s->commit_latency.Quantile(0.99) * 1000 << " ms\n";
}

TEST(ProbeTest, rtt_injected_on_one_broker_shows_in_the_partition_it_leads_and_not_in_the_others) {
  auto mock = ClusterWithCanary();
  Probe probe(OptionsFor(*mock));
  // Measured from a warm start: the first records also wait for connections and metadata.
  ASSERT_TRUE(PollUntil([&] { return EveryPartitionReceived(probe, 5); }, milliseconds(15000)));
  mock->SetBrokerRtt(2, milliseconds(200));  // leads partition 1
  const auto before = probe.Snapshot();
  ASSERT_TRUE(PollUntil([&] { return EveryPartitionReceived(probe, 5 + 20); }, milliseconds(20000)))
      << probe.Snapshot()->last_error;
  const auto after = probe.Snapshot();
  const auto slow_produce = Since(LatenciesOf(*after, 1, 2).produce, LatenciesOf(*before, 1, 2).produce);
  const auto slow_roundtrip = Since(LatenciesOf(*after, 1, 2).roundtrip, LatenciesOf(*before, 1, 2).roundtrip);
  // The first few records after the change were already on their way.
  EXPECT_GE(slow_produce.Quantile(0.5), 0.2);
  EXPECT_GE(slow_roundtrip.Quantile(0.5), 0.2);
  for (int32_t p : {0, 2}) {
    const auto produce = Since(LatenciesOf(*after, p).produce, LatenciesOf(*before, p).produce);
    const auto roundtrip = Since(LatenciesOf(*after, p).roundtrip, LatenciesOf(*before, p).roundtrip);
    EXPECT_LT(produce.Quantile(0.99), 0.1) << "partition " << p;
    EXPECT_LT(roundtrip.Quantile(0.5), 0.1) << "partition " << p;
    EXPECT_LT(roundtrip.Quantile(0.99), slow_roundtrip.Quantile(0.5)) << "partition " << p;
    if (p == 0) {
      std::cout << "[ measured ] 200 ms RTT on broker 2: partition 1 produce p50 " << slow_produce.Quantile(0.5) * 1000
                << " ms p99 " << slow_produce.Quantile(0.99) * 1000 << " ms, roundtrip p50 "
                << slow_roundtrip.Quantile(0.5) * 1000 << " ms p99 " << slow_roundtrip.Quantile(0.99) * 1000
                << " ms; partition 0 produce p99 " << produce.Quantile(0.99) * 1000 << " ms, roundtrip p99 "
                << roundtrip.Quantile(0.99) * 1000 << " ms\n";
    }
  }
}

TEST(ProbeTest, a_broker_down_fails_its_partition_and_the_failures_stop_once_it_is_back) {
  auto mock = ClusterWithCanary();
  Probe probe(OptionsFor(*mock));
  ASSERT_TRUE(PollUntil([&] { return EveryPartitionReceived(probe, 5); }, milliseconds(15000)));

  mock->SetBrokerDown(2);  // leads partition 1
  ASSERT_TRUE(PollUntil(
      [&] {
        const auto c = CountsOf(*probe.Snapshot(), 1);
        return c.failed + c.lost >= 3;
      },
      milliseconds(10000)));
  const auto down = probe.Snapshot();
  EXPECT_THAT(down->last_error, HasSubstr("canary/1"));

  mock->SetBrokerUp(2);
  // Records sent while it was down are delivered or time out within the SLA (2 s); after that and 2 s
  // more of receipts, nothing fails or gets lost any more.
  const uint64_t received_at_up = CountsOf(*probe.Snapshot(), 1).received;
  ASSERT_TRUE(PollUntil([&] { return CountsOf(*probe.Snapshot(), 1).received >= received_at_up + 30; },
                        milliseconds(15000)))
      << probe.Snapshot()->last_error;
  const auto recovered = CountsOf(*probe.Snapshot(), 1);
  ASSERT_TRUE(PollUntil([&] { return CountsOf(*probe.Snapshot(), 1).received >= recovered.received + 25; },
                        milliseconds(10000)));
  const auto later = CountsOf(*probe.Snapshot(), 1);
  EXPECT_EQ(later.failed, recovered.failed);
  EXPECT_EQ(later.lost, recovered.lost);
  for (int32_t p : {0, 2}) {
    EXPECT_EQ(CountsOf(*probe.Snapshot(), p).failed, 0u) << "partition " << p;
    EXPECT_EQ(CountsOf(*probe.Snapshot(), p).lost, 0u) << "partition " << p;
  }
  std::cout << "[ measured ] broker 2 down: partition 1 failed " << recovered.failed << ", lost " << recovered.lost
            << "\n";
}

TEST(ProbeTest, injected_produce_errors_count_as_failures_not_loss) {
  auto mock = ClusterWithCanary();
  Probe probe(OptionsFor(*mock));
  ASSERT_TRUE(PollUntil([&] { return EveryPartitionReceived(probe, 3); }, milliseconds(15000)));
  mock->PushRequestErrors(kafka::MockCluster::kProduce, 5, kInvalidRecord);
  ASSERT_TRUE(PollUntil([&] { return probe.Snapshot()->Totals().failed >= 5; }, milliseconds(10000)));
  const uint64_t received = probe.Snapshot()->Totals().received;
  // Well past the SLA (2 s) of the failed records.
  ASSERT_TRUE(PollUntil([&] { return probe.Snapshot()->Totals().received >= received + 90; }, milliseconds(15000)));
  const auto s = probe.Snapshot();
  EXPECT_EQ(s->Totals().failed, 5u);
  EXPECT_EQ(s->Totals().lost, 0u);
  EXPECT_EQ(s->Totals().acknowledged + s->Totals().failed + 3 * 2 >= s->Totals().produced, true)
      << "at most two rounds in flight";
  EXPECT_THAT(s->last_error, HasSubstr("produce to canary/"));
}

TEST(ProbeTest, a_leader_move_keeps_the_probe_going_with_the_new_leader_label) {
  auto mock = ClusterWithCanary();
  Probe probe(OptionsFor(*mock));
  ASSERT_TRUE(PollUntil([&] { return EveryPartitionReceived(probe, 3); }, milliseconds(15000)));
  mock->SetPartitionLeader(kTopic, 0, 3);
  ASSERT_TRUE(PollUntil(
      [&] {
        const auto moved = LatenciesOf(*probe.Snapshot(), 0, 3);
        return moved.produce.count >= 10 && moved.roundtrip.count >= 10;
      },
      milliseconds(15000)))
      << probe.Snapshot()->last_error;
  const auto s = probe.Snapshot();
  EXPECT_GE(LatenciesOf(*s, 0, 1).produce.count, 3u) << "the old leader's series stays";
  EXPECT_EQ(s->Totals().lost, 0u);
}

TEST(ProbeTest, a_missing_canary_topic_is_reported_and_the_probe_starts_once_it_exists) {
  kafka::MockCluster mock(3);
  Probe probe(OptionsFor(mock, "absent"));
  // The mock cluster does not implement CreateTopics.
  ASSERT_TRUE(PollUntil([&] { return !probe.Snapshot()->last_error.empty(); }, milliseconds(10000)));
  EXPECT_THAT(probe.Snapshot()->last_error,
              HasSubstr("canary topic 'absent' does not exist and could not be created: create canary topic "
                        "'absent': "));
  EXPECT_EQ(probe.Snapshot()->Totals().produced, 0u);
  mock.CreateTopic("absent", 2, 1);
  ASSERT_TRUE(PollUntil([&] { return probe.Snapshot()->Totals().received >= 6; }, milliseconds(15000)))
      << probe.Snapshot()->last_error;
  EXPECT_EQ(probe.Snapshot()->counts.size(), 2u);
}

TEST(ProbeTest, stopping_with_every_broker_down_takes_at_most_the_request_timeout) {
  auto mock = ClusterWithCanary();
  auto probe = std::make_unique<Probe>(OptionsFor(*mock));
  ASSERT_TRUE(PollUntil([&] { return EveryPartitionReceived(*probe, 2); }, milliseconds(15000)));
  for (int32_t b = 1; b <= 3; ++b) mock->SetBrokerDown(b);
  ASSERT_TRUE(PollUntil([&] { return probe->Snapshot()->Totals().failed > 0; }, milliseconds(10000)));
  const auto start = Clock::now();
  probe.reset();
  EXPECT_LT(Clock::now() - start, milliseconds(2000 + 1500));
}

TEST(ProbeTest, bad_options_are_rejected_naming_the_option_and_value) {
  kafka::MockCluster mock(1);
  auto options = OptionsFor(mock);
  options.interval = milliseconds(0);
  EXPECT_THROW(
      try { Probe probe(options); } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "e2e probe: interval must be > 0 ms, got 0");
        throw;
      },
      std::invalid_argument);
  options = OptionsFor(mock);
  options.acks = "2";
  EXPECT_THROW(
      try { Probe probe(options); } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "kafka probe client: acks '2' is not one of all, -1, 1, 0");
        throw;
      },
      std::invalid_argument);
  options = OptionsFor(mock);
  options.client.properties["no.such.property"] = "1";
  EXPECT_THROW(
      try { Probe probe(options); } catch (const std::invalid_argument& e) {
        EXPECT_THAT(e.what(), HasSubstr("kafka property 'no.such.property'"));
        throw;
      },
      std::invalid_argument);
}

}  // namespace
}  // namespace kpe::e2e
