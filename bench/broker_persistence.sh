#!/usr/bin/env bash
# What the shipped brokers' durability costs: messages through mosquitto with
# persistence off (the baseline), with the shipped setting (autosave_on_changes, interval 1:
# a save after every change, so kill -9 loses nothing), and with interval 1800 (the default
# when counting changes). One publisher, one online subscriber, and optionally one offline
# persistent session that queues every message.
#   bench/broker_persistence.sh [messages]
set -euo pipefail
n=${1:-3000}
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
seq "$n" | sed 's/.*/{"command":"status","request_id":"&"}/' > "$dir/lines"

run() { # label, persistence lines, offline 0|1, qos
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$dir/data" && mkdir "$dir/data"
  # Unbounded queues: a fast publisher must not make the broker drop what the subscriber wants.
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n%s\n%s\n%s\n' \
    "$port" "max_queued_messages 0" "persistence_location $dir/data/" "$2" > "$dir/m.conf"
  printf 'log_dest file %s/m.log\nlog_type all\n%s\n' "$dir" \
    "$( [ "$(id -u)" = 0 ] && echo "user root" )" >> "$dir/m.conf"
  : > "$dir/m.log"
  mosquitto -c "$dir/m.conf" 2>/dev/null & pid=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
  if [ "$3" = 1 ]; then
    mosquitto_sub -p "$port" -i offline-node -c -q 1 -t bench/# -C 1 -W 1 > /dev/null 2>&1 || true
  fi
  mosquitto_sub -p "$port" -i online -q "$4" -t bench/# -C "$n" > "$dir/got" & local sub=$!
  for _ in $(seq 100); do grep -q "online 1 bench/#" "$dir/m.log" && break; sleep 0.02; done
  local t0 t1
  t0=$(date +%s%N)
  mosquitto_pub -p "$port" -q "$4" -t bench/cmd -l < "$dir/lines"
  wait $sub
  t1=$(date +%s%N)
  local got saves
  got=$(wc -l < "$dir/got")
  saves=$(grep -c "Saving in-memory database" "$dir/m.log" || true)
  printf '%-44s %7.0f msg/s  %5d saves  (%d/%d delivered)\n' "$1" \
    "$(echo "$n * 1000000000 / ($t1 - $t0)" | bc -l)" "$saves" "$got" "$n"
  kill $pid; wait $pid 2>/dev/null || true; pid=
}

echo "$n messages, one publisher and one subscriber, loopback mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}')"
shipped=$'persistence true\nautosave_on_changes true\nautosave_interval 1'
relaxed=$'persistence true\nautosave_on_changes true\nautosave_interval 1800'
for qos in 1 0; do
  for offline in 0 1; do
    [ $qos = 0 ] && [ $offline = 1 ] && continue # QoS 0 is not queued for offline sessions
    echo "-- QoS $qos$( [ $offline = 1 ] && echo ", with an offline persistent session queueing every message")"
    run "persistence false (baseline)" "persistence false" $offline $qos
    run "autosave_on_changes, interval 1 (shipped)" "$shipped" $offline $qos
    run "autosave_on_changes, interval 1800" "$relaxed" $offline $qos
  done
done
