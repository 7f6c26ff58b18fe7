#include "state/offset_history.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace kpe::state {
namespace {

double Seconds(WallClock::duration d) { return std::chrono::duration<double>(d).count(); }

// Weight of the gap a removal would leave, relative to the interpolation error it would cause: on a
// perfectly straight stretch every removal costs 0, and this term keeps the survivors spread out.
constexpr double kGapWeight = 1.0 / 64;

}  // namespace

const char* ToString(LagMethod method) {
  switch (method) {
    case LagMethod::kCaughtUp:
      return "caught_up";
    case LagMethod::kInterpolated:
      return "interpolated";
    case LagMethod::kExtrapolated:
      return "extrapolated";
    case LagMethod::kExtrapolationCapped:
      return "extrapolation_capped";
    case LagMethod::kLowerBound:
      return "lower_bound";
  }
  return "unknown";
}

OffsetHistory::OffsetHistory(std::size_t max_samples, std::chrono::seconds max_extrapolation)
    : max_samples_(max_samples), max_extrapolation_(max_extrapolation) {
  if (max_samples < 3) {
    throw std::invalid_argument(
        "OffsetHistory: max_samples must be at least 3 (first, newest and one between), got " +
        std::to_string(max_samples));
  }
  if (max_extrapolation.count() < 0) {
    throw std::invalid_argument("OffsetHistory: max_extrapolation must not be negative, got " +
                                std::to_string(max_extrapolation.count()) + "s");
  }
}

void OffsetHistory::Append(Sample sample) {
  // Grown by doubling but never beyond max_samples + 1 (the most it holds, just before a compaction):
  // an idle partition keeps 2 samples and a young history few, instead of max_samples each from the
  // start (64 × 16 bytes for each of 10,000 partitions).
  if (samples_.size() == samples_.capacity()) {
    samples_.reserve(std::min(std::max<std::size_t>(4, 2 * samples_.capacity()), max_samples_ + 1));
  }
  samples_.push_back(sample);
}

OffsetHistory::AddResult OffsetHistory::Add(WallClock::time_point t, int64_t newest_offset) {
  if (samples_.empty()) {
    Append({t, newest_offset});
    return AddResult::kAppended;
  }
  Sample& last = samples_.back();
  if (t < last.at) return AddResult::kIgnored;
  if (newest_offset < last.offset) {
    // The high watermark never goes down on a living partition: the topic was re-created or truncated,
    // and the old samples describe offsets that no longer exist.
    samples_.clear();
    Append({t, newest_offset});
    ++resets_;
    return AddResult::kReset;
  }
  if (t == last.at) {
    last.offset = newest_offset;
    return AddResult::kMerged;
  }
  if (newest_offset == last.offset && samples_.size() >= 2 &&
      samples_[samples_.size() - 2].offset == last.offset) {
    last.at = t;
    return AddResult::kExtended;
  }
  Append({t, newest_offset});
  if (samples_.size() > max_samples_) RemoveOneSample();
  return AddResult::kAppended;
}

double OffsetHistory::RemovalCost(std::size_t i) const {
  const Sample& before = samples_[i - 1];
  const Sample& sample = samples_[i];
  const Sample& after = samples_[i + 1];
  const double gap = Seconds(after.at - before.at);
  double error = 0;  // a sample between two equal offsets is redundant
  if (after.offset != before.offset) {
    const double fraction = static_cast<double>(sample.offset - before.offset) /
                            static_cast<double>(after.offset - before.offset);
    error = std::abs(Seconds(before.at - sample.at) + fraction * gap);
  }
  const double age = Seconds(samples_.back().at - sample.at);  // > 0: times strictly increase
  return (error + kGapWeight * gap) / age;
}

void OffsetHistory::RemoveOneSample() {
  std::size_t cheapest = 1;
  double cheapest_cost = std::numeric_limits<double>::infinity();
  for (std::size_t i = 1; i + 1 < samples_.size(); ++i) {
    const double cost = RemovalCost(i);
    if (cost < cheapest_cost) {
      cheapest_cost = cost;
      cheapest = i;
    }
  }
  samples_.erase(samples_.begin() + static_cast<std::ptrdiff_t>(cheapest));
}

std::optional<LagEstimate> OffsetHistory::EstimateLag(int64_t committed, WallClock::time_point now) const {
  if (samples_.empty() || committed < 0) return std::nullopt;
  if (committed >= samples_.back().offset) return LagEstimate{0, LagMethod::kCaughtUp, 0.0};

  const auto after = std::upper_bound(samples_.begin(), samples_.end(), committed,
                                      [](int64_t offset, const Sample& s) { return offset < s.offset; });
  if (after != samples_.begin()) {
    const Sample& a = *(after - 1);  // a.offset <= committed < after->offset
    const double gap = Seconds(after->at - a.at);
    const double fraction =
        static_cast<double>(committed - a.offset) / static_cast<double>(after->offset - a.offset);
    const double seconds = Seconds(now - a.at) - fraction * gap;
    return LagEstimate{std::max(0.0, seconds), LagMethod::kInterpolated, gap};
  }

  const Sample& oldest = samples_.front();
  const Sample& newest = samples_.back();
  const double known = std::max(0.0, Seconds(now - oldest.at));
  if (newest.offset == oldest.offset) return LagEstimate{known, LagMethod::kLowerBound, std::nullopt};
  const double rate = static_cast<double>(newest.offset - oldest.offset) / Seconds(newest.at - oldest.at);
  const double extrapolated = static_cast<double>(oldest.offset - committed) / rate;
  const double cap = static_cast<double>(max_extrapolation_.count());
  if (extrapolated > cap) return LagEstimate{known + cap, LagMethod::kExtrapolationCapped, std::nullopt};
  return LagEstimate{known + extrapolated, LagMethod::kExtrapolated, std::nullopt};
}

std::optional<double> OffsetHistory::LagSeconds(int64_t committed, WallClock::time_point now) const {
  const auto estimate = EstimateLag(committed, now);
  if (!estimate) return std::nullopt;
  return estimate->seconds;
}

WallClock::duration OffsetHistory::Span() const {
  if (samples_.size() < 2) return WallClock::duration::zero();
  return samples_.back().at - samples_.front().at;
}

}  // namespace kpe::state
