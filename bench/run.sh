#!/usr/bin/env bash
# Runs the benchmarks, each against a private mosquitto on a free loopback port (stopped by
# its pid), and ends with one table: the machine, then each figure beside the baseline measured
# in the same run (bare libmosquitto, cJSON) and the target it is held to. Numbers are printed,
# never asserted.
#   bench/run.sh [BUILD_DIR] [RUNS]          (make bench: the default build, 3 runs)
. "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
build=${1:-build}
runs=${2:-3}
export SUMMARY=$dir/summary
: > "$SUMMARY"

machine() {
  local cpu
  cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  echo "machine: ${cpu:-unknown CPU}, $(nproc) cores, Linux $(uname -r)," \
    "$(mosquitto -h 2> /dev/null | awk '/^mosquitto version/ {print "mosquitto " $3; exit}')," \
    "$(date -u +%Y-%m-%d)"
}
machine
echo

bench_broker
"$build/bench/bench_messages" | tee "$dir/messages"
awk '/cJSON/ {c = $(NF - 1)} /mqp_detections_json/ {m = $2}
     END {if (c && m) printf "| formatting a detections message (5 + roi) | %s ns | %s ns (cJSON) | <= 1000 ns |\n", m, c}' \
  "$dir/messages" >> "$SUMMARY"
echo
"$build/bench/bench_client" "$url" 100000 | tee "$dir/client"
awk '/raw mosquitto_publish/ {r = $3} / mqp_client_publish  / {m = $2}
     END {if (r && m) printf "| publish call, QoS 0 | %s ns | %s ns (mosquitto_publish) | |\n", m, r}' \
  "$dir/client" >> "$SUMMARY"
kill "$broker"
wait "$broker" 2> /dev/null || true
broker=

echo
"$here/dataplane.sh" "$build" "$runs"
echo
"$here/rtt.sh" "$build" "$runs"
if [ -x "$build/src/cli/mqplane" ]; then
  echo
  "$here/pipeline.sh" "$build" "$runs"
fi
echo
"$here/broker_persistence.sh"
if [ -x "$build/src/cli/mqplane" ] && [ -x "$build/bench/bench_fleet" ]; then
  echo
  "$here/fleet.sh" "$build"
fi
if [ -x "$build/src/cli/mqplane" ] && command -v ffmpeg > /dev/null; then
  echo
  "$here/video.sh" "$build" "$runs"
  echo
  "$here/detectors.sh" "$build" "$runs"
fi

echo
echo "== summary ($(nproc) cores; medians of $runs runs; baselines from the same run)"
machine
echo "| | mqplane | baseline | ratio, target |"
echo "|---|---|---|---|"
cat "$SUMMARY"
