#!/usr/bin/env bash
# A command flood: 100 000 malformed, oversized, mistyped and unknown commands while the node
# runs. It keeps publishing detections, obeys a pause sent in the middle of it (the latency is
# measured and printed), keeps its memory, and answers normally afterwards.
#   tests/cli/flood.sh PATH_TO_MQPLANE [COUNT]
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
COUNT=${2:-100000}


/usr/bin/python3 - "$TMP/flood" "$COUNT" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(n):
        k = i % 6
        if k == 0:
            f.write('{"command": "pause"\n')  # Not JSON: cut short.
        elif k == 1:
            f.write('{"command":"fly","request_id":%d}\n' % i)  # Unknown.
        elif k == 2:
            f.write('[1,2,3]\n')  # Not an object.
        elif k == 3:
            f.write('{"command":42}\n')  # Not a string.
        elif k == 4:
            f.write('{"request_id":{"a":1},"command":"stop"}\n')  # A request id of a bad type.
        elif i % 1000 == 5:
            f.write('{"command":"' + "x" * 70000 + '"}\n')  # Over the 64 KiB limit.
        else:
            f.write('\xff\xfe{}\n')  # Not UTF-8.
PY

# No limit on what the broker queues for the node: the test measures the node. (Beyond the
# shipped configuration's max_queued_messages, 1000, the broker drops QoS 1 messages for a
# client that lags, good commands among them: docs/RELIABILITY.md.)
BROKER_CONF_EXTRA="max_queued_messages 0"
broker_start
$M run --broker "$URL" --log-level info 2> "$TMP/node.log" & NODE=$!
PIDS+=("$NODE")
wait_retained inference/control/status '"status":"running"'
sub_start "$TMP/wire" -t inference/data/detections -t inference/control/responses -v
# The answers again, each with the moment it arrived (ns): the pause is timed by it, not by
# how often this script looks.
sub_start "$TMP/answers" -t inference/control/responses -F '%U %p'
wait_lines "$TMP/wire" track_id 10 20
wait_ctl '"connected":true' -b "$URL" status
base=$(rss_kb "$NODE")

echo "== $COUNT bad commands, QoS 0 and QoS 1 at once"
# Each half is fed over some 4 s (12 500 a second), so that the pause lands in the middle.
feed() { /usr/bin/python3 -c '
import sys, time
lines = sys.stdin.buffer.readlines()
for i in range(0, len(lines), 500):
    sys.stdout.buffer.write(b"".join(lines[i:i + 500])); sys.stdout.buffer.flush(); time.sleep(0.04)
'; }
half=$(( COUNT / 2 ))
head -n "$half" "$TMP/flood" | feed |
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 0 -t inference/control/commands -l & F0=$!
tail -n +"$((half + 1))" "$TMP/flood" | feed |
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t inference/control/commands -l & F1=$!
PIDS+=("$F0" "$F1")
dets=$(count "$TMP/wire" track_id)
# In the middle of it, a pause: timed until its answer arrives.
wait_lines "$TMP/wire" "\"ok\":false" 2000 20
sent_ns=$(date +%s%N) # Before mosquitto_pub starts: its own start-up counts against us.
mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t inference/control/commands \
  -m '{"command":"pause","request_id":"mid-flood"}'
wait_lines "$TMP/wire" '"request_id":"mid-flood".*"status":"paused"' 1 20
wait_lines "$TMP/answers" '"request_id":"mid-flood"' 1 5
arrived=$(grep '"request_id":"mid-flood"' "$TMP/answers" | head -1 | cut -d' ' -f1)
latency=$(( (${arrived%.*}${arrived#*.} - sent_ns) / 1000000 ))
alive "$F0" || alive "$F1" || fail "the flood was over before the pause: the test proves nothing"
# Detections went on until the pause.
[ "$(count "$TMP/wire" track_id)" -gt "$dets" ] || fail "no detections during the flood"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t inference/control/commands \
  -m '{"command":"resume","request_id":"after-pause"}'
wait "$F0" || fail "the QoS 0 flood could not be sent"
wait "$F1" || fail "the QoS 1 flood could not be sent"
wait_lines "$TMP/wire" '"request_id":"after-pause"' 1 30
dets=$(count "$TMP/wire" track_id)
wait_lines "$TMP/wire" track_id $((dets + 10)) 20
peak=$(rss_kb "$NODE")
rejected=$(count "$TMP/node.log" "command rejected")
echo "   pause obeyed $latency ms after it was sent, mid-flood; RSS $base -> $peak kB"
echo "   rejections logged: $rejected (the rest summarised)"
[ "$latency" -lt 2000 ] || fail "the pause waited $latency ms behind the flood"
if rss_meaningful; then
  [ $((peak - base)) -lt 10240 ] || fail "RSS grew by $((peak - base)) kB in the flood"
fi
grep -q "more commands rejected" "$TMP/node.log" ||
  fail "the rejections were not summarised: $(tail -3 "$TMP/node.log")"
[ "$rejected" -lt 1000 ] || fail "$rejected rejection lines: the log is not rate-limited"

echo "== answers as before afterwards"
wait_ctl '"pipeline":"running"' -b "$URL" status
kill -TERM "$NODE"
wait "$NODE" || fail "the node exited with $?"
echo "PASS"
