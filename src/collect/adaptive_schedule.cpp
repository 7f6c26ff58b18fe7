#include "collect/adaptive_schedule.h"

#include <algorithm>

namespace kpe::collect {

AdaptiveSchedule::AdaptiveSchedule(Duration min_interval, Duration max_interval, bool adaptive)
    : min_(min_interval), max_(std::max(min_interval, max_interval)), adaptive_(adaptive) {}

bool AdaptiveSchedule::Due(const std::string& key, state::WallClock::time_point now) const {
  if (!adaptive_) return true;  // every tick samples everything
  const auto it = entries_.find(key);
  return it == entries_.end() || now >= it->second.next_due;
}

void AdaptiveSchedule::Sampled(const std::string& key, state::WallClock::time_point now,
                               Activity activity) {
  auto [it, inserted] = entries_.try_emplace(key, Entry{min_, now, now});
  Entry& entry = it->second;
  entry.last_sampled = now;
  if (!adaptive_ || activity != Activity::kSteady) {
    entry.interval = min_;
  } else if (!inserted) {
    entry.interval = std::min(entry.interval * 2, max_);
  }
  // A cycle starts a little after its due time; half a minimum interval of slack keeps an entity at the
  // minimum interval due every cycle rather than every other one.
  // Alarming: at the next tick, unless the governor stretches: then after the stretched minimum, so an
  // exporter over its budget slows down everything, alarms included.
  if (activity == Activity::kAlarming) {
    entry.next_due = now + (Stretched(min_) - min_);
    return;
  }
  // Up to half of what the stretched interval exceeds the minimum by, early, at random.
  const Duration stretched = Stretched(entry.interval);
  const double fraction = std::uniform_real_distribution<double>(0.0, 0.5)(random_);
  const auto early =
      Duration(static_cast<Duration::rep>(static_cast<double>((stretched - min_).count()) * fraction));
  entry.next_due = now + stretched - min_ / 2 - early;
}

void AdaptiveSchedule::Tighten(const std::string& key) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return;  // unknown keys are due anyway
  it->second.interval = min_;
  it->second.next_due =
      std::min(it->second.next_due, it->second.last_sampled + (Stretched(min_) - min_ / 2));
}

void AdaptiveSchedule::Retain(const std::set<std::string>& live) {
  std::erase_if(entries_, [&live](const auto& entry) { return live.count(entry.first) == 0; });
}

void AdaptiveSchedule::SetStretch(double stretch) { stretch_ = std::max(1.0, stretch); }

AdaptiveSchedule::Duration AdaptiveSchedule::Stretched(Duration interval) const {
  return Duration(static_cast<Duration::rep>(static_cast<double>(interval.count()) * stretch_));
}

AdaptiveSchedule::Duration AdaptiveSchedule::IntervalOf(const std::string& key) const {
  const auto it = entries_.find(key);
  return Stretched(it == entries_.end() ? min_ : it->second.interval);
}

ScheduleStats AdaptiveSchedule::Stats() const {
  ScheduleStats stats;
  stats.entities = entries_.size();
  if (entries_.empty()) return stats;
  double sum = 0;
  stats.min_seconds = 1e300;
  for (const auto& [key, entry] : entries_) {
    const double seconds = std::chrono::duration<double>(Stretched(entry.interval)).count();
    stats.min_seconds = std::min(stats.min_seconds, seconds);
    stats.max_seconds = std::max(stats.max_seconds, seconds);
    sum += seconds;
  }
  stats.avg_seconds = sum / static_cast<double>(entries_.size());
  return stats;
}

}  // namespace kpe::collect
