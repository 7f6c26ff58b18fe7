#pragma once
// The end-to-end probe's Kafka side: a producer and a consumer of the probe's own canary topic, and the
// canary topic's creation. The probe logic (what to send, what it means) lives in src/e2e/.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/cluster_client.h"
#include "kafka/types.h"

namespace kpe::kafka {

struct ProbeClientOptions {
  /// Servers, client id (the handles are named "<client_id>-probe-producer" / "-probe-consumer"), extra
  /// librdkafka properties (applied last, to both handles) and `timeout`, which bounds each metadata
  /// request and each topic creation. statistics_interval and on_statistics are ignored.
  ClientOptions client;
  /// The canary topic. The client never produces to, reads or creates any other topic.
  std::string topic = "kafka-perf-exporter-canary";
  /// The producer's `acks`: "all" (or "-1"), "1" or "0".
  std::string acks = "all";
  /// A record not acknowledged within this time fails (the producer's message.timeout.ms).
  std::chrono::milliseconds message_timeout{10000};
  /// The group the probe commits its consumer's offsets to, with the Admin API (the consumer has no
  /// group.id and never joins a group); "" for no commits.
  std::string group_id;
};

/// What the cluster says about the canary topic.
struct CanaryTopic {
  bool exists = false;
  TopicMetadata topic;             // partitions sorted by id; empty when !exists
  std::vector<int32_t> broker_ids;  // of the whole cluster, sorted
};

/// A delivery report of one probe record.
struct ProbeDelivery {
  int32_t partition = -1;
  int64_t sequence = 0;    // as given to Produce
  int64_t offset = -1;     // where the record was written; -1 when it failed
  int32_t broker = -1;     // the broker that acknowledged it; -1 when unknown
  std::chrono::microseconds latency{-1};  // Produce call to acknowledgement, measured by librdkafka
  std::string error;       // "" when acknowledged
};

/// A record (or a consumer error) read from the canary topic.
struct ProbeMessage {
  int32_t partition = -1;
  int64_t offset = -1;
  int32_t broker = -1;  // the broker it was fetched from; -1 when unknown
  std::string value;
  std::chrono::steady_clock::time_point received_at;  // when the consumer handed it over
  std::string error;  // "" for a record; else the consumer's error, value empty
};

/// The outcome of one CommitAsync.
struct ProbeCommit {
  std::chrono::steady_clock::duration latency{};  // CommitAsync call to the commit's result
  std::string error;                               // "" when the commit succeeded
};

/// Owns the probe's producer and consumer handles. The consumer reads the partitions given to Assign
/// (librdkafka's simple consumer API: no group membership, no rebalances); when group_id is set, offsets are committed
/// for that group through the Admin API (AlterConsumerGroupOffsets: an OffsetCommit without membership,
/// bounded by client.timeout). Thread-compatible: calls must not overlap (the probe's
/// thread owns it); an internal reader thread takes records off the consumer as they arrive, so their
/// receipt time does not depend on the caller. Logs go to spdlog; each distinct client error is logged once as a warning.
/// Destruction purges undelivered records and stops both handles without waiting for any broker.
class ProbeClient {
 public:
  /// Throws std::invalid_argument naming the property when librdkafka rejects a configuration value
  /// ("kafka property 'NAME': ..."), when there is no bootstrap server, the topic is empty or acks is
  /// not one of all, -1, 1, 0.
  explicit ProbeClient(ProbeClientOptions options);
  ~ProbeClient();
  ProbeClient(const ProbeClient&) = delete;
  ProbeClient& operator=(const ProbeClient&) = delete;

  /// The canary topic's partitions and leaders, and the cluster's brokers. Until the topic has been seen
  /// once this asks for all topics' metadata, so that asking never auto-creates it; then only for the
  /// canary topic. Blocks at most about options.client.timeout. Errors: "metadata request: <why>",
  /// "canary topic 'NAME': <topic error>".
  Result<CanaryTopic> FetchTopic();

  /// Creates the canary topic with one partition per broker in `broker_ids`, partition i led by the
  /// i-th broker and replicated to the next ones (min(replication_factor, brokers) replicas), so each
  /// broker leads one partition. Success when the topic was created or already exists. Blocks at most
  /// about options.client.timeout. Errors: "create canary topic 'NAME': <librdkafka's or the broker's
  /// message>" (librdkafka's mock cluster answers that CreateTopics is unsupported).
  Result<bool> CreateTopic(const std::vector<int32_t>& broker_ids, int replication_factor);

  /// Queues `value` for `partition` of the canary topic; `sequence` comes back in its delivery report.
  /// Returns "" or why it could not be queued (then no delivery report comes).
  std::string Produce(int32_t partition, std::string_view value, int64_t sequence);

  /// Delivery reports that arrived since the last call, without blocking.
  std::vector<ProbeDelivery> TakeDeliveries();

  /// Starts reading `partition` from `offset` (once per partition; needs FetchTopic to have seen the
  /// topic). Returns "" or the error.
  std::string Assign(int32_t partition, int64_t offset);
  /// Partitions currently assigned.
  const std::map<int32_t, int64_t>& Assigned() const { return assigned_; }

  /// Waits up to `wait` for a record, then takes those read so far (at most `max`), each stamped with
  /// the time the reader thread took it; also serves the consumer's error callbacks.
  std::vector<ProbeMessage> Consume(std::chrono::milliseconds wait, size_t max = 1000);

  /// Starts committing `offsets` (partition -> next offset to read) for group_id. Returns "" or why it
  /// could not start ("no group id" when group_id is empty); the result comes through TakeCommits.
  std::string CommitAsync(const std::map<int32_t, int64_t>& offsets);
  /// Results of CommitAsync calls that arrived since the last call, without blocking.
  std::vector<ProbeCommit> TakeCommits();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::map<int32_t, int64_t> assigned_;
};

}  // namespace kpe::kafka
