#include "kafka/mock_cluster.h"

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "kafka/rdkafka_ptr.h"

namespace kpe::kafka {
namespace {

void ThrowIfError(rd_kafka_resp_err_t err, const std::string& what) {
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error(what + ": " + rd_kafka_err2str(err));
}

// Counts the delivery reports of one Produce() call; each of its records points to it.
struct DeliveryCounter {
  std::atomic<int> delivered{0};
  std::atomic<int> failed{0};
  std::string first_error;  // written by the polling thread only
};

}  // namespace

struct MockCluster::Impl {
  int brokers = 0;
  // Declaration order is destruction order reversed: the producer goes first, then the cluster, then the
  // handle that owns the cluster.
  rd::HandlePtr owner;
  rd::MockClusterPtr cluster;
  std::string bootstraps;

  std::mutex producer_mutex;
  rd::HandlePtr producer;  // guarded by producer_mutex; created on first Produce()
};

MockCluster::MockCluster(int brokers) : impl_(std::make_unique<Impl>()) {
  if (brokers < 1)
    throw std::invalid_argument("mock cluster: broker count must be >= 1, got " + std::to_string(brokers));
  impl_->brokers = brokers;
  rd::ConfPtr conf(rd_kafka_conf_new());
  // The owner handle never talks to a cluster; this keeps it from warning about it.
  rd::SetProperty(conf.get(), "log_level", "3");
  rd::RouteLogsToSpdlog(conf.get());
  char error[512] = "";
  impl_->owner.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error));
  if (!impl_->owner) throw std::runtime_error(std::string("mock cluster: ") + error);
  conf.release();
  impl_->cluster.reset(rd_kafka_mock_cluster_new(impl_->owner.get(), brokers));
  if (!impl_->cluster) throw std::runtime_error("mock cluster: rd_kafka_mock_cluster_new failed");
  impl_->bootstraps = rd_kafka_mock_cluster_bootstraps(impl_->cluster.get());
}

MockCluster::~MockCluster() = default;

std::string MockCluster::Bootstraps() const { return impl_->bootstraps; }

int MockCluster::BrokerCount() const { return impl_->brokers; }

void MockCluster::CreateTopic(const std::string& topic, int partitions, int replication_factor) {
  ThrowIfError(
      rd_kafka_mock_topic_create(impl_->cluster.get(), topic.c_str(), partitions, replication_factor),
      "mock cluster: create topic '" + topic + "'");
}

void MockCluster::SetPartitionLeader(const std::string& topic, int32_t partition, int32_t broker_id) {
  ThrowIfError(rd_kafka_mock_partition_set_leader(impl_->cluster.get(), topic.c_str(), partition, broker_id),
               "mock cluster: set leader of " + topic + "/" + std::to_string(partition));
}

void MockCluster::SetBrokerDown(int32_t broker_id) {
  ThrowIfError(rd_kafka_mock_broker_set_down(impl_->cluster.get(), broker_id),
               "mock cluster: set broker " + std::to_string(broker_id) + " down");
}

void MockCluster::SetBrokerUp(int32_t broker_id) {
  ThrowIfError(rd_kafka_mock_broker_set_up(impl_->cluster.get(), broker_id),
               "mock cluster: set broker " + std::to_string(broker_id) + " up");
}

void MockCluster::SetBrokerRtt(int32_t broker_id, std::chrono::milliseconds rtt) {
  ThrowIfError(rd_kafka_mock_broker_set_rtt(impl_->cluster.get(), broker_id, static_cast<int>(rtt.count())),
               "mock cluster: set rtt of broker " + std::to_string(broker_id));
}

void MockCluster::PushRequestErrors(int16_t api_key, int count, int error) {
  if (count < 1) {
    throw std::invalid_argument("mock cluster: request error count must be >= 1, got " + std::to_string(count));
  }
  PushRequestErrors(api_key, std::vector<int>(static_cast<size_t>(count), error));
}

void MockCluster::PushRequestErrors(int16_t api_key, const std::vector<int>& errors) {
  if (errors.empty()) throw std::invalid_argument("mock cluster: no request error to push");
  std::vector<rd_kafka_resp_err_t> codes;
  for (int error : errors) codes.push_back(static_cast<rd_kafka_resp_err_t>(error));
  rd_kafka_mock_push_request_errors_array(impl_->cluster.get(), api_key, codes.size(), codes.data());
}

void MockCluster::ClearRequestErrors(int16_t api_key) {
  rd_kafka_mock_clear_request_errors(impl_->cluster.get(), api_key);
}

void MockCluster::Produce(const std::string& topic, int32_t partition, int count,
                          std::chrono::milliseconds timeout) {
  std::lock_guard lock(impl_->producer_mutex);
  if (!impl_->producer) {
    rd::ConfPtr conf(rd_kafka_conf_new());
    rd::SetProperty(conf.get(), "bootstrap.servers", impl_->bootstraps);
    rd::SetProperty(conf.get(), "client.id", "mock-cluster-producer");
    rd::SetProperty(conf.get(), "linger.ms", "5");
    rd::SetProperty(conf.get(), "log_level", "3");
    rd::RouteLogsToSpdlog(conf.get());
    rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* message, void*) {
      auto* counter = static_cast<DeliveryCounter*>(message->_private);
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++counter->delivered;
      } else {
        if (counter->failed++ == 0) counter->first_error = rd_kafka_err2str(message->err);
      }
    });
    char error[512] = "";
    impl_->producer.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error));
    if (!impl_->producer) throw std::runtime_error(std::string("mock cluster producer: ") + error);
    conf.release();
  }
  rd_kafka_t* rk = impl_->producer.get();

  // Each record carries &counter as its opaque; the delivery callback runs inside rd_kafka_flush/poll on
  // this thread. Before returning, every record is delivered, purged or dropped with the producer, so no
  // callback can see counter after it is gone.
  DeliveryCounter counter;
  auto abandon_undelivered = [&] {
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    if (rd_kafka_flush(rk, 1000) != RD_KAFKA_RESP_ERR_NO_ERROR) impl_->producer.reset();
  };
  const std::string where = "mock cluster: produce to " + topic + "/" + std::to_string(partition);
  for (int i = 0; i < count; ++i) {
    const std::string value = "record-" + std::to_string(i);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&counter), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 100);
      --i;
      continue;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      abandon_undelivered();
      ThrowIfError(err, where);
    }
  }
  if (rd_kafka_flush(rk, static_cast<int>(timeout.count())) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const int delivered = counter.delivered;
    abandon_undelivered();
    throw std::runtime_error(where + ": " + std::to_string(delivered) + " of " + std::to_string(count) +
                             " records acknowledged within " + std::to_string(timeout.count()) + " ms");
  }
  if (counter.failed > 0) {
    throw std::runtime_error(where + ": " + std::to_string(counter.failed.load()) + " of " +
                             std::to_string(count) + " records failed: " + counter.first_error);
  }
}

}  // namespace kpe::kafka
