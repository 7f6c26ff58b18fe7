#include "kafka/cluster_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <stdexcept>
#include <thread>
#include <utility>

#include "kafka/handle.h"
#include "kafka/rdkafka_ptr.h"

namespace kpe::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// Requests to one leader run on their own thread so that a dead leader only costs its own thread until
// the deadline; this caps how many run at once (a cluster with more than kMaxRequestThreads / 2 dead
// leaders can make the last queued leaders report "deadline passed" instead of values).
constexpr size_t kMaxRequestThreads = 8;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<int64_t>(0, left));
}

// One ListOffsets batch: the partitions one leader serves, all asking for the same logical offset.
struct OffsetsTask {
  int32_t leader = -1;              // -1: leader unknown to our metadata, librdkafka resolves it
  int64_t logical_offset = 0;       // RD_KAFKA_OFFSET_END or RD_KAFKA_OFFSET_BEGINNING
  std::vector<size_t> inputs;       // indexes into the caller's partitions
  std::vector<int64_t> offsets;     // result per input, -1 when unknown
  std::vector<std::string> errors;  // result per input, "" when the offset is valid
  std::vector<bool> unauthorized;   // result per input: TOPIC_AUTHORIZATION_FAILED
};

}  // namespace

struct ClusterClient::Impl {
  ClientOptions options;
  rd::Handle rk;
  // Leader of every partition in the last successful metadata, for grouping ListOffsets per leader.
  std::map<std::pair<std::string, int32_t>, int32_t> leaders;

  Result<ClusterMetadata> FetchMetadataUntil(Clock::time_point deadline);
  void RunOffsetsTask(OffsetsTask& task, const std::vector<PartitionRef>& partitions,
                      Clock::time_point deadline);
  // One ListOffsets round for the inputs `which` of `task`; with split_refused, a request refused with
  // TOPIC_AUTHORIZATION_FAILED is asked again per topic.
  void QueryOffsets(OffsetsTask& task, const std::vector<size_t>& which, const std::vector<PartitionRef>& partitions,
                    Clock::time_point deadline, bool split_refused);
};

ClusterClient::ClusterClient(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const ClientOptions& opts = impl_->options;
  if (opts.servers.empty()) throw std::invalid_argument("kafka client: no bootstrap servers");

  impl_->rk = rd::NewHandle(
      RD_KAFKA_CONSUMER, opts,
      {.what = "kafka client",
       .defaults =
           {// We ask for all topics' metadata ourselves on every collection; librdkafka's own refresh only
            // has to keep leaders fresh enough for ListOffsets routing between our calls.
            {"topic.metadata.refresh.interval.ms", "60000"},
            // read_committed (the consumer default) would make ListOffsets(latest) return the last stable
            // offset; kafka_exporter reports the high watermark.
            {"isolation.level", "read_uncommitted"},
            {"enable.partition.eof", "false"}},
       .statistics = true,
       .debug_repeated_errors = true});
}

ClusterClient::~ClusterClient() = default;

void ClusterClient::ServeCallbacks() { rd_kafka_poll(impl_->rk.get(), 0); }

Result<ClusterMetadata> ClusterClient::FetchMetadata() {
  auto result = impl_->FetchMetadataUntil(Clock::now() + impl_->options.timeout);
  ServeCallbacks();
  return result;
}

Result<ClusterMetadata> ClusterClient::Impl::FetchMetadataUntil(Clock::time_point deadline) {
  Result<ClusterMetadata> result;
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk.get(), /*all_topics=*/1, nullptr, &raw, RemainingMs(deadline));
  rd::MetadataPtr metadata(raw);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    result.error = std::string("metadata request: ") + rd_kafka_err2str(err);
    return result;
  }

  ClusterMetadata& out = result.value;
  for (int i = 0; i < metadata->broker_cnt; ++i) {
    const auto& broker = metadata->brokers[i];
    out.brokers.push_back({.id = broker.id, .host = broker.host, .port = broker.port, .rack = ""});
  }
  std::ranges::sort(out.brokers, {}, &BrokerMetadata::id);

  std::map<std::pair<std::string, int32_t>, int32_t> new_leaders;
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const auto& topic = metadata->topics[t];
    TopicMetadata& topic_out = out.topics.emplace_back();
    topic_out.name = topic.topic;
    if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) topic_out.error = rd_kafka_err2str(topic.err);
    for (int p = 0; p < topic.partition_cnt; ++p) {
      const auto& partition = topic.partitions[p];
      PartitionMetadata& partition_out = topic_out.partitions.emplace_back();
      partition_out.id = partition.id;
      partition_out.leader = partition.leader;
      partition_out.replicas.assign(partition.replicas, partition.replicas + partition.replica_cnt);
      partition_out.isr.assign(partition.isrs, partition.isrs + partition.isr_cnt);
      if (partition.err != RD_KAFKA_RESP_ERR_NO_ERROR) partition_out.error = rd_kafka_err2str(partition.err);
      new_leaders[{topic_out.name, partition.id}] = partition.leader;
    }
    std::ranges::sort(topic_out.partitions, {}, &PartitionMetadata::id);
  }
  std::ranges::sort(out.topics, {}, &TopicMetadata::name);
  leaders = std::move(new_leaders);

  // Both come from the metadata response just received: no request, no wait.
  rd::StringPtr cluster_id(rd_kafka_clusterid(rk.get(), 0));
  if (cluster_id) out.cluster_id = cluster_id.get();
  out.controller_id = rd_kafka_controllerid(rk.get(), 0);
  return result;
}

// Measured with librdkafka 2.0.2 against its mock cluster (one of three leaders set down):
// rd_kafka_offsets_for_times honours its timeout (returns __TIMED_OUT within ~1 ms of it) but fails the
// WHOLE call, leaving every partition's offset at -1 with no per-partition error, even the partitions of
// the healthy leaders. So FetchWatermarks splits the request per leader (from the last metadata) and per
// logical offset (latest, earliest: one list cannot ask for both of the same partition), and runs these
// calls in parallel on at most kMaxRequestThreads threads with one shared deadline: a dead leader costs its
// own partitions only, and the whole call returns within about options.timeout. Each call still sends
// one ListOffsets per leader, so the count stays at 2 per broker per FetchWatermarks.
std::vector<Watermarks> ClusterClient::FetchWatermarks(const std::vector<PartitionRef>& partitions) {
  Impl& impl = *impl_;
  const auto deadline = Clock::now() + impl.options.timeout;
  std::vector<Watermarks> out(partitions.size());
  for (size_t i = 0; i < partitions.size(); ++i) {
    out[i].topic = partitions[i].topic;
    out[i].partition = partitions[i].partition;
  }
  if (partitions.empty()) return out;

  auto known = [&](const PartitionRef& ref) { return impl.leaders.contains({ref.topic, ref.partition}); };
  if (!std::ranges::all_of(partitions, known)) {
    // Asked about partitions we have not seen yet (or no metadata at all): learn their leaders first.
    // A failure here is not fatal: those partitions then get an error entry.
    auto metadata = impl.FetchMetadataUntil(deadline);
    if (!metadata.ok()) spdlog::debug("kafka client {}: {}", impl.options.client_id, metadata.error);
  }

  std::map<int32_t, std::vector<size_t>> by_leader;
  for (size_t i = 0; i < partitions.size(); ++i) {
    auto it = impl.leaders.find({partitions[i].topic, partitions[i].partition});
    if (it == impl.leaders.end()) {
      out[i].error = "partition not in cluster metadata";
    } else if (it->second < 0) {
      out[i].error = "partition has no leader";
    } else {
      by_leader[it->second].push_back(i);
    }
  }

  std::vector<OffsetsTask> tasks;
  for (const auto& [leader, inputs] : by_leader) {
    for (int64_t logical : {int64_t{RD_KAFKA_OFFSET_END}, int64_t{RD_KAFKA_OFFSET_BEGINNING}}) {
      OffsetsTask& task = tasks.emplace_back();
      task.leader = leader;
      task.logical_offset = logical;
      task.inputs = inputs;
    }
  }

  std::atomic<size_t> next_task{0};
  auto worker = [&] {
    for (size_t t = next_task++; t < tasks.size(); t = next_task++)
      impl.RunOffsetsTask(tasks[t], partitions, deadline);
  };
  {
    std::vector<std::jthread> threads;
    const size_t thread_count = std::min(tasks.size(), kMaxRequestThreads);
    for (size_t i = 1; i < thread_count; ++i) threads.emplace_back(worker);
    worker();
  }  // joins

  for (const OffsetsTask& task : tasks) {
    const bool newest = task.logical_offset == RD_KAFKA_OFFSET_END;
    for (size_t k = 0; k < task.inputs.size(); ++k) {
      Watermarks& entry = out[task.inputs[k]];
      (newest ? entry.newest : entry.oldest) = task.offsets[k];
      if (task.unauthorized[k]) entry.unauthorized = true;
      const std::string& error = task.errors[k];
      if (!error.empty() && entry.error.find(error) == std::string::npos) {
        entry.error += entry.error.empty() ? error : "; " + error;
      }
    }
  }
  ServeCallbacks();
  return out;
}

void ClusterClient::Impl::RunOffsetsTask(OffsetsTask& task, const std::vector<PartitionRef>& partitions,
                                         Clock::time_point deadline) {
  const size_t n = task.inputs.size();
  task.offsets.assign(n, -1);
  task.errors.assign(n, "");
  task.unauthorized.assign(n, false);
  std::vector<size_t> all(n);
  for (size_t k = 0; k < n; ++k) all[k] = k;
  QueryOffsets(task, all, partitions, deadline, /*split_refused=*/true);
}

void ClusterClient::Impl::QueryOffsets(OffsetsTask& task, const std::vector<size_t>& which,
                                       const std::vector<PartitionRef>& partitions, Clock::time_point deadline,
                                       bool split_refused) {
  const char* newest_or_oldest = task.logical_offset == RD_KAFKA_OFFSET_END ? "newest" : "oldest";
  const std::string where =
      std::string(newest_or_oldest) + " offset from leader " + std::to_string(task.leader) + ": ";
  const int timeout_ms = RemainingMs(deadline);
  if (timeout_ms <= 0) {
    for (size_t k : which) task.errors[k] = where + "deadline passed before the request was sent";
    return;
  }
  rd::PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(which.size())));
  for (size_t k : which) {
    const PartitionRef& ref = partitions[task.inputs[k]];
    rd_kafka_topic_partition_list_add(list.get(), ref.topic.c_str(), ref.partition)->offset = task.logical_offset;
  }
  rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk.get(), list.get(), timeout_ms);
  if (err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED && split_refused) {
    // librdkafka fails the whole request when one topic is refused and keeps none of the answers: ask
    // again topic by topic, so that the permitted topics still get their offsets.
    std::map<std::string, std::vector<size_t>> by_topic;
    for (size_t k : which) by_topic[partitions[task.inputs[k]].topic].push_back(k);
    if (by_topic.size() > 1) {
      for (const auto& [topic, subset] : by_topic) QueryOffsets(task, subset, partitions, deadline, false);
      return;
    }
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (size_t k : which) {
      task.errors[k] = where + rd_kafka_err2str(err);
      task.unauthorized[k] = err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
    }
    return;
  }
  // librdkafka keeps the list's order; each element matches the same index of `which`.
  for (size_t i = 0; i < which.size(); ++i) {
    const size_t k = which[i];
    const rd_kafka_topic_partition_t& element = list->elems[i];
    if (element.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      task.errors[k] = where + rd_kafka_err2str(element.err);
      task.unauthorized[k] = element.err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
    } else if (element.offset < 0) {
      task.errors[k] = where + "no offset in the response";
    } else {
      task.offsets[k] = element.offset;
    }
  }
}

}  // namespace kpe::kafka
