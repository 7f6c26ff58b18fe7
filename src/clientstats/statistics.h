#pragma once
// One librdkafka statistics document (statistics.interval.ms + stats_cb, fields as documented in
// librdkafka's STATISTICS.md) as plain values: what the exporter reads of it, nothing more. Built by
// ParseStatistics; immutable afterwards, so it may be shared between threads.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kpe::clientstats {

/// A librdkafka rolling window (the values sampled since the previous statistics emit). Latency
/// windows are converted to seconds (rtt, int_latency and outbuf_latency arrive in microseconds,
/// throttle in milliseconds); batch windows keep their unit (bytes, messages). cnt == 0 means the
/// window sampled nothing, and then the other values mean nothing.
struct Window {
  double avg = 0;
  double p99 = 0;
  double max = 0;
  double sum = 0;
  uint64_t cnt = 0;
};

/// One entry of `brokers`. Counters are cumulative since the client started.
struct BrokerStats {
  std::string name;      // "host:port/id", also the key in `brokers`; unique in one document
  std::string nodename;  // "host:port"; "" for the internal broker
  std::string source;    // learned, configured, internal, logical
  std::string state;     // INIT, DOWN, CONNECT, AUTH, APIVERSION_QUERY, AUTH_HANDSHAKE, UP, UPDATE
  int32_t nodeid = -1;   // -1 for bootstrap, internal and (unresolved) logical brokers
  Window rtt;             // seconds
  Window int_latency;     // seconds: producer queue latency
  Window outbuf_latency;  // seconds: request queue latency
  Window throttle;        // seconds
  int64_t outbuf_cnt = 0;    // gauge: requests waiting to be sent
  int64_t waitresp_cnt = 0;  // gauge: requests in flight
  uint64_t tx = 0;
  uint64_t txbytes = 0;
  uint64_t txerrs = 0;
  uint64_t txretries = 0;
  uint64_t req_timeouts = 0;
  uint64_t rx = 0;
  uint64_t rxbytes = 0;
  uint64_t rxerrs = 0;
  uint64_t connects = 0;
  uint64_t disconnects = 0;
  /// "req": requests sent to this broker per request type ("Metadata", "OffsetFetch", ...), the
  /// types with none sent left out.
  std::map<std::string, uint64_t> requests_by_api;
};

/// One entry of a topic's `partitions`, other than the internal UA partition (-1), which the
/// parser drops.
struct PartitionStats {
  int32_t id = 0;
  int32_t leader = -1;
  /// The client's view of the consumer lag (high watermark or last stable offset minus committed
  /// offset); nullopt when librdkafka reports -1 (unknown, or not a consumer of the partition).
  std::optional<int64_t> consumer_lag;
  uint64_t txmsgs = 0;
  uint64_t txbytes = 0;  // key + value bytes of txmsgs, before compression
  uint64_t rxmsgs = 0;
  uint64_t rxbytes = 0;
  int64_t msgq_cnt = 0;  // gauge: messages waiting in the first-level queue
};

struct TopicStats {
  std::string name;
  Window batchsize;  // bytes per produced (after compression) or fetched message set
  Window batchcnt;   // messages per message set
  std::vector<PartitionStats> partitions;  // sorted by id
};

/// The local consumer group handler (`cgrp`), present for consumers with a group.id.
struct GroupStats {
  std::string state;       // e.g. "up"
  std::string join_state;  // e.g. "steady"
  uint64_t rebalance_cnt = 0;
  int64_t assignment_size = 0;
};

struct Statistics {
  std::string name;       // handle instance name, e.g. "rdkafka#producer-1"
  std::string client_id;  // client.id
  std::string type;       // "producer" or "consumer"
  int64_t ts_us = 0;      // librdkafka's monotonic clock, microseconds
  int64_t time_s = 0;     // wall clock, seconds since the epoch
  uint64_t tx = 0;        // requests sent
  uint64_t tx_bytes = 0;
  uint64_t rx = 0;        // responses received
  uint64_t rx_bytes = 0;
  uint64_t txmsgs = 0;
  uint64_t txmsg_bytes = 0;
  uint64_t rxmsgs = 0;
  uint64_t rxmsg_bytes = 0;
  int64_t msg_cnt = 0;   // gauge: messages in producer queues
  int64_t msg_size = 0;  // gauge: bytes in producer queues
  std::vector<BrokerStats> brokers;  // sorted by name
  std::vector<TopicStats> topics;    // sorted by name
  std::optional<GroupStats> cgrp;
};

}  // namespace kpe::clientstats
