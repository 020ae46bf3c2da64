#!/usr/bin/env bash
# Per-node namespaces: two nodes share one broker; each obeys only its own commands.
#   tests/cli/namespaces.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1

set +e
$M run --node-id 'cam/1' 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] || fail "a node id with '/' should exit 64, got $rc"
grep -q "placeholder {node_id}" "$TMP/err" || fail "node id message: $(cat "$TMP/err")"

broker_start
$M run --broker "$URL" --node-id cam1 2> "$TMP/cam1.log" & PIDS+=($!)
$M run --broker "$URL" --node-id cam2 2> "$TMP/cam2.log" & PIDS+=($!)
wait_retained inference/cam1/control/status '"status":"running"'
wait_retained inference/cam2/control/status '"status":"running"'
retained inference/cam1/control/status | grep -q '"client_id":"inference_control-cam1"' \
  || fail "cam1 client id"

$M ctl -b "$URL" --node-id cam1 pause > /dev/null || fail "ctl --node-id cam1 pause"
wait_retained inference/cam1/control/status '"status":"paused"'
retained inference/cam2/control/status | grep -q '"status":"running"' || fail "cam2 was paused too"
out=$($M ctl -b "$URL" --node-id cam2 status) || fail "ctl cam2 status"
echo "$out" | grep -q '"pipeline":"running"' || fail "cam2 status: $out"
$M monitor -b "$URL" --node-id cam2 detections -n 2 --json | grep -q detection_count \
  || fail "monitor --node-id cam2"
# Nothing went to the reference topics.
[ -z "$(retained inference/control/status)" ] || fail "a namespaced node used the default topics"
echo "namespaces.sh: all passed"
