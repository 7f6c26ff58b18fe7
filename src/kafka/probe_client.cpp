#include "kafka/probe_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "kafka/rdkafka_ptr.h"

namespace kpe::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// How many distinct client errors are remembered (each is logged once); beyond it the memory is cleared.
constexpr size_t kMaxRememberedErrors = 256;
// CreateTopics waits this much longer than the broker-side timeout it asks for.
constexpr int kAdminGraceMs = 1000;
// The reader thread notices a stop request within this time.
constexpr int kReadWaitMs = 100;
// Records read but not yet taken by Consume beyond this are dropped (the caller is stuck anyway).
constexpr size_t kMaxUnread = 100000;

std::string Join(const std::vector<std::string>& parts) {
  std::string joined;
  for (const auto& part : parts) {
    if (!joined.empty()) joined += ",";
    joined += part;
  }
  return joined;
}

std::string Describe(rd_kafka_resp_err_t err, const char* message) {
  return message != nullptr && *message != '\0' ? std::string(message) : std::string(rd_kafka_err2str(err));
}

struct TopicDeleter {
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
};
struct AlterOffsetsDeleter {
  void operator()(rd_kafka_AlterConsumerGroupOffsets_t* alter) const {
    rd_kafka_AlterConsumerGroupOffsets_destroy(alter);
  }
};
struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* topic) const { rd_kafka_NewTopic_destroy(topic); }
};

}  // namespace

struct ProbeClient::Impl {
  ProbeClientOptions options;

  std::mutex errors_mutex;
  std::set<std::string> logged_errors;  // guarded by errors_mutex

  // Filled by the callbacks, which run inside rd_kafka_poll / rd_kafka_consumer_poll on the caller's
  // thread, so they need no lock.
  std::vector<ProbeDelivery> deliveries;
  std::vector<ProbeCommit> commits;
  rd::QueuePtr commit_queue;                      // results of CommitAsync
  rd::QueuePtr consume_queue;                     // records of every assigned partition

  // The reader thread takes records off consume_queue as they arrive, so their receipt time does not
  // depend on what the caller's thread is doing (a metadata request to a slow broker, say).
  std::mutex read_mutex;
  std::condition_variable read_cv;
  std::vector<ProbeMessage> read;  // guarded by read_mutex
  bool stop_reading = false;       // guarded by read_mutex
  std::thread reader;

  void ReadLoop() {
    while (true) {
      {
        std::lock_guard lock(read_mutex);
        if (stop_reading) return;
      }
      rd::MessagePtr message(rd_kafka_consume_queue(consume_queue.get(), kReadWaitMs));
      if (!message) continue;
      ProbeMessage m;
      m.received_at = Clock::now();
      m.partition = message->partition;
      m.offset = message->offset;
      m.broker = rd_kafka_message_broker_id(message.get());
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        m.error = rd_kafka_message_errstr(message.get());
      } else if (message->payload != nullptr) {
        m.value.assign(static_cast<const char*>(message->payload), message->len);
      }
      {
        std::lock_guard lock(read_mutex);
        if (read.size() < kMaxUnread) read.push_back(std::move(m));
      }
      read_cv.notify_all();
    }
  }
  std::vector<Clock::time_point> commits_started;  // FIFO: one result per CommitAsync, in order

  rd::HandlePtr producer;
  rd::HandlePtr consumer;
  // For topic-only metadata; made once the topic was seen, since making it has librdkafka ask for the
  // topic's metadata, which creates a missing topic on brokers that ignore allow.auto.create.topics.
  std::unique_ptr<rd_kafka_topic_t, TopicDeleter> consumer_topic;
  bool topic_seen = false;

  void OnError(const char* handle, int err, const char* reason) {
    std::string message =
        rd::RedactSecrets(std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) + ": " + reason);
    // librdkafka appends "(after 0ms in state CONNECT, 3 identical error(s) suppressed)": the same error.
    if (auto suffix = message.rfind(" (after "); suffix != std::string::npos) message.resize(suffix);
    {
      std::lock_guard lock(errors_mutex);
      if (logged_errors.size() >= kMaxRememberedErrors) logged_errors.clear();
      if (!logged_errors.insert(message).second) {
        spdlog::debug("kafka probe {}: {} (again)", handle, message);
        return;
      }
    }
    spdlog::warn("kafka probe {}: {}", handle, message);
  }

  rd::ConfPtr CommonConf(const std::string& suffix) {
    rd::ConfPtr conf(rd_kafka_conf_new());
    rd::SetProperty(conf.get(), "bootstrap.servers", Join(options.client.servers));
    rd::SetProperty(conf.get(), "client.id", options.client.client_id + suffix);
    rd::SetProperty(conf.get(), "socket.keepalive.enable", "true");
    rd::SetProperty(conf.get(), "reconnect.backoff.ms", "500");
    rd::SetProperty(conf.get(), "reconnect.backoff.max.ms", "10000");
    rd::SetProperty(conf.get(), "log.connection.close", "false");
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd::RouteLogsToSpdlog(conf.get());
    return conf;
  }

  rd::HandlePtr NewHandle(rd_kafka_type_t type, rd::ConfPtr conf) {
    for (const auto& [name, value] : options.client.properties) rd::SetProperty(conf.get(), name, value);
    char error[512] = "";
    rd::HandlePtr rk(rd_kafka_new(type, conf.get(), error, sizeof error));
    if (!rk) throw std::invalid_argument("kafka probe client: " + rd::RedactSecrets(error));
    conf.release();  // owned by rk from here on
    return rk;
  }
};

ProbeClient::ProbeClient(ProbeClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const ProbeClientOptions& opts = impl_->options;
  if (opts.client.servers.empty()) throw std::invalid_argument("kafka probe client: no bootstrap servers");
  if (opts.topic.empty()) throw std::invalid_argument("kafka probe client: empty canary topic name");
  if (opts.acks != "all" && opts.acks != "-1" && opts.acks != "1" && opts.acks != "0") {
    throw std::invalid_argument("kafka probe client: acks '" + opts.acks + "' is not one of all, -1, 1, 0");
  }

  rd::ConfPtr producer_conf = impl_->CommonConf("-probe-producer");
  rd::SetProperty(producer_conf.get(), "acks", opts.acks);
  // One record per partition per round: waiting for a batch to fill would only add latency.
  rd::SetProperty(producer_conf.get(), "linger.ms", "0");
  rd::SetProperty(producer_conf.get(), "message.timeout.ms", std::to_string(opts.message_timeout.count()));
  // Producing must never create a topic (the canary topic is created explicitly, or not at all).
  rd::SetProperty(producer_conf.get(), "allow.auto.create.topics", "false");
  rd_kafka_conf_set_error_cb(producer_conf.get(), [](rd_kafka_t*, int err, const char* reason, void* opaque) {
    static_cast<Impl*>(opaque)->OnError("producer", err, reason);
  });
  rd_kafka_conf_set_dr_msg_cb(producer_conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    ProbeDelivery delivery;
    delivery.partition = m->partition;
    delivery.sequence = static_cast<int64_t>(reinterpret_cast<intptr_t>(m->_private));
    delivery.broker = rd_kafka_message_broker_id(m);
    delivery.latency = std::chrono::microseconds(rd_kafka_message_latency(m));
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      delivery.offset = m->offset;
    } else {
      delivery.error = rd_kafka_err2str(m->err);
    }
    static_cast<Impl*>(opaque)->deliveries.push_back(std::move(delivery));
  });
  impl_->producer = impl_->NewHandle(RD_KAFKA_PRODUCER, std::move(producer_conf));

  rd::ConfPtr consumer_conf = impl_->CommonConf("-probe-consumer");
  rd::SetProperty(consumer_conf.get(), "enable.auto.commit", "false");
  rd::SetProperty(consumer_conf.get(), "enable.auto.offset.store", "false");
  rd::SetProperty(consumer_conf.get(), "enable.partition.eof", "false");
  rd::SetProperty(consumer_conf.get(), "auto.offset.reset", "latest");
  rd::SetProperty(consumer_conf.get(), "isolation.level", "read_uncommitted");
  rd::SetProperty(consumer_conf.get(), "allow.auto.create.topics", "false");
  // A fetch returns as soon as a record is there; this only bounds how long an idle fetch waits.
  rd::SetProperty(consumer_conf.get(), "fetch.wait.max.ms", "100");
  rd_kafka_conf_set_error_cb(consumer_conf.get(), [](rd_kafka_t*, int err, const char* reason, void* opaque) {
    static_cast<Impl*>(opaque)->OnError("consumer", err, reason);
  });
  impl_->consumer = impl_->NewHandle(RD_KAFKA_CONSUMER, std::move(consumer_conf));
  impl_->consume_queue.reset(rd_kafka_queue_new(impl_->consumer.get()));
  impl_->commit_queue.reset(rd_kafka_queue_new(impl_->consumer.get()));
  // Last: nothing may throw once it runs (the destructor, which joins it, would not run).
  impl_->reader = std::thread([impl = impl_.get()] { impl->ReadLoop(); });
}

ProbeClient::~ProbeClient() {
  {
    std::lock_guard lock(impl_->read_mutex);
    impl_->stop_reading = true;
  }
  impl_->reader.join();
  // Undelivered records would otherwise keep the producer's destruction waiting for them.
  rd_kafka_purge(impl_->producer.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(impl_->producer.get(), 0);
  for (const auto& [partition, offset] : assigned_) rd_kafka_consume_stop(impl_->consumer_topic.get(), partition);
  impl_->consumer_topic.reset();
  impl_->consume_queue.reset();
  impl_->commit_queue.reset();
}

Result<CanaryTopic> ProbeClient::FetchTopic() {
  Result<CanaryTopic> result;
  const rd_kafka_metadata_t* raw = nullptr;
  const int timeout_ms = static_cast<int>(impl_->options.client.timeout.count());
  rd_kafka_resp_err_t err =
      impl_->topic_seen ? rd_kafka_metadata(impl_->consumer.get(), 0, impl_->consumer_topic.get(), &raw, timeout_ms)
                        : rd_kafka_metadata(impl_->consumer.get(), 1, nullptr, &raw, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    result.error = std::string("metadata request: ") + rd_kafka_err2str(err);
    return result;
  }
  rd::MetadataPtr metadata(raw);
  for (int b = 0; b < metadata->broker_cnt; ++b) result.value.broker_ids.push_back(metadata->brokers[b].id);
  std::sort(result.value.broker_ids.begin(), result.value.broker_ids.end());
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& topic = metadata->topics[t];
    if (impl_->options.topic != topic.topic) continue;
    if (topic.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) break;
    if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      result.error = "canary topic '" + impl_->options.topic + "': " + rd_kafka_err2str(topic.err);
      return result;
    }
    result.value.exists = true;
    result.value.topic.name = topic.topic;
    for (int p = 0; p < topic.partition_cnt; ++p) {
      const rd_kafka_metadata_partition_t& partition = topic.partitions[p];
      PartitionMetadata out;
      out.id = partition.id;
      out.leader = partition.leader;
      out.replicas.assign(partition.replicas, partition.replicas + partition.replica_cnt);
      out.isr.assign(partition.isrs, partition.isrs + partition.isr_cnt);
      if (partition.err != RD_KAFKA_RESP_ERR_NO_ERROR) out.error = rd_kafka_err2str(partition.err);
      result.value.topic.partitions.push_back(std::move(out));
    }
    std::sort(result.value.topic.partitions.begin(), result.value.topic.partitions.end(),
              [](const PartitionMetadata& a, const PartitionMetadata& b) { return a.id < b.id; });
  }
  impl_->topic_seen = result.value.exists;
  if (impl_->topic_seen && !impl_->consumer_topic) {
    impl_->consumer_topic.reset(rd_kafka_topic_new(impl_->consumer.get(), impl_->options.topic.c_str(), nullptr));
    if (!impl_->consumer_topic) {
      impl_->topic_seen = false;
      result.error = "canary topic '" + impl_->options.topic + "': " + rd_kafka_err2str(rd_kafka_last_error());
    }
  }
  return result;
}

Result<bool> ProbeClient::CreateTopic(const std::vector<int32_t>& broker_ids, int replication_factor) {
  Result<bool> result;
  const std::string what = "create canary topic '" + impl_->options.topic + "'";
  if (broker_ids.empty()) {
    result.error = what + ": no broker known";
    return result;
  }
  const int brokers = static_cast<int>(broker_ids.size());
  const int replicas = std::clamp(replication_factor, 1, brokers);
  char error[512] = "";
  std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter> topic(
      rd_kafka_NewTopic_new(impl_->options.topic.c_str(), brokers, -1, error, sizeof error));
  if (!topic) {
    result.error = what + ": " + error;
    return result;
  }
  for (int p = 0; p < brokers; ++p) {
    std::vector<int32_t> assignment;
    for (int r = 0; r < replicas; ++r) assignment.push_back(broker_ids[(p + r) % brokers]);
    if (rd_kafka_NewTopic_set_replica_assignment(topic.get(), p, assignment.data(), assignment.size(), error,
                                                 sizeof error) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      result.error = what + ": " + error;
      return result;
    }
  }

  const int timeout_ms = static_cast<int>(impl_->options.client.timeout.count());
  rd::AdminOptionsPtr admin(rd_kafka_AdminOptions_new(impl_->consumer.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
  rd_kafka_AdminOptions_set_request_timeout(admin.get(), timeout_ms, error, sizeof error);
  rd_kafka_AdminOptions_set_operation_timeout(admin.get(), timeout_ms, error, sizeof error);
  rd::QueuePtr queue(rd_kafka_queue_new(impl_->consumer.get()));
  rd_kafka_NewTopic_t* topics[] = {topic.get()};
  rd_kafka_CreateTopics(impl_->consumer.get(), topics, 1, admin.get(), queue.get());
  rd::EventPtr event(rd_kafka_queue_poll(queue.get(), timeout_ms + kAdminGraceMs));
  if (!event) {
    result.error = what + ": no answer within " + std::to_string(timeout_ms) + " ms";
    return result;
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    result.error = what + ": " + Describe(rd_kafka_event_error(event.get()), rd_kafka_event_error_string(event.get()));
    return result;
  }
  const rd_kafka_CreateTopics_result_t* created = rd_kafka_event_CreateTopics_result(event.get());
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(created, &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      result.error = what + ": " + Describe(err, rd_kafka_topic_result_error_string(results[i]));
      return result;
    }
  }
  result.value = true;
  return result;
}

std::string ProbeClient::Produce(int32_t partition, std::string_view value, int64_t sequence) {
  rd_kafka_resp_err_t err = rd_kafka_producev(
      impl_->producer.get(), RD_KAFKA_V_TOPIC(impl_->options.topic.c_str()), RD_KAFKA_V_PARTITION(partition),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<intptr_t>(sequence))), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return rd_kafka_err2str(err);
  return "";
}

std::vector<ProbeDelivery> ProbeClient::TakeDeliveries() {
  rd_kafka_poll(impl_->producer.get(), 0);
  return std::exchange(impl_->deliveries, {});
}

std::string ProbeClient::Assign(int32_t partition, int64_t offset) {
  if (!impl_->consumer_topic) return "the canary topic was not seen yet";
  if (assigned_.contains(partition)) return "partition already assigned";
  // The simple consumer API (per partition, onto one queue) needs no group, unlike assign().
  if (rd_kafka_consume_start_queue(impl_->consumer_topic.get(), partition, offset, impl_->consume_queue.get()) != 0) {
    return rd_kafka_err2str(rd_kafka_last_error());
  }
  assigned_[partition] = offset;
  return "";
}

std::vector<ProbeMessage> ProbeClient::Consume(std::chrono::milliseconds wait, size_t max) {
  rd_kafka_poll(impl_->consumer.get(), 0);  // error callbacks
  std::unique_lock lock(impl_->read_mutex);
  impl_->read_cv.wait_for(lock, wait, [&] { return !impl_->read.empty(); });
  if (impl_->read.size() <= max) return std::exchange(impl_->read, {});
  std::vector<ProbeMessage> out(std::make_move_iterator(impl_->read.begin()),
                                std::make_move_iterator(impl_->read.begin() + static_cast<ptrdiff_t>(max)));
  impl_->read.erase(impl_->read.begin(), impl_->read.begin() + static_cast<ptrdiff_t>(max));
  return out;
}

std::string ProbeClient::CommitAsync(const std::map<int32_t, int64_t>& offsets) {
  if (impl_->options.group_id.empty()) return "no group id";
  if (offsets.empty()) return "no offsets";
  rd::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [partition, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), impl_->options.topic.c_str(), partition)->offset = offset;
  }
  // The Admin API commits like a member-less consumer of the group (an OffsetCommit to its coordinator),
  // under a request timeout; the consumer itself has no group, so its destruction waits for no coordinator.
  std::unique_ptr<rd_kafka_AlterConsumerGroupOffsets_t, AlterOffsetsDeleter> alter(
      rd_kafka_AlterConsumerGroupOffsets_new(impl_->options.group_id.c_str(), list.get()));
  rd::AdminOptionsPtr admin(
      rd_kafka_AdminOptions_new(impl_->consumer.get(), RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS));
  char error[512] = "";
  if (rd_kafka_AdminOptions_set_request_timeout(admin.get(), static_cast<int>(impl_->options.client.timeout.count()),
                                                error, sizeof error) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return error;
  }
  rd_kafka_AlterConsumerGroupOffsets_t* alters[] = {alter.get()};
  impl_->commits_started.push_back(Clock::now());
  rd_kafka_AlterConsumerGroupOffsets(impl_->consumer.get(), alters, 1, admin.get(), impl_->commit_queue.get());
  return "";
}

std::vector<ProbeCommit> ProbeClient::TakeCommits() {
  while (!impl_->commits_started.empty()) {
    rd::EventPtr event(rd_kafka_queue_poll(impl_->commit_queue.get(), 0));
    if (!event) break;
    ProbeCommit commit;
    commit.latency = Clock::now() - impl_->commits_started.front();
    impl_->commits_started.erase(impl_->commits_started.begin());
    if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      commit.error = Describe(rd_kafka_event_error(event.get()), rd_kafka_event_error_string(event.get()));
    } else if (const auto* result = rd_kafka_event_AlterConsumerGroupOffsets_result(event.get())) {
      size_t count = 0;
      const rd_kafka_group_result_t** groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &count);
      for (size_t g = 0; g < count && commit.error.empty(); ++g) {
        if (const rd_kafka_error_t* group_error = rd_kafka_group_result_error(groups[g])) {
          commit.error = rd_kafka_error_string(group_error);
          break;
        }
        const rd_kafka_topic_partition_list_t* partitions = rd_kafka_group_result_partitions(groups[g]);
        for (int i = 0; partitions != nullptr && i < partitions->cnt && commit.error.empty(); ++i) {
          if (partitions->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            commit.error = "partition " + std::to_string(partitions->elems[i].partition) + ": " +
                           rd_kafka_err2str(partitions->elems[i].err);
          }
        }
      }
    }
    impl_->commits.push_back(std::move(commit));
  }
  return std::exchange(impl_->commits, {});
}

}  // namespace kpe::kafka
