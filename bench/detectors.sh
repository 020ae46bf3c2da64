#!/usr/bin/env bash
# Detectors, measured. Per-detector latency at 640x480 (bench_detectors: motion, hog, and onnx
# with a model of YOLOv8n's input size and about its work, tests/models/make_yolo.py heavy),
# against OpenCV doing the same work alone (python3-opencv, when installed: the cost of the
# plugin around it); then the node's frames/s and CPU per frame on a mostly still video with
# and without motion gating. Numbers are printed, never asserted.
#   bench/detectors.sh [BUILD_DIR] [RUNS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
runs=${2:-50}
here=$(cd "$(dirname "$0")" && pwd)
M="$build/src/cli/mqplane"
PY=/usr/bin/python3
[ -d "$build/src/detectors" ] || { echo "detectors: skipped (built without OpenCV)"; exit 0; }
export MQPLANE_DETECTOR_DIR="$build/src/detectors"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
$PY "$here/../tests/models/make_yolo.py" heavy "$dir/heavy.onnx"

"$build/bench/bench_detectors" 640x480 "$runs" motion hog "hog?width=320" \
  "onnx:$dir/heavy.onnx"
if $PY -c "import cv2" 2> /dev/null; then
  echo "baseline, OpenCV alone (python3-opencv, the same library and model):"
  $PY - "$dir/heavy.onnx" "$runs" <<'PY'
import sys, time
import cv2, numpy as np
runs = int(sys.argv[2])
def median(f):
    for _ in range(5):
        f()
    t = []
    for _ in range(runs):
        s = time.perf_counter(); f(); t.append((time.perf_counter() - s) * 1e3)
    t.sort()
    return t[len(t) // 2]
img = (np.random.default_rng(1).random((480, 640, 3)) * 255).astype(np.uint8)
net = cv2.dnn.readNetFromONNX(sys.argv[1])
blob = cv2.dnn.blobFromImage(np.zeros((640, 640, 3), np.uint8), 1 / 255, (640, 640))
def forward():
    net.setInput(blob)
    net.forward()
hog = cv2.HOGDescriptor()
hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
print(f"  {'net.forward() of the same model at 640':40s} {median(forward):9.2f} ms median")
print(f"  {'HOG detectMultiScale at 640x480':40s} "
      f"{median(lambda: hog.detectMultiScale(img, winStride=(8, 8), padding=(8, 8))):9.2f} ms median")
PY
else
  echo "baseline: skipped (python3-opencv is not installed)"
fi

# A red 48x48 square on dark gray, 640x480 at 25 fps for 10 s: still for 4 s, crossing for 2 s,
# still for 4 s, as a camera on a quiet scene mostly sees.
ffmpeg -loglevel error -f lavfi -i color=c=0x202020:s=640x480:r=25:d=10 \
  -f lavfi -i color=c=red:s=48x48:r=25 \
  -filter_complex "[0][1]overlay=x='if(lt(t,4),100,if(lt(t,6),100+(t-4)*200,500))':y=200:shortest=1" \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p "$dir/still.mp4"
node_run() { # label args...
  local label=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$dir/t" "$M" run -b mqtt://127.0.0.1:1 -l info \
    --source "file:$dir/still.mp4?realtime=0" "$@" 2> "$dir/log"
  local ran
  ran=$(sed -n 's/.*ran on \([0-9]*\) of \([0-9]*\) frames.*/\1 \2/p' "$dir/log")
  read -r wall user sys < "$dir/t"
  $PY -c "
ran, frames = map(int, '$ran'.split())
wall, cpu = $wall - 3.0, $user + $sys  # The node waits up to 3 s for the absent broker.
print(f'  {\"$label\":46s} {frames / wall:6.1f} frames/s  {1e3 * cpu / frames:7.1f} ms CPU/frame'
      f'  (detector on {ran} of {frames} frames)')"
}
echo "the node on a mostly still 640x480 video (250 frames, realtime=0), no broker:"
node_run "onnx (YOLOv8n-sized), every frame" --detector "onnx:$dir/heavy.onnx"
node_run "onnx (YOLOv8n-sized), --detect-on motion" --detector "onnx:$dir/heavy.onnx" \
  --detect-on motion
node_run "hog, every frame" --detector hog
node_run "hog, --detect-on motion" --detector hog --detect-on motion
node_run "motion alone (what the gate itself costs)" --detector motion
