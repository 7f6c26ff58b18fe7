#pragma once
// The end-to-end probe: produces one small record per partition of a canary topic every interval,
// reads them back with its own consumer, and measures what a producer and a consumer experience
// (acknowledgement and roundtrip latencies, failures, loss, duplicates, commit latency).

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kafka/cluster_client.h"
#include "state/probe.h"

namespace kpe::e2e {

struct ProbeOptions {
  /// Servers, client id, extra librdkafka properties (applied to the probe's producer and consumer);
  /// `timeout` bounds each metadata request and topic creation. Statistics fields are ignored.
  kafka::ClientOptions client;
  /// The canary topic: the only topic the probe produces to, reads or creates.
  std::string topic = "kafka-perf-exporter-canary";
  /// The producer's acks: "all" (or "-1"), "1" or "0" (with 0, "acknowledged" means "sent").
  std::string acks = "all";
  /// When the canary topic is missing: create it (one partition per broker, each broker leading one,
  /// min(replication_factor, brokers) replicas) or only report it.
  bool create_topic = true;
  int replication_factor = 3;
  /// One record per partition every interval.
  std::chrono::milliseconds interval{1000};
  /// A record acknowledged but not read back within this time of its sending is lost. It is also the
  /// producer's message timeout: a record not acknowledged within it fails.
  std::chrono::milliseconds sla{10000};
  /// The group the probe's consumer commits its offsets to (never joining it: the consumer is assigned
  /// the partitions); "" for no commits and no commit latency.
  std::string group_id = "kafka-perf-exporter-probe";
  /// Commit the offsets read so far every this many rounds (0: never).
  int commit_every = 10;
  /// How often the canary topic's metadata (partitions, leaders) is read again; it is also read again
  /// about a second after any produce or consume error.
  std::chrono::milliseconds metadata_interval{30000};
};

/// Runs the probe on a thread of its own from construction to destruction. Failures (missing topic,
/// unreachable brokers, errors) are counted and remembered as the snapshot's last error; the probe keeps
/// going and recovers by itself. Snapshot() is thread-safe; the rest is not to be called concurrently.
class Probe {
 public:
  /// Checks `options` and starts the probe's thread. Throws std::invalid_argument naming the option
  /// and its value ("e2e probe: interval must be > 0 ms, got 0") or the librdkafka property librdkafka
  /// rejects ("kafka property 'NAME': ...").
  explicit Probe(ProbeOptions options);
  /// Stops the thread and the Kafka handles; takes at most about options.client.timeout + 1 s (a
  /// metadata request or topic creation in progress), usually well under 1 s.
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  /// The latest measurements; never null (before the first round: no counts, no error).
  std::shared_ptr<const state::ProbeSnapshot> Snapshot() const;

 private:
  struct Impl;
  void Run();

  std::unique_ptr<Impl> impl_;

  mutable std::mutex snapshot_mutex_;
  std::shared_ptr<const state::ProbeSnapshot> snapshot_;  // guarded by snapshot_mutex_

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mutex_

  std::thread thread_;  // last: started after everything it uses, joined first
};

}  // namespace kpe::e2e
