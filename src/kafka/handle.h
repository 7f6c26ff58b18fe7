#pragma once
// Internal to src/kafka/: the one place that builds the librdkafka handle of each of the exporter's own
// clients (ClusterClient, GroupClient, RecordTimestampReader): common properties, the client's own defaults,
// the user's properties last, logs to spdlog, client errors logged once each, optional statistics.

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kafka/cluster_client.h"
#include "kafka/rdkafka_ptr.h"

namespace kpe::kafka::rd {

/// What differs between the exporter's clients when their handle is built.
struct HandleSpec {
  /// Names the client in its error messages and log lines ("kafka group client").
  std::string what;
  /// This client's own properties, applied after the common ones and before the user's.
  std::vector<std::pair<std::string, std::string>> defaults;
  /// Whether options.statistics_interval is applied and each statistics JSON goes to options.on_statistics.
  bool statistics = false;
  /// Whether an error already logged is logged again at debug level ("... (again)") rather than dropped.
  bool debug_repeated_errors = false;
};

/// What the handle's callbacks use (their opaque): the client's name for log lines, the memory of the
/// errors already logged, the statistics receiver. Thread-safe: librdkafka may call it from any thread.
class HandleCallbacks {
 public:
  HandleCallbacks(std::string what, std::string client_id, bool debug_repeated_errors,
                  std::function<void(std::string_view json)> on_statistics);

  /// Logs a client error as a warning the first time it is seen (librdkafka's "(after ...)" suffix
  /// ignored), then at debug level or not at all, per HandleSpec::debug_repeated_errors.
  void OnError(int err, const char* reason);
  /// Hands the statistics JSON to on_statistics, if any.
  void OnStatistics(std::string_view json) const;

 private:
  const std::string what_;
  const std::string client_id_;
  const bool debug_repeated_errors_;
  const std::function<void(std::string_view json)> on_statistics_;

  std::mutex errors_mutex_;
  std::set<std::string> logged_errors_;  // guarded by errors_mutex_
};

/// An owned handle with the state its callbacks point to. Movable; the callbacks' state keeps its address
/// and is destroyed after the handle (members are destroyed in reverse order).
struct Handle {
  std::unique_ptr<HandleCallbacks> callbacks;
  HandlePtr rk;

  rd_kafka_t* get() const { return rk.get(); }
};

/// Builds a handle of `type` for options.servers (must not be empty: each client checks it first) and
/// options.client_id with the exporter's common properties, then spec.defaults, then (if spec.statistics
/// and options.statistics_interval > 0) statistics.interval.ms, then options.properties, so the user can
/// override anything. Logs go to spdlog, client errors to HandleCallbacks::OnError.
/// Throws std::invalid_argument("kafka property 'NAME': <librdkafka's message>") for a rejected property,
/// std::invalid_argument("<spec.what>: <librdkafka's message>") when librdkafka cannot create the handle.
Handle NewHandle(rd_kafka_type_t type, const ClientOptions& options, const HandleSpec& spec);

}  // namespace kpe::kafka::rd
