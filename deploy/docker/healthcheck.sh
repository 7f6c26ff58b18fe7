#!/bin/bash
# Health probe of the container image (Docker HEALTHCHECK): exits 0 when GET PATH on HOST:PORT answers
# 200, 1 otherwise. No curl or wget needed: bash's /dev/tcp.
#   kpe-healthcheck [HOST:PORT] [PATH]
# Defaults: $KPE_HEALTHCHECK_ADDRESS or 127.0.0.1:9308, and /healthz. Plain HTTP only.
set -uo pipefail
address=${1:-${KPE_HEALTHCHECK_ADDRESS:-127.0.0.1:9308}}
path=${2:-/healthz}
host=${address%:*}
port=${address##*:}
host=${host#[}
host=${host%]}
if [[ -z "$host" || -z "$port" || "$address" != *:* ]]; then
  echo "kpe-healthcheck: bad address '$address', want HOST:PORT" >&2
  exit 1
fi
if ! { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null; then
  echo "kpe-healthcheck: cannot connect to $address" >&2
  exit 1
fi
printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$address" >&3
status=""
IFS= read -r -t 4 status <&3 || true
status=${status%$'\r'}
if [[ "$status" =~ ^HTTP/1\.[01]\ 200([^0-9]|$) ]]; then
  exit 0
fi
echo "kpe-healthcheck: GET $path on $address answered '${status:-nothing}'" >&2
exit 1
