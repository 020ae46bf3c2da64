#!/usr/bin/env bash
# mqplane exporter on a real broker with two real nodes (the reference topics and a --node-id
# namespace): promtool accepts its /metrics; the figures are those the nodes published; a pause
# and a stop show in the status; the broker's $SYS figures move as messages go through, and a
# broker restart is counted; bad options get a clear error.
#   tests/cli/exporter.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
PY=/usr/bin/python3
command -v promtool > /dev/null || skip "promtool (Debian's prometheus) is missing"
$M exporter --listen nonsense 2> "$TMP/err" || true # Refused at once, built or not.
if grep -q "not built" "$TMP/err"; then skip "this mqplane has no exporter (built without libmicrohttpd)"; fi

echo "== bad options: a message each, exit 64"
while IFS='|' read -r listen want; do
  set +e
  $M exporter --listen "$listen" -b mqtt://127.0.0.1:1 2> "$TMP/err"; rc=$?
  set -e
  [ $rc = 64 ] || fail "--listen '$listen' should exit 64, got $rc: $(cat "$TMP/err")"
  grep -qF -- "$want" "$TMP/err" || fail "--listen '$listen': expected '$want', got: $(cat "$TMP/err")"
done <<EOF
nonsense|expected HOST:PORT with a port 1..65535
127.0.0.1:0|expected HOST:PORT with a port 1..65535
[::1|expected [ADDRESS]:PORT
EOF
set +e
$M exporter --node-id cam2 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep -q "watches every namespace" "$TMP/err" || fail "--node-id: $rc $(cat "$TMP/err")"

BROKER_CONF_EXTRA="sys_interval 1" broker_start
$M run --broker "$URL" --metrics-interval 1 2> "$TMP/node.log" & NODE=$!
PIDS+=("$NODE")
$M run --broker "$URL" --node-id cam2 --source synthetic:320x240@15 --metrics-interval 1 \
  2> "$TMP/cam2.log" & CAM2=$!
PIDS+=("$CAM2")
HTTP=$(free_port)
$M exporter --broker "$URL" --listen "127.0.0.1:$HTTP" 2> "$TMP/exporter.log" & EXP=$!
PIDS+=("$EXP")

echo "== both nodes, with their sources, in the Prometheus text format"
wait_metric '^mqplane_node_status\{node="default",status="running"\} 1$'
wait_metric '^mqplane_node_status\{node="cam2",status="running"\} 1$'
wait_metric '^mqplane_node_fps\{node="cam2"\} [1-9]'
wait_metric '^mqplane_source_detector_runs_total\{node="default",source="0"\} [1-9]'
wait_metric '^mqplane_source_detections_total\{node="cam2",source="0"\} [1-9]'
wait_metric '^mqplane_health_ok\{client="inference_control-cam2",node="cam2",event="ready"\} 1$'
wait_metric '^mqplane_exporter_connected 1$'
promtool check metrics < "$TMP/metrics" || fail "promtool refused the exporter's output: $(cat "$TMP/metrics")"
curl_404=$($PY -c 'import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=5)
except urllib.error.HTTPError as e:
    print(e.code)' "http://127.0.0.1:$HTTP/nothing")
[ "$curl_404" = 404 ] || fail "/nothing should be 404, got '$curl_404'"

echo "== the figures are the nodes' own: paused, a metrics report's counters are the exporter's"
$M ctl -b "$URL" pause > /dev/null || fail "pause"
wait_metric '^mqplane_node_status\{node="default",status="paused"\} 1$'
# Paused, its counters stop moving: wait for two reports in a row that agree.
prev=-1 runs=-2
for _ in $(seq 20); do
  mosquitto_sub -h 127.0.0.1 -p "$PORT" -t inference/data/metrics -C 1 -W 5 > "$TMP/report" \
    || fail "no metrics report"
  runs=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["latency_reports"][0]["detector_runs"])' "$TMP/report")
  [ "$runs" = "$prev" ] && break
  prev=$runs
done
[ "$runs" = "$prev" ] || fail "the detector's runs kept moving while paused ($prev, $runs)"
wait_metric "^mqplane_source_detector_runs_total\\{node=\"default\",source=\"0\"\\} $runs\$"
fetch_metrics
$PY - "$TMP/metrics" "$TMP/report" <<'PY' || fail "exporter and report differ: $(grep default "$TMP/metrics")"
import json, re, sys
text, report = open(sys.argv[1]).read(), json.load(open(sys.argv[2]))
def value(name):
    m = re.search(r'^' + name + r'\{node="default"(,source="0")?\} (\S+)$', text, re.M)
    return float(m.group(2))
r = report["latency_reports"][0]
assert value("mqplane_source_detector_runs_total") == r["detector_runs"]
assert value("mqplane_source_frames_skipped_total") == r["frames_skipped"]
assert value("mqplane_node_dropped_total") == report["data_plane"]["dropped"]
PY

echo "== a node that stops: stopped, down"
$M ctl -b "$URL" --node-id cam2 stop > /dev/null || fail "stop cam2"
wait "$CAM2" || fail "cam2 exit status $?"
wait_metric '^mqplane_node_status\{node="cam2",status="stopped"\} 1$'
wait_metric '^mqplane_node_up\{node="cam2"\} 0$'
wait_metric '^mqplane_health_ok\{client="inference_data-cam2",node="cam2",event="shutdown"\} 0$'
promtool check metrics < "$TMP/metrics" || fail "promtool, after the stop: $(cat "$TMP/metrics")"

echo "== the broker's own figures (\$SYS), and a restart counted"
wait_metric '^mqplane_broker_sys_seen 1$'
wait_metric '^mqplane_broker_clients_connected [3-9]'
wait_metric '^mqplane_broker_uptime_seconds [2-9]' # Up for 2 s at least: a restart goes back.
before=$(sed -n 's/^mqplane_broker_messages_received_total //p' "$TMP/metrics")
for i in $(seq 100); do mosquitto_pub -h 127.0.0.1 -p "$PORT" -t exporter/test -m "$i"; done
for _ in $(seq 100); do
  fetch_metrics
  now=$(sed -n 's/^mqplane_broker_messages_received_total //p' "$TMP/metrics")
  [ "${now:-0}" -ge $((before + 100)) ] && break
  sleep 0.1
done
[ "${now:-0}" -ge $((before + 100)) ] || fail "messages received went $before -> $now for 100 sent"
grep -q '^mqplane_broker_restarts_total 0$' "$TMP/metrics" || fail "a restart before any"
broker_kill
broker_restart
wait_metric '^mqplane_broker_restarts_total 1$'
promtool check metrics < "$TMP/metrics" || fail "promtool, with the broker's figures: $(cat "$TMP/metrics")"

echo "== the port taken: said, exit 64; SIGTERM: exit 0"
set +e
$M exporter --broker "$URL" --listen "127.0.0.1:$HTTP" 2> "$TMP/err"; rc=$?
set -e
[ $rc = 64 ] && grep -q "cannot serve on 127.0.0.1:$HTTP" "$TMP/err" || fail "port in use: $rc $(cat "$TMP/err")"
kill -TERM "$EXP"
wait "$EXP" || fail "exporter exit status $?"
echo "exporter.sh: all passed"
