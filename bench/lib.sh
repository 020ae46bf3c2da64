# What the benchmark scripts share: a private mosquitto on a free loopback port, stopped by its
# pid when the script exits, and a scratch directory. Source it, then call
#   bench_broker [PREFIX...]     (e.g. bench_broker taskset -c 1)
# which sets port, url and broker. $dir is the scratch directory.
set -euo pipefail
dir=$(mktemp -d)
broker=
trap '[ -n "$broker" ] && kill "$broker" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT

bench_broker() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > "$dir/m.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
max_queued_messages 0
max_inflight_messages 0
log_dest file $dir/m.log
$( [ "$(id -u)" = 0 ] && echo "user root" )
CONF
  url="mqtt://127.0.0.1:$port"
  "$@" mosquitto -c "$dir/m.conf" 2>/dev/null & broker=$!
  for _ in $(seq 100); do grep -q " running" "$dir/m.log" 2>/dev/null && return 0; sleep 0.05; done
  echo "mosquitto did not start: $(tail -3 "$dir/m.log" 2>/dev/null)" >&2
  exit 1
}
