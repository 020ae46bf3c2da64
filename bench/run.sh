#!/usr/bin/env bash
# Runs the benchmarks against a private mosquitto on a free loopback port, stopped by its pid.
#   bench/run.sh [BUILD_DIR] [messages]
set -euo pipefail
build=${1:-build}
n=${2:-100000}
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
max_queued_messages 0
max_inflight_messages 0
log_dest file $dir/mosquitto.log
$( [ "$(id -u)" = 0 ] && echo "user root" )
CONF
mosquitto -c "$dir/mosquitto.conf" 2>/dev/null & pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
"$build/bench/bench_messages"
echo
"$build/bench/bench_client" "mqtt://127.0.0.1:$port" "$n"

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
