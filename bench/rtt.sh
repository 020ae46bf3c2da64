#!/usr/bin/env bash
# Command round trips to a running node (mqplane bench rtt: pause and resume at QoS 1, each
# timed until the node's retained status says so), with the broker idle and under load:
#   idle         the node on the synthetic scene at 30 fps, nothing else
#   10k msg/s    another data plane publishing 10 000 detections messages a second
#   saturated    another data plane publishing as fast as the broker takes it (waiting for room
#                in its window: the broker busy all the time)
#   saturated, spinning   the same publisher dropping what its window refuses: it also spins on
#                a core of its own, calling millions of times a second
#   own plane    the node itself unpaced (synthetic ?realtime=0): its own data plane at full
#                speed, thousands of messages a second, beside its control plane
#   saturated, Nice=-5   saturated, the node at the shipped systemd unit's priority (run as a
#                user who may raise a priority, root say; else left out)
# Nothing is pinned: the node, the broker and the load share the machine's cores, as they
# would on an edge box. Numbers are printed, never asserted; each is the median of RUNS runs
# of M round trips, with the range of the p99.
#   bench/rtt.sh [BUILD_DIR] [RUNS] [M]
. "$(dirname "$0")/lib.sh"
build=${1:-build}
runs=${2:-3}
m=${3:-300}
M="$build/src/cli/mqplane"
bench_broker

node=
load=
node_prefix=
stop_all() {
  for p in $load $node; do kill -TERM "$p" 2> /dev/null || true; done
  for p in $load $node; do wait "$p" 2> /dev/null || true; done
  load=
  node=
}

start_node() { # source spec
  $node_prefix "$M" run -b "$url" --source "$1" -l warning 2>> "$dir/node.err" &
  node=$!
  for _ in $(seq 200); do
    "$M" ctl -b "$url" -t 2 status 2> /dev/null | grep -q '"status":"running"' && return 0
    sleep 0.05
  done
  echo "the node did not start: $(tail -3 "$dir/node.err")" >&2
  exit 1
}

# One scenario: RUNS runs of M round trips; prints its line and appends it to the summary.
scenario() { # name target source load-command...
  local name=$1 target=$2 spec=$3
  shift 3
  : > "$dir/rtt"
  for _ in $(seq "$runs"); do
    start_node "$spec"
    if [ $# -gt 0 ]; then
      "$@" > /dev/null &
      load=$!
    fi
    sleep 1 # The node's first frames and the load under way.
    "$M" bench rtt -b "$url" -n "$m" >> "$dir/rtt"
    stop_all
  done
  python3 - "$dir/rtt" "$name" "${SUMMARY:-}" "$target" <<'PY'
import statistics, sys
rows = [dict(p.split("=") for p in l.split()) for l in open(sys.argv[1])]
med = lambda k: statistics.median(float(r[k]) for r in rows)
p99 = sorted(float(r["p99_ms"]) for r in rows)
over = sum(int(r["over_10ms"]) for r in rows)
count = sum(int(r["count"]) for r in rows)
line = (f"p50 {med('p50_ms'):.2f}  p90 {med('p90_ms'):.2f}  p99 {med('p99_ms'):.2f} "
        f"({p99[0]:.2f}-{p99[-1]:.2f})  max {med('max_ms'):.2f} ms;  over 10 ms: {over} of {count}")
print(f"  {sys.argv[2]:20} {line}")
if sys.argv[3]:
    with open(sys.argv[3], "a") as f:
        f.write(f"| command round trip, {sys.argv[2]}: p99 / max (over 10 ms) | "
                f"{med('p99_ms'):.2f} / {med('max_ms'):.2f} ms ({over} of {count}) | | {sys.argv[4]} |\n")
PY
}

echo "command round trips (pause/resume at QoS 1, to the status), $m a run, median of $runs runs"
scenario idle "" "synthetic:640x480@30"
scenario "10k msg/s" "p99 <= 1 ms" "synthetic:640x480@30" "$M" bench publish -b "$url" -n 0 --rate 10000
sat="p99 <= 3 ms, none > 10 ms"
scenario saturated "$sat" "synthetic:640x480@30" "$M" bench publish -b "$url" -n 0 --wait-for-room
scenario "saturated, spinning" "$sat" "synthetic:640x480@30" "$M" bench publish -b "$url" -n 0
scenario "own plane" "" "synthetic:640x480@30?realtime=0"
# As the shipped systemd unit runs it (Nice=-5), where this user may raise a priority.
if [ "$(nice -n -5 nice 2> /dev/null)" = -5 ]; then
  node_prefix="nice -n -5"
  scenario "saturated, Nice=-5" "$sat" "synthetic:640x480@30" "$M" bench publish -b "$url" -n 0 --wait-for-room
  node_prefix=
fi
