#!/usr/bin/env bash
# Video files through the node: detections follow an object on a known path; a file plays at
# its own rate, or as fast as the pipeline goes; it ends cleanly or loops; a file and the
# synthetic scene run side by side; annotated frames show the boxes where the detections say;
# bad --source values are refused.
#   tests/cli/video.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
PY=/usr/bin/python3
command -v ffmpeg > /dev/null || skip "ffmpeg is missing"

# A white 80x80 square on black, 640x480 at 25 fps for 10 s, its top-left corner at
# x = mod(120 t, 560), y = mod(70 t, 400): frame n (from 1) shows it at t = (n - 1) / 25.
ffmpeg -loglevel error -f lavfi -i color=c=black:s=640x480:r=25:d=10 \
  -f lavfi -i color=c=white:s=80x80:r=25 \
  -filter_complex "[0][1]overlay=x='mod(t*120,560)':y='mod(t*70,400)':shortest=1" \
  -c:v libx264 -pix_fmt yuv420p "$TMP/square.mp4" || fail "ffmpeg could not make the test video"
set +e
$M run --source "file:$TMP/square.mp4" --frames 1 -b mqtt://127.0.0.1:1 2> "$TMP/err"; rc=$?
set -e
if grep -q "built without video support" "$TMP/err"; then skip "no FFmpeg in this build"; fi

echo "== bad --source values: a message each, exit 64"
printf 'not a video\n' > "$TMP/text.mp4"
while IFS='|' read -r spec want; do
  set +e
  timeout 10 $M run --source "$spec" -b mqtt://127.0.0.1:1 2> "$TMP/err"; rc=$?
  set -e
  [ $rc = 64 ] || fail "--source '$spec' should exit 64, got $rc: $(cat "$TMP/err")"
  grep -qF "source '$spec': $want" "$TMP/err" || fail "--source '$spec': expected '$want', got: $(cat "$TMP/err")"
done <<EOF
webcam:0|unknown kind
file:$TMP/none.mp4|cannot read $TMP/none.mp4: No such file or directory
file:$TMP/text.mp4|not a video FFmpeg can read
file:$TMP/square.mp4?loop=yes|loop=yes: expected 0 or 1
file:$TMP/square.mp4?realtime=2|realtime=2: expected 0 or 1
rtsp://|no host in the URL
rtsp://user:pw@/cam|no host in the URL
rtsp://cam/1?transport=quic|transport=quic: expected tcp or udp
v4l2:/dev/video-none|/dev/video-none is not a video device
EOF

broker_start
echo "== detections follow the square (file, as fast as the pipeline goes)"
sub_start "$TMP/dets" -t inference/data/detections
$M run --broker "$URL" --source "file:$TMP/square.mp4?realtime=0" 2> "$TMP/node.log" \
  || fail "node exit status $? at the end of the file: $(tail -3 "$TMP/node.log")"
grep -q "source 0 (file:$TMP/square.mp4?realtime=0): ended" "$TMP/node.log" \
  || fail "the end of the file is not logged: $(tail -3 "$TMP/node.log")"
wait_lines "$TMP/dets" '"detection_count"' 250
$PY - "$TMP/dets" <<'PY' || fail "detections do not follow the square"
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
ids = [m["frame"]["frame_id"] for m in msgs]
assert ids == list(range(1, 251)), "every frame, once, in order (realtime=0 skips none)"
near = 0
checked = 0
for m in msgs:
    n = m["frame"]["frame_id"]
    if n <= 10:
        continue  # The first frames make the background.
    t = (n - 1) / 25
    ex, ey = (120 * t) % 560 + 40, (70 * t) % 400 + 40
    # The path wraps: for two frames after a jump the old place still shows as motion.
    checked += 1
    for d in m["detections"]:
        b = d["bbox"]
        cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
        if abs(cx - ex) <= 4 and abs(cy - ey) <= 4:
            near += 1
            break
print(f"box centre within 4 px of the square on {near} of {checked} frames")
assert near >= 0.9 * checked, near
PY

echo "== a file plays at its own rate by default; loop=1 plays it again"
start=$(date +%s.%N)
$M run --broker "$URL" --source "file:$TMP/square.mp4" --frames 50 2> "$TMP/rt.log" || fail "realtime run"
elapsed=$($PY -c "import sys; print(float('$(date +%s.%N)') - $start)")
# 50 frames at 25 fps take 49 / 25 = 1.96 s at least (a slow machine only takes longer).
$PY -c "import sys; sys.exit(0 if $elapsed >= 1.9 else 1)" || fail "50 frames played in $elapsed s, faster than 25 fps"
: > "$TMP/dets"
$M run --broker "$URL" --source "file:$TMP/square.mp4?loop=1&realtime=0" --frames 300 2> "$TMP/loop.log" \
  || fail "loop run: $(tail -3 "$TMP/loop.log")"
wait_lines "$TMP/dets" '"frame_id":300,' 1

echo "== a file and the synthetic scene at once"
sub_start "$TMP/duo" -t inference/data/detections -t inference/data/metrics
$M run --broker "$URL" --source "file:$TMP/square.mp4?loop=1" --source synthetic:320x240@15 \
  --metrics-interval 1 2> "$TMP/duo.log" & NODE=$!
PIDS+=("$NODE")
wait_lines "$TMP/duo" '"source_id":0,"timestamp"' 20
wait_lines "$TMP/duo" '"source_id":1,"timestamp"' 20
wait_lines "$TMP/duo" '"sources_count":2' 1
wait_ctl '"source_status":[{"source_id":0' -b "$URL" status
echo "$CTL_OUT" | $PY -c '
import json, sys
s = json.load(sys.stdin)["result"]["source_status"]
assert [x["source_id"] for x in s] == [0, 1], s
assert all(x["state"] == "running" for x in s), s
assert s[1]["source"] == "synthetic 320x240@15", s
' || fail "status of two sources: $CTL_OUT"
grep -q libavformat "/proc/$NODE/maps" || fail "a node reading a file has not loaded FFmpeg?"
kill -TERM "$NODE"; wait "$NODE" || fail "two-source node exit status $?"

echo "== FFmpeg is loaded only for a video source (the video module)"
$M run --broker "$URL" --source synthetic:320x240@15 2> "$TMP/synth.log" & NODE=$!
PIDS+=("$NODE")
wait_ctl '"source_status":[{"source_id":0,' -b "$URL" status
if grep -E 'libav(format|codec|device)' "/proc/$NODE/maps"; then
  fail "a node on the synthetic scene mapped FFmpeg's libraries"
fi
kill -TERM "$NODE"; wait "$NODE" || fail "synthetic node exit status $?"
# A module folder that does not hold it is passed over for the next place.
MQPLANE_MODULE_DIR=$TMP/nowhere $M run --broker "$URL" --source "file:$TMP/square.mp4?realtime=0" \
  --frames 5 2> "$TMP/mod.log" || fail "MQPLANE_MODULE_DIR without the module: $(tail -3 "$TMP/mod.log")"

echo "== annotated frames: the boxes are drawn where the detections say"
: > "$TMP/dets"
$M monitor -b "$URL" full_frames --out "$TMP/frames" -n 4 > "$TMP/frames.txt" & MON=$!
PIDS+=("$MON")
wait_lines "$TMP/mosquitto.log" "inference/data/full_frames" 1
$M run --broker "$URL" --source "file:$TMP/square.mp4" --full-frames=2 --frames 100 \
  2> "$TMP/ff.log" || fail "full-frames run: $(tail -3 "$TMP/ff.log")"
wait "$MON" || fail "monitor full_frames exit status $?"
grep -c "saved $TMP/frames/source0-frame" "$TMP/frames.txt" | grep -q '^4$' \
  || fail "monitor should have saved 4 frames: $(cat "$TMP/frames.txt")"
grep -q "image/jpeg" "$TMP/frames.txt" || fail "frames without content type: $(cat "$TMP/frames.txt")"
checked=0
for jpg in "$TMP"/frames/source0-frame*.jpg; do
  n=${jpg##*frame}; n=${n%.jpg}
  [ "$n" -gt 20 ] || continue  # Past the first frames: the square is tracked.
  ffmpeg -loglevel error -i "$jpg" -f rawvideo -pix_fmt rgb24 "$jpg.rgb" || fail "cannot decode $jpg"
  grep "\"frame_id\":$n," "$TMP/dets" > "$TMP/frame.json" || fail "no detections for frame $n"
  $PY - "$jpg.rgb" "$TMP/frame.json" <<'PY' || fail "frame $n: boxes not where the detections say"
import json, sys
rgb = open(sys.argv[1], "rb").read()
assert len(rgb) == 640 * 480 * 3, len(rgb)
m = json.loads(open(sys.argv[2]).read())
px = lambda x, y: rgb[(y * 640 + x) * 3:(y * 640 + x) * 3 + 3]
coloured = lambda p: max(p) - min(p) > 80  # The scene is black and white; only boxes have hue.
tracked = [d for d in m["detections"] if "track_id" in d]
assert tracked, m
for d in tracked:
    b = d["bbox"]
    x0, y0, x1, y1 = b["x"], b["y"], b["x"] + b["width"] - 1, b["y"] + b["height"] - 1
    for x, y in ((x0 + 1, (y0 + y1) // 2), (x1 - 1, (y0 + y1) // 2), ((x0 + x1) // 2, y1 - 1)):
        assert coloured(px(x, y)), ("edge", x, y, px(x, y), b)
    assert not coloured(px((x0 + x1) // 2, (y0 + y1) // 2)), ("inside", b)
print("boxes drawn on their edges for", len(tracked), "tracks")
PY
  checked=$((checked + 1))
done
[ $checked -ge 1 ] || fail "no annotated frame past the first seconds to check"

echo "== snapshot: one annotated frame at once, whatever the rate"
$M run --broker "$URL" --source "file:$TMP/square.mp4?loop=1" 2> "$TMP/snap.log" & NODE=$!
PIDS+=("$NODE")
wait_retained inference/control/status '"status":"running"'
$M monitor -b "$URL" full_frames -n 1 > "$TMP/snap.txt" & MON=$!
PIDS+=("$MON")
wait_lines "$TMP/mosquitto.log" " inference/data/full_frames" 2
out=$($M ctl -b "$URL" snapshot) || fail "ctl snapshot: $out"
echo "$out" | grep -q '"snapshot":1' || fail "snapshot answer: $out"
wait "$MON" || fail "no frame after the snapshot command"
grep -q "frame       source 0" "$TMP/snap.txt" || fail "snapshot frame: $(cat "$TMP/snap.txt")"
kill -TERM "$NODE"; wait "$NODE" || fail "snapshot node exit status $?"
echo "video.sh: all passed"
