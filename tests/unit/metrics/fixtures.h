#pragma once
// Snapshots and helpers shared by the metrics tests.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

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

inline std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
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

}  // namespace kpe::metrics::fixtures
