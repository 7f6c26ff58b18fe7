# Helpers for the fault and load suites (tests/system/faults_*_test.sh, load_*_test.sh): a mock
# cluster in its own process driven through its control channel, timed scrapes with a bound, metric
# look-ups. Sourced after tests/system/lib.sh (which provides start_exporter, wait_for, fail, KPE_TMP).

# Every scrape must answer within this many seconds: a bound against hangs, not a performance target.
SCRAPE_BOUND=${KPE_SCRAPE_BOUND:-0.5}
SCRAPES=0          # scrapes made by scrape()
SCRAPE_MAX=0       # slowest of them, seconds
SCRAPE_FILE=""     # body of the latest scrape

# bench_cluster_binary: kpe-bench-cluster is built next to the exporter (bench/CMakeLists.txt).
bench_cluster_binary() {
  local bin
  bin="$(dirname "$EXPORTER")/kpe-bench-cluster"
  [[ -x "$bin" ]] || fail "kpe-bench-cluster not found next to the exporter ($bin); build target kpe-bench-cluster (KPE_BUILD_BENCH=ON)"
  echo "$bin"
}

# start_cluster ARGS...: starts kpe-bench-cluster with ARGS, its stdin a FIFO held open on fd 7 (the
# control channel; closing it stops the cluster), stdout to $KPE_TMP/cluster.out, stderr to
# $KPE_TMP/cluster.log. Waits for READY; sets BOOTSTRAP and CLUSTER_PID.
start_cluster() {
  local bin
  bin=$(bench_cluster_binary)
  mkfifo "$KPE_TMP/cluster.in"
  : >"$KPE_TMP/cluster.out"
  "$bin" "$@" <"$KPE_TMP/cluster.in" >"$KPE_TMP/cluster.out" 2>"$KPE_TMP/cluster.log" &
  CLUSTER_PID=$!
  KPE_PIDS+=("$CLUSTER_PID")
  exec 7>"$KPE_TMP/cluster.in"
  local deadline=$((SECONDS + 60))
  until grep -q '^READY$' "$KPE_TMP/cluster.out"; do
    ((SECONDS < deadline)) || fail "kpe-bench-cluster not READY within 60 s"
    kill -0 "$CLUSTER_PID" 2>/dev/null || fail "kpe-bench-cluster exited early"
    sleep 0.1
  done
  BOOTSTRAP=$(sed -n 's/^BOOTSTRAP //p' "$KPE_TMP/cluster.out")
  [[ -n "$BOOTSTRAP" ]] || fail "kpe-bench-cluster printed no BOOTSTRAP line"
}

# ctl COMMAND: sends one control command and waits for its answer; fails on ERR.
ctl() {
  local before answer deadline=$((SECONDS + 10))
  before=$(grep -cE '^(OK|ERR) ' "$KPE_TMP/cluster.out" || true)
  echo "$*" >&7
  until (($(grep -cE '^(OK|ERR) ' "$KPE_TMP/cluster.out" || true) > before)); do
    ((SECONDS < deadline)) || fail "control command '$*' unanswered within 10 s"
    sleep 0.05
  done
  answer=$(grep -E '^(OK|ERR) ' "$KPE_TMP/cluster.out" | sed -n "$((before + 1))p")
  [[ $answer == "OK $*" ]] || fail "control command '$*' answered: $answer"
}

# scrape [URL]: GETs /metrics into a fresh file (SCRAPE_FILE); fails unless it is a 200 within
# SCRAPE_BOUND seconds. Tracks SCRAPES and SCRAPE_MAX.
scrape() {
  local url=${1:-$KPE_URL/metrics} out code time
  SCRAPE_FILE="$KPE_TMP/scrape.$((SCRAPES % 2))"
  out=$(curl -s -m 10 -o "$SCRAPE_FILE" -w '%{http_code} %{time_total}' "$url") || true
  code=${out%% *}
  time=${out##* }
  SCRAPES=$((SCRAPES + 1))
  [[ $code == 200 ]] || fail "scrape $SCRAPES of $url answered '$code' after ${time}s"
  awk -v t="$time" -v m="$SCRAPE_MAX" 'BEGIN { exit !(t > m) }' && SCRAPE_MAX=$time
  awk -v t="$time" -v b="$SCRAPE_BOUND" 'BEGIN { exit !(t < b) }' ||
    fail "scrape $SCRAPES of $url took ${time}s (bound ${SCRAPE_BOUND}s)"
  return 0
}

# metric NAME [LABEL_RE]: the value of the first sample of NAME (whose labels match LABEL_RE) in the
# latest scrape; empty when absent.
metric() {
  local name=$1 labels=${2:-}
  awk -v n="$name" -v l="$labels" '
    /^#/ { next }
    {
      split($0, parts, " "); key = parts[1]; base = key; sub(/\{.*/, "", base)
      if (base != n) next
      if (l != "" && key !~ l) next
      print parts[2]; exit
    }' "$SCRAPE_FILE"
}

# count_series NAME [LABEL_RE]: samples of NAME (matching LABEL_RE) in the latest scrape.
count_series() {
  local name=$1 labels=${2:-}
  awk -v n="$name" -v l="$labels" '
    /^#/ { next }
    { key = $1; base = key; sub(/\{.*/, "", base); if (base == n && (l == "" || key ~ l)) c++ }
    END { print c + 0 }' "$SCRAPE_FILE"
}

# is EXPR: awk-evaluates a numeric comparison, e.g. is "$(metric kafka_up) == 1".
is() { awk "BEGIN { exit !($*) }"; }

# scrape_until DESCRIPTION SECONDS CONDITION...: scrapes (each bounded, see scrape) every 0.2 s until the
# shell CONDITION (evaluated with eval, after each scrape) holds; fails after SECONDS. Sets WAITED to the
# seconds it took (float).
scrape_until() {
  local what=$1 seconds=$2; shift 2
  local start now
  start=$(date +%s.%N)
  while :; do
    scrape
    if eval "$*"; then
      now=$(date +%s.%N)
      WAITED=$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
      return 0
    fi
    now=$(date +%s.%N)
    is "$now - $start > $seconds" && fail "not within ${seconds}s: $what (last scrape: $(grep -E '^kafka_(up|perf_exporter_(stale_partitions|collector_success|data_age_seconds))' "$SCRAPE_FILE" | tr '\n' ' '))"
    sleep 0.2
  done
}

# scrape_for SECONDS CONDITION...: scrapes every 0.2 s for SECONDS, failing as soon as CONDITION does not
# hold after a scrape (an invariant while a fault lasts).
scrape_for() {
  local seconds=$1; shift
  local end
  end=$(awk -v s="$seconds" -v n="$(date +%s.%N)" 'BEGIN { printf "%.3f", n + s }')
  while is "$(date +%s.%N) < $end"; do
    scrape
    eval "$*" || fail "invariant broken after scrape $SCRAPES: $* (last scrape: $(grep -E '^kafka_(up|perf_exporter_(stale_partitions|collector_success|data_age_seconds))' "$SCRAPE_FILE" | tr '\n' ' '))"
    sleep 0.2
  done
}

# step MESSAGE: a progress line, with the elapsed time.
step() { echo "[$(printf '%3d' "$SECONDS")s] $*"; }

# faults_exporter_config FILE BOOTSTRAP GROUPS_YAML: the exporter config of the fault suites: 1 s ticks,
# 500 ms request deadline, 1 s reconnect backoff, no CPU governor (its stretch would make "within two
# intervals" meaningless), no adaptive sampling (every topic fresh every tick), metadata cached 5 s.
faults_exporter_config() {
  {
    echo "kafka: {servers: \"$2\", cluster_name: faults}"
    echo "collection: {interval: 1s, timeout: 500ms, max_backoff: 1s, cpu_budget: 0, adaptive_sampling: false, metadata_ttl: 5s}"
    [[ -n ${3:-} ]] && cat "$3"
  } >"$1"
}

# Reconnecting to a broker that was down waits for librdkafka's reconnect backoff, which the exporter
# caps at reconnect.backoff.max.ms = 10 s (src/kafka/handle.cpp) whatever collection.interval is, and
# librdkafka adds up to +50% jitter; so "fresh within two intervals" after an outage is bounded by
# 2 intervals + 15 s here (measured: 4-9 s after the broker is back).
RECOVERY_BOUND=${KPE_RECOVERY_BOUND:-17}
