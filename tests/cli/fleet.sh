#!/usr/bin/env bash
# Fleet-wide operation on a real broker: nodes on the reference topics and in namespaces, one
# stopped, one that is only a retained status; mqplane ctl --all and --node-id PATTERN send to
# each with its own request id and print one answer per node, naming those that did not
# answer; mqplane monitor --fleet shows them all, a line each.
#   tests/cli/fleet.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1

echo "== bad options: a message each, exit 64"
set +e
$M ctl --all --node-id cam1 status 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep "give one, or a pattern" "$TMP/err" > /dev/null || fail "--all with one --node-id: $rc $(cat "$TMP/err")"
set +e
$M monitor --fleet status 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep "fleet watches every node" "$TMP/err" > /dev/null || fail "--fleet with a feed: $rc $(cat "$TMP/err")"

broker_start
$M run -b "$URL" -s synthetic:160x120@10 --metrics-interval 1 > "$TMP/default.log" 2>&1 & PIDS+=($!)
for id in cam1 cam2; do
  $M run -b "$URL" -n $id -s synthetic:160x120@10 --metrics-interval 1 > "$TMP/$id.log" 2>&1 & PIDS+=($!)
done
$M run -b "$URL" -n cam3 -s synthetic:160x120@10 --frames 5 > "$TMP/cam3.log" 2>&1 || fail "cam3 did not stop by itself"
for id in "" cam1/ cam2/; do
  wait_ctl '"status":"running"' -b "$URL" ${id:+--node-id ${id%/}} status
done

echo "== ctl --all: every running node answers once, the stopped one is named"
$M ctl -b "$URL" --all status > "$TMP/all.out" 2> "$TMP/all.err" || fail "ctl --all: $? $(cat "$TMP/all.out" "$TMP/all.err")"
for id in default cam1 cam2; do
  grep -E "^$id +\{\"request_id\":\"[0-9a-f]{32}\",\"command\":\"status\",\"ok\":true" "$TMP/all.out" > /dev/null \
    || fail "no answer from $id: $(cat "$TMP/all.out")"
done
grep -E "^cam3 +not sent: its retained status is stopped$" "$TMP/all.out" > /dev/null || fail "cam3: $(cat "$TMP/all.out")"
[ "$(grep -o '"request_id":"[0-9a-f]*"' "$TMP/all.out" | sort -u | wc -l)" = 3 ] || fail "request ids not one per node"
grep "status to 3 nodes: 3 answered, 0 did not, the others are not running" "$TMP/all.err" > /dev/null \
  || fail "summary: $(cat "$TMP/all.err")"

echo "== ctl --node-id 'cam*': the namespaced nodes that match, and no other"
$M ctl -b "$URL" --node-id 'cam*' pause > "$TMP/pause.out" 2>&1 || fail "pause cam*: $(cat "$TMP/pause.out")"
[ "$(grep -c '"command":"pause","ok":true,"status":"paused"' "$TMP/pause.out")" = 2 ] || fail "pause cam*: $(cat "$TMP/pause.out")"
wait_ctl '"status":"running"' -b "$URL" status
wait_ctl '"status":"paused"' -b "$URL" --node-id cam2 status
set +e
$M ctl -b "$URL" --node-id 'zzz*' status 2> "$TMP/err"; rc=$?
set -e
[ $rc = 2 ] && grep "no node matching zzz\* found" "$TMP/err" > /dev/null || fail "no match: $rc $(cat "$TMP/err")"

echo "== a node that does not answer is named, and the exit status says so"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -r -q 1 -t inference/ghost/control/status \
  -m '{"status": "running", "timestamp": "2026-01-01T00:00:00.000000", "client_id": "inference_control-ghost"}'
set +e
$M ctl -b "$URL" --all -t 1 resume > "$TMP/ghost.out" 2>&1; rc=$?
set -e
[ $rc = 2 ] || fail "a silent node should make it exit 2, got $rc: $(cat "$TMP/ghost.out")"
grep -E "^ghost +no answer within 1 s$" "$TMP/ghost.out" > /dev/null || fail "ghost: $(cat "$TMP/ghost.out")"
[ "$(grep -c '"command":"resume","ok":true' "$TMP/ghost.out")" = 3 ] || fail "the others: $(cat "$TMP/ghost.out")"

echo "== monitor --fleet: a line per node"
$M monitor -b "$URL" --fleet --count 1 --interval 1.5 > "$TMP/fleet.out" || fail "monitor --fleet"
cat "$TMP/fleet.out" | sed 's/^/   /'
grep -E "^[0-9:.]+ 5 nodes, 4 running$" "$TMP/fleet.out" > /dev/null || fail "the count: $(head -1 "$TMP/fleet.out")"
grep -E "^  default +running +[0-9]+ s +[0-9]+\.[0-9] +1  .*ready" "$TMP/fleet.out" > /dev/null \
  || fail "default's line: $(cat "$TMP/fleet.out")"
grep -E "^  cam3 +stopped +[0-9]+ s +- +-  .*shutdown" "$TMP/fleet.out" > /dev/null || fail "cam3's line"
grep -E "^  ghost +running +[0-9.]+ (h|min|days) +- +-  -$" "$TMP/fleet.out" > /dev/null || fail "ghost's line"
echo "fleet.sh: all passed"
