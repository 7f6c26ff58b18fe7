#pragma once
// Holds the exporter's own CPU use under a budget: it measures the process's CPU time over a sliding
// window and turns the result into a stretch factor that every AdaptiveSchedule applies to its
// intervals (stretched while over budget, relaxed back while well under).

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>

namespace kpe::collect {

/// Thread-safe: the collectors of every cluster share one governor (one budget for the process).
class CpuGovernor {
 public:
  using Clock = std::chrono::steady_clock;
  /// Returns the process's CPU time so far (user + system), in seconds.
  using CpuReader = std::function<double()>;

  static constexpr double kMaxStretch = 64;

  /// `budget_cores` 0 disables the governor (stretch stays 1): demo mode, whose in-process demo
  /// cluster is not the exporter's own cost. Usage is judged once `window / 4` of samples exist.
  CpuGovernor(double budget_cores, std::chrono::seconds window, CpuReader reader = ProcessCpuSeconds);

  /// Samples the CPU time at `now` and adjusts the stretch: ×1.5 while usage is over the budget,
  /// ÷1.5 (down to 1) while under half of it; unchanged in between (hysteresis).
  void Update(Clock::time_point now);

  double stretch() const;
  /// CPU used over the window, in cores (1.0 = one core busy); 0 until enough samples exist.
  double usage_cores() const;
  double budget_cores() const { return budget_; }

  /// getrusage(RUSAGE_SELF): user + system seconds of the whole process.
  static double ProcessCpuSeconds();

 private:
  struct Sample {
    Clock::time_point at;
    double cpu_seconds;
  };

  const double budget_;
  const std::chrono::seconds window_;
  const CpuReader reader_;
  mutable std::mutex mutex_;
  std::deque<Sample> samples_;  // guarded by mutex_
  double stretch_ = 1.0;        // guarded by mutex_
  double usage_ = 0;            // guarded by mutex_
};

}  // namespace kpe::collect
