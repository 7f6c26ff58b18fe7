#!/usr/bin/env bash
# Bootstrap unreachable at start: the daemon starts, serves kafka_up 0, /readyz is 503, and it waits
# without burning CPU.
set -euo pipefail
EXPORTER=$1
source "$(dirname "$0")/lib.sh"

# Port 1 on loopback: connection refused at once, forever.
start_exporter unreachable --kafka.server=127.0.0.1:1 --collection.interval=2s

wait_for "/metrics to answer" 10 curl -sf "$KPE_URL/metrics"
grep -qE '^kafka_up\{[^}]*\} 0$' <(curl -sf "$KPE_URL/metrics") || fail "kafka_up should be 0"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$KPE_URL/readyz") == 503 ]] || fail "/readyz should be 503"
curl -sf "$KPE_URL/healthz" >/dev/null || fail "/healthz should be 200 while Kafka is unreachable"

# CPU used over 6 s of waiting (utime + stime from /proc/PID/stat, in clock ticks).
pid=${KPE_PIDS[-1]}
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(ticks); sleep 6; after=$(ticks)
hz=$(getconf CLK_TCK)
used_ms=$(( (after - before) * 1000 / hz ))
echo "CPU used while waiting 6 s: ${used_ms} ms"
# 2% of one core over 6 s is 120 ms: far above an idle retry loop, far below a busy one.
(( used_ms < 120 )) || fail "used ${used_ms} ms of CPU in 6 s while the cluster was unreachable"

# Logged once per state change, not once per attempt.
warnings=$(grep -c "cluster default: metadata" "$KPE_TMP/unreachable.log" || true)
(( warnings == 1 )) || fail "expected the unreachable state logged once, got $warnings lines"
echo "unreachable_bootstrap: all checks passed"
