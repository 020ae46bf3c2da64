#!/usr/bin/env bash
# A client that knows only the reference documents (paho, the reference topics) operates a node:
# each command's effect is visible on the reference's own topics.
#   tests/cli/reference.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
# Debian's paho is installed for Debian's python; the first python3 on PATH may be another.
/usr/bin/python3 -c 'import paho.mqtt' 2>/dev/null || skip "python3-paho-mqtt is missing"
broker_start

for ns in "" cam1; do
  prefix=inference${ns:+/$ns}
  echo "== a reference client on ${prefix}/control/{commands,status}"
  $M run --broker "$URL" ${ns:+--node-id "$ns"} 2> "$TMP/node$ns.log" & NODE=$!
  PIDS+=("$NODE")
  /usr/bin/python3 "$here/reference_client.py" 127.0.0.1 "$PORT" "$prefix" \
    || fail "the reference client on $prefix: $(tail -5 "$TMP/node$ns.log")"
  # The stop command ends the node in order.
  wait "$NODE" || fail "node exit status $? after stop"
done
echo "reference.sh: all passed"
