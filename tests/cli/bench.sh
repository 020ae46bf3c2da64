#!/usr/bin/env bash
# mqplane bench: publish through the data plane (its figures add up, its messages are a
# node's, its client id is no node's) and rtt against a running node (left running).
#   tests/cli/bench.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1

echo "== bad arguments"
set +e
$M bench fly > /dev/null 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep -q "mqplane bench: unknown: fly" "$TMP/err" || fail "bench fly: $rc $(cat "$TMP/err")"
set +e
$M bench rtt --count 0 > /dev/null 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep -q "rtt needs --count of at least 1" "$TMP/err" || fail "rtt -n 0: $rc"

broker_start
echo "== publish"
mosquitto_sub -h 127.0.0.1 -p "$PORT" -t inference/data/detections -C 2000 -W 30 \
  > "$TMP/received" 2> /dev/null & SUB=$!
PIDS+=("$SUB")
wait_lines "$TMP/mosquitto.log" "^[0-9]*: .* 0 inference/data/detections" 1
$M bench publish -b "$URL" --count 2000 --detections 3 --rate 4000 > "$TMP/out" ||
  fail "bench publish: $(cat "$TMP/out")"
cat "$TMP/out"
read -r calls published dropped cpu seconds < <(sed -E \
  's/^calls_per_s=([0-9]+) published=([0-9]+) dropped=([0-9]+) cpu_s=([0-9.]+) seconds=([0-9.]+)$/\1 \2 \3 \4 \5/' \
  "$TMP/out")
[ -n "${seconds:-}" ] || fail "not the figures line: $(cat "$TMP/out")"
[ $((published + dropped)) = 2000 ] || fail "published $published + dropped $dropped is not 2000"
[ "$calls" -gt 1000 ] && [ "$calls" -lt 6000 ] || fail "--rate 4000 gave $calls calls a second"
grep -q "New client connected from .* as mqplane-bench-[0-9]*" "$TMP/mosquitto.log" ||
  fail "bench publish's client id: $(grep 'New client' "$TMP/mosquitto.log")"
wait_lines "$TMP/received" '"detection_count":3' "$published" 20
/usr/bin/python3 - "$TMP/received" <<'PY' || fail "a message is not a detections message"
import json, sys
m = json.loads(open(sys.argv[1]).readline())
assert m["detection_count"] == 3 and len(m["detections"]) == 3, m
assert {"class", "confidence", "bbox", "class_id", "track_id"} <= set(m["detections"][0]), m
assert "frame" in m and "timestamp" in m, m
PY

echo "== rtt against a node"
$M run --broker "$URL" 2> "$TMP/node.log" & NODE=$!
PIDS+=("$NODE")
wait_retained inference/control/status '"status":"running"'
$M bench rtt -b "$URL" --count 21 > "$TMP/out" || fail "bench rtt: $(cat "$TMP/out")"
cat "$TMP/out"
grep -Eq '^p50_ms=[0-9.]+ p90_ms=[0-9.]+ p99_ms=[0-9.]+ max_ms=[0-9.]+ over_10ms=[0-9]+ count=21$' \
  "$TMP/out" || fail "not the figures line: $(cat "$TMP/out")"
wait_retained inference/control/status '"status":"running"' # An odd count ends paused: resumed.
kill -TERM "$NODE"
wait "$NODE" || fail "the node exited with $?"
set +e
$M bench rtt -b "$URL" --count 2 --timeout 0.5 > /dev/null 2> "$TMP/err"; rc=$?
set -e
[ $rc = 2 ] && grep -q "no 'paused' status within 0.5 s (is a node running there?)" "$TMP/err" ||
  fail "rtt without a node: $rc $(cat "$TMP/err")"
echo "PASS"
