#pragma once
// The standard process_* metrics' inputs, read from /proc/self. Parsing is split from I/O.

#include <cstdint>
#include <optional>
#include <string>

namespace kpe::metrics {

struct ProcessStats {
  double cpu_seconds = 0;          // user + system
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double start_time_seconds = 0;   // since the Unix epoch
  double open_fds = 0;
  double max_fds = 0;
  double threads = 0;
};

/// Parses the text of /proc/self/stat. `ticks_per_second` = sysconf(_SC_CLK_TCK), `page_size` in
/// bytes, `boot_time_seconds` = the btime line of /proc/stat. Returns nullopt on malformed text
/// (the command name may contain spaces and parentheses).
std::optional<ProcessStats> ParseProcStat(const std::string& stat_text, long ticks_per_second,
                                          long page_size, double boot_time_seconds);

/// Parses the btime line of /proc/stat; nullopt when absent.
std::optional<double> ParseBootTime(const std::string& proc_stat_text);

/// Parses the "Max open files" soft limit of /proc/self/limits; nullopt when absent or "unlimited".
std::optional<double> ParseMaxOpenFiles(const std::string& limits_text);

/// Reads everything above for this process. Fields that cannot be read stay 0. Thread-safe.
ProcessStats ReadProcessStats();

}  // namespace kpe::metrics
