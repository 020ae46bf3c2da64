#!/usr/bin/env bash
# The broker's data directory full, then read-only, under mqplane services: up says so
# clearly, status reports the broker's failed saves in its own words, and the node runs
# unaffected (commands answered, detections flowing). Needs root to mount a small file system,
# in a mount namespace of the test's own; where that cannot be made, it says so and skips (77).
#   tests/cli/disk.sh PATH_TO_MQPLANE DEPLOY_DIR
if [ -z "${MQP_DISK_NS:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "needs root to mount a file system: skipped"; exit 77; }
  unshare -m --propagation private true 2> /dev/null ||
    { echo "cannot make a mount namespace here: skipped"; exit 77; }
  # Its mounts go with the namespace, whatever happens to the test.
  MQP_DISK_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
M=$1
export MQPLANE_DEPLOY_DIR=$2
unset MQPLANE_SERVICES_DIR MQTT_URL MQTT_USERNAME MQTT_PASSWORD
DIR=$TMP/svc
PORT=$(free_port) # lib.sh's retained and wait_retained use it.
URL="mqtt://127.0.0.1:$PORT"
W=$(free_port)
mkdir -p "$DIR/data"
# 4 MiB: room enough, once emptied, for services' check that a disk is not nearly full.
mount -t tmpfs -o size=4m tmpfs "$DIR/data" 2> "$TMP/mount.err" ||
  { echo "cannot mount a tmpfs here ($(cat "$TMP/mount.err")): skipped"; exit 77; }
disk_cleanup() {
  umount -l "$DIR/data" 2> /dev/null || true # Lazily: the broker may still hold it.
  cleanup
}
trap disk_cleanup EXIT

svc() { # services ARGS...: exit status in $rc, stdout in $TMP/out, stderr in $TMP/err
  set +e
  $M services "$@" > "$TMP/out" 2> "$TMP/err"; rc=$?
  set -e
}
up() {
  svc up --dir "$DIR" --port "$PORT" --ws-port "$W"
  [ $rc = 0 ] || fail "up: $rc $(cat "$TMP/err")"
  PIDS+=("$(cat "$DIR/mosquitto.pid")")
}
down() {
  svc down --dir "$DIR"
  [ $rc = 0 ] || fail "down: $rc $(cat "$TMP/err")"
}
# The node against that broker: it starts, obeys a pause and a resume, publishes detections,
# and stops cleanly. $1 names the case.
node_unaffected() {
  $M run --broker "$URL" --log-level info 2> "$TMP/node.log" & NODE=$!
  PIDS+=("$NODE")
  wait_retained inference/control/status '"status":"running"'
  wait_ctl '"ok":true' -b "$URL" pause
  wait_retained inference/control/status '"status":"paused"'
  wait_ctl '"ok":true' -b "$URL" resume
  wait_retained inference/control/status '"status":"running"'
  mosquitto_sub -h 127.0.0.1 -p "$PORT" -t inference/data/detections -C 5 -W 10 > "$TMP/dets" ||
    fail "$1: no detections: $(tail -3 "$TMP/node.log")"
  kill -TERM "$NODE"
  wait "$NODE" || fail "$1: the node exited with $?"
  if grep -E " (error|critical) " "$TMP/node.log"; then fail "$1: the node logged errors"; fi
  echo "   $1: the node ran, obeyed, published and stopped as ever"
}
# Waits until `services status` has a WARNING line matching PATTERN (it reports the broker's
# own words for a failed save once the broker has tried one).
wait_status_warns() {
  for _ in $(seq 100); do
    svc status --dir "$DIR"
    [ $rc = 0 ] && grep -q "WARNING: $1" "$TMP/out" && return 0
    sleep 0.1
  done
  fail "status never warned '$1': $rc $(cat "$TMP/out")"
}

echo "== the data directory full"
dd if=/dev/zero of="$DIR/data/fill" bs=4k 2> /dev/null || true
up
grep -q "warning: the broker cannot save its data in $DIR/data (No space left on device): it runs" "$TMP/err" ||
  fail "up should say the disk is full: $(cat "$TMP/err")"
node_unaffected full
# mosquitto 2.0 says nothing of a small save that does not fit (it leaves an empty database),
# so status looks at the disk itself.
wait_status_warns "the broker cannot save its data in $DIR/data (No space left on device)"
grep -q "accepting connections" "$TMP/out" || fail "status: $(cat "$TMP/out")"
echo "   status: $(grep WARNING "$TMP/out" | head -1 | sed 's/^ *//')"
down

echo "== the data directory read-only"
rm -f "$DIR/data/fill"
mount -o remount,ro "$DIR/data"
up
grep -q "warning: the broker cannot save its data in $DIR/data (Read-only file system): it runs" "$TMP/err" ||
  fail "up should say the disk is read-only: $(cat "$TMP/err")"
node_unaffected read-only
wait_status_warns "the broker's last save failed (\"Error.*Read-only file system"
grep -q "WARNING: the broker cannot save its data in $DIR/data (Read-only file system)" "$TMP/out" ||
  fail "status should say the disk is read-only: $(cat "$TMP/out")"
echo "   status: $(grep WARNING "$TMP/out" | head -1 | sed 's/^ *//')"
down

echo "== writable again: no warning"
mount -o remount,rw "$DIR/data"
up
[ ! -s "$TMP/err" ] || fail "up warned on a writable disk: $(cat "$TMP/err")"
node_unaffected writable
svc status --dir "$DIR"
[ $rc = 0 ] && grep -q "data: $DIR/data, saved as it changes" "$TMP/out" && ! grep -q WARNING "$TMP/out" ||
  fail "status on a writable disk: $(cat "$TMP/out")"
[ -s "$DIR/data/mosquitto.db" ] || fail "the broker saved nothing: $(ls -la "$DIR/data")"
down

echo "== a damaged database: up says which file, and what to do"
head -c 64 /dev/urandom > "$DIR/data/mosquitto.db"
svc up --dir "$DIR" --port "$PORT" --ws-port "$W"
[ $rc = 1 ] && grep -q "its database $DIR/data/mosquitto.db cannot be read (damaged, perhaps by a full disk): move it aside" "$TMP/err" ||
  fail "up on a damaged database: $rc $(cat "$TMP/err")"
mv "$DIR/data/mosquitto.db" "$DIR/data/mosquitto.db.damaged"
up
down
echo "PASS"
