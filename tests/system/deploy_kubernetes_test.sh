#!/usr/bin/env bash
# deploy/kubernetes: the manifests fit together and fit the exporter (tests/deploy/check_manifests.py),
# the exporter loads the configs the ConfigMaps mount, and prometheusrule.yaml is what
# generate-prometheusrule.sh makes of alerts/ today (its rules pass promtool); the generator's errors.
set -euo pipefail
EXPORTER=$1
SRC=$2
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
GENERATE="$SRC/deploy/kubernetes/generate-prometheusrule.sh"

mkdir -p "$KPE_TMP/configs"
out=$("$PY" "$SRC/tests/deploy/check_manifests.py" "$SRC" "$KPE_TMP/configs" 2>&1) ||
  fail "check_manifests.py found problems:
$out"

# The checker fails on broken copies of the manifests, naming the problem.
broken_manifest() {  # NAME FILE SED_SCRIPT PATTERN
  local dir="$KPE_TMP/broken-$1" rc=0 result
  mkdir -p "$dir/deploy"
  cp -r "$SRC/deploy/kubernetes" "$dir/deploy/kubernetes"
  ln -s "$SRC/Dockerfile" "$dir/Dockerfile"
  sed -i -e "$3" "$dir/deploy/kubernetes/$2"
  cmp -s "$dir/deploy/kubernetes/$2" "$SRC/deploy/kubernetes/$2" && fail "broken case $1 changed nothing"
  result=$("$PY" "$SRC/tests/deploy/check_manifests.py" "$dir" 2>&1) || rc=$?
  [[ $rc == 1 ]] || fail "broken case $1: checker exited $rc, want 1; output: $result"
  grep -qF -- "$4" <<<"$(grep '^FAIL' <<<"$result")" || fail "broken case $1: failures lack '$4': $result"
}
broken_manifest service-selector service.yaml '/^  selector:/,/^  ports:/s/instance: kafka-perf-exporter/instance: other/' \
  "Service kafka-perf-exporter: selector"
broken_manifest servicemonitor-selector servicemonitor.yaml 's/instance: kafka-perf-exporter$/instance: other/' \
  "ServiceMonitor kafka-perf-exporter: selector"
broken_manifest podmonitor-selector podmonitor.yaml '/matchLabels:/,$s/name: kafka-perf-exporter/name: other/' \
  "PodMonitor kafka-perf-exporter: selector"
broken_manifest deployment-selector deployment.yaml '/matchLabels:/,/template:/s/name: kafka-perf-exporter/name: other/' \
  "Deployment kafka-perf-exporter: selector matches its pod labels"
broken_manifest readiness-path deployment.yaml 's#path: /readyz#path: /healthz#' "readinessProbe GET /readyz"
broken_manifest liveness-port deployment.yaml '0,/port: metrics/s/port: metrics/port: 8080/' "livenessProbe GET /healthz"
broken_manifest port-name deployment.yaml 's/- name: metrics/- name: http/' "port \`metrics\` is TCP 9308"
broken_manifest writable-root deployment.yaml '/readOnlyRootFilesystem/d' "readOnlyRootFilesystem"
broken_manifest escalation deployment.yaml 's/allowPrivilegeEscalation: false/allowPrivilegeEscalation: true/' \
  "allowPrivilegeEscalation false"
broken_manifest capabilities deployment.yaml 's/drop: \["ALL"\]/drop: ["NET_RAW"]/' "capabilities drop ALL"
broken_manifest root-user deployment.yaml 's/runAsUser: 10001/runAsUser: 0/' "runAsUser 0 is the image's non-root user 10001"
broken_manifest no-limits deployment.yaml '/limits:/,+1d' "limits memory"
broken_manifest config-path deployment.yaml 's#--config=/etc/kafka-perf-exporter/config.yaml#--config=/etc/kpe.yaml#' \
  "--config=/etc/kpe.yaml is a mounted ConfigMap key"
broken_manifest configmap-key configmap.yaml 's/^  config.yaml: |/  exporter.yaml: |/' "has key config.yaml"
broken_manifest listen-port configmap.yaml 's/listen_address: ":9308"/listen_address: ":9090"/' "listens on 9308 (got 9090)"
broken_manifest telemetry-path servicemonitor.yaml 's#path: /metrics#path: /prometheus#' "scrapes /metrics"
broken_manifest servicemonitor-port servicemonitor.yaml 's/- port: metrics/- port: web/' "scrapes port \`metrics\`"
broken_manifest both-monitors kustomization.yaml 's/  - servicemonitor.yaml/  - servicemonitor.yaml\n  - podmonitor.yaml/' \
  "not both"
broken_manifest shard-count sharded/statefulset.yaml 's/--shard.count=3/--shard.count=2/' \
  "--shard.count is the replica count 3 (has ['2'])"
broken_manifest shard-index sharded/statefulset.yaml 's/--shard.index=auto/--shard.index=0/' \
  "runs with --shard.index=auto (has ['0'])"
broken_manifest shard-service sharded/service.yaml 's/clusterIP: None/clusterIP: 10.0.0.1/' \
  "serviceName kafka-perf-exporter-sharded is a headless Service"
broken_manifest stats-url sidecar/deployment.yaml 's#localhost:9308/api#localhost:9309/api#' \
  "posts statistics to http://localhost:9308/api/v1/librdkafka/stats"

# Every mounted config loads in the real exporter (brokers and address overridden: nothing to reach).
configs=("$KPE_TMP"/configs/*.yaml)
((${#configs[@]} >= 3)) || fail "want the configs of the standalone, sidecar and sharded exporters, got: ${configs[*]}"
for config in "${configs[@]}"; do
  name=$(basename "$config" .yaml)
  : >"$KPE_TMP/$name.log"  # start_exporter may read it before the background exporter creates it
  start_exporter "$name" --config="$config" --kafka.server=127.0.0.1:1
  curl -fsS "$KPE_URL/healthz" >/dev/null || fail "exporter with ConfigMap $name's config: /healthz failed"
  kill -KILL "${KPE_PIDS[-1]}" && wait "${KPE_PIDS[-1]}" 2>/dev/null || true  # graceful stop is not under test
done

# prometheusrule.yaml is up to date with alerts/.
"$GENERATE" "$SRC/alerts" "$KPE_TMP/prometheusrule.yaml" || fail "generate-prometheusrule.sh failed on alerts/"
diff -u "$SRC/deploy/kubernetes/prometheusrule.yaml" "$KPE_TMP/prometheusrule.yaml" >"$KPE_TMP/rule.diff" ||
  fail "deploy/kubernetes/prometheusrule.yaml is stale: run deploy/kubernetes/generate-prometheusrule.sh
$(head -n 40 "$KPE_TMP/rule.diff")"
# Its groups are a valid Prometheus rule file, holding every group of alerts/*.yml.
"$PY" - "$KPE_TMP/prometheusrule.yaml" "$KPE_TMP/rules.yml" "$SRC/alerts" <<'PY' || fail "PrometheusRule groups differ from alerts/"
import glob, os, sys, yaml
manifest = yaml.safe_load(open(sys.argv[1]))
groups = manifest["spec"]["groups"]
yaml.safe_dump({"groups": groups}, open(sys.argv[2], "w"))
want = []
for path in sorted(glob.glob(os.path.join(sys.argv[3], "*.yml")) + glob.glob(os.path.join(sys.argv[3], "*.yaml"))):
    doc = yaml.safe_load(open(path)) or {}
    want += doc.get("groups", [])
sys.exit(0 if groups == want else 1)
PY
if grep -q 'name:' "$KPE_TMP/rules.yml"; then
  promtool check rules "$KPE_TMP/rules.yml" >"$KPE_TMP/promtool.log" 2>&1 ||
    fail "promtool check rules on the PrometheusRule's groups: $(cat "$KPE_TMP/promtool.log")"
else
  echo "SKIP: alerts/ has no rule groups yet: nothing for promtool check rules"
fi

# The generator: groups of several files in file name order, test files and subfolders skipped; errors
# name the file and the group.
alerts="$KPE_TMP/alerts"
mkdir -p "$alerts/tests"
cat >"$alerts/b.rules.yml" <<'YAML'
groups:
- name: second
  rules:
  - alert: B
    expr: |
      kafka_up == 0
    for: 5m
YAML
cat >"$alerts/a.rules.yaml" <<'YAML'
groups:
  - name: first
    rules:
      - record: job:kafka_up:min
        expr: min by (job) (kafka_up)
YAML
printf 'rule_files: [a.rules.yaml]\ntests: []\n' >"$alerts/a_test.yml"
printf 'groups:\n  - name: ignored\n    rules: []\n' >"$alerts/tests/overrides.rules.yml"
"$GENERATE" "$alerts" - >"$KPE_TMP/gen.yaml" || fail "generator failed on two rule files"
"$PY" -c '
import sys, yaml
m = yaml.safe_load(open(sys.argv[1]))
names = [g["name"] for g in m["spec"]["groups"]]
assert m["kind"] == "PrometheusRule" and m["apiVersion"] == "monitoring.coreos.com/v1", m
assert names == ["first", "second"], names
assert m["spec"]["groups"][1]["rules"][0]["expr"] == "kafka_up == 0\n", m["spec"]["groups"][1]
' "$KPE_TMP/gen.yaml" || fail "generator output on two rule files is wrong: $(cat "$KPE_TMP/gen.yaml")"
yamllint -c "$SRC/deploy/.yamllint" "$KPE_TMP/gen.yaml" || fail "generator output fails yamllint"

expect_generator_error() {  # NAME CONTENT PATTERN
  local dir="$KPE_TMP/err-$1" rc=0 result
  mkdir -p "$dir"
  printf '%s' "$2" >"$dir/x.rules.yml"
  result=$("$GENERATE" "$dir" - 2>&1) || rc=$?
  [[ $rc == 1 ]] || fail "generator on $1: exit $rc, want 1; output: $result"
  grep -qE -- "$3" <<<"$result" || fail "generator on $1: output lacks /$3/: $result"
}
expect_generator_error invalid-yaml 'groups: [' 'x.rules.yml: not valid YAML'
expect_generator_error other-key $'groups: []\nrules: []\n' 'x.rules.yml: unknown top-level key\(s\) rules'
expect_generator_error no-name $'groups:\n  - rules: []\n' 'x.rules.yml: groups\[0\] has no name'
expect_generator_error no-rules $'groups:\n  - name: g\n' "x.rules.yml: group 'g' has no .rules. list"
cp "$alerts/b.rules.yml" "$KPE_TMP/err-no-rules/a.rules.yml"
printf 'groups:\n  - name: second\n    rules: []\n' >"$KPE_TMP/err-no-rules/x.rules.yml"
rc=0
out=$("$GENERATE" "$KPE_TMP/err-no-rules" - 2>&1) || rc=$?
[[ $rc == 1 ]] && grep -q "x.rules.yml: group 'second' is also in .*a.rules.yml" <<<"$out" ||
  fail "generator on a duplicate group: exit $rc; output: $out"
echo "deploy_kubernetes: all checks passed"
