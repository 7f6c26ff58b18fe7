#pragma once
// Consumer group status in the spirit of Burrow's evaluation: rules over a sliding window of the last N
// observations of each partition's committed offset and lag. The exporter sees commits by polling, so
// a "commit" here is a change of the committed offset between two observations; commits that re-commit
// the same offset are invisible. Burrow tells "stalled" (committing the same offset) from "stopped" (not
// committing at all) by commit timestamps; we use what we can observe instead: whether the group has
// members.
//
// Partition rules, evaluated in this order (the first that fires wins):
//   1. unknown  fewer than min_samples observations.
//   2. rewind   the committed offset decreased between two consecutive observations in the window (an
//               offset reset or a consumer seeking back). Checked before rule 3, unlike Burrow: a reset
//               to earliest usually comes right after the group was caught up (lag 0 in the window).
//   3. ok       some observation in the window has lag 0: the consumer caught up within the window.
//               From here on every observation in the window has lag > 0.
//   4. stopped  the group has no members and the committed offset has not changed for at least the stop
//               threshold: `stopped_after` when set, else the window's span (newest - oldest observation,
//               Burrow's "silent for longer than the window"). Without a change in the window the time
//               since the change is taken from the oldest observation (a lower bound). A memberless
//               committer that still moves its offset (Flink, Spark, manual assign) is not stopped.
//   5. stalled  the group has members, the window is full and the committed offset is the same in every
//               observation: consumers are there but do not progress.
//   6. warning  the window is full and the lag grew strictly between every pair of consecutive
//               observations (Burrow: the consumer is falling behind).
//   7. ok       otherwise.
// Severity for aggregation: rewind > stopped > stalled > warning > ok > unknown.
//
// Group rules (EvaluateGroup), first that fires wins:
//   | partitions' worst status       | members | broker state "Empty" or no partitions | group   |
//   |--------------------------------|---------|---------------------------------------|---------|
//   | rewind                         | any     | any                                   | rewind  |
//   | stopped / stalled / warning    | any     | any                                   | same    |
//   | ok or unknown (or none at all) | no      | yes                                   | empty   |
//   | ok                             | any     | any                                   | ok      |
//   | unknown, or no partitions      | any     | any                                   | unknown |
// So a memberless group with lag > 0 that does not move is "stopped", not "empty" (it is what Burrow calls
// STOP and what an alert should see), while an intentionally idle group that is caught up, or that has no
// committed offsets at all, is "empty". The broker state is compared case-insensitively.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>
#include <optional>
#include <span>
#include <string_view>

#include "state/wall_clock.h"

namespace kpe::state {

/// One observation of a partition's committed offset, made when the collector read the group's offsets.
struct CommitSample {
  WallClock::time_point observed_at;
  int64_t committed = 0;
  /// max(0, newest - committed) at that time.
  int64_t lag = 0;
};

enum class PartitionStatus { kOk, kWarning, kStalled, kStopped, kRewind, kUnknown };
enum class GroupStatus { kOk, kWarning, kStalled, kStopped, kRewind, kEmpty, kUnknown };

/// Every GroupStatus, in the order of the `status` label of kafka_consumergroup_status (one-hot).
inline constexpr std::array<GroupStatus, 7> kAllGroupStatuses = {
    GroupStatus::kOk,     GroupStatus::kWarning, GroupStatus::kStalled, GroupStatus::kStopped,
    GroupStatus::kRewind, GroupStatus::kEmpty,   GroupStatus::kUnknown};

/// Lower-case names: "ok", "warning", "stalled", "stopped", "rewind", "empty", "unknown".
std::string_view ToString(PartitionStatus status);
std::string_view ToString(GroupStatus status);

struct StatusOptions {
  static constexpr std::size_t kDefaultWindowSize = 10;
  /// Observations per partition window; "full" (rules 5 and 6) means this many.
  std::size_t window_size = kDefaultWindowSize;
  /// Fewer observations than this: unknown.
  std::size_t min_samples = 2;
  /// Rule 4's threshold; zero: the window's span.
  std::chrono::seconds stopped_after{0};
};

/// The last `capacity` observations of one partition, oldest first.
///
/// There is one window per committed group partition (75,000 on the `large` benchmark), so it is kept
/// compact: the newest observation in full, and each older one as its differences from the next newer
/// one (time in milliseconds, committed offset, lag), each a variable-length integer (LEB128, the
/// signed ones zigzag-coded), exact for any value. Polled every few seconds to minutes, with modest
/// moves, an older observation takes 3 to 8 bytes, and the default window's nine fit in the window
/// itself (kInlineBytes): no heap block. Windows whose moves are larger keep their encoding on the
/// heap (spilled()) until those leave the window. Observation times are kept to the millisecond
/// (rounded down). Not thread-safe: one writer (the collector) owns it.
class CommitWindow {
 public:
  /// Bytes of encoding held in the window itself: nine observations of up to 8 bytes (polled every
  /// 16 s to 35 min, up to 8,191 records apart, lag moving by less than 8,192 either way) and a few
  /// more. Makes sizeof(CommitWindow) 112.
  static constexpr std::size_t kInlineBytes = 74;
  static constexpr std::size_t kMaxCapacity = 255;

  /// Throws std::invalid_argument when capacity < 2 or > kMaxCapacity.
  explicit CommitWindow(std::size_t capacity = StatusOptions::kDefaultWindowSize);
  CommitWindow(CommitWindow&& other) noexcept;
  CommitWindow& operator=(CommitWindow&& other) noexcept;

  /// Appends an observation, dropping the oldest beyond capacity. An observation older than the newest
  /// one is out of order and dropped (returns false).
  bool Add(const CommitSample& sample);

  /// The observations, oldest first (decoded: a copy).
  std::vector<CommitSample> samples() const;
  /// The newest observation; nullptr when there is none.
  const CommitSample* newest() const { return size_ == 0 ? nullptr : &newest_; }
  std::size_t capacity() const { return capacity_; }
  bool full() const { return size_ >= capacity_; }
  /// Whether the older observations' encoding is longer than kInlineBytes, so kept on the heap.
  bool spilled() const { return spill_ != nullptr; }

 private:
  const uint8_t* data() const { return spill_ != nullptr ? spill_.get() : inline_; }

  CommitSample newest_{};
  std::unique_ptr<uint8_t[]> spill_;  // the encoding when longer than kInlineBytes
  uint16_t length_ = 0;               // bytes of encoding (size_ - 1 older observations, newest first)
  uint16_t spill_capacity_ = 0;
  uint8_t capacity_;
  uint8_t size_ = 0;
  uint8_t inline_[kInlineBytes];
};

/// Applies the partition rules above to `window` (oldest first, observed_at non-decreasing).
PartitionStatus EvaluatePartition(const std::vector<CommitSample>& window, bool group_has_members,
                                  WallClock::time_point now, const StatusOptions& options = {});

/// Applies the group table above. `broker_state` is the state the broker reports ("Empty", "Stable",
/// "PreparingRebalance", ...; "" when unknown).
GroupStatus EvaluateGroup(std::span<const PartitionStatus> partitions, bool has_members,
                          std::string_view broker_state);

/// Seconds since the committed offset last changed: now minus the first observation that showed the
/// current offset. The change happened between that observation and the one before, so the value can be
/// short by up to one polling interval. When the offset did not change within the window the value is
/// now minus the oldest observation, a lower bound. nullopt for an empty window; never negative.
std::optional<double> LastCommitAgeSeconds(const std::vector<CommitSample>& window, WallClock::time_point now);

}  // namespace kpe::state
