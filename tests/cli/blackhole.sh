#!/usr/bin/env bash
# A silent blackhole between node and broker: packets dropped both ways, no reset, the TCP
# connection left open on both sides. The node runs in a network namespace of its own, joined
# to the broker's by a veth pair, and the blackhole is a DROP rule there. It must notice within
# 1.5 x keepalive, reconnect once the path is back, and lose no QoS 1 command sent meanwhile;
# and a node told to stop while it tries to reach a broker behind the blackhole exits at once.
# Needs root and network namespaces: where they cannot be made, it says so and skips (77).
#   tests/cli/blackhole.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
KEEPALIVE=10
COMMANDS=20

[ "$(id -u)" = 0 ] || { echo "needs root for a network namespace: skipped"; exit 77; }
command -v ip > /dev/null || skip "no ip (iproute2)"
command -v iptables > /dev/null || command -v nft > /dev/null || skip "no iptables or nft"

# Names and addresses of this run's own: two runs side by side do not meet.
n=$(( $$ % 250 + 1 ))
NS=mqpbh$$
HOST_IF=mqbh$$h
NODE_IF=mqbh$$n
HOST_IP=10.231.$n.1
NODE_IP=10.231.$n.2
netns_cleanup() {
  cleanup
  ip netns del "$NS" 2>/dev/null || true
  ip link del "$HOST_IF" 2>/dev/null || true
}
trap netns_cleanup EXIT
in_ns() { ip netns exec "$NS" "$@"; }
if ! { ip netns add "$NS" && ip link add "$HOST_IF" type veth peer name "$NODE_IF" &&
       ip link set "$NODE_IF" netns "$NS" && ip addr add "$HOST_IP/30" dev "$HOST_IF" &&
       ip link set "$HOST_IF" up && in_ns ip addr add "$NODE_IP/30" dev "$NODE_IF" &&
       in_ns ip link set "$NODE_IF" up && in_ns ip link set lo up; } 2> "$TMP/netns.err"; then
  echo "cannot make a network namespace here ($(head -1 "$TMP/netns.err")): skipped"
  exit 77
fi

# The blackhole: the node's namespace drops everything to and from the broker's address.
FIREWALL=iptables
blackhole_on() {
  if [ "$FIREWALL" = iptables ] && in_ns iptables -I INPUT -s "$HOST_IP" -j DROP 2> /dev/null &&
     in_ns iptables -I OUTPUT -d "$HOST_IP" -j DROP; then
    return 0
  fi
  FIREWALL=nft
  in_ns nft add table inet mqpbh &&
    in_ns nft add chain inet mqpbh in '{ type filter hook input priority 0; }' &&
    in_ns nft add chain inet mqpbh out '{ type filter hook output priority 0; }' &&
    in_ns nft add rule inet mqpbh in ip saddr "$HOST_IP" drop &&
    in_ns nft add rule inet mqpbh out ip daddr "$HOST_IP" drop
}
blackhole_off() {
  if [ "$FIREWALL" = iptables ]; then
    in_ns iptables -D INPUT -s "$HOST_IP" -j DROP && in_ns iptables -D OUTPUT -d "$HOST_IP" -j DROP
  else
    in_ns nft delete table inet mqpbh
  fi
}

BROKER_ADDRS=$HOST_IP
broker_start
sub_session answers "$TMP/answers" -t inference/control/responses
sub_start "$TMP/detections" -t inference/data/detections
printf 'mqtt:\n  keepalive: %s\n' "$KEEPALIVE" > "$TMP/node.yaml"
# ip itself, not the function: it execs the node, so $! is the node's pid.
ip netns exec "$NS" "$M" run --broker "mqtt://$HOST_IP:$PORT" --config "$TMP/node.yaml" --log-level info \
  2> "$TMP/node.log" & NODE=$!
PIDS+=("$NODE")
wait_retained inference/control/status '"status":"running"'
wait_ctl '"connected":true' -b "$URL" status
wait_lines "$TMP/detections" track_id 5 20

echo "== blackhole (keepalive $KEEPALIVE s)"
blackhole_on || fail "cannot drop packets in the namespace with iptables or nft"
t0=$(now_ms)
# An operator's commands meanwhile: the broker sends them into a connection that leads nowhere.
status_commands bh- "$COMMANDS" |
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -i operator -q 1 -t inference/control/commands -l ||
  fail "the operator could not publish"
limit=$(( KEEPALIVE * 1500 ))
wait_noticed "the blackhole" "$t0" "$limit"
# A while longer: the node's attempts meanwhile go into the blackhole and get no answer at all,
# until one gives up with the reason (and the next begins).
wait_lines "$TMP/node.log" "no answer from mqtt://$HOST_IP:$PORT within [0-9]* s" 1 30
echo "   an attempt meanwhile: $(grep -o "no answer from .*" "$TMP/node.log" | head -1)"

echo "== path back"
reconnects=$(count "$TMP/node.log" "reconnected to")
seen=$(count "$TMP/detections" track_id)
blackhole_off || fail "cannot remove the blackhole"
t1=$(now_ms)
wait_lines "$TMP/node.log" "reconnected to" $((reconnects + 2)) 30
echo "   both planes back $(( $(now_ms) - t1 )) ms after the path"
wait_lines "$TMP/answers" '"request_id":"bh-' "$COMMANDS" 30
all_answered "$TMP/answers" bh- "$COMMANDS" "sent into the blackhole"
wait_lines "$TMP/detections" track_id $((seen + 5)) 20
wait_ctl '"connected":true' -b "$URL" status

echo "== stop while reaching for a broker behind the blackhole"
lost=("$(losses inference_control)" "$(losses inference_data)")
blackhole_on || fail "cannot drop packets in the namespace again"
wait_noticed "the second blackhole" "$(now_ms)" "$limit" "${lost[@]}"
sleep 1 # Into its next attempt, which gets no answer: not a wait for a condition.
t3=$(now_ms)
kill -TERM "$NODE"
while alive "$NODE"; do
  [ $(( $(now_ms) - t3 )) -le 5000 ] ||
    fail "the node did not exit within 5 s of SIGTERM: $(tail -3 "$TMP/node.log")"
  sleep 0.05
done
wait "$NODE" || fail "the node exited with $?"
echo "   stopped in $(( $(now_ms) - t3 )) ms"
echo "PASS"
