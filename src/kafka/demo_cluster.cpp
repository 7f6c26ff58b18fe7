#include <spdlog/spdlog.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kafka/mock_cluster.h"
#include "kafka/rdkafka_ptr.h"

namespace kpe::kafka {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct DemoTopic {
  const char* name;
  int partitions;
  int records_per_tick;  // the producer ticks every kProduceTick
};

constexpr milliseconds kProduceTick{100};
// 50-70 + 10-30 + 70-90 records/s; audit-log only gets kAuditBurst records at start, then stays idle.
constexpr DemoTopic kTopics[] = {
    {"orders", 6, 5}, {"payments", 3, 1}, {"clickstream", 12, 7}, {"audit-log", 1, 0}};
constexpr int kAuditBurst = 50;

constexpr const char* kLaggingGroup = "demo-order-processor";
constexpr const char* kLaggingTopic = "orders";
// The lagging group consumes at most this many records per burst, one burst per kLaggingPause: ~40/s
// against ~60/s produced, so its lag keeps growing slowly, as a struggling consumer's would.
constexpr int kLaggingBurstRecords = 200;
constexpr milliseconds kLaggingPause{5000};

constexpr const char* kKeepingUpGroup = "demo-analytics";
constexpr const char* kKeepingUpTopic = "clickstream";

rd::HandlePtr NewHandle(rd_kafka_type_t type, rd::ConfPtr conf, const char* what) {
  char error[512] = "";
  rd::HandlePtr rk(rd_kafka_new(type, conf.get(), error, sizeof error));
  if (!rk) throw std::runtime_error(std::string("demo cluster ") + what + ": " + error);
  conf.release();  // owned by rk
  return rk;
}

using StatisticsFn = std::function<void(std::string_view)>;

// Reports the handle's statistics to `on_statistics` (which outlives the handle) every 5 s.
void ReportStatistics(rd_kafka_conf_t* conf, const StatisticsFn* on_statistics) {
  if (!*on_statistics) return;
  rd::SetProperty(conf, "statistics.interval.ms", "5000");
  rd_kafka_conf_set_opaque(conf, const_cast<StatisticsFn*>(on_statistics));
  rd_kafka_conf_set_stats_cb(conf, [](rd_kafka_t*, char* json, size_t json_len, void* opaque) {
    (*static_cast<const StatisticsFn*>(opaque))(std::string_view(json, json_len));
    return 0;  // librdkafka frees json
  });
}

rd::HandlePtr NewGroupConsumer(const std::string& bootstraps, const char* group, const char* topic,
                               bool auto_commit, const StatisticsFn* on_statistics) {
  rd::ConfPtr conf(rd_kafka_conf_new());
  ReportStatistics(conf.get(), on_statistics);
  rd::SetProperty(conf.get(), "bootstrap.servers", bootstraps);
  rd::SetProperty(conf.get(), "client.id", std::string(group) + "-consumer");
  rd::SetProperty(conf.get(), "group.id", group);
  rd::SetProperty(conf.get(), "auto.offset.reset", "earliest");
  rd::SetProperty(conf.get(), "enable.auto.commit", auto_commit ? "true" : "false");
  rd::SetProperty(conf.get(), "auto.commit.interval.ms", "1000");
  rd::SetProperty(conf.get(), "log_level", "4");
  rd::RouteLogsToSpdlog(conf.get());
  rd::HandlePtr rk = NewHandle(RD_KAFKA_CONSUMER, std::move(conf), group);
  rd_kafka_poll_set_consumer(rk.get());
  rd::PartitionListPtr subscription(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subscription.get(), topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk.get(), subscription.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error(std::string("demo cluster: subscribe ") + group + " to " + topic + ": " +
                             rd_kafka_err2str(err));
  }
  return rk;
}

}  // namespace

struct DemoCluster::Impl {
  explicit Impl(StatisticsFn statistics) : on_statistics(std::move(statistics)) {}

  StatisticsFn on_statistics;  // outlives the handles (declared first, destroyed last)
  MockCluster mock{3};

  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;  // guarded by mutex

  rd::HandlePtr producer;
  rd::HandlePtr lagging_consumer;
  rd::HandlePtr keeping_up_consumer;
  std::vector<std::jthread> threads;  // joined by Stop(), before the handles and the mock go away

  ~Impl() { Stop(); }

  /// Waits until `until` or Stop(); returns false when stopping.
  bool SleepUntil(Clock::time_point until) {
    std::unique_lock lock(mutex);
    return !wake.wait_until(lock, until, [&] { return stop; });
  }
  bool Stopping() {
    std::lock_guard lock(mutex);
    return stop;
  }
  void Stop() {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    wake.notify_all();
    threads.clear();  // joins
  }

  void Produce(const char* topic, int index) {
    const std::string key = "key-" + std::to_string(index % 97);
    const std::string value = std::string(topic) + "-" + std::to_string(index);
    rd_kafka_resp_err_t err =
        rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key.data(), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
      spdlog::debug("demo producer: {}: {}", topic, rd_kafka_err2str(err));
  }

  void RunProducer() {
    int index = 0;
    for (int i = 0; i < kAuditBurst; ++i) Produce("audit-log", index++);
    for (auto next = Clock::now(); SleepUntil(next); next += kProduceTick) {
      for (const DemoTopic& topic : kTopics) {
        // Vary each topic's rate a little from tick to tick (+0..2 records) so graphs are not flat lines.
        const int extra = topic.records_per_tick > 0 ? (index / 7) % 3 : 0;
        for (int i = 0; i < topic.records_per_tick + extra; ++i) Produce(topic.name, index++);
      }
      rd_kafka_poll(producer.get(), 0);
    }
    rd_kafka_flush(producer.get(), 1000);
  }

  void RunLaggingConsumer() {
    rd_kafka_t* rk = lagging_consumer.get();
    for (auto next = Clock::now(); SleepUntil(next); next = Clock::now() + kLaggingPause) {
      const auto burst_end = Clock::now() + milliseconds(1000);
      int consumed = 0;
      while (consumed < kLaggingBurstRecords && Clock::now() < burst_end && !Stopping()) {
        rd::MessagePtr message(rd_kafka_consumer_poll(rk, 100));
        if (message && message->err == RD_KAFKA_RESP_ERR_NO_ERROR) ++consumed;
      }
      if (consumed > 0) {
        rd_kafka_resp_err_t err = rd_kafka_commit(rk, nullptr, /*async=*/0);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
          spdlog::debug("demo {}: commit: {}", kLaggingGroup, rd_kafka_err2str(err));
      }
    }
    rd_kafka_consumer_close(rk);
  }

  void RunKeepingUpConsumer() {
    rd_kafka_t* rk = keeping_up_consumer.get();
    while (!Stopping()) rd::MessagePtr message(rd_kafka_consumer_poll(rk, 200));
    rd_kafka_consumer_close(rk);
  }
};

DemoCluster::DemoCluster(std::function<void(std::string_view json)> on_statistics)
    : impl_(std::make_unique<Impl>(std::move(on_statistics))) {
  Impl& impl = *impl_;
  for (const DemoTopic& topic : kTopics) impl.mock.CreateTopic(topic.name, topic.partitions, 3);
  const std::string bootstraps = impl.mock.Bootstraps();

  rd::ConfPtr conf(rd_kafka_conf_new());
  rd::SetProperty(conf.get(), "bootstrap.servers", bootstraps);
  rd::SetProperty(conf.get(), "client.id", "demo-producer");
  ReportStatistics(conf.get(), &impl.on_statistics);
  rd::SetProperty(conf.get(), "linger.ms", "50");  // fewer, fuller batches: less CPU for the same rate
  rd::SetProperty(conf.get(), "log_level", "4");
  rd::RouteLogsToSpdlog(conf.get());
  impl.producer = NewHandle(RD_KAFKA_PRODUCER, std::move(conf), "producer");
  impl.lagging_consumer = NewGroupConsumer(bootstraps, kLaggingGroup, kLaggingTopic, /*auto_commit=*/false,
                                           &impl.on_statistics);
  impl.keeping_up_consumer =
      NewGroupConsumer(bootstraps, kKeepingUpGroup, kKeepingUpTopic, /*auto_commit=*/true,
                       &impl.on_statistics);

  impl.threads.emplace_back([&impl] { impl.RunProducer(); });
  impl.threads.emplace_back([&impl] { impl.RunLaggingConsumer(); });
  impl.threads.emplace_back([&impl] { impl.RunKeepingUpConsumer(); });
}

DemoCluster::~DemoCluster() = default;

std::string DemoCluster::Bootstraps() const { return impl_->mock.Bootstraps(); }

MockCluster& DemoCluster::mock() { return impl_->mock; }

std::vector<std::string> DemoCluster::GroupIds() { return {kKeepingUpGroup, kLaggingGroup}; }

}  // namespace kpe::kafka
