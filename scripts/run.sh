#!/usr/bin/env bash
# Set-up command 1: install dependencies, build, and run the exporter. With no --kafka.server it watches
# an embedded demo cluster. Extra arguments go to the exporter, e.g.
#   ./scripts/run.sh --kafka.server=broker1:9092 --kafka.server=broker2:9092
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DKPE_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target kafka-perf-exporter -j"$(nproc)"
exec ./build/release/kafka-perf-exporter "$@"
