#pragma once
// Internal to src/kafka/ (and its tests): owning smart pointers for librdkafka's C handles. Never include
// this from another module: librdkafka stays behind the kafka module's plain-struct headers.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace kpe::kafka::rd {

struct HandleDeleter {
  // NO_CONSUMER_CLOSE: a group consumer must be closed explicitly before (rd_kafka_consumer_close);
  // for our group-less handles it keeps destruction from waiting on a coordinator that may not answer.
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE); }
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const { rd_kafka_metadata_destroy(metadata); }
};
struct MockClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* cluster) const { rd_kafka_mock_cluster_destroy(cluster); }
};
struct MemDeleter {
  void operator()(char* ptr) const { rd_kafka_mem_free(nullptr, ptr); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
struct AdminOptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* options) const { rd_kafka_AdminOptions_destroy(options); }
};

using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;
using MockClusterPtr = std::unique_ptr<rd_kafka_mock_cluster_t, MockClusterDeleter>;
using StringPtr = std::unique_ptr<char, MemDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using AdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter>;

/// Routes the handle's log lines to spdlog with syslog levels mapped to spdlog's (defined in
/// handle.cpp). Connection failures ("FAIL") are logged at debug: error_cb reports them.
void RouteLogsToSpdlog(rd_kafka_conf_t* conf);

/// rd_kafka_new, called on a thread of its own made a background thread (util::RunThisThreadInBackground)
/// so that every thread of the handle (its main thread, one per broker) inherits that (defined in
/// handle.cpp).
rd_kafka_t* NewInBackground(rd_kafka_type_t type, rd_kafka_conf_t* conf, char* error, size_t error_size);

/// Remembers the value of a sensitive property (config::IsSensitiveProperty) so that RedactSecrets
/// removes it from every librdkafka message the exporter logs or reports. Thread-safe; process-wide
/// (defined in handle.cpp), keeping the most recent values only.
void RememberSecret(const std::string& value);

/// `message` with every remembered secret replaced by "[redacted]". Thread-safe.
std::string RedactSecrets(std::string message);

/// Sets one property; throws std::invalid_argument("kafka property 'NAME': <librdkafka's message>"), in
/// which the value of a sensitive property is redacted. Remembers sensitive values (RememberSecret).
void SetProperty(rd_kafka_conf_t* conf, const std::string& name, const std::string& value);

}  // namespace kpe::kafka::rd
