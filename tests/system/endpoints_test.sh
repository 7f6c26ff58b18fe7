#!/usr/bin/env bash
# The real binary's other endpoints: statistics ingest (loopback, token, limits, bad input), tuning
# advice, configuration reload on SIGHUP (bad config rejected, good one applied) and a prompt stop.
set -euo pipefail
EXPORTER=$1
source "$(dirname "$0")/lib.sh"

STATS="$(dirname "$0")/../unit/clientstats/data"
doc=$(ls "$STATS"/*producer*.json | head -n1)
[[ -f "$doc" ]] || fail "no statistics fixture in $STATS"
code() { curl -s -o "$KPE_TMP/body" -w '%{http_code}' "$@"; }

# --- ingest from loopback without a token; reload on SIGHUP ------------------------------------------
cat >"$KPE_TMP/config.yaml" <<YAML
client_stats: {enabled: true, max_body_bytes: 200000}
collection: {interval: 1s}
YAML
start_exporter main --config="$KPE_TMP/config.yaml" --kafka.server=127.0.0.1:1
pid=${KPE_PIDS[-1]}
wait_for "/metrics" 10 curl -sf "$KPE_URL/metrics"

[[ $(code -X POST --data-binary @"$doc" "$KPE_URL/api/v1/librdkafka/stats?label=checkout") == 204 ]] ||
  fail "a statistics document from loopback should be accepted: $(cat "$KPE_TMP/body")"
grep -qE '^kafka_client_messages_sent_total\{[^}]*label="checkout"' <(curl -sf "$KPE_URL/metrics") ||
  fail "ingested statistics should show as kafka_client_* with the sender's label"
[[ $(code -X POST --data-binary '{"name": 12' "$KPE_URL/api/v1/librdkafka/stats") == 400 ]] ||
  fail "malformed statistics should be 400"
grep -q "bad statistics" "$KPE_TMP/body" || fail "400 should say why: $(cat "$KPE_TMP/body")"
head -c 300000 /dev/zero | tr '\0' ' ' >"$KPE_TMP/big"
[[ $(code -X POST --data-binary @"$KPE_TMP/big" "$KPE_URL/api/v1/librdkafka/stats") == 413 ]] ||
  fail "a document over client_stats.max_body_bytes should be 413"
curl -sf "$KPE_URL/healthz" >/dev/null || fail "the server should keep serving after bad posts"

# Advice: JSON by default, HTML when asked for.
curl -sf "$KPE_URL/advice" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "findings" in d' ||
  fail "/advice should answer JSON with findings"
grep -qi '<html' <(curl -sf -H 'Accept: text/html' "$KPE_URL/advice") || fail "/advice should answer HTML when asked"

# Reload: a bad config is rejected and the old one keeps running; a good one is applied.
grep -qE '^kafka_perf_exporter_config_last_reload_successful 1$' <(curl -sf "$KPE_URL/metrics") ||
  fail "the first load should count as successful"
printf 'collection: {intervall: 1s}\n' >"$KPE_TMP/config.yaml"
kill -HUP "$pid"
wait_for "reload rejected" 10 bash -c "curl -sf '$KPE_URL/metrics' | grep -qE '^kafka_perf_exporter_config_last_reload_successful 0$'"
grep -q "configuration reload rejected" "$KPE_TMP/main.log" || fail "a rejected reload should be logged"
grep -q "config.yaml:1:14: collection.intervall" "$KPE_TMP/main.log" || fail "the rejection should name file, line and key"
curl -sf "$KPE_URL/healthz" >/dev/null || fail "a rejected reload must not stop the server"
# A property only librdkafka can judge is rejected the same way, without stopping anything.
printf 'client_stats: {enabled: true}\nkafka: {properties: {socket.timeout.ms: banana}}\n' >"$KPE_TMP/config.yaml"
kill -HUP "$pid"
wait_for "librdkafka property rejected" 10 grep -q "socket.timeout.ms" "$KPE_TMP/main.log"
kill -0 "$pid" || fail "a reload with a bad librdkafka property must not kill the exporter"
curl -sf "$KPE_URL/healthz" >/dev/null || fail "a reload with a bad librdkafka property must not stop the server"
printf 'client_stats: {enabled: true}\ncollection: {interval: 2s}\nkafka: {cluster_name: renamed}\n' >"$KPE_TMP/config.yaml"
kill -HUP "$pid"
wait_for "reload applied" 10 bash -c "curl -sf '$KPE_URL/metrics' | grep -qE '^kafka_perf_exporter_config_last_reload_successful 1$'"
wait_for "renamed cluster served" 10 bash -c "curl -sf '$KPE_URL/metrics' | grep -q 'cluster=\"renamed\"'"

# SIGTERM stops it, within the request timeout it may be waiting on.
kill -TERM "$pid"
for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "the exporter did not stop within 15 s of SIGTERM"

# --- with a token: others than loopback would need it, and so does everyone once it is set -----------
printf 's3cret\n' >"$KPE_TMP/token"
cat >"$KPE_TMP/token.yaml" <<YAML
client_stats: {enabled: true, token_file: token}
YAML
start_exporter token --config="$KPE_TMP/token.yaml" --kafka.server=127.0.0.1:1
[[ $(code -X POST --data-binary @"$doc" "$KPE_URL/api/v1/librdkafka/stats") == 401 ]] || fail "no token should be 401"
[[ $(code -X POST -H 'Authorization: Bearer nope' --data-binary @"$doc" "$KPE_URL/api/v1/librdkafka/stats") == 403 ]] ||
  fail "a wrong token should be 403"
[[ $(code -X POST -H 'Authorization: Bearer s3cret' --data-binary @"$doc" "$KPE_URL/api/v1/librdkafka/stats") == 204 ]] ||
  fail "the right token should be accepted"
grep -q s3cret "$KPE_TMP/token.log" && fail "the token must never be logged"

# --- disabled by default ------------------------------------------------------------------------------
start_exporter off --kafka.server=127.0.0.1:1
[[ $(code -X POST --data-binary @"$doc" "$KPE_URL/api/v1/librdkafka/stats") == 404 ]] ||
  fail "the statistics endpoint should not exist unless enabled"
echo "endpoints: all checks passed"
