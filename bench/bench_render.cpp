// Render cost of the snapshot exposition (issue 4): metrics::RenderExposition of a synthetic snapshot
// shaped like the `large` scenario of bench/run.sh.
//
// The snapshot has --topics topics of --partitions partitions (3 brokers, replication factor 3,
// offsets known, min.insync.replicas 2) and --groups consumer groups, group g committing on every
// partition of --topics-per-group topics (g, g+1, ... modulo --topics), (g % 10) * 2 records behind,
// with lag in seconds, commit age and a commit rate, as kpe-bench-cluster's groups are. Then:
//   1. one render, with the peak RSS growth it causes: VmHWM after it minus VmRSS before it (the
//      peak is reset through /proc/self/clear_refs first; if the kernel refuses, the growth is
//      measured against the VmHWM the process had before the render and may read low);
//   2. --iterations timed renders: median, min and max in ms;
//   3. --iterations timed renders through a metrics::RenderCache (as the exporter renders), each of a
//      copy of the snapshot in which --changed-groups groups (their committed offsets, lag, lag in
//      seconds and commit age) and --changed-topics topics (their newest offsets) differ from the
//      render before, the next ones each time: median ms and the chunks reused and deflated. The
//      copies are made outside the timed part.
// It prints the series count and the body size (plain and gzip'd); --output writes the body to a file
// (to compare the bytes two builds render). Not a test: ctest never runs it.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "metrics/exposition.h"
#include "state/snapshot.h"

namespace {

using Clock = std::chrono::steady_clock;
using kpe::state::WallClock;

/// A field of /proc/self/status in KiB (VmRSS, VmHWM); 0 when absent.
long StatusKiB(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return 0;
}

/// Resets VmHWM to the current RSS (Linux >= 4.0); false when the kernel refuses.
bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

struct Shape {
  int topics = 200;
  int partitions = 50;
  int groups = 500;
  int topics_per_group = 3;
};

std::shared_ptr<const kpe::state::ClusterSnapshot> MakeSnapshot(const Shape& shape) {
  auto s = std::make_shared<kpe::state::ClusterSnapshot>();
  // A fixed time, so two builds render the same bytes.
  const WallClock::time_point now{std::chrono::milliseconds(1700000000123)};
  s->cluster = "bench";
  s->up = true;
  s->ever_up = true;
  s->cluster_id = "kpe-bench-cluster-id";
  s->controller_id = 1;
  s->generation = 42;
  s->collected_at = now;
  for (int b = 1; b <= 3; ++b) s->brokers.push_back({b, "127.0.0.1", 39090 + b, ""});
  char name[32];
  std::vector<int64_t> newest(static_cast<size_t>(shape.topics) * shape.partitions);
  for (int t = 0; t < shape.topics; ++t) {
    kpe::state::Topic& topic = s->topics.emplace_back();
    std::snprintf(name, sizeof name, "bench-topic-%03d", t);
    topic.name = name;
    topic.configs = {{"min.insync.replicas", "2"}};
    topic.configs_at = now;
    for (int p = 0; p < shape.partitions; ++p) {
      kpe::state::Partition& partition = topic.partitions.emplace_back();
      partition.id = p;
      const int32_t leader = 1 + (t + p) % 3;
      partition.leader = leader;
      partition.replicas = {leader, 1 + (leader % 3), 1 + ((leader + 1) % 3)};
      partition.isr = partition.replicas;
      partition.oldest_offset = 0;
      partition.newest_offset = 10 + (t * 7919 + p * 104729) % 100000;
      partition.offsets_known = true;
      partition.offsets_at = now;
      partition.min_insync_replicas = 2;
      newest[static_cast<size_t>(t) * shape.partitions + p] = partition.newest_offset;
    }
  }
  for (int g = 0; g < shape.groups; ++g) {
    kpe::state::ConsumerGroup& group = s->groups.emplace_back();
    std::snprintf(name, sizeof name, "bench-group-%04d", g);
    group.id = name;
    group.state = "Stable";
    group.status = g % 7 == 6 ? kpe::state::GroupStatus::kStalled : kpe::state::GroupStatus::kOk;
    group.observed_at = now;
    std::vector<int> topics;
    for (int k = 0; k < shape.topics_per_group; ++k) topics.push_back((g + k) % shape.topics);
    std::sort(topics.begin(), topics.end());
    for (int t : topics) {
      kpe::state::GroupTopic& sums = group.topics.emplace_back();
      sums.topic = s->topics[t].name;
      for (int p = 0; p < shape.partitions; ++p) {
        const int64_t behind = (g % 10) * 2;
        const int64_t committed =
            std::max<int64_t>(0, newest[static_cast<size_t>(t) * shape.partitions + p] - behind);
        kpe::state::GroupPartition& gp = group.partitions.emplace_back();
        gp.topic = sums.topic;
        gp.partition = p;
        gp.committed_offset = committed;
        gp.lag = behind;
        gp.lag_seconds = 0.05 * static_cast<double>(behind) + 0.001 * p;
        gp.last_commit_age_seconds = 1.5 + (g % 10);
        gp.status = kpe::state::PartitionStatus::kOk;
        sums.committed_sum += committed;
        sums.lag_sum += behind;
      }
      sums.commit_rate = 0.25 * (g % 4);
    }
  }
  s->group_discovery.mode = "static";
  for (const char* collector : {"metadata", "offsets", "groups", "configs"}) {
    s->collectors.push_back({collector, true, 0.125, now, ""});
  }
  return s;
}

/// A copy of `base` where `groups` groups (spread evenly over the list, from the round-th) and `topics`
/// topics (in a row, from round * topics) have values that differ from those of every other round.
std::shared_ptr<const kpe::state::ClusterSnapshot> Changed(const kpe::state::ClusterSnapshot& base,
                                                           int round, int groups, int topics) {
  auto s = std::make_shared<kpe::state::ClusterSnapshot>(base);
  for (int k = 0; k < groups && !s->groups.empty(); ++k) {
    // Spread over the list, as the groups a tick reads are (each one's own schedule), not in a row.
    const size_t stride = std::max<size_t>(1, s->groups.size() / static_cast<size_t>(groups));
    auto& group = s->groups.Mutable((static_cast<size_t>(round) + static_cast<size_t>(k) * stride) % s->groups.size());
    for (auto& p : group.partitions) {
      p.committed_offset += round + 1;
      p.lag = std::max<int64_t>(0, p.lag.value_or(0) - 1) + round % 3;
      p.lag_seconds = p.lag_seconds.value_or(0) + 0.5 * (round + 1);
      p.last_commit_age_seconds = p.last_commit_age_seconds.value_or(0) + round + 1;
    }
    for (auto& t : group.topics) t.committed_sum += round + 1;
  }
  for (int k = 0; k < topics && !s->topics.empty(); ++k) {
    auto& topic = s->topics[static_cast<size_t>(round * topics + k) % s->topics.size()];
    for (auto& p : topic.partitions) p.newest_offset += round + 1;
  }
  return s;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Times metrics::RenderExposition of a synthetic snapshot shaped like bench/run.sh large"};
  Shape shape;
  int iterations = 11;
  std::string output;
  int changed_groups = 10;
  int changed_topics = 10;
  app.add_option("--topics", shape.topics, "topics")->capture_default_str();
  app.add_option("--partitions", shape.partitions, "partitions per topic")->capture_default_str();
  app.add_option("--groups", shape.groups, "consumer groups")->capture_default_str();
  app.add_option("--topics-per-group", shape.topics_per_group, "topics each group commits on")
      ->capture_default_str();
  app.add_option("--iterations", iterations, "timed renders (the median is reported)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--changed-groups", changed_groups, "groups that change between two cached renders")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--changed-topics", changed_topics, "topics whose offsets change between two cached renders")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--output", output, "write the rendered text of the first render to this file");
  CLI11_PARSE(app, argc, argv);

  const kpe::metrics::SnapshotList snapshots = {MakeSnapshot(shape)};

  const bool reset = ResetPeakRss();
  const long rss_before = StatusKiB("VmRSS");
  const long hwm_before = StatusKiB("VmHWM");
  size_t series = 0;
  size_t bytes = 0;
  size_t gzip_bytes = 0;
  {
    const auto exposition = kpe::metrics::RenderExposition(snapshots);
    series = exposition->series;
    bytes = exposition->gzip.size;
    gzip_bytes = exposition->gzip.byte_size();
    if (!output.empty()) std::ofstream(output, std::ios::binary) << exposition->Text();
  }
  const long hwm_after = StatusKiB("VmHWM");
  const long peak_growth = hwm_after - (reset ? rss_before : hwm_before);

  std::vector<double> ms;
  for (int i = 0; i < iterations; ++i) {
    const Clock::time_point start = Clock::now();
    const auto exposition = kpe::metrics::RenderExposition(snapshots);
    ms.push_back(Ms(Clock::now() - start));
  }
  std::sort(ms.begin(), ms.end());

  kpe::metrics::RenderCache cache;
  (void)kpe::metrics::RenderExposition(snapshots, {}, &cache);
  std::vector<double> cached_ms;
  size_t reused = 0;
  size_t deflated = 0;
  for (int i = 0; i < iterations; ++i) {
    const kpe::metrics::SnapshotList changed = {Changed(*snapshots.front(), i, changed_groups, changed_topics)};
    const Clock::time_point start = Clock::now();
    const auto exposition = kpe::metrics::RenderExposition(changed, {}, &cache);
    cached_ms.push_back(Ms(Clock::now() - start));
    reused += exposition->chunks_reused;
    deflated += exposition->chunks_deflated;
  }
  std::sort(cached_ms.begin(), cached_ms.end());

  std::printf("shape:            %d topics x %d partitions, %d groups x %d topics\n", shape.topics,
              shape.partitions, shape.groups, shape.topics_per_group);
  std::printf("series:           %zu\n", series);
  std::printf("body:             %.1f MB plain, %.2f MB gzip'd\n", bytes / 1e6, gzip_bytes / 1e6);
  std::printf("render (%d runs): median %.1f ms, min %.1f ms, max %.1f ms\n", iterations,
              ms[ms.size() / 2], ms.front(), ms.back());
  std::printf("cached (%d runs):  median %.1f ms, min %.1f ms, max %.1f ms; %d groups and %d topics "
              "changed each time; chunks per render: %.0f reused, %.0f deflated\n",
              iterations, cached_ms[cached_ms.size() / 2], cached_ms.front(), cached_ms.back(),
              changed_groups, changed_topics, static_cast<double>(reused) / iterations,
              static_cast<double>(deflated) / iterations);
  std::printf("peak RSS growth:  %.1f MiB during the first render (RSS before %.1f MiB%s)\n",
              peak_growth / 1024.0, rss_before / 1024.0,
              reset ? "" : "; VmHWM could not be reset, measured against the previous peak");
  return 0;
}
