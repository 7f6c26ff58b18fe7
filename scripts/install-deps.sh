#!/usr/bin/env bash
# Installs the Debian 12 packages kafka-perf-exporter builds and tests with. Idempotent: does nothing
# when all are present. Run as root (or with sudo available).
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake pkg-config
  librdkafka-dev prometheus-cpp-dev libboost-dev libyaml-cpp-dev libspdlog-dev
  libcli11-dev libre2-dev zlib1g-dev libsimdjson-dev libssl-dev libcrypt-dev
  libxxhash-dev
)
TEST_PACKAGES=(googletest libgtest-dev libgmock-dev prometheus curl python3 python3-kafka python3-yaml yamllint wrk)
# fuzz/run.sh: clang and its libFuzzer runtime (libclang_rt.fuzzer is in libclang-rt-14-dev).
FUZZ_PACKAGES=(clang-14 clang libclang-rt-14-dev)

packages=("${BUILD_PACKAGES[@]}")
for arg in "$@"; do
  case "$arg" in
    --with-tests) packages+=("${TEST_PACKAGES[@]}") ;;
    --with-fuzz) packages+=("${FUZZ_PACKAGES[@]}") ;;
    *) echo "usage: $0 [--with-tests] [--with-fuzz]" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
