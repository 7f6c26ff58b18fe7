#pragma once
// librdkafka's in-process mock cluster (a real Kafka wire-protocol server on loopback) and a small
// workload driver, for demo mode and tests.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace kpe::kafka {

/// Owns a mock cluster with `brokers` brokers listening on loopback ports. Thread-safe for the
/// fault-injection calls. Destruction shuts the brokers down.
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

  /// Produces `count` small records to one partition and waits for their acknowledgement.
  /// Throws std::runtime_error if they are not all acknowledged within `timeout`.
  void Produce(const std::string& topic, int32_t partition, int count,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Demo mode: a 3-broker mock cluster with a handful of topics, a producer writing at a modest steady
/// rate, and a consumer group that commits behind the producer so it lags. Threads stop on destruction.
class DemoCluster {
 public:
  DemoCluster();
  ~DemoCluster();
  DemoCluster(const DemoCluster&) = delete;
  DemoCluster& operator=(const DemoCluster&) = delete;

  std::string Bootstraps() const;
  MockCluster& mock();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kpe::kafka
