#!/usr/bin/env bash
# The demo: a private mosquitto on a free loopback port, a live view of everything on it, and
# the example service publishing and handling events. Everything it starts is stopped by pid.
set -euo pipefail
build=${1:-build}
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\nlog_dest file %s\n%s\n' \
  "$port" "$dir/mosquitto.log" "$( [ "$(id -u)" = 0 ] && echo 'user root' )" > "$dir/mosquitto.conf"
mosquitto -c "$dir/mosquitto.conf" 2>/dev/null & broker=$!
watcher=
cleanup() {
  [ -n "$watcher" ] && kill "$watcher" 2>/dev/null || true
  kill "$broker" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
url="mqtt://127.0.0.1:$port"
echo "broker: $url (pid $broker); everything published on it:"
mosquitto_sub -p "$port" -h 127.0.0.1 -t '#' -F '  wire | %t %p' & watcher=$!
sleep 0.3
"$build/examples/mqp-example-events" "$url" | sed 's/^/  app  | /'
sleep 0.5
echo "done; stopping the broker (pid $broker)"
