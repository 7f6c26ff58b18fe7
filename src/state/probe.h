#pragma once
// What the end-to-end probe measured on the canary topic. Built by the probe (src/e2e/), published as
// shared_ptr<const ProbeSnapshot> and never changed again: readers on any thread may use it without
// locking. Everything is cumulative since the probe started (Prometheus counters and histograms).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "state/wall_clock.h"

namespace kpe::state {

/// Upper bounds, in seconds, of the probe's latency buckets: 1 ms to 10 s in 1-2-5 steps (plus +Inf).
inline constexpr std::array<double, 13> kProbeLatencyBuckets = {
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};

/// A latency histogram on kProbeLatencyBuckets. Not thread-safe (a plain value).
struct LatencyHistogram {
  /// counts[i]: observations in (bounds[i-1], bounds[i]] (counts[0]: <= 1 ms); the last one: above
  /// 10 s. Not cumulative.
  std::array<uint64_t, kProbeLatencyBuckets.size() + 1> counts{};
  uint64_t count = 0;
  double sum = 0;  // seconds

  /// Adds one observation; negative values count as 0.
  void Observe(double seconds) {
    seconds = std::max(0.0, seconds);
    const auto bucket = std::lower_bound(kProbeLatencyBuckets.begin(), kProbeLatencyBuckets.end(), seconds);
    ++counts[static_cast<size_t>(bucket - kProbeLatencyBuckets.begin())];
    ++count;
    sum += seconds;
  }

  /// The q-quantile (0 <= q <= 1) estimated as Prometheus' histogram_quantile does: linear within the
  /// bucket that holds it (from 0 for the first bucket); 10 (the highest finite bound) when it falls
  /// above 10 s; NaN when empty.
  double Quantile(double q) const {
    if (count == 0) return std::numeric_limits<double>::quiet_NaN();
    const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(count);
    uint64_t below = 0;
    for (size_t i = 0; i < kProbeLatencyBuckets.size(); ++i) {
      if (static_cast<double>(below + counts[i]) >= rank && counts[i] > 0) {
        const double lower = i == 0 ? 0.0 : kProbeLatencyBuckets[i - 1];
        const double fraction = (rank - static_cast<double>(below)) / static_cast<double>(counts[i]);
        return lower + (kProbeLatencyBuckets[i] - lower) * fraction;
      }
      below += counts[i];
    }
    return kProbeLatencyBuckets.back();
  }
};

/// Latencies of the records of one partition while one broker led it. The broker is the one that
/// acknowledged the record (produce) or that it was fetched from (roundtrip), as librdkafka reports it;
/// the probe's metadata leader when librdkafka does not say.
struct ProbeLatencies {
  int32_t partition = 0;
  int32_t broker = -1;
  LatencyHistogram produce;    // produce call to acknowledgement
  LatencyHistogram roundtrip;  // produce call to the probe's consumer receiving it
};

/// Record counts of one partition of the canary topic.
struct ProbeCounts {
  int32_t partition = 0;
  uint64_t produced = 0;      // handed to the producer (those it refused at once count as failed too)
  uint64_t acknowledged = 0;  // acknowledged by the cluster
  uint64_t failed = 0;        // refused, timed out or answered with an error: never acknowledged
  uint64_t received = 0;      // read back by the probe's consumer, each record once
  uint64_t lost = 0;          // acknowledged but not read back within the SLA (counted once, even if it
                              // arrives later)
  uint64_t duplicated = 0;    // read back again after its first receipt

  ProbeCounts& operator+=(const ProbeCounts& other) {
    produced += other.produced;
    acknowledged += other.acknowledged;
    failed += other.failed;
    received += other.received;
    lost += other.lost;
    duplicated += other.duplicated;
    return *this;
  }
};

struct ProbeSnapshot {
  std::string topic;                    // the canary topic
  std::vector<ProbeCounts> counts;      // sorted by partition: every partition ever probed
  std::vector<ProbeLatencies> latencies;  // sorted by (partition, broker)
  LatencyHistogram commit_latency;      // offset commits of the probe's consumer that succeeded
  uint64_t commits_failed = 0;
  uint64_t rounds = 0;                  // probe rounds run (one record per partition each)
  /// The latest error ("" when none yet), e.g. "produce to partition 2: Broker: Invalid record", and
  /// when it happened.
  std::string last_error;
  WallClock::time_point last_error_at{};
  WallClock::time_point taken_at{};  // when this snapshot was made

  /// Sum of all partitions' counts (partition -1).
  ProbeCounts Totals() const {
    ProbeCounts total;
    total.partition = -1;
    for (const ProbeCounts& c : counts) total += c;
    return total;
  }
};

}  // namespace kpe::state
