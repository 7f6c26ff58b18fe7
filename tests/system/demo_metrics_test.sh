#!/usr/bin/env bash
# The real binary in demo mode, scraped over HTTP: endpoints, status codes, gzip, and the exposition
# checked by Prometheus's own promtool.
set -euo pipefail
EXPORTER=$1
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool not installed (Debian package prometheus)"

start_exporter demo --demo --collection.interval=1s --kafka.labels=env=ci

wait_for "/readyz to answer 200" 60 curl -sf "$KPE_URL/readyz"
curl -sf "$KPE_URL/healthz" | grep -q ok || fail "/healthz"

# Offsets keep moving in the demo: wait for a scrape where the producer's data is visible.
wait_for "demo offsets > 0" 30 bash -c "curl -sf '$KPE_URL/metrics' | grep -E '^kafka_topic_partition_current_offset\{.*topic=\"orders\"' | grep -vqE ' 0$'"

body="$KPE_TMP/metrics.txt"
curl -sf "$KPE_URL/metrics" -o "$body" || fail "GET /metrics"
promtool_check "$body" || fail "promtool check metrics rejected the exposition"

for metric in kafka_brokers kafka_broker_info kafka_topic_partitions kafka_topic_partition_current_offset \
  kafka_topic_partition_oldest_offset kafka_topic_partition_leader kafka_topic_partition_replicas \
  kafka_topic_partition_in_sync_replica kafka_topic_partition_leader_is_preferred \
  kafka_topic_partition_under_replicated_partition kafka_up kafka_topic_partition_offline \
  kafka_perf_exporter_collector_success kafka_perf_exporter_collector_duration_seconds \
  kafka_perf_exporter_data_age_seconds kafka_perf_exporter_build_info process_cpu_seconds_total \
  process_resident_memory_bytes process_open_fds process_start_time_seconds; do
  grep -qE "^${metric}(\{| )" "$body" || fail "metric $metric missing from /metrics"
done
grep -qE '^kafka_brokers\{[^}]*cluster="default"[^}]*env="ci"[^}]*\} 3$' "$body" || fail "kafka_brokers should be 3 with labels cluster and env"
grep -qE '^kafka_up\{[^}]*\} 1$' "$body" || fail "kafka_up should be 1"

# Consumer groups: the mock cannot list groups, so demo mode watches its groups as static ones.
wait_for "demo group lag" 30 bash -c "curl -sf '$KPE_URL/metrics' | grep -qE '^kafka_consumergroup_lag\{[^}]*consumergroup=\"demo-order-processor\"'"
curl -sf "$KPE_URL/metrics" -o "$body" || fail "GET /metrics"
for metric in kafka_consumergroup_current_offset kafka_consumergroup_current_offset_sum kafka_consumergroup_lag \
  kafka_consumergroup_lag_sum kafka_consumergroup_lag_seconds kafka_consumergroup_status kafka_consumergroup_state; do
  grep -qE "^${metric}\{[^}]*consumergroup=\"demo-order-processor\"" "$body" || fail "$metric missing for the demo group"
done
grep -qE '^kafka_perf_exporter_group_discovery\{[^}]*mode="static"[^}]*\} 1$' "$body" || fail "group discovery should be static on the mock"
grep -qE '^kafka_perf_exporter_group_list_refused\{[^}]*reason="unsupported"[^}]*\} 1$' "$body" || fail "the mock's ListGroups refusal should be exported"
promtool_check "$body" || fail "promtool check metrics rejected the exposition with groups"

# The exposition is rendered once per snapshot; renders after the first reuse the deflated chunks
# whose text did not change (the demo's broker and config families, at least).
value() { awk -v s="$1" '$1 == s { print $2 }' "$body"; }
(( $(value kafka_perf_exporter_renders_total) > 1 )) || fail "kafka_perf_exporter_renders_total should count several renders"
awk 'BEGIN { exit !(ARGV[1] > 0) }' "$(value kafka_perf_exporter_render_seconds_total)" || fail "render seconds should be > 0"
(( $(value 'kafka_perf_exporter_render_chunks_total{result="reused"}') > 0 )) || fail "no chunk reused between renders"
(( $(value 'kafka_perf_exporter_render_chunks_total{result="deflated"}') > 0 )) || fail "no chunk deflated"

# gzip: one gzip member (the text's deflate made once, closed with the scrape's tail): curl reads it.
curl -sf --compressed "$KPE_URL/metrics" -o "$KPE_TMP/curl_decoded.txt" || fail "curl --compressed cannot read /metrics"
grep -q '^process_open_fds' "$KPE_TMP/curl_decoded.txt" || fail "curl --compressed lost the per-scrape tail"
curl -sf -H 'Accept-Encoding: gzip' "$KPE_URL/metrics" -o "$KPE_TMP/metrics.gz" || fail "gzip GET"
python3 -c 'import gzip,sys; sys.stdout.write(gzip.decompress(open(sys.argv[1],"rb").read()).decode())' \
  "$KPE_TMP/metrics.gz" >"$KPE_TMP/unzipped.txt" || fail "gzip body does not decompress"
promtool_check "$KPE_TMP/unzipped.txt" || fail "promtool rejected the gunzipped exposition"
grep -q '^process_open_fds' "$KPE_TMP/unzipped.txt" || fail "gzip body lacks the per-scrape tail"
# The advice (deflated once per change of it, between the snapshot's deflate and the scrape's tail):
# the demo's workload always gets some.
grep -q '^kafka_advice{' "$body" || fail "the demo should get advice (kafka_advice)"
grep -q '^kafka_advice{' "$KPE_TMP/unzipped.txt" || fail "gzip body lacks kafka_advice"
grep -q '^kafka_advice{' "$KPE_TMP/curl_decoded.txt" || fail "curl --compressed lost kafka_advice"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[[ $(code "$KPE_URL/nope") == 404 ]] || fail "unknown path should be 404"
[[ $(code -X POST "$KPE_URL/metrics") == 405 ]] || fail "POST /metrics should be 405"
grep -q 'href="/metrics"' <(curl -sf "$KPE_URL/") || fail "landing page should link /metrics"

echo "demo_metrics: all checks passed"
