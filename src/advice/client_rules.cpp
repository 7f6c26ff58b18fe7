#include "advice/client_rules.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <utility>

#include "advice/rules.h"

namespace kpe::advice {
namespace {

using clientstats::BrokerStats;
using clientstats::ClientReport;
using clientstats::Statistics;
using clientstats::TopicStats;
using clientstats::Window;

Finding Make(const ClientReport& client, std::string_view rule_id, Severity severity) {
  Finding finding;
  finding.rule_id = rule_id;
  finding.severity = severity;
  finding.subject_kind = "client";
  finding.subject = ClientSubject(client);
  return finding;
}

bool IsProducer(const Statistics& s) { return s.type == "producer"; }
bool IsConsumer(const Statistics& s) { return s.type == "consumer"; }

// Brokers the client talks to for data: learned or configured brokers with a node id; the internal and
// bootstrap ("logical") brokers carry no requests worth judging.
bool IsRealBroker(const BrokerStats& b) { return b.nodeid >= 0; }

// Sum and count of a window: the sum when librdkafka sent one, else avg × cnt.
double WindowSum(const Window& w) { return w.sum > 0 ? w.sum : w.avg * static_cast<double>(w.cnt); }

// "a, b, c" of at most 5 names, then ", … (N in all)".
std::string NameList(const std::vector<std::string>& names) {
  constexpr size_t kShown = 5;
  std::string out;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) out += (i == 0 ? "" : ", ") + names[i];
  if (names.size() > kShown) out += fmt::format(", ... ({} in all)", names.size());
  return out;
}

std::string Ms(double seconds) { return fmt::format("{:.0f} ms", seconds * 1000); }

// Message set bytes per message of the topic's latest window; 0 when unknown (see
// kafka_client_topic_compression_ratio).
double WireBytesPerMessage(const TopicStats& t) {
  if (t.batchsize.cnt == 0 || t.batchcnt.cnt == 0) return 0;
  const double bytes = WindowSum(t.batchsize);
  const double msgs = WindowSum(t.batchcnt);
  return bytes > 0 && msgs > 0 ? bytes / msgs : 0;
}

}  // namespace

std::string ClientSubject(const ClientReport& client) {
  const std::string& name =
      client.statistics.name.empty() ? client.statistics.client_id : client.statistics.name;
  return client.label.empty() ? name : name + " (" + client.label + ")";
}

std::vector<Finding> ClientProducerSmallBatches(const ClientReport& client, const Thresholds& t) {
  const Statistics& s = client.statistics;
  if (!IsProducer(s)) return {};
  double bytes = 0;
  double batches = 0;
  double messages = 0;
  double message_batches = 0;
  std::vector<std::string> small_topics;
  for (const TopicStats& topic : s.topics) {
    if (topic.batchsize.cnt == 0) continue;
    bytes += WindowSum(topic.batchsize);
    batches += static_cast<double>(topic.batchsize.cnt);
    if (topic.batchcnt.cnt > 0) {
      messages += WindowSum(topic.batchcnt);
      message_batches += static_cast<double>(topic.batchcnt.cnt);
    }
    if (topic.batchsize.avg < t.client_min_batch_bytes) small_topics.push_back(topic.name);
  }
  if (batches == 0) return {};
  const double avg = bytes / batches;
  if (avg >= t.client_min_batch_bytes) return {};
  const double avg_messages = message_batches > 0 ? messages / message_batches : 0;
  Finding f = Make(client, "client.producer_small_batches", Severity::kWarning);
  f.evidence = {{"avg_batch_bytes", avg},
                {"avg_batch_messages", avg_messages},
                {"batches", batches},
                {"min_batch_bytes", t.client_min_batch_bytes}};
  f.summary = fmt::format(
      "producer {} sends message sets of {:.0f} bytes ({:.1f} messages) on average (below {:.0f} bytes) on {}",
      f.subject, avg, avg_messages, t.client_min_batch_bytes, NameList(small_topics));
  f.recommendation =
      "batch more per request: raise linger.ms to 5-50 (the wait before a batch is sent) and batch.size to "
      "65536-262144 (64-256 KiB); with compression.type=lz4 or zstd larger batches also compress better";
  return {std::move(f)};
}

std::vector<Finding> ClientProducerUncompressed(const ClientReport& client, const Thresholds& t) {
  const Statistics& s = client.statistics;
  if (!IsProducer(s)) return {};
  double plain_bytes = 0;  // key + value bytes of the messages produced
  double wire_bytes = 0;   // the same messages at the latest window's message set bytes per message
  std::vector<std::string> topics;
  for (const TopicStats& topic : s.topics) {
    const double wire = WireBytesPerMessage(topic);
    uint64_t msgs = 0;
    uint64_t bytes = 0;
    for (const auto& p : topic.partitions) {
      msgs += p.txmsgs;
      bytes += p.txbytes;
    }
    if (wire <= 0 || msgs == 0 || bytes == 0) continue;
    plain_bytes += static_cast<double>(bytes);
    wire_bytes += static_cast<double>(msgs) * wire;
    topics.push_back(topic.name);
  }
  if (wire_bytes <= 0) return {};
  const double ratio = plain_bytes / wire_bytes;
  if (ratio >= t.client_min_compression_ratio) return {};
  Finding f = Make(client, "client.producer_uncompressed", Severity::kInfo);
  f.evidence = {{"compression_ratio", ratio},
                {"min_compression_ratio", t.client_min_compression_ratio},
                {"topics", static_cast<double>(topics.size())}};
  f.summary = fmt::format(
      "producer {} writes about as many bytes as it is given (compression ratio {:.2f}, below {:.2f}) on {}: "
      "its records are not compressed, or do not compress",
      f.subject, ratio, t.client_min_compression_ratio, NameList(topics));
  f.recommendation =
      "if compression.type is none (the default), set compression.type=lz4 (cheap) or zstd (smaller) in the "
      "producer: less network, disk and broker I/O for text or JSON records; raise linger.ms too, since "
      "compression works per batch; if the payload is already compressed or encrypted, ignore";
  return {std::move(f)};
}

std::vector<Finding> ClientRequestLatency(const ClientReport& client, const Thresholds& t) {
  const Statistics& s = client.statistics;
  if (!IsProducer(s)) return {};
  const BrokerStats* worst_rtt = nullptr;
  const BrokerStats* worst_queue = nullptr;
  for (const BrokerStats& b : s.brokers) {
    if (!IsRealBroker(b)) continue;
    if (b.rtt.cnt > 0 && (worst_rtt == nullptr || b.rtt.p99 > worst_rtt->rtt.p99)) worst_rtt = &b;
    if (b.int_latency.cnt > 0 && (worst_queue == nullptr || b.int_latency.p99 > worst_queue->int_latency.p99)) {
      worst_queue = &b;
    }
  }
  const double rtt = worst_rtt != nullptr ? worst_rtt->rtt.p99 : 0;
  const double queue = worst_queue != nullptr ? worst_queue->int_latency.p99 : 0;
  const double limit = t.client_max_latency_seconds;
  if (rtt <= limit && queue <= limit) return {};
  const BrokerStats& worst = rtt > limit ? *worst_rtt : *worst_queue;
  Finding f = Make(client, "client.request_latency", Severity::kWarning);
  f.evidence = {{"rtt_p99_seconds", rtt},
                {"int_latency_p99_seconds", queue},
                {"max_latency_seconds", limit},
                {"broker_id", static_cast<double>(worst.nodeid)}};
  f.summary = fmt::format("producer {}: p99 request round trip {} and p99 queue wait {} (above {}), worst at broker {}",
                          f.subject, Ms(rtt), Ms(queue), Ms(limit), worst.name);
  if (rtt > limit) {
    f.recommendation = fmt::format(
        "the broker answers slowly: check broker {}'s request latency (RequestHandlerAvgIdlePercent, "
        "disk and network), under-replicated partitions with acks=all, and the network path; spread leaders "
        "over more brokers if one is hot",
        worst.nodeid);
  } else {
    f.recommendation =
        "records wait in the producer's queue: linger.ms adds to it by design (keep it at 5-50), otherwise the "
        "broker or the network does not keep up: raise batch.size (65536-262144) and use compression.type=lz4 "
        "or zstd so that fewer, larger requests carry the load; keep max.in.flight.requests.per.connection at 5";
  }
  return {std::move(f)};
}

std::vector<Finding> ClientRequestErrors(const ClientReport& client, const Thresholds& t) {
  uint64_t errors = 0;
  uint64_t retries = 0;
  uint64_t timeouts = 0;
  uint64_t requests = 0;
  for (const BrokerStats& b : client.statistics.brokers) {
    errors += b.txerrs;
    retries += b.txretries;
    timeouts += b.req_timeouts;
    requests += b.tx;
  }
  const auto total = static_cast<double>(errors + retries + timeouts);
  if (total <= t.client_max_errors) return {};
  Finding f = Make(client, "client.request_errors", Severity::kWarning);
  f.evidence = {{"request_errors", static_cast<double>(errors)},
                {"request_retries", static_cast<double>(retries)},
                {"request_timeouts", static_cast<double>(timeouts)},
                {"requests", static_cast<double>(requests)},
                {"max_errors", t.client_max_errors}};
  f.summary = fmt::format("{} {} has had {} request errors, {} retries and {} timeouts in {} requests since it started",
                          client.statistics.type, f.subject, errors, retries, timeouts, requests);
  f.recommendation =
      "read the client's log for the error codes; timeouts: check broker load and raise request.timeout.ms "
      "only if brokers are merely slow; retries: keep enable.idempotence=true in producers so that retries "
      "cannot duplicate or reorder records; errors: check connectivity, TLS/SASL settings and broker logs "
      "(the counts are totals since the client started: watch rate(kafka_client_broker_request_errors_total))";
  return {std::move(f)};
}

std::vector<Finding> ClientThrottled(const ClientReport& client, const Thresholds& t) {
  const BrokerStats* worst = nullptr;
  for (const BrokerStats& b : client.statistics.brokers) {
    if (!IsRealBroker(b) || b.throttle.cnt == 0) continue;
    if (worst == nullptr || b.throttle.avg > worst->throttle.avg) worst = &b;
  }
  if (worst == nullptr || worst->throttle.avg <= t.client_max_throttle_seconds) return {};
  const std::string& client_id = client.statistics.client_id;
  Finding f = Make(client, "client.throttled", Severity::kWarning);
  f.evidence = {{"throttle_avg_seconds", worst->throttle.avg},
                {"throttle_max_seconds", worst->throttle.max},
                {"broker_id", static_cast<double>(worst->nodeid)},
                {"max_throttle_seconds", t.client_max_throttle_seconds}};
  f.summary = fmt::format("{} {} is throttled by broker {} for {} on average (up to {}): it exceeds its quota",
                          client.statistics.type, f.subject, worst->name, Ms(worst->throttle.avg),
                          Ms(worst->throttle.max));
  f.recommendation = fmt::format(
      "raise the client's quota if the traffic is expected (kafka-configs.sh --alter --entity-type clients "
      "--entity-name {} --add-config producer_byte_rate=...,consumer_byte_rate=...), or lower its rate; "
      "compression.type=lz4 or zstd makes the same records count for fewer quota bytes",
      client_id.empty() ? "<client.id>" : client_id);
  return {std::move(f)};
}

std::vector<Finding> ClientConsumerSmallFetches(const ClientReport& client, const Thresholds& t) {
  const Statistics& s = client.statistics;
  if (!IsConsumer(s) || s.rx == 0) return {};
  const auto messages = static_cast<double>(s.rxmsgs);
  if (messages < t.client_min_consumed_messages) return {};
  const double per_fetch = messages / static_cast<double>(s.rx);
  if (per_fetch >= t.client_min_messages_per_fetch) return {};
  Finding f = Make(client, "client.consumer_small_fetches", Severity::kInfo);
  f.evidence = {{"messages_per_fetch", per_fetch},
                {"messages", messages},
                {"responses", static_cast<double>(s.rx)},
                {"min_messages_per_fetch", t.client_min_messages_per_fetch}};
  f.summary = fmt::format("consumer {} receives {:.1f} messages per response ({} messages in {} responses, below {:.0f})",
                          f.subject, per_fetch, s.rxmsgs, s.rx, t.client_min_messages_per_fetch);
  f.recommendation =
      "let the broker gather more per fetch: fetch.min.bytes=65536 (default 1) with fetch.wait.max.ms=100-500 "
      "bounding the wait; in Java consumers also raise max.poll.records (default 500) if processing is per "
      "batch; fewer, larger fetches cost the brokers and the consumer less CPU per record";
  return {std::move(f)};
}

std::vector<Finding> ClientConsumerRebalances(const ClientReport& client, const Thresholds& t) {
  const Statistics& s = client.statistics;
  if (!IsConsumer(s) || !s.cgrp) return {};
  const auto rebalances = static_cast<double>(s.cgrp->rebalance_cnt);
  if (rebalances <= t.client_max_rebalances) return {};
  Finding f = Make(client, "client.consumer_rebalances", Severity::kWarning);
  f.evidence = {{"rebalances", rebalances},
                {"max_rebalances", t.client_max_rebalances},
                {"assigned_partitions", static_cast<double>(s.cgrp->assignment_size)}};
  f.summary = fmt::format("consumer {} went through {} rebalances since it started (above {:.0f}); group state {}",
                          f.subject, s.cgrp->rebalance_cnt, t.client_max_rebalances, s.cgrp->join_state);
  f.recommendation =
      "find what makes members leave: processing slower than max.poll.interval.ms (raise it, or lower "
      "max.poll.records), session.timeout.ms too short for GC pauses or network blips (45000 is the default "
      "since Kafka 3.0), or consumers restarted often; use partition.assignment.strategy=cooperative-sticky "
      "and group.instance.id (static membership) so that restarts do not move every partition";
  return {std::move(f)};
}

std::vector<Finding> ClientConsumerLag(const ClientReport& client, const Thresholds& t) {
  const Statistics& s = client.statistics;
  if (!IsConsumer(s)) return {};
  int64_t lag = 0;
  int64_t lagging = 0;
  for (const TopicStats& topic : s.topics) {
    for (const auto& p : topic.partitions) {
      if (!p.consumer_lag || *p.consumer_lag <= 0) continue;
      lag += *p.consumer_lag;
      ++lagging;
    }
  }
  const bool critical = lag > t.lag_critical_messages;
  if (!critical && lag <= t.lag_warning_messages) return {};
  const int64_t threshold = critical ? t.lag_critical_messages : t.lag_warning_messages;
  Finding f = Make(client, "client.consumer_lag", critical ? Severity::kCritical : Severity::kWarning);
  f.evidence = {{"lag_messages", static_cast<double>(lag)},
                {"threshold", static_cast<double>(threshold)},
                {"lagging_partitions", static_cast<double>(lagging)}};
  f.summary = fmt::format("consumer {} sees itself {} records behind on {} partitions (threshold {})", f.subject,
                          lag, lagging, threshold);
  f.recommendation =
      "add consumers to the group (up to one per partition) or make this one faster: fetch.min.bytes=65536, "
      "processing off the poll loop or in batches; check its log for errors and slow downstream calls";
  return {std::move(f)};
}

std::vector<Finding> EvaluateClients(const clientstats::ClientsSnapshot& clients, const Thresholds& thresholds) {
  using ClientRule = std::vector<Finding> (*)(const ClientReport&, const Thresholds&);
  static constexpr std::array<ClientRule, 8> kRules = {
      &ClientProducerSmallBatches, &ClientProducerUncompressed, &ClientRequestLatency,
      &ClientRequestErrors,        &ClientThrottled,            &ClientConsumerSmallFetches,
      &ClientConsumerRebalances,   &ClientConsumerLag,
  };
  std::vector<Finding> findings;
  for (const auto& client : clients.clients) {
    if (client == nullptr) continue;
    for (const ClientRule rule : kRules) {
      auto found = rule(*client, thresholds);
      findings.insert(findings.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
    }
  }
  SortFindings(findings);
  return findings;
}

}  // namespace kpe::advice
