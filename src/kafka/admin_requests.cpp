#include "kafka/admin_requests.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace kpe::kafka::rd {
namespace {

int RemainingMs(AdminRequests::Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - AdminRequests::Clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, kAdminRequestTimeoutMs));
}

uint64_t IdOf(rd_kafka_event_t* event) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(rd_kafka_event_opaque(event)));
}

}  // namespace

AdminRequests::AdminRequests(rd_kafka_t* rk, size_t max_in_flight)
    : rk_(rk), max_in_flight_(std::max<size_t>(1, max_in_flight)), queue_(rd_kafka_queue_new(rk)) {}

std::vector<bool> AdminRequests::Run(size_t count, rd_kafka_admin_op_t op, Clock::time_point deadline,
                                     const Start& start, const OnResult& on_result) {
  std::vector<bool> answered(count, false);
  std::unordered_map<uint64_t, size_t> index_of;  // this call's outstanding requests
  size_t next = 0;
  while (next < count || !index_of.empty()) {
    while (next < count && outstanding_.size() < max_in_flight_ && RemainingMs(deadline) > 0) {
      AdminOptionsPtr admin(rd_kafka_AdminOptions_new(rk_, op));
      char error[256] = "";
      if (rd_kafka_AdminOptions_set_request_timeout(admin.get(), kAdminRequestTimeoutMs, error, sizeof error) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(std::string("admin request timeout: ") + error);
      }
      const uint64_t id = next_id_++;
      rd_kafka_AdminOptions_set_opaque(admin.get(), reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
      start(next, admin.get(), queue_.get());
      outstanding_.insert(id);
      index_of.emplace(id, next);
      ++next;
    }
    const int left_ms = RemainingMs(deadline);
    if (left_ms <= 0) break;
    // Waits for this call's answers, or for earlier calls' late answers to free in-flight slots.
    EventPtr event(rd_kafka_queue_poll(queue_.get(), left_ms));
    if (!event) continue;
    last_answer_ = Clock::now();
    const uint64_t id = IdOf(event.get());
    outstanding_.erase(id);
    auto it = index_of.find(id);
    if (it == index_of.end()) continue;  // a late answer to an earlier call: dropped
    const size_t index = it->second;
    index_of.erase(it);
    answered[index] = true;
    on_result(index, event.get());
  }
  return answered;
}

bool AdminRequests::Drain(Clock::time_point deadline) {
  while (!outstanding_.empty()) {
    const int left_ms = RemainingMs(deadline);
    EventPtr event(rd_kafka_queue_poll(queue_.get(), left_ms));
    if (event) {
      last_answer_ = Clock::now();
      outstanding_.erase(IdOf(event.get()));
    } else if (left_ms <= 0) {
      break;
    }
  }
  return outstanding_.empty();
}

ErrorKind KindOf(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return ErrorKind::kNone;
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
      return ErrorKind::kUnsupported;
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      return ErrorKind::kAuthorization;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return ErrorKind::kTimeout;
    default:
      return ErrorKind::kOther;
  }
}

std::string Describe(rd_kafka_resp_err_t err, const char* message) {
  std::string text = message != nullptr && *message != '\0' ? message : rd_kafka_err2str(err);
  return text + " (" + rd_kafka_err2name(err) + ")";
}

}  // namespace kpe::kafka::rd
