#!/usr/bin/env bash
# The Grafana dashboards of dashboards/: each has a unique uid and a datasource variable, every panel,
# target and template variable uses that variable (no hard-coded datasource), every panel has a
# description, and the JSON is what dashboards/generate.py writes. Their queries are run against a
# real Prometheus by prometheus_queries_test.sh.
set -euo pipefail
REPO=$2
source "$(dirname "$0")/lib.sh"
CHECK="$REPO/tests/dashboards/check_dashboards.py"

/usr/bin/python3 "$CHECK" check "$REPO" || fail "dashboard check (see above)"
count=$(ls "$REPO"/dashboards/*.json | wc -l)
((count >= 3)) || fail "expected at least 3 dashboards, found $count"

# The check can fail: a hard-coded datasource and a duplicated uid are each named.
copy() { rm -rf "$KPE_TMP/bad"; mkdir -p "$KPE_TMP/bad"; cp -r "$REPO/dashboards" "$KPE_TMP/bad/"; }
copy
/usr/bin/python3 - "$KPE_TMP/bad/dashboards/kpe-consumer-lag.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["panels"][1]["targets"][0]["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
out=$(/usr/bin/python3 "$CHECK" check "$KPE_TMP/bad" 2>&1) && fail "hard-coded datasource not caught"
grep -q "kpe-consumer-lag.json: panel 'Groups' target A has datasource" <<<"$out" || fail "unexpected message: $out"
grep -q "differs from what dashboards/generate.py writes" <<<"$out" || fail "hand edit not caught: $out"
copy
sed -i 's/"uid": "kpe-exporter"/"uid": "kpe-consumer-lag"/' "$KPE_TMP/bad/dashboards/kpe-exporter.json"
out=$(/usr/bin/python3 "$CHECK" check "$KPE_TMP/bad" 2>&1) && fail "duplicate uid not caught"
grep -q "uid 'kpe-consumer-lag' also used by" <<<"$out" || fail "unexpected message: $out"

echo "prometheus_dashboards: $count dashboards: all checks passed"
