#!/usr/bin/env bash
# The alert rules of alerts/: clean YAML (yamllint), valid for Prometheus (promtool check rules), every
# alert proven by promtool's rule unit tests (alerts/tests/*_test.yml: fires when it should, quiet on
# near misses), and every alert documented (summary, description, a runbook_url whose anchor is in
# docs/runbooks.md; tests/alerts/check_alerts.py).
set -euo pipefail
REPO=$2
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool not installed (Debian package prometheus)"

shopt -s nullglob
rule_files=("$REPO"/alerts/*.yml "$REPO"/alerts/tests/*.rules.yml)
unit_tests=("$REPO"/alerts/tests/*_test.yml)
((${#rule_files[@]} >= 2)) || fail "expected the alert and threshold rule files in $REPO/alerts"
((${#unit_tests[@]} >= 1)) || fail "no rule unit tests in $REPO/alerts/tests"

command -v yamllint >/dev/null || fail "yamllint not installed (Debian package yamllint)"
yamllint -s -d '{extends: default, rules: {line-length: disable, document-start: disable}}' \
  "$REPO/alerts" >"$KPE_TMP/yamllint.log" 2>&1 || { cat "$KPE_TMP/yamllint.log" >&2; fail "yamllint alerts/"; }
promtool check rules "${rule_files[@]}" >"$KPE_TMP/check.log" 2>&1 || { cat "$KPE_TMP/check.log" >&2; fail "promtool check rules"; }
promtool test rules "${unit_tests[@]}" >"$KPE_TMP/unit.log" 2>&1 || { cat "$KPE_TMP/unit.log" >&2; fail "promtool test rules"; }
/usr/bin/python3 "$REPO/tests/alerts/check_alerts.py" check "$REPO" || fail "alert rules are incomplete (see above)"

# The checks can fail: a broken rule file, a wrong expectation and a missing runbook anchor are caught.
bad="$KPE_TMP/bad"
mkdir -p "$bad/alerts/tests" "$bad/docs" "$bad/tests"
cp -r "$REPO/alerts/." "$bad/alerts/"
cp "$REPO/docs/runbooks.md" "$bad/docs/"
sed -i 's/max by (cluster) (kafka_cluster_offline_partitions) > 0/max by (cluster) (kafka_cluster_offline_partitions) > 0)/' \
  "$bad/alerts/kafka-perf-exporter.rules.yml"
if promtool check rules "$bad/alerts/kafka-perf-exporter.rules.yml" >"$KPE_TMP/bad.log" 2>&1; then
  fail "promtool check rules accepted an unbalanced parenthesis"
fi
cp "$REPO/alerts/kafka-perf-exporter.rules.yml" "$bad/alerts/"
sed -i 's/vector(100000)/vector(150001)/' "$bad/alerts/kafka-perf-exporter-thresholds.rules.yml"
if promtool test rules "$bad/alerts/tests/consumer_lag_test.yml" >"$KPE_TMP/bad.log" 2>&1; then
  fail "the lag unit test passed with a warning threshold above the lag it expects to fire on"
fi
grep -q 'consumergroup="billing"' "$KPE_TMP/bad.log" || fail "the failing unit test should name the group it missed"
sed -i 's/^## KafkaOfflinePartitions$/## Offline/' "$bad/docs/runbooks.md"
out=$(/usr/bin/python3 "$REPO/tests/alerts/check_alerts.py" check "$bad" 2>&1) && fail "missing runbook anchor not caught"
grep -q 'KafkaOfflinePartitions: runbook_url anchor #kafkaofflinepartitions' <<<"$out" || fail "unexpected message: $out"

echo "prometheus_rules: ${#rule_files[@]} rule files, ${#unit_tests[@]} unit test files: all checks passed"
