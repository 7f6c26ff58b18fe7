#pragma once
// The latest statistics of every application client that reports to the exporter (librdkafka's
// statistics JSON, one document per report), for the kafka_client_* families.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "clientstats/statistics.h"
#include "state/wall_clock.h"

namespace kpe::clientstats {

using state::WallClock;

/// The latest report of one client instance. Immutable once made.
struct ClientReport {
  /// What the sender added to tell its clients apart ("" when none); a label of every series.
  std::string label;
  Statistics statistics;
  WallClock::time_point received_at{};
};

/// An immutable view of the registry, shared between threads.
struct ClientsSnapshot {
  /// Sorted by (client_id, name, label): one entry per client instance.
  std::vector<std::shared_ptr<const ClientReport>> clients;
  /// Reports since start, by outcome (see IngestStatus).
  uint64_t accepted_total = 0;
  uint64_t malformed_total = 0;
  uint64_t rejected_total = 0;  // kTooManyClients
  uint64_t expired_total = 0;   // clients removed by ExpireOlderThan
  size_t max_clients = 0;
  /// Changes with every change of the content above; equal versions mean equal content.
  uint64_t version = 0;
};

/// Outcome of Ingest, shaped for an HTTP answer.
enum class IngestStatus {
  kOk,              // stored (HTTP 200/204)
  kMalformed,       // not a statistics document, or a bad label (HTTP 400)
  kTooManyClients,  // a new client while max_clients are known (HTTP 429)
};

struct IngestResult {
  IngestStatus status = IngestStatus::kOk;
  /// "" for kOk; otherwise a short, one-line reason meant for the sender, e.g.
  /// "not JSON: ...", "brokers.\"b:9092/1\".rtt: expected an object",
  /// "too many clients: 1000 are reporting (max_clients); client not stored".
  std::string reason;

  bool ok() const { return status == IngestStatus::kOk; }
};

/// Stores the latest report of each client instance, keyed by (client_id, handle name, label).
/// Thread-safe: any method may be called from any thread concurrently; parsing happens outside the
/// lock.
class ClientRegistry {
 public:
  /// Longest label accepted by Ingest, in bytes.
  static constexpr size_t kMaxLabelBytes = 128;

  /// `max_clients`: most client instances kept at once (reports of new clients beyond it are
  /// refused with kTooManyClients until some expire); 0 means no client is accepted.
  explicit ClientRegistry(size_t max_clients);

  /// Parses `body` (one librdkafka statistics document) and, when valid, stores it as the latest
  /// report of its client, received at `now`. `label` must be valid UTF-8 of at most
  /// kMaxLabelBytes. Never throws for bad input (std::bad_alloc aside).
  IngestResult Ingest(std::string_view body, std::string label, WallClock::time_point now);

  /// Removes the clients whose latest report was received before `now - ttl`, so their series
  /// disappear. Returns how many were removed.
  size_t ExpireOlderThan(WallClock::duration ttl, WallClock::time_point now);

  /// The current content. Cheap when nothing changed since the previous call: the same snapshot is
  /// returned again; otherwise a new one shares the reports (not copied).
  std::shared_ptr<const ClientsSnapshot> Snapshot() const;

  /// Number of client instances currently stored.
  size_t Size() const;

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // client_id, name, label

  const size_t max_clients_;
  mutable std::mutex mutex_;
  std::map<Key, std::shared_ptr<const ClientReport>> clients_;  // guarded by mutex_
  uint64_t accepted_total_ = 0;                                 // guarded by mutex_
  uint64_t malformed_total_ = 0;                                // guarded by mutex_
  uint64_t rejected_total_ = 0;                                 // guarded by mutex_
  uint64_t expired_total_ = 0;                                  // guarded by mutex_
  uint64_t version_ = 1;                                        // guarded by mutex_
  mutable std::shared_ptr<const ClientsSnapshot> snapshot_;     // guarded by mutex_
};

}  // namespace kpe::clientstats
