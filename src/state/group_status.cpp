#include "state/group_status.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>

namespace kpe::state {
namespace {

double Seconds(WallClock::duration d) { return std::chrono::duration<double>(d).count(); }

int Severity(PartitionStatus status) {
  switch (status) {
    case PartitionStatus::kUnknown:
      return 0;
    case PartitionStatus::kOk:
      return 1;
    case PartitionStatus::kWarning:
      return 2;
    case PartitionStatus::kStalled:
      return 3;
    case PartitionStatus::kStopped:
      return 4;
    case PartitionStatus::kRewind:
      return 5;
  }
  return 0;
}

GroupStatus ToGroupStatus(PartitionStatus status) {
  switch (status) {
    case PartitionStatus::kOk:
      return GroupStatus::kOk;
    case PartitionStatus::kWarning:
      return GroupStatus::kWarning;
    case PartitionStatus::kStalled:
      return GroupStatus::kStalled;
    case PartitionStatus::kStopped:
      return GroupStatus::kStopped;
    case PartitionStatus::kRewind:
      return GroupStatus::kRewind;
    case PartitionStatus::kUnknown:
      return GroupStatus::kUnknown;
  }
  return GroupStatus::kUnknown;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// Index of the first observation showing the current committed offset since its last change; 0 when
// it did not change within the window.
std::size_t LastChangeIndex(const std::vector<CommitSample>& window) {
  for (std::size_t k = window.size() - 1; k > 0; --k) {
    if (window[k - 1].committed != window[k].committed) return k;
  }
  return 0;
}

}  // namespace

std::string_view ToString(PartitionStatus status) { return ToString(ToGroupStatus(status)); }

std::string_view ToString(GroupStatus status) {
  switch (status) {
    case GroupStatus::kOk:
      return "ok";
    case GroupStatus::kWarning:
      return "warning";
    case GroupStatus::kStalled:
      return "stalled";
    case GroupStatus::kStopped:
      return "stopped";
    case GroupStatus::kRewind:
      return "rewind";
    case GroupStatus::kEmpty:
      return "empty";
    case GroupStatus::kUnknown:
      return "unknown";
  }
  return "unknown";
}

CommitWindow::CommitWindow(std::size_t capacity) : capacity_(capacity) {
  if (capacity < 2) {
    throw std::invalid_argument("CommitWindow: capacity must be at least 2 observations, got " +
                                std::to_string(capacity));
  }
}

bool CommitWindow::Add(const CommitSample& sample) {
  if (!samples_.empty() && sample.observed_at < samples_.back().observed_at) return false;
  // A vector, not a deque: a deque allocates a 512-byte block per window at least, and there is one
  // window per group partition. With ten entries, shifting them costs nothing.
  if (samples_.size() >= capacity_) samples_.erase(samples_.begin(), samples_.end() - (capacity_ - 1));
  if (samples_.capacity() < capacity_) samples_.reserve(capacity_);
  samples_.push_back(sample);
  return true;
}

PartitionStatus EvaluatePartition(const std::vector<CommitSample>& window, bool group_has_members,
                                  WallClock::time_point now, const StatusOptions& options) {
  if (window.empty() || window.size() < options.min_samples) return PartitionStatus::kUnknown;

  for (std::size_t i = 1; i < window.size(); ++i) {
    if (window[i].committed < window[i - 1].committed) return PartitionStatus::kRewind;
  }
  if (std::any_of(window.begin(), window.end(), [](const CommitSample& s) { return s.lag <= 0; })) {
    return PartitionStatus::kOk;
  }

  const bool full = window.size() >= options.window_size;
  const bool never_moved = std::all_of(window.begin(), window.end(), [&](const CommitSample& s) {
    return s.committed == window.front().committed;
  });

  if (!group_has_members) {
    const auto since_change = now - window[LastChangeIndex(window)].observed_at;
    const auto span = window.back().observed_at - window.front().observed_at;
    const WallClock::duration threshold =
        options.stopped_after.count() > 0 ? WallClock::duration(options.stopped_after) : span;
    if (threshold > WallClock::duration::zero() && since_change >= threshold)
      return PartitionStatus::kStopped;
  }
  if (group_has_members && full && never_moved) return PartitionStatus::kStalled;

  if (full) {
    bool growing = true;
    for (std::size_t i = 1; i < window.size() && growing; ++i) growing = window[i].lag > window[i - 1].lag;
    if (growing) return PartitionStatus::kWarning;
  }
  return PartitionStatus::kOk;
}

GroupStatus EvaluateGroup(std::span<const PartitionStatus> partitions, bool has_members,
                          std::string_view broker_state) {
  PartitionStatus worst = PartitionStatus::kUnknown;
  for (PartitionStatus status : partitions) {
    if (Severity(status) > Severity(worst)) worst = status;
  }
  if (Severity(worst) > Severity(PartitionStatus::kOk)) return ToGroupStatus(worst);
  if (!has_members && (partitions.empty() || EqualsIgnoringCase(broker_state, "Empty")))
    return GroupStatus::kEmpty;
  return ToGroupStatus(worst);
}

std::optional<double> LastCommitAgeSeconds(const std::vector<CommitSample>& window,
                                           WallClock::time_point now) {
  if (window.empty()) return std::nullopt;
  return std::max(0.0, Seconds(now - window[LastChangeIndex(window)].observed_at));
}

}  // namespace kpe::state
