#!/usr/bin/env bash
# Video through the node, measured: frames per second of decode + detect + track + publish
# for H.264 files read as fast as the pipeline goes (realtime=0), at 640x480 and 1920x1080,
# against ffmpeg decoding the same file to gray in the same run (the floor: decoding alone);
# and the cost of annotated frames at 1 per second and at every frame. Numbers are printed,
# never asserted.
# Each figure is the median of RUNS runs (the range after it).
#   bench/video.sh [BUILD_DIR] [RUNS]
. "$(dirname "$0")/lib.sh"
build=${1:-build}
runs=${2:-3}
M="$build/src/cli/mqplane"
bench_broker

# A white square moving over noise (so every frame costs the detector something).
video() { # size file
  local w=${1%x*} h=${1#*x} secs=$((frames / 25 + 1))
  ffmpeg -loglevel error -y -f lavfi -i "nullsrc=s=$1:r=25:d=$secs,geq=random(1)*40:128:128" \
    -f lavfi -i "color=c=white:s=$((w / 8))x$((h / 6)):r=25" \
    -filter_complex "[0][1]overlay=x='mod(t*$((w / 5)),$((w * 7 / 8)))':y='mod(t*$((h / 7)),$((h * 5 / 6)))':shortest=1,format=yuv420p" \
    -c:v libx264 -preset veryfast -frames:v "$frames" "$2"
}

# Frames per second between the first and the last detections message of one run, the
# node's CPU seconds, and the annotated frames that arrived.
run_node() { # file extra-args...
  local file=$1
  shift
  mosquitto_sub -h 127.0.0.1 -p "$port" -t inference/data/detections -C "$frames" > "$dir/dets" &
  local sub=$!
  mosquitto_sub -h 127.0.0.1 -p "$port" -t inference/data/full_frames -F '%t' > "$dir/ff" &
  local ffsub=$!
  sleep 0.3
  /usr/bin/time -f "%U %S" -o "$dir/cpu" "$M" run -b "$url" --source "file:$file?realtime=0" \
    --frames "$frames" -l warning "$@" 2> "$dir/node.err"
  wait $sub
  sleep 0.3
  kill $ffsub 2>/dev/null || true
  wait $ffsub 2>/dev/null || true
  python3 - "$dir/dets" "$dir/cpu" "$(wc -l < "$dir/ff")" "$frames" <<'PY' >> "$dir/results"
import datetime, json, sys
stamps = [datetime.datetime.fromisoformat(json.loads(l)["timestamp"]) for l in open(sys.argv[1])]
span = (stamps[-1] - stamps[0]).total_seconds()
user, system = map(float, open(sys.argv[2]).read().split()[-2:])
print((len(stamps) - 1) / span, 1e3 * (user + system) / int(sys.argv[4]), sys.argv[3])
PY
}

# The median of $runs runs of run_node, with the range.
median_of_runs() { # file extra-args...
  : > "$dir/results"
  for _ in $(seq "$runs"); do run_node "$@"; done
  python3 - "$dir/results" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
fps = sorted(r[0] for r in rows)
cpu = statistics.median(r[1] for r in rows)
ann = statistics.median(r[2] for r in rows)
print(f"{statistics.median(fps):8.1f} frames/s ({fps[0]:.0f}-{fps[-1]:.0f})"
      f"  {cpu:6.2f} ms CPU/frame  {ann:4.0f} annotated frames")
PY
}

decode_baseline() { # file: ffmpeg decoding to gray, as fast as it goes
  python3 - "$1" "$frames" "$runs" <<'PY'
import statistics, subprocess, sys, time
fps = []
for _ in range(int(sys.argv[3])):
    t = time.monotonic()
    subprocess.run(["ffmpeg", "-loglevel", "error", "-threads", "0", "-i", sys.argv[1],
                    "-pix_fmt", "gray", "-f", "null", "-"], check=True)
    fps.append(int(sys.argv[2]) / (time.monotonic() - t))
fps.sort()
print(f"{statistics.median(fps):8.1f} frames/s ({fps[0]:.0f}-{fps[-1]:.0f})  decoding to gray"
      " only, process start included")
PY
}

echo "== video: H.264, realtime=0, median of $runs runs; $(nproc) cores; $(ffmpeg -version | head -1)"
for size in 640x480 1920x1080; do
  frames=$([ "$size" = 640x480 ] && echo 1000 || echo 300)
  video "$size" "$dir/v$size.mp4"
  echo "-- $size, $frames frames a run"
  printf '  %-34s' "ffmpeg decode (baseline)"; decode_baseline "$dir/v$size.mp4"
  printf '  %-34s' "node: decode+detect+track+publish"; median_of_runs "$dir/v$size.mp4"
  printf '  %-34s' "  + annotated frames at 1/s"; median_of_runs "$dir/v$size.mp4" --full-frames=1
  printf '  %-34s' "  + annotated frames every frame"; median_of_runs "$dir/v$size.mp4" --full-frames=1000
done
