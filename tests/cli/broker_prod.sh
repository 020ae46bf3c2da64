#!/usr/bin/env bash
# The shipped production broker configuration, for real: deploy/mosquitto/prod.conf and acl
# with generated passwords and certificates, run by mqplane services in a temporary directory.
#   tests/cli/broker_prod.sh PATH_TO_MQPLANE DEPLOY_DIR
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
D=$2
export MQPLANE_DEPLOY_DIR=$D
unset MQPLANE_SERVICES_DIR
# The services directory, with secrets made beforehand: an identity of its own for node cam1.
# mqplane services keeps secrets it finds.
CFG="$TMP/config"
"$D/scripts/make-passwords.sh" "$CFG" node-control node-data operator monitor cam1 > /dev/null
"$D/scripts/make-ca.sh" "$CFG/certs" localhost 127.0.0.1 --client operator > /dev/null
"$D/scripts/make-ca.sh" "$TMP/otherca" localhost > /dev/null
# The same broker with a server certificate for another host name.
mkdir -p "$TMP/wronghost" && cp "$CFG/passwd" "$TMP/wronghost/"
"$D/scripts/make-ca.sh" "$TMP/wronghost/certs" other.example > /dev/null
. "$CFG/passwords.env"
PLAIN=$(free_port)
TLS=$(free_port)
WS=$(free_port)

start() { # [DIR] [--mutual-tls]: the prod profile from DIR (default $CFG)
  BDIR=${1:-$CFG}
  $M services up --profile prod --dir "$BDIR" --port "$TLS" --local-port "$PLAIN" \
    --ws-port "$WS" ${2:-} > "$TMP/up.out" 2>&1 || fail "services up: $(cat "$TMP/up.out")"
  BROKER=$(cat "$BDIR/mosquitto.pid")
  PIDS+=("$BROKER")
}
stop() {
  $M services down --dir "$BDIR" > /dev/null || fail "services down"
}
PORT=$PLAIN  # for lib.sh's retained/wait_retained, as monitor
pubr() { # user password topic payload: a retained QoS 1 publish
  mosquitto_pub -h 127.0.0.1 -p "$PLAIN" -u "$1" -P "$2" -q 1 -r -t "$3" -m "$4" 2>/dev/null || true
}
seen() { # topic: the retained message as the monitor sees it
  mosquitto_sub -h 127.0.0.1 -p "$PLAIN" -u monitor -P "$MQTT_PASSWORD_MONITOR" -t "$1" -C 1 -W 2 2>/dev/null || true
}
monitor_failing() { # config: a monitor that cannot connect keeps retrying; its stderr to $TMP/err
  $M monitor -c "$1" status -n 1 2> "$TMP/err" & MON=$!
  PIDS+=("$MON")
  wait_lines "$TMP/err" "cannot reach the broker" 1 20  # after its 5 s connection timeout
  kill $MON 2>/dev/null || true
  wait $MON 2>/dev/null || true
}
tlsconf() { # file user password [ca] [cert key]
  { echo "mqtt:"
    echo "  url: mqtts://$2:$3@localhost:$TLS"
    echo "  tls_ca_file: ${4:-$CFG/certs/ca.crt}"
    if [ -n "${5:-}" ]; then echo "  tls_cert_file: $5"; echo "  tls_key_file: $6"; fi
  } > "$1"
}

echo "== the compose file"
if docker compose version > /dev/null 2>&1; then
  mkdir -p "$D/secrets/certs" && touch "$D/secrets/passwd" "$D/secrets/passwords.env"
  docker compose -f "$D/docker-compose.yml" config -q || fail "docker compose config"
else
  /usr/bin/python3 - "$D/docker-compose.yml" "$D/docker-compose.services.yml" <<'PY' \
    || fail "the compose files"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
m = c["services"]["mosquitto"]
assert "8883:8883" in m["ports"], m["ports"]
assert any(v.startswith("./mosquitto/prod.conf:") for v in m["volumes"]), m["volumes"]
assert any(v.startswith("./mosquitto/acl:") for v in m["volumes"]), m["volumes"]
s = yaml.safe_load(open(sys.argv[2]))["services"]["mosquitto"]
assert s["network_mode"] == "host", s
assert s["command"][-1] == "/mqplane/mosquitto.conf", s["command"]
assert s["volumes"][0].startswith("${MQPLANE_SERVICES_DIR"), s["volumes"]
PY
fi

echo "== the systemd unit"
if command -v systemd-analyze > /dev/null; then
  sed "s|/usr/local/bin/mqplane|$M|" "$D/systemd/mqplane-node.service" > "$TMP/mqplane-node.service"
  systemd-analyze verify "$TMP/mqplane-node.service" > "$TMP/unit.out" 2>&1 || true
  # It exits 0 on unknown keys: any line it prints is a finding.
  [ ! -s "$TMP/unit.out" ] || fail "systemd-analyze verify: $(cat "$TMP/unit.out")"
else
  grep -q "^ExecStart=/usr/local/bin/mqplane run " "$D/systemd/mqplane-node.service" || fail "unit"
fi

start

echo "== anonymous and wrong passwords are refused, with the address and never the password"
if mosquitto_pub -h 127.0.0.1 -p "$PLAIN" -t x -m y 2>/dev/null; then fail "anonymous publish accepted"; fi
set +e
$M ctl -b "mqtt://127.0.0.1:$PLAIN" -t 2 status 2> "$TMP/err"; rc=$?
set -e
[ $rc = 2 ] || fail "anonymous ctl should exit 2, got $rc"
grep -q "refused the connection" "$TMP/err" || fail "anonymous message: $(cat "$TMP/err")"
set +e
$M ctl -b "mqtt://operator:not-the-password@127.0.0.1:$PLAIN" -t 2 status 2> "$TMP/err"; rc=$?
set -e
[ $rc = 2 ] || fail "wrong password should exit 2, got $rc"
grep -q "refused the connection" "$TMP/err" || fail "wrong password message: $(cat "$TMP/err")"
grep -q "operator:\*\*\*@127.0.0.1:$PLAIN" "$TMP/err" || fail "message should name the broker"
if grep -q "not-the-password" "$TMP/err"; then fail "the password leaked into the message"; fi

echo "== each identity can do exactly its job"
pubr operator "$MQTT_PASSWORD_OPERATOR" inference/control/commands '{"command":"status"}'
[ -n "$(seen inference/control/commands)" ] || fail "operator could not publish a command"
pubr operator "$MQTT_PASSWORD_OPERATOR" inference/control/commands ''
pubr node-data "$MQTT_PASSWORD_NODE_DATA" inference/control/commands '{"command":"stop"}'
[ -z "$(seen inference/control/commands)" ] || fail "node-data published a command"
pubr node-data "$MQTT_PASSWORD_NODE_DATA" inference/data/detections '{"n":1}'
[ -n "$(seen inference/data/detections)" ] || fail "node-data could not publish detections"
pubr node-control "$MQTT_PASSWORD_NODE_CONTROL" inference/control/status '{"status":"running"}'
[ -n "$(seen inference/control/status)" ] || fail "node-control could not publish its status"
pubr node-control "$MQTT_PASSWORD_NODE_CONTROL" inference/data/metrics '{"x":1}'
[ -z "$(seen inference/data/metrics)" ] || fail "node-control published data"
pubr monitor "$MQTT_PASSWORD_MONITOR" inference/control/responses '{"x":1}'
pubr monitor "$MQTT_PASSWORD_MONITOR" inference/data/metrics '{"x":1}'
[ -z "$(seen inference/control/responses)$(seen inference/data/metrics)" ] || fail "monitor published"
pubr cam1 "$MQTT_PASSWORD_CAM1" inference/cam2/control/status '{"status":"running"}'
[ -z "$(seen inference/cam2/control/status)" ] || fail "cam1 wrote into cam2's namespace"
sysv() { # user password: the broker's version from $SYS (retained), as that user sees it
  mosquitto_sub -h 127.0.0.1 -p "$PLAIN" -u "$1" -P "$2" -t '$SYS/broker/version' -C 1 -W 3 \
    2> /dev/null || true
}
[ -n "$(sysv monitor "$MQTT_PASSWORD_MONITOR")" ] || fail "monitor cannot read \$SYS (mqplane exporter needs it)"
[ -z "$(sysv node-data "$MQTT_PASSWORD_NODE_DATA")" ] || fail "node-data can read \$SYS"

echo "== TLS: the right CA connects, another CA fails with the reason"
tlsconf "$TMP/tls.yaml" monitor "$MQTT_PASSWORD_MONITOR"
timeout 20 $M monitor -c "$TMP/tls.yaml" status -n 1 | grep -q "status .*running" || fail "monitor over TLS"
mkdir "$TMP/capath" && cp "$CFG/certs/ca.crt" "$TMP/capath/" && openssl rehash "$TMP/capath"
sed -e "s|tls_ca_file: .*|tls_ca_path: $TMP/capath|" "$TMP/tls.yaml" > "$TMP/capath.yaml"
timeout 20 $M monitor -c "$TMP/capath.yaml" status -n 1 | grep -q "status .*running" \
  || fail "monitor over TLS with a CA directory"
tlsconf "$TMP/bad.yaml" monitor "$MQTT_PASSWORD_MONITOR" "$TMP/otherca/ca.crt"
monitor_failing "$TMP/bad.yaml"
grep -q "TLS handshake with mqtts://monitor:\*\*\*@localhost:$TLS failed" "$TMP/err" \
  || fail "wrong CA message: $(cat "$TMP/err")"
grep -q "certificate verify failed (self-signed certificate in certificate chain\|certificate verify failed (unable to get local issuer certificate" \
  "$TMP/err" || fail "wrong CA reason: $(cat "$TMP/err")"

echo "== a node on the production profile, with its own identity and namespace"
printf 'mqtt:\n  url: mqtts://cam1:%s@localhost:%s\n  tls_ca_file: %s\n' \
  "$MQTT_PASSWORD_CAM1" "$TLS" "$CFG/certs/ca.crt" > "$TMP/cam1.yaml"
$M run -c "$TMP/cam1.yaml" --node-id cam1 2> "$TMP/cam1.log" & NODE=$!
PIDS+=("$NODE")
for _ in $(seq 60); do [ -n "$(seen inference/cam1/control/status | grep running)" ] && break; sleep 0.1; done
seen inference/cam1/control/status | grep -q running || fail "cam1 not running: $(tail -3 "$TMP/cam1.log")"
tlsconf "$TMP/op.yaml" operator "$MQTT_PASSWORD_OPERATOR"
out=$($M ctl -c "$TMP/op.yaml" --node-id cam1 status) || fail "operator ctl over TLS: $out"
echo "$out" | grep -q '"pipeline":"running"' || fail "cam1 status: $out"
timeout 20 $M monitor -c "$TMP/tls.yaml" --node-id cam1 detections -n 2 --json | grep -q detection_count \
  || fail "no detections from cam1"
kill -TERM "$NODE"; wait "$NODE" || fail "cam1 exit status $?: $(tail -20 "$TMP/cam1.log")"

echo "== a node with the reference topics: one identity per connection"
pubr node-control "$MQTT_PASSWORD_NODE_CONTROL" inference/control/status ''
[ -z "$(seen inference/control/status)" ] || fail "could not clear the retained status"
cat > "$TMP/ref.yaml" <<YAML
mqtt:
  url: mqtts://localhost:$TLS
  tls_ca_file: $CFG/certs/ca.crt
  control_username: node-control
  control_password: $MQTT_PASSWORD_NODE_CONTROL
  data_username: node-data
  data_password: $MQTT_PASSWORD_NODE_DATA
YAML
$M run -c "$TMP/ref.yaml" 2> "$TMP/ref.log" & NODE=$!
PIDS+=("$NODE")
for _ in $(seq 60); do seen inference/control/status | grep -q running && break; sleep 0.1; done
seen inference/control/status | grep -q '"client_id":"inference_control"' \
  || fail "reference node not running: $(tail -3 "$TMP/ref.log")"
wait_ctl '"connected":true' -c "$TMP/op.yaml" status
timeout 20 $M monitor -c "$TMP/tls.yaml" detections -n 2 --json | grep -q detection_count \
  || fail "no detections from the reference node"
if grep -q "$MQTT_PASSWORD_NODE_DATA\|$MQTT_PASSWORD_NODE_CONTROL" "$TMP/ref.log"; then
  fail "a password reached the node's log"
fi
kill -TERM "$NODE"; wait "$NODE" || fail "reference node exit status $?"

echo "== TLS: a certificate for another host name is refused (unless told not to check)"
stop
start "$TMP/wronghost"
tlsconf "$TMP/host.yaml" monitor "$MQTT_PASSWORD_MONITOR" "$TMP/wronghost/certs/ca.crt"
monitor_failing "$TMP/host.yaml"
grep -q "TLS handshake with mqtts://monitor:\*\*\*@localhost:$TLS failed" "$TMP/err" \
  || fail "host name mismatch should fail the handshake: $(cat "$TMP/err")"
grep -q "(the server's certificate is not for this host name)" "$TMP/err" \
  || fail "host name mismatch should say so: $(cat "$TMP/err")"
echo "  tls_insecure: true" >> "$TMP/host.yaml"
pubr node-control "$MQTT_PASSWORD_NODE_CONTROL" inference/control/status '{"status":"running"}'
timeout 20 $M monitor -c "$TMP/host.yaml" status -n 1 2> "$TMP/err" | grep -q status \
  || fail "with the host name check off, the same connection should succeed"
grep -q "TLS host name check is OFF (tls_insecure)" "$TMP/err" \
  || fail "turning the host name check off should be loud: $(cat "$TMP/err")"

echo "== TLS: an expired server certificate is refused, and said to be"
X="$TMP/expired"
mkdir -p "$X/certs" && cp "$CFG/passwd" "$X/" && cp "$CFG/certs/ca.crt" "$X/certs/"
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$X/certs/server.key" \
  -out "$X/server.csr" 2>/dev/null
# -days 0: valid until the second it was made.
openssl x509 -req -in "$X/server.csr" -CA "$CFG/certs/ca.crt" -CAkey "$CFG/certs/ca.key" \
  -CAcreateserial -CAserial "$X/ca.srl" -days 0 -extfile <(printf 'subjectAltName=DNS:localhost') \
  -out "$X/certs/server.crt" 2>/dev/null
stop
start "$X"
sleep 1.1
monitor_failing "$TMP/tls.yaml"
grep -q "certificate verify failed (certificate has expired)" "$TMP/err" \
  || fail "an expired certificate should say so: $(cat "$TMP/err")"

echo "== TLS: a reconnection refused for its certificate says why too"
stop
start "$CFG"
pubr node-control "$MQTT_PASSWORD_NODE_CONTROL" inference/control/status '{"status":"running"}'
$M monitor -c "$TMP/tls.yaml" status --plain -l warning > "$TMP/recon.out" 2> "$TMP/recon.err" &
MON=$!
PIDS+=("$MON")
wait_lines "$TMP/recon.out" "status" 1 20
stop
start "$X" # The expired certificate: the monitor's next attempts are refused.
wait_lines "$TMP/recon.err" "certificate verify failed (certificate has expired)" 1 30
kill $MON 2> /dev/null || true
wait $MON 2> /dev/null || true

echo "== mutual TLS: a client certificate is required"
stop
start "$CFG" --mutual-tls
monitor_failing "$TMP/tls.yaml"
grep -q "cannot reach the broker\|TLS handshake\|closed the connection" "$TMP/err" \
  || fail "no certificate should fail: $(cat "$TMP/err")"
tlsconf "$TMP/mtls.yaml" operator "$MQTT_PASSWORD_OPERATOR" "$CFG/certs/ca.crt" \
  "$CFG/certs/operator.crt" "$CFG/certs/operator.key"
timeout 20 $M monitor -c "$TMP/mtls.yaml" status -n 1 | grep -q "status" || fail "mutual TLS with a certificate"
stop
echo "broker_prod.sh: all passed"
