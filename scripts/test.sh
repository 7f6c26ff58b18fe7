#!/usr/bin/env bash
# Set-up command 2: install dependencies, build, and run the whole test suite (unit, integration against
# librdkafka's mock cluster and the test broker, system tests with Prometheus's promtool).
# KPE_SANITIZE=1 builds and runs everything under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --with-tests
build_dir=build/test
sanitize=OFF
if [[ "${KPE_SANITIZE:-0}" == "1" ]]; then
  build_dir=build/asan
  sanitize=ON
fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKPE_SANITIZE="$sanitize" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" --timeout 300
