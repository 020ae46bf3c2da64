# Helpers for CLI tests: a private mosquitto on a free loopback port, stopped by its pid.
# Source it; call broker_start; everything started is stopped on exit.
set -euo pipefail

TMP=$(mktemp -d)
PIDS=()
# True while PID runs. A zombie has exited: an orphan (a broker mqplane services started) may
# stay one for a while, where init does not reap at once.
alive() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $st != Z* ]]
}

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  # Bounded: whatever has not exited 10 s after SIGTERM is killed.
  for _ in $(seq 200); do
    running=0
    for p in "${PIDS[@]}"; do alive "$p" && running=1; done
    [ $running = 0 ] && break
    sleep 0.05
  done
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [ -n "${MQP_KEEP_FAILED:-}" ]; then rm -rf "$MQP_KEEP_FAILED"; cp -r "$TMP" "$MQP_KEEP_FAILED"; fi
  exit 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

broker_start() {
  PORT=$(free_port)
  URL="mqtt://127.0.0.1:$PORT"
  cat > "$TMP/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
log_dest file $TMP/mosquitto.log
$( [ "$(id -u)" = 0 ] && echo "user root" )
CONF
  mosquitto -c "$TMP/mosquitto.conf" 2>/dev/null & BROKER=$!
  PIDS+=("$BROKER")
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
    sleep 0.05
  done
  fail "mosquitto did not start"
}

# The retained message on a topic right now (empty if none), waiting at most 3 s.
retained() {
  mosquitto_sub -h 127.0.0.1 -p "$PORT" -t "$1" -C 1 -W 3 2>/dev/null || true
}

# Waits until `retained TOPIC` contains TEXT.
wait_retained() {
  for _ in $(seq 60); do
    retained "$1" | grep -q "$2" && return 0
    sleep 0.1
  done
  fail "retained $1 never contained $2 (last: $(retained "$1"))"
}

# Waits until FILE has at least N lines matching PATTERN, for at most SECONDS (default 5).
wait_lines() {
  for _ in $(seq $(( ${4:-5} * 20 ))); do
    [ "$(grep -c -- "$2" "$1" || true)" -ge "$3" ] && return 0
    sleep 0.05
  done
  fail "$1 has fewer than $3 lines matching $2"
}
