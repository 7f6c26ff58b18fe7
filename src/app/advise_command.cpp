#include "app/advise_command.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "advice/output.h"
#include "app/advisor.h"
#include "clientstats/client_registry.h"
#include "collect/cluster_collector.h"
#include "config/validate.h"
#include "kafka/mock_cluster.h"

namespace kpe::app {
namespace {

constexpr const char* kProgram = "kafka-perf-exporter advise";
// Client instances whose statistics are kept (demo mode: a producer and two consumers).
constexpr size_t kMaxClients = 100;

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string MetadataError(const state::ClusterSnapshot& snapshot) {
  for (const auto& collector : snapshot.collectors) {
    if (collector.name == "metadata" && !collector.last_error.empty()) return collector.last_error;
  }
  return "no answer to the metadata request";
}

// Runs one cycle of every collector; returns "" or the message about the first unreachable cluster.
std::string CycleAll(const config::ValidatedConfig& config,
                     std::vector<std::unique_ptr<collect::ClusterCollector>>& collectors,
                     std::vector<collect::SnapshotPtr>& snapshots) {
  snapshots.clear();
  std::string unreachable;
  for (size_t i = 0; i < collectors.size(); ++i) {
    auto snapshot = collectors[i]->Cycle();
    const auto& cluster = config.clusters[i].config;
    if ((snapshot == nullptr || !snapshot->up) && unreachable.empty()) {
      unreachable = "cluster " + cluster.name + " unreachable (bootstrap servers " + Join(cluster.servers) +
                    "): " + (snapshot == nullptr ? std::string("no snapshot") : MetadataError(*snapshot));
    }
    snapshots.push_back(std::move(snapshot));
  }
  return unreachable;
}

}  // namespace

int RunAdvise(std::shared_ptr<const config::ValidatedConfig> validated, const config::AdviseOptions& options) {
  // Declared before the demo cluster, whose client threads report into it until the demo is destroyed.
  clientstats::ClientRegistry registry(kMaxClients);
  std::unique_ptr<kafka::DemoCluster> demo;
  std::shared_ptr<const config::ValidatedConfig> config;
  std::vector<std::unique_ptr<collect::ClusterCollector>> collectors;
  try {
    config::Config cfg = validated->config;
    if (cfg.demo) {
      spdlog::warn("demo mode: advising on an embedded mock Kafka cluster with a demo workload, not a real one");
      demo = std::make_unique<kafka::DemoCluster>([&registry](std::string_view json) {
        registry.Ingest(json, "", state::WallClock::now());
      });
      for (auto& cluster : cfg.clusters) {
        cluster.servers.clear();
        std::stringstream bootstraps(demo->Bootstraps());  // "HOST:PORT,HOST:PORT,..."
        for (std::string server; std::getline(bootstraps, server, ',');) cluster.servers.push_back(server);
        if (cluster.static_groups.empty()) cluster.static_groups = kafka::DemoCluster::GroupIds();
      }
    }
    // Two cycles must each read every topic and group: no adaptive sampling. Rates are measured over the
    // duration the user chose, with slack for cycles of unequal length.
    cfg.collection.adaptive_sampling = false;
    if (cfg.advice.count("min_rate_interval") == 0) {
      cfg.advice["min_rate_interval"] = std::chrono::duration<double>(options.duration).count() / 2;
    }
    config = config::Validate(std::move(cfg));
  } catch (const std::exception& e) {
    std::cerr << kProgram << ": " << e.what() << "\n";
    return kAdviseUnreachable;
  }
  const auto& cfg = config->config;
  std::unique_ptr<Advisor> advisor;
  try {
    advisor = std::make_unique<Advisor>(cfg);
  } catch (const config::ConfigError& e) {
    std::cerr << kProgram << ": " << e.what() << "\n";
    return kAdviseUnreachable;
  }

  collect::CollectorSettings settings(cfg.collection);
  settings.lag = cfg.lag;
  settings.shard = cfg.shard;
  settings.topic_configs = cfg.topic_configs;
  try {
    for (const auto& cluster : config->clusters) {
      collectors.push_back(std::make_unique<collect::ClusterCollector>(
          cluster, settings, [](collect::SnapshotPtr) {}, nullptr));
    }
  } catch (const std::exception& e) {
    std::cerr << kProgram << ": " << e.what() << "\n";
    return kAdviseUnreachable;
  }

  const auto first_at = std::chrono::steady_clock::now();
  std::vector<collect::SnapshotPtr> snapshots;
  if (const std::string error = CycleAll(*config, collectors, snapshots); !error.empty()) {
    std::cerr << kProgram << ": " << error << "\n";
    return kAdviseUnreachable;
  }
  advisor->Observe(snapshots);
  spdlog::info("first collection done; collecting again in {} s to measure rates",
               std::chrono::duration<double>(options.duration).count());
  std::this_thread::sleep_until(first_at + options.duration);
  if (const std::string error = CycleAll(*config, collectors, snapshots); !error.empty()) {
    std::cerr << kProgram << ": " << error << "\n";
    return kAdviseUnreachable;
  }
  advisor->Observe(snapshots);

  const auto clients = registry.Snapshot();
  const auto findings = advisor->Findings(clients.get());
  std::cout << (options.output == config::AdviseOptions::Output::kJson ? advice::FindingsToJson(findings) + "\n"
                                                                       : advice::FindingsToTable(findings));
  std::cout.flush();
  const bool critical = std::ranges::any_of(
      findings, [](const advice::Finding& f) { return f.severity == advice::Severity::kCritical; });
  return critical ? kAdviseCritical : kAdviseOk;
}

}  // namespace kpe::app
