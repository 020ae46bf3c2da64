#!/usr/bin/env bash
# A node given two brokers (--broker A,B): on A while A lives; when A dies, on B within a few
# seconds, where it keeps obeying commands (each answered once, by request id), keeps
# publishing detections, and says in its status, health and log which broker it is on.
#   tests/cli/failover.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
unset MQPLANE_SERVICES_DIR MQTT_URL MQTT_USERNAME MQTT_PASSWORD

PA=$(free_port); PB=$(free_port)
$M services up --dir "$TMP/a" --port "$PA" --ws-port "$(free_port)" > /dev/null || fail "broker A"
PIDS+=("$(cat "$TMP/a/mosquitto.pid")")
$M services up --dir "$TMP/b" --port "$PB" --ws-port "$(free_port)" > /dev/null || fail "broker B"
PIDS+=("$(cat "$TMP/b/mosquitto.pid")")
A="mqtt://127.0.0.1:$PA" B="mqtt://127.0.0.1:$PB"

echo "== a bad list is refused before anything starts"
set +e
$M run -b "$A,mqtts://127.0.0.1:$PB" --frames 1 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep "broker 2 of 2 is mqtts:// but the first is mqtt://" "$TMP/err" > /dev/null \
  || fail "a list of mixed schemes: $rc $(cat "$TMP/err")"

echo "== the node on A, the first of its list"
$M run -b "$A,$B" -l info > "$TMP/node.log" 2>&1 & NODE=$!
PIDS+=("$NODE")
wait_ctl '"status":"running"' -b "$A" status
wait_lines "$TMP/node.log" "connected to $A (MQTT 5, session new, broker 1 of 2)" 2
mosquitto_sub -h 127.0.0.1 -p "$PB" -v -t 'inference/#' -t 'system/health/#' > "$TMP/on_b.log" 2>/dev/null &
PIDS+=($!)
for _ in $(seq 100); do # The watcher on B subscribed: it sees what is published there.
  mosquitto_pub -h 127.0.0.1 -p "$PB" -t system/health/failover-probe -m up
  grep "^system/health/failover-probe up" "$TMP/on_b.log" > /dev/null && break
  sleep 0.05
done
wait_lines "$TMP/on_b.log" "^system/health/failover-probe up" 1

echo "== A dies: the node moves to B"
kill -9 "$(cat "$TMP/a/mosquitto.pid")"
t0=$(now_ms)
wait_lines "$TMP/node.log" "reconnected to $B (MQTT 5, session new, broker 2 of 2)" 2 15
echo "   both planes on B $(( $(now_ms) - t0 )) ms after A died"
wait_lines "$TMP/on_b.log" "^system/health/inference_control {\"ok\":true,\"event\":\"reconnected\",\"broker\":\"$B\"}" 1
wait_lines "$TMP/on_b.log" "^system/health/inference_data {\"ok\":true,\"event\":\"reconnected\",\"broker\":\"$B\"}" 1
wait_lines "$TMP/on_b.log" '^inference/control/status {"status": *"running"' 1
wait_lines "$TMP/on_b.log" '^inference/data/detections ' 5

echo "== commands through B, each answered once"
wait_ctl '"status":"paused"' -b "$B" pause
wait_ctl '"status":"running"' -b "$B" resume
for _ in $(seq 100); do
  [ "$(count "$TMP/on_b.log" '^inference/control/responses .*"command": *"pause"')" -ge 1 ] && break; sleep 0.05
done
ids=$(grep '^inference/control/responses ' "$TMP/on_b.log" | grep -o '"request_id": *"[^"]*"' | sort)
[ -n "$ids" ] || fail "no answers on B: $(grep responses "$TMP/on_b.log")"
[ "$(echo "$ids" | uniq -d)" = "" ] || fail "an answer came twice: $ids"
$M monitor -b "$B" --count 3 detections > "$TMP/mon.out" || fail "monitor through B"
[ "$(wc -l < "$TMP/mon.out")" = 3 ] || fail "monitor through B: $(cat "$TMP/mon.out")"
echo "failover.sh: all passed"
