#!/usr/bin/env bash
# `kafka-perf-exporter advise`: findings as JSON with rule ids, the exit code follows the critical findings,
# usage errors exit 2 naming the flag, an unreachable cluster exits 1 quickly with a message saying so.
set -euo pipefail
EXPORTER=$1
source "$(dirname "$0")/lib.sh"

# 1. Demo cluster, JSON: parses, has findings with rule ids, exit code 3 iff a critical finding exists.
rc=0
"$EXPORTER" advise --demo --advise.duration=3s --output=json >"$KPE_TMP/advise.json" 2>"$KPE_TMP/advise.log" || rc=$?
[[ $rc == 0 || $rc == 3 ]] || fail "advise --demo exited $rc (expected 0 or 3)"
python3 - "$KPE_TMP/advise.json" "$rc" <<'PY' || fail "advise --demo JSON check failed"
import json, sys
doc = json.load(open(sys.argv[1]))
rc = int(sys.argv[2])
findings = doc["findings"]
assert findings, "the demo cluster should give findings"
for f in findings:
    assert f["rule"] and "." in f["rule"], f
    assert f["severity"] in ("info", "warning", "critical"), f
    assert f["subject"] and f["subject_kind"], f
critical = sum(1 for f in findings if f["severity"] == "critical")
assert doc["counts"]["critical"] == critical, doc["counts"]
assert (rc == 3) == (critical > 0), f"exit {rc} with {critical} critical findings"
print(f"advise --demo: {len(findings)} findings, {critical} critical, exit {rc}")
PY

# 2. The flags of the daemon work before the subcommand too, and the table is the default output.
rc=0
"$EXPORTER" --demo --log.level=error advise --advise.duration=1s >"$KPE_TMP/table.txt" 2>>"$KPE_TMP/advise.log" || rc=$?
[[ $rc == 0 || $rc == 3 ]] || fail "advise (table) exited $rc"
head -n1 "$KPE_TMP/table.txt" | grep -q '^SEVERITY ' || fail "the table should start with its header: $(head -n1 "$KPE_TMP/table.txt")"
grep -qE '^[0-9]+ critical, [0-9]+ warning, [0-9]+ info$' "$KPE_TMP/table.txt" || fail "the table should end with the counts"

# 3. Usage errors: exit 2, naming the flag.
rc=0
err=$("$EXPORTER" advise --output=xml 2>&1 >/dev/null) || rc=$?
[[ $rc == 2 ]] || fail "--output=xml exited $rc (expected 2)"
grep -q -- '--output' <<<"$err" || fail "--output=xml: the message should name --output: $err"
rc=0
err=$("$EXPORTER" advise --advise.duration=soon 2>&1 >/dev/null) || rc=$?
[[ $rc == 2 ]] || fail "--advise.duration=soon exited $rc (expected 2)"
grep -q -- '--advise.duration' <<<"$err" || fail "the message should name --advise.duration: $err"

# 4. Unreachable cluster: exit 1, saying so, within the collection timeout (not after --advise.duration).
printf 'collection:\n  timeout: 2s\n' >"$KPE_TMP/short.yaml"
rc=0
start=$SECONDS
err=$(timeout 30 "$EXPORTER" advise --config="$KPE_TMP/short.yaml" --kafka.server=127.0.0.1:1 \
  --advise.duration=60s 2>&1 >/dev/null) || rc=$?
took=$((SECONDS - start))
[[ $rc == 1 ]] || fail "unreachable cluster: exit $rc (expected 1): $err"
grep -q 'cluster default unreachable (bootstrap servers 127.0.0.1:1)' <<<"$err" \
  || fail "unreachable cluster: the message should say so: $err"
((took <= 10)) || fail "unreachable cluster: took ${took}s (expected about the 2 s timeout)"
echo "advise: all checks passed"
