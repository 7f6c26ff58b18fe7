#!/usr/bin/env bash
# --web.config.file on the real binary, with certificates made here by the openssl CLI and curl as the
# client: basic auth (none, wrong, unknown user → 401; right → 200), plain HTTP to the TLS port fails
# cleanly (and the server keeps serving), and a required client certificate (none or one from another
# CA → refused; one from the configured CA → 200).
set -euo pipefail
EXPORTER=$(realpath "$1")
source "$(dirname "$0")/lib.sh"

cd "$KPE_TMP"
ssl() { openssl "$@" >>"$KPE_TMP/openssl.out" 2>&1 || fail "openssl $1 failed: $(tail -n5 "$KPE_TMP/openssl.out")"; }
# A CA, a server certificate for 127.0.0.1 and a client certificate signed by it; a second, unrelated CA.
for ca in ca other-ca; do
  ssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kpe test $ca" -keyout "$ca.key" -out "$ca.pem"
done
# sign NAME CA SUBJECT EXTFILE-LINE
sign() {
  ssl req -newkey rsa:2048 -nodes -subj "$3" -keyout "$1.key" -out "$1.csr"
  printf '%s\n' "$4" >"$1.ext"
  ssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 -out "$1.pem" -extfile "$1.ext"
}
sign server ca "/CN=127.0.0.1" "subjectAltName=IP:127.0.0.1,DNS:localhost"
sign client ca "/CN=prometheus" "extendedKeyUsage=clientAuth"
sign stranger other-ca "/CN=stranger" "extendedKeyUsage=clientAuth"

# A bcrypt hash ($2b$, cost 4) of the right password: python3's crypt, else htpasswd (apache2-utils).
if HASH=$(python3 -W ignore -c "import crypt; print(crypt.crypt('right-pw', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))" 2>/dev/null) &&
   [[ $HASH == \$2* ]]; then :
elif command -v htpasswd >/dev/null; then
  HASH=$(htpasswd -nbBC 4 prom right-pw | cut -d: -f2-)
else
  fail "no bcrypt tool: python3's crypt module or htpasswd (apache2-utils) is needed"
fi

# start_tls NAME WEBCONFIG: starts the exporter with the web config, sets URL (https://127.0.0.1:PORT).
start_tls() {
  local name=$1 web=$2
  : >"$KPE_TMP/$name.log"
  "$EXPORTER" --web.listen-address=127.0.0.1:0 --kafka.server=127.0.0.1:1 --web.config.file="$web" \
    >>"$KPE_TMP/$name.log" 2>&1 &
  KPE_PIDS+=($!)
  local deadline=$((SECONDS + 30)) port=""
  while [[ -z "$port" ]]; do
    ((SECONDS < deadline)) || fail "exporter $name did not report its address"
    kill -0 "${KPE_PIDS[-1]}" 2>/dev/null || fail "exporter $name exited early"
    port=$(grep -oE 'serving on https://127\.0\.0\.1:[0-9]+' "$KPE_TMP/$name.log" | grep -oE '[0-9]+$' | head -n1 || true)
    [[ -n "$port" ]] || sleep 0.1
  done
  PORT=$port
  URL="https://127.0.0.1:$port"
}
status() { curl -s -o "$KPE_TMP/body" -w '%{http_code}' --cacert ca.pem "$@" || true; }

# --- TLS + basic auth -------------------------------------------------------------------------------
cat >web-auth.yml <<YAML
tls_server_config:
  cert_file: server.pem
  key_file: server.key
basic_auth_users:
  prom: '$HASH'
YAML
start_tls auth web-auth.yml
pid=${KPE_PIDS[-1]}

[[ $(status "$URL/metrics") == 401 ]] || fail "no credentials should be 401"
[[ $(status -u prom:wrong-pw "$URL/metrics") == 401 ]] || fail "a wrong password should be 401"
[[ $(status -u nobody:right-pw "$URL/metrics") == 401 ]] || fail "an unknown user should be 401"
[[ $(status -u prom:right-pw "$URL/metrics") == 200 ]] || fail "the right password should be 200"
grep -qE '^kafka_up\{' body || fail "the authorized answer should be the metrics page"

# Plain HTTP to the TLS port: no page, no hang, and the server carries on.
rc=0
plain=$(curl -s --max-time 5 -o "$KPE_TMP/plain" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics") || rc=$?
((rc != 28)) || fail "plain HTTP to the TLS port should fail at once, not time out"
[[ $rc != 0 || $plain =~ ^4 ]] || fail "plain HTTP to the TLS port should not be served (exit $rc, status $plain)"
! grep -q 'kafka_up' "$KPE_TMP/plain" 2>/dev/null || fail "plain HTTP should never get the metrics"
kill -0 "$pid" || fail "the exporter died after a plain HTTP request"
[[ $(status -u prom:right-pw "$URL/metrics") == 200 ]] || fail "HTTPS should still work after a plain HTTP request"

# --- client certificates required -------------------------------------------------------------------
cat >web-mtls.yml <<YAML
tls_server_config:
  cert_file: server.pem
  key_file: server.key
  client_ca_file: ca.pem
  client_auth_type: RequireAndVerifyClientCert
YAML
start_tls mtls web-mtls.yml
rc=0; curl -sf --max-time 5 --cacert ca.pem -o /dev/null "$URL/metrics" || rc=$?
((rc != 0 && rc != 28)) || fail "without a client certificate the TLS handshake should fail (curl exit $rc)"
rc=0; curl -sf --max-time 5 --cacert ca.pem --cert stranger.pem --key stranger.key -o /dev/null "$URL/metrics" || rc=$?
((rc != 0 && rc != 28)) || fail "a client certificate from another CA should be refused (curl exit $rc)"
[[ $(status --cert client.pem --key client.key "$URL/metrics") == 200 ]] ||
  fail "a client certificate from client_ca_file should be served"
grep -qE '^kafka_up\{' body || fail "the client-certificate answer should be the metrics page"

echo "web_tls: all checks passed"
