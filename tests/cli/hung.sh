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
status_commands hung- "$COMMANDS" |
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -i operator -q 1 -t inference/control/commands -l \
    2>/dev/null & OPERATOR=$!
PIDS+=("$OPERATOR")
limit=$(( KEEPALIVE * 1500 ))
wait_noticed "the hung broker" "$t0" "$limit"
# Hung a while longer: the node's attempts meanwhile find a port that accepts and never answers.
while [ $(( $(now_ms) - t0 )) -lt $(( limit + 2000 )) ]; do sleep 0.1; done
kill -CONT "$BROKER"

echo "== broker answering again"
wait_lines "$TMP/answers" '"request_id":"hung-' "$COMMANDS" 30
wait_ctl '"connected":true' -b "$URL" status
all_answered "$TMP/answers" hung- "$COMMANDS" "sent while it hung"
wait "$OPERATOR" || fail "the operator's publish failed"
kill -TERM "$NODE"
wait "$NODE" || fail "the node exited with $?"
echo "PASS"
