#pragma once
// Every metric family the exporter serves, in one table sorted by name. The renderers refer to rows
// by name through FamilyIndex(), which fails to compile for a name missing from the table, so this
// file is the complete list of what we export.

#include <prometheus/metric_type.h>

#include <array>
#include <cstddef>
#include <string_view>

namespace kpe::metrics {

/// Which renderer emits a family: once per snapshot change (RenderExposition), on every scrape
/// (RenderVolatile), from the application clients' statistics (RenderClients), from the
/// end-to-end probe's snapshot (RenderProbe), or from the tuning advisor's findings (RenderAdvice).
/// A name belongs to exactly one part, so the texts never repeat a family.
enum class Part { kSnapshot, kVolatile, kClients, kProbe, kAdvice };

struct FamilySpec {
  std::string_view name;
  prometheus::MetricType type;
  Part part;
  std::string_view help;
};

using prometheus::MetricType;

// Help texts of kafka_exporter's families are kept as kafka_exporter words them (the consumer group
// ones append what the value means); the process_* ones are those of the Prometheus client
// libraries' process collector.
inline constexpr std::array kFamilies = {
    FamilySpec{"kafka_advice", MetricType::Gauge, Part::kAdvice,
               "1 per active finding of the tuning advisor (GET /advice), labelled with the rule id, "
               "severity (info, warning, critical), subject_kind (topic, group, client, broker, "
               "cluster), subject and cluster (empty for client findings)."},
    FamilySpec{"kafka_broker_info", MetricType::Gauge, Part::kSnapshot,
               "Information about the Kafka Broker."},
    FamilySpec{"kafka_broker_leaders", MetricType::Gauge, Part::kSnapshot,
               "Watched partitions the broker leads."},
    FamilySpec{"kafka_broker_partitions", MetricType::Gauge, Part::kSnapshot,
               "Replicas of watched partitions the broker hosts."},
    FamilySpec{"kafka_brokers", MetricType::Gauge, Part::kSnapshot,
               "Number of Brokers in the Kafka Cluster."},
    FamilySpec{"kafka_client_broker_bytes_received_total", MetricType::Counter, Part::kClients,
               "Bytes the client received from the broker (rxbytes), as reported in its latest "
               "statistics."},
    FamilySpec{"kafka_client_broker_bytes_sent_total", MetricType::Counter, Part::kClients,
               "Bytes the client sent to the broker (txbytes)."},
    FamilySpec{"kafka_client_broker_connection_up", MetricType::Gauge, Part::kClients,
               "1 when the client's connection to the broker is up (state UP), 0 otherwise."},
    FamilySpec{"kafka_client_broker_connects_total", MetricType::Counter, Part::kClients,
               "Connection attempts of the client to the broker, successful or not (connects)."},
    FamilySpec{"kafka_client_broker_disconnects_total", MetricType::Counter, Part::kClients,
               "Disconnects of the client from the broker (disconnects)."},
    FamilySpec{"kafka_client_broker_internal_latency_seconds", MetricType::Gauge, Part::kClients,
               "Producer queue latency (int_latency) over the client's latest statistics "
               "interval: avg, p99 or max (stat); absent when the interval sampled nothing."},
    FamilySpec{"kafka_client_broker_outbuf_latency_seconds", MetricType::Gauge, Part::kClients,
               "Time requests waited to be written to the socket (outbuf_latency) over the "
               "client's latest statistics interval: avg, p99 or max (stat); absent when the "
               "interval sampled nothing."},
    FamilySpec{"kafka_client_broker_outbuf_requests", MetricType::Gauge, Part::kClients,
               "Requests of the client waiting to be sent to the broker (outbuf_cnt)."},
    FamilySpec{"kafka_client_broker_request_errors_total", MetricType::Counter, Part::kClients,
               "Transmission errors of the client towards the broker (txerrs)."},
    FamilySpec{"kafka_client_broker_request_retries_total", MetricType::Counter, Part::kClients,
               "Request retries of the client towards the broker (txretries)."},
    FamilySpec{"kafka_client_broker_request_timeouts_total", MetricType::Counter, Part::kClients,
               "Requests of the client to the broker that timed out (req_timeouts)."},
    FamilySpec{"kafka_client_broker_requests_sent_total", MetricType::Counter, Part::kClients,
               "Requests the client sent to the broker (tx)."},
    FamilySpec{"kafka_client_broker_response_errors_total", MetricType::Counter, Part::kClients,
               "Receive errors of the client from the broker (rxerrs)."},
    FamilySpec{"kafka_client_broker_responses_received_total", MetricType::Counter, Part::kClients,
               "Responses the client received from the broker (rx)."},
    FamilySpec{"kafka_client_broker_rtt_seconds", MetricType::Gauge, Part::kClients,
               "Round-trip time of the client's requests to the broker (rtt) over its latest "
               "statistics interval: avg, p99 or max (stat); absent when the interval sampled "
               "nothing."},
    FamilySpec{"kafka_client_broker_throttle_seconds", MetricType::Gauge, Part::kClients,
               "Throttle time the broker imposed on the client (throttle) over its latest "
               "statistics interval: avg, p99 or max (stat); absent when the interval sampled "
               "nothing."},
    FamilySpec{"kafka_client_broker_waitresp_requests", MetricType::Gauge, Part::kClients,
               "Requests of the client in flight to the broker, awaiting a response "
               "(waitresp_cnt)."},
    FamilySpec{"kafka_client_consumer_lag", MetricType::Gauge, Part::kClients,
               "Consumer lag of the partition as the consumer sees it (high watermark or last "
               "stable offset minus its committed offset), in messages; absent when the client "
               "does not know it."},
    FamilySpec{"kafka_client_group_assigned_partitions", MetricType::Gauge, Part::kClients,
               "Partitions currently assigned to the consumer by its group (cgrp "
               "assignment_size)."},
    FamilySpec{"kafka_client_group_rebalances_total", MetricType::Counter, Part::kClients,
               "Rebalances (assign or revoke) the consumer went through (cgrp rebalance_cnt)."},
    FamilySpec{"kafka_client_last_report_age_seconds", MetricType::Gauge, Part::kClients,
               "Seconds since the client's latest statistics report was received."},
    FamilySpec{"kafka_client_message_bytes_received_total", MetricType::Counter, Part::kClients,
               "Message bytes the client consumed, framing included (rxmsg_bytes)."},
    FamilySpec{"kafka_client_message_bytes_sent_total", MetricType::Counter, Part::kClients,
               "Message bytes the client produced, framing included (txmsg_bytes)."},
    FamilySpec{"kafka_client_messages_received_total", MetricType::Counter, Part::kClients,
               "Messages the client consumed (rxmsgs)."},
    FamilySpec{"kafka_client_messages_sent_total", MetricType::Counter, Part::kClients,
               "Messages the client produced (txmsgs)."},
    FamilySpec{"kafka_client_queued_message_bytes", MetricType::Gauge, Part::kClients,
               "Bytes of the messages in the producer's queues (msg_size)."},
    FamilySpec{"kafka_client_queued_messages", MetricType::Gauge, Part::kClients,
               "Messages in the producer's queues (msg_cnt)."},
    FamilySpec{"kafka_client_topic_batch_messages", MetricType::Gauge, Part::kClients,
               "Messages per message set the client produced or fetched on the topic (batchcnt) "
               "over its latest statistics interval: avg, p99 or max (stat); absent when the "
               "interval sampled nothing."},
    FamilySpec{"kafka_client_topic_batch_size_bytes", MetricType::Gauge, Part::kClients,
               "Size of the message sets the client produced (after compression) or fetched on "
               "the topic (batchsize) over its latest statistics interval: avg, p99 or max "
               "(stat); absent when the interval sampled nothing."},
    FamilySpec{"kafka_client_topic_compression_ratio", MetricType::Gauge, Part::kClients,
               "Producers only, an estimate: key and value bytes per message produced to the "
               "topic since the client started, divided by the message set bytes per message of "
               "its latest statistics interval (record framing included, so uncompressed small "
               "records give slightly below 1); absent when either is unknown."},
    FamilySpec{"kafka_client_topic_message_bytes_received_total", MetricType::Counter, Part::kClients,
               "Key and value bytes the client consumed from the topic, summed over its "
               "partitions (rxbytes)."},
    FamilySpec{"kafka_client_topic_message_bytes_sent_total", MetricType::Counter, Part::kClients,
               "Key and value bytes the client produced to the topic before compression, summed "
               "over its partitions (txbytes)."},
    FamilySpec{"kafka_client_topic_messages_received_total", MetricType::Counter, Part::kClients,
               "Messages the client consumed from the topic, summed over its partitions "
               "(rxmsgs)."},
    FamilySpec{"kafka_client_topic_messages_sent_total", MetricType::Counter, Part::kClients,
               "Messages the client produced to the topic, summed over its partitions (txmsgs)."},
    FamilySpec{"kafka_cluster_consumergroups", MetricType::Gauge, Part::kSnapshot,
               "Number of exported consumer groups; absent until group discovery has run."},
    FamilySpec{"kafka_cluster_controller_id", MetricType::Gauge, Part::kSnapshot,
               "Broker id of the active controller, -1 when unknown."},
    FamilySpec{"kafka_cluster_info", MetricType::Gauge, Part::kSnapshot,
               "Information about the Kafka cluster; cluster_id is empty when unknown."},
    FamilySpec{"kafka_cluster_offline_partitions", MetricType::Gauge, Part::kSnapshot,
               "Number of exported partitions without a leader."},
    FamilySpec{"kafka_cluster_partitions", MetricType::Gauge, Part::kSnapshot,
               "Number of exported partitions."},
    FamilySpec{"kafka_cluster_topics", MetricType::Gauge, Part::kSnapshot,
               "Number of exported topics."},
    FamilySpec{"kafka_cluster_under_min_isr_partitions", MetricType::Gauge, Part::kSnapshot,
               "Watched partitions with fewer in-sync replicas than the topic's min.insync.replicas "
               "(producers with acks=all fail); counts partitions whose topic configuration is known."},
    FamilySpec{"kafka_cluster_under_replicated_partitions", MetricType::Gauge, Part::kSnapshot,
               "Number of exported partitions with fewer in-sync replicas than replicas."},
    FamilySpec{"kafka_consumergroup_commit_rate", MetricType::Gauge, Part::kSnapshot,
               "Committed offsets of the group on the topic advanced per second since the previous "
               "observation (consumption rate, messages per second); absent on the first "
               "observation and after a rewind."},
    FamilySpec{"kafka_consumergroup_current_offset", MetricType::Gauge, Part::kSnapshot,
               "Current Offset of a ConsumerGroup at Topic/Partition: the committed offset; "
               "partitions without a commit have no series."},
    FamilySpec{
        "kafka_consumergroup_current_offset_sum", MetricType::Gauge, Part::kSnapshot,
        "Current Offset of a ConsumerGroup at Topic for all partitions: sum of the committed "
        "offsets."},
    FamilySpec{"kafka_consumergroup_info", MetricType::Gauge, Part::kSnapshot,
               "Constant 1 labelled with the group's partition assignor; absent when the group "
               "could not be described."},
    FamilySpec{"kafka_consumergroup_lag", MetricType::Gauge, Part::kSnapshot,
               "Current Approximate Lag of a ConsumerGroup at Topic/Partition: newest offset minus "
               "committed offset, in messages, never negative; partitions without a commit or with "
               "an unknown newest offset have no series."},
    FamilySpec{"kafka_consumergroup_lag_seconds", MetricType::Gauge, Part::kSnapshot,
               "Seconds since the committed offset was the newest offset of the Topic/Partition "
               "(lag in time, estimated from the offset history); absent when unknown."},
    FamilySpec{
        "kafka_consumergroup_lag_sum", MetricType::Gauge, Part::kSnapshot,
        "Current Approximate Lag of a ConsumerGroup at Topic for all partitions: sum of the "
        "partition lags, in messages; absent when any committed partition's lag is unknown."},
    FamilySpec{
        "kafka_consumergroup_last_commit_age_seconds", MetricType::Gauge, Part::kSnapshot,
        "Seconds since the committed offset of the Topic/Partition last moved, as observed by "
        "polling (a lower bound when it did not move within the status window)."},
    FamilySpec{
        "kafka_consumergroup_max_lag", MetricType::Gauge, Part::kSnapshot,
        "Largest known partition lag of the group, in messages; absent when no lag is known."},
    FamilySpec{"kafka_consumergroup_max_lag_seconds", MetricType::Gauge, Part::kSnapshot,
               "Largest known partition lag of the group, in seconds; absent when none is known."},
    FamilySpec{"kafka_consumergroup_members", MetricType::Gauge, Part::kSnapshot,
               "Amount of members in a consumer group; absent when the group could not be "
               "described."},
    FamilySpec{"kafka_consumergroup_sample_timestamp_seconds", MetricType::Gauge, Part::kSnapshot,
               "Unix time the group's committed offsets were last read; idle groups are read less "
               "often (adaptive sampling), and groups whose offsets cannot be read are served with "
               "the values of that read in between."},
    FamilySpec{"kafka_consumergroup_state", MetricType::Gauge, Part::kSnapshot,
               "1 for the group's state as the broker reports it, 0 for the other states (Stable, "
               "Empty, PreparingRebalance, CompletingRebalance, Dead, Unknown)."},
    FamilySpec{"kafka_consumergroup_status", MetricType::Gauge, Part::kSnapshot,
               "1 for the group's evaluated status, 0 for the others (ok, warning, stalled, "
               "stopped, rewind, empty, unknown; Burrow-like rules over recent commits)."},
    FamilySpec{"kafka_consumergroup_uncommitted_partitions", MetricType::Gauge, Part::kSnapshot,
               "Partitions of a topic the group consumes (assigned to it, or on a topic it commits "
               "on) without a committed offset of the group, so without a lag series."},
    FamilySpec{"kafka_consumergroup_up", MetricType::Gauge, Part::kSnapshot,
               "1 if describing the group and reading its offsets succeeded, 0 if either failed; while its "
               "offsets cannot be read, its offset and lag series keep the values of the last good read."},
    FamilySpec{"kafka_e2e_commit_latency_seconds", MetricType::Histogram, Part::kProbe,
               "Time the end-to-end probe's consumer took to commit its offsets (successful commits)."},
    FamilySpec{"kafka_e2e_commits_failed_total", MetricType::Counter, Part::kProbe,
               "Offset commits of the end-to-end probe's consumer that failed."},
    FamilySpec{"kafka_e2e_messages_acknowledged_total", MetricType::Counter, Part::kProbe,
               "Probe records the cluster acknowledged, per partition of the canary topic."},
    FamilySpec{"kafka_e2e_messages_duplicated_total", MetricType::Counter, Part::kProbe,
               "Probe records read back more than once (each extra receipt counts), per partition."},
    FamilySpec{"kafka_e2e_messages_failed_total", MetricType::Counter, Part::kProbe,
               "Probe records that were never acknowledged (refused, timed out after the SLA, or "
               "answered with an error), per partition; failed records are not counted as lost."},
    FamilySpec{"kafka_e2e_messages_lost_total", MetricType::Counter, Part::kProbe,
               "Probe records acknowledged but not read back within the SLA, per partition; counted "
               "once, even if the record arrives later."},
    FamilySpec{"kafka_e2e_messages_produced_total", MetricType::Counter, Part::kProbe,
               "Probe records handed to the producer, per partition of the canary topic."},
    FamilySpec{"kafka_e2e_messages_received_total", MetricType::Counter, Part::kProbe,
               "Probe records read back by the probe's consumer (first receipts), per partition."},
    FamilySpec{"kafka_e2e_produce_latency_seconds", MetricType::Histogram, Part::kProbe,
               "Time from producing a probe record to its acknowledgement (acks as configured), by "
               "partition and the broker that acknowledged it."},
    FamilySpec{"kafka_e2e_roundtrip_latency_seconds", MetricType::Histogram, Part::kProbe,
               "Time from producing a probe record to the probe's consumer receiving it, by "
               "partition and the broker it was fetched from."},
    FamilySpec{"kafka_perf_exporter_authorization_failures", MetricType::Gauge, Part::kSnapshot,
               "1 while the cluster refuses a request for lack of permission (*_AUTHORIZATION_FAILED), "
               "per resource_type (topic, group, cluster), resource (its name) and operation (offsets, "
               "describe, configs, list); absent otherwise. Everything permitted is still collected."},
    FamilySpec{"kafka_perf_exporter_broker_bytes_received_total", MetricType::Counter, Part::kSnapshot,
               "Bytes the exporter's own client received from the broker."},
    FamilySpec{"kafka_perf_exporter_broker_bytes_sent_total", MetricType::Counter, Part::kSnapshot,
               "Bytes the exporter's own client sent to the broker."},
    FamilySpec{"kafka_perf_exporter_broker_connection_up", MetricType::Gauge, Part::kSnapshot,
               "1 when the exporter's own client's connection to the broker is up (librdkafka "
               "state UP), 0 otherwise."},
    FamilySpec{"kafka_perf_exporter_broker_connects_total", MetricType::Counter, Part::kSnapshot,
               "Connection attempts of the exporter's own client to the broker, successful or "
               "not."},
    FamilySpec{"kafka_perf_exporter_broker_disconnects_total", MetricType::Counter, Part::kSnapshot,
               "Disconnects of the exporter's own client from the broker."},
    FamilySpec{"kafka_perf_exporter_broker_outbuf_requests", MetricType::Gauge, Part::kSnapshot,
               "Requests of the exporter's own client waiting to be sent to the broker."},
    FamilySpec{"kafka_perf_exporter_broker_request_errors_total", MetricType::Counter, Part::kSnapshot,
               "Transmission errors of the exporter's own client towards the broker."},
    FamilySpec{"kafka_perf_exporter_broker_request_timeouts_total", MetricType::Counter, Part::kSnapshot,
               "Requests of the exporter's own client to the broker that timed out."},
    FamilySpec{"kafka_perf_exporter_broker_requests_sent_total", MetricType::Counter, Part::kSnapshot,
               "Requests the exporter's own client sent to the broker."},
    FamilySpec{"kafka_perf_exporter_broker_response_errors_total", MetricType::Counter, Part::kSnapshot,
               "Receive errors of the exporter's own client from the broker."},
    FamilySpec{"kafka_perf_exporter_broker_responses_received_total", MetricType::Counter, Part::kSnapshot,
               "Responses the exporter's own client received from the broker."},
    FamilySpec{"kafka_perf_exporter_broker_rtt_seconds", MetricType::Gauge, Part::kSnapshot,
               "Round-trip time of the exporter's own requests to the broker over its latest "
               "statistics interval: avg or p99 (stat)."},
    FamilySpec{"kafka_perf_exporter_broker_throttle_seconds", MetricType::Gauge, Part::kSnapshot,
               "Throttle time the broker imposed on the exporter's own client over its latest "
               "statistics interval: avg or max (stat)."},
    FamilySpec{"kafka_perf_exporter_broker_waitresp_requests", MetricType::Gauge, Part::kSnapshot,
               "Requests of the exporter's own client in flight to the broker, awaiting a "
               "response."},
    FamilySpec{"kafka_perf_exporter_build_info", MetricType::Gauge, Part::kVolatile,
               "A metric with a constant '1' value labeled by the exporter's version and the "
               "librdkafka version it runs with."},
    FamilySpec{"kafka_perf_exporter_cache_requests_total", MetricType::Counter, Part::kSnapshot,
               "Lookups of the collector's caches (metadata, group_list, group_description) by "
               "result: hit (served from the cache) or miss (asked the cluster)."},
    FamilySpec{"kafka_perf_exporter_client_reopens_total", MetricType::Counter, Part::kSnapshot,
               "Times an exporter's Kafka client of the cluster replaced its librdkafka handle because "
               "every request in flight stayed unanswered (client: groups); absent until the first."},
    FamilySpec{"kafka_perf_exporter_client_reports_total", MetricType::Counter, Part::kClients,
               "Client statistics reports received, by result: accepted, malformed (refused as "
               "not a statistics document or with a bad label) or rejected (a new client over "
               "max_clients)."},
    FamilySpec{"kafka_perf_exporter_clients", MetricType::Gauge, Part::kClients,
               "Client instances whose statistics are currently exported."},
    FamilySpec{"kafka_perf_exporter_clients_expired_total", MetricType::Counter, Part::kClients,
               "Client instances dropped because they stopped reporting for longer than the TTL."},
    FamilySpec{"kafka_perf_exporter_clients_max", MetricType::Gauge, Part::kClients,
               "Most client instances whose statistics are kept at once (max_clients)."},
    FamilySpec{"kafka_perf_exporter_collector_duration_seconds", MetricType::Gauge, Part::kSnapshot,
               "Duration of the collector's latest run."},
    FamilySpec{"kafka_perf_exporter_collector_last_success_timestamp_seconds", MetricType::Gauge,
               Part::kSnapshot, "Unix time of the collector's latest successful run."},
    FamilySpec{"kafka_perf_exporter_collector_success", MetricType::Gauge, Part::kSnapshot,
               "1 if the collector's latest run succeeded, 0 otherwise."},
    FamilySpec{"kafka_perf_exporter_config_last_reload_success_timestamp_seconds", MetricType::Gauge,
               Part::kVolatile, "Unix time of the last successful configuration (re)load."},
    FamilySpec{"kafka_perf_exporter_config_last_reload_successful", MetricType::Gauge, Part::kVolatile,
               "1 if the last configuration reload (SIGHUP or POST /-/reload) succeeded, 0 if it was "
               "rejected and the previous configuration kept running."},
    FamilySpec{"kafka_perf_exporter_cpu_budget_cores", MetricType::Gauge, Part::kVolatile,
               "CPU the exporter may use, in cores (0.01 = 1% of one core); 0 when the governor is "
               "off."},
    FamilySpec{"kafka_perf_exporter_cpu_usage_cores", MetricType::Gauge, Part::kVolatile,
               "CPU the exporter used over the governor's window, in cores."},
    FamilySpec{"kafka_perf_exporter_data_age_seconds", MetricType::Gauge, Part::kVolatile,
               "Seconds since the collector's latest successful run, at the time of the scrape."},
    FamilySpec{"kafka_perf_exporter_folded_series", MetricType::Gauge, Part::kSnapshot,
               "Per-partition series of the cluster replaced by per-topic aggregates labelled "
               "partition=\"all\" (series budget or topic granularity); leader series are never "
               "folded."},
    FamilySpec{"kafka_perf_exporter_folded_topics", MetricType::Gauge, Part::kSnapshot,
               "Topics of the cluster with at least one per-partition family folded into one "
               "series per topic labelled partition=\"all\"."},
    FamilySpec{
        "kafka_perf_exporter_group_discovery", MetricType::Gauge, Part::kSnapshot,
        "1 labelled with how the consumer group list was obtained: list (ListConsumerGroups) "
        "or static (the groups named in the config); absent before discovery ran."},
    FamilySpec{"kafka_perf_exporter_group_list_refused", MetricType::Gauge, Part::kSnapshot,
               "1 when the cluster refused ListConsumerGroups, labelled with why (unsupported, "
               "authorization, error); absent otherwise."},
    FamilySpec{"kafka_perf_exporter_interval_stretch", MetricType::Gauge, Part::kVolatile,
               "Factor the CPU governor applies to every sampling interval (1: none; above 1 while "
               "the exporter is over its CPU budget)."},
    FamilySpec{"kafka_perf_exporter_render_chunks_total", MetricType::Counter, Part::kVolatile,
               "Chunks of ~512 lines the snapshot exposition was deflated in, by result: reused "
               "(unchanged since the render before, copied deflated) or deflated."},
    FamilySpec{"kafka_perf_exporter_render_seconds_total", MetricType::Counter, Part::kVolatile,
               "Time spent rendering and compressing the snapshot exposition (once per published "
               "snapshot, never on a scrape)."},
    FamilySpec{"kafka_perf_exporter_renders_total", MetricType::Counter, Part::kVolatile,
               "Renders of the snapshot exposition (one per published snapshot)."},
    FamilySpec{"kafka_perf_exporter_requests_sent_total", MetricType::Counter, Part::kSnapshot,
               "Requests the exporter's own Kafka clients of the cluster sent since they started, by "
               "client (metadata: metadata and offsets; groups: group list, descriptions and "
               "committed offsets) and Kafka request type (api), from their librdkafka statistics."},
    FamilySpec{"kafka_perf_exporter_sampled_entities", MetricType::Gauge, Part::kSnapshot,
               "Topics or groups (kind) sampled in the latest collection tick."},
    FamilySpec{"kafka_perf_exporter_sampling_interval_seconds", MetricType::Gauge, Part::kSnapshot,
               "Current adaptive sampling intervals of topics or groups (kind): their min, avg and "
               "max (stat), stretch included."},
    FamilySpec{"kafka_perf_exporter_series", MetricType::Gauge, Part::kSnapshot,
               "Series rendered from the snapshots (this family included, the per-scrape "
               "process and build families not); above the budget when folding cannot reach it."},
    FamilySpec{"kafka_perf_exporter_series_budget", MetricType::Gauge, Part::kSnapshot,
               "Most series to render from the snapshots (max_series); 0 when there is no budget. "
               "Over it, the least interesting topics' per-partition series are folded."},
    FamilySpec{"kafka_perf_exporter_snapshots_published_total", MetricType::Counter,
               Part::kSnapshot, "Number of snapshots published for the cluster."},
    FamilySpec{
        "kafka_perf_exporter_stale_partitions", MetricType::Gauge, Part::kSnapshot,
        "Partitions whose offsets were carried over from an earlier sample because the latest "
        "attempt to read them failed, or none could be made (no broker answered)."},
    FamilySpec{"kafka_perf_exporter_tracked_entities", MetricType::Gauge, Part::kSnapshot,
               "Topics or groups (kind) the collector tracks."},
    FamilySpec{"kafka_topic_config", MetricType::Gauge, Part::kSnapshot,
               "1, labelled with a topic configuration key and its value (topic_configs.keys)."},
    FamilySpec{"kafka_topic_offsets_timestamp_seconds", MetricType::Gauge, Part::kSnapshot,
               "Unix time of the oldest known offsets among the topic's partitions."},
    FamilySpec{"kafka_topic_partition_current_offset", MetricType::Gauge, Part::kSnapshot,
               "Current Offset of a Broker at Topic/Partition"},
    FamilySpec{"kafka_topic_partition_in_sync_replica", MetricType::Gauge, Part::kSnapshot,
               "Number of In-Sync Replicas for this Topic/Partition"},
    FamilySpec{"kafka_topic_partition_leader", MetricType::Gauge, Part::kSnapshot,
               "Leader Broker ID of this Topic/Partition"},
    FamilySpec{"kafka_topic_partition_leader_is_preferred", MetricType::Gauge, Part::kSnapshot,
               "1 if Topic/Partition is using the Preferred Broker"},
    FamilySpec{"kafka_topic_partition_offline", MetricType::Gauge, Part::kSnapshot,
               "1 if Topic/Partition has no leader"},
    FamilySpec{"kafka_topic_partition_oldest_offset", MetricType::Gauge, Part::kSnapshot,
               "Oldest Offset of a Broker at Topic/Partition"},
    FamilySpec{"kafka_topic_partition_replicas", MetricType::Gauge, Part::kSnapshot,
               "Number of Replicas for this Topic/Partition"},
    FamilySpec{"kafka_topic_partition_under_min_isr", MetricType::Gauge, Part::kSnapshot,
               "1 when the partition has fewer in-sync replicas than the topic's min.insync.replicas; "
               "absent while the topic configuration is unknown."},
    FamilySpec{"kafka_topic_partition_under_replicated_partition", MetricType::Gauge,
               Part::kSnapshot, "1 if Topic/Partition is under Replicated"},
    FamilySpec{"kafka_topic_partitions", MetricType::Gauge, Part::kSnapshot,
               "Number of partitions for this Topic"},
    FamilySpec{"kafka_up", MetricType::Gauge, Part::kSnapshot,
               "1 if the cluster answered the latest collection (its metadata request, or when that failed, "
               "the offsets request of any partition), 0 otherwise."},
    FamilySpec{"process_cpu_seconds_total", MetricType::Counter, Part::kVolatile,
               "Total user and system CPU time spent in seconds."},
    FamilySpec{"process_max_fds", MetricType::Gauge, Part::kVolatile,
               "Maximum number of open file descriptors."},
    FamilySpec{"process_open_fds", MetricType::Gauge, Part::kVolatile,
               "Number of open file descriptors."},
    FamilySpec{"process_resident_memory_bytes", MetricType::Gauge, Part::kVolatile,
               "Resident memory size in bytes."},
    FamilySpec{"process_start_time_seconds", MetricType::Gauge, Part::kVolatile,
               "Start time of the process since unix epoch in seconds."},
    FamilySpec{"process_threads", MetricType::Gauge, Part::kVolatile,
               "Number of OS threads in the process."},
    FamilySpec{"process_virtual_memory_bytes", MetricType::Gauge, Part::kVolatile,
               "Virtual memory size in bytes."},

};

inline constexpr size_t kFamilyCount = kFamilies.size();

namespace detail {
consteval bool SortedAndUnique() {
  for (size_t i = 1; i < kFamilies.size(); ++i) {
    if (!(kFamilies[i - 1].name < kFamilies[i].name)) return false;
  }
  return true;
}

constexpr bool IsMetricNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// The text writers print HELP verbatim (prometheus-cpp does not escape it), so it must not need
// escaping; names are lower snake_case like every exporter's.
consteval bool NamesAndHelpsAreSafe() {
  for (const FamilySpec& family : kFamilies) {
    if (family.name.empty() || family.help.empty() || family.name[0] == '_') return false;
    for (char c : family.name) {
      if (!IsMetricNameChar(c)) return false;
    }
    for (char c : family.help) {
      if (c == '\\' || c == '\n') return false;
    }
  }
  return true;
}
}  // namespace detail
static_assert(detail::SortedAndUnique(), "kFamilies must be sorted by name without duplicates");
static_assert(detail::NamesAndHelpsAreSafe(),
              "metric names must be [a-z0-9_]+ and help texts non-empty without '\\' or newlines");

/// Row of `name` in kFamilies. Evaluated at compile time: a name missing from the table, or listed
/// under another part, does not compile.
consteval size_t FamilyIndex(std::string_view name, Part part) {
  for (size_t i = 0; i < kFamilies.size(); ++i) {
    if (kFamilies[i].name == name) {
      if (kFamilies[i].part != part) throw "metric family listed under another Part";
      return i;
    }
  }
  throw "metric family missing from kFamilies";
}

/// How a per-partition family (one with a `partition` label) is folded into one series per topic
/// (per consumer group and topic for kafka_consumergroup_*) that keeps the family's name and labels
/// with partition="all", so `sum by (topic)` and `max by (topic)` queries keep working.
///   kSum: sum of the partition values; folds only when every partition of the scope has a value
///         (a partial sum would jump when the missing value appears, and rate() reads a jump down
///         as a reset); otherwise the scope keeps its per-partition series.
///   kMin, kMax: lowest or highest of the values there are (at least one).
///   kNever: has no per-topic aggregate; the family always keeps its per-partition series.
enum class Fold { kNever, kSum, kMin, kMax };

struct PartitionFamilySpec {
  std::string_view name;
  Fold fold;
  std::string_view meaning;  // of the folded value, or why the family does not fold
};

/// Every family with a `partition` label, sorted by name, with its fold.
inline constexpr std::array kPartitionFamilies = {
    PartitionFamilySpec{"kafka_consumergroup_current_offset", Fold::kSum,
                        "sum of the committed offsets"},
    PartitionFamilySpec{"kafka_consumergroup_lag", Fold::kSum, "sum of the partition lags"},
    PartitionFamilySpec{"kafka_consumergroup_lag_seconds", Fold::kMax,
                        "largest known partition lag in seconds"},
    PartitionFamilySpec{"kafka_consumergroup_last_commit_age_seconds", Fold::kMax,
                        "age of the oldest known commit"},
    PartitionFamilySpec{"kafka_topic_partition_current_offset", Fold::kSum,
                        "sum of the newest offsets"},
    PartitionFamilySpec{"kafka_topic_partition_in_sync_replica", Fold::kMin,
                        "fewest in-sync replicas of any partition"},
    PartitionFamilySpec{"kafka_topic_partition_leader", Fold::kNever,
                        "a leader broker id has no per-topic aggregate (leader balance queries "
                        "need every partition)"},
    PartitionFamilySpec{"kafka_topic_partition_leader_is_preferred", Fold::kMin,
                        "1 when every partition is led by its preferred broker"},
    PartitionFamilySpec{"kafka_topic_partition_offline", Fold::kMax,
                        "1 when any partition has no leader"},
    PartitionFamilySpec{"kafka_topic_partition_oldest_offset", Fold::kSum,
                        "sum of the oldest offsets"},
    PartitionFamilySpec{"kafka_topic_partition_replicas", Fold::kMin,
                        "fewest replicas of any partition"},
    PartitionFamilySpec{"kafka_topic_partition_under_min_isr", Fold::kMax,
                        "1 when any partition is under min.insync.replicas"},
    PartitionFamilySpec{"kafka_topic_partition_under_replicated_partition", Fold::kMax,
                        "1 when any partition is under-replicated"},
};

namespace detail {
consteval bool PartitionFamiliesSortedAndListed() {
  for (size_t i = 0; i < kPartitionFamilies.size(); ++i) {
    if (i > 0 && !(kPartitionFamilies[i - 1].name < kPartitionFamilies[i].name)) return false;
    bool listed = false;
    for (const FamilySpec& family : kFamilies) {
      listed =
          listed || (family.name == kPartitionFamilies[i].name && family.part == Part::kSnapshot);
    }
    if (!listed) return false;
  }
  return true;
}

// Every kafka_topic_partition_* family has a partition label, so it must say how it folds.
consteval bool TopicPartitionFamiliesAllHaveAFold() {
  for (const FamilySpec& family : kFamilies) {
    if (!family.name.starts_with("kafka_topic_partition_")) continue;
    bool found = false;
    for (const PartitionFamilySpec& partition : kPartitionFamilies) {
      found = found || partition.name == family.name;
    }
    if (!found) return false;
  }
  return true;
}
}  // namespace detail
static_assert(
    detail::PartitionFamiliesSortedAndListed(),
    "kPartitionFamilies must be sorted, unique, and listed in kFamilies (Part::kSnapshot)");
static_assert(detail::TopicPartitionFamiliesAllHaveAFold(),
              "every kafka_topic_partition_* family must be listed in kPartitionFamilies");

/// Row of `name` in kPartitionFamilies; does not compile for a name missing from it.
consteval size_t PartitionFamilyIndex(std::string_view name) {
  for (size_t i = 0; i < kPartitionFamilies.size(); ++i) {
    if (kPartitionFamilies[i].name == name) return i;
  }
  throw "family missing from kPartitionFamilies";
}

}  // namespace kpe::metrics
