#include "metrics/clients_exposition.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/family_set.h"
#include "metrics/names.h"

namespace kpe::metrics {
namespace {

using clientstats::BrokerStats;
using clientstats::ClientReport;
using clientstats::Statistics;
using clientstats::TopicStats;
using clientstats::Window;
using internal::FamilySet;

/// Labels of a client, sorted by name, viewing the report's strings.
using Labels = std::vector<Label>;

consteval size_t Cl(std::string_view name) { return FamilyIndex(name, Part::kClients); }

/// avg, p99 and max of `window` as three series labelled with `client`, `own` and stat; none when
/// it sampled nothing.
void AddWindow(size_t family, const Labels& client, Label own, const Window& window,
               FamilySet& set) {
  if (window.cnt == 0) return;
  for (const auto& [stat, value] : {std::pair<std::string_view, double>{"avg", window.avg},
                                    {"p99", window.p99},
                                    {"max", window.max}}) {
    const Label stat_label{"stat", stat};
    if (own.name < stat_label.name) {
      set.Add(family, client, {own, stat_label}, value);
    } else {
      set.Add(family, client, {stat_label, own}, value);
    }
  }
}

double Count(uint64_t n) { return static_cast<double>(n); }

void AddBroker(const BrokerStats& b, const Labels& client, FamilySet& set) {
  const Label broker{"broker", b.name};
  const LabelText labels(client, {broker});
  set.Add(Cl("kafka_client_broker_connection_up"), labels, b.state == "UP" ? 1 : 0);
  set.Add(Cl("kafka_client_broker_connects_total"), labels, Count(b.connects));
  set.Add(Cl("kafka_client_broker_disconnects_total"), labels, Count(b.disconnects));
  set.Add(Cl("kafka_client_broker_outbuf_requests"), labels, static_cast<double>(b.outbuf_cnt));
  set.Add(Cl("kafka_client_broker_waitresp_requests"), labels,
          static_cast<double>(b.waitresp_cnt));
  set.Add(Cl("kafka_client_broker_requests_sent_total"), labels, Count(b.tx));
  set.Add(Cl("kafka_client_broker_bytes_sent_total"), labels, Count(b.txbytes));
  set.Add(Cl("kafka_client_broker_request_errors_total"), labels, Count(b.txerrs));
  set.Add(Cl("kafka_client_broker_request_retries_total"), labels, Count(b.txretries));
  set.Add(Cl("kafka_client_broker_request_timeouts_total"), labels, Count(b.req_timeouts));
  set.Add(Cl("kafka_client_broker_responses_received_total"), labels, Count(b.rx));
  set.Add(Cl("kafka_client_broker_bytes_received_total"), labels, Count(b.rxbytes));
  set.Add(Cl("kafka_client_broker_response_errors_total"), labels, Count(b.rxerrs));
  AddWindow(Cl("kafka_client_broker_rtt_seconds"), client, broker, b.rtt, set);
  AddWindow(Cl("kafka_client_broker_internal_latency_seconds"), client, broker, b.int_latency, set);
  AddWindow(Cl("kafka_client_broker_outbuf_latency_seconds"), client, broker, b.outbuf_latency, set);
  AddWindow(Cl("kafka_client_broker_throttle_seconds"), client, broker, b.throttle, set);
}

/// Message set bytes per message of the latest window; 0 when unknown. Prefers the window sums
/// (exact), falling back to the averages for documents without them.
double WireBytesPerMessage(const TopicStats& t) {
  if (t.batchsize.cnt == 0 || t.batchcnt.cnt == 0) return 0;
  if (t.batchsize.sum > 0 && t.batchcnt.sum > 0) return t.batchsize.sum / t.batchcnt.sum;
  if (t.batchsize.avg > 0 && t.batchcnt.avg > 0) return t.batchsize.avg / t.batchcnt.avg;
  return 0;
}

void AddTopic(const TopicStats& t, bool producer, const Labels& client, FamilySet& set) {
  const Label topic{"topic", t.name};
  const LabelText labels(client, {topic});
  AddWindow(Cl("kafka_client_topic_batch_size_bytes"), client, topic, t.batchsize, set);
  AddWindow(Cl("kafka_client_topic_batch_messages"), client, topic, t.batchcnt, set);
  uint64_t msgs = 0;
  uint64_t bytes = 0;
  for (const clientstats::PartitionStats& p : t.partitions) {
    msgs += producer ? p.txmsgs : p.rxmsgs;
    bytes += producer ? p.txbytes : p.rxbytes;
  }
  if (producer) {
    set.Add(Cl("kafka_client_topic_messages_sent_total"), labels, Count(msgs));
    set.Add(Cl("kafka_client_topic_message_bytes_sent_total"), labels, Count(bytes));
    // Uncompressed key+value bytes per message (cumulative) over message set bytes per message
    // (latest window): the two sources librdkafka offers; see the family's help.
    const double wire = WireBytesPerMessage(t);
    if (msgs > 0 && bytes > 0 && wire > 0) {
      set.Add(Cl("kafka_client_topic_compression_ratio"), labels,
              (static_cast<double>(bytes) / static_cast<double>(msgs)) / wire);
    }
  } else {
    set.Add(Cl("kafka_client_topic_messages_received_total"), labels, Count(msgs));
    set.Add(Cl("kafka_client_topic_message_bytes_received_total"), labels, Count(bytes));
    for (const clientstats::PartitionStats& p : t.partitions) {
      if (!p.consumer_lag) continue;
      set.Add(Cl("kafka_client_consumer_lag"), client,
              {{"partition", std::to_string(p.id)}, topic},
              static_cast<double>(*p.consumer_lag));
    }
  }
}

void AddClient(const ClientReport& report, state::WallClock::time_point now, FamilySet& set) {
  const Statistics& s = report.statistics;
  const Labels client = {{"client_id", s.client_id},
                         {"client_name", s.name},
                         {"label", report.label},
                         {"type", s.type}};
  const bool producer = s.type == "producer";
  set.Add(Cl("kafka_client_last_report_age_seconds"), client,
          std::max(0.0, std::chrono::duration<double>(now - report.received_at).count()));
  if (producer) {
    set.Add(Cl("kafka_client_messages_sent_total"), client, Count(s.txmsgs));
    set.Add(Cl("kafka_client_message_bytes_sent_total"), client, Count(s.txmsg_bytes));
    set.Add(Cl("kafka_client_queued_messages"), client, static_cast<double>(s.msg_cnt));
    set.Add(Cl("kafka_client_queued_message_bytes"), client, static_cast<double>(s.msg_size));
  } else {
    set.Add(Cl("kafka_client_messages_received_total"), client, Count(s.rxmsgs));
    set.Add(Cl("kafka_client_message_bytes_received_total"), client, Count(s.rxmsg_bytes));
  }
  if (s.cgrp) {
    set.Add(Cl("kafka_client_group_rebalances_total"), client, Count(s.cgrp->rebalance_cnt));
    set.Add(Cl("kafka_client_group_assigned_partitions"), client,
            static_cast<double>(s.cgrp->assignment_size));
  }
  for (const BrokerStats& b : s.brokers) {
    if (b.source != "internal") AddBroker(b, client, set);
  }
  for (const TopicStats& t : s.topics) AddTopic(t, producer, client, set);
}

}  // namespace

std::string RenderClients(const clientstats::ClientsSnapshot& clients,
                          state::WallClock::time_point now) {
  FamilySet set;
  for (const auto& report : clients.clients) {
    if (report != nullptr) AddClient(*report, now, set);
  }
  for (const auto& [result, n] : {std::pair<std::string_view, uint64_t>{"accepted",
                                                                        clients.accepted_total},
                                  {"malformed", clients.malformed_total},
                                  {"rejected", clients.rejected_total}}) {
    set.Add(Cl("kafka_perf_exporter_client_reports_total"), {}, {{"result", result}}, Count(n));
  }
  set.Add(Cl("kafka_perf_exporter_clients"), static_cast<double>(clients.clients.size()));
  set.Add(Cl("kafka_perf_exporter_clients_expired_total"), Count(clients.expired_total));
  set.Add(Cl("kafka_perf_exporter_clients_max"), static_cast<double>(clients.max_clients));
  return set.Serialize(Part::kClients, nullptr);
}

}  // namespace kpe::metrics
