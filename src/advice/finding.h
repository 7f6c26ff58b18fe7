#pragma once
// What a tuning rule reports: one finding per subject (topic, group, client, broker, cluster) that breaks the
// rule, with the numbers that fired it and the concrete change to make. Plain values: thread-safe to share
// once built.

#include <map>
#include <string>
#include <string_view>

namespace kpe::advice {

/// How urgent a finding is. Ordered: kInfo < kWarning < kCritical.
enum class Severity { kInfo = 0, kWarning = 1, kCritical = 2 };

/// "info", "warning", "critical".
constexpr std::string_view ToString(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "unknown";
}

struct Finding {
  /// Stable id of the rule, "<area>.<what>", e.g. "topic.replication_factor_one" (a metric label value).
  std::string rule_id;
  Severity severity = Severity::kInfo;
  /// "topic", "group", "client", "broker" or "cluster".
  std::string subject_kind;
  /// The topic name, group id, client id, broker id or cluster name the finding is about.
  std::string subject;
  /// Value of the `cluster` label of the snapshot it came from.
  std::string cluster;
  /// The numbers that fired the rule and the thresholds they were compared with, by name
  /// (e.g. {"lag_messages": 250000, "lag_warning_messages": 100000}).
  std::map<std::string, double> evidence;
  /// One sentence: what is wrong, with the key numbers.
  std::string summary;
  /// The change to make: setting names and suggested values, or the command to run.
  std::string recommendation;
};

}  // namespace kpe::advice
