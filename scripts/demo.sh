#!/usr/bin/env bash
# The demo: a private mosquitto on a free loopback port, an inference node on the synthetic
# scene, and a live monitor; a few commands go to the node along the way. Ctrl-C stops
# everything this script started, by pid. DEMO_SECONDS=N ends it after N seconds.
set -euo pipefail
build=${1:-build}
M="$build/src/cli/mqplane"
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\nlog_dest file %s\n%s\n' \
  "$port" "$dir/mosquitto.log" "$( [ "$(id -u)" = 0 ] && echo 'user root' )" > "$dir/mosquitto.conf"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
  echo "demo: stopped (broker, node and monitor)"
}
trap cleanup EXIT
trap 'exit 0' INT TERM
mosquitto -c "$dir/mosquitto.conf" 2>/dev/null & pids+=($!)
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
url="mqtt://127.0.0.1:$port"
echo "demo: broker $url (pid ${pids[0]}); node log in $dir/node.log; Ctrl-C to stop"
"$M" run --broker "$url" --metrics-interval 5 2> "$dir/node.log" & pids+=($!)
"$M" monitor --broker "$url" all & pids+=($!)
# Exercise the control plane while the monitor shows it.
(
  sleep 4; "$M" ctl -b "$url" toggle_crop > /dev/null
  sleep 3; "$M" ctl -b "$url" pause > /dev/null
  sleep 2; "$M" ctl -b "$url" resume > /dev/null
  sleep 2; "$M" ctl -b "$url" stabilization_stats > /dev/null
) & pids+=($!)
if [ -n "${DEMO_SECONDS:-}" ]; then
  sleep "$DEMO_SECONDS"
else
  wait "${pids[1]}" || true # until Ctrl-C, or the node stops
fi
