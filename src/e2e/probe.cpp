#include "e2e/probe.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "e2e/ledger.h"
#include "e2e/payload.h"
#include "kafka/probe_client.h"

namespace kpe::e2e {
namespace {

using std::chrono::milliseconds;
using WallClock = state::WallClock;

// While the canary topic is not usable, it is looked for again this often.
constexpr milliseconds kTopicRetry{1000};
// After a produce or consume error, metadata is read again this soon (leaders may have moved).
constexpr milliseconds kMetadataAfterError{1000};
// The longest the thread blocks in one call to the consumer, so stopping is noticed this quickly.
constexpr milliseconds kMaxWait{100};
// Snapshots are published at most this often.
constexpr milliseconds kPublishSpacing{50};
// How many distinct error messages are remembered to log each once.
constexpr size_t kMaxRememberedErrors = 256;

int64_t UnixMicros(WallClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

void Check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("e2e probe: " + what);
}

kafka::ProbeClientOptions ClientOptionsOf(const ProbeOptions& options) {
  kafka::ProbeClientOptions client;
  client.client = options.client;
  client.topic = options.topic;
  client.acks = options.acks;
  client.message_timeout = options.sla;
  client.group_id = options.group_id;
  return client;
}

uint64_t RandomInstance() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

struct Probe::Impl {
  Impl(ProbeOptions opts)
      : options(std::move(opts)),
        client(ClientOptionsOf(options)),
        ledger(options.topic, options.sla),
        instance(RandomInstance()) {}

  const ProbeOptions options;
  kafka::ProbeClient client;
  Ledger ledger;
  const uint64_t instance;

  std::vector<int32_t> partitions;         // of the canary topic, from the latest metadata
  bool topic_ready = false;
  int64_t next_sequence = 0;
  std::map<int32_t, int64_t> next_offsets;  // partition -> offset after the last record read
  std::map<int32_t, int64_t> committed;     // what the last successful commit stored
  std::map<int32_t, int64_t> committing;    // what the commit in flight stores
  bool commit_in_flight = false;
  bool dirty = true;

  std::set<std::string> logged_errors;

  /// Remembers `message` as the latest error and logs it (a warning the first time, then at debug).
  void Error(const std::string& message) {
    ledger.Error(message, WallClock::now());
    dirty = true;
    if (logged_errors.size() >= kMaxRememberedErrors) logged_errors.clear();
    if (logged_errors.insert(message).second) {
      spdlog::warn("e2e probe: {}", message);
    } else {
      spdlog::debug("e2e probe: {} (again)", message);
    }
  }

  /// Reads the canary topic's metadata, creating the topic if it is missing and that is allowed.
  void RefreshTopic() {
    auto result = client.FetchTopic();
    if (result.ok() && !result.value.exists && options.create_topic) {
      auto created = client.CreateTopic(result.value.broker_ids, options.replication_factor);
      if (!created.ok()) {
        Error("canary topic '" + options.topic + "' does not exist and could not be created: " + created.error);
        topic_ready = false;
        return;
      }
      spdlog::info("e2e probe: created canary topic '{}' with {} partitions", options.topic,
                   result.value.broker_ids.size());
      result = client.FetchTopic();
    }
    if (!result.ok()) {
      Error(result.error);
      topic_ready = false;
      return;
    }
    if (!result.value.exists || result.value.topic.partitions.empty()) {
      Error("canary topic '" + options.topic + "' does not exist" +
            (options.create_topic ? " yet" : " (creating it is off)"));
      topic_ready = false;
      return;
    }
    std::vector<int32_t> ids;
    for (const kafka::PartitionMetadata& p : result.value.topic.partitions) {
      ids.push_back(p.id);
      ledger.SetLeader(p.id, p.leader);
    }
    if (ids != partitions) {
      spdlog::info("e2e probe: canary topic '{}' has {} partitions", options.topic, ids.size());
    }
    partitions = std::move(ids);
    topic_ready = true;
  }

  void ProduceRound() {
    ledger.RoundStarted();
    const int64_t sequence = next_sequence++;
    for (int32_t partition : partitions) {
      const std::string value = EncodePayload({instance, sequence, UnixMicros(WallClock::now())});
      ledger.Sent(partition, sequence, SteadyClock::now());
      const std::string error = client.Produce(partition, value, sequence);
      if (!error.empty()) {
        ledger.Failed(partition, sequence);
        Error("produce to " + options.topic + "/" + std::to_string(partition) + ": " + error);
      }
    }
    dirty = true;
  }

  /// Returns whether any delivery failed.
  bool HandleDeliveries() {
    bool failures = false;
    for (const kafka::ProbeDelivery& d : client.TakeDeliveries()) {
      dirty = true;
      if (!d.error.empty()) {
        failures = true;
        ledger.Failed(d.partition, d.sequence);
        Error("produce to " + options.topic + "/" + std::to_string(d.partition) + ": " + d.error);
        continue;
      }
      ledger.Acknowledged(d.partition, d.sequence, d.broker, d.latency);
      // A partition is read from the first probe record written to it, so nothing the probe wrote
      // before is missed and nothing older is read.
      if (!client.Assigned().contains(d.partition)) {
        if (const std::string error = client.Assign(d.partition, d.offset); !error.empty()) {
          Error("assign " + options.topic + "/" + std::to_string(d.partition) + ": " + error);
        }
      }
    }
    return failures;
  }

  /// Returns whether the consumer reported an error.
  bool HandleMessages(milliseconds wait) {
    bool errors = false;
    for (const kafka::ProbeMessage& m : client.Consume(wait)) {
      dirty = true;
      const std::string where = options.topic + "/" + std::to_string(m.partition);
      if (!m.error.empty()) {
        errors = true;
        Error("consume from " + where + ": " + m.error);
        continue;
      }
      next_offsets[m.partition] = m.offset + 1;
      const DecodedPayload decoded = DecodePayload(m.value);
      if (!decoded.payload) {
        Error("record at " + where + " offset " + std::to_string(m.offset) + " ignored: " + decoded.error);
        continue;
      }
      if (decoded.payload->instance != instance) continue;  // another probe's record
      ledger.Received(m.partition, decoded.payload->sequence, m.broker, m.received_at,
                      decoded.payload->sent_unix_us, UnixMicros(WallClock::now()));
    }
    return errors;
  }

  void HandleCommits() {
    for (const kafka::ProbeCommit& c : client.TakeCommits()) {
      commit_in_flight = false;
      dirty = true;
      ledger.Committed(c.latency, c.error.empty());
      if (c.error.empty()) {
        committed = committing;
      } else {
        Error("commit offsets of " + options.topic + " for group '" + options.group_id + "': " + c.error);
      }
    }
  }

  void MaybeCommit() {
    if (options.group_id.empty() || options.commit_every == 0 || commit_in_flight) return;
    if (next_sequence % options.commit_every != 0 || next_offsets == committed) return;
    if (const std::string error = client.CommitAsync(next_offsets); !error.empty()) {
      Error("commit offsets of " + options.topic + " for group '" + options.group_id + "': " + error);
      return;
    }
    committing = next_offsets;
    commit_in_flight = true;
  }
};

Probe::Probe(ProbeOptions options) {
  Check(options.interval.count() > 0, "interval must be > 0 ms, got " + std::to_string(options.interval.count()));
  Check(options.sla.count() > 0, "sla must be > 0 ms, got " + std::to_string(options.sla.count()));
  Check(options.replication_factor >= 1,
        "replication_factor must be >= 1, got " + std::to_string(options.replication_factor));
  Check(options.commit_every >= 0, "commit_every must be >= 0, got " + std::to_string(options.commit_every));
  Check(options.metadata_interval.count() > 0,
        "metadata_interval must be > 0 ms, got " + std::to_string(options.metadata_interval.count()));
  impl_ = std::make_unique<Impl>(std::move(options));
  auto first = std::make_shared<state::ProbeSnapshot>();
  first->topic = impl_->options.topic;
  snapshot_ = std::move(first);
  thread_ = std::thread([this] { Run(); });
}

Probe::~Probe() {
  {
    std::lock_guard lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  thread_.join();
}

std::shared_ptr<const state::ProbeSnapshot> Probe::Snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

void Probe::Run() {
  Impl& p = *impl_;
  auto next_round = SteadyClock::now();
  auto next_metadata = next_round;
  auto last_publish = SteadyClock::time_point{};
  auto stopping = [this] {
    std::lock_guard lock(stop_mutex_);
    return stop_;
  };
  while (!stopping()) {
    try {
      auto now = SteadyClock::now();
      if (now >= next_metadata) {
        p.RefreshTopic();
        now = SteadyClock::now();
        next_metadata = now + (p.topic_ready ? p.options.metadata_interval : kTopicRetry);
      }
      if (p.topic_ready && now >= next_round) {
        p.ProduceRound();
        next_round += p.options.interval;
        if (next_round <= now) next_round = now + p.options.interval;  // late: skip, never burst
      }
      const auto until = std::min(p.topic_ready ? next_round : next_metadata, next_metadata);
      const auto wait = std::clamp(std::chrono::duration_cast<milliseconds>(until - SteadyClock::now()),
                                   milliseconds(0), kMaxWait);
      bool errors = p.HandleMessages(wait);
      errors = p.HandleDeliveries() || errors;
      p.HandleCommits();
      p.MaybeCommit();
      now = SteadyClock::now();
      p.ledger.Expire(now);
      if (errors) next_metadata = std::min(next_metadata, now + kMetadataAfterError);
      if (p.dirty && now - last_publish >= kPublishSpacing) {
        auto snapshot = std::make_shared<const state::ProbeSnapshot>(p.ledger.Snapshot(WallClock::now()));
        {
          std::lock_guard lock(snapshot_mutex_);
          snapshot_ = std::move(snapshot);
        }
        p.dirty = false;
        last_publish = now;
      }
    } catch (const std::exception& e) {
      p.Error(std::string("probe round failed: ") + e.what());
      std::unique_lock lock(stop_mutex_);
      stop_cv_.wait_for(lock, kTopicRetry, [this] { return stop_; });
    }
  }
}

}  // namespace kpe::e2e
