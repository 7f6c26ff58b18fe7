#pragma once
// The numbers the tuning rules compare with. Every field has a documented default; the application maps them
// to configuration keys. Plain value type.

#include <cstdint>
#include <string>

namespace kpe::advice {

struct Thresholds {
  // --- topic.partitions_below_throughput: required = ceil(max(T / P, T / C)), T = measured produce rate.
  /// P: what one partition is expected to take from producers, in records/s. Default 10,000: ~10 MB/s of
  /// 1 KiB records, the per-partition produce throughput usually quoted for a broker (Kafka's own sizing
  /// guidance: "tens of MB/s per partition"). Set it to your measured per-partition maximum.
  double partition_produce_capacity_msgs_per_second = 10000;
  /// C: what one consumer (one partition) is expected to process, in records/s. Default 5,000: consumers
  /// usually do work per record and are the slower side; set it to your measured per-partition consume rate.
  double partition_consume_capacity_msgs_per_second = 5000;
  /// Rates are measured only over at least this many seconds between the two snapshots' offsets (shorter
  /// gaps are too noisy). Default 5 s.
  double min_rate_interval_seconds = 5;

  // --- topic.segment_bytes_small
  /// segment.bytes below this fires (Kafka's default is 1 GiB). Default 100 MiB.
  int64_t min_segment_bytes = 100LL * 1024 * 1024;

  // --- topic.partition_skew: hottest partition rate > ratio × mean partition rate and >= min rate.
  /// Default 3.
  double skew_ratio = 3;
  /// The hottest partition must take at least this many records/s (idle topics are never "skewed"). Default
  /// 100 records/s.
  double skew_min_msgs_per_second = 100;

  // --- topic.leader_not_preferred
  /// Partitions (with a leader) whose leader is not their preferred (first) replica, per topic, from which
  /// the rule fires. Default 1.
  int64_t min_non_preferred_leaders = 1;

  // --- cluster.leader_imbalance: max leaders on one broker / mean leaders per broker > ratio.
  /// Default 1.5.
  double leader_imbalance_ratio = 1.5;
  /// Fewer partitions with a leader than this (in the watched topics) never fire: small clusters cannot be
  /// balanced evenly. Default 10.
  int64_t leader_imbalance_min_partitions = 10;

  // --- group.lag_messages / group.lag_seconds (per group: lag summed over its partitions, and the largest
  // lag in seconds of any of its partitions).
  /// Default 100,000 records.
  int64_t lag_warning_messages = 100000;
  /// Default 1,000,000 records.
  int64_t lag_critical_messages = 1000000;
  /// Default 300 s (5 min).
  double lag_warning_seconds = 300;
  /// Default 3,600 s (1 h).
  double lag_critical_seconds = 3600;

  // --- client.* rules over applications' librdkafka statistics (client_rules.h). client.consumer_lag uses
  // lag_warning_messages and lag_critical_messages above.
  /// client.producer_small_batches: average produced message set below this many bytes (after
  /// compression). Default 1 KiB: below it the per-request cost dominates.
  double client_min_batch_bytes = 1024;
  /// client.producer_uncompressed: estimated compression ratio below this. Default 1.1: text and JSON
  /// compress 2-5x with lz4 or zstd, so ~1 means no compression.
  double client_min_compression_ratio = 1.1;
  /// client.request_latency: p99 rtt or int_latency above this, in seconds. Default 0.1 (100 ms).
  double client_max_latency_seconds = 0.1;
  /// client.request_errors: txerrs + txretries + req_timeouts since start above this. Default 0.
  double client_max_errors = 0;
  /// client.throttled: average throttle time of a broker above this, in seconds. Default 0 (any).
  double client_max_throttle_seconds = 0;
  /// client.consumer_small_fetches: messages per response below this. Default 10.
  double client_min_messages_per_fetch = 10;
  /// client.consumer_small_fetches: consumers that consumed fewer messages since start are not judged.
  /// Default 1,000.
  double client_min_consumed_messages = 1000;
  /// client.consumer_rebalances: rebalances since start above this. Default 20 (each member change of a
  /// group costs every member a revoke and an assign with the eager assignors).
  double client_max_rebalances = 20;
};

/// Sets the threshold called `name` in the config (`advice.<name>`, e.g. "lag_warning_messages").
/// Returns "" on success, else an error naming the key and the valid names (or the bad value).
std::string SetThreshold(Thresholds& thresholds, const std::string& name, double value);

}  // namespace kpe::advice
