#include "state/group_status.h"

#include <algorithm>
#include <cctype>
#include <limits>
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

CommitWindow::CommitWindow(std::size_t capacity) : capacity_(static_cast<uint32_t>(capacity)) {
  if (capacity < 2 || capacity > std::numeric_limits<uint32_t>::max()) {
    throw std::invalid_argument("CommitWindow: capacity must be at least 2 observations, got " +
                                std::to_string(capacity));
  }
}

bool CommitWindow::Add(const CommitSample& sample) {
  CommitSample kept = sample;
  kept.observed_at = std::chrono::floor<std::chrono::milliseconds>(sample.observed_at);
  if (size_ > 0 && kept.observed_at < newest_.observed_at) return false;
  // Decoded, appended and encoded again: ten entries cost nothing to shift.
  std::vector<CommitSample> all = samples();
  if (all.size() >= capacity_) all.erase(all.begin(), all.end() - (capacity_ - 1));
  all.push_back(kept);
  Store(all);
  return true;
}

void CommitWindow::Store(const std::vector<CommitSample>& all) {
  size_ = static_cast<uint32_t>(all.size());
  newest_ = all.back();
  const auto fits = [](int64_t v) {
    return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
  };
  // Written over the last encoding's storage (one allocation per window, not one per observation).
  if (older_ == nullptr && all.size() > 1) older_ = std::make_unique_for_overwrite<Older[]>(capacity_ - 1);
  bool all_fit = true;
  for (std::size_t i = 0; i + 1 < all.size() && all_fit; ++i) {
    const int64_t ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(newest_.observed_at - all[i].observed_at).count();
    int64_t committed = 0;
    int64_t lag = 0;
    // Offsets more than 2^63 apart overflow the subtraction: they do not fit either.
    all_fit = !__builtin_sub_overflow(newest_.committed, all[i].committed, &committed) &&
              !__builtin_sub_overflow(newest_.lag, all[i].lag, &lag) && fits(ms) && fits(committed) &&
              fits(lag);
    older_[i] = {static_cast<int32_t>(ms), static_cast<int32_t>(committed), static_cast<int32_t>(lag)};
  }
  if (all_fit) {
    wide_.reset();
  } else {
    wide_ = std::make_unique<std::vector<CommitSample>>(all.begin(), all.end() - 1);
    older_.reset();
  }
}

std::vector<CommitSample> CommitWindow::samples() const {
  std::vector<CommitSample> out;
  if (size_ == 0) return out;
  out.reserve(size_);
  if (wide_ != nullptr) {
    out.assign(wide_->begin(), wide_->end());
  } else {
    for (std::size_t i = 0; i + 1 < size_; ++i) {
      const Older& o = older_[i];
      out.push_back({newest_.observed_at - std::chrono::milliseconds(o.before_ms),
                     newest_.committed - o.committed_below, newest_.lag - o.lag_below});
    }
  }
  out.push_back(newest_);
  return out;
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
