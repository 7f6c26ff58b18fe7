#include "config/validate.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "config/checks.h"

namespace kpe::config {
namespace {

using detail::Quote;

std::string FormatDuration(Duration duration) {
  const auto ms = duration.count();
  if (ms % 3'600'000 == 0 && ms != 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

/// Key paths of one cluster's settings. The single-cluster file keeps them in the top-level kafka,
/// topics and groups sections; a future `clusters:` list would use "clusters[i].kafka" and so on.
struct ClusterPaths {
  std::string kafka;
  std::string topics;
  std::string groups;
};

ClusterPaths PathsOf(std::size_t index, std::size_t count) {
  if (count == 1) return {"kafka", "topics", "groups"};
  const std::string prefix = "clusters[" + std::to_string(index) + "]";
  return {prefix + ".kafka", prefix + ".topics", prefix + ".groups"};
}

/// Checks one Config; messages start with where the bad value was set when that is known.
class Checker {
 public:
  explicit Checker(const Config& config) : config_(config) {}

  [[noreturn]] void Fail(const std::string& path, const std::string& message) const {
    const auto origin = config_.origins.find(path);
    const std::string where = origin == config_.origins.end() ? "" : origin->second + ": ";
    throw ConfigError(where + path + ": " + message);
  }

  void OneOf(const std::string& path, const std::string& value,
             std::initializer_list<const char*> choices) const {
    std::string list;
    for (const char* choice : choices) {
      if (value == choice) return;
      list += (list.empty() ? "" : ", ") + std::string(choice);
    }
    Fail(path, "invalid value " + Quote(value) + " (valid: " + list + ")");
  }

  void InRange(const std::string& path, Duration value, Duration min, Duration max) const {
    if (value < min || value > max) {
      Fail(path, "duration " + FormatDuration(value) + " out of range (valid: " +
                     FormatDuration(min) + " to " + FormatDuration(max) + ")");
    }
  }

  // Rewrites a ConfigError of NameFilter so that it starts with the origin of the bad pattern.
  NameFilter Filter(const FilterConfig& filter, const std::string& path) const {
    for (const auto& [key, pattern] :
         {std::pair{".filter", &filter.filter}, std::pair{".exclude", &filter.exclude}}) {
      if (const std::string error = detail::RegexError(*pattern); !error.empty()) {
        Fail(path + key, "invalid regular expression " + Quote(*pattern) + ": " + error);
      }
    }
    return NameFilter(filter, path);
  }

 private:
  const Config& config_;
};

void CheckWeb(const Checker& check, const WebConfig& web, ValidatedConfig& out) {
  const detail::HostPort listen = detail::ParseHostPort(web.listen_address);
  if (!listen.error.empty()) check.Fail("web.listen_address", listen.error);
  out.listen_host = listen.host;
  out.listen_port = listen.port;

  const std::string& path = web.telemetry_path;
  if (!path.starts_with('/') || path == "/" || path == "/healthz" || path == "/readyz") {
    check.Fail("web.telemetry_path",
               "invalid path " + Quote(path) +
                   " (must start with '/' and must not be \"/\", \"/healthz\" or \"/readyz\")");
  }
  if (web.max_connections < 1 || web.max_connections > 100000) {
    check.Fail("web.max_connections", "value " + std::to_string(web.max_connections) +
                                          " out of range (valid: 1 to 100000)");
  }
  check.InRange("web.read_timeout", web.read_timeout, Duration(100), Duration(600'000));
}

void CheckCollection(const Checker& check, const CollectionConfig& collection,
                     const std::string& path = "collection") {
  check.InRange(path + ".interval", collection.interval, Duration(1000), Duration(3'600'000));
  if (collection.timeout < Duration(100) || collection.timeout > collection.interval) {
    check.Fail(path + ".timeout",
               "duration " + FormatDuration(collection.timeout) +
                   " out of range (valid: 100ms to " + path + ".interval, which is " +
                   FormatDuration(collection.interval) + ")");
  }
  if (collection.max_interval < collection.interval || collection.max_interval > Duration(86'400'000)) {
    check.Fail(path + ".max_interval", "duration " + FormatDuration(collection.max_interval) +
                                              " out of range (valid: " + path + ".interval, which is " +
                                              FormatDuration(collection.interval) + ", to 24h)");
  }
  check.InRange(path + ".metadata_ttl", collection.metadata_ttl, Duration(1000), Duration(86'400'000));
  check.InRange(path + ".group_list_ttl", collection.group_list_ttl, Duration(1000), Duration(86'400'000));
  check.InRange(path + ".group_description_ttl", collection.group_description_ttl, Duration(1000),
                Duration(86'400'000));
  check.InRange(path + ".cpu_window", collection.cpu_window, Duration(10'000), Duration(3'600'000));
  if (!(collection.cpu_budget >= 0 && collection.cpu_budget <= 64)) {
    check.Fail(path + ".cpu_budget", "value " + std::to_string(collection.cpu_budget) +
                                            " out of range (valid: 0 to 64 cores; 0.01 is 1% of one core, "
                                            "0 turns the governor off)");
  }
  if (collection.max_backoff < Duration(1000)) {
    check.Fail(path + ".max_backoff", "duration " + FormatDuration(collection.max_backoff) +
                                             " too short (valid: 1s or more)");
  }
}

ValidatedCluster CheckCluster(const Checker& check, ClusterConfig cluster,
                              const ClusterPaths& paths, bool demo) {
  // Labels our series carry themselves; a constant label of the same name would clash with them.
  static const std::set<std::string> kReserved = {
      "topic", "partition", "id", "address", "rack", "collector", "cluster_id", "version",
      "librdkafka_version", "consumergroup", "state", "status", "broker", "client_id"};
  for (const auto& [name, value] : cluster.labels) {
    if (const std::string error = detail::LabelNameError(name); !error.empty()) {
      check.Fail(paths.kafka + ".labels." + name, error);
    }
    if (kReserved.count(name) != 0) {
      check.Fail(paths.kafka + ".labels." + name,
                 "label name " + Quote(name) + " is used by the exporter's own series; choose another");
    }
  }
  if (const auto label = cluster.labels.find("cluster"); label != cluster.labels.end()) {
    if (cluster.name.empty()) {
      cluster.name = label->second;
    } else if (cluster.name != label->second) {
      check.Fail(paths.kafka + ".labels.cluster",
                 "label value " + Quote(label->second) + " differs from " + paths.kafka +
                     ".cluster_name " + Quote(cluster.name) +
                     " (the cluster label is set from cluster_name; remove one of them)");
    }
    cluster.labels.erase(label);
  }
  if (cluster.name.empty()) cluster.name = "default";

  if (cluster.servers.empty() && !demo) {
    check.Fail(paths.kafka + ".servers",
               "at least one HOST:PORT is required (or run with demo: true / --demo)");
  }
  for (std::size_t i = 0; i < cluster.servers.size(); ++i) {
    const std::string& server = cluster.servers[i];
    const std::string path = paths.kafka + ".servers[" + std::to_string(i) + "]";
    const detail::HostPort parsed = detail::ParseHostPort(server);
    if (!parsed.error.empty()) check.Fail(path, parsed.error);
    if (parsed.host.empty() || parsed.port == 0) {
      check.Fail(path, "invalid server " + Quote(server) + " (expected HOST:PORT, port 1..65535)");
    }
  }
  if (cluster.client_id.empty()) check.Fail(paths.kafka + ".client_id", "must not be empty");
  for (const auto& [key, value] : cluster.properties) {
    if (key.empty()) check.Fail(paths.kafka + ".properties", "empty property name");
  }
  NameFilter topics = check.Filter(cluster.topics, paths.topics);
  NameFilter groups = check.Filter(cluster.groups, paths.groups);
  return ValidatedCluster{std::move(cluster), std::move(topics), std::move(groups)};
}

}  // namespace

std::shared_ptr<const ValidatedConfig> Validate(Config config) {
  const Checker check(config);
  auto out = std::make_shared<ValidatedConfig>();

  CheckWeb(check, config.web, *out);
  check.OneOf("log.level", config.log.level, {"trace", "debug", "info", "warn", "error", "off"});
  check.OneOf("log.format", config.log.format, {"text", "json"});
  // max_interval left at its default follows a longer interval.
  if (config.origins.count("collection.max_interval") == 0 &&
      config.collection.max_interval < config.collection.interval) {
    config.collection.max_interval = config.collection.interval;
  }
  // A timeout left at its default follows a shorter interval (e.g. --collection.interval=5s alone).
  if (config.origins.count("collection.timeout") == 0 && config.collection.timeout > config.collection.interval) {
    config.collection.timeout = config.collection.interval;
  }
  CheckCollection(check, config.collection);
  if (config.e2e.enabled) {
    check.OneOf("e2e.acks", config.e2e.acks, {"all", "-1", "1", "0"});
    check.InRange("e2e.interval", config.e2e.interval, Duration(100), Duration(3'600'000));
    check.InRange("e2e.sla", config.e2e.sla, Duration(100), Duration(3'600'000));
    check.InRange("e2e.timeout", config.e2e.timeout, Duration(100), Duration(60'000));
    check.InRange("e2e.metadata_interval", config.e2e.metadata_interval, Duration(1000), Duration(3'600'000));
    if (config.e2e.topic.empty()) check.Fail("e2e.topic", "must not be empty");
    if (config.e2e.replication_factor < 1 || config.e2e.replication_factor > 32) {
      check.Fail("e2e.replication_factor", "value " + std::to_string(config.e2e.replication_factor) +
                                               " out of range (valid: 1 to 32)");
    }
    if (config.e2e.commit_every < 0) {
      check.Fail("e2e.commit_every", "value " + std::to_string(config.e2e.commit_every) +
                                          " out of range (valid: 0 for never, or a positive count)");
    }
  }
  if (config.client_stats.max_body_bytes < 1024 || config.client_stats.max_body_bytes > 64 * 1024 * 1024) {
    check.Fail("client_stats.max_body_bytes", "value " + std::to_string(config.client_stats.max_body_bytes) +
                                                  " out of range (valid: 1024 to 67108864)");
  }
  if (config.client_stats.max_clients < 1 || config.client_stats.max_clients > 1'000'000) {
    check.Fail("client_stats.max_clients", "value " + std::to_string(config.client_stats.max_clients) +
                                               " out of range (valid: 1 to 1000000)");
  }
  check.InRange("client_stats.ttl", config.client_stats.ttl, Duration(1000), Duration(86'400'000));
  check.InRange("topic_configs.ttl", config.topic_configs.ttl, Duration(60'000), Duration(7 * 86'400'000LL));
  if (config.shard.count < 1 || config.shard.count > 10000) {
    check.Fail("shard.count", "value " + std::to_string(config.shard.count) +
                                  " out of range (valid: 1 to 10000)");
  }
  if (config.shard.index < 0 || config.shard.index >= config.shard.count) {
    check.Fail("shard.index", "value " + std::to_string(config.shard.index) +
                                  " out of range (valid: 0 to shard.count - 1, which is " +
                                  std::to_string(config.shard.count - 1) + ")");
  }
  if (config.lag.precise_max_reads < 1 || config.lag.precise_max_reads > 100000) {
    check.Fail("lag.precise_max_reads", "value " + std::to_string(config.lag.precise_max_reads) +
                                            " out of range (valid: 1 to 100000)");
  }
  if (config.metrics.max_series < 0) {
    check.Fail("metrics.max_series", "value " + std::to_string(config.metrics.max_series) +
                                         " out of range (valid: 0 for no budget, or a positive count)");
  }

  if (config.clusters.empty()) check.Fail("kafka", "no cluster configured");
  for (std::size_t i = 0; i < config.clusters.size(); ++i) {
    auto& own = config.clusters[i].collection;
    if (!own) continue;
    const std::string path = "clusters[" + std::to_string(i) + "].collection";
    if (config.origins.count(path + ".max_interval") == 0 && own->max_interval < own->interval) {
      own->max_interval = own->interval;
    }
    if (config.origins.count(path + ".timeout") == 0 && own->timeout > own->interval) own->timeout = own->interval;
    CheckCollection(check, *own, path);
  }
  // No Kafka address anywhere: show the embedded demo cluster instead of failing (the README's first
  // command); the App says so loudly at start and on the landing page.
  if (config.clusters.size() == 1 && config.clusters.front().servers.empty()) config.demo = true;
  std::set<std::string> names;
  for (std::size_t i = 0; i < config.clusters.size(); ++i) {
    const ClusterPaths paths = PathsOf(i, config.clusters.size());
    out->clusters.push_back(CheckCluster(check, config.clusters[i], paths, config.demo));
    const std::string& name = out->clusters.back().config.name;
    if (!names.insert(name).second) {
      check.Fail(paths.kafka + ".cluster_name", "duplicate cluster name " + Quote(name));
    }
  }
  for (std::size_t i = 0; i < config.clusters.size(); ++i) {
    config.clusters[i] = out->clusters[i].config;
  }
  out->config = std::move(config);
  return out;
}

}  // namespace kpe::config
