#pragma once
// Plain configuration structs with their defaults. Loading (YAML, flags) and validation live in
// loader.h, flags.h and validate.h; nothing here does I/O.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace re2 {
class RE2;
}

namespace kpe::config {

using Duration = std::chrono::milliseconds;

/// Include/exclude regex pair as written by the user (RE2 syntax, searched anywhere in the name like
/// kafka_exporter does; anchor with ^...$ for whole names).
struct FilterConfig {
  std::string filter = ".*";
  std::string exclude = "^$";
  bool operator==(const FilterConfig&) const = default;
};

struct CollectionConfig {
  /// Time between two collection cycles of a cluster.
  Duration interval{15000};

  /// Deadline for one request (metadata, offsets) to the cluster.
  Duration timeout{10000};
  /// Longest wait between reconnection attempts while the cluster is unreachable.
  Duration max_backoff{60000};

  /// Adaptive sampling: each topic and group is sampled between `interval` (busy or changing) and
  /// `max_interval` (idle and steady). Off: everything every `interval`.
  bool adaptive_sampling = true;
  Duration max_interval{120000};
  /// Caches of metadata, the group list and group descriptions between cycles. Off: asked every cycle.
  bool cache = true;
  Duration metadata_ttl{60000};
  Duration group_list_ttl{60000};
  Duration group_description_ttl{300000};
  /// The CPU governor stretches every interval while the exporter uses more than this many cores
  /// (0.01 = 1% of one core), measured over `cpu_window`. 0 disables it.
  double cpu_budget = 0.01;
  Duration cpu_window{120000};
  bool operator==(const CollectionConfig&) const = default;
};

/// One Kafka cluster to watch.
struct ClusterConfig {
  /// Value of the `cluster` label on every series of this cluster. Defaults to the `cluster` entry
  /// of `labels` when present, else "default".
  std::string name;
  /// Bootstrap servers, HOST:PORT each. Empty only in demo mode (the demo cluster fills it in).
  std::vector<std::string> servers;
  /// Constant labels added to every series of this cluster (kafka_exporter's --kafka.labels).
  std::map<std::string, std::string> labels;
  /// Pass-through librdkafka properties (e.g. security.protocol), applied after ours.
  std::map<std::string, std::string> properties;
  std::string client_id = "kafka-perf-exporter";
  FilterConfig topics;
  FilterConfig groups;
  /// Consumer groups to watch when the brokers refuse to list groups (no ListGroups support, or the
  /// principal lacks Describe on the cluster). Used as named, without the group filters.
  std::vector<std::string> static_groups;
  /// Export __consumer_offsets, __transaction_state and other topics starting with "__".
  bool include_internal_topics = false;
  /// This cluster's own collection settings (a `collection:` section in its clusters entry), starting
  /// from the top-level ones; unset: the top-level ones. The CPU budget stays global.
  std::optional<CollectionConfig> collection;
  bool operator==(const ClusterConfig&) const = default;
};

struct WebConfig {
  /// exporter-toolkit web configuration (TLS, basic auth, headers); "" for plain HTTP without auth.
  std::string config_file;
  /// POST /-/reload re-reads the configuration (as SIGHUP does).
  bool enable_lifecycle = false;
  std::string listen_address = ":9308";
  std::string telemetry_path = "/metrics";
  /// Connections served at once; further ones wait in the kernel's accept queue.
  int max_connections = 512;
  /// A request must arrive in full within this time.
  Duration read_timeout{10000};
  bool operator==(const WebConfig&) const = default;
};

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error, off
  std::string format = "text";  // text, json
  bool operator==(const LogConfig&) const = default;
};


struct LagConfig {
  /// Read the timestamp of the record at each lagging committed offset for lag in seconds (exact,
  /// costs a fetch per new offset, cached), instead of interpolating the offset history.
  bool precise = false;
  /// Uncached record reads per cycle and cluster in precise mode (the rest wait for the next cycle).
  int precise_max_reads = 100;
  bool operator==(const LagConfig&) const = default;
};

struct MetricsConfig {
  /// Most series rendered per scrape; over it, the least interesting topics' per-partition series are
  /// folded into per-topic aggregates (partition="all"). 0: no budget.
  int max_series = 0;
  /// Per-partition families always rendered per topic (e.g. kafka_topic_partition_oldest_offset).
  std::vector<std::string> topic_granularity;
  bool operator==(const MetricsConfig&) const = default;
};

/// Topic configuration read with DescribeConfigs (for kafka_topic_config, under-min-ISR and advice).
struct TopicConfigsConfig {
  bool enabled = true;
  /// The configuration keys exported and used; empty: every key the broker returns.
  std::vector<std::string> keys = {"cleanup.policy",   "compression.type", "max.message.bytes",
                                   "min.insync.replicas", "retention.bytes", "retention.ms",
                                   "segment.bytes"};
  /// Topic configurations change rarely: read again after this long.
  Duration ttl{3'600'000};
  bool operator==(const TopicConfigsConfig&) const = default;
};

/// End-to-end probe: produce to and consume from a canary topic of each cluster, measuring what a
/// producer and a consumer experience (see e2e/probe.h). Off unless enabled.
struct E2EConfig {
  bool enabled = false;
  std::string topic = "kafka-perf-exporter-canary";
  std::string acks = "all";  // all, -1, 1, 0
  bool create_topic = true;
  int replication_factor = 3;
  Duration interval{1000};
  Duration sla{10000};
  std::string group_id = "kafka-perf-exporter-probe";  // "" for no commits
  int commit_every = 10;
  Duration metadata_interval{30000};
  /// Deadline of the probe's metadata requests and topic creation (kept short: it bounds stopping).
  Duration timeout{5000};
  bool operator==(const E2EConfig&) const = default;
};

/// POST /api/v1/librdkafka/stats: applications' librdkafka statistics, exported as kafka_client_*.
struct ClientStatsConfig {
  bool enabled = false;
  /// File holding a bearer token that posts must carry (Authorization: Bearer ...). Without one, only
  /// peers on loopback (a sidecar) may post.
  std::string token_file;
  /// Largest accepted document; bigger ones get 413.
  int max_body_bytes = 8 * 1024 * 1024;
  /// A client that has not reported for this long disappears (its series with it).
  Duration ttl{300'000};
  /// Clients tracked at once; reports of further clients get 429.
  int max_clients = 1000;
  bool operator==(const ClientStatsConfig&) const = default;
};

/// Splitting the work across replicas: consumer groups and topics are owned by the replica whose
/// index is hash(name) mod count; cluster-wide series come from replica 0 only.
struct ShardConfig {
  int index = 0;
  int count = 1;
  bool operator==(const ShardConfig&) const = default;
};

struct Config {
  WebConfig web;
  ShardConfig shard;
  TopicConfigsConfig topic_configs;
  E2EConfig e2e;
  ClientStatsConfig client_stats;
  /// Overrides of the tuning advisor's thresholds by name (see advice/thresholds.h and the example
  /// config); names are checked when the advisor starts.
  std::map<std::string, double> advice;
  LogConfig log;
  CollectionConfig collection;
  LagConfig lag;
  MetricsConfig metrics;
  std::vector<ClusterConfig> clusters;  // at least one after loading
  /// Run librdkafka's mock cluster in-process with a demo workload and watch it.
  bool demo = false;
  /// Where the config came from (file path or "<flags>"), for messages.
  std::string source = "<defaults>";
  /// Where each explicitly set value came from, by key path ("web.listen_address",
  /// "kafka.servers[0]", "kafka.labels.env"): "FILE:LINE:COL" or the flag ("--web.listen-address").
  /// Validate() prefixes its messages with it, so a bad value points at the line that set it.
  std::map<std::string, std::string> origins;
};

/// Include/exclude filter compiled once (RE2: linear time on any input). Thread-safe: immutable.
class NameFilter {
 public:
  /// Throws ConfigError (see loader.h) if a pattern does not compile. `where` is the key path of
  /// the section (e.g. "topics"); the message names "topics.filter" or "topics.exclude" and RE2's
  /// error.
  NameFilter(const FilterConfig& config, const std::string& where);
  ~NameFilter();
  NameFilter(NameFilter&&) noexcept;
  NameFilter& operator=(NameFilter&&) noexcept;

  /// True when `filter` matches somewhere in `name` and `exclude` matches nowhere in it.
  bool Matches(const std::string& name) const;

 private:
  std::unique_ptr<re2::RE2> include_;
  std::unique_ptr<re2::RE2> exclude_;
};

struct ValidatedCluster {
  ClusterConfig config;
  NameFilter topic_filter;
  NameFilter group_filter;
};

/// A Config that passed Validate(): every component takes this, so validation cannot be skipped.
/// Immutable after construction; share it as shared_ptr<const ValidatedConfig>.
struct ValidatedConfig {
  Config config;
  std::vector<ValidatedCluster> clusters;
  /// Parsed web.listen_address.
  std::string listen_host;  // "" means all interfaces
  uint16_t listen_port = 9308;
};

}  // namespace kpe::config
