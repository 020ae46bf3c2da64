#!/usr/bin/env bash
# An orderly stop at any moment: on SIGTERM and SIGINT, in the middle of a reconnection, with
# the broker down, and in the middle of a command flood. Each time: exit 0, status `stopped`,
# health `shutdown` on both connections, and never a last will.
#   tests/cli/stop.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1

BROKER_CONF_EXTRA="persistence true
persistence_location $TMP/
autosave_on_changes true
autosave_interval 1"
broker_start
# Everything the nodes say about themselves, across restarts of the broker.
sub_session said "$TMP/said" -t inference/control/status -t 'system/health/#'

start_node() {
  $M run --broker "$URL" --log-level info 2> "$TMP/node.log" & NODE=$!
  PIDS+=("$NODE")
  wait_retained inference/control/status '"status":"running"'
  wait_ctl '"connected":true' -b "$URL" status
}
# Sends SIG and waits at most 15 s for the node to end; it must exit 0.
stop_node() {
  local t0=$(( $(date +%s%N) / 1000000 ))
  kill "-$1" "$NODE"
  for _ in $(seq 300); do alive "$NODE" || break; sleep 0.05; done
  alive "$NODE" && fail "$2: still running 15 s after SIG$1"
  set +e
  wait "$NODE"
  local rc=$?
  set -e
  [ "$rc" = 0 ] || fail "$2: exit $rc: $(tail -5 "$TMP/node.log")"
  echo "   $2: stopped in $(( $(date +%s%N) / 1000000 - t0 )) ms"
}
# The retained state a stopped node leaves.
check_stopped() {
  wait_retained inference/control/status '"status":"stopped"'
  wait_retained system/health/inference_control '"event":"shutdown"'
  wait_retained system/health/inference_data '"event":"shutdown"'
}

echo "== SIGTERM and SIGINT"
start_node
stop_node TERM "SIGTERM"
check_stopped
start_node
stop_node INT "SIGINT"
check_stopped

echo "== in the middle of a reconnection"
start_node
broker_kill
broker_restart
stop_node TERM "SIGTERM as the broker comes back"
# Back within its wait, it still said stopped: the retained status is no stale "running".
check_stopped

echo "== with the broker down"
start_node
broker_kill
stop_node TERM "SIGTERM with no broker"
grep -q "not reachable within" "$TMP/node.log" || fail "no word of the unreachable broker"
broker_restart

echo "== in the middle of a command flood"
start_node
/usr/bin/python3 -c '
import sys, time
for i in range(100):
    sys.stdout.write("{\"command\":\"fly\"}\n[1]\n{\"command\": \n" * 200); sys.stdout.flush()
    time.sleep(0.04)
' | mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t inference/control/commands -l & FLOOD=$!
PIDS+=("$FLOOD")
wait_lines "$TMP/node.log" "command rejected" 5 20
stop_node TERM "SIGTERM mid-flood"
alive "$FLOOD" || fail "the flood was over before the stop: the test proves nothing"
check_stopped

echo "== never a last will"
! grep -q '"event":"lost"\|"status":"disconnected"' "$TMP/said" ||
  fail "a last will was published: $(grep '"lost"\|disconnected' "$TMP/said" | head -3)"
echo "PASS"
