#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build/fuzz) and runs each for SECONDS (default 180), one
# after another, starting from its kept corpus fuzz/corpus/<name>/; then merges the corpus with what
# the run found (libFuzzer -merge=1 -use_counters=0: only inputs that add an edge, which keeps the
# corpus small) back into fuzz/corpus/<name>/.
# Crash inputs are written to build/fuzz/artifacts/. Usage: fuzz/run.sh [SECONDS] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then targets=(config web_config stats http_request); fi

bash scripts/install-deps.sh --with-fuzz
CC=clang CXX=clang++ cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKPE_FUZZ=ON \
  -DKPE_BUILD_TESTS=OFF -DKPE_BUILD_BENCH=OFF >/dev/null
cmake --build build/fuzz -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
mkdir -p build/fuzz/artifacts

for name in "${targets[@]}"; do
  fuzzer=build/fuzz/fuzz/fuzz_$name
  corpus=fuzz/corpus/$name
  found=$(mktemp -d)
  merged=$(mktemp -d)
  mkdir -p "$corpus"
  # New inputs go to the first folder; the kept corpus is read, not written.
  "$fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build/fuzz/artifacts/$name-" "$found" "$corpus" 2>&1 | tee "build/fuzz/$name.log" |
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)' || true
  "$fuzzer" -merge=1 -use_counters=0 -max_len=65536 "$merged" "$corpus" "$found" >"build/fuzz/$name-merge.log" 2>&1
  rm -f "$corpus"/*
  cp "$merged"/* "$corpus"/
  echo "$name: $(ls "$corpus" | wc -l) inputs, $(du -sk "$corpus" | cut -f1) KiB kept"
  rm -rf "$found" "$merged"
done
