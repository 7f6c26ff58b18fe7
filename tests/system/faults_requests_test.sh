#!/usr/bin/env bash
# Fault suite, requests: injected Kafka errors on ListOffsets and OffsetFetch (NOT_LEADER_OR_FOLLOWER,
# COORDINATOR_NOT_AVAILABLE, REQUEST_TIMED_OUT), Metadata timing out, a leader move, a topic that
# disappears (Metadata says UNKNOWN_TOPIC_OR_PART) and comes back, and a topic created while running, all
# on kpe-bench-cluster through its control channel. Every scrape answers 200 within SCRAPE_BOUND; during
# a fault the last good values stay served and marked stale; after it, fresh values come back.
#
# The coordinator errors on OffsetFetch once crashed the exporter inside librdkafka 2.0.2 (upstream #5040:
# a handle without group.id has no consumer group to tell); the group client's handle now has one.
set -euo pipefail
EXPORTER=$1
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../faults/lib.sh"

start_cluster --brokers 3 --topics 3 --partitions 4 --groups 3 --topics-per-group 1 --produce-rate 60 \
  --commit-interval 1 --groups-file "$KPE_TMP/groups.yaml"
faults_exporter_config "$KPE_TMP/exporter.yaml" "$BOOTSTRAP" "$KPE_TMP/groups.yaml"
start_exporter exporter --config="$KPE_TMP/exporter.yaml"
EXPORTER_PID=${KPE_PIDS[-1]}
PARTITIONS=12
GROUP_PARTITIONS=12

groups_ok() {
  [[ $(metric kafka_perf_exporter_collector_success 'collector="groups"') == 1 &&
     $(count_series kafka_consumergroup_lag) == "$GROUP_PARTITIONS" ]]
}
healthy() {
  [[ $(metric kafka_up) == 1 && $(metric kafka_perf_exporter_stale_partitions) == 0 ]] &&
    [[ $(metric kafka_perf_exporter_collector_success 'collector="offsets"') == 1 ]] &&
    [[ $(count_series kafka_topic_partition_current_offset) == "$PARTITIONS" ]] && groups_ok
}
all_served() {
  [[ $(count_series kafka_topic_partition_current_offset) == "$PARTITIONS" &&
     $(count_series kafka_consumergroup_lag) == "$GROUP_PARTITIONS" ]]
}
age() { metric kafka_perf_exporter_data_age_seconds "collector=\"$1\""; }
alive() { kill -0 "$EXPORTER_PID" 2>/dev/null || fail "the exporter died ($1); see its log"; }

step "baseline"
scrape_until "healthy first collection" 20 healthy

# --- ListOffsets errors: every partition stale, the rest fresh ---------------------------------------
for error in NOT_LEADER_OR_FOLLOWER COORDINATOR_NOT_AVAILABLE REQUEST_TIMED_OUT; do
  step "ListOffsets answers $error"
  ctl "errors ListOffsets 1000000 $error"
  scrape_until "every partition stale" 10 '[[ $(metric kafka_perf_exporter_stale_partitions) == $PARTITIONS ]]'
  age_before=$(age offsets)
  scrape_for 2.5 'all_served && [[ $(metric kafka_up) == 1 && $(metric kafka_perf_exporter_collector_success "collector=\"offsets\"") == 0 ]]'
  is "$(age offsets) > $age_before + 1.5" || fail "offsets data age should grow: $age_before then $(age offsets)"
  is "$(age metadata) < 2.5" || fail "metadata should stay fresh while only ListOffsets fails (age $(age metadata))"
  ctl "clear-errors ListOffsets"
  scrape_until "fresh after the errors stop" 3 healthy
  step "  fresh ${WAITED}s after the errors stopped"
  alive "ListOffsets $error"
done

# --- Metadata failing: kafka_up 0, everything served stale, fresh after ---------------------------------
# librdkafka 2.0.2's mock does not apply pushed errors to Metadata requests (its handler never pops the
# error stack: injected, they change nothing), so metadata failures are a per-topic Metadata error (below,
# "a topic disappears") and REQUEST_TIMED_OUT-like timeouts: 2 s RTT on every broker, over the 500 ms
# request deadline.
step "Metadata times out (2 s RTT on every broker)"
ctl "rtt 1 2000"; ctl "rtt 2 2000"; ctl "rtt 3 2000"
scrape_until "metadata collection failing" 10 '[[ $(metric kafka_perf_exporter_collector_success "collector=\"metadata\"") == 0 && $(metric kafka_up) == 0 ]]'
step "  kafka_up 0 after ${WAITED}s"
age_before=$(age metadata)
scrape_for 2.5 'all_served && [[ $(metric kafka_up) == 0 ]]'
is "$(age metadata) > $age_before + 1.5" || fail "metadata data age should grow: $age_before then $(age metadata)"
ctl "rtt 1 0"; ctl "rtt 2 0"; ctl "rtt 3 0"
scrape_until "fresh after the RTT is gone" "$RECOVERY_BOUND" healthy
step "  fresh ${WAITED}s after the RTT was removed"
alive "Metadata timeouts"

# --- OffsetFetch errors: the groups stale, the topics fresh -------------------------------------------
offsetfetch_errors=(REQUEST_TIMED_OUT NOT_LEADER_OR_FOLLOWER COORDINATOR_NOT_AVAILABLE NOT_COORDINATOR)
for error in "${offsetfetch_errors[@]}"; do
  step "OffsetFetch answers $error"
  ctl "errors OffsetFetch 1000000 $error"
  scrape_until "groups collection failing" 10 '[[ $(metric kafka_perf_exporter_collector_success "collector=\"groups\"") == 0 ]]'
  age_before=$(age groups)
  # Every group down, its last good lag and offsets still served, its read time kept.
  read_at=$(metric kafka_consumergroup_sample_timestamp_seconds)
  [[ -n $read_at ]] || fail "no kafka_consumergroup_sample_timestamp_seconds while the offsets cannot be read"
  scrape_for 2.5 '[[ $(count_series kafka_topic_partition_current_offset) == $PARTITIONS && $(metric kafka_up) == 1 && $(metric kafka_perf_exporter_stale_partitions) == 0 ]] &&
    [[ $(count_series kafka_consumergroup_up) == 3 && $(count_series kafka_consumergroup_up "" ) == $(grep -cE "^kafka_consumergroup_up\{.*\} 0$" "$SCRAPE_FILE") ]] &&
    [[ $(count_series kafka_consumergroup_lag) == $GROUP_PARTITIONS && $(count_series kafka_consumergroup_current_offset) == $GROUP_PARTITIONS ]] &&
    [[ $(metric kafka_consumergroup_sample_timestamp_seconds) == "$read_at" ]]'
  is "$(age groups) > $age_before + 1.5" || fail "groups data age should grow: $age_before then $(age groups)"
  is "$(age offsets) < 2.5" || fail "topic offsets should stay fresh while only OffsetFetch fails (age $(age offsets))"
  ctl "clear-errors OffsetFetch"
  scrape_until "fresh after the errors stop" 3 \
    'healthy && is "$(metric kafka_consumergroup_sample_timestamp_seconds) > $read_at"'
  step "  fresh ${WAITED}s after the errors stopped"
  alive "OffsetFetch $error"
done

# --- leader move ------------------------------------------------------------------------------------
leader_of() { metric kafka_topic_partition_leader "partition=\"$2\",topic=\"$1\""; }
old=$(leader_of bench-topic-0 0)
new=$((old % 3 + 1))
step "leader of bench-topic-0/0 moves from $old to $new"
ctl "leader bench-topic-0 0 $new"
scrape_until "the new leader served, offsets fresh" 10 '[[ $(leader_of bench-topic-0 0) == $new ]] && healthy'
step "  new leader served ${WAITED}s after the move"

# --- a topic disappears and comes back ---------------------------------------------------------------
step "bench-topic-1 disappears (Metadata: UNKNOWN_TOPIC_OR_PART)"
ctl "topic-error bench-topic-1 UNKNOWN_TOPIC_OR_PART"
scrape_until "bench-topic-1 gone or marked" 10 \
  '[[ $(count_series kafka_topic_partition_current_offset "topic=\"bench-topic-1\"") == 0 || $(metric kafka_perf_exporter_collector_success "collector=\"metadata\"") == 0 || $(metric kafka_perf_exporter_stale_partitions) -gt 0 ]]'
step "  noticed after ${WAITED}s: bench-topic-1 series $(count_series kafka_topic_partition_current_offset 'topic="bench-topic-1"'), metadata success $(metric kafka_perf_exporter_collector_success 'collector="metadata"'), stale $(metric kafka_perf_exporter_stale_partitions)"
scrape_for 2 '[[ $(count_series kafka_topic_partition_current_offset "topic=\"bench-topic-0\"") == 4 && $(count_series kafka_topic_partition_current_offset "topic=\"bench-topic-2\"") == 4 ]]'
ctl "topic-error bench-topic-1 NO_ERROR"
scrape_until "bench-topic-1 back and fresh" 10 healthy
step "  back ${WAITED}s after the error was cleared"

# --- a topic created while running -------------------------------------------------------------------
step "topic fresh-topic created"
ctl "create-topic fresh-topic 2"
PARTITIONS=14
scrape_until "fresh-topic served (within metadata_ttl 5 s + 2 intervals)" 8 \
  '[[ $(count_series kafka_topic_partition_current_offset "topic=\"fresh-topic\"") == 2 ]] && healthy'
step "  served ${WAITED}s after its creation"

alive "end"
echo "faults_requests: all checks passed ($SCRAPES scrapes, slowest ${SCRAPE_MAX}s, bound ${SCRAPE_BOUND}s)"
