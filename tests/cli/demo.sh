#!/usr/bin/env bash
# mqplane demo: shows the node live, exercises the control plane, and leaves nothing behind.
#   tests/cli/demo.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
$M demo --seconds 12 > "$TMP/out" 2>&1 || fail "demo exit status $?: $(tail -3 "$TMP/out")"
for line in "status      running" "response    toggle_crop   ok" "status      paused" \
            "status      stopped" "demo: stopped the node, the monitor and the broker"; do
  grep -q "$line" "$TMP/out" || fail "demo output lacks '$line'"
done
grep -q "msg/s" "$TMP/out" || fail "no detections shown"
dir=$(sed -n 's/.*node log \(\/tmp\/mqplane-demo-[^/]*\)\/node.log.*/\1/p' "$TMP/out")
[ -n "$dir" ] && [ ! -e "$dir" ] || fail "demo left $dir behind"
echo "== Ctrl-C at a terminal (SIGINT to the whole process group) stops everything in order"
setsid "$M" demo > "$TMP/ctrlc" 2>&1 & DEMO=$!
PIDS+=("$DEMO")
wait_lines "$TMP/ctrlc" "status      running" 1 20
kill -INT -- "-$DEMO"
for _ in $(seq 300); do alive "$DEMO" || break; sleep 0.05; done
! alive "$DEMO" || fail "demo did not stop on Ctrl-C"
# The node stopped before the broker and the monitor: its last status reached the monitor,
# and its connections closed cleanly (no last will).
grep -q "status      stopped" "$TMP/ctrlc" || fail "no 'stopped' status after Ctrl-C: $(tail -5 "$TMP/ctrlc")"
if grep -q "NOT OK lost" "$TMP/ctrlc"; then fail "a last will fired on Ctrl-C: $(grep lost "$TMP/ctrlc")"; fi
grep -q "demo: stopped the node, the monitor and the broker" "$TMP/ctrlc" || fail "demo's last line"
echo "demo.sh: all passed"
