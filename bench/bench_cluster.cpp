// kpe-bench-cluster: a librdkafka mock cluster with a benchmark workload, in its own process, so that a
// benchmark of the exporter measures the exporter's cost only.
//
// It creates --topics topics of --partitions partitions each, writes a few records to every partition,
// then produces --produce-rate records/s spread round-robin over all partitions, and every
// --commit-interval seconds commits advancing offsets for --groups consumer groups (each on the partitions
// of --topics-per-group topics; group g lags by (g % 10) * 2 records per partition, and every 7th group
// stops committing after the first round so that some groups are "stopped"). Commits are
// AlterConsumerGroupOffsets requests from one Admin handle (OffsetCommit without group membership), so a
// thousand groups cost no more than one client.
//
// Protocol on stdout: "BOOTSTRAP <servers>" once the brokers listen, "READY" once the topics exist, every
// partition has records and every group has committed once (and the RTT is injected). Runs until
// SIGTERM/SIGINT or EOF on stdin. Diagnostics go to stderr.
//
// Fault-injection control channel: after READY, one command per line on stdin, each answered by one line
// on stdout, "OK <command>" or "ERR <command>: <reason>" (see Control() for the commands). Fault tests
// and bench/soak.sh drive broker outages, RTT, leader moves and request errors through it.

#include <poll.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "kafka/rdkafka_ptr.h"

namespace {

namespace rd = kpe::kafka::rd;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

volatile std::sig_atomic_t g_signal = 0;
extern "C" void OnSignal(int signal) { g_signal = signal; }

void ThrowIfError(rd_kafka_resp_err_t err, const std::string& what) {
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error(what + ": " + rd_kafka_err2str(err));
}

/// librdkafka's mock cluster, held directly (not through kpe::kafka::MockCluster) because the control
/// channel needs calls that class does not offer: request errors on any API, topic errors.
/// Thread-safe (librdkafka's mock calls are).
class BenchMock {
 public:
  explicit BenchMock(int brokers) {
    rd::ConfPtr conf(rd_kafka_conf_new());
    rd::SetProperty(conf.get(), "log_level", "3");
    rd::RouteLogsToSpdlog(conf.get());
    char error[512] = "";
    owner_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error));
    if (!owner_) throw std::runtime_error(std::string("mock cluster: ") + error);
    conf.release();
    cluster_.reset(rd_kafka_mock_cluster_new(owner_.get(), brokers));
    if (!cluster_) throw std::runtime_error("mock cluster: rd_kafka_mock_cluster_new failed");
    bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_.get());
  }
  const std::string& Bootstraps() const { return bootstraps_; }
  rd_kafka_mock_cluster_t* get() const { return cluster_.get(); }
  void CreateTopic(const std::string& topic, int partitions, int replication) {
    ThrowIfError(rd_kafka_mock_topic_create(cluster_.get(), topic.c_str(), partitions, replication),
                 "create topic '" + topic + "'");
  }
  void SetBrokerRtt(int32_t broker, milliseconds rtt) {
    ThrowIfError(rd_kafka_mock_broker_set_rtt(cluster_.get(), broker, static_cast<int>(rtt.count())),
                 "set rtt of broker " + std::to_string(broker));
  }

 private:
  rd::HandlePtr owner_;  // owns the cluster: destroyed after it (members are destroyed in reverse order)
  rd::MockClusterPtr cluster_;
  std::string bootstraps_;
};

struct Options {
  int brokers = 3;
  int topics = 10;
  int partitions = 10;
  int groups = 10;
  int topics_per_group = 3;
  double produce_rate = 200;
  int initial_records = 10;
  double commit_interval_s = 5;
  int rtt_broker = 0;
  int rtt_ms = 0;
  int max_in_flight = 64;
  std::string groups_file;
  std::string topic_prefix = "bench-topic-";
  std::string group_prefix = "bench-group-";
};

std::string TopicName(const Options& o, int t) { return o.topic_prefix + std::to_string(t); }
std::string GroupName(const Options& o, int g) { return o.group_prefix + std::to_string(g); }

/// Newest acknowledged offset + 1 of every partition (the high watermark as far as this process knows),
/// indexed topic * partitions + partition. Written by the producer's delivery callback, read by the
/// committer. Thread-safe (atomics).
class Watermarks {
 public:
  explicit Watermarks(size_t count) : next_(count) {}
  void Delivered(size_t index, int64_t offset) {
    int64_t seen = next_[index].load(std::memory_order_relaxed);
    while (offset + 1 > seen && !next_[index].compare_exchange_weak(seen, offset + 1)) {
    }
  }
  int64_t Next(size_t index) const { return next_[index].load(std::memory_order_relaxed); }

 private:
  std::vector<std::atomic<int64_t>> next_;
};

struct DeliveryContext {
  Watermarks* watermarks;
  int partitions;
  std::map<std::string, int> topic_index;
  std::atomic<int64_t> failed{0};
};

/// Produces small records round-robin over every partition through one producer handle. Not thread-safe:
/// one thread calls it.
class Producer {
 public:
  Producer(const std::string& bootstraps, const Options& options, Watermarks& watermarks)
      : options_(options), context_{&watermarks, options.partitions, {}, {}} {
    for (int t = 0; t < options.topics; ++t) {
      topics_.push_back(TopicName(options, t));
      context_.topic_index[topics_.back()] = t;
    }
    rd::ConfPtr conf(rd_kafka_conf_new());
    rd::SetProperty(conf.get(), "bootstrap.servers", bootstraps);
    rd::SetProperty(conf.get(), "client.id", "kpe-bench-producer");
    rd::SetProperty(conf.get(), "linger.ms", "50");
    rd::SetProperty(conf.get(), "log_level", "3");
    rd::RouteLogsToSpdlog(conf.get());
    rd_kafka_conf_set_opaque(conf.get(), &context_);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
      auto* context = static_cast<DeliveryContext*>(opaque);
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++context->failed;
        return;
      }
      const auto it = context->topic_index.find(rd_kafka_topic_name(message->rkt));
      if (it == context->topic_index.end()) return;
      context->watermarks->Delivered(
          static_cast<size_t>(it->second) * context->partitions + message->partition, message->offset);
    });
    char error[512] = "";
    producer_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error));
    if (!producer_) throw std::runtime_error(std::string("bench producer: ") + error);
    conf.release();
  }

  /// Queues `count` records, each to the next partition in round-robin order; serves delivery reports.
  void Produce(int64_t count) {
    static constexpr char kValue[] = "bench-record-0123456789";
    for (int64_t i = 0; i < count; ++i) {
      const int t = static_cast<int>(cursor_ / options_.partitions % options_.topics);
      const int p = static_cast<int>(cursor_ % options_.partitions);
      rd_kafka_resp_err_t err = rd_kafka_producev(
          producer_.get(), RD_KAFKA_V_TOPIC(topics_[t].c_str()), RD_KAFKA_V_PARTITION(p),
          RD_KAFKA_V_VALUE(const_cast<char*>(kValue), sizeof kValue - 1), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer_.get(), 100);
        --i;
        continue;
      }
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) ++context_.failed;
      cursor_ = (cursor_ + 1) % (static_cast<int64_t>(options_.topics) * options_.partitions);
    }
    rd_kafka_poll(producer_.get(), 0);
  }

  /// Waits until every queued record is acknowledged; false on timeout.
  bool Flush(milliseconds timeout) {
    return rd_kafka_flush(producer_.get(), static_cast<int>(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  void Poll(milliseconds timeout) { rd_kafka_poll(producer_.get(), static_cast<int>(timeout.count())); }
  int64_t Failed() const { return context_.failed.load(); }

 private:
  const Options& options_;
  std::vector<std::string> topics_;
  DeliveryContext context_;
  int64_t cursor_ = 0;
  rd::HandlePtr producer_;  // last: destroyed first, while context_ still lives
};

/// Commits offsets for every group through one Admin handle with a bounded number of requests in flight.
/// Not thread-safe: one thread calls it.
class Committer {
 public:
  Committer(const std::string& bootstraps, const Options& options, const Watermarks& watermarks)
      : options_(options), watermarks_(watermarks), committed_(options.groups) {
    rd::ConfPtr conf(rd_kafka_conf_new());
    rd::SetProperty(conf.get(), "bootstrap.servers", bootstraps);
    rd::SetProperty(conf.get(), "client.id", "kpe-bench-committer");
    rd::SetProperty(conf.get(), "log_level", "3");
    rd::RouteLogsToSpdlog(conf.get());
    char error[512] = "";
    admin_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error));
    if (!admin_) throw std::runtime_error(std::string("bench committer: ") + error);
    conf.release();
    queue_.reset(rd_kafka_queue_new(admin_.get()));
  }

  /// One round: every group that still commits commits its target offsets. Returns the number of groups
  /// whose commit failed or went unanswered within `timeout`; logs the first error of the round.
  int Round(int round, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    int in_flight = 0;
    int failed = 0;
    std::string first_error;
    auto receive = [&](milliseconds wait) {
      rd::EventPtr event(rd_kafka_queue_poll(queue_.get(), static_cast<int>(wait.count())));
      if (!event) return false;
      --in_flight;
      std::string error;
      if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        error = rd_kafka_event_error_string(event.get());
      } else {
        size_t n = 0;
        const auto** groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(
            rd_kafka_event_AlterConsumerGroupOffsets_result(event.get()), &n);
        for (size_t i = 0; i < n && error.empty(); ++i) {
          if (const rd_kafka_error_t* e = rd_kafka_group_result_error(groups[i])) {
            error = std::string(rd_kafka_group_result_name(groups[i])) + ": " + rd_kafka_error_string(e);
          }
          const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(groups[i]);
          for (int p = 0; parts && p < parts->cnt && error.empty(); ++p) {
            if (parts->elems[p].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
              error = std::string(rd_kafka_group_result_name(groups[i])) + " " + parts->elems[p].topic + "/" +
                      std::to_string(parts->elems[p].partition) + ": " + rd_kafka_err2str(parts->elems[p].err);
            }
          }
        }
      }
      if (!error.empty()) {
        ++failed;
        if (first_error.empty()) first_error = error;
      }
      return true;
    };

    for (int g = 0; g < options_.groups; ++g) {
      if (round > 0 && g % 7 == 6) continue;  // a stopped group: committed once, never again
      rd::PartitionListPtr list = TargetsOf(g);
      if (list->cnt == 0) continue;
      while (in_flight >= options_.max_in_flight) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left <= milliseconds(0) || !receive(left)) break;
      }
      if (in_flight >= options_.max_in_flight) break;  // deadline passed
      const std::string group = GroupName(options_, g);
      rd_kafka_AlterConsumerGroupOffsets_t* alter = rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get());
      rd_kafka_AlterConsumerGroupOffsets(admin_.get(), &alter, 1, nullptr, queue_.get());
      rd_kafka_AlterConsumerGroupOffsets_destroy(alter);
      ++in_flight;
    }
    while (in_flight > 0) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left <= milliseconds(0) || !receive(left)) break;
    }
    // Unanswered requests stay on the queue; their late answers are drained (and counted) next round.
    failed += in_flight;
    if (failed > 0) {
      spdlog::warn("commit round {}: {} groups failed or unanswered{}{}", round, failed,
                   first_error.empty() ? "" : "; first error: ", first_error);
    }
    while (rd::EventPtr stale{rd_kafka_queue_poll(queue_.get(), 0)}) {
    }
    return failed;
  }

 private:
  // Group g watches topics g*k .. g*k+k-1 (mod topics) and stays (g % 10) * 2 records behind the newest
  // offset; its committed offsets never go backwards.
  rd::PartitionListPtr TargetsOf(int g) {
    const int k = std::min(options_.topics_per_group, options_.topics);
    auto& committed = committed_[g];
    committed.resize(static_cast<size_t>(k) * options_.partitions, 0);
    rd::PartitionListPtr list(rd_kafka_topic_partition_list_new(k * options_.partitions));
    const int64_t behind = (g % 10) * 2;
    for (int i = 0; i < k; ++i) {
      const int t = (g * k + i) % options_.topics;
      const std::string topic = TopicName(options_, t);
      for (int p = 0; p < options_.partitions; ++p) {
        const int64_t next = watermarks_.Next(static_cast<size_t>(t) * options_.partitions + p);
        int64_t& offset = committed[static_cast<size_t>(i) * options_.partitions + p];
        offset = std::max(offset, std::max<int64_t>(0, next - behind));
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = offset;
      }
    }
    return list;
  }

  const Options& options_;
  const Watermarks& watermarks_;
  std::vector<std::vector<int64_t>> committed_;  // per group, per (topic slot, partition)
  rd::HandlePtr admin_;
  rd::QueuePtr queue_;  // declared after admin_: destroyed before it
};

void WriteGroupsFile(const Options& options) {
  std::ofstream out(options.groups_file);
  out << "groups:\n  static: [";
  for (int g = 0; g < options.groups; ++g) out << (g ? ", " : "") << '"' << GroupName(options, g) << '"';
  out << "]\n";
  if (!out) throw std::runtime_error("cannot write groups file '" + options.groups_file + "'");
}

// Sleeps until `deadline` or a stop request, whichever comes first; false when stopped.
bool SleepUntil(std::stop_token stop, std::mutex& mutex, std::condition_variable_any& wake,
                Clock::time_point deadline) {
  std::unique_lock lock(mutex);
  return !wake.wait_until(lock, stop, deadline, [] { return false; }) && !stop.stop_requested();
}


// Kafka protocol API keys by name (librdkafka's RD_KAFKAP_* are not in its public headers).
const std::map<std::string, int16_t>& ApiKeys() {
  static const std::map<std::string, int16_t> keys = {
      {"Produce", 0},        {"Fetch", 1},          {"ListOffsets", 2},    {"Metadata", 3},
      {"OffsetCommit", 8},   {"OffsetFetch", 9},    {"FindCoordinator", 10}, {"JoinGroup", 11},
      {"Heartbeat", 12},     {"LeaveGroup", 13},    {"SyncGroup", 14},     {"DescribeGroups", 15},
      {"ListGroups", 16},    {"ApiVersions", 18},   {"CreateTopics", 19},  {"DeleteTopics", 20},
      {"DescribeConfigs", 32}, {"DeleteGroups", 42}};
  return keys;
}

int16_t ParseApi(const std::string& name) {
  const auto it = ApiKeys().find(name);
  if (it != ApiKeys().end()) return it->second;
  std::string known;
  for (const auto& [key, value] : ApiKeys()) known += (known.empty() ? "" : ", ") + key;
  throw std::invalid_argument("unknown API '" + name + "' (known: " + known + ")");
}

// An error by librdkafka's name without the RD_KAFKA_RESP_ERR_ prefix (e.g. REQUEST_TIMED_OUT), by
// Kafka's newer name where librdkafka 2.0.2 has the old one, or by number.
rd_kafka_resp_err_t ParseError(const std::string& name) {
  if (name == "NOT_LEADER_OR_FOLLOWER") return RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION;
  if (name == "NO_ERROR" || name == "0") return RD_KAFKA_RESP_ERR_NO_ERROR;
  const rd_kafka_err_desc* descs = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descs, &count);
  for (size_t i = 0; i < count; ++i) {
    if (descs[i].name != nullptr && name == descs[i].name) return descs[i].code;
  }
  try {
    size_t used = 0;
    const int code = std::stoi(name, &used);
    if (used == name.size()) return static_cast<rd_kafka_resp_err_t>(code);
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("unknown error '" + name + "' (a librdkafka name such as REQUEST_TIMED_OUT, or a number)");
}

int ParseInt(const std::string& text, const char* what) {
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw std::invalid_argument(std::string(what) + " '" + text + "' is not a number");
  return value;
}

/// Runs one control command. Throws std::invalid_argument (usage) or std::runtime_error (librdkafka's
/// refusal) naming what is wrong. Commands:
///   down BROKER | up BROKER | rtt BROKER MS
///   leader TOPIC PARTITION BROKER
///   errors API COUNT ERROR     the next COUNT requests of API (to any broker) fail with ERROR
///   clear-errors API           drops the API's pending injected errors
///   topic-error TOPIC ERROR    Metadata answers ERROR for the topic; NO_ERROR clears it
///   create-topic TOPIC PARTITIONS [REPLICATION]
///   commits on|off             resume / pause every group's commits
///   ping
void Control(const std::string& line, BenchMock& cluster, int brokers, std::atomic<bool>& commits_on) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  if (words.empty()) throw std::invalid_argument("empty command");
  const std::string& op = words[0];
  auto want = [&](size_t min, size_t max, const char* usage) {
    if (words.size() < min + 1 || words.size() > max + 1) throw std::invalid_argument(std::string("usage: ") + usage);
  };
  auto broker = [&](const std::string& text) {
    const int id = ParseInt(text, "broker");
    if (id < 1 || id > brokers) {
      throw std::invalid_argument("broker " + text + " is not one of 1.." + std::to_string(brokers));
    }
    return id;
  };
  if (op == "ping") {
    want(0, 0, "ping");
  } else if (op == "down" || op == "up") {
    want(1, 1, "down|up BROKER");
    const int id = broker(words[1]);
    ThrowIfError(op == "down" ? rd_kafka_mock_broker_set_down(cluster.get(), id)
                              : rd_kafka_mock_broker_set_up(cluster.get(), id),
                 op + " " + words[1]);
  } else if (op == "rtt") {
    want(2, 2, "rtt BROKER MS");
    const int ms = ParseInt(words[2], "rtt");
    if (ms < 0) throw std::invalid_argument("rtt must be >= 0");
    cluster.SetBrokerRtt(broker(words[1]), milliseconds(ms));
  } else if (op == "leader") {
    want(3, 3, "leader TOPIC PARTITION BROKER");
    const int leader = ParseInt(words[3], "broker");
    if (leader != -1) broker(words[3]);
    ThrowIfError(rd_kafka_mock_partition_set_leader(cluster.get(), words[1].c_str(),
                                                    ParseInt(words[2], "partition"), leader),
                 "leader of " + words[1] + "/" + words[2]);
  } else if (op == "errors") {
    want(3, 3, "errors API COUNT ERROR");
    const int count = ParseInt(words[2], "count");
    if (count < 1 || count > 1000000) throw std::invalid_argument("count must be 1..1000000");
    const std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(count), ParseError(words[3]));
    rd_kafka_mock_push_request_errors_array(cluster.get(), ParseApi(words[1]), errors.size(), errors.data());
  } else if (op == "clear-errors") {
    want(1, 1, "clear-errors API");
    rd_kafka_mock_clear_request_errors(cluster.get(), ParseApi(words[1]));
  } else if (op == "topic-error") {
    want(2, 2, "topic-error TOPIC ERROR");
    rd_kafka_mock_topic_set_error(cluster.get(), words[1].c_str(), ParseError(words[2]));
  } else if (op == "create-topic") {
    want(2, 3, "create-topic TOPIC PARTITIONS [REPLICATION]");
    const int partitions = ParseInt(words[2], "partitions");
    const int replication = words.size() > 3 ? ParseInt(words[3], "replication") : std::min(3, brokers);
    if (partitions < 1 || replication < 1 || replication > brokers) {
      throw std::invalid_argument("partitions must be >= 1 and replication 1.." + std::to_string(brokers));
    }
    cluster.CreateTopic(words[1], partitions, replication);
  } else if (op == "commits") {
    want(1, 1, "commits on|off");
    if (words[1] != "on" && words[1] != "off") throw std::invalid_argument("usage: commits on|off");
    commits_on = words[1] == "on";
  } else {
    throw std::invalid_argument("unknown command '" + op +
                                "' (down, up, rtt, leader, errors, clear-errors, topic-error, create-topic, "
                                "commits, ping)");
  }
}

int Run(const Options& options) {
  BenchMock cluster(options.brokers);
  std::cout << "BOOTSTRAP " << cluster.Bootstraps() << std::endl;

  // Each CreateTopic waits for a wake-up of librdkafka's mock thread (~0.2 s each, measured); from many
  // threads at once those waits overlap.
  const auto create_start = Clock::now();
  const int replication = std::min(3, options.brokers);
  constexpr int kCreators = 32;
  std::mutex error_mutex;
  std::string create_error;
  {
    std::vector<std::jthread> creators;
    for (int c = 0; c < kCreators; ++c) {
      creators.emplace_back([&, c] {
        for (int t = c; t < options.topics; t += kCreators) {
          try {
            cluster.CreateTopic(TopicName(options, t), options.partitions, replication);
          } catch (const std::exception& e) {
            std::lock_guard lock(error_mutex);
            if (create_error.empty()) create_error = e.what();
          }
        }
      });
    }
  }
  if (!create_error.empty()) throw std::runtime_error(create_error);
  spdlog::info("{} topics created in {} ms", options.topics,
               std::chrono::duration_cast<milliseconds>(Clock::now() - create_start).count());
  if (!options.groups_file.empty()) WriteGroupsFile(options);

  const size_t partition_count = static_cast<size_t>(options.topics) * options.partitions;
  Watermarks watermarks(partition_count);
  Producer producer(cluster.Bootstraps(), options, watermarks);
  Committer committer(cluster.Bootstraps(), options, watermarks);

  const auto setup_start = Clock::now();
  producer.Produce(static_cast<int64_t>(partition_count) * options.initial_records);
  if (!producer.Flush(std::chrono::minutes(5))) throw std::runtime_error("initial records not acknowledged in 5 min");
  if (committer.Round(0, std::chrono::minutes(2)) > 0) throw std::runtime_error("first commit round failed");
  if (options.rtt_broker > 0) cluster.SetBrokerRtt(options.rtt_broker, milliseconds(options.rtt_ms));
  spdlog::info("{} topics x {} partitions on {} brokers, {} records each, {} groups committed in {} ms",
               options.topics, options.partitions, options.brokers, options.initial_records, options.groups,
               std::chrono::duration_cast<milliseconds>(Clock::now() - setup_start).count());

  std::mutex mutex;
  std::condition_variable_any wake;
  std::jthread produce_thread([&](std::stop_token stop) {
    // Ticks of 100 ms; fractional rates carry over so the long-run rate is exact.
    constexpr auto kTick = milliseconds(100);
    double owed = 0;
    auto next = Clock::now();
    while (!stop.stop_requested()) {
      owed += options.produce_rate * std::chrono::duration<double>(kTick).count();
      const auto whole = static_cast<int64_t>(owed);
      owed -= static_cast<double>(whole);
      producer.Produce(whole);
      producer.Poll(milliseconds(0));
      next += kTick;
      if (!SleepUntil(stop, mutex, wake, next)) break;
    }
    producer.Flush(milliseconds(2000));
  });
  std::atomic<bool> commits_on{true};
  std::jthread commit_thread([&](std::stop_token stop) {
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(options.commit_interval_s));
    auto next = Clock::now() + interval;
    for (int round = 1; SleepUntil(stop, mutex, wake, next); ++round) {
      if (!commits_on) {
        next = std::max(next + interval, Clock::now());
        continue;
      }
      committer.Round(round, std::chrono::duration_cast<milliseconds>(interval) + std::chrono::seconds(10));
      next = std::max(next + interval, Clock::now());
    }
  });

  std::cout << "READY" << std::endl;
  // Until a signal or EOF on stdin (so the benchmark script's death stops us too); every line on stdin
  // is a control command.
  bool stdin_open = true;
  std::string pending;
  while (g_signal == 0) {
    pollfd fd{STDIN_FILENO, POLLIN, 0};
    const int ready = stdin_open ? ::poll(&fd, 1, 200) : (::usleep(200'000), 0);
    if (ready > 0) {
      char buffer[4096];
      const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
      if (n == 0) break;  // EOF
      if (n < 0) {
        stdin_open = false;
        continue;
      }
      pending.append(buffer, static_cast<size_t>(n));
      for (size_t end; (end = pending.find('\n')) != std::string::npos;) {
        std::string line = pending.substr(0, end);
        pending.erase(0, end + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        try {
          Control(line, cluster, options.brokers, commits_on);
          spdlog::info("control: {}", line);
          std::cout << "OK " << line << std::endl;
        } catch (const std::exception& e) {
          spdlog::warn("control: {}: {}", line, e.what());
          std::cout << "ERR " << line << ": " << e.what() << std::endl;
        }
      }
    }
  }
  spdlog::info("stopping ({}); {} records failed", g_signal ? "signal" : "stdin closed", producer.Failed());
  produce_thread.request_stop();
  commit_thread.request_stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_logger_mt("kpe-bench-cluster"));
  Options o;
  CLI::App app{"A librdkafka mock cluster with a benchmark workload (topics, producer, committing groups)."};
  app.add_option("--brokers", o.brokers, "brokers (ids 1..N)")->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--topics", o.topics, "topics")->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--partitions", o.partitions, "partitions per topic")->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--groups", o.groups, "consumer groups")->check(CLI::Range(0, 100000))->capture_default_str();
  app.add_option("--topics-per-group", o.topics_per_group, "topics each group commits on")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--produce-rate", o.produce_rate, "records/s in total, spread over all partitions")
      ->check(CLI::Range(0.0, 100000.0))->capture_default_str();
  app.add_option("--initial-records", o.initial_records, "records written to every partition at start")
      ->check(CLI::Range(0, 10000))->capture_default_str();
  app.add_option("--commit-interval", o.commit_interval_s, "seconds between two commit rounds")
      ->check(CLI::Range(0.1, 3600.0))->capture_default_str();
  app.add_option("--rtt-broker", o.rtt_broker, "broker id to inject --rtt-ms on (0: none)")
      ->check(CLI::Range(0, 100))->capture_default_str();
  app.add_option("--rtt-ms", o.rtt_ms, "round-trip time injected on --rtt-broker")->check(CLI::Range(0, 600000))
      ->capture_default_str();
  app.add_option("--max-in-flight", o.max_in_flight, "commit requests in flight at once")
      ->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--groups-file", o.groups_file, "write the group ids as YAML (groups: static: [...]) here");
  app.add_option("--topic-prefix", o.topic_prefix, "topic names are PREFIX<n>")->capture_default_str();
  app.add_option("--group-prefix", o.group_prefix, "group ids are PREFIX<n>")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.rtt_broker > o.brokers) {
    std::cerr << "--rtt-broker " << o.rtt_broker << " is not one of the brokers 1.." << o.brokers << "\n";
    return 2;
  }

  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return Run(o);
  } catch (const std::exception& e) {
    std::cerr << "kpe-bench-cluster: " << e.what() << "\n";
    return 1;
  }
}
