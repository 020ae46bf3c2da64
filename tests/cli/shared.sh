#!/usr/bin/env bash
# Consumers that scale out (examples/consumer.c): two instances in one MQTT 5 shared
# subscription split a node's detections, each message to one of them; when one leaves, the
# other takes all of it.
#   tests/cli/shared.sh PATH_TO_MQPLANE PATH_TO_CONSUMER_EXAMPLE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1 CONSUMER=$2
broker_start
for who in A B; do
  $CONSUMER -v -i $who "$URL" > "$TMP/$who.out" 2> "$TMP/$who.err" & PIDS+=($!)
  eval "PID_$who=$!"
done
wait_lines "$TMP/A.err" "A: in group 'detectors'" 1
wait_lines "$TMP/B.err" "B: in group 'detectors'" 1

echo "== two consumers split 120 detections messages, each to one of them"
$M run -b "$URL" -s synthetic:160x120@60 --frames 120 > "$TMP/node.log" 2>&1 || fail "the node"
total() { echo $(( $(count "$TMP/A.out" " default frame ") + $(count "$TMP/B.out" " default frame ") )); }
for _ in $(seq 100); do [ "$(total)" -ge 120 ] && break; sleep 0.05; done
a=$(count "$TMP/A.out" " default frame "); b=$(count "$TMP/B.out" " default frame ")
echo "   A took $a, B took $b"
[ $((a + b)) = 120 ] || fail "the two took $a + $b messages, not 120"
[ "$a" -ge 20 ] && [ "$b" -ge 20 ] || fail "not shared: A $a, B $b"
both=$(comm -12 <(grep -o 'frame [0-9]*' "$TMP/A.out" | sort) <(grep -o 'frame [0-9]*' "$TMP/B.out" | sort) | wc -l)
[ "$both" = 0 ] || fail "$both frames went to both"

echo "== A leaves: B takes all"
kill "$PID_A"; wait "$PID_A" || fail "A did not leave cleanly"
grep "A: $a messages, leaving" "$TMP/A.err" > /dev/null || fail "A: $(cat "$TMP/A.err")"
$M run -b "$URL" -n cam2 -s synthetic:160x120@60 --frames 60 > "$TMP/cam2.log" 2>&1 || fail "cam2"
wait_lines "$TMP/B.out" "^B cam2 frame " 60
[ "$(count "$TMP/A.out" " cam2 frame ")" = 0 ] || fail "A got cam2's after leaving"
echo "shared.sh: all passed"
