#!/usr/bin/env bash
# A node on a three-node RabbitMQ cluster (Debian's rabbitmq-server, its MQTT plugin, on
# loopback), given all three addresses: the RabbitMQ node it is on is killed; it moves to
# another, resumes its session, keeps obeying commands (each answered once) and publishing
# detections; ctl and monitor work through another RabbitMQ node. RabbitMQ 3.10 keeps an MQTT
# session's QoS 1 subscription in a durable queue on one node: without a mirroring policy the
# session cannot move (its queue's node is down); with it (docs/SCALE.md) it does.
#   tests/cli/rabbitmq.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
RMQ=/usr/lib/rabbitmq/bin
[ -x "$RMQ/rabbitmq-server" ] || skip "rabbitmq-server (apt-get install rabbitmq-server)"
export HOME=$TMP/home # The Erlang cookie the nodes and rabbitmqctl share.
mkdir -p "$HOME" && echo -n "mqplane-test-$$" > "$HOME/.erlang.cookie" && chmod 400 "$HOME/.erlang.cookie"
epmd_before=$(pgrep -x epmd || true)
R() { "$RMQ/rabbitmqctl" "$@"; }

declare -a MQTT DIST NODE
for i in 1 2 3; do
  MQTT[$i]=$(free_port); DIST[$i]=$(free_port); NODE[$i]="mqp$i-$$@localhost"
  d=$TMP/r$i; mkdir -p "$d/mnesia" "$d/log"
  cat > "$d/rabbitmq.conf" <<CONF
listeners.tcp.default = $(free_port)
mqtt.listeners.tcp.default = ${MQTT[$i]}
mqtt.allow_anonymous = true
loopback_users = none
log.console = false
log.file.level = warning
CONF
  echo "[rabbitmq_mqtt]." > "$d/enabled_plugins"
done
start_node() {
  local i=$1 d=$TMP/r$1
  RABBITMQ_NODENAME=${NODE[$i]} RABBITMQ_DIST_PORT=${DIST[$i]} RABBITMQ_CONFIG_FILE=$d/rabbitmq \
    RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins RABBITMQ_MNESIA_BASE=$d/mnesia \
    RABBITMQ_LOG_BASE=$d/log RABBITMQ_PID_FILE=$d/pid RABBITMQ_FEATURE_FLAGS_FILE=$d/feature_flags \
    RABBITMQ_PLUGINS_EXPAND_DIR=$d/plugins "$RMQ/rabbitmq-server" > "$d/out.log" 2>&1 &
  PIDS+=($!)
}
await_node() {
  for _ in $(seq 240); do R -n "${NODE[$1]}" await_startup > /dev/null 2>&1 && return 0; sleep 0.5; done
  fail "RabbitMQ node $1 did not start: $(tail -5 "$TMP/r$1/out.log")"
}

echo "== three RabbitMQ nodes, clustered, MQTT sessions' queues mirrored"
t0=$(now_ms)
for i in 1 2 3; do start_node $i; done
for i in 1 2 3; do await_node $i; done
for i in 2 3; do
  R -n "${NODE[$i]}" stop_app > /dev/null && R -n "${NODE[$i]}" join_cluster "${NODE[1]}" > /dev/null \
    && R -n "${NODE[$i]}" start_app > /dev/null || fail "node $i did not join the cluster"
done
R -n "${NODE[1]}" set_policy mqtt-sessions '^mqtt-subscription-' \
  '{"ha-mode":"all","ha-sync-mode":"automatic"}' --apply-to queues > /dev/null || fail "the policy"
running=$(R -n "${NODE[1]}" cluster_status --formatter json 2> /dev/null | /usr/bin/python3 -c \
  'import json,sys; print(len(json.load(sys.stdin)["running_nodes"]))')
[ "$running" = 3 ] || fail "$running RabbitMQ nodes running, not 3"
echo "   up in $(( $(now_ms) - t0 )) ms"
for p in "$TMP"/r*/pid; do PIDS+=("$(cat "$p")"); done
[ -n "$epmd_before" ] || PIDS+=("$(pgrep -x epmd)")
url() { echo "mqtt://127.0.0.1:${MQTT[$1]}"; }

echo "== a node with the three addresses: on the first, MQTT 3.1.1"
$M run -b "$(url 1),$(url 2),$(url 3)" -s synthetic:160x120@10 -l info > "$TMP/node.log" 2>&1 & PIDS+=($!)
wait_ctl '"status":"running"' -b "$(url 2)" status
grep "trying MQTT 3.1.1" "$TMP/node.log" > /dev/null || fail "no fallback to 3.1.1: $(head -5 "$TMP/node.log")"
on=$(grep "\[inference_control\] connected to" "$TMP/node.log" | grep -o "broker [0-9] of 3" | cut -c8)
[ -n "$on" ] || fail "which RabbitMQ node? $(head -5 "$TMP/node.log")"
other=$(( on % 3 + 1 )); third=$(( other % 3 + 1 ))

echo "== retained messages: kept by the RabbitMQ node that took them, for exact topics only"
retained() { # RABBITMQ_NODE FILTER: the retained status it hands a new subscriber, or nothing
  mosquitto_sub -h 127.0.0.1 -p "${MQTT[$1]}" -V mqttv311 -t "$2" --retained-only -C 1 -W 2 2>/dev/null || true
}
[[ $(retained "$on" inference/control/status) == *'"status":"running"'* ]] \
  || fail "no retained status on the node's own RabbitMQ node"
# What docs/SCALE.md says of RabbitMQ 3.10, checked: a wildcard gets none, another node none.
[ -z "$(retained "$on" 'inference/+/control/status')" ] || fail "a wildcard got a retained status"
[ -z "$(retained "$other" inference/control/status)" ] || fail "another RabbitMQ node had the retained status"
mosquitto_sub -h 127.0.0.1 -p "${MQTT[$third]}" -V mqttv311 -t inference/control/responses > "$TMP/answers.out" 2>/dev/null &
PIDS+=($!)
wait_ctl '"status":"running"' -b "$(url $third)" status
wait_lines "$TMP/answers.out" '"command":"status"' 1

echo "== its RabbitMQ node dies: it moves, resumes its session, obeys, publishes"
kill -9 "$(cat "$TMP/r$on/pid")"
t0=$(now_ms)
wait_lines "$TMP/node.log" "\[inference_control\] reconnected to .* (MQTT 3.1.1, session resumed, broker [0-9] of 3)" 1 30
wait_lines "$TMP/node.log" "\[inference_data\] reconnected to" 1 30
echo "   both connections back $(( $(now_ms) - t0 )) ms after"
for i in $(seq 5); do
  wait_ctl '"status":"paused"' -b "$(url $other)" pause
  wait_ctl '"status":"running"' -b "$(url $third)" resume
done
$M monitor -b "$(url $other)" --count 5 detections > "$TMP/mon.out" || fail "monitor through another node"
[ "$(wc -l < "$TMP/mon.out")" = 5 ] || fail "detections after the failover: $(cat "$TMP/mon.out")"
dups=$(grep -o '"request_id":"[0-9a-f]*"' "$TMP/answers.out" | sort | uniq -d)
[ -z "$dups" ] || fail "answered twice: $dups"
[ "$(grep -c '"command":"pause"' "$TMP/answers.out")" -ge 5 ] || fail "pauses answered: $(grep -c pause "$TMP/answers.out")"
# The tools (ctl, monitor) connect with clean sessions: no durable queue left behind each.
left=$(R -n "${NODE[$other]}" list_queues name 2> /dev/null | grep -c '^mqtt-subscription-mqplane-' || true)
[ "$left" = 0 ] || fail "$left queues of the tools' sessions left on RabbitMQ"
echo "rabbitmq.sh: all passed"
