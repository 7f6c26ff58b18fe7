#!/usr/bin/env bash
# The Dockerfile, checked without a Docker engine (tests/deploy/check_dockerfile.py: COPY sources,
# .dockerignore, Debian 12 stages, non-root, EXPOSE 9308, HEALTHCHECK, runtime packages against the
# built binary's ldd), CMake configuring from the build stage's files, the checker's failures on broken
# copies of it, and the image's entrypoint and health probe run here against the real exporter.
set -euo pipefail
EXPORTER=$1
SRC=$2
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
CHECK="$SRC/tests/deploy/check_dockerfile.py"

out=$("$PY" "$CHECK" "$SRC" "$EXPORTER" 2>&1) || fail "check_dockerfile.py found problems:
$out"
grep -E '^(SKIP|FAIL)' <<<"$out" || true

# The build stage's COPY set is enough for CMake: lay it out as the stage sees it and configure with the
# Dockerfile's flags (the checker above asserts the Dockerfile uses them).
"$PY" "$CHECK" --build-context "$KPE_TMP/context" "$SRC" || fail "cannot lay out the build stage's context"
cmake -S "$KPE_TMP/context" -B "$KPE_TMP/context/build" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release -DKPE_BUILD_TESTS=OFF \
  -DKPE_BUILD_BENCH=OFF >"$KPE_TMP/cmake.log" 2>&1 ||
  fail "CMake cannot configure from the files the build stage copies: $(tail -n 20 "$KPE_TMP/cmake.log")"
grep -q 'kafka-perf-exporter' "$KPE_TMP/context/build/Makefile" || fail "the configured build has no kafka-perf-exporter target"

# The checker fails on a broken Dockerfile, naming the problem: each case is a copy of the repository's
# Dockerfile and .dockerignore with one change, next to links to the rest of the repository.
broken_case() {  # broken_case NAME EXPECTED_PATTERN SED_SCRIPT [DOCKERIGNORE_SED_SCRIPT]
  local name=$1 pattern=$2 dockerfile_sed=$3 ignore_sed=${4:-}
  local dir="$KPE_TMP/broken-$name"
  mkdir -p "$dir"
  for entry in CMakeLists.txt src scripts config deploy; do ln -s "$SRC/$entry" "$dir/$entry"; done
  sed -e "$dockerfile_sed" "$SRC/Dockerfile" >"$dir/Dockerfile"
  sed -e "${ignore_sed:-}" "$SRC/.dockerignore" >"$dir/.dockerignore"
  cmp -s "$dir/Dockerfile" "$SRC/Dockerfile" && cmp -s "$dir/.dockerignore" "$SRC/.dockerignore" &&
    fail "broken case $name changed nothing"
  local rc=0 result
  result=$("$PY" "$CHECK" "$dir" "$EXPORTER" 2>&1) || rc=$?
  [[ $rc == 1 ]] || fail "broken case $name: checker exited $rc, want 1; output: $result"
  grep -qE -- "$pattern" <<<"$result" || fail "broken case $name: output lacks /$pattern/: $result"
}
broken_case missing-copy-source 'source .deploy/docker/nope.sh. does not exist' \
  's#^COPY deploy/docker/healthcheck.sh#COPY deploy/docker/nope.sh#'
broken_case ignored-copy-source "source 'src/': .dockerignore excludes src/" '' '/^!src\/$/d'
broken_case root-user 'USER 0:0 is root' 's/^USER .*/USER 0:0/'
broken_case named-user 'use a numeric uid' 's/^USER .*/USER kpe/'
broken_case no-user 'no USER' '/^USER /d'
broken_case no-expose 'exposes 9308 \(EXPOSE none\)' '/^EXPOSE /d'
broken_case no-healthcheck 'no HEALTHCHECK' '/^HEALTHCHECK /d'
broken_case not-debian-12 "base image 'debian:11-slim' is not Debian 12" 's/^FROM debian:bookworm-slim/FROM debian:11-slim/'
broken_case dev-package-in-runtime 'installs build packages: librdkafka-dev' 's/^      librdkafka1 \\$/      librdkafka-dev \\/'
broken_case tests-built 'turns the tests off' 's/-DKPE_BUILD_TESTS=OFF/-DKPE_BUILD_TESTS=ON/'
broken_case missing-runtime-library 'libre2.so.9: the binary links it directly; add its package libre2-9' '/^      libre2-9 \\$/d'
if compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  broken_case unknown-package "package 'libnosuchlibrary7' of the final stage is not in Debian 12" \
    's/^      libfmt9 \\$/      libfmt9 libnosuchlibrary7 \\/'
else
  echo "SKIP: no apt lists here (apt-get update): not checking that an unknown package is refused"
fi

# Entrypoint: --config=$KPE_CONFIG when that file exists and the arguments name no --config.
ENTRYPOINT="$SRC/deploy/docker/entrypoint.sh"
printf '#!/bin/sh\nprintf "%%s\\n" "$@"\n' >"$KPE_TMP/print-args"
chmod +x "$KPE_TMP/print-args"
: >"$KPE_TMP/config.yaml"
entry() { KPE_BINARY="$KPE_TMP/print-args" KPE_CONFIG=$1 sh "$ENTRYPOINT" "${@:2}" | paste -sd ' ' -; }
[[ $(entry "$KPE_TMP/config.yaml") == "--config=$KPE_TMP/config.yaml" ]] ||
  fail "entrypoint with a config file and no arguments ran: $(entry "$KPE_TMP/config.yaml")"
[[ $(entry "$KPE_TMP/config.yaml" --kafka.server=b:9092 --log.level=debug) == "--config=$KPE_TMP/config.yaml --kafka.server=b:9092 --log.level=debug" ]] ||
  fail "entrypoint did not put the flags after --config: $(entry "$KPE_TMP/config.yaml" --kafka.server=b:9092 --log.level=debug)"
[[ $(entry "$KPE_TMP/absent.yaml" --kafka.server=b:9092) == "--kafka.server=b:9092" ]] ||
  fail "entrypoint without a config file ran: $(entry "$KPE_TMP/absent.yaml" --kafka.server=b:9092)"
[[ $(entry "$KPE_TMP/config.yaml" --config=/other.yaml) == "--config=/other.yaml" ]] ||
  fail "entrypoint added a second --config to --config=/other.yaml: $(entry "$KPE_TMP/config.yaml" --config=/other.yaml)"
[[ $(entry "$KPE_TMP/config.yaml" --config /other.yaml) == "--config /other.yaml" ]] ||
  fail "entrypoint added a second --config to '--config /other.yaml': $(entry "$KPE_TMP/config.yaml" --config /other.yaml)"
# ... and with the real exporter: a bad mounted config is reported with its path and line.
printf 'collection:\n  intervall: 15s\n' >"$KPE_TMP/bad.yaml"
rc=0
out=$(KPE_BINARY="$EXPORTER" KPE_CONFIG="$KPE_TMP/bad.yaml" sh "$ENTRYPOINT" --web.listen-address=127.0.0.1:0 2>&1) || rc=$?
[[ $rc == 1 ]] && grep -q 'bad.yaml:2:3.*collection.intervall' <<<"$out" ||
  fail "entrypoint with a bad config: exit $rc, want 1 naming bad.yaml:2:3; output: $out"

# Health probe: 0 on /healthz of a running exporter, 1 on a non-200 answer, a closed port, a bad address.
HEALTHCHECK="$SRC/deploy/docker/healthcheck.sh"
: >"$KPE_TMP/probe.log"  # start_exporter may read it before the background exporter creates it
start_exporter probe --kafka.server=127.0.0.1:1
address=${KPE_URL#http://}
bash "$HEALTHCHECK" "$address" || fail "healthcheck on $address/healthz of a running exporter failed"
KPE_HEALTHCHECK_ADDRESS=$address bash "$HEALTHCHECK" || fail "healthcheck with KPE_HEALTHCHECK_ADDRESS=$address failed"
rc=0
out=$(bash "$HEALTHCHECK" "$address" /readyz 2>&1) || rc=$?  # never collected: 503
[[ $rc == 1 ]] && grep -q "answered 'HTTP/1.1 503" <<<"$out" || fail "healthcheck on /readyz (503): exit $rc; output: $out"
rc=0
out=$(bash "$HEALTHCHECK" "$address" /no-such-path 2>&1) || rc=$?
[[ $rc == 1 ]] && grep -q "answered 'HTTP/1.1 404" <<<"$out" || fail "healthcheck on a 404: exit $rc; output: $out"
kill -KILL "${KPE_PIDS[-1]}" && wait "${KPE_PIDS[-1]}" 2>/dev/null || true
rc=0
out=$(bash "$HEALTHCHECK" "$address" 2>&1) || rc=$?
[[ $rc == 1 ]] && grep -q "cannot connect to $address" <<<"$out" || fail "healthcheck on a closed port: exit $rc; output: $out"
rc=0
out=$(bash "$HEALTHCHECK" no-port 2>&1) || rc=$?
[[ $rc == 1 ]] && grep -q "bad address 'no-port'" <<<"$out" || fail "healthcheck on a bad address: exit $rc; output: $out"
echo "deploy_docker: all checks passed"
