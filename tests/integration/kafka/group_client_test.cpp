// GroupClient against two real wire-protocol peers: librdkafka's mock cluster (commits made by real
// clients; no group APIs) and the Python test broker (scripted groups, faults, request counts).

#include "kafka/group_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "kafka/mock_cluster.h"
#include "kafka/rdkafka_ptr.h"
#include "commit_support.h"
#include "test_broker.h"
#include "test_support.h"

namespace kpe::kafka {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::TestBroker;
using Clock = std::chrono::steady_clock;

using testing::Commit;
using testing::ListOf;
using testing::SimpleCommit;

// Compact views for matchers: "topic/partition=offset".
std::vector<std::string> View(const std::vector<CommittedOffset>& offsets) {
  std::vector<std::string> out;
  for (const auto& o : offsets) {
    out.push_back(o.topic.get() + "/" + std::to_string(o.partition) + "=" + std::to_string(o.offset) +
                  (o.error.empty() ? "" : " " + o.error));
  }
  return out;
}
std::vector<std::string> View(const std::vector<PartitionRef>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs) out.push_back(r.topic + "/" + std::to_string(r.partition));
  return out;
}

GroupClientOptions OptionsFor(const std::string& bootstrap, milliseconds timeout = milliseconds(5000)) {
  GroupClientOptions options;
  options.client.servers = {bootstrap};
  options.client.timeout = timeout;
  return options;
}

std::vector<PartitionRef> PartitionsOf(const std::string& topic, int count) {
  std::vector<PartitionRef> refs;
  for (int p = 0; p < count; ++p) refs.push_back({topic, p});
  return refs;
}

// Commits for many groups from one Admin handle (AlterConsumerGroupOffsets: OffsetCommit without
// membership), so that hundreds of groups do not need hundreds of client handles.
void AdminCommit(const std::string& bootstrap, const std::vector<std::pair<std::string, Commit>>& commits) {
  rd::ConfPtr conf(rd_kafka_conf_new());
  rd::SetProperty(conf.get(), "bootstrap.servers", bootstrap);
  char error[512] = "";
  rd::HandlePtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.release(), error, sizeof error));
  ASSERT_TRUE(rk) << error;
  rd::QueuePtr queue(rd_kafka_queue_new(rk.get()));
  for (const auto& [group, commit] : commits) {
    auto list = ListOf({commit});
    rd_kafka_AlterConsumerGroupOffsets_t* alter =
        rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get());
    rd_kafka_AlterConsumerGroupOffsets(rk.get(), &alter, 1, nullptr, queue.get());
    rd_kafka_AlterConsumerGroupOffsets_destroy(alter);
  }
  for (size_t answered = 0; answered < commits.size(); ++answered) {
    rd::EventPtr event(rd_kafka_queue_poll(queue.get(), 10000));
    ASSERT_TRUE(event) << "no answer to AlterConsumerGroupOffsets " << answered;
    ASSERT_EQ(rd_kafka_event_error(event.get()), RD_KAFKA_RESP_ERR_NO_ERROR)
        << rd_kafka_event_error_string(event.get());
    size_t n = 0;
    const auto** groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(event.get()), &n);
    ASSERT_EQ(n, 1u);
    ASSERT_EQ(rd_kafka_group_result_error(groups[0]), nullptr) << rd_kafka_group_result_name(groups[0]);
  }
}

// ---------------------------------------------------------------------------------------------------------
// librdkafka's mock cluster

TEST(GroupClientMockTest, committed_offsets_are_exactly_the_simple_commits) {
  MockCluster mock(3);
  mock.CreateTopic("orders", 4, 3);
  SimpleCommit(mock.Bootstraps(), "billing", {{"orders", 0, 17}, {"orders", 2, 5}});

  GroupClient client(OptionsFor(mock.Bootstraps()));
  auto result = client.FetchCommittedOffsets({"billing"}, PartitionsOf("orders", 4));
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0].group_id, "billing");
  EXPECT_EQ(result[0].error, "");
  EXPECT_THAT(View(result[0].offsets), ElementsAre("orders/0=17", "orders/2=5"));
}

TEST(GroupClientMockTest, committed_offsets_stay_right_on_later_calls_and_follow_new_commits) {
  MockCluster mock(1);
  mock.CreateTopic("orders", 2, 1);
  SimpleCommit(mock.Bootstraps(), "billing", {{"orders", 1, 3}});
  GroupClient client(OptionsFor(mock.Bootstraps()));
  ASSERT_THAT(View(client.FetchCommittedOffsets({"billing"}, PartitionsOf("orders", 2))[0].offsets),
              ElementsAre("orders/1=3"));

  SimpleCommit(mock.Bootstraps(), "billing", {{"orders", 0, 8}, {"orders", 1, 9}});
  auto result = client.FetchCommittedOffsets({"billing"}, PartitionsOf("orders", 2));
  EXPECT_THAT(View(result[0].offsets), ElementsAre("orders/0=8", "orders/1=9"));
}

TEST(GroupClientMockTest, group_without_commits_has_no_offsets_and_no_error) {
  MockCluster mock(1);
  mock.CreateTopic("orders", 2, 1);
  SimpleCommit(mock.Bootstraps(), "billing", {{"orders", 0, 1}});
  GroupClient client(OptionsFor(mock.Bootstraps()));
  auto result = client.FetchCommittedOffsets({"idle", "billing"}, PartitionsOf("orders", 2));
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0].group_id, "idle");
  EXPECT_EQ(result[0].error, "");
  EXPECT_THAT(result[0].offsets, IsEmpty());
  EXPECT_THAT(View(result[1].offsets), ElementsAre("orders/0=1"));
}

TEST(GroupClientMockTest, offsets_of_unwatched_topics_are_left_out) {
  MockCluster mock(1);
  mock.CreateTopic("orders", 2, 1);
  mock.CreateTopic("secret", 2, 1);
  SimpleCommit(mock.Bootstraps(), "billing", {{"orders", 1, 4}, {"secret", 0, 6}, {"secret", 1, 7}});
  GroupClient client(OptionsFor(mock.Bootstraps()));
  auto result = client.FetchCommittedOffsets({"billing"}, PartitionsOf("orders", 2));
  EXPECT_THAT(View(result[0].offsets), ElementsAre("orders/1=4"));
}

TEST(GroupClientMockTest, committed_offsets_of_a_subscribed_consumer_come_back) {
  MockCluster mock(1);
  mock.CreateTopic("orders", 1, 1);
  mock.Produce("orders", 0, 5);
  {
    rd::ConfPtr conf(rd_kafka_conf_new());
    rd::SetProperty(conf.get(), "bootstrap.servers", mock.Bootstraps());
    rd::SetProperty(conf.get(), "group.id", "reader");
    rd::SetProperty(conf.get(), "auto.offset.reset", "earliest");
    rd::SetProperty(conf.get(), "enable.auto.commit", "false");
    char error[512] = "";
    rd::HandlePtr rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf.release(), error, sizeof error));
    ASSERT_TRUE(rk) << error;
    rd_kafka_poll_set_consumer(rk.get());
    auto topics = ListOf({{"orders", RD_KAFKA_PARTITION_UA, 0}});
    ASSERT_EQ(rd_kafka_subscribe(rk.get(), topics.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
    int consumed = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (consumed < 5 && Clock::now() < deadline) {
      rd::MessagePtr message(rd_kafka_consumer_poll(rk.get(), 100));
      if (message && message->err == RD_KAFKA_RESP_ERR_NO_ERROR) ++consumed;
    }
    ASSERT_EQ(consumed, 5);
    ASSERT_EQ(rd_kafka_commit(rk.get(), nullptr, /*async=*/0), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_consumer_close(rk.get());
  }
  GroupClient client(OptionsFor(mock.Bootstraps()));
  auto result = client.FetchCommittedOffsets({"reader"}, PartitionsOf("orders", 1));
  EXPECT_EQ(result[0].error, "");
  EXPECT_THAT(View(result[0].offsets), ElementsAre("orders/0=5"));
}

TEST(GroupClientMockTest, two_hundred_groups_with_eight_in_flight_all_come_back_right) {
  MockCluster mock(3);
  mock.CreateTopic("orders", 4, 3);
  std::vector<std::pair<std::string, Commit>> commits;
  std::vector<std::string> groups;
  for (int g = 0; g < 200; ++g) {
    groups.push_back("group-" + std::to_string(g));
    commits.push_back({groups.back(), {"orders", g % 4, 1000 + g}});
  }
  AdminCommit(mock.Bootstraps(), commits);

  auto options = OptionsFor(mock.Bootstraps(), milliseconds(20000));
  options.max_in_flight = 8;
  GroupClient client(options);
  const auto start = Clock::now();
  auto result = client.FetchCommittedOffsets(groups, PartitionsOf("orders", 4));
  const auto first_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  ASSERT_EQ(result.size(), 200u);
  for (int g = 0; g < 200; ++g) {
    EXPECT_EQ(result[g].group_id, groups[g]);
    EXPECT_EQ(result[g].error, "") << groups[g];
    EXPECT_THAT(View(result[g].offsets),
                ElementsAre("orders/" + std::to_string(g % 4) + "=" + std::to_string(1000 + g)))
        << groups[g];
  }
  // The second call asks explicitly at once (the client learned the mock ignores "all partitions").
  const auto again = Clock::now();
  auto second = client.FetchCommittedOffsets(groups, PartitionsOf("orders", 4));
  const auto second_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - again).count();
  EXPECT_THAT(View(second[199].offsets), ElementsAre("orders/3=1199"));
  std::printf("200 groups, 8 in flight: first call %lld ms (null list + explicit), second %lld ms\n",
              static_cast<long long>(first_ms), static_cast<long long>(second_ms));
}

// Hints: the mock needs the explicit list, so what a group is asked for is what can come back. Two
// partitions per request, so the four watched partitions do not fit in one and hints are used.
class GroupClientHintTest : public ::testing::Test {
 protected:
  GroupClientHintTest() : mock_(1) {
    mock_.CreateTopic("orders", 2, 1);
    mock_.CreateTopic("payments", 2, 1);
    SimpleCommit(mock_.Bootstraps(), "billing", {{"orders", 0, 5}, {"payments", 1, 7}});
  }
  std::vector<PartitionRef> Watched() const {
    auto refs = PartitionsOf("orders", 2);
    for (const auto& ref : PartitionsOf("payments", 2)) refs.push_back(ref);
    return refs;
  }
  GroupClientOptions Options(size_t full_sweep_every = 10) const {
    auto options = OptionsFor(mock_.Bootstraps());
    options.partitions_per_request = 2;
    options.full_sweep_every = full_sweep_every;
    return options;
  }
  MockCluster mock_;
};

TEST_F(GroupClientHintTest, hinted_group_is_asked_for_its_hinted_topics_and_one_slice_of_the_sweep) {
  GroupClient client(Options(/*full_sweep_every=*/4));
  const std::vector<std::vector<std::string>> hints = {{"orders"}};
  // 4 watched, 2 hinted: the sweep spans 4 calls (full_sweep_every), one partition per call, so
  // payments/1 (outside the hint) is seen in exactly one call of every 4, orders/0 in every call.
  std::vector<int> seen_payments;
  for (int call = 0; call < 12; ++call) {
    auto result = client.FetchCommittedOffsets({"billing"}, Watched(), hints);
    ASSERT_EQ(result[0].error, "") << "call " << call;
    const auto seen = View(result[0].offsets);
    if (seen.size() == 2) {
      EXPECT_THAT(seen, ElementsAre("orders/0=5", "payments/1=7"));
      seen_payments.push_back(call);
    } else {
      EXPECT_THAT(seen, ElementsAre("orders/0=5")) << "call " << call;
    }
  }
  ASSERT_EQ(seen_payments.size(), 3u) << ::testing::PrintToString(seen_payments);
  for (size_t k = 1; k < seen_payments.size(); ++k) {
    EXPECT_EQ(seen_payments[k] - seen_payments[k - 1], 4) << ::testing::PrintToString(seen_payments);
  }
}

TEST_F(GroupClientHintTest, a_first_commit_on_another_partition_of_a_hinted_topic_is_found) {
  GroupClient client(Options());
  client.FetchCommittedOffsets({"billing"}, Watched(), {{"orders"}});
  SimpleCommit(mock_.Bootstraps(), "billing", {{"orders", 1, 9}});
  auto result = client.FetchCommittedOffsets({"billing"}, Watched(), {{"orders"}});
  EXPECT_THAT(View(result[0].offsets), ::testing::IsSupersetOf({"orders/0=5", "orders/1=9"}));
}

TEST_F(GroupClientHintTest, a_first_read_asks_the_topics_with_a_commit_on_their_first_partition_whole) {
  SimpleCommit(mock_.Bootstraps(), "fresh", {{"orders", 0, 3}, {"orders", 1, 4}, {"payments", 1, 8}});
  GroupClient client(Options(/*full_sweep_every=*/4));
  // No hint: orders/0 and payments/0 are probed (plus one slice); orders/0 has a commit, so orders is
  // asked whole in the same call. payments/0 has none: payments/1 is left to the sweep.
  auto first = client.FetchCommittedOffsets({"fresh"}, Watched(), {{}});
  ASSERT_EQ(first[0].error, "");
  EXPECT_THAT(View(first[0].offsets), ::testing::IsSupersetOf({"orders/0=3", "orders/1=4"}));
  // Fed back as hints (as the collector does), the sweep finds payments/1 within 4 calls, and from
  // then on it is hinted and seen every call.
  int found_at = -1;
  std::vector<std::vector<std::string>> hints = {{}};
  for (int call = 1; call <= 8; ++call) {
    for (const auto& o : first[0].offsets) hints[0].push_back(o.topic);
    first = client.FetchCommittedOffsets({"fresh"}, Watched(), hints);
    ASSERT_EQ(first[0].error, "") << "call " << call;
    const auto seen = View(first[0].offsets);
    if (found_at < 0 && seen.size() == 3) found_at = call;
    if (found_at > 0) {
      EXPECT_THAT(seen, ElementsAre("orders/0=3", "orders/1=4", "payments/1=8")) << "call " << call;
    }
    hints[0].clear();
  }
  EXPECT_GE(found_at, 1);
  EXPECT_LE(found_at, 4);
}

TEST_F(GroupClientHintTest, topics_found_by_a_first_read_whose_second_round_failed_are_asked_next_call) {
  SimpleCommit(mock_.Bootstraps(), "fresh", {{"orders", 0, 3}, {"orders", 1, 4}});
  GroupClient client(Options());
  client.FetchCommittedOffsets({"billing"}, Watched(), {{"orders"}});  // learns the mock needs lists
  // fresh, no hint: the probe (one request) answers, the second round (orders whole) fails.
  mock_.PushRequestErrors(MockCluster::kOffsetFetch, {0, 14});  // COORDINATOR_LOAD_IN_PROGRESS
  auto failed = client.FetchCommittedOffsets({"fresh"}, Watched(), {{}});
  EXPECT_THAT(failed[0].error, HasSubstr("COORDINATOR_LOAD_IN_PROGRESS"));
  EXPECT_THAT(failed[0].offsets, IsEmpty());
  // Still no hint, but orders is asked at once: one round, so the same two errors cannot fail it.
  mock_.PushRequestErrors(MockCluster::kOffsetFetch, {0, 14});
  auto next = client.FetchCommittedOffsets({"fresh"}, Watched(), {{}});
  mock_.ClearRequestErrors(MockCluster::kOffsetFetch);
  EXPECT_EQ(next[0].error, "");
  EXPECT_THAT(View(next[0].offsets), ::testing::IsSupersetOf({"orders/0=3", "orders/1=4"}));
}

TEST_F(GroupClientHintTest, a_groups_sweep_goes_on_across_calls_it_is_not_part_of) {
  GroupClient client(Options(/*full_sweep_every=*/4));
  const std::vector<std::vector<std::string>> hints = {{"orders"}};
  // billing is asked every other call only (as adaptive sampling does); its sweep still advances one
  // slice per call of its own, so payments/1 shows once in every 4 of billing's calls.
  std::vector<int> seen_payments;
  for (int call = 0; call < 24; ++call) {
    if (call % 2 == 1) {
      client.FetchCommittedOffsets({"idle"}, Watched(), {{}});
      continue;
    }
    if (client.FetchCommittedOffsets({"billing"}, Watched(), hints)[0].offsets.size() == 2) {
      seen_payments.push_back(call / 2);
    }
  }
  ASSERT_EQ(seen_payments.size(), 3u) << ::testing::PrintToString(seen_payments);
  for (size_t k = 1; k < seen_payments.size(); ++k) {
    EXPECT_EQ(seen_payments[k] - seen_payments[k - 1], 4) << ::testing::PrintToString(seen_payments);
  }
}

// billing commits on orders/0 (hinted) and on the last partition of "wide"; with `orders` and `wide`
// partitions watched, returns the calls (of `calls`) whose answer showed the wide commit too.
std::vector<int> CallsFindingWide(int orders, int wide, size_t per_request, size_t sweep_every, int calls) {
  MockCluster mock(1);
  mock.CreateTopic("orders", orders, 1);
  mock.CreateTopic("wide", wide, 1);
  SimpleCommit(mock.Bootstraps(), "billing", {{"orders", 0, 5}, {"wide", wide - 1, 7}});
  auto options = OptionsFor(mock.Bootstraps());
  options.partitions_per_request = per_request;
  options.full_sweep_every = sweep_every;
  GroupClient client(options);
  auto watched = PartitionsOf("orders", orders);
  for (const auto& ref : PartitionsOf("wide", wide)) watched.push_back(ref);
  const std::vector<std::vector<std::string>> hints = {{"orders"}};
  std::vector<int> found;
  for (int call = 0; call < calls; ++call) {
    if (client.FetchCommittedOffsets({"billing"}, watched, hints)[0].offsets.size() == 2) found.push_back(call);
  }
  return found;
}

void ExpectEvery(const std::vector<int>& calls, int period) {
  ASSERT_GE(calls.size(), 2u) << ::testing::PrintToString(calls);
  for (size_t k = 1; k < calls.size(); ++k) EXPECT_EQ(calls[k] - calls[k - 1], period) << ::testing::PrintToString(calls);
}

TEST(GroupClientMockTest, a_group_hinted_on_few_of_many_watched_partitions_sweeps_in_more_calls) {
  // 8 watched partitions, 1 hinted: a sweep of 8 calls of one partition each (not full_sweep_every = 2).
  ExpectEvery(CallsFindingWide(/*orders=*/1, /*wide=*/7, /*per_request=*/4, /*sweep_every=*/2, 20), 8);
}

TEST(GroupClientMockTest, the_slice_shrinks_to_the_room_left_in_the_hinted_request) {
  // 12 watched, 2 hinted: slices of 2 (a sweep of 6 calls) would need a second request; the room left
  // in the first is 1 partition, so the sweep takes 12 calls of one request each.
  ExpectEvery(CallsFindingWide(/*orders=*/2, /*wide=*/10, /*per_request=*/3, /*sweep_every=*/1, 30), 12);
}

TEST(GroupClientMockTest, a_watched_list_that_fits_in_one_request_is_asked_whole_whatever_the_hint) {
  MockCluster mock(1);
  mock.CreateTopic("orders", 1, 1);
  mock.CreateTopic("payments", 1, 1);
  SimpleCommit(mock.Bootstraps(), "billing", {{"orders", 0, 1}, {"payments", 0, 2}});
  GroupClient client(OptionsFor(mock.Bootstraps()));
  const std::vector<PartitionRef> watched = {{"orders", 0}, {"payments", 0}};
  for (int call = 0; call < 3; ++call) {
    auto result = client.FetchCommittedOffsets({"billing"}, watched, {{"orders"}});
    EXPECT_THAT(View(result[0].offsets), ElementsAre("orders/0=1", "payments/0=2")) << "call " << call;
  }
}

TEST(GroupClientMockTest, an_explicit_list_longer_than_one_request_comes_back_whole) {
  MockCluster mock(1);
  mock.CreateTopic("wide", 700, 1);
  SimpleCommit(mock.Bootstraps(), "billing", {{"wide", 0, 10}, {"wide", 260, 11}, {"wide", 699, 12}});
  GroupClient client(OptionsFor(mock.Bootstraps()));
  for (int call = 0; call < 2; ++call) {  // the first learns the mock needs the list; the second uses it
    auto result = client.FetchCommittedOffsets({"billing", "idle"}, PartitionsOf("wide", 700));
    EXPECT_EQ(result[0].error, "");
    EXPECT_THAT(View(result[0].offsets), ElementsAre("wide/0=10", "wide/260=11", "wide/699=12")) << "call " << call;
    EXPECT_EQ(result[1].error, "");
    EXPECT_THAT(result[1].offsets, IsEmpty());
  }
  // One failed request of the four (three for billing's 700 partitions, one for idle's): the group it
  // belonged to has that error and no offsets at all, not the partial answer of its other requests.
  mock.PushRequestErrors(MockCluster::kOffsetFetch, 1, 14);  // COORDINATOR_LOAD_IN_PROGRESS
  auto result = client.FetchCommittedOffsets({"billing", "idle"}, PartitionsOf("wide", 700));
  const int failed = (result[0].error.empty() ? 0 : 1) + (result[1].error.empty() ? 0 : 1);
  EXPECT_EQ(failed, 1) << result[0].error << " / " << result[1].error;
  for (const auto& group : result) {
    if (!group.error.empty()) {
      EXPECT_THAT(group.error, HasSubstr("COORDINATOR_LOAD_IN_PROGRESS")) << group.group_id;
      EXPECT_THAT(group.offsets, IsEmpty()) << group.group_id;
    }
  }
  if (result[0].error.empty()) {
    EXPECT_THAT(View(result[0].offsets), ElementsAre("wide/0=10", "wide/260=11", "wide/699=12"));
  }
}

TEST_F(GroupClientHintTest, a_hint_without_watched_topics_is_read_like_no_hint) {
  GroupClient client(Options());
  client.FetchCommittedOffsets({"billing"}, Watched());
  // "gone" is not watched: billing is probed, and orders (a commit on its first partition) read whole.
  auto result = client.FetchCommittedOffsets({"billing", "idle"}, Watched(), {{"gone"}, {}});
  EXPECT_EQ(result[0].error, "");
  EXPECT_THAT(View(result[0].offsets), ::testing::IsSupersetOf({"orders/0=5"}));
  EXPECT_EQ(result[1].error, "");
  EXPECT_THAT(result[1].offsets, IsEmpty());
}

TEST_F(GroupClientHintTest, hints_not_one_per_group_are_invalid_argument_naming_both_counts) {
  GroupClient client(OptionsFor(mock_.Bootstraps()));
  EXPECT_THAT([&] { client.FetchCommittedOffsets({"billing", "idle"}, Watched(), {{"orders"}}); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("1 hints for 2 groups")));
}

TEST(GroupClientMockTest, destruction_with_requests_outstanding_is_bounded_and_does_not_crash) {
  MockCluster mock(3);
  mock.CreateTopic("orders", 2, 3);
  auto options = OptionsFor(mock.Bootstraps(), milliseconds(200));
  options.close_wait = milliseconds(100);
  std::vector<std::string> groups;
  for (int g = 0; g < 40; ++g) groups.push_back("g-" + std::to_string(g));
  for (int32_t broker = 1; broker <= 3; ++broker) mock.SetBrokerRtt(broker, milliseconds(1500));
  Clock::time_point destroy_start;
  {
    GroupClient client(options);
    auto result = client.FetchCommittedOffsets(groups, PartitionsOf("orders", 2));
    EXPECT_EQ(result[0].kind, ErrorKind::kTimeout);
    EXPECT_THAT(result[0].error, HasSubstr("committed offsets: no answer within 200 ms"));
    destroy_start = Clock::now();
  }
  EXPECT_LT(Clock::now() - destroy_start, std::chrono::seconds(5));
}

// librdkafka 2.0.2 dereferences a null consumer group when OffsetFetch answers a coordinator error on a
// handle without group.id (upstream #5040): the whole process died with SIGSEGV on rdk:main. Each such
// error must come back as that group's error, and offsets must come back once the errors stop.
class GroupClientCoordinatorErrorTest : public ::testing::TestWithParam<std::tuple<int, const char*>> {};

TEST_P(GroupClientCoordinatorErrorTest, offset_fetch_coordinator_error_is_the_groups_error_then_offsets_return) {
  const auto [code, name] = GetParam();
  MockCluster mock(3);
  mock.CreateTopic("orders", 4, 3);
  SimpleCommit(mock.Bootstraps(), "billing", {{"orders", 1, 42}});
  GroupClient client(OptionsFor(mock.Bootstraps(), milliseconds(3000)));
  ASSERT_THAT(View(client.FetchCommittedOffsets({"billing"}, PartitionsOf("orders", 4))[0].offsets),
              ElementsAre("orders/1=42"));

  mock.PushRequestErrors(MockCluster::kOffsetFetch, 1000, code);
  for (int call = 0; call < 3; ++call) {
    auto failed = client.FetchCommittedOffsets({"billing", "other"}, PartitionsOf("orders", 4));
    ASSERT_EQ(failed.size(), 2u);
    for (const auto& group : failed) {
      EXPECT_THAT(group.error, HasSubstr(name)) << group.group_id << " call " << call;
      EXPECT_THAT(group.offsets, IsEmpty()) << group.group_id;
    }
  }

  mock.ClearRequestErrors(MockCluster::kOffsetFetch);
  auto result = client.FetchCommittedOffsets({"billing"}, PartitionsOf("orders", 4));
  EXPECT_EQ(result[0].error, "");
  EXPECT_THAT(View(result[0].offsets), ElementsAre("orders/1=42"));
}

INSTANTIATE_TEST_SUITE_P(
    CoordinatorErrors, GroupClientCoordinatorErrorTest,
    ::testing::Values(std::make_tuple(16, "NOT_COORDINATOR"), std::make_tuple(15, "COORDINATOR_NOT_AVAILABLE"),
                      std::make_tuple(6, "NOT_LEADER_FOR_PARTITION"), std::make_tuple(14, "COORDINATOR_LOAD_IN_PROGRESS")),
    [](const auto& info) { return std::string(std::get<1>(info.param)); });

TEST(GroupClientMockTest, list_groups_is_unsupported_quickly) {
  MockCluster mock(3);
  GroupClient client(OptionsFor(mock.Bootstraps()));
  const auto start = Clock::now();
  auto result = client.ListGroups();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(result.kind, ErrorKind::kUnsupported);
  EXPECT_THAT(result.error, HasSubstr("list groups: "));
  EXPECT_THAT(result.groups, IsEmpty());
}

TEST(GroupClientMockTest, describe_after_unsupported_list_is_unsupported_without_hanging) {
  MockCluster mock(3);
  const auto start = Clock::now();
  {
    GroupClient client(OptionsFor(mock.Bootstraps()));
    ASSERT_EQ(client.ListGroups().kind, ErrorKind::kUnsupported);
    auto result = client.DescribeGroups({"a", "b"});
    ASSERT_EQ(result.size(), 2u);
    EXPECT_EQ(result[1].group_id, "b");
    EXPECT_EQ(result[0].kind, ErrorKind::kUnsupported);
    EXPECT_THAT(result[0].error, HasSubstr("does not support the consumer group APIs"));
  }  // destruction included
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
}

TEST(GroupClientMockTest, describe_on_a_fresh_client_probes_support_first_and_is_unsupported) {
  MockCluster mock(3);
  const auto start = Clock::now();
  {
    GroupClient client(OptionsFor(mock.Bootstraps()));
    auto result = client.DescribeGroups({"a"});
    EXPECT_EQ(result[0].kind, ErrorKind::kUnsupported);
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
}

TEST(GroupClientMockTest, unknown_kafka_property_is_invalid_argument_naming_it) {
  auto options = OptionsFor("127.0.0.1:1");
  options.client.properties["no.such.property"] = "1";
  EXPECT_THAT([&] { GroupClient client(options); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("'no.such.property'")));
}

// ---------------------------------------------------------------------------------------------------------
// The Python test broker

constexpr const char* kBrokerState = R"({
  "topics": {"orders": {"partitions": [{"id": 0, "replicas": [1]}, {"id": 1, "replicas": [1]},
                                       {"id": 2, "replicas": [1]}]},
             "payments": {"partitions": [{"id": 0, "replicas": [1]}, {"id": 1, "replicas": [1]}]}},
  "groups": {
    "g-stable": {"state": "Stable", "protocol_type": "consumer", "protocol": "range",
      "members": [{"member_id": "m2", "client_id": "c2", "client_host": "/10.0.0.2",
                   "assignment": {"orders": [2], "payments": [0]}},
                  {"member_id": "m1", "client_id": "c1", "client_host": "/127.0.0.1",
                   "assignment": {"orders": [1, 0]}}],
      "offsets": {"orders": {"0": 90, "1": 100, "2": 5}, "payments": {"0": 7}}},
    "g-empty": {"state": "Empty", "protocol_type": "consumer", "protocol": "",
      "offsets": {"payments": {"1": 3}}},
    "g-idle": {"state": "Empty", "protocol_type": "consumer", "protocol": ""}
  }
})";

std::vector<PartitionRef> BrokerPartitions() {
  auto refs = PartitionsOf("orders", 3);
  for (const auto& ref : PartitionsOf("payments", 2)) refs.push_back(ref);
  return refs;
}

int64_t RequestCount(TestBroker& broker, const char* api) { return broker.RequestCount(api); }

TEST(GroupClientBrokerTest, list_groups_returns_every_group_sorted_with_its_state) {
  TestBroker broker(kBrokerState);
  GroupClient client(OptionsFor(broker.Bootstrap()));
  auto result = client.ListGroups();
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.kind, ErrorKind::kNone);
  std::vector<std::string> seen;
  for (const auto& group : result.groups) seen.push_back(group.group_id + ":" + group.state);
  EXPECT_THAT(seen, ElementsAre("g-empty:Empty", "g-idle:Empty", "g-stable:Stable"));
}

TEST(GroupClientBrokerTest, describe_returns_state_assignor_and_members_with_assignments) {
  TestBroker broker(kBrokerState);
  GroupClient client(OptionsFor(broker.Bootstrap()));
  auto result = client.DescribeGroups({"g-stable", "g-empty"});
  ASSERT_EQ(result.size(), 2u);
  const GroupDescription& stable = result[0];
  EXPECT_EQ(stable.error, "");
  EXPECT_EQ(stable.group_id, "g-stable");
  EXPECT_EQ(stable.state, "Stable");
  EXPECT_EQ(stable.assignor, "range");
  EXPECT_EQ(stable.coordinator_id, 1);
  ASSERT_EQ(stable.members.size(), 2u);
  EXPECT_EQ(stable.members[0].member_id, "m1");
  EXPECT_EQ(stable.members[0].client_id, "c1");
  EXPECT_EQ(stable.members[0].host, "/127.0.0.1");
  EXPECT_THAT(View(stable.members[0].assignment), ElementsAre("orders/0", "orders/1"));
  EXPECT_EQ(stable.members[1].client_id, "c2");
  EXPECT_EQ(stable.members[1].host, "/10.0.0.2");
  EXPECT_THAT(View(stable.members[1].assignment), ElementsAre("orders/2", "payments/0"));
  EXPECT_EQ(result[1].state, "Empty");
  EXPECT_THAT(result[1].members, IsEmpty());
}

TEST(GroupClientBrokerTest, committed_offsets_take_one_offset_fetch_per_group_whatever_the_partitions) {
  TestBroker broker(kBrokerState);
  GroupClient client(OptionsFor(broker.Bootstrap()));
  broker.Control(R"({"op":"reset_requests"})");
  auto result = client.FetchCommittedOffsets({"g-stable", "g-empty"}, BrokerPartitions());
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0].error, "");
  EXPECT_THAT(View(result[0].offsets),
              ElementsAre("orders/0=90", "orders/1=100", "orders/2=5", "payments/0=7"));
  EXPECT_THAT(View(result[1].offsets), ElementsAre("payments/1=3"));
  EXPECT_EQ(RequestCount(broker, "OffsetFetch"), 2);
}

TEST(GroupClientBrokerTest, group_without_commits_has_no_offsets_and_no_error) {
  TestBroker broker(kBrokerState);
  GroupClient client(OptionsFor(broker.Bootstrap()));
  auto result = client.FetchCommittedOffsets({"g-idle"}, BrokerPartitions());
  EXPECT_EQ(result[0].error, "");
  EXPECT_THAT(result[0].offsets, IsEmpty());
}

TEST(GroupClientBrokerTest, offsets_of_unwatched_topics_are_left_out) {
  TestBroker broker(kBrokerState);
  GroupClient client(OptionsFor(broker.Bootstrap()));
  auto result = client.FetchCommittedOffsets({"g-stable"}, PartitionsOf("payments", 2));
  EXPECT_THAT(View(result[0].offsets), ElementsAre("payments/0=7"));
}

TEST(GroupClientBrokerTest, list_groups_refused_with_cluster_authorization_failed_is_an_authorization_error) {
  TestBroker broker(kBrokerState);
  broker.Control(R"({"op":"refuse","api":"ListGroups","error_code":31})");
  GroupClient client(OptionsFor(broker.Bootstrap()));
  auto result = client.ListGroups();
  EXPECT_EQ(result.kind, ErrorKind::kAuthorization);
  EXPECT_THAT(result.error, HasSubstr("list groups: "));
  EXPECT_THAT(result.error, HasSubstr("CLUSTER_AUTHORIZATION_FAILED"));
  EXPECT_THAT(result.groups, IsEmpty());
}

TEST(GroupClientBrokerTest, list_groups_refused_by_one_broker_returns_the_others_groups_and_the_error) {
  TestBroker broker(R"({"groups": {"on-one": {"state": "Stable", "coordinator": 1},
                                    "on-two": {"state": "Stable", "coordinator": 2}}})",
                    /*brokers=*/2);
  broker.Control(R"({"op":"refuse","api":"ListGroups","error_code":31,"broker":2})");
  GroupClient client(OptionsFor(broker.Bootstrap()));
  auto result = client.ListGroups();
  ASSERT_EQ(result.groups.size(), 1u);
  EXPECT_EQ(result.groups[0].group_id, "on-one");
  EXPECT_EQ(result.kind, ErrorKind::kAuthorization);
  EXPECT_THAT(result.error, HasSubstr("CLUSTER_AUTHORIZATION_FAILED"));
}

TEST(GroupClientBrokerTest, describe_slower_than_the_timeout_is_a_timeout_and_the_client_recovers) {
  TestBroker broker(kBrokerState);
  GroupClient client(OptionsFor(broker.Bootstrap(), milliseconds(1000)));
  ASSERT_EQ(client.ListGroups().kind, ErrorKind::kNone);  // connected, support known
  broker.Control(R"({"op":"delay","api":"DescribeGroups","ms":3000})");
  const auto start = Clock::now();
  auto slow = client.DescribeGroups({"g-stable"});
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(slow[0].kind, ErrorKind::kTimeout);
  EXPECT_THAT(slow[0].error, HasSubstr("describe group: "));
  EXPECT_LT(elapsed, milliseconds(1500));
  std::printf("delayed DescribeGroups with 1 s timeout returned after %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(elapsed).count()));

  broker.Control(R"({"op":"clear_faults"})");
  bool recovered =
      testing::PollUntil([&] { return client.DescribeGroups({"g-stable"})[0].state == "Stable"; },
                         milliseconds(8000), milliseconds(0));
  EXPECT_TRUE(recovered);
}

TEST(GroupClientBrokerTest, a_cluster_that_answers_all_partitions_with_nothing_is_learned_on_a_few_groups) {
  // As old brokers and librdkafka's mock: OffsetFetch with a null topic list answers nothing.
  std::string state = R"({"offset_fetch_all": false,
    "topics": {"orders": {"partitions": [{"id": 0, "replicas": [1]}, {"id": 1, "replicas": [1]}]}},
    "groups": {)";
  std::vector<std::string> groups;
  for (int g = 0; g < 40; ++g) {
    groups.push_back("g" + std::to_string(g));
    state += (g == 0 ? "" : ",") + ("\"" + groups.back() + "\": {\"offsets\": {\"orders\": {\"1\": ") +
             std::to_string(g) + "}}}";
  }
  state += "}}";
  TestBroker broker(state);
  auto options = OptionsFor(broker.Bootstrap());
  options.max_in_flight = 4;
  GroupClient client(options);
  broker.Control(R"({"op":"reset_requests"})");
  auto result = client.FetchCommittedOffsets(groups, PartitionsOf("orders", 2));
  for (int g = 0; g < 40; ++g) {
    EXPECT_EQ(result[g].error, "") << groups[g];
    EXPECT_THAT(View(result[g].offsets), ElementsAre("orders/1=" + std::to_string(g))) << groups[g];
  }
  // "All" for the first 4 groups (as many as in flight), their explicit recheck, which teaches the
  // client; the other 36 only explicitly: 44 requests, not 40 "all" then 40 explicit.
  EXPECT_EQ(RequestCount(broker, "OffsetFetch"), 44);
  broker.Control(R"({"op":"reset_requests"})");
  client.FetchCommittedOffsets(groups, PartitionsOf("orders", 2));
  EXPECT_EQ(RequestCount(broker, "OffsetFetch"), 40);
}

TEST(GroupClientBrokerTest, a_client_whose_requests_all_hang_replaces_its_handle_and_answers_again) {
  TestBroker broker(kBrokerState);
  auto options = OptionsFor(broker.Bootstrap(), milliseconds(300));
  options.max_in_flight = 2;
  options.reopen_after = milliseconds(1000);
  GroupClient client(options);
  ASSERT_EQ(client.FetchCommittedOffsets({"g-stable"}, BrokerPartitions())[0].error, "");
  // OffsetFetch answers after an hour: both in-flight slots fill with requests that stay unanswered
  // (librdkafka never times them out before then), so no later call could send anything.
  broker.Control(R"({"op":"delay","api":"OffsetFetch","ms":3600000})");
  for (int call = 0; call < 3; ++call) {
    EXPECT_EQ(client.FetchCommittedOffsets({"g-stable", "g-empty"}, BrokerPartitions())[0].kind,
              ErrorKind::kTimeout);
  }
  EXPECT_EQ(client.Reopens(), 0u);  // not yet silent for reopen_after
  broker.Control(R"({"op":"clear_faults"})");
  std::this_thread::sleep_for(milliseconds(1000));
  // The next call finds the slots still taken and nothing answered for a second: the handle is replaced
  // (its stuck connection with it), and the call after answers.
  const auto start = Clock::now();
  client.FetchCommittedOffsets({"g-stable"}, BrokerPartitions());
  EXPECT_LT(Clock::now() - start, milliseconds(3000)) << "closing the wedged handle must be bounded";
  EXPECT_EQ(client.Reopens(), 1u);
  auto result = client.FetchCommittedOffsets({"g-stable"}, BrokerPartitions());
  EXPECT_EQ(result[0].error, "");
  EXPECT_THAT(View(result[0].offsets), ElementsAre("orders/0=90", "orders/1=100", "orders/2=5", "payments/0=7"));
}

}  // namespace
}  // namespace kpe::kafka
