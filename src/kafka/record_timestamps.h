#pragma once
// Timestamps of the records at given offsets: the "precise" lag-in-seconds mode (now minus the timestamp of
// the record at a group's committed offset, i.e. the next record the group will consume).

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kafka/cluster_client.h"

namespace kpe::kafka {

/// One record's position.
struct RecordRef {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  auto operator<=>(const RecordRef&) const = default;
};

/// Reads the timestamp of the record at given offsets, with a bounded cache and a per-call budget of
/// reads. Owns one group-less consumer handle of its own (it never joins a group and never commits).
/// Thread-compatible: calls must not overlap. Destruction stops the handle without waiting for any broker.
class RecordTimestampReader {
 public:
  struct Options {
    /// Servers, client id, extra properties; `timeout` bounds each Read call as a whole.
    /// `statistics_interval` and `on_statistics` are ignored.
    ClientOptions client;
    /// At most this many uncached records are read from Kafka per Read call (>= 1).
    size_t max_reads_per_call = 100;
    /// The cache keeps the timestamps of this many records, least recently used evicted first (0: off).
    size_t cache_entries = 10000;
  };

  /// Throws std::invalid_argument naming the property when librdkafka rejects a configuration value
  /// ("kafka property 'NAME': ..."), when there is no bootstrap server, or when max_reads_per_call is 0.
  explicit RecordTimestampReader(Options options);
  ~RecordTimestampReader();
  RecordTimestampReader(const RecordTimestampReader&) = delete;
  RecordTimestampReader& operator=(const RecordTimestampReader&) = delete;

  /// Timestamps in milliseconds since the epoch (CreateTime or LogAppendTime, as each record says) of the
  /// records at `records` (duplicates allowed). Cached answers cost nothing; at most max_reads_per_call
  /// uncached records are read per call, those of the partitions read least recently first (the others
  /// are skipped this time and come first next time). All reads together take at most about
  /// options.client.timeout, plus the time librdkafka takes to stop the partitions' fetchers (~ms).
  ///
  /// The answer for offset O is the timestamp of the first record at or after O that a read_uncommitted
  /// consumer sees: the record at O itself normally; on a compacted topic where O was removed, or when O
  /// is a transaction marker, the next record after it (the record a consumer at O gets next).
  /// Records that could not be read are absent: O at or beyond the newest offset (nothing to consume yet:
  /// callers should not ask for partitions without lag), O deleted by retention, a record without a
  /// timestamp (message format v0), and, costing the whole timeout, an unknown topic or partition or a
  /// leader that does not answer. Failures are not cached: they are tried again on a later call.
  std::map<RecordRef, int64_t> Read(const std::vector<RecordRef>& records);

  /// Distinct records per call answered from the cache, in total.
  size_t cache_hits() const;
  /// Distinct records per call not in the cache (read or skipped), in total.
  size_t cache_misses() const;
  /// Records read from Kafka (attempts, successful or not), in total.
  size_t reads() const;
  /// Of reads(), those that gave no timestamp.
  size_t read_failures() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kpe::kafka
