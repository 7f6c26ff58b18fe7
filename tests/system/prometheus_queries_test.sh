#!/usr/bin/env bash
# Every dashboard panel query, template variable query, alert and recording rule expression, and the
# queries of kafka_exporter's dashboard 7589, run by a real Prometheus (Debian's /usr/bin/prometheus,
# with the rules of alerts/ loaded) that scrapes the exporter in demo mode every second: each must parse,
# use only metric names the exporter exports, and (dashboards, variables, 7589) return data, unless
# tests/dashboards/no_data_in_demo.txt says why it cannot. See tests/dashboards/run_queries.py.
set -euo pipefail
EXPORTER=$1
REPO=$2
source "$(dirname "$0")/lib.sh"
PROMETHEUS=/usr/bin/prometheus
[[ -x $PROMETHEUS ]] || fail "prometheus not installed (Debian package prometheus)"

start_exporter demo --demo --collection.interval=1s --kafka.labels=env=ci
wait_for "exporter /readyz" 60 curl -sf "$KPE_URL/readyz"

cat >"$KPE_TMP/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
$(for f in "$REPO"/alerts/*.yml; do echo "  - $f"; done)
scrape_configs:
  - job_name: kafka-perf-exporter
    static_configs:
      - targets: ['${KPE_URL#http://}']
YAML
promtool check config "$KPE_TMP/prometheus.yml" >"$KPE_TMP/promcheck.log" 2>&1 || { cat "$KPE_TMP/promcheck.log" >&2; fail "promtool check config"; }

# A free port: bind port 0, read it, release it; retried when Prometheus loses the race for it.
for attempt in 1 2 3; do
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  rm -rf "$KPE_TMP/tsdb"
  "$PROMETHEUS" --config.file="$KPE_TMP/prometheus.yml" --storage.tsdb.path="$KPE_TMP/tsdb" \
    --web.listen-address="127.0.0.1:$port" --log.level=warn >"$KPE_TMP/prometheus.log" 2>&1 &
  KPE_PIDS+=($!)
  PROM="http://127.0.0.1:$port"
  deadline=$((SECONDS + 30))
  until curl -sf "$PROM/-/ready" >/dev/null 2>&1; do
    kill -0 "${KPE_PIDS[-1]}" 2>/dev/null || break
    ((SECONDS < deadline)) || fail "prometheus not ready after 30s"
    sleep 0.2
  done
  curl -sf "$PROM/-/ready" >/dev/null 2>&1 && break
  grep -q 'address already in use' "$KPE_TMP/prometheus.log" || fail "prometheus exited"
done
curl -sf "$PROM/-/ready" >/dev/null || fail "prometheus did not start"

# Enough scrapes for 1m rates and for the demo's groups (committing every few seconds) to show.
promql() { curl -sf --data-urlencode "query=$1" "$PROM/api/v1/query"; }
has_result() { promql "$1" | /usr/bin/python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["data"]["result"] else 1)'; }
wait_for "15 scrapes of the demo's lag" 60 has_result 'count_over_time(kafka_consumergroup_lag_sum[1m]) >= 15'
wait_for "the rules to be evaluated" 30 has_result 'kafka_perf_exporter:consumergroup_lag_warning:threshold'
wait_for "a commit rate above 0" 30 has_result 'kafka_consumergroup_commit_rate > 0'

# The rules loaded without errors.
curl -sf "$PROM/api/v1/rules" | /usr/bin/python3 -c '
import json, sys
groups = json.load(sys.stdin)["data"]["groups"]
bad = [(r["name"], r.get("lastError")) for g in groups for r in g["rules"] if r.get("health") != "ok"]
rules = sum(len(g["rules"]) for g in groups)
if bad or rules < 20: sys.exit(f"rules: {rules} loaded, unhealthy: {bad}")
' || fail "Prometheus reports rules it could not evaluate"

curl -sf "$KPE_URL/metrics" -o "$KPE_TMP/metrics.txt" || fail "GET /metrics"
/usr/bin/python3 "$REPO/tests/dashboards/run_queries.py" "$PROM" "$KPE_TMP/metrics.txt" "$REPO" \
  || fail "dashboard and alert queries (see above)"

# The checks can fail: in a copy of the dashboards, a panel using a metric the exporter does not export
# and a panel whose query does not parse are both named.
bad="$KPE_TMP/bad"
mkdir -p "$bad/tests" "$bad/src/metrics"
cp -r "$REPO/dashboards" "$REPO/alerts" "$REPO/docs" "$REPO/README.md" "$bad/"
cp "$REPO/src/metrics/names.h" "$bad/src/metrics/"
cp -r "$REPO/tests/dashboards" "$REPO/tests/alerts" "$bad/tests/"
/usr/bin/python3 - "$bad/dashboards/kpe-cluster-overview.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
panels = [p for p in d["panels"] if p["type"] != "row"]
panels[0]["targets"][0]["expr"] = 'sum by (cluster) (rate(kpe_bogus_total{cluster=~"$cluster"}[$__rate_interval]))'
panels[1]["targets"][0]["expr"] = 'sum by (cluster (kafka_up)'
json.dump(d, open(sys.argv[1], "w"))
PY
if /usr/bin/python3 "$bad/tests/dashboards/run_queries.py" "$PROM" "$KPE_TMP/metrics.txt" "$bad" 2>"$KPE_TMP/bad.log"; then
  fail "run_queries.py accepted an unknown metric and a broken query"
fi
grep -q 'kpe-cluster-overview/Kafka reachable/A: uses kpe_bogus_total, which the exporter does not export' "$KPE_TMP/bad.log" \
  || fail "unknown metric not named: $(cat "$KPE_TMP/bad.log")"
grep -q 'kpe-cluster-overview/Exporter up/A: query failed: bad_data' "$KPE_TMP/bad.log" \
  || fail "broken query not named: $(cat "$KPE_TMP/bad.log")"
echo "prometheus_queries: all checks passed"
