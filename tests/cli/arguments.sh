#!/usr/bin/env bash
# Numeric options of every subcommand: a bad value exits 64 with a message that names the
# option and the value; none is truncated or wrapped.
#   tests/cli/arguments.sh PATH_TO_MQPLANE
here=$(dirname "$0")
. "$here/lib.sh"
M=$1
export MQPLANE_SERVICES_DIR="$TMP/services"

# bad "MESSAGE" ARGS...: mqplane ARGS exits 64 and says MESSAGE on stderr.
bad() {
  local want=$1 rc
  shift
  set +e
  timeout 10 $M "$@" > "$TMP/out" 2> "$TMP/err"; rc=$?
  set -e
  [ $rc = 64 ] || fail "mqplane $* should exit 64, got $rc: $(cat "$TMP/err")"
  grep -qF -- "$want" "$TMP/err" || fail "mqplane $*: expected '$want', got: $(cat "$TMP/err")"
}

echo "== run"
bad "mqplane run: --seed: expected an integer, got '1.5'" run --seed 1.5
bad "mqplane run: --seed: expected a non-negative integer, got '-1'" run --seed -1
bad "mqplane run: --seed: expected a non-negative integer, got '99999999999999999999'" run --seed 99999999999999999999
bad "mqplane run: --frames: expected an integer, got '10x'" run --frames 10x
bad "mqplane run: --frames: expected a positive integer, got '0'" run --frames 0
bad "mqplane run: --metrics-interval: expected a number, got '1s'" run --metrics-interval 1s
bad "mqplane run: --metrics-interval: expected a number in 0.1..86400, got '0.01'" run --metrics-interval 0.01
bad "mqplane run: --metrics-interval: expected a number, got 'inf'" run --metrics-interval inf

echo "== ctl"
bad "mqplane ctl: --timeout: expected a number, got '12ab'" ctl --timeout 12ab status
bad "mqplane ctl: --timeout: expected a number in 0.001..3600, got '0'" ctl -t 0 status
bad "mqplane ctl: --timeout: expected a number, got ''" ctl --timeout '' status

echo "== monitor"
bad "mqplane monitor: --count: expected an integer, got '1.5'" monitor --count 1.5 all
bad "mqplane monitor: --count: expected a positive integer, got '0'" monitor -n 0 all
bad "mqplane monitor: --count: expected a positive integer, got '-3'" monitor -n -3 all

echo "== demo"
bad "mqplane demo: --seconds: expected a number, got 'ten'" demo --seconds ten
bad "mqplane demo: --seconds: expected a number in 0.1..31536000, got '0'" demo --seconds 0

echo "== services"
bad "mqplane services: --port: expected an integer, got '12ab'" services up --port 12ab
bad "mqplane services: --port: expected an integer in 1..65535, got '70000'" services up --port 70000
bad "mqplane services: --ws-port: expected an integer, got ' 9001'" services up --ws-port ' 9001'
bad "mqplane services: --local-port: expected an integer in 1..65535, got '0'" services up --local-port 0
bad "mqplane services: --lines: expected an integer, got '-3.5'" services logs --lines -3.5
bad "mqplane services: --lines: expected an integer in 0..1000000, got '99999999999'" services logs -n 99999999999
[ ! -e "$TMP/services" ] || fail "a refused services command made its directory"
echo "arguments.sh: all passed"
