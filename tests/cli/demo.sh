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
echo "demo.sh: all passed"
