#!/usr/bin/env bash
# Soak test of the exporter against kpe-bench-cluster with churn. Not a test: ctest never runs it; see
# bench/README.md ("Soak").
#
#   bench/soak.sh [--minutes N] [--warmup-minutes W] [--build-dir DIR] [--no-build] [-- EXPORTER_FLAGS...]
#
# Starts the bench cluster (3 brokers, 20 topics x 6 partitions, 30 groups on 2 topics each, 200
# records/s, commits every 5 s) and the exporter (collection.interval 5s, CPU governor off so the work
# per tick stays constant), scrapes /metrics gzip'd every 5 s as a Prometheus would, and drives churn
# through the cluster's control channel:
#   every 60 s   a new topic churn-<n> (3 partitions), and churn-<n-3> "deleted" (Metadata answers
#                UNKNOWN_TOPIC_OR_PART for it), so the number of topics stays bounded;
#   every 120 s  one broker down for 10 s, then up (brokers 1, 2, 3 in turn);
#   every 300 s  every group stops committing for 60 s, then resumes;
#   every 180 s  OffsetFetch answers NOT_COORDINATOR for 20 s (a group coordinator moving).
# Every 30 s it samples the exporter's RSS (VmRSS), open fds (/proc/PID/fd), threads and series, into
# samples.tsv. At the end it reports RSS drift after warm-up (last 5 samples' mean vs the first 5 after
# warm-up), fd and thread ranges after warm-up, scrape failures, and whether the exporter survived.
# Exit 0 when the exporter survived and every scrape answered; 1 otherwise.
set -euo pipefail

MINUTES=60
WARMUP=5
BUILD=1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=$ROOT/build/bench
EXPORTER_FLAGS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --minutes) MINUTES=${2:?}; shift 2 ;;
    --warmup-minutes) WARMUP=${2:?}; shift 2 ;;
    --build-dir) BUILD_DIR=$(cd "${2:?}" && pwd); shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --) shift; EXPORTER_FLAGS=("$@"); break ;;
    *) echo "usage: bench/soak.sh [--minutes N] [--warmup-minutes W] [--build-dir DIR] [--no-build] [-- EXPORTER_FLAGS...]" >&2; exit 2 ;;
  esac
done
[[ $MINUTES =~ ^[0-9]+$ && $WARMUP =~ ^[0-9]+$ && $MINUTES -gt $WARMUP ]] ||
  { echo "--minutes and --warmup-minutes must be whole numbers, minutes > warm-up" >&2; exit 2; }

log() { echo "[soak $(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ $BUILD == 1 ]]; then
  log "building (Release) in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_DIR" --target kafka-perf-exporter kpe-bench-cluster -j2 >/dev/null
fi
EXPORTER=$BUILD_DIR/kafka-perf-exporter
CLUSTER=$BUILD_DIR/kpe-bench-cluster
[[ -x $EXPORTER && -x $CLUSTER ]] || die "no exporter or kpe-bench-cluster in $BUILD_DIR"

WORK=$(mktemp -d /tmp/kpe-soak.XXXXXX)
PIDS=()
cleanup() {
  exec 7>&- 2>/dev/null || true
  for pid in "${PIDS[@]:-}"; do [[ -n $pid ]] && kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do [[ -n $pid ]] && wait "$pid" 2>/dev/null || true; done
  log "work directory (logs, samples.tsv): $WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkfifo "$WORK/cluster.in"
"$CLUSTER" --brokers 3 --topics 20 --partitions 6 --groups 30 --topics-per-group 2 --produce-rate 200 \
  --commit-interval 5 --groups-file "$WORK/groups.yaml" <"$WORK/cluster.in" >"$WORK/cluster.out" 2>"$WORK/cluster.log" &
PIDS+=($!)
exec 7>"$WORK/cluster.in"
deadline=$((SECONDS + 120))
until grep -q '^READY$' "$WORK/cluster.out"; do
  ((SECONDS < deadline)) || die "cluster not READY in 120 s"
  sleep 0.2
done
BOOTSTRAP=$(sed -n 's/^BOOTSTRAP //p' "$WORK/cluster.out")
ctl() {
  echo "$*" >&7
  echo "$(date +%s) $*" >>"$WORK/churn.log"
}

{
  echo "kafka: {servers: \"$BOOTSTRAP\", cluster_name: soak}"
  echo "collection: {interval: 5s, timeout: 2s, cpu_budget: 0}"
  cat "$WORK/groups.yaml"
} >"$WORK/exporter.yaml"
"$EXPORTER" --config="$WORK/exporter.yaml" --web.listen-address=127.0.0.1:0 "${EXPORTER_FLAGS[@]}" >"$WORK/exporter.log" 2>&1 &
EXPORTER_PID=$!
PIDS+=("$EXPORTER_PID")
deadline=$((SECONDS + 30))
until PORT=$(grep -oE 'serving on http://127\.0\.0\.1:[0-9]+' "$WORK/exporter.log" 2>/dev/null | grep -oE '[0-9]+$'); do
  ((SECONDS < deadline)) || die "exporter did not start"
  sleep 0.2
done
URL=http://127.0.0.1:$PORT
log "cluster $BOOTSTRAP, exporter $URL (pid $EXPORTER_PID), ${MINUTES} min, warm-up ${WARMUP} min"

# Scraper: gzip'd every 5 s; counts failures (non-200 or over 10 s).
(
  ok=0 failed=0
  while kill -0 "$EXPORTER_PID" 2>/dev/null; do
    code=$(curl -s -m 10 -H 'Accept-Encoding: gzip' -o /dev/null -w '%{http_code}' "$URL/metrics" || true)
    if [[ $code == 200 ]]; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
    echo "$ok $failed" >"$WORK/scrapes"
    sleep 5
  done
) &
PIDS+=($!)

printf 'elapsed_s\trss_kib\tfds\tthreads\tseries\tkafka_up\n' >"$WORK/samples.tsv"
sample() {
  local rss threads fds series up
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$EXPORTER_PID/status")
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$EXPORTER_PID/status")
  fds=$(find "/proc/$EXPORTER_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
  curl -s -m 10 "$URL/metrics" -o "$WORK/metrics.txt" || true
  series=$(grep -cv '^#' "$WORK/metrics.txt" || true)
  up=$(awk '/^kafka_up\{/ {print $2}' "$WORK/metrics.txt")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$rss" "$fds" "$threads" "$series" "${up:-?}" >>"$WORK/samples.tsv"
}

start=$SECONDS
end=$((start + MINUTES * 60))
topic=0
flap_broker=0
while ((SECONDS < end)); do
  kill -0 "$EXPORTER_PID" 2>/dev/null || break
  t=$((SECONDS - start))
  ((t % 30 == 0)) && sample "$t"
  if ((t % 60 == 0)); then
    ctl "create-topic churn-$topic 3"
    ((topic >= 3)) && ctl "topic-error churn-$((topic - 3)) UNKNOWN_TOPIC_OR_PART"
    topic=$((topic + 1))
  fi
  if ((t % 120 == 60)); then
    flap_broker=$((flap_broker % 3 + 1))
    ctl "down $flap_broker"
  fi
  ((t % 120 == 70)) && ctl "up $flap_broker"
  ((t % 300 == 150)) && ctl "commits off"
  ((t % 300 == 210)) && ctl "commits on"
  ((t % 180 == 100)) && ctl "errors OffsetFetch 1000000 NOT_COORDINATOR"
  ((t % 180 == 120)) && ctl "clear-errors OffsetFetch"
  while ((SECONDS - start == t)); do sleep 0.2; done  # one tick per second
done

ctl "up 1"; ctl "up 2"; ctl "up 3"; ctl "commits on"; ctl "clear-errors OffsetFetch"
alive=1
kill -0 "$EXPORTER_PID" 2>/dev/null || alive=0
read -r scrapes_ok scrapes_failed <"$WORK/scrapes" || { scrapes_ok=0; scrapes_failed=0; }
ran=$((SECONDS - start))
errs=$(grep -c '^ERR' "$WORK/cluster.out" || true)

awk -v warm=$((WARMUP * 60)) -F'\t' '
  NR == 1 { next }
  $1 >= warm { n++; rss[n] = $2; fd[n] = $3; th[n] = $4; se[n] = $5 }
  END {
    if (n < 10) { print "too few samples after warm-up (" n ")"; exit }
    for (i = 1; i <= 5; i++) { a += rss[i]; b += rss[n - 5 + i] }
    a /= 5; b /= 5
    fmin = fmax = fd[1]; tmin = tmax = th[1]; smin = smax = se[1]; rmax = rss[1]
    for (i = 1; i <= n; i++) {
      if (fd[i] < fmin) fmin = fd[i]; if (fd[i] > fmax) fmax = fd[i]
      if (th[i] < tmin) tmin = th[i]; if (th[i] > tmax) tmax = th[i]
      if (se[i] < smin) smin = se[i]; if (se[i] > smax) smax = se[i]
      if (rss[i] > rmax) rmax = rss[i]
    }
    printf "samples after warm-up: %d\n", n
    printf "RSS after warm-up (mean of first 5): %.1f MiB; at the end (mean of last 5): %.1f MiB; drift %+.1f%%; max %.1f MiB\n", a / 1024, b / 1024, (b - a) / a * 100, rmax / 1024
    printf "fds after warm-up: %d..%d (first %d, last %d)\n", fmin, fmax, fd[1], fd[n]
    printf "threads after warm-up: %d..%d (first %d, last %d)\n", tmin, tmax, th[1], th[n]
    printf "series after warm-up: %d..%d\n", smin, smax
  }' "$WORK/samples.tsv" | tee "$WORK/report.txt"
{
  echo "ran ${ran} s of ${MINUTES} min; exporter survived: $([[ $alive == 1 ]] && echo yes || echo NO)"
  echo "scrapes: $scrapes_ok ok, $scrapes_failed failed; control commands refused: $errs"
  echo "exporter warnings/errors (distinct, first 10):"
  grep -E ' (warning|error) ' "$WORK/exporter.log" | sed -E 's/^[^ ]+ //; s/[0-9]+ ms/N ms/g' | sort | uniq -c | sort -rn | head -10
} | tee -a "$WORK/report.txt"
[[ $alive == 1 && $scrapes_failed == 0 ]] || { log "FAILED: exporter died or scrapes failed"; tail -n 30 "$WORK/exporter.log" >&2; exit 1; }
