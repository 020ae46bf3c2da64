#!/usr/bin/env bash
# mqplane services: the dev and prod brokers run directly, their life cycle, their messages.
#   tests/cli/services.sh PATH_TO_MQPLANE DEPLOY_DIR
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
M=$1
export MQPLANE_DEPLOY_DIR=$2
unset MQPLANE_SERVICES_DIR MQTT_URL MQTT_USERNAME MQTT_PASSWORD
DEV="$TMP/dev"
P=$(free_port)
PORT=$P  # for lib.sh's retained
W=$(free_port)

svc() { # services ARGS...: exit status in $rc, stdout in $TMP/out, stderr in $TMP/err
  set +e
  $M services "$@" > "$TMP/out" 2> "$TMP/err"; rc=$?
  set -e
}
track() { # DIR: the broker started there is stopped by this script's cleanup, whatever happens
  PIDS+=("$(cat "$1/mosquitto.pid")")
}

echo "== bad arguments"
svc up --profile staging --dir "$DEV"
[ $rc = 64 ] && grep -q "profile 'staging': expected dev or prod" "$TMP/err" || fail "bad profile: $rc $(cat "$TMP/err")"
svc up --port 70000 --dir "$DEV"
[ $rc = 64 ] && grep -q "mqplane services: --port: expected an integer in 1..65535, got '70000'" "$TMP/err" || fail "bad port: $rc $(cat "$TMP/err")"
svc restart --dir "$DEV"
[ $rc = 64 ] && grep -q "unknown action 'restart'" "$TMP/err" || fail "bad action: $rc"
svc up --mutual-tls --dir "$DEV"
[ $rc = 64 ] || fail "--mutual-tls without prod should exit 64"
svc status --dir "$DEV"
[ $rc = 3 ] && grep -q "not running: no broker was started from $DEV" "$TMP/out" || fail "status before up: $rc"
svc up --dir "$DEV" --deploy "$TMP"
[ $rc = 64 ] && grep -q "cannot find the deploy/ folder (mosquitto/dev.conf) in $TMP" "$TMP/err" \
  || fail "a --deploy without the configurations: $rc $(cat "$TMP/err")"

echo "== dev: up, status, a message, up again"
# A normal user's PATH on Debian has no /usr/sbin, where mosquitto lives.
PATH=/usr/bin:/bin svc up --dir "$DEV" --port "$P" --ws-port "$W"
[ $rc = 0 ] || fail "up: $rc $(cat "$TMP/err")"
track "$DEV"
grep -q "mqtt://127.0.0.1:$P" "$TMP/out" || fail "up should print the URL: $(cat "$TMP/out")"
# The broker must not hold our stdout: `mqplane services up | tail` would never end.
[ "$(readlink "/proc/$(cat "$DEV/mosquitto.pid")/fd/1")" = "$DEV/mosquitto.stderr" ] \
  || fail "the broker kept up's stdout: $(readlink "/proc/$(cat "$DEV/mosquitto.pid")/fd/1")"
mosquitto_pub -h 127.0.0.1 -p "$P" -q 1 -r -t svc/retained -m kept || fail "anonymous publish on dev"
svc status --dir "$DEV"
[ $rc = 0 ] && grep -q "runs directly, pid $(cat "$DEV/mosquitto.pid"), accepting connections" "$TMP/out" \
  || fail "status: $rc $(cat "$TMP/out")"
# The broker's own figures, from $SYS (retained by mosquitto, so there at once).
grep -E "^  broker: up [0-9]+ s; [0-9]+ clients connected \(at most [0-9]+\); messages [0-9]+ in, [0-9]+ out.*; [0-9]+ retained, [0-9]+ stored" \
  "$TMP/out" > /dev/null || fail "status without the broker's figures: $(cat "$TMP/out")"
svc up --dir "$DEV" --port "$P" --ws-port "$W"
[ $rc = 0 ] && grep -q "already runs" "$TMP/out" || fail "a second up should say it runs: $rc"
svc up --dir "$DEV" --profile prod --port "$P"
[ $rc = 1 ] && grep -q "a dev broker on port $P already runs from $DEV" "$TMP/err" \
  || fail "another profile on the same dir: $rc $(cat "$TMP/err")"

echo "== a port in use is named, with its owner"
svc up --dir "$TMP/other" --port "$P" --ws-port "$(free_port)"
[ $rc = 1 ] || fail "up on a used port should exit 1, got $rc"
grep -q "port $P, for MQTT (loopback), is already in use by mosquitto (pid $(cat "$DEV/mosquitto.pid")); stop it (the system" \
  "$TMP/err" || fail "port in use message: $(cat "$TMP/err")"
[ ! -e "$TMP/other/services.state" ] || fail "a failed up left state behind"
svc up --dir "$TMP/other" --port "$(free_port)" --ws-port "$P"
[ $rc = 1 ] && grep -q "port $P, for websockets, is already in use" "$TMP/err" \
  || fail "websockets port in use: $(cat "$TMP/err")"

echo "== logs"
svc logs --dir "$DEV" --no-follow -n 200
[ $rc = 0 ] && grep -q "Opening ipv4 listen socket on port $P" "$TMP/out" || fail "logs: $(head -5 "$TMP/out")"
$M services logs --dir "$DEV" > "$TMP/follow" 2>&1 & FOLLOW=$!
PIDS+=("$FOLLOW")
mosquitto_pub -h 127.0.0.1 -p "$P" -i follow-me -t x -m y
wait_lines "$TMP/follow" "follow-me" 1
kill "$FOLLOW"

echo "== durable: retained messages and queued QoS 1 survive kill -9"
mosquitto_sub -h 127.0.0.1 -p "$P" -i offline-node -c -q 1 -t svc/commands -C 1 -W 1 2>/dev/null || true
mosquitto_pub -h 127.0.0.1 -p "$P" -q 1 -t svc/commands -m '{"command":"pause"}'
# mosquitto saves right after handling the message, a moment after its PUBACK: kill -9 once
# the database holds it (a loaded machine can stretch that moment to milliseconds).
for _ in $(seq 100); do grep -q '"command":"pause"' "$DEV/data/mosquitto.db" 2>/dev/null && break; sleep 0.05; done
grep -q '"command":"pause"' "$DEV/data/mosquitto.db" || fail "the queued command was never saved"
kill -9 "$(cat "$DEV/mosquitto.pid")"
for _ in $(seq 50); do svc status --dir "$DEV"; [ $rc = 3 ] && break; sleep 0.05; done
[ $rc = 3 ] && grep -q "not running: mosquitto (dev, pid .*) has exited" "$TMP/out" \
  || fail "status after kill -9: $rc $(cat "$TMP/out")"
svc up --dir "$DEV" --port "$P" --ws-port "$W"
[ $rc = 0 ] || fail "up after kill -9: $(cat "$TMP/err")"
track "$DEV"
[ "$(retained svc/retained)" = kept ] || fail "the retained message was lost"
got=$(mosquitto_sub -h 127.0.0.1 -p "$P" -i offline-node -c -q 1 -t svc/commands -C 1 -W 3 || true)
[ "$got" = '{"command":"pause"}' ] || fail "the queued QoS 1 command was lost (got '$got')"

echo "== down"
pid=$(cat "$DEV/mosquitto.pid")
svc down --dir "$DEV"
[ $rc = 0 ] && grep -q "stopped mosquitto (dev, pid $pid); data kept" "$TMP/out" || fail "down: $rc"
! alive "$pid" || fail "mosquitto still runs after down"
[ ! -e "$DEV/mosquitto.pid" ] || fail "down left the pid file"
svc down --dir "$DEV"
[ $rc = 0 ] && grep -q "no broker was started" "$TMP/out" || fail "a second down"

echo "== prod: secrets made once, anonymous refused, a node with its configuration"
PROD="$TMP/prod"
T=$(free_port); L=$(free_port); W2=$(free_port)
svc up --profile prod --dir "$PROD" --port "$T" --local-port "$L" --ws-port "$W2" --deploy "$2"
[ $rc = 0 ] || fail "prod up: $(cat "$TMP/err")"
svc status --dir "$PROD"
grep -E "^  broker: up [0-9]+ s; " "$TMP/out" > /dev/null \
  || fail "prod status without the broker's figures (read as monitor): $(cat "$TMP/out")"
track "$PROD"
for f in passwd passwords.env certs/ca.crt certs/server.key acl node.yaml operator.yaml monitor.yaml; do
  [ -e "$PROD/$f" ] || fail "prod up did not make $f"
done
[ "$(stat -c %a "$PROD/passwords.env")" = 600 ] || fail "passwords.env should be mode 600"
[ "$(stat -c %a "$PROD")" = 700 ] || fail "the services directory should be mode 700"
grep -q 'control_password: ${MQTT_PASSWORD_NODE_CONTROL}' "$PROD/node.yaml" \
  || fail "node.yaml should refer to the passwords, not hold them"
for pw in $(cut -d= -f2 "$PROD/passwords.env"); do
  if grep -rq -- "$pw" "$TMP/out" "$TMP/err" "$PROD"/*.yaml "$PROD/mosquitto.conf"; then
    fail "a password was printed or written outside passwords.env"
  fi
done
if mosquitto_pub -h 127.0.0.1 -p "$L" -t x -m y 2>/dev/null; then fail "prod accepted anonymous"; fi
set -a; . "$PROD/passwords.env"; set +a
$M run -c "$PROD/node.yaml" 2> "$TMP/node.log" & NODE=$!
PIDS+=("$NODE")
# Both of the node's connections up: its data plane says so.
wait_ctl '"connected":true' -c "$PROD/operator.yaml" status
timeout 20 $M monitor -c "$PROD/monitor.yaml" detections -n 1 --json | grep -q detection_count \
  || fail "monitor over TLS"
# Nothing the node says on the broker (retained status and health included) holds a password.
mosquitto_sub -h 127.0.0.1 -p "$L" -u monitor -P "$MQTT_PASSWORD_MONITOR" -t '#' -v -W 2 \
  > "$TMP/everything" 2>/dev/null || true
grep -q "system/health/inference_control" "$TMP/everything" || fail "no health seen"
for pw in $(cut -d= -f2 "$PROD/passwords.env"); do
  if grep -q -- "$pw" "$TMP/everything" "$TMP/node.log"; then fail "a password reached the broker or the log"; fi
done
kill -TERM "$NODE"; wait "$NODE" || fail "node exit status $?"

echo "== prod: a second up keeps the secrets"
sum=$(md5sum "$PROD/passwd" "$PROD/certs/ca.crt")
svc down --dir "$PROD"
svc up --profile prod --dir "$PROD" --port "$T" --local-port "$L" --ws-port "$W2" --mutual-tls
[ $rc = 0 ] || fail "prod up with mutual TLS: $(cat "$TMP/err")"
track "$PROD"
[ "$sum" = "$(md5sum "$PROD/passwd" "$PROD/certs/ca.crt")" ] || fail "up replaced the secrets"
grep -q "^require_certificate true" "$PROD/mosquitto.conf" || fail "--mutual-tls not rendered"
set +e
$M ctl -c "$PROD/monitor.yaml" -t 2 status > /dev/null 2>&1; rc=$?
set -e
[ $rc = 2 ] || fail "without a client certificate, mutual TLS should refuse (exit 2, got $rc)"
timeout 20 $M monitor -c "$PROD/operator.yaml" status -n 1 > /dev/null 2> "$TMP/err" \
  || fail "operator with its certificate: $(cat "$TMP/err")"
svc down --dir "$PROD"
[ $rc = 0 ] || fail "prod down"
echo "== the docker engine, through a stand-in docker client (no engine runs here)"
export FAKE_DOCKER_LOG="$TMP/docker.log"
DOCK="$TMP/docker"
D1=$(free_port); D2=$(free_port)
PATH="$here/fake-docker:$PATH" svc up --engine docker --dir "$DOCK" --port "$D1" --ws-port "$D2"
[ $rc = 0 ] && grep -q "mosquitto (dev) runs in Docker" "$TMP/out" || fail "docker up: $rc $(cat "$TMP/err")"
PIDS+=("$(cat "$DOCK/fake-container.pid")")
grep -q "^docker compose -f $2/docker-compose.services.yml -p mqplane-services up -d$" "$FAKE_DOCKER_LOG" \
  || fail "docker compose call: $(cat "$FAKE_DOCKER_LOG")"
grep -q "^persistence_location /mqplane/data/$" "$DOCK/mosquitto.conf" \
  || fail "the configuration should use the container's paths"
mosquitto_pub -h 127.0.0.1 -p "$D1" -t x -m y || fail "the broker in the stand-in container"
PATH="$here/fake-docker:$PATH" svc up --engine docker --dir "$DOCK" --port "$D1" --ws-port "$D2"
[ $rc = 0 ] && grep -q "already runs" "$TMP/out" || fail "a second docker up: $rc $(cat "$TMP/err")"
[ "$(grep -c 'up -d$' "$FAKE_DOCKER_LOG")" = 1 ] || fail "a second up started another container"
PATH="$here/fake-docker:$PATH" svc status --dir "$DOCK"
[ $rc = 0 ] && grep -q "eclipse-mosquitto" "$TMP/out" && grep -q "runs in Docker, accepting connections" "$TMP/out" \
  || fail "docker status: $rc $(cat "$TMP/out")"
# A container that died: status says it does not run, as it does for a direct broker.
kill "$(cat "$DOCK/fake-container.pid")"
for _ in $(seq 50); do PATH="$here/fake-docker:$PATH" svc status --dir "$DOCK"; [ $rc = 3 ] && break; sleep 0.05; done
[ $rc = 3 ] && grep -q "not running: the dev broker's container does not answer on port $D1" "$TMP/out" \
  || fail "status of a dead container: $rc $(cat "$TMP/out")"
PATH="$here/fake-docker:$PATH" svc down --dir "$DOCK"
[ $rc = 0 ] && grep -q "docker compose down" "$TMP/out" || fail "docker down: $rc $(cat "$TMP/err")"
grep -q "mqplane-services down$" "$FAKE_DOCKER_LOG" || fail "down did not call docker compose down"
echo "services.sh: all passed"
