#!/usr/bin/env bash
# A hung broker (SIGSTOP past the keepalive, then SIGCONT): the node notices within
# 1.5 x keepalive, reconnects once the broker answers again, and loses no QoS 1 command sent
# while it hung.
#   tests/cli/hung.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
KEEPALIVE=10
COMMANDS=20

broker_start
sub_session answers "$TMP/answers" -t inference/control/responses
printf 'mqtt:\n  keepalive: %s\n' "$KEEPALIVE" > "$TMP/node.yaml"
$M run --broker "$URL" --config "$TMP/node.yaml" --log-level info 2> "$TMP/node.log" & NODE=$!
PIDS+=("$NODE")
wait_retained inference/control/status '"status":"running"'
wait_ctl '"connected":true' -b "$URL" status

echo "== broker stopped (keepalive $KEEPALIVE s)"
kill -STOP "$BROKER"
t0=$(now_ms)
# An operator sends commands into the hung broker: they wait in its socket buffers.
for i in $(seq "$COMMANDS"); do echo "{\"command\":\"status\",\"request_id\":\"h$i\"}"; done |
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -i operator -q 1 -t inference/control/commands -l \
    2>/dev/null & OPERATOR=$!
PIDS+=("$OPERATOR")
limit=$(( KEEPALIVE * 1500 ))
noticed=()
for plane in inference_control inference_data; do
  while ! grep -q "\[$plane\] MQP_ERR_[A-Z_]*: connection to .* lost" "$TMP/node.log"; do
    [ $(( $(now_ms) - t0 )) -le "$limit" ] ||
      fail "$plane did not notice the hung broker within 1.5 x keepalive: $(tail -3 "$TMP/node.log")"
    sleep 0.05
  done
  noticed+=("$plane $(( $(now_ms) - t0 )) ms")
done
echo "   noticed: ${noticed[*]} (limit $limit ms)"
# Hung a while longer: the node's attempts meanwhile find a port that accepts and never answers.
while [ $(( $(now_ms) - t0 )) -lt $(( limit + 2000 )) ]; do sleep 0.1; done
kill -CONT "$BROKER"

echo "== broker answering again"
wait_lines "$TMP/answers" '"request_id":"h' "$COMMANDS" 30
wait_ctl '"connected":true' -b "$URL" status
/usr/bin/python3 - "$TMP/answers" "$COMMANDS" <<'PY' || fail "answers: $(cat "$TMP/answers")"
import json, sys
ids = [json.loads(l.split(" ", 1)[1])["request_id"] for l in open(sys.argv[1])]
ids = [i for i in ids if str(i).startswith("h")]  # Not ctl's own.
want = [f"h{i}" for i in range(1, int(sys.argv[2]) + 1)]
assert sorted(set(ids)) == sorted(want), ids
print(f"   {len(want)} commands sent while it hung, all answered ({len(ids) - len(want)} repeats)")
PY
wait "$OPERATOR" || fail "the operator's publish failed"
kill -TERM "$NODE"
wait "$NODE" || fail "the node exited with $?"
echo "PASS"
