#!/usr/bin/env bash
# A broker that stops answering for 30 s (SIGSTOP) while a node publishes detections and frames
# at full rate: the data plane's outgoing queue stays within its bound (memory with it), the
# newest messages are dropped and counted in status and metrics, the pipeline never waits, and
# the data plane resumes when the broker does.
#   tests/cli/stall.sh PATH_TO_MQPLANE [STALL_SECONDS]
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
STALL=${2:-30}
BOUND=1048576 # The data plane's queue bound in this test, bytes.

# A field of the node's status answer (ctl status), by its path in the JSON.
status_field() {
  $M ctl -b "$URL" status | /usr/bin/python3 -c \
    'import json,sys; d=json.load(sys.stdin)["result"]
for k in sys.argv[1].split("."): d=d[k]
print(d)' "$1"
}

broker_start
cat > "$TMP/node.yaml" <<YAML
mqtt:
  data_queue_bytes: $BOUND
  data_queue_messages: 1000
YAML
# 640x480 frames at 50 per second with a JPEG of each: some 2 MB/s, far more than the kernel's
# socket buffers hold in 30 s, so the queue in the process is what a stall fills.
$M run --broker "$URL" --config "$TMP/node.yaml" --source synthetic:640x480@50 \
  --full-frames=50 --log-level info 2> "$TMP/node.log" & NODE=$!
PIDS+=("$NODE")
wait_retained inference/control/status '"status":"running"'
sub_start "$TMP/before" -t inference/data/detections
wait_lines "$TMP/before" track_id 50 20
wait_ctl '"connected":true' -b "$URL" status
# The pipeline's own rate here (a sanitizer build is slower), to compare the stall's with.
f0=$(status_field frames)
t0=$(date +%s%N)
sleep 3 # A rate measured over 3 s; nothing waits on it.
rate=$(( ($(status_field frames) - f0) * 1000000000 / ($(date +%s%N) - t0) ))
[ "$rate" -gt 0 ] || fail "the node made no frames"
base=$(rss_kb "$NODE")
frames_before=$(status_field frames)

echo "== broker stopped for $STALL s (node RSS before: $base kB)"
kill -STOP "$BROKER"
peak=$base
end=$(( $(date +%s) + STALL ))
while [ "$(date +%s)" -lt "$end" ]; do
  r=$(rss_kb "$NODE") || fail "the node died while the broker was stopped: $(tail -5 "$TMP/node.log")"
  [ "$r" -gt "$peak" ] && peak=$r
  sleep 0.25
done
kill -CONT "$BROKER"
echo "   RSS peak $peak kB: +$((peak - base)) kB over the $((BOUND / 1024)) kB bound's worth"

echo "== the data plane resumes"
sub_start "$TMP/after" -t inference/data/detections
wait_lines "$TMP/after" track_id 20 30
frames=$(status_field frames)
dropped=$(status_field data_plane.dropped_queue_full)
echo "   frames through the stall: $((frames - frames_before)) (at $rate fps before it);" \
  "dropped with the queue full: $dropped"
# The pipeline kept its rate (half of it is a generous floor for a busy machine).
[ $((frames - frames_before)) -ge $((STALL * rate / 2)) ] || fail "the pipeline slowed in the stall"
[ "$dropped" -gt 0 ] || fail "no drop counted: the stall never filled the queue (test too weak)"
# Memory: the bound and what the process needs besides, never the 30 s of data (some 60 MB).
if rss_meaningful; then
  [ $((peak - base)) -lt $((BOUND / 1024 + 6144)) ] ||
    fail "RSS grew by $((peak - base)) kB in the stall, bound $((BOUND / 1024)) kB"
fi

echo "== drops counted in metrics too"
sub_start "$TMP/metrics" -t inference/data/metrics
$M ctl -b "$URL" metrics > /dev/null || fail "ctl metrics"
wait_lines "$TMP/metrics" '"data_plane"' 1
/usr/bin/python3 - "$TMP/metrics" <<'PY' || fail "metrics: $(cat "$TMP/metrics")"
import json, sys
d = json.loads(open(sys.argv[1]).readline())["data_plane"]
assert d["dropped_queue_full"] > 0 and d["dropped"] >= d["dropped_queue_full"], d
PY

echo "== a stop during a stall: prompt, and what was still queued is counted"
kill -STOP "$BROKER"
# The kernel's socket buffers fill first (several MB, more after a first stall: TCP grows them),
# then the queue. Full buffers show as the bytes waiting to be sent to the broker no longer
# growing; then 3 s more at ~2 MB/s fill the 1 MB queue. (ss, of iproute2.)
waiting() {
  ss -tnH state established "( dport = :$PORT )" | awk '$2 > m { m = $2 } END { print m + 0 }'
}
last=-1 steady=0
for _ in $(seq 160); do # At most 40 s.
  q=$(waiting)
  if [ "$q" -gt 0 ] && [ "$q" = "$last" ]; then steady=$((steady + 1)); else steady=0; fi
  last=$q
  [ "$steady" -ge 8 ] && break # 2 s without a byte more.
  sleep 0.25
done
[ "$steady" -ge 8 ] || fail "the node's socket never filled in 40 s (last: $last bytes waiting)"
sleep 3
t0=$(date +%s%N)
kill -TERM "$NODE"
for _ in $(seq 400); do alive "$NODE" || break; sleep 0.05; done
alive "$NODE" && fail "the node did not stop within 20 s of SIGTERM with the broker stopped"
echo "   stopped in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
set +e
wait "$NODE"
rc=$?
set -e
kill -CONT "$BROKER"
grep -E "QoS 0 messages? \([0-9]+ bytes\) still queued .* at shutdown, never sent" "$TMP/node.log" ||
  fail "nothing said of the messages queued at shutdown: $(tail -8 "$TMP/node.log")"
grep -q "messages dropped ([1-9][0-9]* with the outgoing queue full)" "$TMP/node.log" ||
  fail "no drop summary: $(tail -5 "$TMP/node.log")"
[ "$rc" = 0 ] || fail "the node exited with $rc: $(tail -8 "$TMP/node.log")"
echo "PASS"
