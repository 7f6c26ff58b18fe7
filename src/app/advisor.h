#pragma once
// The tuning advisor as the application runs it: thresholds from the config, the snapshots it needs to
// measure rates, and the findings over them and the application clients' statistics, for GET /advice,
// kafka_advice and the `advise` subcommand.

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "advice/finding.h"
#include "advice/thresholds.h"
#include "clientstats/client_registry.h"
#include "config/config.h"
#include "http/server.h"
#include "state/snapshot.h"

namespace kpe::app {

/// Keeps, per cluster (by its `cluster` name), the latest snapshot and the newest earlier one taken at
/// least min_rate_interval before it (for produce rates), and evaluates the advice rules on them.
/// Thread-safe: Observe and Findings may be called from any threads concurrently.
class Advisor {
 public:
  /// Most snapshots kept per cluster while waiting for one that is min_rate_interval old.
  static constexpr size_t kMaxHistory = 64;

  /// Thresholds are the defaults overridden by `config.advice` (SetThreshold). Throws
  /// config::ConfigError with SetThreshold's message (prefixed with where the key was set, when
  /// config.origins knows it) on an unknown name or a bad value.
  explicit Advisor(const config::Config& config);

  /// Records the clusters' latest snapshots (null entries and snapshots already seen are ignored).
  /// Call on every publish with the current list; cheap (no evaluation here).
  void Observe(const std::vector<std::shared_ptr<const state::ClusterSnapshot>>& snapshots);

  /// Every cluster's snapshot rules (advice::Evaluate on its latest snapshot, rates measured from the
  /// earlier one when there is one) plus the client rules on `clients` (null: none), sorted with
  /// advice::SortFindings. Evaluates on the caller's thread, outside the lock.
  std::vector<advice::Finding> Findings(const clientstats::ClientsSnapshot* clients) const;

  const advice::Thresholds& thresholds() const { return thresholds_; }

 private:
  using SnapshotPtr = std::shared_ptr<const state::ClusterSnapshot>;

  const advice::Thresholds thresholds_;
  mutable std::mutex mutex_;
  // Per cluster, oldest first; the front is the newest snapshot at least min_rate_interval older than
  // the back (or the oldest kept while none is that old yet).
  std::map<std::string, std::deque<SnapshotPtr>> history_;  // guarded by mutex_
};

/// GET /advice: FindingsToJson (application/json) unless the request's Accept header prefers
/// text/html, then FindingsToHtml (text/html; charset=utf-8). text/html is preferred when it is listed
/// with q > 0 and with a higher q than application/json, or an equal q and listed first; "*/*",
/// absent or unparsable headers give JSON. Answers carry "Vary: Accept" and "Cache-Control: no-store".
http::Response AdviceResponse(const std::vector<advice::Finding>& findings, const http::Request& request);

/// True when `accept` (an Accept header value) prefers text/html over application/json as above.
bool PrefersHtml(const std::string& accept);

}  // namespace kpe::app
