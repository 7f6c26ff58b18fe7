#include "clientstats/client_registry.h"

#include <simdjson.h>

#include <utility>

#include "clientstats/stats_parser.h"

namespace kpe::clientstats {

ClientRegistry::ClientRegistry(size_t max_clients) : max_clients_(max_clients) {}

IngestResult ClientRegistry::Ingest(std::string_view body, std::string label,
                                    WallClock::time_point now) {
  IngestResult result;
  // Checked before parsing: the label ends up in every series, and invalid UTF-8 there would make
  // the whole exposition unreadable.
  if (label.size() > kMaxLabelBytes) {
    result = {IngestStatus::kMalformed,
              "label: longer than " + std::to_string(kMaxLabelBytes) + " bytes"};
  } else if (!simdjson::validate_utf8(label.data(), label.size())) {
    result = {IngestStatus::kMalformed, "label: not valid UTF-8"};
  }
  ParseResult parsed;
  if (result.ok()) {
    parsed = ParseStatistics(body);
    if (!parsed.ok()) result = {IngestStatus::kMalformed, std::move(parsed.error)};
  }
  if (!result.ok()) {
    std::lock_guard lock(mutex_);
    ++malformed_total_;
    ++version_;
    return result;
  }

  auto report = std::make_shared<ClientReport>();
  report->label = std::move(label);
  report->statistics = std::move(*parsed.statistics);
  report->received_at = now;
  Key key{report->statistics.client_id, report->statistics.name, report->label};

  std::lock_guard lock(mutex_);
  ++version_;
  auto it = clients_.find(key);
  if (it == clients_.end()) {
    if (clients_.size() >= max_clients_) {
      ++rejected_total_;
      return {IngestStatus::kTooManyClients,
              "too many clients: " + std::to_string(clients_.size()) +
                  " are reporting (max_clients); client not stored"};
    }
    clients_.emplace(std::move(key), std::move(report));
  } else {
    it->second = std::move(report);
  }
  ++accepted_total_;
  return result;
}

size_t ClientRegistry::ExpireOlderThan(WallClock::duration ttl, WallClock::time_point now) {
  const WallClock::time_point cutoff = now - ttl;
  std::lock_guard lock(mutex_);
  const size_t removed = std::erase_if(
      clients_, [&](const auto& entry) { return entry.second->received_at < cutoff; });
  if (removed > 0) {
    expired_total_ += removed;
    ++version_;
  }
  return removed;
}

std::shared_ptr<const ClientsSnapshot> ClientRegistry::Snapshot() const {
  std::lock_guard lock(mutex_);
  if (snapshot_ != nullptr && snapshot_->version == version_) return snapshot_;
  auto snapshot = std::make_shared<ClientsSnapshot>();
  snapshot->clients.reserve(clients_.size());
  for (const auto& [key, report] : clients_) snapshot->clients.push_back(report);
  snapshot->accepted_total = accepted_total_;
  snapshot->malformed_total = malformed_total_;
  snapshot->rejected_total = rejected_total_;
  snapshot->expired_total = expired_total_;
  snapshot->max_clients = max_clients_;
  snapshot->version = version_;
  snapshot_ = std::move(snapshot);
  return snapshot_;
}

size_t ClientRegistry::Size() const {
  std::lock_guard lock(mutex_);
  return clients_.size();
}

}  // namespace kpe::clientstats
