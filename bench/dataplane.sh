#!/usr/bin/env bash
# The data plane at full speed, side by side with bare libmosquitto in the same run: N
# detections messages of K detections, QoS 0, one publisher at a time on CPU 0, the broker and
# a bare libmosquitto receiver on CPU 1 (on a machine of one core, all on it).
#   mqplane    mqplane bench publish: formatting each message, the data plane's bounded queue
#   bare       bench_wire publish: the same bytes (a message mqplane formatted), preformatted,
#              through mosquitto_publish with libmosquitto's unbounded queue
# Per run: the rate the receiver got them (first to last), the publisher's CPU per message it
# published (all its threads, formatting included), and the broker's share of its core. Then
# both publishers again at RATE messages a second (default 50 000, 3 s), where neither waits
# nor drops: the CPU per message of a steady load, as a busy node's.
# Numbers are printed, never asserted; each is the median of RUNS runs, with the range.
#   bench/dataplane.sh [BUILD_DIR] [RUNS] [N] [K] [RATE]
. "$(dirname "$0")/lib.sh"
build=${1:-build}
runs=${2:-3}
n=${3:-200000}
k=${4:-5}
rate=${5:-50000}
M="$build/src/cli/mqplane"
W="$build/bench/bench_wire"
other=$(($(nproc) > 1 ? 1 : 0))
topic=inference/data/detections
bench_broker taskset -c "$other"

# One message as mqplane formats it: the bare publisher's payload.
mosquitto_sub -h 127.0.0.1 -p "$port" -t "$topic" -C 1 > "$dir/sample" &
sub=$!
sleep 0.3
"$M" bench publish -b "$url" -n 1 -k "$k" > /dev/null
wait $sub
bytes=$(($(wc -c < "$dir/sample") - 1))

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One run of a publisher: appends "received_per_s cpu_us_per_msg published broker_share".
one_run() { # name command...
  local name=$1
  shift
  rm -f "$dir/ready"
  taskset -c "$other" "$W" receive "$url" "$topic" "$dir/ready" > "$dir/recv" &
  local recv=$!
  for _ in $(seq 200); do [ -e "$dir/ready" ] && break; sleep 0.02; done
  local b0 t0 b1 t1
  b0=$(ticks "$broker")
  t0=$(date +%s.%N)
  taskset -c 0 "$@" > "$dir/pub"
  wait $recv
  b1=$(ticks "$broker")
  t1=$(date +%s.%N)
  python3 - "$dir/recv" "$dir/pub" "$b0" "$b1" "$t0" "$t1" <<'PY' >> "$dir/$name"
import os, sys
kv = lambda f: dict(p.split("=") for p in open(f).read().split())
r, p = kv(sys.argv[1]), kv(sys.argv[2])
b0, b1, t0, t1 = map(float, sys.argv[3:7])
published = int(p["published"])
print(float(r["msg_per_s"]), 1e6 * float(p["cpu_s"]) / max(published, 1), published,
      int(r["received"]), (b1 - b0) / os.sysconf("SC_CLK_TCK") / (t1 - t0))
PY
}

: > "$dir/bare"
: > "$dir/mqplane"
for _ in $(seq "$runs"); do # Interleaved, so both see the same machine.
  one_run bare "$W" publish "$url" "$topic" "$dir/sample" "$n"
  one_run mqplane "$M" bench publish -b "$url" -n "$n" -k "$k" --wait-for-room
done
: > "$dir/bare_paced"
: > "$dir/mqplane_paced"
for _ in $(seq "$runs"); do
  one_run bare_paced "$W" publish "$url" "$topic" "$dir/sample" $((3 * rate)) "$rate"
  one_run mqplane_paced "$M" bench publish -b "$url" -n $((3 * rate)) -k "$k" --rate "$rate"
done

python3 - "$dir" "$n" "$k" "$bytes" "$runs" "${SUMMARY:-}" "$rate" <<'PY'
import statistics, sys
def load(f):
    rows = [list(map(float, l.split())) for l in open(f)]
    return {key: [r[i] for r in rows] for i, key in enumerate(("rate", "cpu", "pub", "recv", "broker"))}
d = sys.argv[1]
bare, mq = load(d + "/bare"), load(d + "/mqplane")
bare_p, mq_p = load(d + "/bare_paced"), load(d + "/mqplane_paced")
n, k, size, runs, summary, rate = sys.argv[2:8]
med = statistics.median
def rng(v, fmt):
    return f"({fmt.format(min(v))}-{fmt.format(max(v))})"
print(f"data plane: {n} messages of {k} detections ({size} B), QoS 0, full speed; "
      f"median of {runs} runs (range)")
print(f"  {'':22} {'received msg/s':>24} {'CPU/msg published':>26} {'published':>10} {'broker CPU':>11}")
for name, d in (("bare libmosquitto", bare), ("mqplane bench publish", mq)):
    print(f"  {name:22} {med(d['rate']):9.0f} {rng(d['rate'], '{:.0f}'):>14} "
          f"{med(d['cpu']):8.2f} us {rng(d['cpu'], '{:.2f}'):>14} {med(d['pub']):10.0f} "
          f"{100 * med(d['broker']):9.0f} %")
ratio_rate = med(mq["rate"]) / med(bare["rate"])
ratio_cpu = med(mq["cpu"]) / med(bare["cpu"])
print(f"  mqplane / bare: received rate x{ratio_rate:.2f} (target >= 0.9), "
      f"CPU per message x{ratio_cpu:.2f} (target <= 1.5)")
print(f"the same at {rate} messages a second, {3 * int(rate)} a run:")
for name, v in (("bare libmosquitto", bare_p), ("mqplane bench publish", mq_p)):
    print(f"  {name:22} CPU/msg {med(v['cpu']):6.2f} us {rng(v['cpu'], '{:.2f}'):>14}   "
          f"received {med(v['recv']):.0f} of {med(v['pub']):.0f}")
ratio_paced = med(mq_p["cpu"]) / med(bare_p["cpu"])
print(f"  mqplane / bare: CPU per message x{ratio_paced:.2f} (target <= 1.5)")
if summary:
    with open(summary, "a") as f:
        f.write(f"| data plane, received msg/s ({k} detections, {size} B) | {med(mq['rate']):.0f} "
                f"| {med(bare['rate']):.0f} | x{ratio_rate:.2f} (>= 0.9) |\n")
        f.write(f"| publisher CPU per message, formatting included | {med(mq['cpu']):.2f} us "
                f"| {med(bare['cpu']):.2f} us | x{ratio_cpu:.2f} (<= 1.5) |\n")
        f.write(f"| broker's share of its core, at full speed | {100 * med(mq['broker']):.0f} % "
                f"| {100 * med(bare['broker']):.0f} % | |\n")
        f.write(f"| publisher CPU per message at {rate} msg/s | {med(mq_p['cpu']):.2f} us "
                f"| {med(bare_p['cpu']):.2f} us | x{ratio_paced:.2f} (<= 1.5) |\n")
PY
