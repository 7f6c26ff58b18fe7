# Helpers for system tests: start the real exporter binary, wait for things, fail with context.
# Sourced by the test scripts; not a test itself (ctest runs only *_test.sh).

KPE_PIDS=()
KPE_TMP=$(mktemp -d)
cleanup() {
  for pid in "${KPE_PIDS[@]:-}"; do
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  rm -rf "$KPE_TMP"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for log in "$KPE_TMP"/*.log; do
    [[ -f "$log" ]] && { echo "--- $log (last 40 lines)" >&2; tail -n 40 "$log" >&2; }
  done
  exit 1
}

# start_exporter NAME ARGS...: starts the exporter on 127.0.0.1:0, sets KPE_URL (http://127.0.0.1:PORT).
start_exporter() {
  local name=$1; shift
  : >"$KPE_TMP/$name.log"
  "$EXPORTER" --web.listen-address=127.0.0.1:0 "$@" >>"$KPE_TMP/$name.log" 2>&1 &
  KPE_PIDS+=($!)
  local deadline=$((SECONDS + 30)) port=""
  while [[ -z "$port" ]]; do
    ((SECONDS < deadline)) || fail "exporter $name did not report its address"
    kill -0 "${KPE_PIDS[-1]}" 2>/dev/null || fail "exporter $name exited early"
    port=$(grep -oE 'serving on http://127\.0\.0\.1:[0-9]+' "$KPE_TMP/$name.log" | grep -oE '[0-9]+$' | head -n1 || true)
    [[ -n "$port" ]] || sleep 0.1
  done
  KPE_URL="http://127.0.0.1:$port"
}

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "timed out after ${seconds}s waiting for: $what"
    sleep 0.2
  done
}

# promtool_check FILE: `promtool check metrics` on FILE. Its only accepted complaint is the "_sum"
# suffix lint on kafka_exporter's kafka_consumergroup_{current_offset,lag}_sum, names kept for
# drop-in compatibility; anything else fails.
promtool_check() {
  local out rc=0
  out=$(promtool check metrics <"$1" 2>&1) || rc=$?
  [[ $rc == 0 ]] && return 0
  local other
  other=$(grep -vE '^kafka_consumergroup_(current_offset|lag)_sum non-histogram and non-summary metrics should not have "_sum" suffix$' <<<"$out" | grep -v '^$' || true)
  if [[ $rc == 3 && -z "$other" ]]; then return 0; fi
  echo "promtool check metrics (exit $rc): $out" >&2
  return 1
}
