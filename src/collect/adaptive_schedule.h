#pragma once
// Adaptive sampling: every topic and every group has its own interval between a minimum and a maximum.
// What changes is sampled often, what is idle and steady less and less often, and anything alarming
// at once. A stretch factor (from the CPU governor) scales every interval.

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>

#include "state/wall_clock.h"

namespace kpe::collect {

/// What the latest sample of an entity showed.
enum class Activity {
  kChanging,  ///< its values moved (traffic, commits, lag): sample at the minimum interval
  kSteady,    ///< nothing moved: double the interval, up to the maximum
  kAlarming,  ///< lag grew, ISR shrank, an error: minimum interval, due at the next tick (later only
              ///< while the CPU governor stretches)
};

/// Summary of the current intervals, for self-metrics.
struct ScheduleStats {
  size_t entities = 0;
  double min_seconds = 0;
  double avg_seconds = 0;
  double max_seconds = 0;
};

/// Not thread-safe: owned by one collector thread.
class AdaptiveSchedule {
 public:
  using Duration = std::chrono::milliseconds;

  /// With adaptive off, every entity is due at every tick (Due() is always true).
  AdaptiveSchedule(Duration min_interval, Duration max_interval, bool adaptive);

  /// True when `key` is due at `now`; an entity never sampled is due.
  bool Due(const std::string& key, state::WallClock::time_point now) const;

  /// Records a sample of `key` taken at `now` and what it showed; sets when it is due next: after its
  /// (stretched) interval, less half a minimum interval of slack, and less a random part (up to half)
  /// of what that interval exceeds the minimum by. The random part lets entities that were read in the
  /// same tick and turned steady together drift apart, so their requests spread over the interval
  /// instead of coming in waves; an entity at the minimum interval is due every tick as before.
  void Sampled(const std::string& key, state::WallClock::time_point now, Activity activity);

  /// Brings `key` back to the minimum interval and makes it due one (stretched) minimum interval after
  /// its last sample: at the next tick unless the governor stretches (an alarm seen elsewhere, e.g. a
  /// group's lag growing makes its topics due).
  void Tighten(const std::string& key);

  /// Drops entities not in `live` (topics deleted, groups gone).
  void Retain(const std::set<std::string>& live);

  /// Scales every interval (>= 1; the CPU governor stretches when over budget).
  void SetStretch(double stretch);
  double stretch() const { return stretch_; }

  /// The current interval of `key` (the minimum for an unknown key), stretch included.
  Duration IntervalOf(const std::string& key) const;
  ScheduleStats Stats() const;

 private:
  struct Entry {
    Duration interval;
    state::WallClock::time_point next_due;
    state::WallClock::time_point last_sampled;
  };
  Duration Stretched(Duration interval) const;

  Duration min_;
  Duration max_;
  bool adaptive_;
  double stretch_ = 1.0;
  std::minstd_rand random_;  // default seed: a schedule's due times are reproducible (tests)
  std::map<std::string, Entry> entries_;
};

}  // namespace kpe::collect
