#!/usr/bin/env bash
# deploy/prometheus/prometheus.yml: `promtool check config` accepts it, and it scrapes the exporter as
# documented (job kafka-perf-exporter, every 15s, localhost:9308, /metrics).
set -euo pipefail
EXPORTER=$1
SRC=$2
source "$(dirname "$0")/lib.sh"
CONFIG="$SRC/deploy/prometheus/prometheus.yml"

command -v promtool >/dev/null || fail "promtool not found (package prometheus: scripts/install-deps.sh --with-tests)"
promtool check config "$CONFIG" >"$KPE_TMP/promtool.log" 2>&1 || fail "promtool check config: $(cat "$KPE_TMP/promtool.log")"
# A broken copy is refused: promtool really checks.
sed -e 's/scrape_interval: 15s/scrape_interval: 15 seconds/' "$CONFIG" >"$KPE_TMP/bad.yml"
if promtool check config "$KPE_TMP/bad.yml" >/dev/null 2>&1; then fail "promtool accepted scrape_interval: 15 seconds"; fi

/usr/bin/python3 - "$CONFIG" <<'PY' || fail "prometheus.yml does not scrape the exporter as documented"
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
jobs = {j["job_name"]: j for j in config["scrape_configs"]}
job = jobs["kafka-perf-exporter"]
interval = job.get("scrape_interval", config.get("global", {}).get("scrape_interval"))
assert interval == "15s", interval
assert job.get("metrics_path", "/metrics") == "/metrics", job
targets = [t for s in job["static_configs"] for t in s["targets"]]
assert targets == ["localhost:9308"], targets
PY
echo "deploy_prometheus: all checks passed"
