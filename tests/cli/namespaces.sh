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
echo "== two sources in one node: one pipeline each"
$M run --broker "$URL" --node-id duo --source synthetic:320x240@15 --source synthetic \
  --metrics-interval 1 2> "$TMP/duo.log" & PIDS+=($!)
wait_retained inference/duo/control/status '"status":"running"'
$M monitor -b "$URL" --node-id duo detections -n 60 --json > "$TMP/duo"
grep -q '"source_id":0' "$TMP/duo" || fail "no detections from source 0"
grep -q '"source_id":1' "$TMP/duo" || fail "no detections from source 1"
$M monitor -b "$URL" --node-id duo metrics -n 1 --json | grep -q '"sources_count":2' \
  || fail "metrics should report two sources"
out=$($M ctl -b "$URL" --node-id duo status) || fail "ctl duo status"
echo "$out" | grep -q '"sources":\["synthetic 320x240@15","synthetic 640x480@30"\]' \
  || fail "status should list both sources: $out"
echo "namespaces.sh: all passed"
