#!/usr/bin/env bash
# A broker that crashes: kill -9 and restart it 10 times with persistence on, sending commands
# each time while the node is still cut off, then once more with everything lost. Nothing may
# need a node restart, and every command is answered exactly once.
#   tests/cli/restart.sh PATH_TO_MQPLANE [CYCLES] [BATCH]
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
CYCLES=${2:-10}
BATCH=${3:-50}

# The shipped configurations' persistence (deploy/mosquitto): saved after every change.
BROKER_CONF_EXTRA="persistence true
persistence_location $TMP/
autosave_on_changes true
autosave_interval 1"
broker_start

# The timestamp of the retained status, or nothing while the broker has none.
retained_stamp() {
  mosquitto_sub -h 127.0.0.1 -p "$PORT" -t inference/control/status -C 1 -W 1 2>/dev/null |
    sed -n 's/.*"timestamp":"\([^"]*\)".*/\1/p' || true
}

sub_session answers "$TMP/answers" -t inference/control/responses
sub_session status "$TMP/status" -t inference/control/status
sub_session health "$TMP/health" -t 'system/health/#'
$M run --broker "$URL" --log-level info 2> "$TMP/node.log" & NODE=$!
PIDS+=("$NODE")
wait_lines "$TMP/status" '"status":"running"' 1 20
wait_lines "$TMP/health" '"event":"ready"' 2 20
sub_start "$TMP/detections" -t inference/data/detections
wait_lines "$TMP/detections" track_id 5 20

worst=0
for cycle in $(seq "$CYCLES"); do
  health_before=$(count "$TMP/health" '"event":"reconnected"')
  status_before=$(count "$TMP/status" '"status":"running"')
  stamp_before=$(retained_stamp)
  broker_kill
  broker_restart
  up=$(now_ms)
  # Commands while the node is still cut off (its next attempt is a backoff step away): the
  # broker keeps them in the node's session, and hands them over when it is back.
  for i in $(seq "$BATCH"); do
    echo "{\"command\":\"status\",\"request_id\":\"c$cycle-$i\"}"
  done | mosquitto_pub -h 127.0.0.1 -p "$PORT" -i operator -q 1 -t inference/control/commands -l ||
    fail "cycle $cycle: the operator could not publish"
  # Back: the status is published again (a fresh timestamp on the retained one), and both
  # planes say reconnected. Timed from here, where each poll is one short connection; the
  # watchers above wait a second before they reconnect themselves.
  while [ "$(retained_stamp)" = "$stamp_before" ]; do
    [ $(( $(now_ms) - up )) -lt 2000 ] ||
      fail "cycle $cycle: the node was not back within 2 s: $(tail -5 "$TMP/node.log")"
    sleep 0.01
  done
  back=$(( $(now_ms) - up ))
  [ "$back" -gt "$worst" ] && worst=$back
  wait_lines "$TMP/health" '"event":"reconnected"' $((health_before + 2)) 10
  wait_lines "$TMP/status" '"status":"running"' $((status_before + 1)) 10
  wait_lines "$TMP/answers" "\"request_id\":\"c[0-9]*-" $((cycle * BATCH)) 20
  # The data plane resumes too (the watcher above is a plain one: it reconnects by itself).
  seen=$(count "$TMP/detections" track_id)
  wait_lines "$TMP/detections" track_id $((seen + 5)) 20
  echo "   restart $cycle: node back in $back ms, $((cycle * BATCH)) commands answered"
done
echo "== $CYCLES restarts: node back within $worst ms at worst"

echo "== every command answered exactly once, in order"
/usr/bin/python3 - "$TMP/answers" "$CYCLES" "$BATCH" <<'PY' || fail "answers"
import json, sys
path, cycles, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
answers, order, repeats = {}, [], 0
for line in open(path):
    payload = json.loads(line.split(" ", 1)[1])
    rid = payload["request_id"]
    seen = answers.setdefault(rid, set())
    text = json.dumps(payload, sort_keys=True)
    if text in seen:
        repeats += 1  # The broker delivering one answer twice (QoS 1 across a crash).
        continue
    seen.add(text)
    order.append(rid)
    assert payload["ok"] is True, payload
twice = [r for r, s in answers.items() if len(s) > 1]
assert not twice, f"answered more than once: {twice[:5]}"
want = [f"c{c}-{i}" for c in range(1, cycles + 1) for i in range(1, batch + 1)]
missing = sorted(set(want) - set(answers))
assert not missing, f"never answered: {missing[:5]}"
assert order == want, "answers out of order"
print(f"   {len(want)} commands, each answered once and in order; "
      f"{repeats} answers delivered twice by the broker")
PY

echo "== a restart that lost everything: a new broker, no session, nothing retained"
broker_kill
rm -f "$TMP"/mosquitto.db
health_before=$(count "$TMP/health" '"event":"reconnected"')
broker_restart
# The node notices its session is gone, subscribes again and restores what it had retained.
wait_lines "$TMP/node.log" "session new" 2 10
wait_retained inference/control/status '"status":"running"'
wait_retained system/health/inference_control '"ok":true'
wait_retained system/health/inference_data '"ok":true'
out=$($M ctl -b "$URL" -t 5 status) || fail "no answer after the broker lost everything: $out"
[[ $out == *'"connected":true'* ]] || wait_ctl '"connected":true' -b "$URL" status
kill -TERM "$NODE"
wait "$NODE" || fail "the node exited with $?"
echo "PASS"
