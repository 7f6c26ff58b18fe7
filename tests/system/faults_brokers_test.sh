#!/usr/bin/env bash
# Fault suite, brokers: the real exporter against kpe-bench-cluster (librdkafka's mock cluster in its own
# process, driven through its control channel). One broker down and back; all brokers down and back; 5 s
# RTT on one broker. During each fault every scrape answers 200 within SCRAPE_BOUND (0.5 s) and the last
# good values stay served, marked stale; after it, fresh values come back within RECOVERY_BOUND.
set -euo pipefail
EXPORTER=$1
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../faults/lib.sh"

start_cluster --brokers 3 --topics 3 --partitions 4 --groups 3 --topics-per-group 1 --produce-rate 60 \
  --commit-interval 1 --groups-file "$KPE_TMP/groups.yaml"
faults_exporter_config "$KPE_TMP/exporter.yaml" "$BOOTSTRAP" "$KPE_TMP/groups.yaml"
start_exporter exporter --config="$KPE_TMP/exporter.yaml"
PARTITIONS=12

healthy() {
  [[ $(metric kafka_up) == 1 && $(metric kafka_perf_exporter_stale_partitions) == 0 ]] &&
    [[ $(metric kafka_perf_exporter_collector_success 'collector="offsets"') == 1 ]] &&
    [[ $(count_series kafka_topic_partition_current_offset) == "$PARTITIONS" ]]
}
offset_of() { metric kafka_topic_partition_current_offset "partition=\"$2\",topic=\"$1\""; }
age() { metric kafka_perf_exporter_data_age_seconds "collector=\"$1\""; }
all_served() { [[ $(count_series kafka_topic_partition_current_offset) == "$PARTITIONS" ]]; }

step "baseline"
scrape_until "healthy first collection" 20 healthy
curl -sf "$KPE_URL/readyz" >/dev/null || fail "/readyz should be 200 once collected"

# --- one broker down and back ------------------------------------------------------------------------
# The broker leading the most partitions (the mock places leaders at random), and those partitions.
B=$(grep -E '^kafka_topic_partition_leader\{' "$SCRAPE_FILE" | awk '{ n[$2]++ } END { for (b in n) print n[b], b }' |
  sort -rn | awk 'NR == 1 { print $2 }')
step "one broker down ($B)"
mapfile -t led < <(grep -E '^kafka_topic_partition_leader\{' "$SCRAPE_FILE" | awk -v b="$B" '$2 == b { print $1 }' |
  sed -E 's/.*partition="([0-9]+)",topic="([^"]+)".*/\2 \1/')
((${#led[@]} > 0)) || fail "no broker leads a partition"
ctl "down $B"
scrape_until "broker $B's partitions marked stale" 10 \
  '[[ $(metric kafka_perf_exporter_stale_partitions) == ${#led[@]} ]]'
step "  stale after ${WAITED}s: ${#led[@]} partitions"
declare -A frozen
for tp in "${led[@]}"; do frozen[$tp]=$(offset_of $tp); done
age_before=$(age offsets)
scrape_for 3 'all_served && [[ $(metric kafka_up) == 1 && $(metric kafka_perf_exporter_collector_success "collector=\"offsets\"") == 0 ]]'
for tp in "${led[@]}"; do
  [[ $(offset_of $tp) == "${frozen[$tp]}" ]] || fail "stale partition $tp should keep its last good offset ${frozen[$tp]}, got $(offset_of $tp)"
done
is "$(age offsets) > $age_before + 2" || fail "offsets data age should grow during the outage: $age_before then $(age offsets)"
ctl "up $B"
scrape_until "fresh after broker $B is back" "$RECOVERY_BOUND" healthy
step "  fresh ${WAITED}s after the broker came back"
# The bench cluster's own producer reconnects with its own backoff: wait for its new records to show.
advanced() {
  local tp
  for tp in "${led[@]}"; do is "$(offset_of $tp) > ${frozen[$tp]}" || return 1; done
}
scrape_until "offsets of the partitions it leads advancing again" 20 advanced

# --- all brokers down and back -----------------------------------------------------------------------
step "all brokers down"
ctl "down 1"; ctl "down 2"; ctl "down 3"
# Every partition is served with old offsets (stale, their time kept) and the groups, which are not read,
# report failure; the first scrapes after the outage began may still show the last good tick.
all_down() {
  all_served && [[ $(metric kafka_up) == 0 && $(metric kafka_perf_exporter_stale_partitions) == "$PARTITIONS" ]] &&
    [[ $(metric kafka_perf_exporter_collector_success 'collector="metadata"') == 0 &&
       $(metric kafka_perf_exporter_collector_success 'collector="offsets"') == 0 &&
       $(metric kafka_perf_exporter_collector_success 'collector="groups"') == 0 ]]
}
scrape_until "kafka_up 0, every partition stale, the groups failed" 10 all_down
step "  kafka_up 0 after ${WAITED}s"
age_before=$(age metadata)
groups_age_before=$(age groups)
offsets_at_before=$(metric kafka_topic_offsets_timestamp_seconds 'topic="bench-topic-0"')
scrape_for 3 all_down
is "$(age metadata) > $age_before + 2" || fail "metadata data age should grow while the cluster is down"
is "$(age groups) > $groups_age_before + 2" || fail "groups data age should grow while the cluster is down"
[[ $(metric kafka_topic_offsets_timestamp_seconds 'topic="bench-topic-0"') == "$offsets_at_before" ]] ||
  fail "the offsets' timestamp should stay that of the last good read while the cluster is down"
curl -sf "$KPE_URL/healthz" >/dev/null || fail "/healthz should stay 200 while the cluster is down"
ctl "up 1"; ctl "up 2"; ctl "up 3"
scrape_until "fresh after all brokers are back" "$RECOVERY_BOUND" healthy
step "  fresh ${WAITED}s after the brokers came back"

# --- 5 s RTT on one broker ---------------------------------------------------------------------------
# kafka_up means "the cluster answered": a metadata request librdkafka sends to the slow broker times out,
# but the other brokers answer the offsets of the partitions they lead, so the cluster stays up.
((${#led[@]} < PARTITIONS)) || fail "broker $B leads every partition: no other broker to answer"
step "5 s RTT on broker $B"
ctl "rtt $B 5000"
scrape_until "broker $B's partitions marked stale" 10 '[[ $(metric kafka_perf_exporter_stale_partitions) -gt 0 ]]'
step "  stale after ${WAITED}s: $(metric kafka_perf_exporter_stale_partitions) partitions"
scrape_for 6 'all_served && [[ $(metric kafka_perf_exporter_stale_partitions) -gt 0 && $(metric kafka_up) == 1 ]]'
ctl "rtt $B 0"
scrape_until "fresh after the RTT is gone" "$RECOVERY_BOUND" healthy
step "  fresh ${WAITED}s after the RTT was removed"

kill -0 "${KPE_PIDS[-1]}" 2>/dev/null || fail "the exporter died"
echo "faults_brokers: all checks passed ($SCRAPES scrapes, slowest ${SCRAPE_MAX}s, bound ${SCRAPE_BOUND}s)"
