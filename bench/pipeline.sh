#!/usr/bin/env bash
# The node's pipeline on the synthetic scene: frames per second of motion detection, tracking
# and publishing on one core (the node pinned to CPU 0, the broker and the watcher elsewhere),
# at 640x480 and 1280x720, the scene unpaced (realtime=0); and at a camera's 30 fps, paced,
# the node's share of a core and its memory. Numbers are printed, never asserted; each is the
# median of RUNS runs, with the range.
#   bench/pipeline.sh [BUILD_DIR] [RUNS] [FRAMES]
. "$(dirname "$0")/lib.sh"
build=${1:-build}
runs=${2:-3}
frames=${3:-2000}
M="$build/src/cli/mqplane"
other=$(( $(nproc) > 1 ? 1 : 0 ))
bench_broker taskset -c "$other"

# Frames per second between the first and the last detections message, and CPU per frame.
run_node() { # size
  taskset -c "$other" mosquitto_sub -h 127.0.0.1 -p "$port" -t inference/data/detections \
    -C "$frames" > "$dir/dets" &
  local sub=$!
  sleep 0.3
  /usr/bin/time -f "%U %S" -o "$dir/cpu" taskset -c 0 "$M" run -b "$url" \
    --source "synthetic:$1@30?realtime=0" --frames "$frames" -l warning 2> "$dir/node.err"
  wait $sub
  python3 - "$dir/dets" "$dir/cpu" "$frames" <<'PY' >> "$dir/results"
import datetime, json, sys
stamps = [datetime.datetime.fromisoformat(json.loads(l)["timestamp"]) for l in open(sys.argv[1])]
span = (stamps[-1] - stamps[0]).total_seconds()
user, system = map(float, open(sys.argv[2]).read().split()[-2:])
print((len(stamps) - 1) / span, 1e3 * (user + system) / int(sys.argv[3]))
PY
}

median_of_runs() { # size
  : > "$dir/results"
  for _ in $(seq "$runs"); do run_node "$1"; done
  python3 - "$dir/results" "$1" "${SUMMARY:-}" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
fps = sorted(r[0] for r in rows)
cpu = statistics.median(r[1] for r in rows)
print(f"{statistics.median(fps):8.1f} frames/s ({fps[0]:.0f}-{fps[-1]:.0f})  {cpu:6.2f} ms CPU/frame")
if sys.argv[3]:
    with open(sys.argv[3], "a") as f:
        f.write(f"| node, {sys.argv[2]} frames/s on one core (motion + tracking + publishing) "
                f"| {statistics.median(fps):.0f} ({cpu:.2f} ms CPU/frame) | | "
                f"{'>= 400' if sys.argv[2] == '640x480' else ''} |\n")
PY
}

# At 30 fps for SECONDS: the node's CPU share of one core and its RSS, first and last.
paced() { # seconds
  taskset -c 0 "$M" run -b "$url" --source "synthetic:640x480@30" -l warning 2> "$dir/paced.err" &
  local node=$!
  sleep 2 # Started: connected, the scene rendering.
  local t0 rss0 c0 t1 rss1 c1
  read -r c0 < <(awk '{print $14 + $15}' "/proc/$node/stat")
  rss0=$(awk '/^VmRSS:/ {print $2}' "/proc/$node/status")
  t0=$(date +%s.%N)
  sleep "$1"
  read -r c1 < <(awk '{print $14 + $15}' "/proc/$node/stat")
  rss1=$(awk '/^VmRSS:/ {print $2}' "/proc/$node/status")
  t1=$(date +%s.%N)
  kill -TERM $node
  wait $node || true
  python3 -c "
import os, sys
ticks = os.sysconf('SC_CLK_TCK')
c0, c1, t0, t1 = map(float, sys.argv[1:5])
share = 100 * (c1 - c0) / ticks / (t1 - t0)
print(f'{share:8.1f} % of a core   RSS {sys.argv[5]} -> {sys.argv[6]} kB over {t1 - t0:.0f} s')
if sys.argv[7]:
    with open(sys.argv[7], 'a') as f:
        f.write(f'| node at 30 fps, 640x480: CPU / RSS (first -> last, {t1 - t0:.0f} s) | {share:.1f} % of a core / '
                f'{int(sys.argv[5]) / 1024:.1f} -> {int(sys.argv[6]) / 1024:.1f} MB | | <= 8 %, <= 16 MB |\n')
" "$c0" "$c1" "$t0" "$t1" "$rss0" "$rss1" "${SUMMARY:-}"
}

echo "pipeline: motion + tracking + publishing on one core, synthetic scene unpaced, $frames frames, median of $runs"
echo "  640x480   $(median_of_runs 640x480)"
echo "  1280x720  $(median_of_runs 1280x720)"
echo "at 30 fps (paced), 640x480:"
echo "  $(paced "${PACED_SECONDS:-20}")"
