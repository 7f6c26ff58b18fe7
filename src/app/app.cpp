#include "app/app.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "app/advisor.h"
#include "app/allocator.h"
#include "app/landing_page.h"
#include "build_info.h"
#include "clientstats/client_registry.h"
#include "collect/cluster_collector.h"
#include "config/validate.h"
#include "e2e/probe.h"
#include "http/server.h"
#include "http/web_config.h"
#include "kafka/mock_cluster.h"
#include "kafka/version.h"
#include "metrics/advice_exposition.h"
#include "metrics/clients_exposition.h"
#include "metrics/exposition.h"
#include "metrics/probe_exposition.h"
#include "metrics/process_stats.h"
#include "util/gzip.h"
#include "util/thread_priority.h"

namespace kpe::app {

namespace {

constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kStatsPath = "/api/v1/librdkafka/stats";

using ConfigPtr = std::shared_ptr<const config::ValidatedConfig>;

std::string DisplayAddress(const config::ValidatedConfig& config, uint16_t port) {
  const std::string host = config.listen_host.empty() ? "localhost" : config.listen_host;
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

double UnixNow() {
  return std::chrono::duration<double>(state::WallClock::now().time_since_epoch()).count();
}

// The settings of one cluster's collector: its own collection section, or the top-level one.
collect::CollectorSettings SettingsOf(const config::Config& cfg, const config::ClusterConfig& cluster) {
  collect::CollectorSettings settings(cluster.collection.value_or(cfg.collection));
  settings.lag = cfg.lag;
  settings.shard = cfg.shard;
  settings.topic_configs = cfg.topic_configs;
  return settings;
}

bool SameSettings(const collect::CollectorSettings& a, const collect::CollectorSettings& b) {
  return a.collection == b.collection && a.lag == b.lag && a.shard == b.shard &&
         a.topic_configs == b.topic_configs;
}

metrics::RenderOptions RenderOptionsOf(const config::Config& cfg) {
  metrics::RenderOptions render;
  render.max_series = static_cast<size_t>(cfg.metrics.max_series);
  render.topic_granularity = {cfg.metrics.topic_granularity.begin(), cfg.metrics.topic_granularity.end()};
  if (const auto error = metrics::CheckTopicGranularity(render.topic_granularity)) {
    throw config::ConfigError("metrics.topic_granularity: " + *error);
  }
  return render;
}

// The first line of a secret file, without trailing white space. Throws ConfigError naming the key.
std::string ReadToken(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string token;
  if (!in || !std::getline(in, token)) {
    throw config::ConfigError(key + ": cannot read the token file " + path);
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) throw config::ConfigError(key + ": the token file " + path + " is empty");
  return token;
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Value of `name` in a query string ("a=1&label=x"), percent-decoded; "" when absent.
std::string QueryParameter(const std::string& query, const std::string& name) {
  std::stringstream parts(query);
  for (std::string part; std::getline(parts, part, '&');) {
    const auto equals = part.find('=');
    if (part.substr(0, equals) != name || equals == std::string::npos) continue;
    std::string value;
    for (size_t i = equals + 1; i < part.size(); ++i) {
      if (part[i] == '%' && i + 2 < part.size() && std::isxdigit(static_cast<unsigned char>(part[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(part[i + 2]))) {
        value += static_cast<char>(std::stoi(part.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        value += part[i] == '+' ? ' ' : part[i];
      }
    }
    return value;
  }
  return "";
}

}  // namespace

struct App::Impl {
  Impl(ConfigPtr validated, Reloader reloader)
      : reload_config(std::move(reloader)),
        work(boost::asio::make_work_guard(io)),
        signals(io, SIGINT, SIGTERM),
        hangups(io, SIGHUP) {
    build.version = kVersion;
    build.librdkafka_version = kafka::LibrdkafkaVersion();
    render = RenderOptionsOf(validated->config);
    advisor.store(std::make_shared<Advisor>(validated->config));  // throws ConfigError on a bad key
    config.store(std::move(validated));
  }

  // One cluster being collected: the config that owns its settings (collectors keep references into
  // it), its collector, and the slot its snapshots are published to.
  struct Slot {
    std::shared_ptr<const state::ClusterSnapshot> snapshot;  // guarded by Impl::mutex
  };
  struct Running {
    ConfigPtr owner;
    const config::ValidatedCluster* cluster = nullptr;
    collect::CollectorSettings settings;
    std::shared_ptr<Slot> slot;
    std::unique_ptr<collect::ClusterCollector> collector;
  };

  Reloader reload_config;
  std::atomic<ConfigPtr> config;
  std::atomic<std::shared_ptr<Advisor>> advisor;  // replaced on reload
  metrics::BuildInfo build;
  std::unique_ptr<kafka::DemoCluster> demo;

  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  boost::asio::signal_set signals;
  boost::asio::signal_set hangups;  // SIGHUP: reload
  std::unique_ptr<http::Server> server;
  std::shared_ptr<std::atomic<std::shared_ptr<const http::WebConfig>>> web =
      std::make_shared<std::atomic<std::shared_ptr<const http::WebConfig>>>();
  std::unique_ptr<collect::CpuGovernor> governor;
  std::unique_ptr<clientstats::ClientRegistry> registry;  // with client_stats.enabled, or in demo mode
  std::vector<Running> running;                           // touched only by Run() and the reload thread
  std::vector<std::unique_ptr<e2e::Probe>> probes;        // one per cluster with e2e.enabled, same order
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> probe_labels;  // cluster, labels

  // What scrapes are served from. Replaced whole on every publish; readers copy the pointers.
  std::mutex mutex;
  std::vector<std::shared_ptr<Slot>> slots;             // guarded by mutex; one per cluster
  metrics::RenderOptions render;                        // guarded by mutex
  std::shared_ptr<const metrics::Exposition> rendered;  // guarded by mutex
  uint64_t published = 0;                               // guarded by mutex
  uint64_t rendered_version = 0;                        // guarded by mutex
  bool over_budget = false;                             // guarded by mutex; to log once per change
  std::string stats_token;                              // guarded by mutex; "" without token_file
  metrics::ReloadStats reload_stats{true, UnixNow()};   // guarded by mutex
  metrics::RenderCache render_cache;                    // thread-safe
  metrics::RenderStats render_stats;                    // guarded by mutex

  // Reloads run on their own thread: stopping a collector waits for its request in flight, which must
  // not stall the HTTP thread.
  std::mutex reload_mutex;
  std::condition_variable reload_wake;
  bool reload_requested = false;  // guarded by reload_mutex
  bool stopping = false;          // guarded by reload_mutex
  std::thread reload_thread;

  metrics::SnapshotList SnapshotsLocked() const {
    metrics::SnapshotList list;
    list.reserve(slots.size());
    for (const auto& slot : slots) list.push_back(slot->snapshot);
    return list;
  }

  // RenderExposition through the cache of chunks, counted in render_stats.
  std::shared_ptr<const metrics::Exposition> Render(const metrics::SnapshotList& snapshots,
                                                    const metrics::RenderOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    auto exposition = metrics::RenderExposition(snapshots, options, &render_cache);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard lock(mutex);
    ++render_stats.renders;
    render_stats.seconds += seconds;
    render_stats.chunks_reused += exposition->chunks_reused;
    render_stats.chunks_deflated += exposition->chunks_deflated;
    return exposition;
  }

  void Publish(const std::shared_ptr<Slot>& slot, collect::SnapshotPtr snapshot) {
    metrics::SnapshotList copy;
    metrics::RenderOptions options;
    uint64_t version = 0;
    {
      std::lock_guard lock(mutex);
      slot->snapshot = std::move(snapshot);
      version = ++published;
      copy = SnapshotsLocked();
      options = render;
    }
    advisor.load()->Observe(copy);
    // Rendered on the collector's thread, once per new snapshot, never on a scrape.
    auto exposition = Render(copy, options);
    {
      std::lock_guard lock(mutex);
      if (version > rendered_version) {  // two clusters may publish at once: keep the newest
        const bool over = options.max_series > 0 && exposition->series_unfolded > options.max_series;
        if (over != over_budget) {
          if (over) {
            spdlog::warn("series budget {} exceeded ({} series): per-partition series of {} topics folded "
                         "into per-topic aggregates (partition=\"all\")",
                         options.max_series, exposition->series_unfolded, exposition->folded_topics);
          } else {
            spdlog::info("series within budget again: nothing folded");
          }
          over_budget = over;
        }
        rendered = std::move(exposition);
        rendered_version = version;
      }
    }
    // The advice of the new snapshots too, here rather than on the next scrape's thread (which
    // evaluates it again, and answers 500 if it fails again).
    try {
      CurrentAdvice();
    } catch (const std::exception& e) {
      spdlog::error("advice: evaluation failed: {}", e.what());
    }
    // The render's small blocks are freed by now, and so are the replaced snapshot and exposition
    // unless a scrape or a collector still holds them (the next trim gets them).
    ReleaseFreeMemory();
  }

  // Re-renders what is published (after a reload removed or added clusters, or changed the options).
  void Rerender() {
    metrics::SnapshotList copy;
    metrics::RenderOptions options;
    uint64_t version = 0;
    {
      std::lock_guard lock(mutex);
      copy = SnapshotsLocked();
      options = render;
      version = ++published;
    }
    auto exposition = Render(copy, options);
    std::lock_guard lock(mutex);
    if (version > rendered_version) {
      rendered = std::move(exposition);
      rendered_version = version;
    }
  }

  std::pair<metrics::SnapshotList, std::shared_ptr<const metrics::Exposition>> Current() {
    std::lock_guard lock(mutex);
    return {SnapshotsLocked(), rendered};
  }

  std::shared_ptr<Slot> NewSlot(const config::ClusterConfig& cluster) {
    // Until the first cycle ends, serve kafka_up 0 for this cluster rather than nothing.
    auto slot = std::make_shared<Slot>();
    auto initial = std::make_shared<state::ClusterSnapshot>();
    initial->cluster = cluster.name;
    initial->labels = cluster.labels;
    slot->snapshot = std::move(initial);
    return slot;
  }

  Running StartCluster(const ConfigPtr& owner, const config::ValidatedCluster& cluster) {
    Running r;
    r.owner = owner;
    r.cluster = &cluster;
    r.settings = SettingsOf(owner->config, cluster.config);
    r.slot = NewSlot(cluster.config);
    auto slot = r.slot;
    r.collector = std::make_unique<collect::ClusterCollector>(
        cluster, r.settings, [this, slot](collect::SnapshotPtr snapshot) { Publish(slot, std::move(snapshot)); },
        governor.get());
    return r;
  }

  // In demo mode the configuration names no cluster address: point it at the embedded demo cluster.
  ConfigPtr WithDemo(ConfigPtr validated) {
    if (!validated->config.demo || demo == nullptr) return validated;
    config::Config with_demo = validated->config;
    for (auto& cluster : with_demo.clusters) {
      cluster.servers.clear();
      std::stringstream bootstraps(demo->Bootstraps());  // "HOST:PORT,HOST:PORT,..."
      for (std::string server; std::getline(bootstraps, server, ',');) cluster.servers.push_back(server);
      if (cluster.static_groups.empty()) cluster.static_groups = kafka::DemoCluster::GroupIds();
    }
    return config::Validate(std::move(with_demo));
  }

  // The advice of the latest snapshots and client reports, with its kafka_advice text. The rules read
  // no clock, so both are evaluated once per change of their inputs, not on every scrape.
  struct Advice {
    uint64_t published = 0;
    std::shared_ptr<const clientstats::ClientsSnapshot> clients;
    std::shared_ptr<Advisor> advisor;
    std::vector<advice::Finding> findings;
    std::string text;      // the kafka_advice family
    util::GzipPart gzip;   // `text` deflated, for gzip'd scrapes (tens of KB on a large cluster)
  };
  std::mutex advice_mutex;
  std::shared_ptr<const Advice> advice_cache;  // guarded by advice_mutex
  int advice_evaluations = 0;                  // in progress; guarded by advice_mutex

  // The advice of the current inputs, evaluated here (outside the lock) unless cached. With
  // `or_latest`, while another thread is evaluating it, the advice last evaluated instead: a scrape
  // does not wait for the one a collector evaluates on publishing a snapshot.
  std::shared_ptr<const Advice> CurrentAdvice(bool or_latest = false) {
    uint64_t version = 0;
    {
      std::lock_guard lock(mutex);
      version = published;
    }
    auto clients = registry != nullptr ? registry->Snapshot() : nullptr;
    auto current_advisor = advisor.load();
    {
      std::lock_guard lock(advice_mutex);
      if (advice_cache != nullptr && advice_cache->published == version && advice_cache->clients == clients &&
          advice_cache->advisor == current_advisor) {
        return advice_cache;
      }
      if (or_latest && advice_evaluations > 0 && advice_cache != nullptr) return advice_cache;
      ++advice_evaluations;
    }
    struct InProgress {  // counts this evaluation until it returns or throws
      Impl& impl;
      ~InProgress() {
        std::lock_guard lock(impl.advice_mutex);
        --impl.advice_evaluations;
      }
    } in_progress{*this};
    auto fresh = std::make_shared<Advice>();
    fresh->published = version;
    fresh->findings = current_advisor->Findings(clients.get());
    fresh->text = metrics::RenderAdvice(fresh->findings);
    fresh->gzip = util::GzipDeflatePart(fresh->text);
    fresh->clients = std::move(clients);
    fresh->advisor = std::move(current_advisor);
    std::lock_guard lock(advice_mutex);
    // Of two evaluated at once, keep the one of the newer snapshots.
    if (advice_cache == nullptr || fresh->published >= advice_cache->published) advice_cache = fresh;
    return fresh;
  }

  http::Response ServeMetrics(const http::Request& request) {
    auto [list, exposition] = Current();
    const auto now = state::WallClock::now();
    metrics::ReloadStats reload;
    metrics::RenderStats render_cost;
    {
      std::lock_guard lock(mutex);
      reload = reload_stats;
      render_cost = render_stats;
    }
    std::string tail = metrics::RenderVolatile(
        list, now, metrics::ReadProcessStats(), build,
        {governor->budget_cores(), governor->usage_cores(), governor->stretch()}, reload, render_cost);
    for (size_t i = 0; i < probes.size(); ++i) {
      tail += metrics::RenderProbe(*probes[i]->Snapshot(), probe_labels[i].first, probe_labels[i].second);
    }
    if (registry != nullptr) {
      registry->ExpireOlderThan(config.load()->config.client_stats.ttl, now);
      tail += metrics::RenderClients(*registry->Snapshot(), now);
    }
    const auto advice = CurrentAdvice(/*or_latest=*/true);
    http::Response response;
    response.content_type = kExpositionContentType;
    response.headers.emplace_back("Vary", "Accept-Encoding");
    if (request.AcceptsGzip()) {
      // One gzip member: the text's deflate, made once per snapshot, then the advice's, made once per
      // change of the advice, closed with this scrape's tail, the only part deflated here.
      response.headers.emplace_back("Content-Encoding", "gzip");
      response.shared_body = exposition->gzip.bytes;
      response.body = util::GzipClose(exposition->gzip, advice->gzip, tail);
    } else {
      response.shared_body = std::shared_ptr<const std::string>(exposition, &exposition->Text());
      response.body = advice->text + tail;
    }
    return response;
  }

  // POST /api/v1/librdkafka/stats: one statistics document of an application's librdkafka client.
  http::Response IngestStatistics(const http::Request& request) {
    std::string token;
    {
      std::lock_guard lock(mutex);
      token = stats_token;
    }
    if (token.empty() && !request.from_loopback) {
      return http::Response::Text(
          403, "forbidden: set client_stats.token_file to accept statistics from other hosts\n");
    }
    if (!token.empty()) {
      const std::string authorization = request.Header("authorization");
      if (authorization.empty()) {
        auto response = http::Response::Text(401, "unauthorized: send Authorization: Bearer <token>\n");
        response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"kafka-perf-exporter\"");
        return response;
      }
      if (!ConstantTimeEquals(authorization, "Bearer " + token)) {
        return http::Response::Text(403, "forbidden: wrong token\n");
      }
    }
    if (request.body.size() > static_cast<size_t>(config.load()->config.client_stats.max_body_bytes)) {
      return http::Response::Text(413, "payload too large\n");
    }
    const auto result =
        registry->Ingest(request.body, QueryParameter(request.query, "label"), state::WallClock::now());
    switch (result.status) {
      case clientstats::IngestStatus::kOk: {
        http::Response response;
        response.status = 204;
        return response;
      }
      case clientstats::IngestStatus::kMalformed:
        return http::Response::Text(400, "bad statistics: " + result.reason + "\n");
      case clientstats::IngestStatus::kTooManyClients:
        return http::Response::Text(429, result.reason + "\n");
    }
    return http::Response::Text(500, "unexpected ingest result\n");
  }

  bool Ready() {
    std::lock_guard lock(mutex);
    for (const auto& slot : slots) {
      if (!slot->snapshot->ever_up) return false;
    }
    return true;
  }

  http::Router MakeRouter(const config::Config& cfg) {
    http::Router router;
    router.Add("GET", cfg.web.telemetry_path, [this](const http::Request& r) { return ServeMetrics(r); });
    router.Add("GET", "/healthz", [](const http::Request&) { return http::Response::Text(200, "ok\n"); });
    router.Add("GET", "/readyz", [this](const http::Request&) {
      return Ready() ? http::Response::Text(200, "ready\n")
                     : http::Response::Text(503, "not ready: no successful collection yet\n");
    });
    router.Add("GET", "/", [this](const http::Request&) {
      http::Response response;
      response.content_type = "text/html; charset=utf-8";
      response.body = RenderLandingPage(config.load()->config, build, Current().first);
      return response;
    });
    router.Add("GET", "/advice", [this](const http::Request& r) { return AdviceResponse(CurrentAdvice()->findings, r); });
    if (cfg.client_stats.enabled) {
      router.Add("POST", kStatsPath, [this](const http::Request& r) { return IngestStatistics(r); });
    }
    if (cfg.web.enable_lifecycle) {
      router.Add("POST", "/-/reload", [this](const http::Request&) {
        RequestReload();
        return http::Response::Text(202, "reload requested; see kafka_perf_exporter_config_last_reload_successful\n");
      });
    }
    return router;
  }

  // Loads what the web config file says; throws (naming file, line and key) when it is bad.
  void LoadWeb(const config::Config& cfg) {
    if (cfg.web.config_file.empty()) {
      web->store(nullptr);
    } else {
      web->store(std::make_shared<const http::WebConfig>(http::LoadWebConfig(cfg.web.config_file)));
    }
  }

  void RequestReload() {
    {
      std::lock_guard lock(reload_mutex);
      reload_requested = true;
    }
    reload_wake.notify_all();
  }

  void ReloadLoop() {
    util::RunThisThreadInBackground();  // scrapes first; refused: runs as before
    for (;;) {
      {
        std::unique_lock lock(reload_mutex);
        reload_wake.wait(lock, [this] { return reload_requested || stopping; });
        if (stopping) return;
        reload_requested = false;
      }
      Reload();
    }
  }

  // Re-reads the configuration. An invalid one is rejected as a whole and the running one stays.
  // Clusters whose settings did not change keep their collectors (histories, caches, windows).
  void Reload() {
    spdlog::info("reloading the configuration");
    ConfigPtr next;
    metrics::RenderOptions next_render;
    std::string next_token;
    std::shared_ptr<Advisor> next_advisor;
    try {
      if (!reload_config) throw config::ConfigError("no way to read the configuration again");
      next = WithDemo(reload_config());
      next_render = RenderOptionsOf(next->config);
      next_advisor = std::make_shared<Advisor>(next->config);
      if (!next->config.client_stats.token_file.empty()) {
        next_token = ReadToken(next->config.client_stats.token_file, "client_stats.token_file");
      }
      LoadWeb(next->config);
    } catch (const std::exception& e) {
      spdlog::error("configuration reload rejected, the previous configuration keeps running: {}", e.what());
      std::lock_guard lock(mutex);
      reload_stats.last_successful = false;
      return;
    }
    const ConfigPtr previous = config.load();
    const auto& before = previous->config;
    const auto& after = next->config;
    if (!(before.web.listen_address == after.web.listen_address &&
          before.web.telemetry_path == after.web.telemetry_path && before.demo == after.demo &&
          before.e2e == after.e2e && before.client_stats.enabled == after.client_stats.enabled &&
          before.web.enable_lifecycle == after.web.enable_lifecycle)) {
      spdlog::warn("configuration reload: listen address, telemetry path, demo, e2e and the enabled "
                   "endpoints change only with a restart; the rest is applied");
    }
    spdlog::set_level(spdlog::level::from_str(after.log.level));

    // New collectors are made (not started) before anything changes: a property librdkafka rejects
    // rejects the whole reload, and the running collectors go on.
    std::vector<std::optional<Running>> fresh(next->clusters.size());
    std::vector<bool> kept(running.size(), false);
    std::vector<size_t> keep_index(next->clusters.size(), running.size());
    try {
      for (size_t i = 0; i < next->clusters.size(); ++i) {
        const auto& cluster = next->clusters[i];
        const auto settings = SettingsOf(after, cluster.config);
        for (size_t k = 0; k < running.size(); ++k) {
          if (!kept[k] && running[k].cluster->config == cluster.config && SameSettings(running[k].settings, settings)) {
            kept[k] = true;
            keep_index[i] = k;
            break;
          }
        }
        if (keep_index[i] == running.size()) fresh[i] = StartCluster(next, cluster);
      }
    } catch (const std::exception& e) {
      spdlog::error("configuration reload rejected, the previous configuration keeps running: {}", e.what());
      std::lock_guard lock(mutex);
      reload_stats.last_successful = false;
      return;
    }
    std::vector<Running> next_running;
    for (size_t i = 0; i < next->clusters.size(); ++i) {
      if (fresh[i]) {
        spdlog::info("cluster {}: (re)starting its collector with the new settings", next->clusters[i].config.name);
        next_running.push_back(std::move(*fresh[i]));
      } else {
        next_running.push_back(std::move(running[keep_index[i]]));
      }
    }
    for (size_t k = 0; k < running.size(); ++k) {
      if (!kept[k]) running[k].collector->Stop();  // removed or changed clusters
    }
    running = std::move(next_running);
    {
      std::lock_guard lock(mutex);
      slots.clear();
      for (const auto& r : running) slots.push_back(r.slot);
      render = next_render;
      stats_token = next_token;
      reload_stats = {true, UnixNow()};
    }
    advisor.store(std::move(next_advisor));
    config.store(next);
    for (auto& r : running) r.collector->Start();  // starting a running collector is a no-op
    Rerender();
    spdlog::info("configuration reloaded: {} clusters", running.size());
  }

  void Shutdown() {
    if (server) server->Stop();
    signals.cancel();
    hangups.cancel();  // io.run() returns once nothing waits any more
    work.reset();
  }
};

App::App(std::shared_ptr<const config::ValidatedConfig> config, Reloader reloader)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(reloader))) {}

App::~App() = default;

int App::Run() {
  Impl& s = *impl_;
  if (ReturnLargeBlocksToTheSystem()) spdlog::debug("malloc: blocks of 128 KiB or more are mapped on their own");
  if (ShareOneHeap()) spdlog::debug("malloc: all threads share one heap");
  ConfigPtr initial = s.config.load();
  if (initial->config.demo) {
    spdlog::warn("demo mode: watching an embedded mock Kafka cluster with a demo workload, not a real one "
                 "(give --kafka.server to watch yours)");
    // The demo's clients report their statistics in-process, as applications do over HTTP.
    s.registry = std::make_unique<clientstats::ClientRegistry>(
        static_cast<size_t>(initial->config.client_stats.max_clients));
    auto* registry = s.registry.get();
    s.demo = std::make_unique<kafka::DemoCluster>([registry](std::string_view json) {
      registry->Ingest(json, "demo", state::WallClock::now());
    });
    // The demo shows the end-to-end probe too, unless the config says otherwise; the mock cannot
    // create topics on request, so the canary topic is made here.
    config::Config with_probe = initial->config;
    if (with_probe.origins.count("e2e.enabled") == 0) with_probe.e2e.enabled = true;
    if (with_probe.e2e.enabled) s.demo->mock().CreateTopic(with_probe.e2e.topic, 3, 3);
    initial = s.WithDemo(config::Validate(std::move(with_probe)));
    s.config.store(initial);
  }
  const auto& cfg = initial->config;
  if (cfg.client_stats.enabled && s.registry == nullptr) {
    s.registry = std::make_unique<clientstats::ClientRegistry>(static_cast<size_t>(cfg.client_stats.max_clients));
  }
  if (!cfg.client_stats.token_file.empty()) {
    s.stats_token = ReadToken(cfg.client_stats.token_file, "client_stats.token_file");
  }
  s.LoadWeb(cfg);

  // One CPU budget for the whole process, shared by every cluster's collector. In demo mode the
  // embedded demo cluster runs in this process: its work is not the exporter's, so nothing is governed.
  s.governor = std::make_unique<collect::CpuGovernor>(
      cfg.demo ? 0.0 : cfg.collection.cpu_budget,
      std::chrono::duration_cast<std::chrono::seconds>(cfg.collection.cpu_window));
  for (const auto& cluster : initial->clusters) s.running.push_back(s.StartCluster(initial, cluster));
  for (const auto& r : s.running) s.slots.push_back(r.slot);
  s.Rerender();  // serve kafka_up 0 and the rest of the starting state until the first cycles end

  if (cfg.e2e.enabled) {
    for (const auto& cluster : initial->clusters) {
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
      s.probe_labels.emplace_back(cluster.config.name, cluster.config.labels);
    }
  }

  http::ServerOptions options;
  options.host = initial->listen_host;
  options.port = initial->listen_port;
  options.max_connections = static_cast<size_t>(cfg.web.max_connections);
  options.read_timeout = cfg.web.read_timeout;
  if (cfg.client_stats.enabled) options.max_body_bytes = static_cast<size_t>(cfg.client_stats.max_body_bytes);
  options.web_config = [web = s.web] { return web->load(); };
  auto router = std::make_shared<http::Router>(s.MakeRouter(cfg));
  s.server = std::make_unique<http::Server>(
      s.io, options, [router](const http::Request& request) { return router->Route(request); });
  s.server->Start();
  spdlog::info("kafka-perf-exporter {} (librdkafka {}) serving on {}://{}/ (metrics at {})", s.build.version,
               s.build.librdkafka_version,
               s.web->load() != nullptr && s.web->load()->tls.has_value() ? "https" : "http",
               DisplayAddress(*initial, s.server->port()), cfg.web.telemetry_path);

  s.signals.async_wait([&s](const boost::system::error_code& error, int signal) {
    if (error) return;
    spdlog::info("received signal {}, shutting down", signal);
    s.Shutdown();
  });
  // SIGHUP: reload the configuration (on the reload thread), and keep listening for the next one.
  std::function<void(const boost::system::error_code&, int)> on_hangup =
      [&](const boost::system::error_code& error, int) {
        if (error) return;
        s.RequestReload();
        s.hangups.async_wait(on_hangup);
      };
  s.hangups.async_wait(on_hangup);
  s.reload_thread = std::thread([&s] { s.ReloadLoop(); });
  for (auto& r : s.running) r.collector->Start();

  s.io.run();

  {
    std::lock_guard lock(s.reload_mutex);
    s.stopping = true;
  }
  s.reload_wake.notify_all();
  s.reload_thread.join();
  for (auto& r : s.running) r.collector->Stop();
  s.running.clear();
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
