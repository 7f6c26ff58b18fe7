#!/usr/bin/env bash
# Self-test of the scriptable Kafka test broker (tests/testbroker) with an independent client (kafka-python).
# ctest runs: bash testbroker_selftest_test.sh <exporter-binary> <source-dir>; the exporter is not needed here.
set -euo pipefail
SRC=${2:?usage: $0 <exporter-binary> <source-dir>}
# Debian's python3 has python3-kafka; a python3 earlier on PATH (pyenv and the like) may not.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3)
if ! "$PY" -c 'import kafka' 2>/dev/null; then
  echo "FAIL: $PY cannot import kafka (install python3-kafka: scripts/install-deps.sh)" >&2
  exit 1
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
timeout 240 "$PY" "$SRC/tests/testbroker/selftest.py" </dev/null >"$out" 2>&1 || rc=$?
if [[ $rc != 0 ]]; then
  cat "$out" >&2
  echo "FAIL: testbroker selftest exited $rc" >&2
  exit 1
fi
tail -n 1 "$out"
echo "testbroker selftest: all checks passed"
