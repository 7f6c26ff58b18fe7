#pragma once
// librdkafka's in-process mock cluster (a real Kafka wire-protocol server on loopback) and a small
// workload driver, for demo mode and tests.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <string>
#include <vector>

namespace kpe::kafka {

/// Owns a mock cluster with `brokers` brokers (ids 1..brokers) listening on loopback ports; throws
/// std::invalid_argument if brokers < 1. Thread-safe. Destruction shuts the brokers down (librdkafka's
/// mock thread may take up to ~1 s to notice).
class MockCluster {
 public:
  explicit MockCluster(int brokers);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  /// "127.0.0.1:PORT,127.0.0.1:PORT,..."
  std::string Bootstraps() const;
  int BrokerCount() const;

  /// Throws std::runtime_error with librdkafka's message on failure.
  void CreateTopic(const std::string& topic, int partitions, int replication_factor);
  void SetPartitionLeader(const std::string& topic, int32_t partition, int32_t broker_id);
  void SetBrokerDown(int32_t broker_id);
  void SetBrokerUp(int32_t broker_id);
  void SetBrokerRtt(int32_t broker_id, std::chrono::milliseconds rtt);
  /// Kafka API keys for PushRequestErrors (librdkafka's RD_KAFKAP_* are not in its public headers).
  static constexpr int16_t kProduce = 0;
  static constexpr int16_t kOffsetFetch = 9;
  /// The next `count` requests of API `api_key` (to any broker) fail with Kafka protocol error code
  /// `error` (e.g. 87, INVALID_RECORD, on Produce, which a producer does not retry). Throws
  /// std::invalid_argument if count < 1.
  void PushRequestErrors(int16_t api_key, int count, int error);
  /// The next requests of API `api_key` answer with these error codes in turn (0: answered normally).
  /// Throws std::invalid_argument if `errors` is empty.
  void PushRequestErrors(int16_t api_key, const std::vector<int>& errors);
  /// Drops the errors still pending for API `api_key`.
  void ClearRequestErrors(int16_t api_key);

  /// Produces `count` small records to one partition and waits for their acknowledgement, through one
  /// producer handle kept for the cluster's lifetime. Throws std::runtime_error naming topic/partition
  /// if a record fails or they are not all acknowledged within `timeout`. Thread-safe (serialised).
  void Produce(const std::string& topic, int32_t partition, int count,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Demo mode: a 3-broker mock cluster with topics "orders" (6 partitions), "payments" (3), "clickstream"
/// (12) and "audit-log" (1, one burst of 50 records at start, then idle); a producer thread writing
/// ~130-190 small records/s in total; group "demo-order-processor" consuming "orders" in bursts (at most
/// ~40 records/s, committing after each burst) so its lag grows; group "demo-analytics" consuming
/// "clickstream" with auto-commit, keeping up. Three threads, stopped and joined on destruction.
/// Not thread-safe, except mock()'s own guarantees.
class DemoCluster {
 public:
  /// With `on_statistics`, the demo's producer and consumers report their librdkafka statistics to
  /// it every few seconds (on their own threads), as applications do to the exporter's stats endpoint.
  explicit DemoCluster(std::function<void(std::string_view json)> on_statistics = {});
  ~DemoCluster();
  DemoCluster(const DemoCluster&) = delete;
  DemoCluster& operator=(const DemoCluster&) = delete;

  std::string Bootstraps() const;
  MockCluster& mock();
  /// The demo's consumer groups. The mock cannot list groups (no ListGroups), so demo mode names
  /// them as static groups.
  static std::vector<std::string> GroupIds();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kpe::kafka
