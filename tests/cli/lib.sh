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

# Skips the test (exit 77, which CTest shows as skipped) for what is missing here; in CI,
# where .ci/run installs everything, a missing piece fails instead of hiding a test.
skip() {
  [ -z "${CI:-}" ] || fail "$1 (CI installs it: the test must run there)"
  echo "$1: skipped"
  exit 77
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# The resident memory of process PID, kB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# How many lines of FILE match PATTERN (0 when none).
count() { grep -c -- "$2" "$1" || true; }

# A watcher with a session of its own (-c, QoS 1): it misses nothing across broker restarts, and
# reconnects by itself. sub_session ID FILE -t FILTER...; returns once the broker holds its
# subscriptions.
sub_session() {
  local id=$1 out=$2 filters=0 a
  shift 2
  for a in "$@"; do [ "$a" = -t ] && filters=$((filters + 1)); done
  mosquitto_sub -h 127.0.0.1 -p "$PORT" -i "$id" -c -q 1 -v "$@" >> "$out" 2>/dev/null &
  PIDS+=($!)
  wait_lines "$TMP/mosquitto.log" "^[0-9]*: $id 1 " "$filters"
}

# True when memory figures mean something: not under a sanitizer (ASan keeps freed memory in
# quarantine and its own shadow; its leak check covers that build instead). Says so otherwise.
rss_meaningful() {
  [ -z "${MQP_SANITIZED:-}" ] && return 0
  echo "   (built with -fsanitize=$MQP_SANITIZED: memory not asserted, the sanitizer checks leaks)"
  return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A private mosquitto on a free port (also on each address in BROKER_ADDRS, same port). It counts as started when its own log says it runs (it
# writes that once its listener is bound) and it is alive: a port that answers may be another
# test's broker, when a test running beside this one took the port first. Then: another port.
broker_start() {
  local attempt
  for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    URL="mqtt://127.0.0.1:$PORT"
    rm -f "$TMP/mosquitto.log"
    cat > "$TMP/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
$(for a in ${BROKER_ADDRS:-}; do echo "listener $PORT $a"; done)
allow_anonymous true
set_tcp_nodelay true
log_dest file $TMP/mosquitto.log
log_type error
log_type warning
log_type notice
log_type information
log_type subscribe
$( [ "$(id -u)" = 0 ] && echo "user root" )
${BROKER_CONF_EXTRA:-}
CONF
    mosquitto -c "$TMP/mosquitto.conf" 2>/dev/null & BROKER=$!
    PIDS+=("$BROKER")
    for _ in $(seq 100); do
      alive "$BROKER" || break
      grep -q " running" "$TMP/mosquitto.log" 2>/dev/null && return 0
      sleep 0.05
    done
    alive "$BROKER" && fail "mosquitto did not start within 5 s: $(tail -3 "$TMP/mosquitto.log")"
  done
  fail "mosquitto exited at start 5 times: $(tail -3 "$TMP/mosquitto.log" 2>/dev/null)"
}

# Ends the broker with SIGKILL (a crash: nothing is saved on the way out) and waits for it.
broker_kill() {
  kill -9 "$BROKER" 2>/dev/null || true
  wait "$BROKER" 2>/dev/null || true
}

# Starts the broker again on the same port with the same configuration (and so the same
# persistence), and returns once it runs. The port may have been taken meanwhile: then it fails.
broker_restart() {
  local runs
  runs=$(grep -c " running" "$TMP/mosquitto.log" 2>/dev/null || true)
  mosquitto -c "$TMP/mosquitto.conf" 2>/dev/null & BROKER=$!
  PIDS+=("$BROKER")
  for _ in $(seq 200); do
    alive "$BROKER" || break
    [ "$(grep -c " running" "$TMP/mosquitto.log")" -gt "$runs" ] && return 0
    sleep 0.025
  done
  fail "mosquitto did not start again on port $PORT: $(tail -3 "$TMP/mosquitto.log")"
}

# Starts mosquitto_sub in the background with ARGS (one or more -t FILTER), its output going to
# FILE (appended to, so a test may empty it as it goes), and returns once the broker holds
# every one of its subscriptions: nothing published
# afterwards can be missed. broker_start's broker logs each subscription.
sub_start() {
  local out=$1 id="watch-$$-${#PIDS[@]}" filters=0 a
  shift
  for a in "$@"; do [ "$a" = -t ] && filters=$((filters + 1)); done
  mosquitto_sub -h 127.0.0.1 -p "$PORT" -i "$id" "$@" >> "$out" 2>/dev/null &
  PIDS+=($!)
  wait_lines "$TMP/mosquitto.log" "^[0-9]*: $id [0-2] " "$filters"
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

# Asks the node with `$M ctl ARGS...` until its answer contains TEXT, for at most 20 s; the last
# answer is in $CTL_OUT. A node answers as soon as its control plane is up, before the rest of
# it may be (its data connection, say): a test waits for the state it asserts.
wait_ctl() {
  local text=$1 i
  shift
  CTL_OUT=""
  for i in $(seq 100); do
    CTL_OUT=$($M ctl -t 2 "$@" 2>&1) && [[ $CTL_OUT == *"$text"* ]] && return 0
    sleep 0.1
  done
  fail "ctl $* never answered with $text (last: $CTL_OUT)"
}

# Waits until FILE has at least N lines matching PATTERN, for at most SECONDS (default 5).
wait_lines() {
  for _ in $(seq $(( ${4:-5} * 20 ))); do
    [ "$(grep -c -- "$2" "$1" || true)" -ge "$3" ] && return 0
    sleep 0.05
  done
  fail "$1 has fewer than $3 lines matching $2"
}

# Lines of the node's log ($TMP/node.log) saying PLANE (inference_control, inference_data) lost
# its connection.
losses() { count "$TMP/node.log" "\[$1\] MQP_ERR_[A-Z_]*: connection to .* lost"; }

# Waits until both planes have lost their connection once more than BEFORE_CONTROL and
# BEFORE_DATA times, failing after LIMIT ms from T0 (ms); prints when each noticed. WHAT names
# the fault. wait_noticed WHAT T0 LIMIT [BEFORE_CONTROL BEFORE_DATA]
wait_noticed() {
  local what=$1 t0=$2 limit=$3 before=("${4:-0}" "${5:-0}") plane i=0 noticed=()
  for plane in inference_control inference_data; do
    while [ "$(losses $plane)" -le "${before[$i]}" ]; do
      [ $(( $(now_ms) - t0 )) -le "$limit" ] ||
        fail "$plane did not notice $what within $limit ms: $(tail -3 "$TMP/node.log")"
      sleep 0.05
    done
    noticed+=("$plane $(( $(now_ms) - t0 )) ms")
    i=$((i + 1))
  done
  echo "   noticed: ${noticed[*]} (limit $limit ms)"
}

# COUNT status commands with request ids PREFIX1..PREFIXCOUNT on standard output, one a line
# (for mosquitto_pub -l). status_commands PREFIX COUNT
status_commands() {
  local i
  for i in $(seq "$2"); do echo "{\"command\":\"status\",\"request_id\":\"$1$i\"}"; done
}

# Checks that FILE (mosquitto_sub -v lines of the responses topic) answers each of
# PREFIX1..PREFIXCOUNT; prints how many, with WHAT, and the repeats.
all_answered() {
  /usr/bin/python3 - "$1" "$2" "$3" "$4" <<'PY' || fail "answers: $(cat "$1")"
import json, sys
path, prefix, n, what = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ids = [json.loads(l.split(" ", 1)[1]).get("request_id") for l in open(path)]
ids = [i for i in ids if str(i).startswith(prefix)]  # Not ctl's own.
want = [f"{prefix}{i}" for i in range(1, n + 1)]
assert sorted(set(ids)) == sorted(want), ids
print(f"   {n} commands {what}, all answered ({len(ids) - n} repeats)")
PY
}

# An exporter's /metrics on 127.0.0.1:$HTTP into $TMP/metrics.
fetch_metrics() {
  /usr/bin/python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
    "http://127.0.0.1:$HTTP/metrics" > "$TMP/metrics" 2> /dev/null
}
# Waits until the exporter's /metrics has a line matching the extended regex $1.
wait_metric() {
  for _ in $(seq 200); do
    fetch_metrics && grep -E -- "$1" "$TMP/metrics" > /dev/null && return 0
    sleep 0.1
  done
  fail "/metrics never had /$1/: $(cat "$TMP/metrics" 2> /dev/null)"
}
