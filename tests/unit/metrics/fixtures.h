#pragma once
// Snapshots and helpers shared by the metrics tests.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/exposition.h"
#include "state/snapshot.h"

namespace kpe::metrics::fixtures {

using state::WallClock;

inline WallClock::time_point At(double unix_seconds) {
  return WallClock::time_point(
      std::chrono::duration_cast<WallClock::duration>(std::chrono::duration<double>(unix_seconds)));
}

inline constexpr double kCollectedAt = 1700000000;

inline state::Partition MakePartition(int32_t id, int32_t leader, std::vector<int32_t> replicas,
                                      std::vector<int32_t> isr) {
  state::Partition p;
  p.id = id;
  p.leader = leader;
  p.replicas = std::move(replicas);
  p.isr = std::move(isr);
  return p;
}

inline void SetOffsets(state::Partition& p, int64_t oldest, int64_t newest, double at) {
  p.oldest_offset = oldest;
  p.newest_offset = newest;
  p.offsets_known = true;
  p.offsets_at = At(at);
}

/// The golden snapshot: 2 brokers, topics "broken" (metadata error, no partitions), "orders"
/// (p0 healthy, p1 under-replicated with stale offsets and a non-preferred leader, p2 offline with
/// unknown offsets) and "payments" (offsets unknown); collectors: metadata ok, offsets failed after
/// an earlier success, groups never succeeded; constant labels env and zone.
inline state::ClusterSnapshot BasicSnapshot() {
  state::ClusterSnapshot s;
  s.cluster = "prod";
  s.labels = {{"env", "production"}, {"zone", "eu-west-1"}};
  s.up = true;
  s.ever_up = true;
  s.cluster_id = "Xk3Ck9qvRfOyD5mHc3C3Qw";
  s.controller_id = 1;
  s.brokers = {{1, "kafka-1.example.com", 9092, "eu-west-1a"},
               {2, "kafka-2.example.com", 9093, ""}};

  state::Topic broken;
  broken.name = "broken";
  broken.error = "Broker: Topic authorization failed";

  state::Topic orders;
  orders.name = "orders";
  orders.partitions.push_back(MakePartition(0, 1, {1, 2}, {1, 2}));
  SetOffsets(orders.partitions.back(), 100, 12345, kCollectedAt);
  orders.partitions.push_back(MakePartition(1, 1, {2, 1}, {1}));
  SetOffsets(orders.partitions.back(), 0, 9876543210, kCollectedAt - 30.5);
  orders.partitions.back().offsets_error = "Local: Timed out";
  orders.partitions.push_back(MakePartition(2, -1, {2, 1}, {}));
  orders.partitions.back().offsets_error = "Broker: Not leader for partition";

  state::Topic payments;
  payments.name = "payments";
  payments.partitions.push_back(MakePartition(0, 2, {2, 1}, {2, 1}));
  payments.partitions.push_back(MakePartition(1, 1, {1, 2}, {1, 2}));

  s.topics = {broken, orders, payments};
  s.collectors = {
      {"metadata", true, 0.125, At(kCollectedAt), ""},
      {"offsets", false, 5, At(kCollectedAt - 60), "Local: Timed out"},
      {"groups", false, 0.5, {}, "Broker: Group authorization failed"},
  };
  s.collected_at = At(kCollectedAt);
  s.generation = 42;
  return s;
}

inline state::GroupPartition MakeGroupPartition(std::string topic, int32_t partition,
                                                int64_t committed, std::optional<int64_t> lag,
                                                std::optional<double> lag_seconds,
                                                std::optional<double> last_commit_age_seconds) {
  state::GroupPartition p;
  p.topic = std::move(topic);
  p.partition = partition;
  p.committed_offset = committed;
  p.lag = lag;
  p.lag_seconds = lag_seconds;
  p.last_commit_age_seconds = last_commit_age_seconds;
  return p;
}

/// Consumer group "billing": described (Stable, assignor "range", 2 members, status warning),
/// commits on orders/0 (lag 5, 2.5 s, last commit 10 s ago), orders/1 (lag 0, 0 s, 3 s ago; one
/// more orders partition uncommitted, 12.5 commits/s) and payments/0 (newest offset unknown: no
/// lag, no lag seconds, no commit age; no commit rate yet).
inline state::ConsumerGroup BillingGroup() {
  state::ConsumerGroup g;
  g.id = "billing";
  g.state = "Stable";
  g.assignor = "range";
  g.described = true;
  g.members = {{"consumer-1-0a1b", "billing-app", "/10.0.0.7", 2},
               {"consumer-2-3c4d", "billing-app", "/10.0.0.8", 1}};
  g.partitions = {MakeGroupPartition("orders", 0, 100, 5, 2.5, 10),
                  MakeGroupPartition("orders", 1, 200, 0, 0, 3),
                  MakeGroupPartition("payments", 0, 50, std::nullopt, std::nullopt, std::nullopt)};
  g.topics = {{"orders", 300, 5, 1, 12.5}, {"payments", 50, 0, 0, std::nullopt}};
  g.status = state::GroupStatus::kWarning;
  return g;
}

/// Consumer group "reporting": could not be described and its offsets could not be read.
inline state::ConsumerGroup ReportingGroup() {
  state::ConsumerGroup g;
  g.id = "reporting";
  g.error = "Broker: Group authorization failed";
  return g;
}

/// The groups golden snapshot: cluster "prod" (constant label env) without brokers or topics,
/// groups BillingGroup() and ReportingGroup(), found from the config because the cluster does not
/// support ListConsumerGroups.
inline state::ClusterSnapshot GroupsSnapshot() {
  state::ClusterSnapshot s;
  s.cluster = "prod";
  s.labels = {{"env", "production"}};
  s.up = true;
  s.ever_up = true;
  s.cluster_id = "Xk3Ck9qvRfOyD5mHc3C3Qw";
  s.controller_id = 1;
  s.groups = {BillingGroup(), ReportingGroup()};
  s.group_discovery = {"static", "unsupported", "Broker: Unsupported version"};
  s.collected_at = At(kCollectedAt);
  s.generation = 7;
  return s;
}

inline SnapshotList One(state::ClusterSnapshot s) {
  return {std::make_shared<const state::ClusterSnapshot>(std::move(s))};
}

/// Value of the sample line that starts with `series` (name and labels exactly as rendered), or
/// nullopt when the text has no such line.
inline std::optional<double> SampleValue(const std::string& text, std::string_view series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

inline size_t CountLinesContaining(const std::string& text, std::string_view needle) {
  size_t n = 0;
  for (const std::string& line : Lines(text)) n += line.find(needle) != std::string::npos ? 1 : 0;
  return n;
}

/// Describes the first line where `actual` departs from `expected`, for a diff-friendly failure.
inline std::string FirstDifference(const std::string& expected, const std::string& actual) {
  const std::vector<std::string> e = Lines(expected);
  const std::vector<std::string> a = Lines(actual);
  for (size_t i = 0; i < std::max(e.size(), a.size()); ++i) {
    const std::string want = i < e.size() ? e[i] : "<end of file>";
    const std::string got = i < a.size() ? a[i] : "<end of file>";
    if (want != got) {
      return "first difference at line " + std::to_string(i + 1) + ":\n  golden: " + want +
             "\n  actual: " + got + "\n";
    }
  }
  return "texts differ only in the final newline\n";
}

inline std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Compares `actual` with the golden file; "" when they are equal, else a failure message naming
/// the first differing line and where the actual text was written. With KPE_UPDATE_GOLDEN set it
/// overwrites the golden file instead and still fails, so the new file gets reviewed.
inline std::string GoldenMismatch(const std::string& actual, const std::filesystem::path& golden) {
  if (std::getenv("KPE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << actual;
    return "KPE_UPDATE_GOLDEN is set: wrote " + golden.string() +
           "; review it, then re-run without it";
  }
  const std::string expected = ReadText(golden);
  if (actual == expected) return "";
  const std::filesystem::path actual_path =
      std::filesystem::path(KPE_BINARY_DIR) / (golden.stem().string() + ".actual.prom");
  std::ofstream(actual_path, std::ios::binary) << actual;
  return "rendered exposition differs from the golden file.\n" + FirstDifference(expected, actual) +
         "see: diff -u " + golden.string() + " " + actual_path.string() +
         "\nto accept the new output: KPE_UPDATE_GOLDEN=1 <this test>, then review the diff";
}

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

inline constexpr const char* kPromtool = "/usr/bin/promtool";

/// Runs `promtool check metrics` on `text`; output holds its stdout and stderr.
inline CommandResult PromtoolCheckMetrics(const std::string& text) {
  const std::filesystem::path input =
      std::filesystem::temp_directory_path() /
      ("kpe_metrics_promtool_" + std::to_string(::getpid()) + ".prom");
  std::ofstream(input, std::ios::binary) << text;
  const std::string command =
      std::string(kPromtool) + " check metrics < '" + input.string() + "' 2>&1";
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove(input);
  return result;
}

/// kafka_exporter's families that promtool's lint flags for their "_sum" suffix (a suffix it
/// reserves for summaries and histograms). Their names are part of the drop-in contract, so they
/// stay.
inline constexpr std::array<std::string_view, 2> kKafkaExporterSumFamilies = {
    "kafka_consumergroup_current_offset_sum", "kafka_consumergroup_lag_sum"};

/// The problems in `result` (a PromtoolCheckMetrics answer) other than the "_sum" suffix lint of
/// kKafkaExporterSumFamilies; "" when there are none. promtool exits 3 when it only found lint
/// problems (one per line) and 1 when it could not parse the text.
inline std::string PromtoolProblemsBesidesKafkaExporterSums(const CommandResult& result) {
  if (result.exit_code == 0) return "";
  if (result.exit_code != 3) {
    return "promtool exited " + std::to_string(result.exit_code) + ":\n" + result.output;
  }
  std::string problems;
  for (const std::string& line : Lines(result.output)) {
    bool allowed = false;
    for (std::string_view family : kKafkaExporterSumFamilies) {
      allowed = allowed || line == std::string(family) +
                                       " non-histogram and non-summary metrics should not have "
                                       "\"_sum\" suffix";
    }
    if (!allowed && !line.empty()) problems += line + "\n";
  }
  return problems;
}

}  // namespace kpe::metrics::fixtures
