#!/usr/bin/env bash
# Scrape latency of several exporter builds (or settings) side by side on ONE mock cluster, measured in
# turns, so that the machine's noise falls on all of them alike. See bench/README.md.
#
#   bench/side_by_side.sh [--rounds N] [--settle S] [--rtt] EXPORTER_SPEC...
#
# EXPORTER_SPEC is NAME=BINARY, optionally followed by ,VAR=VALUE environment settings, e.g.
#   old=build/bench-ref/kafka-perf-exporter new=build/bench/kafka-perf-exporter
#   one-heap=build/bench/kafka-perf-exporter arenas=build/bench/kafka-perf-exporter,MALLOC_ARENA_MAX=8
# Starts the `large` cluster (with --rtt: 2000 ms of RTT on broker 1, as `large-rtt`) from
# build/bench/kpe-bench-cluster (bench/run.sh builds it), one exporter per spec on its own loopback
# port, waits S seconds (default 300; 420 with --rtt), then N rounds (default 8): in each, 20 paced
# scrapers (bench/paced_scrapers.lua, gzip) for 30 s on each exporter in turn. Prints p50 / p99 per
# window, what ran meanwhile (CPU seconds of the exporter and of the cluster, the exporter's renders
# and their seconds), and at the end, per exporter the mean and median of the windows' p99.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=8
SETTLE=""
RTT=()
SPECS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) ROUNDS=${2:?--rounds needs a value}; shift 2 ;;
    --settle) SETTLE=${2:?--settle needs a value}; shift 2 ;;
    --rtt) RTT=(--rtt-broker 1 --rtt-ms 2000); shift ;;
    -h | --help) sed -n '2,14p' "$0" >&2; exit 2 ;;
    *=*) SPECS+=("$1"); shift ;;
    *) echo "unknown argument '$1' (an exporter is NAME=BINARY[,VAR=VALUE...])" >&2; exit 2 ;;
  esac
done
[[ ${#SPECS[@]} -ge 1 ]] || { echo "name at least one exporter: NAME=BINARY[,VAR=VALUE...]" >&2; exit 2; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "--rounds must be a positive whole number" >&2; exit 2; }
[[ -n $SETTLE ]] || { [[ ${#RTT[@]} -gt 0 ]] && SETTLE=420 || SETTLE=300; }
[[ $SETTLE =~ ^[0-9]+$ ]] || { echo "--settle must be a whole number of seconds" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
for spec in "${SPECS[@]}"; do
  binary=${spec#*=}
  binary=${binary%%,*}
  [[ -x $binary ]] || { echo "${spec%%=*}: no executable $binary" >&2; exit 1; }
done
CLUSTER_BIN=$ROOT/build/bench/kpe-bench-cluster
[[ -x $CLUSTER_BIN ]] || CLUSTER_BIN=$ROOT/build/bench-ref/kpe-bench-cluster
[[ -x $CLUSTER_BIN ]] || { echo "no kpe-bench-cluster in build/bench: run bench/run.sh tiny once to build it" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkfifo "$WORK/stdin"
"$CLUSTER_BIN" --brokers 3 --topics-per-group 3 --produce-rate 200 --commit-interval 10 --topics 200 \
  --partitions 50 --groups 500 "${RTT[@]}" --groups-file "$WORK/groups.yaml" <"$WORK/stdin" >"$WORK/cluster.out" \
  2>"$WORK/cluster.log" &
PIDS+=($!)
exec 7>"$WORK/stdin"  # the cluster runs until its stdin closes
for _ in $(seq 1 120); do grep -q '^READY$' "$WORK/cluster.out" 2>/dev/null && break; sleep 1; done
grep -q '^READY$' "$WORK/cluster.out" || { echo "the cluster did not start: $(tail -3 "$WORK/cluster.log")" >&2; exit 1; }
BOOTSTRAP=$(awk '$1 == "BOOTSTRAP" {print $2}' "$WORK/cluster.out")

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
NAMES=()
URLS=()
EXPORTER_PIDS=()
for spec in "${SPECS[@]}"; do
  name=${spec%%=*}
  IFS=',' read -r -a parts <<<"${spec#*=}"
  binary=${parts[0]}
  port=$(free_port)
  config=$WORK/$name.yaml
  {
    echo "web:"
    echo "  listen_address: \"127.0.0.1:$port\""
    echo "kafka:"
    echo "  servers: [$(sed 's/[^,]*/"&"/g; s/,/, /g' <<<"$BOOTSTRAP")]"
    echo "  cluster_name: bench"
    cat "$WORK/groups.yaml"
  } >"$config"
  env "${parts[@]:1}" "$binary" --config="$config" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  EXPORTER_PIDS+=($!)
  NAMES+=("$name")
  URLS+=("http://127.0.0.1:$port/metrics")
done
echo "cluster at $BOOTSTRAP${RTT[*]:+ (${RTT[*]})}; ${#NAMES[@]} exporters; settling ${SETTLE}s" >&2
sleep "$SETTLE"

CLUSTER_PID=${PIDS[0]}
cpu_seconds() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }  # utime + stime, USER_HZ 100
renders() {  # "RENDERS SECONDS" from the exporter's own metrics
  curl -s -H 'Accept-Encoding: gzip' "$1" | gzip -dc |
    awk '$1 == "kafka_perf_exporter_renders_total" {n = $2} $1 == "kafka_perf_exporter_render_seconds_total" {s = $2}
         END {printf "%d %.3f\n", n, s}'
}
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!NAMES[@]}"; do
    read -r renders0 render_s0 < <(renders "${URLS[$i]}")
    cpu0=$(cpu_seconds "${EXPORTER_PIDS[$i]}")
    cluster0=$(cpu_seconds "$CLUSTER_PID")
    out=$(wrk -t2 -c20 -d30s --timeout 10s --latency -s "$ROOT/bench/paced_scrapers.lua" \
      -H 'Accept-Encoding: gzip' "${URLS[$i]}" 2>&1) || true
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
    cpu1=$(cpu_seconds "${EXPORTER_PIDS[$i]}")
    cluster1=$(cpu_seconds "$CLUSTER_PID")
    read -r renders1 render_s1 < <(renders "${URLS[$i]}")
    activity=$(awk -v c0="$cpu0" -v c1="$cpu1" -v k0="$cluster0" -v k1="$cluster1" -v r0="$renders0" -v r1="$renders1" \
      -v s0="$render_s0" -v s1="$render_s1" \
      'BEGIN {printf "exporter CPU %.2f s, cluster CPU %.2f s, renders %d (%.3f s)", c1 - c0, k1 - k0, r1 - r0, s1 - s0}')
    echo "round $round ${NAMES[$i]} p50 ${p50:--} p99 ${p99:--}${errors:+ ($errors)} | $activity"
  done
done | tee "$WORK/windows.txt"

# Per exporter: mean and median of the windows' p99 (wrk prints us, ms or s).
python3 - "$WORK/windows.txt" <<'PY'
import re, statistics, sys
p99 = {}
for line in open(sys.argv[1]):
    f = line.split()
    m = re.fullmatch(r"([0-9.]+)(us|ms|s)", f[6])
    if m:
        p99.setdefault(f[2], []).append(float(m[1]) * {"us": 0.001, "ms": 1, "s": 1000}[m[2]])
for name, v in p99.items():
    print(f"{name}: paced p99 over {len(v)} windows: mean {statistics.mean(v):.2f} ms, "
          f"median {statistics.median(v):.2f} ms, min {min(v):.2f}, max {max(v):.2f}")
PY
