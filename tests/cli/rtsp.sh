#!/usr/bin/env bash
# An RTSP camera through the node: detections come; the camera goes away and comes back, and
# stalls while connected, and the node reopens it by itself and says so (log, health,
# status); a server that accepts but never answers; and through it all a synthetic source
# beside the camera is not slowed.
#   tests/cli/rtsp.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
PY=/usr/bin/python3
$PY -c 'import gi; gi.require_version("GstRtspServer", "1.0")' 2>/dev/null \
  || skip "gst-rtsp-server (gir1.2-gst-rtsp-server-1.0) is missing"
set +e
$M run --source rtsp://127.0.0.1:1/x --frames 1 -b mqtt://127.0.0.1:1 2> "$TMP/err" &
p=$!; sleep 0.3; kill $p 2>/dev/null; wait $p 2>/dev/null
set -e
if grep -q "built without video support" "$TMP/err"; then skip "no FFmpeg in this build"; fi

CAM=$(free_port)
camera_start() { # [--mute]: the camera server on $CAM, its pid in $CAMPID
  $PY "$here/rtsp_server.py" "$CAM" "$@" > "$TMP/camera.out" 2>&1 & CAMPID=$!
  PIDS+=("$CAMPID")
  for _ in $(seq 100); do grep -q ready "$TMP/camera.out" && return 0; sleep 0.05; done
  fail "the camera server did not start: $(cat "$TMP/camera.out")"
}
# Detections of source S received so far.
count() { grep -c "\"source_id\":$1,\"timestamp\"" "$TMP/dets" || true; }
status_of() { # the node's status answer, with $1 in source_status[0]
  wait_ctl "$1" -b "$URL" status
}

broker_start
camera_start
sub_start "$TMP/dets" -t inference/data/detections
sub_start "$TMP/health" -t system/health/inference_data -v
$M run --broker "$URL" --source "rtsp://127.0.0.1:$CAM/cam" --source synthetic \
  --stall-timeout 1 2> "$TMP/node.log" & NODE=$!
PIDS+=("$NODE")

echo "== detections from the camera, and from the scene beside it"
wait_lines "$TMP/dets" '"source_id":0,"timestamp"' 10 20
wait_lines "$TMP/dets" '"source_id":1,"timestamp"' 10
status_of '"source_id":0,"source":"rtsp://127.0.0.1:'"$CAM"'/cam","state":"running"'

echo "== the camera goes away: lost, said, and the scene goes on"
kill -TERM "$CAMPID"; wait "$CAMPID" 2>/dev/null || true
wait_lines "$TMP/node.log" "source 0 (rtsp://127.0.0.1:$CAM/cam) lost" 1 20
wait_lines "$TMP/health" '"event":"source_lost","err":"source 0 (rtsp://127.0.0.1:'"$CAM"'/cam)' 1
before=$(count 1)
wait_lines "$TMP/dets" '"source_id":1,"timestamp"' $((before + 30)) 20
status_of '"source_id":0,"source":"rtsp://127.0.0.1:'"$CAM"'/cam","state":"lost"'

echo "== it comes back: restored by itself, detections resume"
camera_start
wait_lines "$TMP/node.log" "source 0 (rtsp://127.0.0.1:$CAM/cam) restored" 1 30
wait_lines "$TMP/health" '"event":"source_restored"' 1
before=$(count 0)
wait_lines "$TMP/dets" '"source_id":0,"timestamp"' $((before + 10)) 20
status_of '"state":"running","fps"'
echo "$CTL_OUT" | grep -q '"reconnects":1' || fail "status should count one reconnection: $CTL_OUT"

echo "== it stalls, connected but silent: lost after the stall timeout, the scene not slowed"
kill -STOP "$CAMPID"
wait_lines "$TMP/node.log" "source 0 (rtsp://127.0.0.1:$CAM/cam) lost: no data for 1.0 s" 1 20
# The scene runs at 30 fps: 2 s of it while the camera is stalled, against a third of that.
b=$(count 1); t0=$(date +%s.%N)
wait_lines "$TMP/dets" '"source_id":1,"timestamp"' $((b + 20)) 10
t1=$(date +%s.%N)
$PY -c "import sys; d = $t1 - $t0; print(f'20 frames of the scene in {d:.2f} s during the stall'); sys.exit(0 if d < 2.5 else 1)" \
  || fail "the stalled camera slowed the scene"
kill -CONT "$CAMPID"
wait_lines "$TMP/node.log" "source 0 (rtsp://127.0.0.1:$CAM/cam) restored" 2 30
before=$(count 0)
wait_lines "$TMP/dets" '"source_id":0,"timestamp"' $((before + 10)) 20

echo "== a server that accepts and never answers"
kill -TERM "$CAMPID"; wait "$CAMPID" 2>/dev/null || true
camera_start --mute
wait_lines "$TMP/node.log" "source 0 (rtsp://127.0.0.1:$CAM/cam) lost" 2 20
# Each attempt now ends at the stall timeout; the node stays up, the scene goes on.
kill -TERM "$CAMPID"; wait "$CAMPID" 2>/dev/null || true
camera_start
wait_lines "$TMP/node.log" "source 0 (rtsp://127.0.0.1:$CAM/cam) restored" 3 40
alive "$NODE" || fail "the node stopped"
kill -TERM "$NODE"; wait "$NODE" || fail "node exit status $?"
grep -q "no answer within the stall timeout" "$TMP/node.log" \
  || grep -q "lost: no data" "$TMP/node.log" || fail "no stall reason in the log"
echo "rtsp.sh: all passed"
