#pragma once
// Topic configurations through librdkafka's Admin API (DescribeConfigs). Uses its own handle, so a cluster
// whose controller cannot be reached never stalls metadata, watermark or group requests.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kafka/cluster_client.h"
#include "kafka/group_client.h"  // ErrorKind

namespace kpe::kafka {

/// The configuration of one topic, or why it could not be read.
struct TopicConfigs {
  std::string topic;
  /// Config name → value as the broker reports it (defaults included). Entries without a value
  /// (sensitive ones, or null on the wire) are left out. Empty on error.
  std::map<std::string, std::string> configs;
  std::string error;  // "" on success, else "describe configs: <what>" naming the cause
  ErrorKind kind = ErrorKind::kNone;
};

struct TopicConfigClientOptions {
  ClientOptions client;       // servers, properties, timeout (deadline of each call as a whole)
  /// Config names to keep (e.g. {"min.insync.replicas", "segment.bytes"}); empty: everything the broker
  /// returns. The names are also sent in the request, so the broker can answer less.
  std::vector<std::string> keys;
  size_t batch = 100;         // topics per DescribeConfigs request (one request carries many resources)
  size_t max_in_flight = 4;   // DescribeConfigs requests outstanding at once (late ones included)
};

/// Owns one librdkafka handle for DescribeConfigs. Thread-compatible: calls must not overlap. Every call
/// returns within about options.client.timeout. librdkafka never times out a request of this client
/// before an hour (see GroupClient): one unanswered at a call's deadline stays outstanding, counts in
/// max_in_flight, and its late answer is dropped; destruction waits at most 1 s (or the timeout, if
/// shorter) for such answers.
class TopicConfigClient {
 public:
  /// Throws std::invalid_argument naming the property when librdkafka rejects a configuration value, or
  /// when options.client.servers is empty.
  explicit TopicConfigClient(TopicConfigClientOptions options);
  ~TopicConfigClient();
  TopicConfigClient(const TopicConfigClient&) = delete;
  TopicConfigClient& operator=(const TopicConfigClient&) = delete;

  /// The configuration of each topic: one entry per input, same order (duplicates answered once and
  /// copied). Topics are sent in batches of options.batch resources, at most options.max_in_flight
  /// requests outstanding, all under one deadline (options.client.timeout).
  /// Errors are per topic: kAuthorization (TOPIC_AUTHORIZATION_FAILED), kTimeout (no answer by the
  /// deadline), kUnsupported (the cluster cannot answer DescribeConfigs: its metadata names a controller
  /// that is not one of its brokers, as librdkafka's mock cluster does; no DescribeConfigs request is
  /// then sent, since librdkafka would wait for that controller until the deadline), kOther (e.g. unknown
  /// topic). When the cluster's metadata cannot be read, every entry gets that error.
  std::vector<TopicConfigs> DescribeTopicConfigs(const std::vector<std::string>& topics);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kpe::kafka
