// RecordTimestampReader against librdkafka's mock cluster over loopback.

#include "kafka/record_timestamps.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "kafka/mock_cluster.h"
#include "kafka/rdkafka_ptr.h"
#include "test_support.h"

namespace kpe::kafka {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using testing::PollUntil;
using Clock = std::chrono::steady_clock;

constexpr int64_t kEpochMs = 1'700'000'000'000;  // 2023-11-14, a plausible CreateTime

RecordTimestampReader::Options OptionsFor(const MockCluster& mock,
                                          milliseconds timeout = milliseconds(3000)) {
  RecordTimestampReader::Options options;
  options.client.servers = {mock.Bootstraps()};
  options.client.timeout = timeout;
  options.client.properties["reconnect.backoff.max.ms"] = "500";
  return options;
}

// A producer that writes records with explicit CreateTime timestamps to explicit partitions and waits until
// each write is acknowledged, so offsets are known: the n-th record of a partition is at offset n-1.
class TimestampProducer {
 public:
  explicit TimestampProducer(const MockCluster& mock, bool transactional = false) {
    rd::ConfPtr conf(rd_kafka_conf_new());
    rd::SetProperty(conf.get(), "bootstrap.servers", mock.Bootstraps());
    rd::SetProperty(conf.get(), "linger.ms", "0");
    rd::SetProperty(conf.get(), "enable.idempotence",
                    "true");  // keeps the order of records
    if (transactional) rd::SetProperty(conf.get(), "transactional.id", "record-timestamps-test");
    rd_kafka_conf_set_opaque(conf.get(), &failed_);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
      if (message->err) ++*static_cast<std::atomic<int>*>(opaque);
    });
    char error[512] = "";
    producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error));
    if (!producer_) throw std::runtime_error(error);
    conf.release();
    if (transactional) Check(rd_kafka_init_transactions(producer_.get(), 5000), "init transactions");
  }

  /// Produces one record and, unless `wait` is false, waits until all records
  /// so far are acknowledged.
  void Produce(const std::string& topic, int32_t partition, int64_t timestamp_ms, bool wait = true) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_VALUE(const_cast<char*>("v"), 1), RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_END);
    if (err) throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(err));
    if (!wait) return;
    if (rd_kafka_flush(producer_.get(), 5000) != RD_KAFKA_RESP_ERR_NO_ERROR || failed_ > 0) {
      throw std::runtime_error("produce: not acknowledged");
    }
  }

  void BeginTransaction() { Check(rd_kafka_begin_transaction(producer_.get()), "begin transaction"); }
  void CommitTransaction() {
    Check(rd_kafka_commit_transaction(producer_.get(), 5000), "commit transaction");
  }

 private:
  static void Check(rd_kafka_error_t* error, const char* what) {
    if (!error) return;
    std::string message = std::string(what) + ": " + rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    throw std::runtime_error(message);
  }

  std::atomic<int> failed_{0};
  rd::HandlePtr producer_;
};

// Topic "t" with 2 partitions: partition 0 has 5 records (timestamps kEpochMs + 0, 10, ..., 40), partition 1
// has 3 (kEpochMs + 1000, 1001, 1002).
void ProduceKnownRecords(MockCluster& mock) {
  mock.CreateTopic("t", 2, 1);
  TimestampProducer producer(mock);
  for (int i = 0; i < 5; ++i) producer.Produce("t", 0, kEpochMs + 10 * i);
  for (int i = 0; i < 3; ++i) producer.Produce("t", 1, kEpochMs + 1000 + i);
}

TEST(RecordTimestampReaderTest, reads_the_timestamp_of_the_record_at_each_offset_across_partitions) {
  MockCluster mock(2);
  ProduceKnownRecords(mock);
  RecordTimestampReader reader(OptionsFor(mock));

  // Two offsets of partition 0 take two rounds; both are answered in one call.
  auto timestamps = reader.Read({{"t", 0, 3}, {"t", 1, 1}, {"t", 0, 0}, {"t", 1, 2}});

  EXPECT_THAT(
      timestamps,
      ElementsAre(Pair(RecordRef{"t", 0, 0}, kEpochMs), Pair(RecordRef{"t", 0, 3}, kEpochMs + 30),
                  Pair(RecordRef{"t", 1, 1}, kEpochMs + 1001), Pair(RecordRef{"t", 1, 2}, kEpochMs + 1002)));
  EXPECT_EQ(reader.reads(), 4u);
  EXPECT_EQ(reader.cache_misses(), 4u);
  EXPECT_EQ(reader.read_failures(), 0u);
}

TEST(RecordTimestampReaderTest, distant_offsets_of_one_partition_are_all_read_in_one_call) {
  MockCluster mock(1);
  mock.CreateTopic("long", 1, 1);
  TimestampProducer producer(mock);
  for (int i = 0; i < 1500; ++i) producer.Produce("long", 0, kEpochMs + i, /*wait=*/i == 1499);
  RecordTimestampReader reader(OptionsFor(mock));

  // 5 -> 9 is read through, 9 -> 1400 restarts the fetcher further on.
  auto timestamps = reader.Read({{"long", 0, 1400}, {"long", 0, 9}, {"long", 0, 5}});

  EXPECT_THAT(timestamps, ElementsAre(Pair(RecordRef{"long", 0, 5}, kEpochMs + 5),
                                      Pair(RecordRef{"long", 0, 9}, kEpochMs + 9),
                                      Pair(RecordRef{"long", 0, 1400}, kEpochMs + 1400)));
}

TEST(RecordTimestampReaderTest, a_second_read_of_the_same_records_is_served_from_the_cache) {
  MockCluster mock(1);
  ProduceKnownRecords(mock);
  RecordTimestampReader reader(OptionsFor(mock));
  const std::vector<RecordRef> refs = {{"t", 0, 1}, {"t", 1, 0}};
  auto first = reader.Read(refs);
  ASSERT_EQ(first.size(), 2u);

  auto second = reader.Read(refs);

  EXPECT_EQ(second, first);
  EXPECT_EQ(reader.reads(), 2u);
  EXPECT_EQ(reader.cache_hits(), 2u);
  EXPECT_EQ(reader.cache_misses(), 2u);
}

TEST(RecordTimestampReaderTest, duplicate_records_in_one_call_are_read_once) {
  MockCluster mock(1);
  ProduceKnownRecords(mock);
  RecordTimestampReader reader(OptionsFor(mock));

  auto timestamps = reader.Read({{"t", 0, 2}, {"t", 0, 2}});

  EXPECT_THAT(timestamps, ElementsAre(Pair(RecordRef{"t", 0, 2}, kEpochMs + 20)));
  EXPECT_EQ(reader.reads(), 1u);
}

TEST(RecordTimestampReaderTest, at_most_max_reads_per_call_uncached_records_are_read_per_call) {
  MockCluster mock(1);
  ProduceKnownRecords(mock);
  auto options = OptionsFor(mock);
  options.max_reads_per_call = 2;
  RecordTimestampReader reader(options);
  const std::vector<RecordRef> refs = {{"t", 0, 0}, {"t", 0, 1}, {"t", 0, 2}, {"t", 1, 0}, {"t", 1, 1}};

  EXPECT_EQ(reader.Read(refs).size(), 2u);
  EXPECT_EQ(reader.reads(), 2u);
  EXPECT_EQ(reader.Read(refs).size(), 4u);
  EXPECT_EQ(reader.reads(), 4u);
  auto last = reader.Read(refs);

  EXPECT_EQ(last.size(), 5u);
  EXPECT_EQ(reader.reads(), 5u);
  EXPECT_EQ(last.at({"t", 1, 1}), kEpochMs + 1001);
}

TEST(RecordTimestampReaderTest, the_budget_goes_first_to_partitions_not_read_recently) {
  MockCluster mock(1);
  ProduceKnownRecords(mock);
  auto options = OptionsFor(mock);
  options.max_reads_per_call = 1;
  options.cache_entries = 0;  // nothing cached: every call must choose again
  RecordTimestampReader reader(options);
  const std::vector<RecordRef> refs = {{"t", 0, 0}, {"t", 1, 0}};

  auto first = reader.Read(refs);
  auto second = reader.Read(refs);

  EXPECT_THAT(first, ElementsAre(Pair(RecordRef{"t", 0, 0}, kEpochMs)));
  EXPECT_THAT(second, ElementsAre(Pair(RecordRef{"t", 1, 0}, kEpochMs + 1000)));
}

TEST(RecordTimestampReaderTest, the_least_recently_used_record_is_evicted_from_a_full_cache) {
  MockCluster mock(1);
  ProduceKnownRecords(mock);
  auto options = OptionsFor(mock);
  options.cache_entries = 2;
  RecordTimestampReader reader(options);
  const RecordRef a{"t", 0, 0}, b{"t", 0, 1}, c{"t", 0, 2};
  reader.Read({a});
  reader.Read({b});
  reader.Read({a});  // a is now more recent than b
  reader.Read({c});  // evicts b
  ASSERT_EQ(reader.reads(), 3u);

  reader.Read({a});
  EXPECT_EQ(reader.reads(), 3u);
  auto again = reader.Read({b});
  EXPECT_EQ(reader.reads(), 4u);
  EXPECT_EQ(again.at(b), kEpochMs + 10);
}

TEST(RecordTimestampReaderTest, offsets_at_or_beyond_the_newest_are_absent_within_the_timeout) {
  MockCluster mock(1);
  ProduceKnownRecords(mock);
  const milliseconds timeout(2000);
  RecordTimestampReader reader(OptionsFor(mock, timeout));

  const auto start = Clock::now();
  auto timestamps = reader.Read({{"t", 0, 5}, {"t", 1, 100}, {"t", 1, 0}});
  const auto elapsed = Clock::now() - start;

  EXPECT_THAT(timestamps, ElementsAre(Pair(RecordRef{"t", 1, 0}, kEpochMs + 1000)));
  EXPECT_LT(elapsed, timeout);
  EXPECT_EQ(reader.read_failures(), 2u);
}

TEST(RecordTimestampReaderTest, failures_are_not_cached_so_a_record_produced_later_is_read) {
  MockCluster mock(1);
  ProduceKnownRecords(mock);
  RecordTimestampReader reader(OptionsFor(mock));
  ASSERT_THAT(reader.Read({{"t", 1, 3}}), IsEmpty());

  TimestampProducer(mock).Produce("t", 1, kEpochMs + 5000);

  EXPECT_THAT(reader.Read({{"t", 1, 3}}), ElementsAre(Pair(RecordRef{"t", 1, 3}, kEpochMs + 5000)));
}

TEST(RecordTimestampReaderTest, an_unknown_partition_is_absent_within_the_timeout) {
  MockCluster mock(1);
  ProduceKnownRecords(mock);
  const milliseconds timeout(1500);
  RecordTimestampReader reader(OptionsFor(mock, timeout));

  const auto start = Clock::now();
  auto timestamps = reader.Read({{"t", 7, 0}, {"t", 0, 4}});
  const auto elapsed = Clock::now() - start;

  EXPECT_THAT(timestamps, ElementsAre(Pair(RecordRef{"t", 0, 4}, kEpochMs + 40)));
  EXPECT_LT(elapsed, timeout + milliseconds(500));
}

TEST(RecordTimestampReaderTest, an_offset_without_a_record_gets_the_next_record_a_consumer_would_get) {
  // A transaction's commit marker occupies an offset but is no record a consumer sees, like an offset removed
  // by compaction: the answer is the first record after it.
  MockCluster mock(1);
  mock.CreateTopic("tx", 1, 1);
  TimestampProducer transactional(mock, /*transactional=*/true);
  transactional.BeginTransaction();
  transactional.Produce("tx", 0, kEpochMs);                 // offset 0
  transactional.CommitTransaction();                        // marker at offset 1
  TimestampProducer(mock).Produce("tx", 0, kEpochMs + 77);  // offset 2
  RecordTimestampReader reader(OptionsFor(mock));

  auto timestamps = reader.Read({{"tx", 0, 0}, {"tx", 0, 1}});

  EXPECT_THAT(timestamps,
              ElementsAre(Pair(RecordRef{"tx", 0, 0}, kEpochMs), Pair(RecordRef{"tx", 0, 1}, kEpochMs + 77)));
}

TEST(RecordTimestampReaderTest, records_behind_a_down_leader_are_absent_and_read_once_it_is_back) {
  MockCluster mock(2);
  ProduceKnownRecords(mock);
  mock.SetPartitionLeader("t", 0, 1);
  mock.SetPartitionLeader("t", 1, 2);
  const milliseconds timeout(1500);
  RecordTimestampReader reader(OptionsFor(mock, timeout));
  mock.SetBrokerDown(1);

  const auto start = Clock::now();
  auto timestamps = reader.Read({{"t", 0, 0}, {"t", 1, 0}});
  const auto elapsed = Clock::now() - start;

  EXPECT_THAT(timestamps, ElementsAre(Pair(RecordRef{"t", 1, 0}, kEpochMs + 1000)));
  EXPECT_LT(elapsed, timeout + milliseconds(500));

  mock.SetBrokerUp(1);
  std::map<RecordRef, int64_t> later;
  EXPECT_TRUE(PollUntil([&] { return !(later = reader.Read({{"t", 0, 0}})).empty(); }, milliseconds(8000)));
  EXPECT_THAT(later, ElementsAre(Pair(RecordRef{"t", 0, 0}, kEpochMs)));
}

TEST(RecordTimestampReaderTest, destruction_does_not_wait_for_a_down_broker) {
  MockCluster mock(1);
  ProduceKnownRecords(mock);
  const auto start = Clock::now();
  {
    RecordTimestampReader reader(OptionsFor(mock, milliseconds(500)));
    reader.Read({{"t", 0, 0}});
    mock.SetBrokerDown(1);
    reader.Read({{"t", 0, 1}});
  }
  EXPECT_LT(Clock::now() - start, milliseconds(3000));
}

TEST(RecordTimestampReaderTest, a_bad_property_is_an_invalid_argument_naming_it) {
  RecordTimestampReader::Options options;
  options.client.servers = {"127.0.0.1:1"};
  options.client.properties["fetch.max.bytes"] = "lots";
  try {
    RecordTimestampReader reader(options);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'fetch.max.bytes'"));
  }
}

TEST(RecordTimestampReaderTest, no_bootstrap_server_is_an_invalid_argument) {
  RecordTimestampReader::Options options;
  EXPECT_THROW(
      {
        try {
          RecordTimestampReader reader(options);
        } catch (const std::invalid_argument& e) {
          EXPECT_THAT(e.what(), HasSubstr("no bootstrap servers"));
          throw;
        }
      },
      std::invalid_argument);
}

TEST(RecordTimestampReaderTest, a_zero_read_budget_is_an_invalid_argument_naming_it) {
  RecordTimestampReader::Options options;
  options.client.servers = {"127.0.0.1:1"};
  options.max_reads_per_call = 0;
  try {
    RecordTimestampReader reader(options);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("max_reads_per_call"));
  }
}

}  // namespace
}  // namespace kpe::kafka
