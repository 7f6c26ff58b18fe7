#!/usr/bin/env bash
# Bad flags and bad config files: clear messages naming what and where, the documented exit codes.
set -euo pipefail
EXPORTER=$1
SRC=$2
source "$(dirname "$0")/lib.sh"

expect_exit() {  # expect_exit CODE PATTERN ARGS...
  local want=$1 pattern=$2; shift 2
  local out rc=0
  out=$("$EXPORTER" "$@" 2>&1) || rc=$?
  [[ $rc == "$want" ]] || fail "'$*' exited $rc, want $want; output: $out"
  grep -qE -- "$pattern" <<<"$out" || fail "'$*' output lacks /$pattern/: $out"
}

expect_exit 0 'kafka.server' --help
expect_exit 0 '^kafka-perf-exporter [0-9]+\.[0-9]+\.[0-9]+' --version
expect_exit 2 'no-such-flag' --no-such-flag
expect_exit 2 'log.format' --log.format=xml
cat >"$KPE_TMP/bad.yaml" <<'YAML'
web:
  listen_address: ":9308"
collection:
  intervall: 15s
YAML
expect_exit 1 'bad.yaml:4:3.*collection.intervall' --config="$KPE_TMP/bad.yaml"
printf 'topics:\n  filter: "(unclosed"\n' >"$KPE_TMP/regex.yaml"
expect_exit 1 'regex.yaml:2:11.*topics.filter' --config="$KPE_TMP/regex.yaml"
expect_exit 1 'cannot read config file' --config="$KPE_TMP/missing.yaml"
printf 'metrics:\n  topic_granularity: [kafka_no_such_family]\n' >"$KPE_TMP/family.yaml"
expect_exit 1 'metrics.topic_granularity: unknown metric family "kafka_no_such_family"' \
  --config="$KPE_TMP/family.yaml" --kafka.server=127.0.0.1:1 --web.listen-address=127.0.0.1:0
# The shipped example config is valid (checked without starting: --help after it still exits 0 would
# not load it, so load it for real on a port that is free and stop at once).
"$EXPORTER" --config="$SRC/config/kafka-perf-exporter.yaml" --kafka.server=127.0.0.1:1 \
  --web.listen-address=127.0.0.1:0 >"$KPE_TMP/example.log" 2>&1 &
pid=$!
KPE_PIDS+=($pid)
wait_for "example config to start serving" 10 grep -q "serving on" "$KPE_TMP/example.log"
echo "usage_errors: all checks passed"
