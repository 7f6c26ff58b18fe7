#include "metrics/process_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace kpe::metrics {
namespace {

template <typename T>
std::optional<T> ParseNumber(std::string_view text) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t begin = text.find_first_not_of(" \t\n", pos);
    if (begin == std::string_view::npos) break;
    size_t end = text.find_first_of(" \t\n", begin);
    if (end == std::string_view::npos) end = text.size();
    fields.push_back(text.substr(begin, end - begin));
    pos = end;
  }
  return fields;
}

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Fields of /proc/<pid>/stat (proc(5)) counted from `state` (field 3), the first after the command.
constexpr size_t kUtime = 14 - 3;
constexpr size_t kStime = 15 - 3;
constexpr size_t kNumThreads = 20 - 3;
constexpr size_t kStartTime = 22 - 3;
constexpr size_t kVsize = 23 - 3;
constexpr size_t kRss = 24 - 3;

}  // namespace

std::optional<ProcessStats> ParseProcStat(const std::string& stat_text, long ticks_per_second,
                                          long page_size, double boot_time_seconds) {
  if (ticks_per_second <= 0 || page_size <= 0) return std::nullopt;
  // The command is in parentheses and may itself contain ") ", so the fields start after the last
  // ')'.
  const size_t open = stat_text.find('(');
  const size_t close = stat_text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  const std::vector<std::string_view> fields =
      SplitFields(std::string_view(stat_text).substr(close + 1));
  if (fields.size() <= kRss) return std::nullopt;

  const auto utime = ParseNumber<unsigned long long>(fields[kUtime]);
  const auto stime = ParseNumber<unsigned long long>(fields[kStime]);
  const auto threads = ParseNumber<long long>(fields[kNumThreads]);
  const auto start = ParseNumber<unsigned long long>(fields[kStartTime]);
  const auto vsize = ParseNumber<unsigned long long>(fields[kVsize]);
  const auto rss = ParseNumber<long long>(fields[kRss]);
  if (!utime || !stime || !threads || !start || !vsize || !rss) return std::nullopt;

  const double ticks = static_cast<double>(ticks_per_second);
  ProcessStats stats;
  stats.cpu_seconds = static_cast<double>(*utime + *stime) / ticks;
  stats.threads = static_cast<double>(*threads);
  stats.start_time_seconds = boot_time_seconds + static_cast<double>(*start) / ticks;
  stats.virtual_memory_bytes = static_cast<double>(*vsize);
  stats.resident_memory_bytes = static_cast<double>(*rss) * static_cast<double>(page_size);
  return stats;
}

std::optional<double> ParseBootTime(const std::string& proc_stat_text) {
  std::istringstream lines(proc_stat_text);
  std::string line;
  while (std::getline(lines, line)) {
    const std::vector<std::string_view> fields = SplitFields(line);
    if (fields.size() == 2 && fields[0] == "btime") {
      if (auto seconds = ParseNumber<unsigned long long>(fields[1])) {
        return static_cast<double>(*seconds);
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<double> ParseMaxOpenFiles(const std::string& limits_text) {
  // "Max open files            1024                 1048576              files"
  constexpr std::string_view kPrefix = "Max open files";
  std::istringstream lines(limits_text);
  std::string line;
  while (std::getline(lines, line)) {
    std::string_view view(line);
    if (!view.starts_with(kPrefix)) continue;
    const std::vector<std::string_view> fields = SplitFields(view.substr(kPrefix.size()));
    if (fields.empty()) return std::nullopt;
    if (auto soft = ParseNumber<unsigned long long>(fields[0])) return static_cast<double>(*soft);
    return std::nullopt;  // "unlimited" or garbage
  }
  return std::nullopt;
}

ProcessStats ReadProcessStats() {
  // The boot time does not change: /proc/stat (whose per-CPU and interrupt lines the kernel sums up
  // on every read, tens of KB on a large host) is read once, not on every scrape.
  static const double boot_time = ParseBootTime(ReadFile("/proc/stat")).value_or(0);
  ProcessStats stats = ParseProcStat(ReadFile("/proc/self/stat"), sysconf(_SC_CLK_TCK),
                                     sysconf(_SC_PAGESIZE), boot_time)
                           .value_or(ProcessStats{});
  if (boot_time == 0) stats.start_time_seconds = 0;  // without btime it would be relative to boot
  stats.max_fds = ParseMaxOpenFiles(ReadFile("/proc/self/limits")).value_or(0);

  // The directory's own descriptor is counted too, as the Prometheus client libraries do.
  if (DIR* dir = opendir("/proc/self/fd")) {
    size_t open_fds = 0;
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++open_fds;  // not "." and ".."
    }
    closedir(dir);
    stats.open_fds = static_cast<double>(open_fds);
  }
  return stats;
}

}  // namespace kpe::metrics
