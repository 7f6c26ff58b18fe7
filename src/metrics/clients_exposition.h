#pragma once
// Application clients' librdkafka statistics (ClientRegistry) → the kafka_client_* families and
// the client-ingestion self-metrics, in the Prometheus text format 0.0.4.

#include <string>

#include "clientstats/client_registry.h"
#include "state/wall_clock.h"

namespace kpe::metrics {

/// Renders every family of Part::kClients (names.h) from `clients`, families sorted by name.
/// Every client series is labelled client_id, client_name (librdkafka's handle name, which keeps
/// two handles with the same client.id apart), label (what the sender added, "" when none) and type
/// (producer or consumer); per broker series add broker (librdkafka's broker name
/// "host:port/id", unique per client; the internal broker is skipped), per topic series topic, and
/// kafka_client_consumer_lag topic and partition. Window families (stat="avg"|"p99"|"max") are
/// absent for a window that sampled nothing in the client's latest interval. Message counters follow
/// the client's type: producers get the *_sent_* families and the queue gauges, consumers the
/// *_received_* ones, consumer lag and, with a group, the group families. The self-metrics
/// (kafka_perf_exporter_client_reports_total, _clients, _clients_expired_total, _clients_max) are
/// always rendered. kafka_client_last_report_age_seconds depends on `now`, so call this per scrape
/// or cache the text only as long as that age may be stale. Pure function; thread-safe.
std::string RenderClients(const clientstats::ClientsSnapshot& clients,
                          state::WallClock::time_point now);

}  // namespace kpe::metrics
