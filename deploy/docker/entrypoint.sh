#!/bin/sh
# Entrypoint of the container image: runs the exporter with --config=$KPE_CONFIG (default
# /etc/kafka-perf-exporter/config.yaml) when that file exists and the arguments name no --config of
# their own; the arguments follow as flags (a flag overrides the file). exec: the exporter is PID 1 and
# gets SIGTERM (stop) and SIGHUP (reload) directly.
set -eu
binary=${KPE_BINARY:-/usr/local/bin/kafka-perf-exporter}
config=${KPE_CONFIG:-/etc/kafka-perf-exporter/config.yaml}
for arg in "$@"; do
  case $arg in
    --config | --config=*) exec "$binary" "$@" ;;
  esac
done
if [ -e "$config" ]; then
  exec "$binary" --config="$config" "$@"
fi
exec "$binary" "$@"
