#include <map>
#include <string>

#include "advice/thresholds.h"

namespace kpe::advice {

namespace {

using Setter = void (*)(Thresholds&, double);

// The config names of the thresholds (config key `advice.<name>`), in one table.
const std::map<std::string, Setter>& Setters() {
  static const std::map<std::string, Setter> kSetters = {
      {"client_max_errors", [](Thresholds& t, double v) { t.client_max_errors = v; }},
      {"client_max_latency_seconds", [](Thresholds& t, double v) { t.client_max_latency_seconds = v; }},
      {"client_max_rebalances", [](Thresholds& t, double v) { t.client_max_rebalances = v; }},
      {"client_max_throttle_seconds", [](Thresholds& t, double v) { t.client_max_throttle_seconds = v; }},
      {"client_min_batch_bytes", [](Thresholds& t, double v) { t.client_min_batch_bytes = v; }},
      {"client_min_compression_ratio", [](Thresholds& t, double v) { t.client_min_compression_ratio = v; }},
      {"client_min_consumed_messages", [](Thresholds& t, double v) { t.client_min_consumed_messages = v; }},
      {"client_min_messages_per_fetch", [](Thresholds& t, double v) { t.client_min_messages_per_fetch = v; }},
      {"lag_critical_messages", [](Thresholds& t, double v) { t.lag_critical_messages = static_cast<int64_t>(v); }},
      {"lag_critical_seconds", [](Thresholds& t, double v) { t.lag_critical_seconds = v; }},
      {"lag_warning_messages", [](Thresholds& t, double v) { t.lag_warning_messages = static_cast<int64_t>(v); }},
      {"lag_warning_seconds", [](Thresholds& t, double v) { t.lag_warning_seconds = v; }},
      {"leader_imbalance_min_partitions",
       [](Thresholds& t, double v) { t.leader_imbalance_min_partitions = static_cast<int64_t>(v); }},
      {"leader_imbalance_ratio", [](Thresholds& t, double v) { t.leader_imbalance_ratio = v; }},
      {"min_non_preferred_leaders",
       [](Thresholds& t, double v) { t.min_non_preferred_leaders = static_cast<int64_t>(v); }},
      {"min_rate_interval", [](Thresholds& t, double v) { t.min_rate_interval_seconds = v; }},
      {"min_segment_bytes", [](Thresholds& t, double v) { t.min_segment_bytes = static_cast<int64_t>(v); }},
      {"partition_consume_capacity",
       [](Thresholds& t, double v) { t.partition_consume_capacity_msgs_per_second = v; }},
      {"partition_produce_capacity",
       [](Thresholds& t, double v) { t.partition_produce_capacity_msgs_per_second = v; }},
      {"skew_min_rate", [](Thresholds& t, double v) { t.skew_min_msgs_per_second = v; }},
      {"skew_ratio", [](Thresholds& t, double v) { t.skew_ratio = v; }},
  };
  return kSetters;
}

}  // namespace

std::string SetThreshold(Thresholds& thresholds, const std::string& name, double value) {
  const auto& setters = Setters();
  const auto it = setters.find(name);
  if (it == setters.end()) {
    std::string valid;
    for (const auto& [known, setter] : setters) valid += (valid.empty() ? "" : ", ") + known;
    return "advice." + name + ": unknown threshold (valid: " + valid + ")";
  }
  if (!(value >= 0)) return "advice." + name + ": must be a number >= 0, got " + std::to_string(value);
  it->second(thresholds, value);
  return "";
}

}  // namespace kpe::advice
