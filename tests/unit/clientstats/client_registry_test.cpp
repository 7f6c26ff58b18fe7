#include "clientstats/client_registry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "stats_fixtures.h"

namespace kpe::clientstats {
namespace {

using std::chrono::seconds;

const WallClock::time_point kT0 = WallClock::time_point(seconds(1700000000));

/// A minimal valid document of client (client_id, name) with txmsgs = `txmsgs`.
std::string Document(const std::string& client_id, const std::string& name, int txmsgs = 0) {
  return R"({"name": ")" + name + R"(", "client_id": ")" + client_id +
         R"(", "type": "producer", "txmsgs": )" + std::to_string(txmsgs) + "}";
}

TEST(ClientRegistryTest, a_valid_document_is_stored_with_its_label_and_receive_time) {
  ClientRegistry registry(10);

  const IngestResult result = registry.Ingest(fixtures::kConsumerDocument, "eu-1", kT0);

  EXPECT_EQ(result.status, IngestStatus::kOk);
  EXPECT_TRUE(result.reason.empty());
  const auto snapshot = registry.Snapshot();
  ASSERT_EQ(snapshot->clients.size(), 1u);
  EXPECT_EQ(snapshot->clients[0]->label, "eu-1");
  EXPECT_EQ(snapshot->clients[0]->received_at, kT0);
  EXPECT_EQ(snapshot->clients[0]->statistics.client_id, "billing");
  EXPECT_EQ(snapshot->accepted_total, 1u);
}

TEST(ClientRegistryTest, a_newer_report_of_the_same_client_replaces_the_older) {
  ClientRegistry registry(10);
  registry.Ingest(Document("app", "app#producer-1", 5), "", kT0);

  registry.Ingest(Document("app", "app#producer-1", 9), "", kT0 + seconds(5));

  const auto snapshot = registry.Snapshot();
  ASSERT_EQ(snapshot->clients.size(), 1u);
  EXPECT_EQ(snapshot->clients[0]->statistics.txmsgs, 9u);
  EXPECT_EQ(snapshot->clients[0]->received_at, kT0 + seconds(5));
}

TEST(ClientRegistryTest, client_id_handle_name_and_label_each_tell_clients_apart) {
  ClientRegistry registry(10);

  registry.Ingest(Document("app", "app#producer-1"), "", kT0);
  registry.Ingest(Document("app", "app#producer-2"), "", kT0);
  registry.Ingest(Document("other", "app#producer-1"), "", kT0);
  registry.Ingest(Document("app", "app#producer-1"), "host-b", kT0);

  EXPECT_EQ(registry.Size(), 4u);
  const auto snapshot = registry.Snapshot();
  EXPECT_EQ(snapshot->clients[0]->statistics.client_id, "app");
  EXPECT_EQ(snapshot->clients[0]->label, "");
  EXPECT_EQ(snapshot->clients[3]->statistics.client_id, "other");
}

TEST(ClientRegistryTest, a_malformed_document_is_refused_with_the_parser_reason_and_counted) {
  ClientRegistry registry(10);

  const IngestResult result = registry.Ingest(R"({"name": "a"})", "", kT0);

  EXPECT_EQ(result.status, IngestStatus::kMalformed);
  EXPECT_EQ(result.reason, R"(expected an object with "name", "client_id" and "type")");
  EXPECT_EQ(registry.Size(), 0u);
  EXPECT_EQ(registry.Snapshot()->malformed_total, 1u);
}

TEST(ClientRegistryTest, a_label_that_is_too_long_is_refused_naming_the_limit) {
  ClientRegistry registry(10);

  const IngestResult result =
      registry.Ingest(Document("app", "app#producer-1"),
                      std::string(ClientRegistry::kMaxLabelBytes + 1, 'x'), kT0);

  EXPECT_EQ(result.status, IngestStatus::kMalformed);
  EXPECT_EQ(result.reason, "label: longer than 128 bytes");
  EXPECT_EQ(registry.Size(), 0u);
}

TEST(ClientRegistryTest, a_label_that_is_not_utf8_is_refused) {
  ClientRegistry registry(10);

  const IngestResult result = registry.Ingest(Document("app", "app#producer-1"), "bad\xff", kT0);

  EXPECT_EQ(result.status, IngestStatus::kMalformed);
  EXPECT_EQ(result.reason, "label: not valid UTF-8");
}

TEST(ClientRegistryTest, a_new_client_beyond_max_clients_is_refused_and_counted) {
  ClientRegistry registry(2);
  registry.Ingest(Document("a", "a#producer-1"), "", kT0);
  registry.Ingest(Document("b", "b#producer-1"), "", kT0);

  const IngestResult result = registry.Ingest(Document("c", "c#producer-1"), "", kT0);

  EXPECT_EQ(result.status, IngestStatus::kTooManyClients);
  EXPECT_EQ(result.reason, "too many clients: 2 are reporting (max_clients); client not stored");
  EXPECT_EQ(registry.Size(), 2u);
  EXPECT_EQ(registry.Snapshot()->rejected_total, 1u);
}

TEST(ClientRegistryTest, known_clients_keep_reporting_when_the_registry_is_full) {
  ClientRegistry registry(1);
  registry.Ingest(Document("a", "a#producer-1", 1), "", kT0);

  const IngestResult result = registry.Ingest(Document("a", "a#producer-1", 2), "", kT0);

  EXPECT_TRUE(result.ok());
  EXPECT_EQ(registry.Snapshot()->clients[0]->statistics.txmsgs, 2u);
}

TEST(ClientRegistryTest, clients_silent_for_longer_than_the_ttl_expire) {
  ClientRegistry registry(10);
  registry.Ingest(Document("old", "old#producer-1"), "", kT0);
  registry.Ingest(Document("new", "new#producer-1"), "", kT0 + seconds(30));

  const size_t removed = registry.ExpireOlderThan(seconds(60), kT0 + seconds(61));

  EXPECT_EQ(removed, 1u);
  const auto snapshot = registry.Snapshot();
  ASSERT_EQ(snapshot->clients.size(), 1u);
  EXPECT_EQ(snapshot->clients[0]->statistics.client_id, "new");
  EXPECT_EQ(snapshot->expired_total, 1u);
}

TEST(ClientRegistryTest, a_client_reporting_exactly_at_the_ttl_is_kept) {
  ClientRegistry registry(10);
  registry.Ingest(Document("a", "a#producer-1"), "", kT0);

  EXPECT_EQ(registry.ExpireOlderThan(seconds(60), kT0 + seconds(60)), 0u);
  EXPECT_EQ(registry.Size(), 1u);
}

TEST(ClientRegistryTest, expiry_frees_room_for_new_clients) {
  ClientRegistry registry(1);
  registry.Ingest(Document("a", "a#producer-1"), "", kT0);
  registry.ExpireOlderThan(seconds(10), kT0 + seconds(11));

  EXPECT_TRUE(registry.Ingest(Document("b", "b#producer-1"), "", kT0 + seconds(11)).ok());
}

TEST(ClientRegistryTest, snapshot_is_reused_while_nothing_changes) {
  ClientRegistry registry(10);
  registry.Ingest(Document("a", "a#producer-1"), "", kT0);
  const auto first = registry.Snapshot();

  registry.ExpireOlderThan(seconds(60), kT0 + seconds(1));  // removes nothing
  const auto second = registry.Snapshot();

  EXPECT_EQ(first.get(), second.get());
}

TEST(ClientRegistryTest, snapshot_changes_after_a_report_and_old_snapshots_stay_intact) {
  ClientRegistry registry(10);
  registry.Ingest(Document("a", "a#producer-1", 1), "", kT0);
  const auto first = registry.Snapshot();

  registry.Ingest(Document("a", "a#producer-1", 2), "", kT0 + seconds(1));
  const auto second = registry.Snapshot();

  EXPECT_NE(first.get(), second.get());
  EXPECT_GT(second->version, first->version);
  EXPECT_EQ(first->clients[0]->statistics.txmsgs, 1u);
  EXPECT_EQ(second->clients[0]->statistics.txmsgs, 2u);
}

TEST(ClientRegistryTest, a_refused_report_also_changes_the_snapshot_counters) {
  ClientRegistry registry(10);
  const auto first = registry.Snapshot();

  registry.Ingest("junk", "", kT0);

  EXPECT_EQ(first->malformed_total, 0u);
  EXPECT_EQ(registry.Snapshot()->malformed_total, 1u);
}

TEST(ClientRegistryTest, concurrent_ingest_expire_and_snapshot_keep_every_client) {
  ClientRegistry registry(1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&registry, t] {
      for (int i = 0; i < 100; ++i) {
        const std::string id = "c" + std::to_string(t) + "-" + std::to_string(i % 25);
        registry.Ingest(Document(id, id + "#producer-1", i), "", kT0 + seconds(i));
        registry.ExpireOlderThan(seconds(1000), kT0 + seconds(i));
        registry.Snapshot();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  const auto snapshot = registry.Snapshot();
  EXPECT_EQ(snapshot->clients.size(), 100u);
  EXPECT_EQ(snapshot->accepted_total, 400u);
}

}  // namespace
}  // namespace kpe::clientstats
