#include "state/group_status.h"

#include <algorithm>
#include <cctype>
#include <cstring>
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

namespace {

// LEB128: 7 bits per byte, low groups first, the high bit set on every byte but the last.
std::size_t PutVarint(uint8_t* out, uint64_t v) {
  std::size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<uint8_t>(v);
  return n;
}

uint64_t GetVarint(const uint8_t*& in) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const uint8_t byte = *in++;
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
}

void SkipVarint(const uint8_t*& in) {
  while ((*in++ & 0x80) != 0) {
  }
}

// Differences are taken modulo 2^64 (unsigned), so any two int64 values round-trip exactly;
// zigzag keeps small negative ones short.
uint64_t Zigzag(uint64_t difference) {
  return (difference << 1) ^ static_cast<uint64_t>(static_cast<int64_t>(difference) >> 63);
}
uint64_t Unzigzag(uint64_t v) { return (v >> 1) ^ (0 - (v & 1)); }

int64_t Minus(int64_t a, uint64_t difference) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - difference);
}

}  // namespace

CommitWindow::CommitWindow(std::size_t capacity) : capacity_(static_cast<uint8_t>(capacity)) {
  if (capacity < 2 || capacity > kMaxCapacity) {
    throw std::invalid_argument("CommitWindow: capacity must be 2 to " + std::to_string(kMaxCapacity) +
                                " observations, got " + std::to_string(capacity));
  }
}

CommitWindow::CommitWindow(CommitWindow&& other) noexcept { *this = std::move(other); }

CommitWindow& CommitWindow::operator=(CommitWindow&& other) noexcept {
  if (this == &other) return *this;
  newest_ = other.newest_;
  spill_ = std::move(other.spill_);
  length_ = other.length_;
  spill_capacity_ = other.spill_capacity_;
  capacity_ = other.capacity_;
  size_ = other.size_;
  if (spill_ == nullptr) std::memcpy(inline_, other.inline_, length_);
  other.length_ = 0;
  other.spill_capacity_ = 0;
  other.size_ = 0;
  return *this;
}

bool CommitWindow::Add(const CommitSample& sample) {
  CommitSample kept = sample;
  kept.observed_at = std::chrono::floor<std::chrono::milliseconds>(sample.observed_at);
  if (size_ > 0 && kept.observed_at < newest_.observed_at) return false;
  if (size_ == 0) {
    newest_ = kept;
    size_ = 1;
    return true;
  }
  // The newest observation becomes the first older one: its differences from the new newest.
  uint8_t head[30];
  std::size_t head_length = PutVarint(
      head, static_cast<uint64_t>(
                std::chrono::duration_cast<std::chrono::milliseconds>(kept.observed_at - newest_.observed_at).count()));
  head_length += PutVarint(head + head_length, Zigzag(static_cast<uint64_t>(kept.committed) -
                                                      static_cast<uint64_t>(newest_.committed)));
  head_length +=
      PutVarint(head + head_length, Zigzag(static_cast<uint64_t>(kept.lag) - static_cast<uint64_t>(newest_.lag)));
  // The older ones that stay: at most capacity - 2 of them.
  const std::size_t keep = std::min<std::size_t>(size_ - 1, capacity_ - 2);
  const uint8_t* end = data();
  for (std::size_t i = 0; i < keep * 3; ++i) SkipVarint(end);
  const std::size_t tail_length = static_cast<std::size_t>(end - data());
  const std::size_t length = head_length + tail_length;

  uint8_t* target = inline_;
  std::unique_ptr<uint8_t[]> grown;
  if (length > kInlineBytes) {
    if (spill_ != nullptr && length <= spill_capacity_) {
      target = spill_.get();
    } else {
      // Room for a little more than now, so that a window at its size does not reallocate per observation.
      const std::size_t room = length + length / 4;
      grown = std::make_unique_for_overwrite<uint8_t[]>(room);
      spill_capacity_ = static_cast<uint16_t>(room);
      target = grown.get();
    }
  }
  std::memmove(target + head_length, data(), tail_length);  // data() may be target: memmove
  std::memcpy(target, head, head_length);
  if (grown != nullptr) {
    spill_ = std::move(grown);
  } else if (target == inline_ && spill_ != nullptr) {
    spill_.reset();  // the large moves have left the window
    spill_capacity_ = 0;
  }
  length_ = static_cast<uint16_t>(length);
  newest_ = kept;
  size_ = static_cast<uint8_t>(keep + 2);
  return true;
}

std::vector<CommitSample> CommitWindow::samples() const {
  std::vector<CommitSample> out(size_);
  if (size_ == 0) return out;
  out[size_ - 1] = newest_;
  const uint8_t* in = data();
  CommitSample at = newest_;
  for (std::size_t i = size_ - 1; i-- > 0;) {
    at.observed_at -= std::chrono::milliseconds(static_cast<int64_t>(GetVarint(in)));
    at.committed = Minus(at.committed, Unzigzag(GetVarint(in)));
    at.lag = Minus(at.lag, Unzigzag(GetVarint(in)));
    out[i] = at;
  }
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
