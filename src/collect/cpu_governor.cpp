#include "collect/cpu_governor.h"

#include <sys/resource.h>

#include <algorithm>

namespace kpe::collect {

CpuGovernor::CpuGovernor(double budget_cores, std::chrono::seconds window, CpuReader reader)
    : budget_(budget_cores), window_(window), reader_(std::move(reader)) {}

double CpuGovernor::ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void CpuGovernor::Update(Clock::time_point now) {
  const double cpu = reader_();
  std::lock_guard lock(mutex_);
  samples_.push_back({now, cpu});
  while (samples_.size() > 2 && now - samples_[1].at >= window_) samples_.pop_front();
  const auto span = std::chrono::duration<double>(now - samples_.front().at).count();
  if (span <= 0 || span < std::chrono::duration<double>(window_).count() / 4) return;
  usage_ = (cpu - samples_.front().cpu_seconds) / span;
  if (budget_ <= 0) return;
  if (usage_ > budget_) {
    stretch_ = std::min(stretch_ * 1.5, kMaxStretch);
  } else if (usage_ < budget_ / 2) {
    stretch_ = std::max(1.0, stretch_ / 1.5);
  }
}

double CpuGovernor::stretch() const {
  std::lock_guard lock(mutex_);
  return stretch_;
}

double CpuGovernor::usage_cores() const {
  std::lock_guard lock(mutex_);
  return usage_;
}

}  // namespace kpe::collect
