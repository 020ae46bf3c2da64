#!/usr/bin/env bash
# The websockets listeners of both profiles accept a real browser-side MQTT client (npm mqtt in
# node): dev anonymous over ws://, prod over wss:// with the CA, a password and the ACL.
#   tests/cli/websockets.sh PATH_TO_MQPLANE DEPLOY_DIR NPM_DIR
# Skipped (77) without node and npm, or when the npm registry cannot be reached outside CI.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
M=$1
export MQPLANE_DEPLOY_DIR=$2
NPM_DIR=$3
unset MQPLANE_SERVICES_DIR MQTT_URL MQTT_USERNAME MQTT_PASSWORD

if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  echo "SKIP: node and npm are needed (apt-get install nodejs npm)"; exit 77
fi
if [ ! -e "$NPM_DIR/node_modules/mqtt/package.json" ]; then
  mkdir -p "$NPM_DIR"
  if ! npm install --prefix "$NPM_DIR" --no-audit --no-fund --loglevel=error mqtt@5 > "$TMP/npm.log" 2>&1; then
    [ -n "${CI:-}" ] && fail "npm install mqtt: $(tail -5 "$TMP/npm.log")"
    echo "SKIP: npm install mqtt failed (offline?): $(tail -2 "$TMP/npm.log")"; exit 77
  fi
fi
export MQP_NODE_MODULES="$NPM_DIR/node_modules"
ws() { node "$here/ws_client.js" "$@"; }

echo "== dev: ws:// to and from plain MQTT"
P=$(free_port); W=$(free_port)
$M services up --dir "$TMP/dev" --port "$P" --ws-port "$W" > /dev/null || fail "dev up"
PIDS+=("$(cat "$TMP/dev/mosquitto.pid")")
ws "ws://127.0.0.1:$W" pub dash/hello from-browser || fail "publish over websockets"
got=$(mosquitto_sub -h 127.0.0.1 -p "$P" -t dash/hello -C 1 -W 3) || fail "not seen over TCP"
[ "$got" = from-browser ] || fail "got '$got' over TCP"
mosquitto_pub -h 127.0.0.1 -p "$P" -q 1 -r -t dash/status -m from-tcp
got=$(ws "ws://127.0.0.1:$W" sub dash/status) || fail "subscribe over websockets: $got"
[ "$got" = from-tcp ] || fail "got '$got' over websockets"
$M services down --dir "$TMP/dev" > /dev/null

echo "== prod: wss:// with the CA and a password; the ACL applies"
T=$(free_port); L=$(free_port); W=$(free_port)
$M services up --profile prod --dir "$TMP/prod" --port "$T" --local-port "$L" --ws-port "$W" \
  > /dev/null || fail "prod up"
PIDS+=("$(cat "$TMP/prod/mosquitto.pid")")
. "$TMP/prod/passwords.env"
CA="$TMP/prod/certs/ca.crt"
mosquitto_pub -h 127.0.0.1 -p "$L" -u node-control -P "$MQTT_PASSWORD_NODE_CONTROL" -q 1 -r \
  -t inference/control/status -m '{"status":"running"}'
got=$(ws "wss://localhost:$W" sub inference/control/status --ca "$CA" --user monitor \
  --password "$MQTT_PASSWORD_MONITOR") || fail "monitor over wss: $got"
[ "$got" = '{"status":"running"}' ] || fail "monitor over wss got '$got'"
set +e
ws "wss://localhost:$W" sub x --ca "$CA" --user monitor --password wrong 2> "$TMP/err"; rc=$?
set -e
[ $rc = 1 ] && grep -qi "not authorized\|bad user name or password" "$TMP/err" \
  || fail "a wrong password over wss: $rc $(cat "$TMP/err")"
set +e
ws "wss://localhost:$W" sub x --user monitor --password "$MQTT_PASSWORD_MONITOR" 2> "$TMP/err"; rc=$?
set -e
[ $rc = 1 ] && grep -qi "certificate" "$TMP/err" || fail "wss without the CA: $rc $(cat "$TMP/err")"
ws "wss://localhost:$W" pub inference/control/commands '{"command":"stop"}' --ca "$CA" \
  --user monitor --password "$MQTT_PASSWORD_MONITOR" 2>/dev/null || true
got=$(mosquitto_sub -h 127.0.0.1 -p "$L" -u operator -P "$MQTT_PASSWORD_OPERATOR" \
  -t inference/control/commands -C 1 -W 2 2>/dev/null || true)
[ -z "$got" ] || fail "a monitor published a command over websockets"
$M services down --dir "$TMP/prod" > /dev/null
echo "websockets.sh: all passed"
