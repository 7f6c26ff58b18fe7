#pragma once
// The tuning advisor's rules over the statistics applications' librdkafka clients report to the exporter
// (src/clientstats/): one small pure function per rule. Every finding has subject_kind "client", the
// client instance as subject (ClientSubject) and an empty cluster (a client's statistics do not say which
// configured cluster it talks to). One finding per rule and client at most, so (rule, subject) is unique.
// Everything here is a pure function: thread-safe.
//
// | rule id                          | clients   | severity | fires when                                           |
// |----------------------------------|-----------|----------|------------------------------------------------------|
// | client.producer_small_batches    | producers | warning  | avg message set bytes < client_min_batch_bytes       |
// | client.producer_uncompressed     | producers | info     | compression ratio < client_min_compression_ratio     |
// | client.request_latency           | producers | warning  | rtt or int_latency p99 > client_max_latency_seconds  |
// | client.request_errors            | all       | warning  | txerrs + txretries + req_timeouts > client_max_errors|
// | client.throttled                 | all       | warning  | a broker's throttle avg > client_max_throttle_seconds|
// | client.consumer_small_fetches    | consumers | info     | rxmsgs / rx < client_min_messages_per_fetch          |
// | client.consumer_rebalances       | consumers | warning  | cgrp rebalance_cnt > client_max_rebalances           |
// | client.consumer_lag              | consumers | warn/crit| summed consumer_lag > lag_warning/critical_messages  |
//
// Windows (batch sizes, latencies, throttle) cover the client's latest statistics interval; a window that
// sampled nothing (cnt 0) never fires. Counters (errors, retries, timeouts, rebalances, messages, requests)
// are cumulative since the client started, and a ClientsSnapshot holds only each client's latest report: the
// rules over counters therefore judge totals since the client started, with the totals as evidence (a retry
// an hour ago keeps client.request_errors on until the client restarts; alert on the rate of
// kafka_client_broker_request_errors_total for "now"). Internal and bootstrap brokers (nodeid -1) are skipped.

#include <string>
#include <vector>

#include "advice/finding.h"
#include "advice/thresholds.h"
#include "clientstats/client_registry.h"

namespace kpe::advice {

/// The subject of a client's findings: librdkafka's handle name (which starts with the client.id, e.g.
/// "billing#producer-1"), followed by " (label)" when the sender added a label.
std::string ClientSubject(const clientstats::ClientReport& client);

/// client.producer_small_batches: over the producer's topics whose batch window sampled something, the
/// message set bytes (after compression) per message set, weighted by message sets, is below
/// client_min_batch_bytes: many tiny produce requests, broker CPU spent per request instead of per byte.
/// Evidence: avg_batch_bytes, avg_batch_messages (0 when unknown), batches, min_batch_bytes.
std::vector<Finding> ClientProducerSmallBatches(const clientstats::ClientReport& client, const Thresholds& t);

/// client.producer_uncompressed: the producer's compression ratio — key and value bytes produced (txbytes
/// of its partitions, before compression, since start) per message set byte of its latest window, as
/// kafka_client_topic_compression_ratio estimates it — over the topics where it is known, is below
/// client_min_compression_ratio. The producer's configuration is unknown to the exporter: a ratio ~1 means
/// compression.type=none or incompressible data, so the advice is conditional. Evidence:
/// compression_ratio, min_compression_ratio, topics.
std::vector<Finding> ClientProducerUncompressed(const clientstats::ClientReport& client, const Thresholds& t);

/// client.request_latency (producers): the largest p99 request round-trip time (rtt) to any broker, or the
/// largest p99 producer queue latency (int_latency), is above client_max_latency_seconds. Consumers are
/// left out: their fetch requests wait at the broker up to fetch.wait.max.ms (500 ms by default) by design.
/// Evidence: rtt_p99_seconds, int_latency_p99_seconds, max_latency_seconds, broker_id (of the worst one).
std::vector<Finding> ClientRequestLatency(const clientstats::ClientReport& client, const Thresholds& t);

/// client.request_errors: transmission errors (txerrs), request retries (txretries) and timed-out requests
/// (req_timeouts), summed over the client's brokers since it started, exceed client_max_errors. Evidence:
/// request_errors, request_retries, request_timeouts, requests, max_errors.
std::vector<Finding> ClientRequestErrors(const clientstats::ClientReport& client, const Thresholds& t);

/// client.throttled: some broker throttled the client (quota) by more than client_max_throttle_seconds on
/// average over the latest window. Evidence: throttle_avg_seconds, throttle_max_seconds, broker_id,
/// max_throttle_seconds.
std::vector<Finding> ClientThrottled(const clientstats::ClientReport& client, const Thresholds& t);

/// client.consumer_small_fetches: the consumer received fewer than client_min_messages_per_fetch messages
/// per response (rxmsgs / rx since start; rx counts every response, heartbeats and metadata included, so
/// this is a lower bound), having consumed at least client_min_consumed_messages messages (an idle
/// consumer's fetches are empty by nature). Evidence: messages_per_fetch, messages, responses,
/// min_messages_per_fetch.
std::vector<Finding> ClientConsumerSmallFetches(const clientstats::ClientReport& client, const Thresholds& t);

/// client.consumer_rebalances: the consumer's group handler went through more than client_max_rebalances
/// rebalances (assigns and revokes, cgrp rebalance_cnt) since the client started. Evidence: rebalances,
/// max_rebalances, assigned_partitions.
std::vector<Finding> ClientConsumerRebalances(const clientstats::ClientReport& client, const Thresholds& t);

/// client.consumer_lag: the consumer's lag as it sees it (consumer_lag of its partitions, where known),
/// summed, is above lag_warning_messages (warning) or lag_critical_messages (critical). Evidence:
/// lag_messages, threshold, lagging_partitions.
std::vector<Finding> ClientConsumerLag(const clientstats::ClientReport& client, const Thresholds& t);

/// Runs every client rule on every client of `clients`; returns the findings sorted with SortFindings.
std::vector<Finding> EvaluateClients(const clientstats::ClientsSnapshot& clients, const Thresholds& thresholds);

}  // namespace kpe::advice
