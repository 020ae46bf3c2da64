#!/usr/bin/env bash
# A fleet against one mosquitto: what the broker spends per node, and how fast the fleet is
# operated. Two parts:
#   real       REAL real nodes (mqplane run --node-id, the synthetic scene at 160x120@2, metrics
#              every 10 s): the broker's CPU and resident memory per node, and the nodes' own
#   simulated  NODES simulated nodes (bench_fleet: each node's two connections, a detections
#              message RATE times a second, status retained, commands answered): the broker's
#              CPU and memory per node, command round trips across the fleet while it runs
#              (50 a second, each to another node), and the time for `mqplane ctl --all status`
#              to find every node by its retained status and collect every answer
# Numbers are printed, never asserted.
#   bench/fleet.sh [BUILD_DIR] [NODES] [RATE] [REAL]   (defaults: build 1000 1 64)
. "$(dirname "$0")/lib.sh"
build=${1:-build}
nodes=${2:-1000}
rate=${3:-1}
real=${4:-64}
M="$build/src/cli/mqplane"
ulimit -n 16384 2> /dev/null || ulimit -n "$(ulimit -Hn)"
bench_broker
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# CPU of PID over SECONDS, % of one core.
cpu_over() {
  local a b
  a=$(cpu_ticks "$1"); sleep "$2"; b=$(cpu_ticks "$1")
  echo "$a $b $2 $hz" | awk '{printf "%.1f", ($2 - $1) * 100 / $4 / $3}'
}
idle_rss=$(rss_kb "$broker")
echo "machine: $(nproc) cores, $(awk '/model name/ {$1=$2=$3=""; print; exit}' /proc/cpuinfo | sed 's/^ *//'); mosquitto $(mosquitto -h 2>/dev/null | awk 'NR==1 {print $3}'); broker idle RSS ${idle_rss} kB"

echo "== real: $real nodes at 2 frames/s"
pids=()
for i in $(seq "$real"); do
  "$M" run -b "$url" -n "real$i" -s synthetic:160x120@2 --metrics-interval 10 -l error \
    2>> "$dir/real.err" & pids+=($!)
done
for _ in $(seq 300); do
  n=$("$M" ctl -b "$url" --node-id 'real*' -t 5 status 2> /dev/null | grep -c '"ok":true' || true)
  [ "$n" = "$real" ] && break
  sleep 0.2
done
[ "$n" = "$real" ] || { echo "only $n of $real real nodes answered" >&2; exit 1; }
sleep 2
before=$(rss_kb "$broker")
bcpu=$(cpu_over "$broker" 10)
after=$(rss_kb "$broker")
ncpu=0; nrss=0
for p in "${pids[@]}"; do nrss=$((nrss + $(rss_kb "$p"))); done
echo "   broker: ${bcpu}% of a core for $real nodes ($(echo "$bcpu $real" | awk '{printf "%.2f", $1 / $2}')% each), RSS $after kB ($(( (after - idle_rss) / real )) kB a node over idle)"
echo "   nodes: RSS $((nrss / real)) kB each"
kill "${pids[@]}" 2> /dev/null; wait "${pids[@]}" 2> /dev/null || true
for i in $(seq "$real"); do # Their retained statuses gone: the simulated fleet alone next.
  mosquitto_pub -h 127.0.0.1 -p "$port" -r -n -t "inference/real$i/control/status"
done

echo "== simulated: $nodes nodes, a detections message every $(echo "$rate" | awk '{printf "%g", 1 / $1}') s each"
base=$(rss_kb "$broker")
# One consumer of every node's detections, as an exporter or a dashboard is: each message is
# also sent once.
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'inference/+/data/detections' > /dev/null & watcher=$!
"$build/bench/bench_fleet" "$url" "$nodes" "$rate" 30 "$dir/ready" > "$dir/fleet.out" & sim=$!
for _ in $(seq 1200); do [ -e "$dir/ready" ] && break; kill -0 "$sim" 2> /dev/null || break; sleep 0.1; done
[ -e "$dir/ready" ] || { echo "the simulated fleet did not come up: $(cat "$dir/fleet.out")" >&2; exit 1; }
sleep 3
bcpu=$(cpu_over "$broker" 10)
brss=$(rss_kb "$broker")
t0=$(date +%s%N)
"$M" ctl -b "$url" --all -t 30 status > "$dir/all.out" 2> "$dir/all.err" || true
t1=$(date +%s%N)
answered=$(grep -c '"ok":true' "$dir/all.out" || true)
wait "$sim"
kill "$watcher" 2> /dev/null; wait "$watcher" 2> /dev/null || true
read -r line < "$dir/fleet.out"
msgs=$(echo "$line" | sed 's/.*detections_per_s=\([0-9]*\).*/\1/')
us=$(echo "$bcpu $msgs" | awk '{printf "%.1f", $1 / 100 / $2 * 1e6}')
p99=$(echo "$line" | sed 's/.*rtt_p99_ms=\([0-9.]*\).*/\1/')
per_node=$(( (brss - base) * 1000 / nodes ))
all_ms=$(( (t1 - t0) / 1000000 ))
echo "   $line"
echo "   broker: ${bcpu}% of a core ($us µs a detections message, in and out once), RSS $brss kB ($per_node bytes a node over the empty broker's $base kB)"
echo "   ctl --all status: $answered of $nodes answered in $all_ms ms ($(tail -1 "$dir/all.err"))"
if [ -n "${SUMMARY:-}" ]; then
  echo "| $nodes simulated nodes on one mosquitto (2 connections each, $msgs detections msg/s, one consumer of all) | broker ${bcpu} % of a core ($us µs a message), $per_node B a node; command RTT p99 $p99 ms; \`ctl --all status\` $answered/$nodes in $all_ms ms | | (docs/SCALE.md) |" >> "$SUMMARY"
fi
