#!/usr/bin/env bash
# mqplane run, driven through mqplane ctl and a raw MQTT client, against a real mosquitto.
#   tests/cli/node.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1

echo "== usage and exit statuses"
$M --version | grep -q "^mqplane " || fail "--version"
$M run --help | grep -q "usage: mqplane run" || fail "run --help"
$M ctl --help | grep -q "usage: mqplane ctl" || fail "ctl --help"
set +e
$M run --bogus 2>/dev/null; [ $? = 64 ] || fail "run --bogus should exit 64"
$M ctl fly 2>"$TMP/err"; [ $? = 64 ] || fail "ctl fly should exit 64"
grep -q "unknown command fly" "$TMP/err" || fail "ctl fly message"
$M run --source webcam:0 2>"$TMP/err"; [ $? = 64 ] || fail "unknown source should exit 64"
grep -q "source 'webcam:0': unknown kind" "$TMP/err" || fail "unknown source message"
$M run --broker mqtt://host:99999 2>"$TMP/err"; [ $? = 64 ] || fail "bad URL should exit 64"
grep -q "port '99999'" "$TMP/err" || fail "bad URL message"
set -e

broker_start
echo "== a node on the synthetic scene ($URL)"
sub_start "$TMP/wire" -t 'inference/#' -v
$M run --broker "$URL" --log-level info 2> "$TMP/node.log" & NODE=$!
PIDS+=("$NODE")
wait_retained inference/control/status '"status":"running"'
grep -q '"status":"connected"' "$TMP/wire" || fail "no 'connected' status before 'running'"
wait_lines "$TMP/wire" '"track_id"' 5

echo "== every command through mqplane ctl"
out=$($M ctl -b "$URL" status) || fail "ctl status exit $?"
echo "$out" | grep -q '"ok":true' || fail "status: $out"
echo "$out" | grep -q '"pipeline":"running"' || fail "status result: $out"
out=$($M ctl -b "$URL" STABILIZATION_STATS) || fail "ctl stabilization_stats"
echo "$out" | grep -q '"flicker_suppressed"' || fail "stabilization_stats: $out"
$M ctl -b "$URL" pause > /dev/null || fail "ctl pause"
wait_retained inference/control/status '"status":"paused"'
# "paused" means no more detections: every one the node has published arrives, and no other.
published() { $M ctl -b "$URL" status | /usr/bin/python3 -c \
  'import json,sys; print(json.load(sys.stdin)["result"]["data_plane"]["messages_published"])'; }
before=$(published)
wait_lines "$TMP/wire" '^inference/data/detections ' "$before"
sleep 1  # A second of pause, watched: nothing more may come.
[ "$(grep -c '^inference/data/detections ' "$TMP/wire")" = "$before" ] || fail "detections while paused"
[ "$(published)" = "$before" ] || fail "the node published while paused"
$M ctl -b "$URL" resume > /dev/null || fail "ctl resume"
wait_retained inference/control/status '"status":"running"'
wait_lines "$TMP/wire" detections $((before + 5))
out=$($M ctl -b "$URL" toggle_crop) || fail "ctl toggle_crop"
echo "$out" | grep -q '"crop":true' || fail "toggle_crop: $out"
wait_lines "$TMP/wire" '"roi_metrics"' 30
# Through the crop too, every box lies in the 640x480 frame: a track that leaves the frame is
# dropped, never carried on outside it (a crop that did not cover it once let one drift away).
/usr/bin/python3 - "$TMP/wire" <<'PY' || fail "a box outside the frame"
import json, sys
n = 0
for line in open(sys.argv[1]):
    topic, _, payload = line.partition(" ")
    if topic.endswith("/detections"):
        for d in json.loads(payload)["detections"]:
            b = d["bbox"]
            assert b["x"] >= -100 and b["y"] >= -100 and b["x"] + b["width"] <= 740 \
                and b["y"] + b["height"] <= 580, b
            n += 1
assert n > 50, n
PY
$M ctl -b "$URL" metrics > /dev/null || fail "ctl metrics"
wait_lines "$TMP/wire" 'inference/data/metrics {"timestamp"' 1

echo "== mqplane monitor"
$M monitor -b "$URL" status -n 1 | grep -q "status .*running .*inference_control" \
  || fail "monitor status"
$M monitor -b "$URL" detections -n 3 --json > "$TMP/mon"
[ "$(grep -c '"detection_count"' "$TMP/mon")" = 3 ] || fail "monitor --json: $(cat "$TMP/mon")"
$M monitor -b "$URL" detections -n 2 | grep -q "msg/s" || fail "monitor detections"
set +e
$M monitor -b "$URL" everything 2>/dev/null; [ $? = 64 ] || fail "monitor everything should exit 64"
set -e

echo "== malformed input is answered and changes nothing"
sub_start "$TMP/responses" -t inference/control/responses
for payload in 'pause' '{"command": 7}' '{"cmd":"pause"}' '{"command":"fly"}' '[1,2]'; do
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t inference/control/commands -m "$payload"
done
head -c 70000 /dev/zero | tr '\0' ' ' > "$TMP/big"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t inference/control/commands -f "$TMP/big"
wait_lines "$TMP/responses" '"ok":false' 6
for e in "not JSON" "'command' must be a string" "no 'command' member" "unknown command 'fly'" \
         "not a JSON object" "over the 65536-byte limit"; do
  grep -q "$e" "$TMP/responses" || fail "no answer saying: $e"
done
grep -q "command rejected" "$TMP/node.log" || fail "rejections not logged"
wait_retained inference/control/status '"status":"running"'
$M ctl -b "$URL" status > /dev/null || fail "node stopped obeying after bad input"

echo "== the last will after SIGKILL"
kill -KILL "$NODE"
wait "$NODE" 2>/dev/null || true
wait_retained inference/control/status '"status":"disconnected"'
wait_retained system/health/inference_data '"event":"lost"'

echo "== stop command: in order, exit 0"
$M run --broker "$URL" 2> "$TMP/node2.log" & NODE=$!
PIDS+=("$NODE")
wait_retained inference/control/status '"status":"running"'
$M ctl -b "$URL" stop > /dev/null || fail "ctl stop"
wait "$NODE" || fail "node exit status $? after stop"
wait_retained inference/control/status '"status":"stopped"'
wait_retained system/health/inference_data '"event":"shutdown"'

echo "== SIGTERM: in order, exit 0"
$M run --broker "$URL" 2> "$TMP/node3.log" & NODE=$!
PIDS+=("$NODE")
wait_retained inference/control/status '"status":"running"'
kill -TERM "$NODE"
wait "$NODE" || fail "node exit status $? after SIGTERM"
wait_retained inference/control/status '"status":"stopped"'
wait_retained system/health/inference_control '"event":"shutdown"'

echo "== names with quotes, backslashes and non-ASCII: the status answer is valid JSON"
# The topic holds '"', '\' and non-ASCII characters; YAML's single quotes keep them literal.
printf "mqtt:\n  data_topic: 'inference/da\"ta\\\\x/d\xc3\xa9tections/\xe2\x82\xac'\n" > "$TMP/odd.yaml"
$M run --broker "$URL" -c "$TMP/odd.yaml" 2> "$TMP/odd.log" & NODE=$!
PIDS+=("$NODE")
wait_retained inference/control/status '"status":"running"'
out=$($M ctl -b "$URL" status) || fail "ctl status of the odd node"
/usr/bin/python3 - "$out" <<'PY' || fail "status answer is not the JSON it should be: $out"
import json, sys
topic = json.loads(sys.argv[1])["result"]["data_plane"]["topic"]
assert topic == 'inference/da"ta\\x/d\u00e9tections/\u20ac', repr(topic)
PY
kill -TERM "$NODE"; wait "$NODE" || fail "odd node exit status $?"

echo "== ctl with no node: exit 2 and a clear message"
set +e
$M ctl -b "$URL" -t 0.5 status 2> "$TMP/err"; rc=$?
set -e
[ $rc = 2 ] || fail "ctl without a node should exit 2, got $rc"
grep -q "no answer to 'status'" "$TMP/err" || fail "ctl timeout message"
echo "node.sh: all passed"
