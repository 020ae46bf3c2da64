#!/usr/bin/env bash
# The live view, as a person sees it: mqplane demo in a real terminal (tmux), read with
# capture-pane. The header, a source with frames coming, tracked boxes on the map; p pauses the
# node (over MQTT and on the screen); a terminal too small says so and a larger one redraws;
# mqplane monitor shows the same node; q stops everything demo started.
#   tests/cli/view.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
command -v tmux > /dev/null || skip "tmux is missing"
[[ $(ldd "$M") == *ncurses* ]] || skip "this mqplane has no live view (built without ncurses)"

SOCK="mqpview$$" # A tmux server of the test's own.
T() { tmux -L "$SOCK" "$@"; }
trap 'T kill-server 2> /dev/null || true; cleanup' EXIT
screen() { T capture-pane -p -t "$1"; }

# Waits until the screen of pane $1 matches the extended regex $2; fails with it shown after
# $3 seconds (default 20).
wait_screen() {
  for _ in $(seq $((${3:-20} * 10))); do
    screen "$1" | grep -E -- "$2" > /dev/null && return 0 # Not -q: under pipefail, SIGPIPE.
    sleep 0.1
  done
  fail "the screen never showed /$2/:
$(screen "$1")"
}

# Runs a command in a terminal of COLSxLINES named NAME, in a UTF-8 locale; sets PANE_PID.
in_terminal() { # name cols lines command
  T new-session -d -s "$1" -x "$2" -y "$3" "exec env LANG=C.UTF-8 LC_ALL=C.UTF-8 $4"
  PANE_PID=$(T display-message -p -t "$1" '#{pane_pid}')
  PIDS+=("$PANE_PID")
}

echo "== demo in a 120x40 terminal: header, a running source, boxes on the map"
in_terminal demo 120 40 "$M demo 2> $TMP/demo.err"
DEMO=$PANE_PID
wait_screen demo '^mqplane demo +broker mqtt://127\.0\.0\.1:[0-9]+ \(connected\)'
wait_screen demo '^status RUNNING'
wait_screen demo '^0 +running +[1-9][0-9]*\.[0-9]'             # Source 0 at a non-zero fps.
wait_screen demo 'source 0: synthetic 640x480@30, 640x480'      # The map at the frames' size.
wait_screen demo '┌#[0-9]+'                                      # A tracked box, labelled.
wait_screen demo '^status .*health.* inference_control ok ready'
wait_screen demo '^status .*health.* inference_data ok ready'
URL=$(screen demo | grep -Eo 'mqtt://127\.0\.0\.1:[0-9]+' | head -1)
PORT=${URL##*:}
KIDS=$(pgrep -P "$DEMO" | tr '\n' ' ')
[ -n "$KIDS" ] || fail "demo started nothing?"

echo "== p pauses the node: its status over MQTT, and the screen"
T send-keys -t demo p
status_is() {
  mosquitto_sub -h 127.0.0.1 -p "$PORT" -t inference/control/status -C 1 -W 5 |
    grep "\"status\":\"$1\"" > /dev/null
}
for _ in $(seq 100); do status_is paused && break; sleep 0.1; done
status_is paused || fail "p did not pause the node"
wait_screen demo '^status PAUSED'
wait_screen demo 'answer pause view-[0-9]+-[0-9]+: ok'
T send-keys -t demo r
wait_screen demo '^status RUNNING'
status_is running || fail "r did not resume the node"

echo "== too small a terminal says so; a larger one redraws"
T resize-window -t demo -x 60 -y 15
wait_screen demo 'The terminal is 60x15: the view needs 80x20'
T resize-window -t demo -x 120 -y 40
wait_screen demo '^status RUNNING'
wait_screen demo '┌#[0-9]+'

echo "== mqplane monitor shows the same node"
in_terminal mon 100 30 "$M monitor -b $URL all"
MON=$PANE_PID
wait_screen mon '^mqplane monitor +broker mqtt://127\.0\.0\.1'
wait_screen mon '^status RUNNING'
wait_screen mon '^0 +running +[1-9]'
T send-keys -t mon q
for _ in $(seq 100); do alive "$MON" || break; sleep 0.1; done
! alive "$MON" || fail "monitor did not quit on q"

echo "== q stops everything demo started"
T send-keys -t demo q
for _ in $(seq 200); do alive "$DEMO" || break; sleep 0.1; done
! alive "$DEMO" || fail "demo did not quit on q"
for p in $KIDS; do
  for _ in $(seq 100); do alive "$p" || break; sleep 0.1; done
  ! alive "$p" || fail "demo left pid $p running: $(ps -o args= -p "$p")"
done
! T has-session -t demo 2> /dev/null || fail "the demo's terminal is still there"
echo "view.sh: all passed"
