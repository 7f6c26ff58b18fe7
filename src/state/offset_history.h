#pragma once
// OffsetHistory: the exporter's own bounded memory of when each newest offset (high watermark) of one
// partition was seen, so that an offset can be turned back into a time: consumer lag in seconds.
//
// How lag in seconds is estimated
//   LagSeconds(c, now) = now - T, where T is the moment the record at offset c was produced, i.e. the
//   moment the high watermark first exceeded c (until then c was the newest offset). The history holds
//   samples (t_k, o_k): at time t_k the exporter read newest offset o_k; times strictly increase and
//   offsets never decrease.
//   - c >= newest sampled offset: the consumer is caught up (or ahead, a race with the producer): 0.
//   - o_i <= c < o_{i+1} for two adjacent retained samples: T is interpolated linearly between
//     t_i and t_{i+1} (method kInterpolated). A flat run (o_i == c for a while) ends at its last sample,
//     so a consumer behind an idle topic gets the time since the last produce that passed its offset.
//   - c < o_0 (older than the oldest sample): T is extrapolated backwards from t_0 with the average
//     produce rate over the whole history, (o_last - o_0) / (t_last - t_0); the extrapolated part is capped
//     at max_extrapolation (kExtrapolated / kExtrapolationCapped). A group re-reading a topic from the
//     beginning thus gets at most (now - t_0) + max_extrapolation, never years.
//   - c < o_0 with fewer than 2 samples or no produce seen (all offsets equal): now - t_0, a lower
//     bound (kLowerBound): the record existed before the oldest sample, how long before is unknown.
//
// Accuracy
//   Interpolated values have a hard bound: at t_i the record c did not exist yet (o_i <= c) and at
//   t_{i+1} it did (o_{i+1} > c), so the true T lies in (t_i, t_{i+1}] and the error of the estimate is
//   at most the gap t_{i+1} - t_i between the retained samples around c (returned as
//   LagEstimate::max_error_seconds). Without compaction that gap is the sampling interval; compaction
//   widens gaps only where the curve is close to linear (see Add). With a constant produce rate between
//   the two samples the linear assumption is exact and the error is below one record's produce time.
//   Not included: t_k is when the exporter read the watermark, so the fetch latency (one round trip)
//   adds to every value. Extrapolated values assume the average rate held before the history began and
//   have no error bound; lower bounds are only that.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "state/wall_clock.h"

namespace kpe::state {

/// How a lag-in-seconds value was obtained (cheap to expose as a label or in debug output).
enum class LagMethod {
  kCaughtUp,             ///< committed >= newest sampled offset: 0
  kInterpolated,         ///< between two samples; error <= max_error_seconds
  kExtrapolated,         ///< before the oldest sample, at the average produce rate
  kExtrapolationCapped,  ///< as kExtrapolated, but the extrapolated part hit max_extrapolation
  kLowerBound,           ///< before the oldest sample with no produce rate known: now - oldest sample
};

/// "caught_up", "interpolated", "extrapolated", "extrapolation_capped", "lower_bound".
const char* ToString(LagMethod method);

struct LagEstimate {
  /// Seconds since the record at the committed offset was produced; never negative.
  double seconds = 0;
  LagMethod method = LagMethod::kCaughtUp;
  /// Upper bound of |estimate - truth| for kCaughtUp (0) and kInterpolated (the gap between the two
  /// samples around the offset); nullopt for the other methods, which have no bound.
  std::optional<double> max_error_seconds;
};

/// One partition's bounded history of (time, newest offset) samples.
/// Not thread-safe: one writer (the collector) owns it; no concurrent calls.
class OffsetHistory {
 public:
  struct Sample {
    WallClock::time_point at;
    int64_t offset = 0;
    bool operator==(const Sample&) const = default;
  };

  /// What Add did with a sample.
  enum class AddResult {
    kAppended,  ///< stored as a new sample (possibly after compacting an older one away)
    kExtended,  ///< same offset as the flat run at the end: the run's last sample moved to this time
    kMerged,    ///< same time as the newest sample: its offset was raised to this one
    kIgnored,   ///< older than the newest sample (out of order): dropped
    kReset,     ///< offset below the newest sample (topic re-created or truncated): history restarted
  };

  static constexpr std::size_t kDefaultMaxSamples = 64;
  static constexpr std::chrono::seconds kDefaultMaxExtrapolation{24 * 60 * 60};

  /// Throws std::invalid_argument naming the parameter when max_samples < 3 or max_extrapolation < 0.
  explicit OffsetHistory(std::size_t max_samples = kDefaultMaxSamples,
                         std::chrono::seconds max_extrapolation = kDefaultMaxExtrapolation);

  /// Records that the newest offset was `newest_offset` at time `t`. Memory stays at most max_samples.
  /// Compaction:
  /// - a run of equal offsets keeps only its first and last sample, so an idle topic costs 2 samples;
  /// - when full, the interior sample whose removal changes the answer least is removed: the cost of
  ///   removing sample i is the shift of the time interpolated at o_i once i is gone (the largest change
  ///   of any LagSeconds answer, which happens at that vertex), plus 1/64 of the gap the removal would
  ///   leave, divided by the sample's age (t_last - t_i). The age divisor makes errors relative, so old
  ///   samples thin out first and the retained ones end up roughly geometrically spaced back to the very
  ///   first sample; the gap term breaks ties on straight stretches (constant rate) in favour of spread.
  ///   The first and the newest sample are never removed, so the span only grows.
  AddResult Add(WallClock::time_point t, int64_t newest_offset);

  /// max(0, newest - committed): records the consumer still has to read. Expects a real committed
  /// offset (>= 0); a partition without one has no lag to report.
  static int64_t Lag(int64_t newest, int64_t committed) {
    return newest > committed ? newest - committed : 0;
  }

  /// Lag in seconds of a consumer whose committed offset is `committed` (see the file comment).
  /// nullopt when there is no sample yet, or when committed < 0 (no committed offset, e.g. librdkafka's
  /// RD_KAFKA_OFFSET_INVALID -1001): there is no position to date.
  std::optional<LagEstimate> EstimateLag(int64_t committed, WallClock::time_point now) const;

  /// EstimateLag(committed, now)->seconds.
  std::optional<double> LagSeconds(int64_t committed, WallClock::time_point now) const;

  /// Retained samples, oldest first.
  const std::vector<Sample>& samples() const { return samples_; }
  /// Time between the oldest and the newest retained sample (zero with fewer than 2).
  WallClock::duration Span() const;
  /// How many times the history restarted because the offset went down.
  uint64_t resets() const { return resets_; }
  std::size_t max_samples() const { return max_samples_; }

 private:
  void Append(Sample sample);
  void RemoveOneSample();
  double RemovalCost(std::size_t i) const;

  std::size_t max_samples_;
  std::chrono::seconds max_extrapolation_;
  std::vector<Sample> samples_;
  uint64_t resets_ = 0;
};

}  // namespace kpe::state
