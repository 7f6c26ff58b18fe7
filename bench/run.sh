#!/usr/bin/env bash
# Benchmark of the exporter against a mock cluster in its own process. See bench/README.md.
#
#   bench/run.sh SCENARIO [--seconds N] [--settle N] [--paced N] [--no-build] [--ref GIT_REF] [-- EXPORTER_FLAGS...]
#
# Builds (Release) the exporter and kpe-bench-cluster in build/bench from the working tree (or, with
# --ref, from `git archive GIT_REF` in build/bench-ref, so that edits in progress in the tree do not
# leak into the figures), starts the cluster for the
# scenario, starts the exporter on 127.0.0.1 on a free port, waits for /readyz and two collection cycles,
# then measures for N seconds (default 60) the exporter's CPU, RSS and collection durations (scraping
# every 5 s, gzip'd, as a Prometheus would), counts the series, and runs wrk for scrape latency: 20
# connections scraping back to back for 10 s (plain, then gzip: the most it serves), then 20 scrapers
# pacing their scrapes (gzip, 30 s or --paced N, each one waiting 0.5-1.5 s before each scrape,
# bench/paced_scrapers.lua). Prints a results block ending in a markdown table row, also
# appended to build/bench/results.md. Everything it starts is stopped on exit; all on loopback.
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
usage: bench/run.sh SCENARIO [--seconds N] [--settle N] [--paced N] [--no-build] [--ref GIT_REF] [-- EXPORTER_FLAGS...]
--settle N waits N more seconds after the two warm-up cycles before measuring, so that the CPU
governor (which stretches intervals x1.5 per cycle while over budget) reaches its steady state.
--paced N runs the 20 paced scrapers for N seconds (default 30; ~20 scrapes a second, so a longer
run gives a p99 of more scrapes).
scenarios:
  tiny         5 topics x 4 partitions, 3 brokers, 5 groups (a smoke test of the harness)
  small        100 topics x 10 partitions, 3 brokers, 50 groups
  large        200 topics x 50 partitions (10,000), 3 brokers, 500 groups
  large-rtt    large, with 2000 ms RTT injected on broker 1
  large-topics large without groups (the topic side alone at 10,000 partitions)
  groups-100   100 topics x 10 partitions, 100 groups
  groups-300   100 topics x 10 partitions, 300 groups
  groups-1000  100 topics x 10 partitions, 1,000 groups
Every group commits on the partitions of 3 topics, every 10 s; 200 records/s are produced in total.
EXPORTER_FLAGS are passed to the exporter after --config, e.g. -- --collection.interval=5s
EOF
  exit 2
}

[[ $# -ge 1 ]] || usage
SCENARIO=$1
shift
SECONDS_TO_MEASURE=60
SETTLE=0
PACED=30
BUILD=1
REF=""
EXPORTER_FLAGS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) SECONDS_TO_MEASURE=${2:?--seconds needs a value}; shift 2 ;;
    --seconds=*) SECONDS_TO_MEASURE=${1#*=}; shift ;;
    --settle) SETTLE=${2:?--settle needs a value}; shift 2 ;;
    --settle=*) SETTLE=${1#*=}; shift ;;
    --paced) PACED=${2:?--paced needs a value}; shift 2 ;;
    --paced=*) PACED=${1#*=}; shift ;;
    --no-build) BUILD=0; shift ;;
    --ref) REF=${2:?--ref needs a value}; shift 2 ;;
    --ref=*) REF=${1#*=}; shift ;;
    --) shift; EXPORTER_FLAGS=("$@"); break ;;
    *) echo "unknown argument '$1'" >&2; usage ;;
  esac
done
[[ $SECONDS_TO_MEASURE =~ ^[0-9]+$ && $SECONDS_TO_MEASURE -ge 5 ]] || { echo "--seconds must be a whole number >= 5" >&2; exit 2; }
[[ $SETTLE =~ ^[0-9]+$ ]] || { echo "--settle must be a whole number of seconds" >&2; exit 2; }
[[ $PACED =~ ^[0-9]+$ && $PACED -ge 5 ]] || { echo "--paced must be a whole number of seconds >= 5" >&2; exit 2; }

CLUSTER_COMMON=(--brokers 3 --topics-per-group 3 --produce-rate 200 --commit-interval 10)
case $SCENARIO in
  tiny)        CLUSTER=(--topics 5 --partitions 4 --groups 5) ;;
  small)       CLUSTER=(--topics 100 --partitions 10 --groups 50) ;;
  large)       CLUSTER=(--topics 200 --partitions 50 --groups 500) ;;
  large-rtt)   CLUSTER=(--topics 200 --partitions 50 --groups 500 --rtt-broker 1 --rtt-ms 2000) ;;
  large-topics) CLUSTER=(--topics 200 --partitions 50 --groups 0) ;;
  groups-100)  CLUSTER=(--topics 100 --partitions 10 --groups 100) ;;
  groups-300)  CLUSTER=(--topics 100 --partitions 10 --groups 300) ;;
  groups-1000) CLUSTER=(--topics 100 --partitions 10 --groups 1000) ;;
  *) echo "unknown scenario '$SCENARIO'" >&2; usage ;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOURCE_DIR=$ROOT
BUILD_DIR=$ROOT/build/bench
[[ -z $REF ]] || { SOURCE_DIR=$ROOT/build/bench-ref/src; BUILD_DIR=$ROOT/build/bench-ref; }
EXPORTER=$BUILD_DIR/kafka-perf-exporter
BENCH_CLUSTER=$BUILD_DIR/kpe-bench-cluster

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

if ! command -v wrk >/dev/null; then
  log "installing wrk"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; } ||
    die "wrk is missing and could not be installed (apt-get install wrk)"
fi
command -v curl >/dev/null || die "curl is missing"

if [[ $BUILD == 1 ]]; then
  if [[ -n $REF ]]; then
    BUILT_FROM=$(git -C "$ROOT" rev-parse --short "$REF^{commit}") || die "unknown git ref '$REF'"
    log "exporting $REF ($BUILT_FROM) to $SOURCE_DIR"
    rm -rf "$SOURCE_DIR"
    mkdir -p "$SOURCE_DIR"
    # -m: files dated now, not at the commit, so make rebuilds what differs from the previous ref.
    git -C "$ROOT" archive "$BUILT_FROM" | tar -x -m -C "$SOURCE_DIR"
  else
    # Others may be editing src/ in this tree: record what the binaries are built from.
    BUILT_FROM=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    [[ -z $(git -C "$ROOT" status --porcelain -- src CMakeLists.txt 2>/dev/null) ]] ||
      BUILT_FROM="$BUILT_FROM+uncommitted-src"
  fi
  log "building (Release) in $BUILD_DIR"
  cmake -S "$SOURCE_DIR" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DKPE_BUILD_TESTS=OFF -DKPE_BUILD_BENCH=ON >/dev/null
  cmake --build "$BUILD_DIR" --target kafka-perf-exporter kpe-bench-cluster -j2 >/dev/null
  echo "$BUILT_FROM" >"$BUILD_DIR/bench-built-from"
fi
[[ -x $EXPORTER && -x $BENCH_CLUSTER ]] || die "no binaries in $BUILD_DIR (run without --no-build)"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/kpe-bench.XXXXXX)
CLUSTER_PID=""
EXPORTER_PID=""
stop_pid() {  # TERM, then KILL after 10 s
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "pid $pid did not stop within 10 s: killing it"
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$EXPORTER_PID"
  exec 7>&- 2>/dev/null || true  # EOF on the cluster's stdin: it stops even if the signal is lost
  stop_pid "$CLUSTER_PID"
  wait 2>/dev/null || true
  if [[ ${KEEP_WORK:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s until it succeeds.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || die "timed out after ${seconds}s waiting for $what"
    sleep 0.5
  done
}

# --- the cluster, in its own process; its stdin is a FIFO this shell holds open (fd 7)
mkfifo "$WORK/cluster.stdin"
"$BENCH_CLUSTER" "${CLUSTER_COMMON[@]}" "${CLUSTER[@]}" --groups-file "$WORK/groups.yaml" \
  <"$WORK/cluster.stdin" >"$WORK/cluster.out" 2>"$WORK/cluster.log" &
CLUSTER_PID=$!
exec 7>"$WORK/cluster.stdin"
log "scenario $SCENARIO: kpe-bench-cluster ${CLUSTER[*]} (pid $CLUSTER_PID)"
cluster_ready() {
  kill -0 "$CLUSTER_PID" 2>/dev/null || die "kpe-bench-cluster exited: $(tail -5 "$WORK/cluster.log")"
  grep -q '^READY$' "$WORK/cluster.out"
}
wait_for 600 "the cluster's READY" cluster_ready
BOOTSTRAP=$(awk '$1 == "BOOTSTRAP" {print $2}' "$WORK/cluster.out")
log "cluster ready at $BOOTSTRAP: $(tail -1 "$WORK/cluster.log" | sed 's/^.*\] //')"

# --- the exporter
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
{
  echo "web:"
  echo "  listen_address: \"127.0.0.1:$PORT\""
  echo "kafka:"
  echo "  servers: [$(sed 's/[^,]*/"&"/g; s/,/, /g' <<<"$BOOTSTRAP")]"
  echo "  cluster_name: bench"
  cat "$WORK/groups.yaml"
} >"$WORK/exporter.yaml"
"$EXPORTER" --config="$WORK/exporter.yaml" "${EXPORTER_FLAGS[@]}" >"$WORK/exporter.log" 2>&1 &
EXPORTER_PID=$!
log "exporter pid $EXPORTER_PID on $BASE ${EXPORTER_FLAGS[*]}"
exporter_ready() {
  kill -0 "$EXPORTER_PID" 2>/dev/null || die "the exporter exited: $(tail -5 "$WORK/exporter.log")"
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/readyz") == 200 ]]
}
wait_for 300 "the exporter's /readyz" exporter_ready
START_TIME=$SECONDS

# Collector self-metrics: lines "COLLECTOR DURATION LAST_SUCCESS" (success timestamp 0 if never).
# gzip'd like a Prometheus scrape, decoded by gzip.
collector_lines() {
  curl -s -H 'Accept-Encoding: gzip' --max-time 30 "$BASE/metrics" | gzip -dcf |
    awk '/^kafka_perf_exporter_collector_(duration_seconds|last_success_timestamp_seconds)\{/ {
           match($0, /collector="[^"]*"/); c = substr($0, RSTART + 11, RLENGTH - 12)
           if ($0 ~ /^kafka_perf_exporter_collector_duration/) d[c] = $2; else t[c] = $2
         }
         END { for (c in d) printf "%s %s %s\n", c, d[c], (c in t ? t[c] : 0) }'
}
# The collector whose end marks the end of a cycle: groups when there are groups, else offsets.
CYCLE_COLLECTOR=offsets
grep -q '"' "$WORK/groups.yaml" && CYCLE_COLLECTOR=groups
cycle_stamp() { collector_lines | awk -v c="$CYCLE_COLLECTOR" '$1 == c {print $3}'; }

log "warm-up: two collection cycles (marked by the $CYCLE_COLLECTOR collector)"
LAST=$(cycle_stamp)
for cycle in 1 2; do
  cycle_done() {
    local now
    now=$(cycle_stamp)
    kill -0 "$EXPORTER_PID" 2>/dev/null || die "the exporter exited: $(tail -5 "$WORK/exporter.log")"
    [[ -n $now && $now != "$LAST" && $now != 0 ]] && LAST=$now
  }
  wait_for 600 "collection cycle $cycle" cycle_done
done
if ((SETTLE > 0)); then
  log "settling for ${SETTLE}s (the governor's stretch reaches its steady state)"
  sleep "$SETTLE"
  kill -0 "$EXPORTER_PID" 2>/dev/null || die "the exporter exited while settling: $(tail -5 "$WORK/exporter.log")"
fi
WARMUP=$((SECONDS - START_TIME))

# Dies naming the phase if the exporter is gone (it crashes rather than exits: say how, and its last words).
alive() {
  kill -0 "$EXPORTER_PID" 2>/dev/null && return 0
  local status=0
  wait "$EXPORTER_PID" 2>/dev/null || status=$?
  EXPORTER_PID=""
  die "the exporter died during $1 (exit status $status$( ((status > 128)) && echo ", signal $((status - 128))")): $(tail -3 "$WORK/exporter.log")"
}

# --- measurement window: CPU and collection durations, one gzip'd scrape every 5 s
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { sed 's/^.*) //' "/proc/$EXPORTER_PID/stat" | awk '{print $12 + $13}'; }
status_kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$EXPORTER_PID/status"; }
# Kafka requests sent so far, per client/api (kafka_perf_exporter_requests_sent_total; absent from
# builds before it existed): lines "CLIENT/API COUNT".
requests_sent() {
  curl -s -H 'Accept-Encoding: gzip' --max-time 30 "$BASE/metrics" | gzip -dcf |
    awk '/^kafka_perf_exporter_requests_sent_total\{/ {
           match($0, /api="[^"]*"/); a = substr($0, RSTART + 5, RLENGTH - 6)
           match($0, /client="[^"]*"/); c = substr($0, RSTART + 8, RLENGTH - 9)
           n[c "/" a] += $NF
         }
         END { for (k in n) print k, n[k] }'
}
log "measuring for ${SECONDS_TO_MEASURE}s"
: >"$WORK/samples"
requests_sent >"$WORK/requests0"
T0=$(date +%s.%N)
CPU0=$(cpu_ticks)
END=$((SECONDS + SECONDS_TO_MEASURE))
while ((SECONDS < END)); do
  alive "the measurement window"
  collector_lines >>"$WORK/samples"
  left=$((END - SECONDS))
  sleep $((left < 5 ? (left > 0 ? left : 0) : 5))
done
alive "the measurement window"
CPU1=$(cpu_ticks)
T1=$(date +%s.%N)
requests_sent >"$WORK/requests1"
# Requests per minute over the window, in total and for the five busiest client/api pairs. The
# counters move once per statistics interval (collection.interval), so a short window is coarse.
REQUESTS=$(awk -v t0="$T0" -v t1="$T1" 'FILENAME == ARGV[1] { a[$1] = $2; next }
             { d = ($2 - a[$1]) * 60 / (t1 - t0); if (d > 0) { total += d; printf "%s %.0f\n", $1, d } }
             END { printf "TOTAL %.0f\n", total }' "$WORK/requests0" "$WORK/requests1" | sort -k2,2nr)
if [[ -s $WORK/requests1 ]]; then
  REQ_PER_MIN=$(awk '$1 == "TOTAL" {print $2}' <<<"$REQUESTS")
  REQ_DETAIL=$(awk '$1 != "TOTAL" && n++ < 5 {printf "%s%s %s", sep, $1, $2; sep = ", "}' <<<"$REQUESTS")
else
  REQ_PER_MIN="-"
  REQ_DETAIL="(no kafka_perf_exporter_requests_sent_total in this build)"
fi
RSS_KIB=$(status_kib VmRSS)
CPU_PCT=$(awk -v a="$CPU0" -v b="$CPU1" -v t0="$T0" -v t1="$T1" -v hz="$CLK_TCK" \
  'BEGIN { printf "%.1f", (b - a) / hz / (t1 - t0) * 100 }')
# Per collector: mean and max duration over the distinct runs seen (one per success timestamp).
durations() {
  awk -v c="$1" '$1 == c && !seen[$3]++ { n++; s += $2; if ($2 > m) m = $2 }
                 END { if (n) printf "%.1f/%.1f", s / n * 1000, m * 1000; else printf "-" }' "$WORK/samples"
}
DUR_METADATA=$(durations metadata)
DUR_OFFSETS=$(durations offsets)
DUR_GROUPS=$(durations groups)
RUNS=$(awk -v c="$CYCLE_COLLECTOR" '$1 == c && !seen[$3]++ { n++ } END { print n + 0 }' "$WORK/samples")

# --- series and body sizes
curl -s --max-time 30 -o "$WORK/metrics.txt" "$BASE/metrics"
SERIES=$(grep -cv '^#' "$WORK/metrics.txt" || true)
BYTES_PLAIN=$(stat -c %s "$WORK/metrics.txt")
BYTES_GZIP=$(curl -s --max-time 30 -H 'Accept-Encoding: gzip' -o - "$BASE/metrics" | wc -c)
# The CPU governor's own view, when the exporter has one.
GOVERNOR=$(awk '/^kafka_perf_exporter_(cpu_budget_cores|cpu_usage_cores|interval_stretch)[ {]/ {
                  sub(/^kafka_perf_exporter_/, ""); sub(/[{].*[}]/, ""); printf "%s%s=%s", sep, $1, $2; sep = ", " }' \
  "$WORK/metrics.txt")
TOP_FAMILIES=$(grep -v '^#' "$WORK/metrics.txt" | sed 's/[{ ].*//' | sort | uniq -c | sort -rn | head -5 |
  awk '{printf "%s%s=%s", (NR > 1 ? ", " : ""), $2, $1}')

# --- scrape latency under 20 concurrent scrapers
run_wrk() {  # prints "P50 P99 REQ_PER_S ERRORS"
  wrk -t2 -c20 -d10s --timeout 10s --latency "$@" "$BASE/metrics" >"$WORK/wrk.out" 2>&1 || true
  awk '/^ +50%/ {p50 = $2} /^ +99%/ {p99 = $2} /^Requests\/sec/ {rps = $2}
       /Non-2xx|Socket errors/ {err = err $0 ";"}
       END { printf "%s %s %.0f %s\n", p50 ? p50 : "-", p99 ? p99 : "-", rps, err ? "errors" : "ok" }' "$WORK/wrk.out"
  grep -E 'Non-2xx|Socket errors' "$WORK/wrk.out" >&2 || true
}
log "wrk: 20 connections, 10 s, plain"
read -r PLAIN_P50 PLAIN_P99 PLAIN_RPS PLAIN_ERR < <(run_wrk)
alive "wrk (plain)"
log "wrk: 20 connections, 10 s, gzip"
read -r GZIP_P50 GZIP_P99 GZIP_RPS GZIP_ERR < <(run_wrk -H 'Accept-Encoding: gzip')
alive "wrk (gzip)"
# Back to back, 20 connections measure how long a scrape waits for the 19 others (Little's law:
# latency = 20 / scrapes per second). Paced, they measure what 20 Prometheus servers would see.
log "wrk: 20 paced scrapers (each one scrape per 0.5-1.5 s), ${PACED} s, gzip"
read -r PACED_P50 PACED_P99 PACED_RPS PACED_ERR < <(run_wrk -d"${PACED}s" -s "$ROOT/bench/paced_scrapers.lua" -H 'Accept-Encoding: gzip')
alive "wrk (paced gzip)"
HWM_KIB=$(status_kib VmHWM)
THREADS=$(status_kib Threads)

# --- the exporter's complaints
WARNINGS=$(grep -ciE ' (warn|warning|error|critical) ' "$WORK/exporter.log" || true)
CLUSTER_WARNINGS=$(grep -ciE '\[(warning|error)\]' "$WORK/cluster.log" || true)

COMMIT=$(cat "$BUILD_DIR/bench-built-from" 2>/dev/null || echo unknown)
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
ROW="| $SCENARIO | ${CLUSTER[*]} | ${EXPORTER_FLAGS[*]:-(defaults)} | $SERIES | $CPU_PCT | $(mib "$RSS_KIB") | $(mib "$HWM_KIB") | $DUR_METADATA | $DUR_OFFSETS | $DUR_GROUPS | $PLAIN_P50 / $PLAIN_P99 | $GZIP_P50 / $GZIP_P99 | $PLAIN_RPS / $GZIP_RPS | $PACED_P50 / $PACED_P99 | $((BYTES_PLAIN / 1024)) / $((BYTES_GZIP / 1024)) | $REQ_PER_MIN | $COMMIT |"
HEADER="| scenario | cluster | exporter flags | series | CPU % of a core | RSS MiB | peak RSS MiB | metadata ms mean/max | offsets ms mean/max | groups ms mean/max | scrape p50 / p99 plain | scrape p50 / p99 gzip | scrapes/s plain / gzip | paced scrape p50 / p99 gzip | body KiB plain / gzip | Kafka requests/min | commit |"
SEP="|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"

cat <<EOF

== kafka-perf-exporter benchmark: $SCENARIO ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, built from $COMMIT)
load average:       $LOAD_BEFORE before the run, $(cut -d' ' -f1-3 /proc/loadavg) after
cluster:            ${CLUSTER_COMMON[*]} ${CLUSTER[*]}
exporter flags:     ${EXPORTER_FLAGS[*]:-(defaults)}
warm-up:            ${WARMUP}s (readiness + 2 cycles + ${SETTLE}s settling); measured ${SECONDS_TO_MEASURE}s, $RUNS cycles seen
CPU:                $CPU_PCT % of one core (utime+stime over the window, no load but one scrape / 5 s)
RSS:                $(mib "$RSS_KIB") MiB after the window, peak (VmHWM) $(mib "$HWM_KIB") MiB after wrk; $THREADS threads
governor:           ${GOVERNOR:-(no governor metrics)}
Kafka requests/min: ${REQ_PER_MIN} (${REQ_DETAIL:-none})
collection ms:      metadata $DUR_METADATA, offsets $DUR_OFFSETS, groups $DUR_GROUPS (mean/max over runs)
series:             $SERIES; largest families: $TOP_FAMILIES
body:               $BYTES_PLAIN bytes plain, $BYTES_GZIP gzip
scrapes, 20 conns:  plain p50 $PLAIN_P50 p99 $PLAIN_P99, $PLAIN_RPS/s ($PLAIN_ERR); gzip p50 $GZIP_P50 p99 $GZIP_P99, $GZIP_RPS/s ($GZIP_ERR) (back to back)
paced, 20 scrapers: gzip p50 $PACED_P50 p99 $PACED_P99, $PACED_RPS/s ($PACED_ERR) (each one scrape per 0.5-1.5 s, ${PACED} s)
exporter log:       $WARNINGS warning/error lines; cluster log: $CLUSTER_WARNINGS
EOF
if [[ $WARNINGS != 0 ]]; then
  echo "first distinct warnings/errors of the exporter:"
  grep -iE ' (warn|warning|error|critical) ' "$WORK/exporter.log" | sed -E 's/^[0-9T:.+-]+ //' | sort | uniq -c |
    sort -rn | head -5 | cut -c1-300
fi
echo
echo "$HEADER"
echo "$SEP"
echo "$ROW"
mkdir -p "$BUILD_DIR"
[[ -s $BUILD_DIR/results.md ]] || printf '%s\n%s\n' "$HEADER" "$SEP" >"$BUILD_DIR/results.md"
echo "$ROW" >>"$BUILD_DIR/results.md"
