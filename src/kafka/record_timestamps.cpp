#include "kafka/record_timestamps.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <list>
#include <set>
#include <stdexcept>
#include <utility>

#include "kafka/handle.h"
#include "kafka/rdkafka_ptr.h"

namespace kpe::kafka {
namespace {

using Clock = std::chrono::steady_clock;
using PartitionKey = std::pair<std::string, int32_t>;

// Each fetch returns at most this much of one partition: reading one record stays cheap (Kafka still returns
// a whole first batch when it is larger, so progress is guaranteed).
constexpr const char* kFetchBytes = "65536";
// Topic handles kept between calls (each costs a little memory and a metadata entry); beyond it all are
// released at the end of a call and recreated on demand.
constexpr size_t kMaxTopicHandles = 1000;

struct TopicDeleter {
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
};
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<int64_t>(0, left));
}

// Forward distance (in offsets) up to which the next wanted offset of a partition is reached by reading on
// from the current record rather than by restarting the fetcher there (a restart waits for the broker's
// answer to the fetch in flight, up to fetch.wait.max.ms).
constexpr int64_t kMaxOffsetsToReadThrough = 1000;

// The reading of one partition: its wanted offsets, ascending, and how far it got.
struct PartitionRead {
  std::string topic_name;
  int32_t partition = 0;
  rd_kafka_topic_t* topic = nullptr;  // owned by Impl::topics
  std::vector<int64_t> wanted;        // ascending, distinct
  size_t next = 0;                    // wanted[next] is the first offset not answered or given up yet
  bool running = false;               // consume_start succeeded and consume_stop is still due
  bool done() const { return next >= wanted.size(); }
};

}  // namespace

struct RecordTimestampReader::Impl {
  Options options;
  // Declared in destruction order (reverse): the queue and the topic handles must go before the handle.
  rd::Handle rk;
  std::map<std::string, TopicPtr> topics;
  rd::QueuePtr queue;

  // LRU cache: most recently used at the front; index points into the list.
  std::list<std::pair<RecordRef, int64_t>> lru;
  std::map<RecordRef, std::list<std::pair<RecordRef, int64_t>>::iterator> index;

  // When each partition was last read (a call counter), so the budget goes to the partitions waiting longest.
  // Bounded like the cache.
  std::map<PartitionKey, uint64_t> last_read_call;
  uint64_t call_count = 0;

  size_t cache_hits = 0;
  size_t cache_misses = 0;
  size_t reads = 0;
  size_t read_failures = 0;

  const int64_t* CacheFind(const RecordRef& ref) {
    auto it = index.find(ref);
    if (it == index.end()) return nullptr;
    lru.splice(lru.begin(), lru, it->second);
    return &it->second->second;
  }

  void CacheInsert(const RecordRef& ref, int64_t timestamp) {
    if (options.cache_entries == 0) return;
    if (auto it = index.find(ref); it != index.end()) {
      it->second->second = timestamp;
      lru.splice(lru.begin(), lru, it->second);
      return;
    }
    lru.emplace_front(ref, timestamp);
    index.emplace(ref, lru.begin());
    while (lru.size() > options.cache_entries) {
      index.erase(lru.back().first);
      lru.pop_back();
    }
  }

  rd_kafka_topic_t* TopicFor(const std::string& name) {
    auto& topic = topics[name];
    if (!topic) topic.reset(rd_kafka_topic_new(rk.get(), name.c_str(), nullptr));
    return topic.get();
  }

  void Stop(PartitionRead& read) {
    if (!read.running) return;
    // Blocks until the partition's fetcher has stopped (served by librdkafka's own threads, not by a broker);
    // nothing is committed: there is no group and offset storing is off.
    rd_kafka_consume_stop(read.topic, read.partition);
    read.running = false;
  }

  // Starts (or restarts) the fetcher of `read` at its next wanted offset; gives up the offsets it cannot
  // start at. Afterwards the read is running or done.
  void Start(PartitionRead& read) {
    Stop(read);
    for (; !read.done(); ++read.next) {
      if (rd_kafka_consume_start_queue(read.topic, read.partition, read.wanted[read.next], queue.get()) ==
          0) {
        read.running = true;
        return;
      }
      spdlog::debug("kafka timestamp reader {}: cannot read {} [{}] at {}: {}", options.client.client_id,
                    read.topic_name, read.partition, read.wanted[read.next],
                    rd_kafka_err2str(rd_kafka_last_error()));
    }
  }

  void ReadAll(std::vector<PartitionRead>& reads, Clock::time_point deadline,
               std::map<RecordRef, int64_t>& out);
};

RecordTimestampReader::RecordTimestampReader(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const Options& opts = impl_->options;
  const ClientOptions& client = opts.client;
  if (client.servers.empty()) throw std::invalid_argument("kafka timestamp reader: no bootstrap servers");
  if (opts.max_reads_per_call == 0) {
    throw std::invalid_argument("kafka timestamp reader: max_reads_per_call must be at least 1");
  }

  impl_->rk = rd::NewHandle(
      RD_KAFKA_CONSUMER, client,
      {.what = "kafka timestamp reader",
       .defaults = {
           // A group-less reader: never stores offsets either.
           {"enable.auto.offset.store", "false"},
           // EOF tells us quickly that there is no record at or after the offset (yet).
           {"enable.partition.eof", "true"},
           // An offset outside the log (deleted by retention, beyond the newest) is an error event, not a
           // silent jump to another record whose timestamp would be wrong.
           {"auto.offset.reset", "error"},
           // The group consumer we imitate most likely reads uncommitted records too; either way the record
           // at a committed offset is what we want, not the last stable one.
           {"isolation.level", "read_uncommitted"},
           {"fetch.max.bytes", kFetchBytes},
           {"max.partition.fetch.bytes", kFetchBytes},
           {"message.max.bytes", kFetchBytes},  // fetch.max.bytes must be >= it
           // queued.min.messages stays at its default on purpose: librdkafka compares it with the length of
           // the queue a partition forwards to, i.e. our one shared queue, so a small value stops the other
           // partitions' fetchers as soon as one partition's records are queued, until the broker thread's
           // next 1 s wake-up (measured: every call of 50 partitions took 1 s). Stopping each partition at
           // its first record and the small fetch sizes bound what is prefetched instead.
           // A fetch at the end of a log returns after this at most (then EOF), not after the default 500 ms.
           {"fetch.wait.max.ms", "100"},
       }});
  impl_->queue.reset(rd_kafka_queue_new(impl_->rk.get()));
}

RecordTimestampReader::~RecordTimestampReader() = default;

size_t RecordTimestampReader::cache_hits() const { return impl_->cache_hits; }
size_t RecordTimestampReader::cache_misses() const { return impl_->cache_misses; }
size_t RecordTimestampReader::reads() const { return impl_->reads; }
size_t RecordTimestampReader::read_failures() const { return impl_->read_failures; }

std::map<RecordRef, int64_t> RecordTimestampReader::Read(const std::vector<RecordRef>& records) {
  Impl& impl = *impl_;
  const auto deadline = Clock::now() + impl.options.client.timeout;
  ++impl.call_count;
  std::map<RecordRef, int64_t> out;

  std::set<RecordRef> seen;
  std::vector<const RecordRef*> misses;
  for (const RecordRef& ref : records) {
    if (!seen.insert(ref).second) continue;
    if (const int64_t* timestamp = impl.CacheFind(ref)) {
      out[ref] = *timestamp;
      ++impl.cache_hits;
    } else {
      misses.push_back(&ref);
      ++impl.cache_misses;
    }
  }
  if (misses.empty()) return out;

  // The budget goes to the partitions read longest ago (never read: first), ties in the caller's order, so
  // that a large set of misses is worked through over successive calls.
  auto last_read = [&](const RecordRef* ref) {
    auto it = impl.last_read_call.find({ref->topic, ref->partition});
    return it == impl.last_read_call.end() ? uint64_t{0} : it->second;
  };
  std::ranges::stable_sort(misses, {}, last_read);
  if (misses.size() > impl.options.max_reads_per_call) misses.resize(impl.options.max_reads_per_call);
  if (impl.last_read_call.size() > std::max<size_t>(impl.options.cache_entries, 1000)) {
    impl.last_read_call.clear();
  }

  std::map<PartitionKey, std::vector<int64_t>> wanted;
  for (const RecordRef* ref : misses) {
    wanted[{ref->topic, ref->partition}].push_back(ref->offset);
    impl.last_read_call[{ref->topic, ref->partition}] = impl.call_count;
  }
  std::vector<PartitionRead> reads;
  for (auto& [key, offsets] : wanted) {
    std::ranges::sort(offsets);
    reads.push_back({.topic_name = key.first,
                     .partition = key.second,
                     .topic = impl.TopicFor(key.first),
                     .wanted = std::move(offsets)});
  }
  impl.reads += misses.size();

  const size_t found_before = out.size();
  impl.ReadAll(reads, deadline, out);
  impl.read_failures += misses.size() - (out.size() - found_before);

  if (impl.topics.size() > kMaxTopicHandles) impl.topics.clear();
  rd_kafka_poll(impl.rk.get(), 0);  // serves error_cb
  return out;
}

// All partitions are read at once through one queue. Each partition's fetcher starts at its lowest wanted
// offset; a record answers every wanted offset up to its own (the first record at or after each); then the
// fetcher reads on to the next wanted offset if it is close, or restarts there.
void RecordTimestampReader::Impl::ReadAll(std::vector<PartitionRead>& reads, Clock::time_point deadline,
                                          std::map<RecordRef, int64_t>& out) {
  std::map<PartitionKey, PartitionRead*> running;
  for (PartitionRead& read : reads) {
    Start(read);
    if (read.running) running[{read.topic_name, read.partition}] = &read;
  }

  while (!running.empty()) {
    const int timeout_ms = RemainingMs(deadline);
    if (timeout_ms <= 0) break;
    rd::MessagePtr message(rd_kafka_consume_queue(queue.get(), timeout_ms));
    if (!message) continue;  // timed out: the loop condition ends it
    if (!message->rkt) {     // a client-wide error, not about one partition
      spdlog::debug("kafka timestamp reader {}: {}", options.client.client_id,
                    rd_kafka_err2str(message->err));
      continue;
    }
    auto it = running.find({rd_kafka_topic_name(message->rkt), message->partition});
    if (it == running.end()) continue;  // left over from a partition already finished
    PartitionRead& read = *it->second;
    const int64_t wanted = read.wanted[read.next];

    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // Every record before the end has been delivered: the offsets left are at or beyond the newest.
      read.next = read.wanted.size();
    } else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Out of range (deleted by retention, beyond the newest), unknown partition, ...: give up this offset;
      // the next one may still be readable.
      spdlog::debug("kafka timestamp reader {}: cannot read {} [{}] at {}: {}", options.client.client_id,
                    read.topic_name, read.partition, wanted, rd_kafka_message_errstr(message.get()));
      ++read.next;
      if (!read.done()) Start(read);
    } else if (message->offset >= wanted) {  // an earlier one (fetches return whole batches) is skipped
      rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
      const int64_t timestamp = rd_kafka_message_timestamp(message.get(), &type);
      for (; !read.done() && read.wanted[read.next] <= message->offset; ++read.next) {
        if (type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || timestamp < 0) continue;
        RecordRef ref{read.topic_name, read.partition, read.wanted[read.next]};
        out[ref] = timestamp;
        CacheInsert(ref, timestamp);
      }
      if (!read.done() && read.wanted[read.next] - message->offset > kMaxOffsetsToReadThrough) Start(read);
    }
    if (read.done() || !read.running) {
      Stop(read);
      running.erase(it);
    }
  }
  for (PartitionRead& read : reads) Stop(read);
}

}  // namespace kpe::kafka
