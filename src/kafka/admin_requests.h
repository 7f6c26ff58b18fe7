#pragma once
// Internal to src/kafka/: Admin API requests on one librdkafka handle that librdkafka 2.0.2 never times
// out while we hold them. Its coordinator path has a use-after-free (confluentinc/librdkafka#4605, fix
// proposed in PR #5397): an Admin request to a group coordinator that times out inside librdkafka while
// the coordinator is still being looked up (FindCoordinator in flight, or its connection not up yet) is
// later handed to the coordinator anyway; the send callback then sees the request gone, frees the
// request's enq_once, and the error reply built next uses it: "rd_kafka_enq_once_del_source_return:
// Assertion 'eonce->refcnt > 0' failed" (SIGABRT). ListConsumerGroupOffsets and DescribeConsumerGroups
// take that path. So librdkafka's request timeout is set to its maximum (one hour), our own deadline is
// enforced by no longer waiting, and a request still outstanding at our deadline stays owned by this
// object: its late answer is read and dropped later, and it keeps its in-flight slot until then.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_set>
#include <vector>

#include <string>

#include "kafka/group_client.h"  // ErrorKind
#include "kafka/rdkafka_ptr.h"

namespace kpe::kafka::rd {

/// librdkafka's own timeout of each Admin request: the most librdkafka accepts (one hour). Only a
/// coordinator that stays unknown or unreachable longer than that can still trigger the bug above.
inline constexpr int kAdminRequestTimeoutMs = 3600 * 1000;

/// Sends Admin requests through one long-lived result queue with at most `max_in_flight` outstanding,
/// counting those left behind by earlier calls, so a slow coordinator's backlog never grows beyond it.
/// Each request carries its own id as opaque: answers to requests of earlier calls are dropped.
/// Thread-compatible. Must be destroyed before the handle (it owns a queue of it).
class AdminRequests {
 public:
  using Clock = std::chrono::steady_clock;
  /// start(i, options, queue) sends request i with these options (librdkafka copies them) to the queue.
  using Start = std::function<void(size_t, const rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>;
  /// on_result(i, event) reads the answer to request i (the event is destroyed after it returns).
  using OnResult = std::function<void(size_t, rd_kafka_event_t*)>;

  /// `rk` must outlive this object. max_in_flight 0 is taken as 1.
  AdminRequests(rd_kafka_t* rk, size_t max_in_flight);

  /// Sends `count` requests of type `op`, keeping the outstanding ones (earlier calls' included) within
  /// max_in_flight, and hands each answer to on_result. Stops waiting at `deadline`: what is unanswered
  /// by then stays outstanding inside librdkafka and is dropped when it answers. Returns which requests
  /// were answered. Throws std::runtime_error if librdkafka rejects the request timeout.
  std::vector<bool> Run(size_t count, rd_kafka_admin_op_t op, Clock::time_point deadline,
                        const Start& start, const OnResult& on_result);

  /// Reads and drops late answers until none is outstanding or `deadline` passes; returns whether
  /// none is outstanding.
  bool Drain(Clock::time_point deadline);

  /// Requests sent and not yet answered (from any call).
  size_t Outstanding() const { return outstanding_.size(); }
  /// Whether every in-flight slot is taken, so a call can send nothing until an answer comes.
  bool Full() const { return outstanding_.size() >= max_in_flight_; }
  /// When the last answer (to any call, late ones included) arrived; construction time before any.
  Clock::time_point LastAnswer() const { return last_answer_; }

 private:
  rd_kafka_t* rk_;
  size_t max_in_flight_;
  QueuePtr queue_;
  uint64_t next_id_ = 1;
  std::unordered_set<uint64_t> outstanding_;
  Clock::time_point last_answer_ = Clock::now();
};

/// What an Admin result's error means for the caller (unsupported, authorization, timeout, other).
ErrorKind KindOf(rd_kafka_resp_err_t err);

/// librdkafka's (or the broker's) message followed by the error's name, e.g. "... (REQUEST_TIMED_OUT)".
std::string Describe(rd_kafka_resp_err_t err, const char* message);

}  // namespace kpe::kafka::rd
