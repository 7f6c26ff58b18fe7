#include "kafka/config_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>

#include "kafka/admin_requests.h"
#include "kafka/rdkafka_ptr.h"

namespace kpe::kafka {
namespace {

using Clock = std::chrono::steady_clock;
using rd::Describe;
using rd::KindOf;

// Distinct client errors remembered so that each is logged once; beyond it the memory is cleared.
constexpr size_t kMaxRememberedErrors = 256;

// The longest destruction waits for late answers of requests that outlived a call's deadline.
constexpr std::chrono::milliseconds kCloseWait(1000);

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<int64_t>(0, left));
}


// The resources of one request: librdkafka copies them, so they are destroyed once the request is sent.
class ConfigResources {
 public:
  ConfigResources() = default;
  ~ConfigResources() { rd_kafka_ConfigResource_destroy_array(items_.data(), items_.size()); }
  ConfigResources(const ConfigResources&) = delete;
  ConfigResources& operator=(const ConfigResources&) = delete;

  rd_kafka_ConfigResource_t* Add(rd_kafka_ResourceType_t type, const std::string& name) {
    return items_.emplace_back(rd_kafka_ConfigResource_new(type, name.c_str()));
  }
  rd_kafka_ConfigResource_t** data() { return items_.data(); }
  size_t size() const { return items_.size(); }

 private:
  std::vector<rd_kafka_ConfigResource_t*> items_;
};

}  // namespace

struct TopicConfigClient::Impl {
  TopicConfigClientOptions options;
  std::set<std::string> keys;  // options.keys, for filtering answers

  std::mutex errors_mutex;
  std::set<std::string> logged_errors;  // guarded by errors_mutex

  rd::HandlePtr rk;  // destroyed before the state its callbacks use
  std::unique_ptr<rd::AdminRequests> requests;  // last: its queue is destroyed before the handle

  // error_cb, on librdkafka's threads.
  void OnError(int err, const char* reason) {
    std::string message =
        rd::RedactSecrets(std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) + ": " + reason);
    // librdkafka appends "(after 0ms in state CONNECT, 3 identical error(s) suppressed)": the same error.
    if (auto suffix = message.rfind(" (after "); suffix != std::string::npos) message.resize(suffix);
    {
      std::lock_guard lock(errors_mutex);
      if (logged_errors.size() >= kMaxRememberedErrors) logged_errors.clear();
      if (!logged_errors.insert(message).second) return;
    }
    spdlog::warn("kafka config client {}: {}", options.client.client_id, message);
  }

  // Why DescribeConfigs cannot be answered by this cluster ("" when it can), from a fresh look at its
  // brokers and controller; `kind` is set with it. Waits at most until `deadline`.
  std::string CheckController(Clock::time_point deadline, ErrorKind& kind);
};

std::string TopicConfigClient::Impl::CheckController(Clock::time_point deadline, ErrorKind& kind) {
  const rd_kafka_metadata_t* raw = nullptr;
  // all_topics=0 and no topic handle: brokers (and the controller, read below) without any topic.
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk.get(), 0, nullptr, &raw, RemainingMs(deadline));
  rd::MetadataPtr metadata(raw);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    kind = KindOf(err);
    return "describe configs: metadata request: " + Describe(err, nullptr);
  }
  const int32_t controller = rd_kafka_controllerid(rk.get(), 0);
  if (controller < 0) {
    kind = ErrorKind::kOther;
    return "describe configs: the cluster reports no controller";
  }
  for (int i = 0; i < metadata->broker_cnt; ++i) {
    if (metadata->brokers[i].id == controller) return "";
  }
  // librdkafka sends DescribeConfigs for topics to the controller and waits for it to appear until the
  // request times out; the mock cluster reports controller 0, which is none of its brokers.
  kind = ErrorKind::kUnsupported;
  return "describe configs: the cluster's controller (broker " + std::to_string(controller) +
         ") is not one of its brokers, so DescribeConfigs cannot be sent (librdkafka's mock cluster does this)";
}

TopicConfigClient::TopicConfigClient(TopicConfigClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->keys.insert(impl_->options.keys.begin(), impl_->options.keys.end());
  const ClientOptions& opts = impl_->options.client;
  if (opts.servers.empty()) throw std::invalid_argument("kafka config client: no bootstrap servers");

  std::string servers;
  for (const auto& server : opts.servers) servers += (servers.empty() ? "" : ",") + server;
  rd::ConfPtr conf(rd_kafka_conf_new());
  rd::SetProperty(conf.get(), "bootstrap.servers", servers);
  rd::SetProperty(conf.get(), "client.id", opts.client_id);
  rd::SetProperty(conf.get(), "topic.metadata.refresh.interval.ms", "60000");
  rd::SetProperty(conf.get(), "socket.keepalive.enable", "true");
  rd::SetProperty(conf.get(), "reconnect.backoff.ms", "500");
  rd::SetProperty(conf.get(), "reconnect.backoff.max.ms", "10000");
  rd::SetProperty(conf.get(), "enable.auto.commit", "false");
  rd::SetProperty(conf.get(), "log.connection.close", "false");
  for (const auto& [name, value] : opts.properties) rd::SetProperty(conf.get(), name, value);
  rd_kafka_conf_set_opaque(conf.get(), impl_.get());
  rd::RouteLogsToSpdlog(conf.get());
  rd_kafka_conf_set_error_cb(conf.get(), [](rd_kafka_t*, int err, const char* reason, void* opaque) {
    static_cast<Impl*>(opaque)->OnError(err, reason);
  });
  char error[512] = "";
  rd::HandlePtr rk(rd::NewInBackground(RD_KAFKA_CONSUMER, conf.get(), error, sizeof error));
  if (!rk) throw std::invalid_argument("kafka config client: " + rd::RedactSecrets(error));
  conf.release();  // owned by rk from here on
  impl_->rk = std::move(rk);
  impl_->requests = std::make_unique<rd::AdminRequests>(impl_->rk.get(), impl_->options.max_in_flight);
}

TopicConfigClient::~TopicConfigClient() {
  // Late answers are read first so that as few requests as possible are outstanding when the handle is
  // destroyed; bounded, since destruction never waits for a broker.
  const auto wait = std::min<std::chrono::milliseconds>(impl_->options.client.timeout, kCloseWait);
  impl_->requests->Drain(Clock::now() + wait);
  impl_->requests.reset();
}

std::vector<TopicConfigs> TopicConfigClient::DescribeTopicConfigs(const std::vector<std::string>& topics) {
  Impl& impl = *impl_;
  const auto deadline = Clock::now() + impl.options.client.timeout;
  std::vector<TopicConfigs> out(topics.size());
  for (size_t i = 0; i < topics.size(); ++i) out[i].topic = topics[i];
  if (topics.empty()) return out;

  auto fail_all = [&](const std::string& error, ErrorKind kind) {
    for (auto& entry : out) {
      entry.configs.clear();
      entry.error = error;
      entry.kind = kind;
    }
  };
  ErrorKind controller_kind = ErrorKind::kNone;
  if (std::string error = impl.CheckController(deadline, controller_kind); !error.empty()) {
    fail_all(error, controller_kind);
    rd_kafka_poll(impl.rk.get(), 0);
    return out;
  }

  std::map<std::string, std::vector<size_t>> inputs_of;
  for (size_t i = 0; i < topics.size(); ++i) inputs_of[topics[i]].push_back(i);
  std::vector<std::vector<std::string>> batches;
  const size_t batch_size = std::max<size_t>(1, impl.options.batch);
  for (const auto& [topic, inputs] : inputs_of) {
    if (batches.empty() || batches.back().size() >= batch_size) batches.emplace_back();
    batches.back().push_back(topic);
  }
  std::vector<bool> answered(topics.size(), false);
  auto fill = [&](const std::string& topic, const std::function<void(TopicConfigs&)>& set) {
    auto it = inputs_of.find(topic);
    if (it == inputs_of.end()) return;
    for (size_t input : it->second) {
      set(out[input]);
      answered[input] = true;
    }
  };

  auto on_result = [&](size_t b, rd_kafka_event_t* event) {
    if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::string error =
          "describe configs: " + Describe(rd_kafka_event_error(event), rd_kafka_event_error_string(event));
      for (const auto& topic : batches[b]) {
        fill(topic, [&](TopicConfigs& entry) {
          entry.kind = KindOf(rd_kafka_event_error(event));
          entry.error = error;
        });
      }
      return;
    }
    size_t n = 0;
    const rd_kafka_ConfigResource_t** resources =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &n);
    for (size_t r = 0; r < n; ++r) {
      const rd_kafka_ConfigResource_t* resource = resources[r];
      if (rd_kafka_ConfigResource_type(resource) != RD_KAFKA_RESOURCE_TOPIC) continue;
      fill(rd_kafka_ConfigResource_name(resource), [&](TopicConfigs& entry) {
        const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(resource);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          entry.kind = KindOf(err);
          entry.error = "describe configs: topic " + entry.topic + ": " +
                        Describe(err, rd_kafka_ConfigResource_error_string(resource));
          return;
        }
        size_t count = 0;
        const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(resource, &count);
        for (size_t e = 0; e < count; ++e) {
          const char* name = rd_kafka_ConfigEntry_name(entries[e]);
          const char* value = rd_kafka_ConfigEntry_value(entries[e]);
          if (name == nullptr || value == nullptr) continue;
          if (!impl.keys.empty() && !impl.keys.contains(name)) continue;
          entry.configs.emplace(name, value);
        }
      });
    }
    for (const auto& topic : batches[b]) {
      for (size_t input : inputs_of[topic]) {
        if (answered[input]) continue;
        answered[input] = true;
        out[input].kind = ErrorKind::kOther;
        out[input].error = "describe configs: topic " + topic + ": missing from the broker's answer";
      }
    }
  };

  // At most max_in_flight outstanding (late ones of earlier calls included); librdkafka never times
  // them out before our deadline (see admin_requests.h).
  impl.requests->Run(
      batches.size(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, deadline,
      [&](size_t b, const rd_kafka_AdminOptions_t* admin, rd_kafka_queue_t* queue) {
        ConfigResources resources;
        for (const auto& topic : batches[b]) {
          rd_kafka_ConfigResource_t* resource = resources.Add(RD_KAFKA_RESOURCE_TOPIC, topic);
          // For DescribeConfigs the names are the request's config_names filter; values are not sent.
          for (const auto& key : impl.options.keys) {
            rd_kafka_ConfigResource_set_config(resource, key.c_str(), nullptr);
          }
        }
        rd_kafka_DescribeConfigs(impl.rk.get(), resources.data(), resources.size(), admin, queue);
      },
      on_result);

  for (size_t i = 0; i < out.size(); ++i) {
    if (answered[i]) continue;
    out[i].kind = ErrorKind::kTimeout;
    out[i].error = "describe configs: no answer within " +
                   std::to_string(impl.options.client.timeout.count()) + " ms";
  }
  rd_kafka_poll(impl.rk.get(), 0);
  return out;
}

}  // namespace kpe::kafka
