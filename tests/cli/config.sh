#!/usr/bin/env bash
# mqplane config: the key list is the schema's, and docs/CLIENT.md shows exactly it; check
# shows what a file amounts to without a secret, and refuses a bad one with its reason.
#   tests/cli/config.sh PATH_TO_MQPLANE SOURCE_DIR
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
unset MQTT_URL MQTT_BROKER_HOST MQTT_BROKER_PORT MQTT_USERNAME MQTT_PASSWORD

echo "== docs/CLIENT.md holds the table the schema prints"
$M config keys --markdown > "$TMP/keys.md"
sed -n '/^<!-- mqplane config keys --markdown -->$/,/^<!-- end of mqplane config keys -->$/p' \
  "$2/docs/CLIENT.md" | sed '1d;$d' > "$TMP/doc.md"
diff -u "$TMP/doc.md" "$TMP/keys.md" || fail "docs/CLIENT.md's key table is not 'mqplane config keys --markdown' (regenerate it)"
[ "$(grep -c '^| `mqtt\.' "$TMP/keys.md")" = 31 ] || fail "expected 31 keys"

echo "== check: values, origins, no secret"
cat > "$TMP/c.yaml" <<'YAML'
mqtt:
  url: mqtt://op:s3cret-url@broker.example:1884
  data_qos: 1
  control_password: s3cret-control
YAML
MQP_MQTT_KEEPALIVE=30 $M config check "$TMP/c.yaml" > "$TMP/out" || fail "config check: $(cat "$TMP/out")"
grep -q "^mqtt.data_qos  *1  *$TMP/c.yaml:3$" "$TMP/out" || fail "data_qos line: $(cat "$TMP/out")"
grep -q "^mqtt.keepalive  *30  *environment MQP_MQTT_KEEPALIVE$" "$TMP/out" || fail "keepalive line"
grep -q "^mqtt.url  *mqtt://op:\*\*\*@broker.example:1884 " "$TMP/out" || fail "url line: $(grep url "$TMP/out")"
grep -q "^broker: mqtt://op:\*\*\*@broker.example:1884$" "$TMP/out" || fail "broker line"
if grep -q "s3cret" "$TMP/out"; then fail "config check printed a secret"; fi

echo "== check: a bad file exits 64 with file, line and key"
printf 'mqtt:\n  data_qos: 3\n' > "$TMP/bad.yaml"
set +e
$M config check "$TMP/bad.yaml" > /dev/null 2> "$TMP/err"; rc=$?
$M config frobnicate 2> /dev/null; rc2=$?
set -e
[ $rc = 64 ] || fail "a bad file should exit 64, got $rc"
grep -q "$TMP/bad.yaml:2: mqtt.data_qos: expected an integer in 0..2, got '3'" "$TMP/err" \
  || fail "bad file message: $(cat "$TMP/err")"
[ $rc2 = 64 ] || fail "an unknown verb should exit 64, got $rc2"
echo "config.sh: all passed"
