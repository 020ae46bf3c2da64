#!/usr/bin/env bash
# A topic-layout migration seen to its end on a real broker (seed 04, step 3): a client still
# on the legacy layout only and one dual-publishing while migrating (mqp-example-voice); the
# exporter and mqplane monitor, both migrating, count exactly what came on each layout, say
# what still comes on the old one, and say it can be dropped once it has been quiet.
#   tests/cli/migration.sh PATH_TO_MQPLANE PATH_TO_VOICE_EXAMPLE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1 VOICE=$2
unset MQTT_TOPIC_VERSION MQTT_BASE_PREFIX MQTT_TOPIC_PREVIOUS_VERSION
command -v promtool > /dev/null || skip "promtool (Debian's prometheus) is missing"
$M exporter --listen nonsense 2> "$TMP/err" || true
if grep -q "not built" "$TMP/err"; then skip "this mqplane has no exporter (built without libmicrohttpd)"; fi

echo "== bad options and a layout that is not migrating: a message each, exit 64"
set +e
$M exporter --migration-quiet 0 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep "migration-quiet" "$TMP/err" > /dev/null || fail "--migration-quiet 0: $rc $(cat "$TMP/err")"
set +e
$M monitor -b mqtt://127.0.0.1:1 migration 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep "not migrating: set MQTT_TOPIC_PREVIOUS_VERSION" "$TMP/err" > /dev/null \
  || fail "monitor migration without a migration: $rc $(cat "$TMP/err")"
set +e
MQTT_TOPIC_PREVIOUS_VERSION=a/b $M monitor -b mqtt://127.0.0.1:1 migration 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep "not a valid topic level" "$TMP/err" > /dev/null || fail "a bad previous version: $rc $(cat "$TMP/err")"

broker_start
HTTP=$(free_port)
export MQTT_TOPIC_PREVIOUS_VERSION=  # Migrating from the legacy, unversioned layout to v1.
$M exporter --broker "$URL" --listen "127.0.0.1:$HTTP" -l notice --migration-notice 1 \
  --migration-quiet 3 2> "$TMP/exporter.log" & PIDS+=($!)
$M monitor --broker "$URL" migration --migration-notice 1 --migration-quiet 3 \
  > "$TMP/monitor.out" 2> "$TMP/monitor.err" & PIDS+=($!)
wait_metric '^mqplane_migration_info\{current="v1",previous="legacy"\} 1$'
# Both watchers hold their subscriptions before anything is published.
wait_lines "$TMP/mosquitto.log" "voice_assistant/room/+/session/+/#" 4

echo "== a legacy-only client and a dual-publishing one: the counts are exact"
legacy_client() { env -u MQTT_TOPIC_PREVIOUS_VERSION MQTT_TOPIC_VERSION= $VOICE -p 5 "$@" "$URL"; }
legacy_client -n 2 > "$TMP/legacy.out" || fail "the legacy client"
$VOICE -p 5 -n 1 "$URL" > "$TMP/dual.out" || fail "the migrating client"
legacy=$(wc -l < "$TMP/legacy.out"); dual=$(wc -l < "$TMP/dual.out")
[ "$legacy" = 42 ] && [ "$dual" = 42 ] || fail "the example sent $legacy and $dual messages, not 42 and 42"
wait_metric '^mqplane_migration_messages_received_total\{template="voice",layout="legacy",role="previous"\} 63$'
wait_metric '^mqplane_migration_messages_received_total\{template="voice",layout="v1",role="current"\} 21$'
grep -E '^mqplane_migration_previous_last_message_seconds\{template="voice"\} [0-9.]+$' "$TMP/metrics" > /dev/null \
  || fail "no age of the last legacy message: $(grep migration "$TMP/metrics")"
grep '^mqplane_migration_previous_droppable 0$' "$TMP/metrics" > /dev/null || fail "droppable while traffic still came"
promtool check metrics < "$TMP/metrics" > "$TMP/promtool.out" 2>&1 || fail "promtool: $(cat "$TMP/promtool.out")"

echo "== the notices name what still comes on the legacy layout, and add up"
wait_lines "$TMP/exporter.log" "voice: [0-9]* messages\? on layout '' (legacy) in the last" 1
sum() { grep -o "voice: [0-9]* messages\? on layout '' (legacy)" "$1" | awk '{s += $2} END {print s + 0}'; }
for _ in $(seq 100); do [ "$(sum "$TMP/exporter.log")" = 63 ] && break; sleep 0.05; done
[ "$(sum "$TMP/exporter.log")" = 63 ] || fail "the exporter's notices count $(sum "$TMP/exporter.log"), not 63: $(cat "$TMP/exporter.log")"
grep "response/stream/chunk (" "$TMP/exporter.log" > /dev/null || fail "the notices do not name the chunks"
for _ in $(seq 100); do [ "$(sum "$TMP/monitor.err")" = 63 ] && break; sleep 0.05; done
[ "$(sum "$TMP/monitor.err")" = 63 ] || fail "the monitor's notices count $(sum "$TMP/monitor.err"), not 63"
wait_lines "$TMP/monitor.out" "voice: 21 on v1, 63 on legacy (previous)" 1
[ "$(count "$TMP/monitor.out" '^[0-9:.]* \[legacy\] voice_assistant/room/salon/session/')" = 63 ] \
  || fail "the monitor showed $(count "$TMP/monitor.out" '\[legacy\]') legacy messages, not 63"
[ "$(count "$TMP/monitor.out" '^[0-9:.]* \[v1\] v1/voice_assistant/room/salon/session/')" = 21 ] \
  || fail "the monitor showed $(count "$TMP/monitor.out" '\[v1\]') v1 messages, not 21"

echo "== quiet for 3 s: it can be dropped, said once, and in the metrics"
wait_lines "$TMP/exporter.log" "no traffic on the previous layout '' (legacy) for [0-9]* s: it can be dropped" 1 10
wait_metric '^mqplane_migration_previous_droppable 1$'
wait_lines "$TMP/monitor.out" "voice: 21 on v1, 63 on legacy (previous), the previous layout last heard [0-9]* s ago: it can be dropped" 1 10
echo "== the legacy client again: not droppable any more"
legacy_client -n 1 > /dev/null || fail "the legacy client, again"
wait_lines "$TMP/exporter.log" "voice: traffic on the previous layout '' (legacy) again, from state: it cannot be dropped yet" 1
wait_metric '^mqplane_migration_previous_droppable 0$'
wait_metric '^mqplane_migration_messages_received_total\{template="voice",layout="legacy",role="previous"\} 84$'
[ "$(count "$TMP/exporter.log" "it can be dropped")" = 1 ] || fail "the quiet line was said more than once: $(cat "$TMP/exporter.log")"
echo "migration.sh: all passed"
