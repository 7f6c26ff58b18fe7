#include "config/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/checks.h"
#include "config/secrets.h"
#include "util/yaml_documents.h"
#include "util/yaml_text.h"

namespace kpe::config {
namespace {

using detail::Quote;
using Keys = std::vector<std::string_view>;

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string Describe(const YAML::Node& node) {
  return util::DescribeYamlNode(node, [](const std::string& text) { return Quote(text); });
}

/// Reads one YAML document into a Config, recording where each value came from. Not thread-safe;
/// one instance per load.
class YamlReader {
 public:
  YamlReader(std::string source, Config& config) : source_(std::move(source)), config_(config) {}

  std::string Where(const YAML::Mark& mark) const {
    if (mark.is_null()) return source_;
    return source_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }

  [[noreturn]] void Fail(const YAML::Mark& mark, const std::string& path,
                         const std::string& message) const {
    throw ConfigError(Where(mark) + ": " + path + ": " + message);
  }

  void ReadDocument(const YAML::Node& root) {
    static const Keys kKeys = {"web",   "log",    "collection", "lag",      "metrics", "shard",
                               "topic_configs", "advice", "e2e", "client_stats", "kafka", "topics", "groups",
                               "clusters", "demo"};
    // The top-level kafka/topics/groups sections describe the one cluster, or, with `clusters:`,
    // the defaults every entry of it starts from.
    ClusterConfig defaults;
    std::optional<Value> clusters;
    ForEachEntry(root, root.Mark(), "", kKeys, [&](const std::string& key, const Value& value) {
      if (key == "web") ReadWeb(value);
      if (key == "log") ReadLog(value);
      if (key == "collection") ReadCollection(value, config_.collection);
      if (key == "lag") ReadLag(value);
      if (key == "metrics") ReadMetrics(value);
      if (key == "shard") ReadShard(value);
      if (key == "topic_configs") ReadTopicConfigs(value);
      if (key == "e2e") ReadE2E(value);
      if (key == "client_stats") ReadClientStats(value);
      if (key == "advice") {
        ForEachEntry(value.node, value.mark, value.path, {}, [&](const std::string& name, const Value& entry) {
          config_.advice[name] = ReadDouble(entry);
        });
      }
      if (key == "kafka") ReadKafkaSection(value, "kafka", defaults);
      if (key == "topics") ReadFilterSection(value, "topics", defaults.topics);
      if (key == "groups") ReadGroupsSection(value, "groups", defaults);
      if (key == "clusters") clusters = value;
      if (key == "demo") config_.demo = ReadBool(value);
    });
    if (!clusters) {
      config_.clusters.assign(1, defaults);
      return;
    }
    if (!defaults.servers.empty()) {
      Fail(clusters->mark, "kafka.servers",
           "not allowed together with clusters (give each cluster its own kafka.servers)");
    }
    ReadClusters(*clusters, defaults);
  }

 private:
  /// A value node with its key path and the best mark for it (a null value has none of its own).
  struct Value {
    YAML::Node node;
    YAML::Mark mark;
    std::string path;
  };
  using EntryHandler = std::function<void(const std::string& key, const Value& value)>;

  // Calls `handler` for each entry of the mapping `node`; rejects unknown and duplicate keys. A
  // null node (a section left empty) has no entries. An empty `valid_keys` accepts any key.
  void ForEachEntry(const YAML::Node& node, const YAML::Mark& mark, const std::string& path,
                    const Keys& valid_keys, const EntryHandler& handler) {
    if (node.IsNull()) return;
    if (!node.IsMap()) {
      Fail(mark, path.empty() ? "(top level)" : path, "expected a mapping, got " + Describe(node));
    }
    std::map<std::string, YAML::Mark> seen;
    for (const auto& entry : node) {
      const YAML::Mark key_mark = entry.first.Mark();
      if (!entry.first.IsScalar()) {
        Fail(key_mark, path.empty() ? "(top level)" : path,
             "expected a plain key, got " + Describe(entry.first));
      }
      const std::string key = entry.first.Scalar();
      const std::string key_path = Join(path, key);
      if (!valid_keys.empty() &&
          std::find(valid_keys.begin(), valid_keys.end(), key) == valid_keys.end()) {
        Fail(key_mark, key_path, "unknown key (valid keys: " + util::JoinKeys(valid_keys) + ")");
      }
      if (const auto [it, inserted] = seen.emplace(key, key_mark); !inserted) {
        Fail(key_mark, key_path, "duplicate key (first set at " + Where(it->second) + ")");
      }
      // A missing value ("key:") is placed by yaml-cpp at the next token; point at the key instead.
      const YAML::Mark value_mark =
          entry.second.IsNull() || entry.second.Mark().is_null() ? key_mark : entry.second.Mark();
      handler(key, Value{entry.second, value_mark, key_path});
    }
  }

  std::string ReadScalar(const Value& value, const std::string& expected) {
    if (!value.node.IsScalar()) {
      Fail(value.mark, value.path, "expected " + expected + ", got " + Describe(value.node));
    }
    config_.origins[value.path] = Where(value.mark);
    return value.node.Scalar();
  }

  std::string ReadString(const Value& value) { return ReadScalar(value, "a string"); }

  int ReadInt(const Value& value) {
    const std::string text = ReadScalar(value, "an integer");
    long long number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        number < std::numeric_limits<int>::min() || number > std::numeric_limits<int>::max()) {
      Fail(value.mark, value.path, "expected an integer, got " + Quote(text));
    }
    return static_cast<int>(number);
  }

  // Only true and false: YAML 1.1's yes/no/on/off are too easy to write by accident.
  bool ReadBool(const Value& value) {
    const std::string text = ReadScalar(value, "true or false");
    if (text == "true") return true;
    if (text == "false") return false;
    Fail(value.mark, value.path, "expected true or false, got " + Quote(text));
  }

  double ReadDouble(const Value& value) {
    const std::string text = ReadScalar(value, "a number");
    double number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
      Fail(value.mark, value.path, "expected a number, got " + Quote(text));
    }
    return number;
  }

  Duration ReadDuration(const Value& value) {
    const std::string text = ReadScalar(value, "a duration");
    try {
      return ParseDuration(text);
    } catch (const std::invalid_argument& e) {
      Fail(value.mark, value.path, e.what());
    }
  }

  std::string ReadRegex(const Value& value) {
    std::string pattern = ReadString(value);
    if (const std::string error = detail::RegexError(pattern); !error.empty()) {
      Fail(value.mark, value.path, "invalid regular expression " + Quote(pattern) + ": " + error);
    }
    return pattern;
  }

  // A mapping of names to scalar values (numbers and booleans are kept as written).
  std::map<std::string, std::string> ReadStringMap(const Value& value, bool label_names) {
    std::map<std::string, std::string> result;
    ForEachEntry(value.node, value.mark, value.path, {},
                 [&](const std::string& key, const Value& v) {
                   if (label_names) {
                     if (const std::string error = detail::LabelNameError(key); !error.empty()) {
                       Fail(v.mark, v.path, error);
                     }
                   }
                   result[key] = ReadString(v);
                 });
    return result;
  }

  // librdkafka properties, with ${file:...} and ${env:...} resolved (errors never show a value).
  std::map<std::string, std::string> ReadProperties(const Value& value) {
    std::map<std::string, std::string> result;
    const auto slash = source_.rfind('/');
    const std::string base_dir = slash == std::string::npos ? "" : source_.substr(0, slash + 1);
    ForEachEntry(value.node, value.mark, value.path, {}, [&](const std::string& key, const Value& v) {
      try {
        result[key] = ResolveSecretReferences(ReadString(v), base_dir);
      } catch (const std::invalid_argument& e) {
        Fail(v.mark, v.path, e.what());
      }
    });
    return result;
  }

  void ReadWeb(const Value& section) {
    static const Keys kKeys = {"listen_address", "telemetry_path", "max_connections",
                               "read_timeout",   "config_file",    "enable_lifecycle"};
    WebConfig& web = config_.web;
    ForEachEntry(section.node, section.mark, section.path, kKeys,
                 [&](const std::string& key, const Value& value) {
                   if (key == "config_file") web.config_file = ResolvePath(ReadString(value));
                   if (key == "enable_lifecycle") web.enable_lifecycle = ReadBool(value);
                   if (key == "listen_address") web.listen_address = ReadString(value);
                   if (key == "telemetry_path") web.telemetry_path = ReadString(value);
                   if (key == "max_connections") web.max_connections = ReadInt(value);
                   if (key == "read_timeout") web.read_timeout = ReadDuration(value);
                 });
  }

  void ReadLog(const Value& section) {
    static const Keys kKeys = {"level", "format"};
    ForEachEntry(section.node, section.mark, section.path, kKeys,
                 [&](const std::string& key, const Value& value) {
                   if (key == "level") config_.log.level = ReadString(value);
                   if (key == "format") config_.log.format = ReadString(value);
                 });
  }

  // `per_cluster`: a clusters entry's own section, which cannot set the (process-wide) CPU budget.
  void ReadCollection(const Value& section, CollectionConfig& c, bool per_cluster = false) {
    static const Keys kKeys = {"interval",     "timeout",        "max_backoff",
                               "adaptive_sampling", "max_interval", "cache",
                               "metadata_ttl", "group_list_ttl", "group_description_ttl",
                               "cpu_budget",   "cpu_window"};
    static const Keys kClusterKeys = {"interval",     "timeout",        "max_backoff",
                                      "adaptive_sampling", "max_interval", "cache",
                                      "metadata_ttl", "group_list_ttl", "group_description_ttl"};
    ForEachEntry(section.node, section.mark, section.path, per_cluster ? kClusterKeys : kKeys,
                 [&](const std::string& key, const Value& value) {
                   if (key == "interval") c.interval = ReadDuration(value);
                   if (key == "timeout") c.timeout = ReadDuration(value);
                   if (key == "max_backoff") c.max_backoff = ReadDuration(value);
                   if (key == "adaptive_sampling") c.adaptive_sampling = ReadBool(value);
                   if (key == "max_interval") c.max_interval = ReadDuration(value);
                   if (key == "cache") c.cache = ReadBool(value);
                   if (key == "metadata_ttl") c.metadata_ttl = ReadDuration(value);
                   if (key == "group_list_ttl") c.group_list_ttl = ReadDuration(value);
                   if (key == "group_description_ttl") c.group_description_ttl = ReadDuration(value);
                   if (key == "cpu_budget") c.cpu_budget = ReadDouble(value);
                   if (key == "cpu_window") c.cpu_window = ReadDuration(value);
                 });
  }

  void ReadClusters(const Value& value, const ClusterConfig& defaults) {
    if (!value.node.IsSequence() || value.node.size() == 0) {
      Fail(value.mark, value.path, "expected a non-empty list of clusters, got " + Describe(value.node));
    }
    static const Keys kKeys = {"name", "kafka", "topics", "groups", "collection"};
    config_.clusters.clear();
    for (std::size_t i = 0; i < value.node.size(); ++i) {
      const std::string path = "clusters[" + std::to_string(i) + "]";
      const YAML::Node item = value.node[i];
      const YAML::Mark mark = item.Mark().is_null() ? value.mark : item.Mark();
      ClusterConfig cluster = defaults;
      std::optional<Value> name;
      ForEachEntry(item, mark, path, kKeys, [&](const std::string& key, const Value& entry) {
        if (key == "name") name = entry;
        if (key == "kafka") ReadKafkaSection(entry, path + ".kafka", cluster);
        if (key == "topics") ReadFilterSection(entry, path + ".topics", cluster.topics);
        if (key == "groups") ReadGroupsSection(entry, path + ".groups", cluster);
        if (key == "collection") {
          CollectionConfig own = config_.collection;
          ReadCollection(entry, own, /*per_cluster=*/true);
          cluster.collection = own;
        }
      });
      if (name) {
        if (config_.origins.count(path + ".kafka.cluster_name") != 0) {
          Fail(name->mark, name->path, "give the name once: name or kafka.cluster_name, not both");
        }
        cluster.name = ReadString(*name);
        config_.origins[path + ".kafka.cluster_name"] = Where(name->mark);
      }
      config_.clusters.push_back(std::move(cluster));
    }
  }

  void ReadTopicConfigs(const Value& section) {
    static const Keys kKeys = {"enabled", "keys", "ttl"};
    ForEachEntry(section.node, section.mark, section.path, kKeys,
                 [&](const std::string& key, const Value& value) {
                   if (key == "enabled") config_.topic_configs.enabled = ReadBool(value);
                   if (key == "keys") config_.topic_configs.keys = ReadStringList(value);
                   if (key == "ttl") config_.topic_configs.ttl = ReadDuration(value);
                 });
  }

  // Relative paths in the config file are relative to the file's folder.
  std::string ResolvePath(const std::string& path) const {
    if (path.empty() || path.front() == '/') return path;
    const auto slash = source_.rfind('/');
    return slash == std::string::npos ? path : source_.substr(0, slash + 1) + path;
  }

  void ReadClientStats(const Value& section) {
    static const Keys kKeys = {"enabled", "token_file", "max_body_bytes", "ttl", "max_clients"};
    ClientStatsConfig& c = config_.client_stats;
    ForEachEntry(section.node, section.mark, section.path, kKeys,
                 [&](const std::string& key, const Value& value) {
                   if (key == "enabled") c.enabled = ReadBool(value);
                   if (key == "token_file") c.token_file = ResolvePath(ReadString(value));
                   if (key == "max_body_bytes") c.max_body_bytes = ReadInt(value);
                   if (key == "ttl") c.ttl = ReadDuration(value);
                   if (key == "max_clients") c.max_clients = ReadInt(value);
                 });
  }

  void ReadE2E(const Value& section) {
    static const Keys kKeys = {"enabled",  "topic", "acks",     "create_topic", "replication_factor",
                               "interval", "sla",   "group_id", "commit_every", "metadata_interval",
                               "timeout"};
    E2EConfig& e = config_.e2e;
    ForEachEntry(section.node, section.mark, section.path, kKeys,
                 [&](const std::string& key, const Value& value) {
                   if (key == "enabled") e.enabled = ReadBool(value);
                   if (key == "topic") e.topic = ReadString(value);
                   if (key == "acks") e.acks = ReadString(value);
                   if (key == "create_topic") e.create_topic = ReadBool(value);
                   if (key == "replication_factor") e.replication_factor = ReadInt(value);
                   if (key == "interval") e.interval = ReadDuration(value);
                   if (key == "sla") e.sla = ReadDuration(value);
                   if (key == "group_id") e.group_id = ReadString(value);
                   if (key == "commit_every") e.commit_every = ReadInt(value);
                   if (key == "metadata_interval") e.metadata_interval = ReadDuration(value);
                   if (key == "timeout") e.timeout = ReadDuration(value);
                 });
  }

  void ReadShard(const Value& section) {
    static const Keys kKeys = {"index", "count"};
    ForEachEntry(section.node, section.mark, section.path, kKeys,
                 [&](const std::string& key, const Value& value) {
                   if (key == "index") config_.shard.index = ReadInt(value);
                   if (key == "count") config_.shard.count = ReadInt(value);
                 });
  }

  void ReadLag(const Value& section) {
    static const Keys kKeys = {"precise", "precise_max_reads"};
    ForEachEntry(section.node, section.mark, section.path, kKeys,
                 [&](const std::string& key, const Value& value) {
                   if (key == "precise") config_.lag.precise = ReadBool(value);
                   if (key == "precise_max_reads") config_.lag.precise_max_reads = ReadInt(value);
                 });
  }

  void ReadMetrics(const Value& section) {
    static const Keys kKeys = {"max_series", "topic_granularity"};
    ForEachEntry(section.node, section.mark, section.path, kKeys,
                 [&](const std::string& key, const Value& value) {
                   if (key == "max_series") config_.metrics.max_series = ReadInt(value);
                   if (key == "topic_granularity") config_.metrics.topic_granularity = ReadStringList(value);
                 });
  }

  // Reusable for each entry of a future `clusters:` list.
  void ReadKafkaSection(const Value& section, const std::string& path, ClusterConfig& cluster) {
    static const Keys kKeys = {"servers",   "cluster_name", "labels",
                               "client_id", "properties",   "include_internal_topics"};
    ForEachEntry(section.node, section.mark, path, kKeys,
                 [&](const std::string& key, const Value& value) {
                   if (key == "servers") cluster.servers = ReadServers(value);
                   if (key == "cluster_name") cluster.name = ReadString(value);
                   if (key == "labels") cluster.labels = ReadStringMap(value, /*label_names=*/true);
                   if (key == "client_id") cluster.client_id = ReadString(value);
                   if (key == "properties") cluster.properties = ReadProperties(value);
                   if (key == "include_internal_topics")
                     cluster.include_internal_topics = ReadBool(value);
                 });
  }

  // A list of HOST:PORT, or one string (comma-separated, like --kafka.server).
  std::vector<std::string> ReadServers(const Value& value) {
    std::vector<std::string> servers;
    if (value.node.IsNull()) return servers;
    if (value.node.IsScalar()) {
      const std::string text = ReadString(value);
      std::string::size_type start = 0;
      while (start <= text.size()) {
        auto comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        servers.push_back(Trim(text.substr(start, comma - start)));
        config_.origins[value.path + "[" + std::to_string(servers.size() - 1) + "]"] =
            Where(value.mark);
        start = comma + 1;
      }
      return servers;
    }
    if (!value.node.IsSequence()) {
      Fail(value.mark, value.path, "expected a list of HOST:PORT, got " + Describe(value.node));
    }
    for (std::size_t i = 0; i < value.node.size(); ++i) {
      const YAML::Node item = value.node[i];
      const YAML::Mark mark = item.Mark().is_null() ? value.mark : item.Mark();
      servers.push_back(ReadString(Value{item, mark, value.path + "[" + std::to_string(i) + "]"}));
    }
    config_.origins[value.path] = Where(value.mark);
    return servers;
  }

  void ReadFilterSection(const Value& section, const std::string& path, FilterConfig& filter) {
    static const Keys kKeys = {"filter", "exclude"};
    ForEachEntry(section.node, section.mark, path, kKeys,
                 [&](const std::string& key, const Value& value) {
                   if (key == "filter") filter.filter = ReadRegex(value);
                   if (key == "exclude") filter.exclude = ReadRegex(value);
                 });
  }

  void ReadGroupsSection(const Value& section, const std::string& path, ClusterConfig& cluster) {
    static const Keys kKeys = {"filter", "exclude", "static"};
    ForEachEntry(section.node, section.mark, path, kKeys,
                 [&](const std::string& key, const Value& value) {
                   if (key == "filter") cluster.groups.filter = ReadRegex(value);
                   if (key == "exclude") cluster.groups.exclude = ReadRegex(value);
                   if (key == "static") cluster.static_groups = ReadStringList(value);
                 });
  }

  std::vector<std::string> ReadStringList(const Value& value) {
    std::vector<std::string> items;
    if (value.node.IsNull()) return items;
    if (!value.node.IsSequence()) {
      Fail(value.mark, value.path, "expected a list of strings, got " + Describe(value.node));
    }
    for (std::size_t i = 0; i < value.node.size(); ++i) {
      const YAML::Node item = value.node[i];
      const YAML::Mark mark = item.Mark().is_null() ? value.mark : item.Mark();
      items.push_back(ReadString(Value{item, mark, value.path + "[" + std::to_string(i) + "]"}));
    }
    config_.origins[value.path] = Where(value.mark);
    return items;
  }

  static std::string Trim(const std::string& text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
  }

  std::string source_;
  Config& config_;
};

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

Duration ParseDuration(const std::string& text) {
  static const std::map<std::string_view, long long> kUnitsMs = {
      {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 60 * 60 * 1000}};
  const auto fail = [&text]() -> Duration {
    throw std::invalid_argument("invalid duration " + Quote(text) +
                                " (expected a whole number and a unit: ms, s, m or h, e.g. 500ms, "
                                "15s, 1m, 1h)");
  };
  long long number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || number < 0) return fail();
  const auto unit = kUnitsMs.find(std::string_view(end, text.data() + text.size() - end));
  if (unit == kUnitsMs.end() || number > std::numeric_limits<long long>::max() / unit->second) {
    return fail();
  }
  return Duration(number * unit->second);
}

Config DefaultConfig() {
  Config config;
  config.clusters.assign(1, ClusterConfig{});
  return config;
}

Config LoadConfigString(const std::string& yaml, const std::string& source) {
  std::vector<YAML::Node> documents;
  try {
    documents = util::LoadAllYaml(yaml);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) throw ConfigError(source + ": " + e.msg);
    throw ConfigError(source + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (documents.empty() || documents.front().IsNull()) {
    throw ConfigError(source +
                      ": the configuration is empty (expected a mapping with keys such as web, "
                      "log, collection, lag, metrics, shard, topic_configs, advice, e2e, client_stats, kafka, topics, "
                      "groups, "
                      "clusters, demo)");
  }
  if (documents.size() > 1) {
    const YAML::Mark mark = documents[1].Mark();
    throw ConfigError(source + ":" + std::to_string(mark.line + 1) + ":" +
                      std::to_string(mark.column + 1) +
                      ": a second YAML document (only one is read; remove the extra '---')");
  }
  Config config;
  config.source = source;
  YamlReader(source, config).ReadDocument(documents.front());
  return config;
}

Config LoadConfigFile(const std::string& path) {
  errno = 0;
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    throw ConfigError("cannot read config file " + path + ": " + std::strerror(errno));
  }
  std::string text;
  char buffer[4096];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    text.append(buffer, count);
  }
  if (std::ferror(file.get())) {
    throw ConfigError("cannot read config file " + path + ": " + std::strerror(errno));
  }
  return LoadConfigString(text, path);
}

}  // namespace kpe::config
