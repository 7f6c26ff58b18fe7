#include "e2e/ledger.h"

#include <algorithm>

namespace kpe::e2e {
namespace {

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

Ledger::Ledger(std::string topic, std::chrono::milliseconds sla) : topic_(std::move(topic)), sla_(sla) {}

Ledger::PartitionBook& Ledger::Book(int32_t partition) {
  auto [it, inserted] = books_.try_emplace(partition);
  if (inserted) it->second.counts.partition = partition;
  return it->second;
}

int32_t Ledger::BrokerOr(int32_t broker, int32_t partition) const {
  if (broker >= 0) return broker;
  const auto it = leaders_.find(partition);
  return it == leaders_.end() ? -1 : it->second;
}

state::ProbeLatencies& Ledger::Latencies(int32_t partition, int32_t broker) {
  broker = BrokerOr(broker, partition);
  auto [it, inserted] = latencies_.try_emplace({partition, broker});
  if (inserted) {
    it->second.partition = partition;
    it->second.broker = broker;
  }
  return it->second;
}

void Ledger::Sent(int32_t partition, int64_t sequence, SteadyClock::time_point at) {
  PartitionBook& book = Book(partition);
  ++book.counts.produced;
  if (book.records.size() >= kMaxRemembered) {
    book.forgotten_below = book.records.begin()->first + 1;
    book.records.erase(book.records.begin());
  }
  book.records[sequence].sent_at = at;
}

void Ledger::Acknowledged(int32_t partition, int64_t sequence, int32_t broker,
                          std::chrono::microseconds latency) {
  PartitionBook& book = Book(partition);
  ++book.counts.acknowledged;
  Latencies(partition, broker).produce.Observe(std::chrono::duration<double>(latency).count());
  if (auto it = book.records.find(sequence); it != book.records.end()) it->second.acknowledged = true;
}

void Ledger::Failed(int32_t partition, int64_t sequence) {
  PartitionBook& book = Book(partition);
  ++book.counts.failed;
  if (auto it = book.records.find(sequence); it != book.records.end()) it->second.failed = true;
}

Receipt Ledger::Received(int32_t partition, int64_t sequence, int32_t broker, SteadyClock::time_point at,
                         int64_t sent_unix_us, int64_t now_unix_us) {
  PartitionBook& book = Book(partition);
  const auto it = book.records.find(sequence);
  if (it == book.records.end()) {
    if (sequence >= book.forgotten_below) return Receipt::kUnknown;
    ++book.counts.received;
    Latencies(partition, broker).roundtrip.Observe(static_cast<double>(now_unix_us - sent_unix_us) / 1e6);
    return Receipt::kForgotten;
  }
  Record& record = it->second;
  if (record.receipts++ > 0) {
    ++book.counts.duplicated;
    return Receipt::kDuplicate;
  }
  ++book.counts.received;
  Latencies(partition, broker).roundtrip.Observe(Seconds(at - record.sent_at));
  return Receipt::kFirst;
}

void Ledger::Expire(SteadyClock::time_point now) {
  for (auto& [partition, book] : books_) {
    for (auto it = book.records.begin(); it != book.records.end();) {
      Record& record = it->second;
      const auto age = now - record.sent_at;
      if (age > sla_ && record.acknowledged && !record.failed && record.receipts == 0 && !record.lost) {
        record.lost = true;
        ++book.counts.lost;
      }
      if (age > 3 * sla_) {
        book.forgotten_below = std::max(book.forgotten_below, it->first + 1);
        it = book.records.erase(it);
      } else {
        ++it;
      }
    }
  }
}

void Ledger::Committed(SteadyClock::duration latency, bool ok) {
  if (ok) {
    commit_latency_.Observe(Seconds(latency));
  } else {
    ++commits_failed_;
  }
}

void Ledger::Error(std::string message, state::WallClock::time_point at) {
  last_error_ = std::move(message);
  last_error_at_ = at;
}

size_t Ledger::Remembered() const {
  size_t n = 0;
  for (const auto& [partition, book] : books_) n += book.records.size();
  return n;
}

state::ProbeSnapshot Ledger::Snapshot(state::WallClock::time_point now) const {
  state::ProbeSnapshot snapshot;
  snapshot.topic = topic_;
  for (const auto& [partition, book] : books_) snapshot.counts.push_back(book.counts);
  for (const auto& [key, latencies] : latencies_) snapshot.latencies.push_back(latencies);
  snapshot.commit_latency = commit_latency_;
  snapshot.commits_failed = commits_failed_;
  snapshot.rounds = rounds_;
  snapshot.last_error = last_error_;
  snapshot.last_error_at = last_error_at_;
  snapshot.taken_at = now;
  return snapshot;
}

}  // namespace kpe::e2e
