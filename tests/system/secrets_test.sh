#!/usr/bin/env bash
# Secrets in kafka.properties (from a file, from the environment, written literally) never show in the
# log (debug level, librdkafka's debug output included), /metrics, /advice, / or any error message,
# while the exporter tries SASL_PLAINTEXT/PLAIN against a closed port; bad values, an invalid secret
# property and unresolvable references give errors that name the key, never the value.
set -euo pipefail
EXPORTER=$1
source "$(dirname "$0")/lib.sh"

S_FILE=kpe-file-secret-4f9d1b
S_ENV=kpe-env-secret-a27c3e
S_LIT=kpe-literal-secret-9e6b0d
S_OAUTH=kpe-oauth-secret-77d2e0
SECRETS=("$S_FILE" "$S_ENV" "$S_LIT" "$S_OAUTH")
printf '%s\nsecond line is ignored\n' "$S_FILE" >"$KPE_TMP/sasl.pw"
export KPE_TEST_SSL_KEY_PW=$S_ENV

# no_secret WHAT FILE: FILE contains none of the secrets.
no_secret() {
  local what=$1 file=$2 s
  [[ -s "$file" ]] || fail "$what: nothing captured in $file"
  for s in "${SECRETS[@]}"; do
    if grep -qF -- "$s" "$file"; then fail "$what leaks a secret: $(grep -nF -- "$s" "$file" | head -n3)"; fi
    # Not even a fragment: the distinctive tail of each secret.
    if grep -qF -- "${s: -6}" "$file"; then fail "$what leaks part of a secret: $(grep -nF -- "${s: -6}" "$file" | head -n3)"; fi
  done
}

properties() {  # the SASL client properties with all three kinds of secret
  cat <<YAML
    security.protocol: SASL_PLAINTEXT
    sasl.mechanism: PLAIN
    sasl.username: alice
    sasl.password: \${file:sasl.pw}
    ssl.key.password: \${env:KPE_TEST_SSL_KEY_PW}
    ssl.keystore.password: $S_LIT
    debug: broker,security,conf,protocol
YAML
}

# --- a running exporter: log, /metrics, /advice, / -----------------------------------------------------
{ printf 'collection: {interval: 1s}\nkafka:\n  servers: [127.0.0.1:1]\n  properties:\n'; properties; } \
  >"$KPE_TMP/config.yaml"
# trace: debug plus librdkafka's own debug output (its configuration dump included).
start_exporter main --config="$KPE_TMP/config.yaml" --log.level=trace
wait_for "/metrics" 10 curl -sf "$KPE_URL/metrics"
# Let the clients be built and fail to connect a few times (each attempt is logged at debug level).
wait_for "a refused connection in the log" 15 grep -q "Connection refused" "$KPE_TMP/main.log"
wait_for "kafka_up 0" 15 bash -c "curl -sf '$KPE_URL/metrics' | grep -qE '^kafka_up\{[^}]*\} 0$'"
curl -sf "$KPE_URL/metrics" >"$KPE_TMP/metrics.txt"
curl -sf "$KPE_URL/advice" >"$KPE_TMP/advice.json"
curl -sf -H 'Accept: text/html' "$KPE_URL/advice" >"$KPE_TMP/advice.html"
curl -sf "$KPE_URL/" >"$KPE_TMP/landing.html"
grep -q "sasl.password = \[redacted\]" "$KPE_TMP/main.log" || fail "librdkafka's configuration dump should be in the log"
for f in metrics.txt advice.json advice.html landing.html main.log; do no_secret "$f" "$KPE_TMP/$f"; done

# --- an invalid secret property: librdkafka quotes part of sasl.oauthbearer.config ----------------------
cat >"$KPE_TMP/oauth.yaml" <<YAML
collection: {interval: 1s}
kafka:
  servers: [127.0.0.1:1]
  properties:
    security.protocol: SASL_PLAINTEXT
    sasl.mechanism: OAUTHBEARER
    enable.sasl.oauthbearer.unsecure.jwt: "true"
    sasl.oauthbearer.config: principal=svc kpe_extra=$S_OAUTH junk
YAML
start_exporter oauth --config="$KPE_TMP/oauth.yaml" --log.level=debug
wait_for "the oauthbearer error in the log" 15 grep -q "sasl.oauthbearer.config" "$KPE_TMP/oauth.log"
grep "sasl.oauthbearer.config" "$KPE_TMP/oauth.log" | grep -q "redacted" ||
  fail "the invalid sasl.oauthbearer.config should be named with its value redacted: $(grep sasl.oauthbearer.config "$KPE_TMP/oauth.log" | head -n3)"
curl -sf "$KPE_URL/metrics" >"$KPE_TMP/oauth-metrics.txt"
no_secret "oauth.log" "$KPE_TMP/oauth.log"
no_secret "oauth /metrics" "$KPE_TMP/oauth-metrics.txt"

# --- errors at start: a bad value next to the secrets, an unset variable, a missing file ----------------
# expect_start_error NAME CONFIG PATTERN: the exporter exits non-zero, its message matches PATTERN.
expect_start_error() {
  local name=$1 config=$2 pattern=$3 rc=0
  timeout 20 "$EXPORTER" --config="$config" --log.level=debug --web.listen-address=127.0.0.1:0 \
    >"$KPE_TMP/$name.log" 2>&1 || rc=$?
  ((rc != 0 && rc != 124)) || fail "$name: expected the exporter to refuse to start (exit $rc)"
  grep -qE -- "$pattern" "$KPE_TMP/$name.log" || fail "$name: the error should match '$pattern': $(tail -n3 "$KPE_TMP/$name.log")"
  no_secret "$name error" "$KPE_TMP/$name.log"
}

{ printf 'kafka:\n  servers: [127.0.0.1:1]\n  properties:\n'; properties | sed "s/SASL_PLAINTEXT/BOGUS/"; } \
  >"$KPE_TMP/bad-protocol.yaml"
expect_start_error bad-protocol "$KPE_TMP/bad-protocol.yaml" "kafka property 'security.protocol'"

# A secret property librdkafka rejects when the client is made: named, its value not shown.
{ printf 'kafka:\n  servers: [127.0.0.1:1]\n  properties:\n'; properties | sed "s/SASL_PLAINTEXT/SSL/";
  echo "    ssl.key.pem: $S_LIT"; } >"$KPE_TMP/bad-pem.yaml"
sed -i "/ssl.keystore.password/d" "$KPE_TMP/bad-pem.yaml"
expect_start_error bad-pem "$KPE_TMP/bad-pem.yaml" "ssl.key.pem"

cat >"$KPE_TMP/unset.yaml" <<YAML
kafka:
  servers: [127.0.0.1:1]
  properties:
    sasl.password: $S_LIT-\${env:KPE_TEST_UNSET_VARIABLE}
YAML
unset KPE_TEST_UNSET_VARIABLE
expect_start_error unset "$KPE_TMP/unset.yaml" \
  "unset.yaml:4:[0-9]+: kafka.properties.sasl.password: the environment variable KPE_TEST_UNSET_VARIABLE is not set"

cat >"$KPE_TMP/missing.yaml" <<YAML
kafka:
  servers: [127.0.0.1:1]
  properties:
    ssl.key.password: \${file:no-such.pw}
YAML
expect_start_error missing "$KPE_TMP/missing.yaml" \
  "kafka.properties.ssl.key.password: cannot read the secret file .*/no-such.pw: No such file or directory"

echo "secrets: all checks passed"
