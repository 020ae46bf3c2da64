#!/usr/bin/env bash
# Runs the benchmarks against a private mosquitto on a free loopback port, stopped by its pid.
#   bench/run.sh [BUILD_DIR] [messages]
. "$(dirname "$0")/lib.sh"
build=${1:-build}
n=${2:-100000}
bench_broker
"$build/bench/bench_messages"
echo
"$build/bench/bench_client" "$url" "$n"

echo
"$(dirname "$0")/broker_persistence.sh"

if [ -x "$build/src/cli/mqplane" ]; then
  echo
  "$(dirname "$0")/pipeline.sh" "$build"
fi

if [ -x "$build/src/cli/mqplane" ] && command -v ffmpeg > /dev/null; then
  echo
  "$(dirname "$0")/video.sh" "$build"
  echo
  "$(dirname "$0")/detectors.sh" "$build"
fi
