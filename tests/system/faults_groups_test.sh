#!/usr/bin/env bash
# Fault suite, groups: a consumer group deleted while the exporter watches it, on the Python test broker
# (tests/testbroker: librdkafka's mock cannot list or describe groups). The deleted group's series go
# away within the group list TTL plus two intervals, the other group's stay fresh, every scrape answers
# 200 within SCRAPE_BOUND; a group created afterwards is picked up.
set -euo pipefail
EXPORTER=$1
SRC=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../faults/lib.sh"
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
BROKER_PY=$SRC/tests/testbroker/kafka_test_broker.py

group_json() {  # group_json OFFSET: a Stable group with one member on orders 0..2, committed at OFFSET
  cat <<JSON
{"state": "Stable", "protocol_type": "consumer", "protocol": "range", "coordinator": 1,
 "members": [{"member_id": "m1", "client_id": "c1", "client_host": "/127.0.0.1", "assignment": {"orders": [0, 1, 2]}}],
 "offsets": {"orders": {"0": $1, "1": $1, "2": $1}}}
JSON
}
cat >"$KPE_TMP/state.json" <<JSON
{"cluster_id": "faults", "controller_id": 1,
 "topics": {"orders": {"partitions": [
   {"id": 0, "replicas": [1], "isr": [1], "log_start": 0, "high_watermark": 100},
   {"id": 1, "replicas": [1], "isr": [1], "log_start": 0, "high_watermark": 100},
   {"id": 2, "replicas": [1], "isr": [1], "log_start": 0, "high_watermark": 100}]}},
 "groups": {"keep": $(group_json 90), "doomed": $(group_json 40)}}
JSON
mkfifo "$KPE_TMP/broker.in"
"$PY" "$BROKER_PY" --state "$KPE_TMP/state.json" <"$KPE_TMP/broker.in" >"$KPE_TMP/broker.out" 2>"$KPE_TMP/broker.log" &
KPE_PIDS+=($!)
exec 8>"$KPE_TMP/broker.in"
wait_for "test broker READY" 20 grep -q '^READY$' "$KPE_TMP/broker.out"
BROKER_PORT=$(sed -n 's/^LISTENING //p' "$KPE_TMP/broker.out")
CONTROL_PORT=$(sed -n 's/^CONTROL //p' "$KPE_TMP/broker.out")
broker_ctl() {
  local out
  out=$("$PY" "$BROKER_PY" ctl "$CONTROL_PORT" "$1") || fail "test broker control '$1' failed: $out"
  [[ $out == *'"ok": true'* || $out == *'"ok":true'* ]] || fail "test broker refused '$1': $out"
}

cat >"$KPE_TMP/exporter.yaml" <<YAML
kafka: {servers: "127.0.0.1:$BROKER_PORT", cluster_name: faults}
collection: {interval: 1s, timeout: 500ms, max_backoff: 1s, cpu_budget: 0, adaptive_sampling: false,
             group_list_ttl: 2s, group_description_ttl: 2s}
YAML
start_exporter exporter --config="$KPE_TMP/exporter.yaml"
EXPORTER_PID=${KPE_PIDS[-1]}
lag_series() { count_series kafka_consumergroup_lag "consumergroup=\"$1\""; }
group_ok() { [[ $(lag_series "$1") == 3 && $(metric kafka_consumergroup_up "consumergroup=\"$1\"") == 1 ]]; }

step "baseline: groups keep and doomed"
scrape_until "both groups served" 20 'group_ok keep && group_ok doomed'
[[ $(metric kafka_consumergroup_lag 'consumergroup="doomed",partition="0"') == 60 ]] ||
  fail "doomed's lag on orders/0 should be 100 - 40 = 60, got $(metric kafka_consumergroup_lag 'consumergroup="doomed",partition="0"')"

step "group doomed deleted"
broker_ctl '{"op":"delete","path":["groups","doomed"]}'
scrape_until "doomed's series gone (group list TTL 2 s + 2 intervals)" 5 \
  '[[ $(count_series kafka_consumergroup_lag "consumergroup=\"doomed\"") == 0 && $(count_series kafka_consumergroup_up "consumergroup=\"doomed\"") == 0 ]]'
step "  gone after ${WAITED}s"
scrape_for 3 'group_ok keep && [[ $(metric kafka_up) == 1 && $(count_series kafka_consumergroup_lag "consumergroup=\"doomed\"") == 0 ]]'
[[ $(metric kafka_cluster_consumergroups) == 1 ]] || fail "kafka_cluster_consumergroups should be 1, got $(metric kafka_cluster_consumergroups)"

step "group reborn created"
broker_ctl "{\"op\":\"set\",\"path\":[\"groups\",\"reborn\"],\"value\":$(group_json 70 | tr -d '\n')}"
scrape_until "reborn served" 5 'group_ok reborn && group_ok keep'
step "  served after ${WAITED}s"

kill -0 "$EXPORTER_PID" 2>/dev/null || fail "the exporter died"
echo "faults_groups: all checks passed ($SCRAPES scrapes, slowest ${SCRAPE_MAX}s, bound ${SCRAPE_BOUND}s)"
