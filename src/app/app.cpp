#include "app/app.h"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <mutex>
#include <optional>
#include <sstream>

#include "app/landing_page.h"
#include "build_info.h"
#include "collect/cluster_collector.h"
#include "config/validate.h"
#include "e2e/probe.h"
#include "http/server.h"
#include "kafka/mock_cluster.h"
#include "kafka/version.h"
#include "metrics/exposition.h"
#include "metrics/probe_exposition.h"
#include "metrics/process_stats.h"
#include "util/gzip.h"

namespace kpe::app {

namespace {

constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string DisplayAddress(const config::ValidatedConfig& config, uint16_t port) {
  const std::string host = config.listen_host.empty() ? "localhost" : config.listen_host;
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

struct App::Impl {
  explicit Impl(std::shared_ptr<const config::ValidatedConfig> validated)
      : config(std::move(validated)),
        work(boost::asio::make_work_guard(io)),
        signals(io, SIGINT, SIGTERM) {
    build.version = kVersion;
    build.librdkafka_version = kafka::LibrdkafkaVersion();
    const auto& metrics_config = config->config.metrics;
    render.max_series = static_cast<size_t>(metrics_config.max_series);
    render.topic_granularity = {metrics_config.topic_granularity.begin(),
                                metrics_config.topic_granularity.end()};
    if (const auto error = metrics::CheckTopicGranularity(render.topic_granularity)) {
      throw config::ConfigError("metrics.topic_granularity: " + *error);
    }
  }

  std::shared_ptr<const config::ValidatedConfig> config;
  metrics::BuildInfo build;
  metrics::RenderOptions render;
  std::unique_ptr<kafka::DemoCluster> demo;

  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  boost::asio::signal_set signals;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<collect::CpuGovernor> governor;
  std::vector<std::unique_ptr<collect::ClusterCollector>> collectors;
  std::vector<std::unique_ptr<e2e::Probe>> probes;  // one per cluster with e2e.enabled, same order

  // What scrapes are served from. Replaced whole on every publish; readers copy the pointers.
  std::mutex mutex;
  metrics::SnapshotList snapshots;                      // guarded by mutex; one slot per cluster
  std::shared_ptr<const metrics::Exposition> rendered;  // guarded by mutex
  uint64_t published = 0;                               // guarded by mutex
  uint64_t rendered_version = 0;                        // guarded by mutex
  bool over_budget = false;                             // guarded by mutex; to log once per change

  void Publish(size_t index, collect::SnapshotPtr snapshot) {
    metrics::SnapshotList copy;
    uint64_t version = 0;
    {
      std::lock_guard lock(mutex);
      snapshots[index] = std::move(snapshot);
      version = ++published;
      copy = snapshots;
    }
    // Rendered on the collector's thread, once per new snapshot, never on a scrape.
    auto exposition = metrics::RenderExposition(copy, render);
    std::lock_guard lock(mutex);
    if (version > rendered_version) {  // two clusters may publish at once: keep the newest
      const bool over = render.max_series > 0 && exposition->series_unfolded > render.max_series;
      if (over != over_budget) {
        if (over) {
          spdlog::warn("series budget {} exceeded ({} series): per-partition series of {} topics folded "
                       "into per-topic aggregates (partition=\"all\")",
                       render.max_series, exposition->series_unfolded, exposition->folded_topics);
        } else {
          spdlog::info("series within budget again: nothing folded");
        }
        over_budget = over;
      }
      rendered = std::move(exposition);
      rendered_version = version;
    }
  }

  std::pair<metrics::SnapshotList, std::shared_ptr<const metrics::Exposition>> Current() {
    std::lock_guard lock(mutex);
    return {snapshots, rendered};
  }

  http::Response ServeMetrics(const http::Request& request) {
    auto [list, exposition] = Current();
    std::string tail =
        metrics::RenderVolatile(list, state::WallClock::now(), metrics::ReadProcessStats(), build,
                                {governor->budget_cores(), governor->usage_cores(), governor->stretch()});
    for (size_t i = 0; i < probes.size(); ++i) {
      const auto& cluster = config->clusters[i].config;
      tail += metrics::RenderProbe(*probes[i]->Snapshot(), cluster.name, cluster.labels);
    }
    http::Response response;
    response.content_type = kExpositionContentType;
    response.headers.emplace_back("Vary", "Accept-Encoding");
    if (request.AcceptsGzip()) {
      // One gzip member: the text's deflate, made once per snapshot, closed with this scrape's tail.
      response.headers.emplace_back("Content-Encoding", "gzip");
      response.shared_body = std::shared_ptr<const std::string>(exposition, &exposition->gzip.bytes);
      response.body = util::GzipClose(exposition->gzip, tail);
    } else {
      response.shared_body = std::shared_ptr<const std::string>(exposition, &exposition->text);
      response.body = tail;
    }
    return response;
  }

  bool Ready() {
    std::lock_guard lock(mutex);
    for (const auto& snapshot : snapshots) {
      if (!snapshot->ever_up) return false;
    }
    return true;
  }

  http::Router MakeRouter() {
    http::Router router;
    router.Add("GET", config->config.web.telemetry_path,
               [this](const http::Request& r) { return ServeMetrics(r); });
    router.Add("GET", "/healthz", [](const http::Request&) { return http::Response::Text(200, "ok\n"); });
    router.Add("GET", "/readyz", [this](const http::Request&) {
      return Ready() ? http::Response::Text(200, "ready\n")
                     : http::Response::Text(503, "not ready: no successful collection yet\n");
    });
    router.Add("GET", "/", [this](const http::Request&) {
      http::Response response;
      response.content_type = "text/html; charset=utf-8";
      response.body = RenderLandingPage(config->config, build, Current().first);
      return response;
    });
    return router;
  }

  void Shutdown() {
    if (server) server->Stop();
    signals.cancel();
    work.reset();
  }
};

App::App(std::shared_ptr<const config::ValidatedConfig> config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}

App::~App() = default;

int App::Run() {
  Impl& s = *impl_;
  if (s.config->config.demo) {
    spdlog::warn("demo mode: watching an embedded mock Kafka cluster with a demo workload, not a real one "
                 "(give --kafka.server to watch yours)");
    s.demo = std::make_unique<kafka::DemoCluster>();
    // The demo cluster's address is known only now: validate the config again with it.
    config::Config with_demo = s.config->config;
    // The demo shows the end-to-end probe too, unless the config says otherwise; the mock cannot
    // create topics on request, so the canary topic is made here.
    if (with_demo.origins.count("e2e.enabled") == 0) with_demo.e2e.enabled = true;
    if (with_demo.e2e.enabled) s.demo->mock().CreateTopic(with_demo.e2e.topic, 3, 3);
    for (auto& cluster : with_demo.clusters) {
      cluster.servers.clear();
      std::stringstream bootstraps(s.demo->Bootstraps());  // "HOST:PORT,HOST:PORT,..."
      for (std::string server; std::getline(bootstraps, server, ',');) cluster.servers.push_back(server);
      if (cluster.static_groups.empty()) cluster.static_groups = kafka::DemoCluster::GroupIds();
    }
    s.config = config::Validate(std::move(with_demo));
  }
  const auto& cfg = s.config->config;  // the final config: collectors keep references into it
  // One CPU budget for the whole process, shared by every cluster's collector. In demo mode the
  // embedded demo cluster runs in this process: its work is not the exporter's, so nothing is governed.
  s.governor = std::make_unique<collect::CpuGovernor>(
      cfg.demo ? 0.0 : cfg.collection.cpu_budget,
      std::chrono::duration_cast<std::chrono::seconds>(cfg.collection.cpu_window));

  collect::CollectorSettings settings(cfg.collection);
  settings.lag = cfg.lag;
  settings.shard = cfg.shard;
  settings.topic_configs = cfg.topic_configs;
  s.snapshots.resize(s.config->clusters.size());
  for (size_t i = 0; i < s.config->clusters.size(); ++i) {
    const auto& cluster = s.config->clusters[i];
    // Until the first cycle ends, serve kafka_up 0 for this cluster rather than nothing.
    auto initial = std::make_shared<state::ClusterSnapshot>();
    initial->cluster = cluster.config.name;
    initial->labels = cluster.config.labels;
    s.Publish(i, std::move(initial));
    s.collectors.push_back(std::make_unique<collect::ClusterCollector>(
        cluster, settings,
        [&s, i](collect::SnapshotPtr snapshot) { s.Publish(i, std::move(snapshot)); }, s.governor.get()));
  }

  if (cfg.e2e.enabled) {
    for (const auto& cluster : s.config->clusters) {
      e2e::ProbeOptions probe;
      probe.client.servers = cluster.config.servers;
      probe.client.client_id = cluster.config.client_id + "-probe";
      probe.client.properties = cluster.config.properties;
      probe.client.timeout = cfg.e2e.timeout;
      probe.topic = cfg.e2e.topic;
      probe.acks = cfg.e2e.acks;
      probe.create_topic = cfg.e2e.create_topic;
      probe.replication_factor = cfg.e2e.replication_factor;
      probe.interval = cfg.e2e.interval;
      probe.sla = cfg.e2e.sla;
      probe.group_id = cfg.e2e.group_id;
      probe.commit_every = cfg.e2e.commit_every;
      probe.metadata_interval = cfg.e2e.metadata_interval;
      s.probes.push_back(std::make_unique<e2e::Probe>(std::move(probe)));
    }
  }

  http::ServerOptions options;
  options.host = s.config->listen_host;
  options.port = s.config->listen_port;
  options.max_connections = static_cast<size_t>(cfg.web.max_connections);
  options.read_timeout = cfg.web.read_timeout;
  auto router = std::make_shared<http::Router>(s.MakeRouter());
  s.server = std::make_unique<http::Server>(
      s.io, options, [router](const http::Request& request) { return router->Route(request); });
  s.server->Start();
  spdlog::info("kafka-perf-exporter {} (librdkafka {}) serving on http://{}/ (metrics at {})", s.build.version,
               s.build.librdkafka_version, DisplayAddress(*s.config, s.server->port()), cfg.web.telemetry_path);

  s.signals.async_wait([&s](const boost::system::error_code& error, int signal) {
    if (error) return;
    spdlog::info("received signal {}, shutting down", signal);
    s.Shutdown();
  });
  for (auto& collector : s.collectors) collector->Start();

  s.io.run();

  for (auto& collector : s.collectors) collector->Stop();
  s.collectors.clear();
  s.probes.clear();
  s.demo.reset();
  spdlog::info("stopped");
  return 0;
}

void App::Stop() {
  Impl& s = *impl_;
  boost::asio::post(s.io, [&s] { s.Shutdown(); });
}

}  // namespace kpe::app
