#!/usr/bin/env bash
# deploy/systemd/kafka-perf-exporter.service: the promised settings (tests/deploy/check_systemd_unit.py,
# which needs no systemd), then systemd's own `systemd-analyze verify` (any complaint fails) and
# `systemd-analyze security --offline` (exposure 2.0 at most) when systemd-analyze is here.
set -euo pipefail
EXPORTER=$1
SRC=$2
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
UNIT="$SRC/deploy/systemd/kafka-perf-exporter.service"
CHECK="$SRC/tests/deploy/check_systemd_unit.py"

out=$("$PY" "$CHECK" "$UNIT" 2>&1) || fail "check_systemd_unit.py: $out"

broken_unit() {  # NAME SED_SCRIPT PATTERN
  local unit="$KPE_TMP/broken-$1.service" rc=0 result
  sed -e "$2" "$UNIT" >"$unit"
  cmp -s "$unit" "$UNIT" && fail "broken case $1 changed nothing"
  result=$("$PY" "$CHECK" "$unit" 2>&1) || rc=$?
  [[ $rc == 1 ]] || fail "broken case $1: exit $rc, want 1; output: $result"
  grep -qF -- "$3" <<<"$result" || fail "broken case $1: output lacks '$3': $result"
}
broken_unit no-dynamic-user '/^DynamicUser=/d' '[Service] DynamicUser is missing'
broken_unit writable-system 's/^ProtectSystem=strict/ProtectSystem=full/' "[Service] ProtectSystem=full, want 'strict'"
broken_unit capabilities 's/^CapabilityBoundingSet=$/CapabilityBoundingSet=CAP_NET_BIND_SERVICE/' \
  "[Service] CapabilityBoundingSet=CAP_NET_BIND_SERVICE, want ''"
broken_unit no-config 's# --config=/etc/kafka-perf-exporter/config.yaml##' '[Service] ExecStart=/usr/local/bin/kafka-perf-exporter, want'
broken_unit reload 's/-HUP/-TERM/' '[Service] ExecReload=/bin/kill -TERM $MAINPID'
broken_unit syscall-filter '/^SystemCallFilter=@system-service/d' 'SystemCallFilter lacks @system-service'
broken_unit syntax 's/^NoNewPrivileges=yes/NoNewPrivileges yes/' "not KEY=VALUE: 'NoNewPrivileges yes'"
broken_unit section 's/^\[Install\]/[Instal]/' 'unknown section [Instal]'

if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed (package systemd): unit checked by the parser only"
  echo "deploy_systemd: all checks passed"
  exit 0
fi
# verify checks that ExecStart's program exists: point it at the binary under test.
mkdir -p "$KPE_TMP/units"
verify_unit() {  # verify_unit UNIT_FILE: prints systemd-analyze verify's complaints
  local copy="$KPE_TMP/units/kafka-perf-exporter.service"
  sed -e "s#^ExecStart=/usr/local/bin/kafka-perf-exporter #ExecStart=$EXPORTER #" "$1" >"$copy"
  grep -q "^ExecStart=$EXPORTER " "$copy" || fail "cannot point ExecStart at $EXPORTER in $1"
  SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$copy" 2>&1 || echo "(systemd-analyze verify exited $?)"
}
out=$(verify_unit "$UNIT")
if grep -qiE 'failed to (initialize|set up|connect)|not booted|Operation not permitted' <<<"$out"; then
  echo "SKIP: systemd-analyze verify cannot run here: $out"
else
  [[ -z "$out" ]] || fail "systemd-analyze verify complains about the unit:
$out"
  # ... and it would complain about a mistake (verify exits 0 on unknown keys: its output is what counts).
  sed -e 's/^ProtectSystem=strict/ProtectSystem=very-strict/' "$UNIT" >"$KPE_TMP/bad.service"
  out=$(verify_unit "$KPE_TMP/bad.service")
  grep -q 'protect system value' <<<"$out" || fail "systemd-analyze verify accepted ProtectSystem=very-strict: $out"
fi
cp "$UNIT" "$KPE_TMP/units/kafka-perf-exporter.service"
rc=0
out=$(cd "$KPE_TMP/units" && systemd-analyze security --offline=true --threshold=20 kafka-perf-exporter.service 2>&1) || rc=$?
if grep -q 'unrecognized option' <<<"$out"; then
  echo "SKIP: this systemd-analyze has no 'security --offline' (systemd < 250)"
else
  level=$(grep -oE 'Overall exposure level for kafka-perf-exporter.service: [0-9.]+' <<<"$out" | grep -oE '[0-9.]+$' || true)
  [[ $rc == 0 && -n "$level" ]] || fail "systemd-analyze security: exposure over 2.0 (exit $rc): $(tail -n 30 <<<"$out")"
  echo "systemd-analyze security: exposure level $level"
fi
echo "deploy_systemd: all checks passed"
