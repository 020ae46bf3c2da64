#!/usr/bin/env bash
# A site broker bridged to a central one (mqplane services up --bridge, deploy/mosquitto/
# bridge.conf): a node on the site broker is operated with ctl and watched with monitor on the
# central one, its status retained there; the link breaks (the central broker restarts and
# refuses the bridge for a while) and returns, and no QoS 1 command sent meanwhile is lost.
#   tests/cli/bridge.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
unset MQPLANE_SERVICES_DIR MQTT_URL MQTT_USERNAME MQTT_PASSWORD

echo "== bad options: a message each, exit 64"
set +e
$M services up --dir "$TMP/x" --bridge memory://x 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep "a bridge goes to a broker on the network" "$TMP/err" > /dev/null || fail "memory bridge: $rc $(cat "$TMP/err")"
set +e
$M services up --dir "$TMP/x" --site s1 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep "go with --bridge URL" "$TMP/err" > /dev/null || fail "--site alone: $rc"
set +e
$M services up --dir "$TMP/x" --bridge mqtt://c:1 --site 'a b' 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep "letters, digits" "$TMP/err" > /dev/null || fail "bad site: $rc"

# The central broker: persistent, so the bridge's session (and the commands queued in it) live
# through its restarts; "closed" refuses anonymous clients, as the bridge is, for a while.
PC=$(free_port)
mosquitto_passwd -c -b "$TMP/central.passwd" op secret 2> /dev/null
central_conf() {
  cat > "$TMP/central.conf" <<CONF
listener $PC 127.0.0.1
persistence true
persistence_location $TMP/central-data/
autosave_on_changes true
autosave_interval 1
log_dest file $TMP/central.log
log_type all
$( [ "$(id -u)" = 0 ] && echo "user root" )
$( [ "$1" = closed ] && printf 'allow_anonymous false\npassword_file %s\n' "$TMP/central.passwd" || echo "allow_anonymous true" )
CONF
}
central_start() {
  central_conf "$1"
  local runs
  runs=$(cat "$TMP/central.log" 2>/dev/null | grep -c " running" || true)
  mosquitto -c "$TMP/central.conf" 2>/dev/null & CENTRAL=$!
  PIDS+=("$CENTRAL")
  for _ in $(seq 100); do
    [ "$(cat "$TMP/central.log" 2>/dev/null | grep -c " running" || true)" -gt "$runs" ] && return 0
    sleep 0.05
  done
  fail "the central broker did not start: $(tail -3 "$TMP/central.log")"
}
mkdir -p "$TMP/central-data"
central_start open
C="mqtt://127.0.0.1:$PC"

echo "== the site broker, bridged"
PS=$(free_port)
$M services up --dir "$TMP/site" --port "$PS" --ws-port "$(free_port)" --bridge "$C" --site s1 \
  > "$TMP/up.log" || fail "site up: $(cat "$TMP/up.log")"
PIDS+=("$(cat "$TMP/site/mosquitto.pid")")
for want in "connection mqplane-site-s1" "address 127.0.0.1:$PC" "remote_clientid mqplane-site-s1" \
  "topic inference/+/control/commands in 1" "topic inference/+/data/# out 0"; do
  grep -x -- "$want" "$TMP/site/mosquitto.conf" > /dev/null || fail "the rendered config lacks '$want'"
done
bridge_up() {
  for _ in $(seq 200); do
    $M services status --dir "$TMP/site" > "$TMP/status.out" 2>&1 || true
    grep "bridge mqplane-site-s1: up" "$TMP/status.out" > /dev/null && return 0
    sleep 0.1
  done
  fail "the bridge never came up: $(cat "$TMP/status.out")"
}
bridge_up

$M run -b "mqtt://127.0.0.1:$PS" -n cam1 -s synthetic:160x120@10 > "$TMP/node.log" 2>&1 & PIDS+=($!)

echo "== operated and watched on the central broker"
wait_ctl '"status":"running"' -b "$C" --node-id cam1 status
$M monitor -b "$C" --node-id cam1 --count 3 detections > "$TMP/mon.out" || fail "monitor on the centre"
[ "$(wc -l < "$TMP/mon.out")" = 3 ] || fail "monitor: $(cat "$TMP/mon.out")"
got=$(mosquitto_sub -h 127.0.0.1 -p "$PC" --retained-only -t inference/cam1/control/status -C 1 -W 3) \
  || fail "no retained status at the centre"
[[ $got == *'"status":"running"'* || $got == *'"status": "running"'* ]] || fail "retained status at the centre: $got"
got=$(mosquitto_sub -h 127.0.0.1 -p "$PC" --retained-only -t system/health/inference_data-cam1 -C 1 -W 3) \
  || fail "no retained health at the centre"

echo "== the link breaks and returns: 20 QoS 1 commands sent meanwhile, each answered once"
mosquitto_sub -h 127.0.0.1 -p "$PC" -u op -P secret -i answers -c -q 1 \
  -t inference/cam1/control/responses > "$TMP/answers.out" 2>/dev/null & PIDS+=($!)
wait_lines "$TMP/central.log" "answers 1 inference/cam1/control/responses" 1
kill "$CENTRAL"; wait "$CENTRAL" 2>/dev/null || true
central_start closed
for i in $(seq 20); do
  mosquitto_pub -h 127.0.0.1 -p "$PC" -u op -P secret -q 1 -t inference/cam1/control/commands \
    -m "{\"command\":\"status\",\"request_id\":\"link-$i\"}" || fail "command $i not taken by the centre"
done
[ "$(count "$TMP/answers.out" '"request_id":"link-')" = 0 ] || fail "answers came while the link was down"
kill "$CENTRAL"; wait "$CENTRAL" 2>/dev/null || true
central_start open
bridge_up
for _ in $(seq 200); do
  [ "$(grep -o '"request_id":"link-[0-9]*"' "$TMP/answers.out" | sort -u | wc -l)" -ge 20 ] && break
  sleep 0.1
done
n=$(grep -o '"request_id":"link-[0-9]*"' "$TMP/answers.out" | sort -u | wc -l)
[ "$n" = 20 ] || fail "$n of 20 commands answered after the link came back: $(cat "$TMP/answers.out" | head -3)"
dups=$(grep -o '"request_id":"link-[0-9]*"' "$TMP/answers.out" | sort | uniq -d)
[ -z "$dups" ] || fail "answered twice: $dups"
echo "bridge.sh: all passed"
