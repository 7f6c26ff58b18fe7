#pragma once
// Plain results of requests to a cluster. No librdkafka types leak out of src/kafka/.

#include <cstdint>
#include <string>
#include <vector>

#include "util/interned_string.h"

namespace kpe::kafka {

struct BrokerMetadata {
  int32_t id = -1;
  std::string host;
  int port = 0;
  std::string rack;  // librdkafka 2.0.2's public metadata has no rack: empty
};

struct PartitionMetadata {
  int32_t id = 0;
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  util::InternedString error;  // "" when none; few distinct messages over 10,000s of partitions
};

struct TopicMetadata {
  std::string name;
  std::vector<PartitionMetadata> partitions;  // sorted by id
  std::string error;                          // "" when none
};

struct ClusterMetadata {
  std::vector<BrokerMetadata> brokers;  // sorted by id
  std::vector<TopicMetadata> topics;    // sorted by name, all topics the broker reported
  std::string cluster_id;
  int32_t controller_id = -1;
};

struct PartitionRef {
  std::string topic;
  int32_t partition = 0;
};

/// Oldest and newest offsets of one partition, or the error that prevented reading them.
struct Watermarks {
  std::string topic;
  int32_t partition = 0;
  int64_t oldest = -1;
  int64_t newest = -1;
  std::string error;  // "" when both offsets are valid
  /// The leader refused with TOPIC_AUTHORIZATION_FAILED (the principal may not Describe the topic).
  bool unauthorized = false;
};

}  // namespace kpe::kafka
