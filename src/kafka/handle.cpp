#include "kafka/handle.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <stdexcept>
#include <thread>

#include "config/secrets.h"
#include "util/thread_priority.h"

namespace kpe::kafka::rd {
namespace {

// How many distinct error_cb messages are remembered (so each is logged once); beyond it the memory is
// cleared, so at worst an error is logged again.
constexpr size_t kMaxRememberedErrors = 256;

// Enough for every secret of a few clusters across reloads; older ones are forgotten first.
constexpr size_t kMaxRememberedSecrets = 64;

struct SecretStore {
  std::mutex mutex;
  std::deque<std::string> values;  // guarded by mutex; distinct, oldest first
};

SecretStore& Secrets() {
  static SecretStore store;
  return store;
}

std::string Join(const std::vector<std::string>& parts, const char* separator) {
  std::string joined;
  for (const auto& part : parts) {
    if (!joined.empty()) joined += separator;
    joined += part;
  }
  return joined;
}

void LogCallback(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  auto spd_level = spdlog::level::trace;
  if (level <= 2) {
    spd_level = spdlog::level::critical;
  } else if (level == 3) {
    spd_level = spdlog::level::err;
  } else if (level == 4) {
    spd_level = spdlog::level::warn;
  } else if (level == 5) {
    spd_level = spdlog::level::info;
  } else if (level == 6) {
    spd_level = spdlog::level::debug;
  }
  // Connection failures also reach error_cb, which logs each distinct one once; at error level here they
  // would repeat on every reconnect attempt of an unreachable cluster.
  if (std::string_view(facility) == "FAIL") spd_level = std::min(spd_level, spdlog::level::debug);
  spdlog::log(spd_level, "librdkafka {} [{}] {}", rd_kafka_name(rk), facility, RedactSecrets(message));
}

}  // namespace

void RememberSecret(const std::string& value) {
  if (value.empty()) return;
  auto& store = Secrets();
  std::lock_guard lock(store.mutex);
  if (std::find(store.values.begin(), store.values.end(), value) != store.values.end()) return;
  if (store.values.size() >= kMaxRememberedSecrets) store.values.pop_front();
  store.values.push_back(value);
}

std::string RedactSecrets(std::string message) {
  auto& store = Secrets();
  std::lock_guard lock(store.mutex);
  for (const auto& secret : store.values) message = config::RedactValue(std::move(message), secret);
  return message;
}

void SetProperty(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  const bool sensitive = config::IsSensitiveProperty(name);
  if (sensitive) RememberSecret(value);
  char error[512] = "";
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    // librdkafka's message may quote the value ("Invalid value \"...\" for configuration property").
    throw std::invalid_argument("kafka property '" + name + "': " +
                                (sensitive ? config::RedactValue(error, value) : RedactSecrets(error)));
  }
}

void RouteLogsToSpdlog(rd_kafka_conf_t* conf) { rd_kafka_conf_set_log_cb(conf, LogCallback); }

rd_kafka_t* NewInBackground(rd_kafka_type_t type, rd_kafka_conf_t* conf, char* error, size_t error_size) {
  // A thread's nice value is inherited by the threads it starts, and librdkafka starts every thread of
  // a handle either in rd_kafka_new or from one of those. (Not an on_thread_start interceptor: with an
  // interceptor on its conf, a failing rd_kafka_new in librdkafka 2.0.2 frees the conf's interceptors,
  // and destroying the conf then frees them again: librdkafka issue #4142.)
  rd_kafka_t* rk = nullptr;
  std::thread([&] {
    util::RunThisThreadInBackground();  // refused: the threads run as before, nothing to report
    rk = rd_kafka_new(type, conf, error, error_size);
  }).join();
  return rk;
}

HandleCallbacks::HandleCallbacks(std::string what, std::string client_id, bool debug_repeated_errors,
                                 std::function<void(std::string_view json)> on_statistics)
    : what_(std::move(what)),
      client_id_(std::move(client_id)),
      debug_repeated_errors_(debug_repeated_errors),
      on_statistics_(std::move(on_statistics)) {}

void HandleCallbacks::OnError(int err, const char* reason) {
  std::string message =
      RedactSecrets(std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) + ": " + reason);
  // librdkafka appends "(after 0ms in state CONNECT, 3 identical error(s) suppressed)": the same error.
  if (auto suffix = message.rfind(" (after "); suffix != std::string::npos) message.resize(suffix);
  {
    std::lock_guard lock(errors_mutex_);
    if (logged_errors_.size() >= kMaxRememberedErrors) logged_errors_.clear();
    if (!logged_errors_.insert(message).second) {
      if (debug_repeated_errors_) spdlog::debug("{} {}: {} (again)", what_, client_id_, message);
      return;
    }
  }
  spdlog::warn("{} {}: {}", what_, client_id_, message);
}

void HandleCallbacks::OnStatistics(std::string_view json) const {
  if (on_statistics_) on_statistics_(json);
}

Handle NewHandle(rd_kafka_type_t type, const ClientOptions& options, const HandleSpec& spec) {
  ConfPtr conf(rd_kafka_conf_new());
  SetProperty(conf.get(), "bootstrap.servers", Join(options.servers, ","));
  SetProperty(conf.get(), "client.id", options.client_id);
  SetProperty(conf.get(), "socket.keepalive.enable", "true");
  // An unreachable cluster then costs one connection attempt per broker every 10 s at most.
  SetProperty(conf.get(), "reconnect.backoff.ms", "500");
  SetProperty(conf.get(), "reconnect.backoff.max.ms", "10000");
  // Our clients are group-less: they never commit.
  SetProperty(conf.get(), "enable.auto.commit", "false");
  SetProperty(conf.get(), "log.connection.close", "false");
  for (const auto& [name, value] : spec.defaults) SetProperty(conf.get(), name, value);
  if (spec.statistics && options.statistics_interval.count() > 0) {
    SetProperty(conf.get(), "statistics.interval.ms", std::to_string(options.statistics_interval.count()));
  }
  for (const auto& [name, value] : options.properties) SetProperty(conf.get(), name, value);

  Handle handle;
  handle.callbacks = std::make_unique<HandleCallbacks>(
      spec.what, options.client_id, spec.debug_repeated_errors,
      spec.statistics ? options.on_statistics : std::function<void(std::string_view)>());
  rd_kafka_conf_set_opaque(conf.get(), handle.callbacks.get());
  RouteLogsToSpdlog(conf.get());
  rd_kafka_conf_set_error_cb(conf.get(), [](rd_kafka_t*, int err, const char* reason, void* opaque) {
    static_cast<HandleCallbacks*>(opaque)->OnError(err, reason);
  });
  if (spec.statistics) {
    rd_kafka_conf_set_stats_cb(conf.get(), [](rd_kafka_t*, char* json, size_t json_len, void* opaque) {
      static_cast<HandleCallbacks*>(opaque)->OnStatistics(std::string_view(json, json_len));
      return 0;  // librdkafka frees json
    });
  }

  char error[512] = "";
  handle.rk.reset(NewInBackground(type, conf.get(), error, sizeof error));
  if (!handle.rk) throw std::invalid_argument(spec.what + ": " + RedactSecrets(error));
  conf.release();  // owned by the handle from here on
  return handle;
}

}  // namespace kpe::kafka::rd
