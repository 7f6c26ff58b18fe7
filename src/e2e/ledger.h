#pragma once
// The probe's bookkeeping: which records were sent, acknowledged, received, lost or duplicated, and their
// latencies. Pure: times are passed in, no Kafka, so tests script whole sequences of events.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "state/probe.h"

namespace kpe::e2e {

using SteadyClock = std::chrono::steady_clock;

/// What a received record turned out to be.
enum class Receipt {
  kFirst,      // the first receipt of a record this probe sent: counted received, latency recorded
  kDuplicate,  // a record already received: counted duplicated
  kForgotten,  // sent so long ago (over 3 SLAs) that it is no longer remembered: counted received,
               // latency recorded from the record's own send time, no duplicate check
  kUnknown,    // a sequence this probe never sent (not counted)
};

/// Record accounting of one probe, keyed by (partition, sequence). A record is lost when it was
/// acknowledged and not received within `sla` of its sending (counted once, at the first Expire after
/// that; a later receipt counts it received as well); a record that failed is never lost. Each
/// partition remembers its records for 3 × sla (and at most kMaxRemembered of them), which bounds
/// memory and the window in which duplicates are recognised. Not thread-safe (the probe's thread owns
/// it).
class Ledger {
 public:
  static constexpr size_t kMaxRemembered = 100000;

  Ledger(std::string topic, std::chrono::milliseconds sla);

  /// A record was handed to the producer at `at`.
  void Sent(int32_t partition, int64_t sequence, SteadyClock::time_point at);
  /// The cluster acknowledged it: `broker` acknowledged (-1: unknown) after `latency`.
  void Acknowledged(int32_t partition, int64_t sequence, int32_t broker, std::chrono::microseconds latency);
  /// It will never be acknowledged (refused, timed out, error answer).
  void Failed(int32_t partition, int64_t sequence);
  /// The probe's consumer read it at `at` from `broker` (-1: unknown). `sent_unix_us` is the send time the
  /// record carries, used only for records no longer remembered; `now_unix_us` is the wall time of `at`.
  Receipt Received(int32_t partition, int64_t sequence, int32_t broker, SteadyClock::time_point at,
                   int64_t sent_unix_us, int64_t now_unix_us);
  /// Counts as lost the acknowledged, unreceived records sent more than `sla` before `now`, and forgets
  /// records sent more than 3 × sla before `now`.
  void Expire(SteadyClock::time_point now);

  /// An offset commit finished after `latency`; failed ones are counted, not timed.
  void Committed(SteadyClock::duration latency, bool ok);
  /// A probe round started.
  void RoundStarted() { ++rounds_; }
  /// Remembers `message` as the latest error.
  void Error(std::string message, state::WallClock::time_point at);
  const std::string& last_error() const { return last_error_; }

  /// Used as the broker label when a delivery or a fetch does not say which broker it was.
  void SetLeader(int32_t partition, int32_t broker) { leaders_[partition] = broker; }

  /// Records remembered, over all partitions (for tests of the bounds).
  size_t Remembered() const;

  /// Everything counted so far.
  state::ProbeSnapshot Snapshot(state::WallClock::time_point now) const;

 private:
  struct Record {
    SteadyClock::time_point sent_at;
    bool acknowledged = false;
    bool failed = false;
    bool lost = false;
    uint32_t receipts = 0;
  };
  struct PartitionBook {
    state::ProbeCounts counts;
    std::map<int64_t, Record> records;  // by sequence
    int64_t forgotten_below = -1;       // sequences below this are no longer remembered
  };

  PartitionBook& Book(int32_t partition);
  state::ProbeLatencies& Latencies(int32_t partition, int32_t broker);
  int32_t BrokerOr(int32_t broker, int32_t partition) const;

  const std::string topic_;
  const std::chrono::milliseconds sla_;
  std::map<int32_t, PartitionBook> books_;
  std::map<std::pair<int32_t, int32_t>, state::ProbeLatencies> latencies_;
  std::map<int32_t, int32_t> leaders_;
  state::LatencyHistogram commit_latency_;
  uint64_t commits_failed_ = 0;
  uint64_t rounds_ = 0;
  std::string last_error_;
  state::WallClock::time_point last_error_at_{};
};

}  // namespace kpe::e2e
