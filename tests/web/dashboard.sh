#!/usr/bin/env bash
# The dashboard end to end: mqplane services serves it from the broker (dev, then prod), two
# real nodes and the voice example feed it, and tests/web/dashboard.js drives Debian's chromium
# through it with playwright-core. Screenshots are kept in SHOTS_DIR.
#   tests/web/dashboard.sh MQPLANE VOICE_EXAMPLE DASHBOARD_DIR NPM_DIR SHOTS_DIR
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli/lib.sh"
M=$1 VOICE=$2 DASH=$3 NPM_DIR=$4 SHOTS=$5
unset MQPLANE_SERVICES_DIR MQTT_URL MQTT_USERNAME MQTT_PASSWORD MQTT_TOPIC_VERSION \
  MQTT_BASE_PREFIX MQTT_TOPIC_PREVIOUS_VERSION
export MQPLANE_WEB_DIR=$DASH MQP_NODE_MODULES=$NPM_DIR/node_modules VOICE SHOTS MQPLANE=$M

command -v node > /dev/null || skip "node"
[ -x /usr/bin/chromium ] || skip "chromium (apt-get install chromium)"
[ -e "$MQP_NODE_MODULES/playwright-core/package.json" ] || skip "npm's playwright-core (the build installs it)"
mkdir -p "$SHOTS"
rm -f "$SHOTS"/*.png

echo "== dev: the broker serves the page"
P=$(free_port); W=$(free_port)
$M services up --dir "$TMP/dev" --port "$P" --ws-port "$W" > "$TMP/up.log" || fail "dev up: $(cat "$TMP/up.log")"
PIDS+=("$(cat "$TMP/dev/mosquitto.pid")")
grep "http://localhost:$W .*the dashboard" "$TMP/up.log" > /dev/null || fail "up does not say where the dashboard is: $(cat "$TMP/up.log")"
[ "$(curl -s "http://127.0.0.1:$W/js/app.js" | head -c 2)" = "/*" ] || fail "the broker does not serve js/app.js"
grep '"previous_version":	null' "$TMP/dev/www/config.json" > /dev/null || fail "config.json: $(cat "$TMP/dev/www/config.json")"

$M run -b "mqtt://127.0.0.1:$P" --full-frames=2 --metrics-interval 1 > "$TMP/node.log" 2>&1 &
NODE_PID=$!; PIDS+=("$NODE_PID")
$M run -b "mqtt://127.0.0.1:$P" -n cam2 -s synthetic:320x240@10 > "$TMP/cam2.log" 2>&1 &
CAM2_PID=$!; PIDS+=("$CAM2_PID")
export NODE_PID SERVICES_DIR=$TMP/dev PAGE_FILE=$DASH/index.html
node "$here/dashboard.js" dev "http://127.0.0.1:$W/" "$P" || fail "dev (the nodes' logs: $TMP)"
for _ in $(seq 200); do alive "$CAM2_PID" || break; sleep 0.05; done
alive "$CAM2_PID" && fail "cam2 still runs after the dashboard's stop: $(tail -3 "$TMP/cam2.log")"
wait "$CAM2_PID" || fail "cam2 exited $? after the dashboard's stop, not 0"

echo "== prod: https, a login, wrong and right passwords"
T=$(free_port); L=$(free_port); W=$(free_port)
$M services up --profile prod --dir "$TMP/prod" --port "$T" --local-port "$L" --ws-port "$W" \
  > "$TMP/up.log" || fail "prod up: $(cat "$TMP/up.log")"
PIDS+=("$(cat "$TMP/prod/mosquitto.pid")")
# Over TLS the broker serves the files in HTTP/1.1; a browser asks for HTTP/2 first, which
# Debian's mosquitto picks and then cannot serve files over (mosquitto issue 2251): up then says
# to open the page from disk, where it talks wss:// to the broker like any client.
grep -E "https://localhost:$W .*the dashboard|open file://$TMP/prod/www/index.html\?broker=wss://HOST:$W/" \
  "$TMP/up.log" > /dev/null || fail "prod up does not say where the dashboard is: $(cat "$TMP/up.log")"
[ "$(curl -sk --http1.1 "https://localhost:$W/js/app.js" | head -c 2)" = "/*" ] \
  || fail "the TLS listener does not serve js/app.js"
. "$TMP/prod/passwords.env"
PASSWORD_OPERATOR=$MQTT_PASSWORD_OPERATOR node "$here/dashboard.js" prod \
  "file://$TMP/prod/www/index.html?broker=wss://localhost:$W/" || fail "prod"
$M services down --dir "$TMP/prod" > /dev/null
echo "dashboard.sh: all passed (screenshots in $SHOTS)"
