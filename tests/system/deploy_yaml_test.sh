#!/usr/bin/env bash
# Every YAML file of deploy/ passes yamllint with deploy/.yamllint (Kubernetes manifests, the generated
# PrometheusRule, the Prometheus config), and that configuration does catch the usual mistakes.
set -euo pipefail
EXPORTER=$1
SRC=$2
source "$(dirname "$0")/lib.sh"
LINT_CONFIG="$SRC/deploy/.yamllint"

command -v yamllint >/dev/null || fail "yamllint not found (package yamllint: scripts/install-deps.sh --with-tests)"
mapfile -t files < <(cd "$SRC" && find deploy -name '*.yaml' -o -name '*.yml' | sort)
((${#files[@]} >= 10)) || fail "found only ${#files[@]} YAML files under deploy/: ${files[*]}"
(cd "$SRC" && yamllint -f parsable -c "$LINT_CONFIG" "${files[@]}") >"$KPE_TMP/yamllint.log" 2>&1 ||
  fail "yamllint: $(cat "$KPE_TMP/yamllint.log")"
[[ ! -s "$KPE_TMP/yamllint.log" ]] || fail "yamllint warnings: $(cat "$KPE_TMP/yamllint.log")"

expect_lint_error() {  # NAME CONTENT RULE
  local rc=0 result
  printf '%s' "$2" >"$KPE_TMP/$1.yaml"
  result=$(cd "$KPE_TMP" && yamllint -f parsable -c "$LINT_CONFIG" "$1.yaml" 2>&1) || rc=$?
  [[ $rc == 1 ]] && grep -qF "($3)" <<<"$result" || fail "yamllint on $1: exit $rc, want an error ($3): $result"
}
expect_lint_error indentation $'spec:\n   replicas: 1\n' indentation
expect_lint_error truthy $'spec:\n  enabled: yes\n' truthy
expect_lint_error duplicate $'metadata:\n  name: a\n  name: b\n' key-duplicates
expect_lint_error trailing $'metadata:\n  name: a  \n' trailing-spaces
expect_lint_error long-line "metadata:
  name: $(printf 'a%.0s' {1..130})
" line-length
echo "deploy_yaml: all checks passed (${#files[@]} files)"
