#!/usr/bin/env bash
# Installs mqplane into a temporary prefix and builds the example against it twice: with
# pkg-config and with the CMake package. Checks that only the public mqp_ API is exported.
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" > /dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "$src/examples/events.c" $(pkg-config --cflags --libs mqplane) \
  -o "$tmp/ev-pc"
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/ev-pc" memory://install-pc > /dev/null
mkdir "$tmp/consumer"
cat > "$tmp/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(mqplane REQUIRED)
add_executable(ev "$src/examples/events.c")
target_link_libraries(ev PRIVATE mqplane::mqplane)
CMAKE
cmake -S "$tmp/consumer" -B "$tmp/consumer/b" -DCMAKE_PREFIX_PATH="$tmp/prefix" > /dev/null
cmake --build "$tmp/consumer/b" > /dev/null
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/consumer/b/ev" memory://install-cmake > /dev/null
# The minimal detector plugin of docs/DETECTORS.md builds against the installed header alone
# and runs in the installed node (no broker needed: it stops after its frames); the header is
# C++-clean too, for plugins around C++ libraries.
awk '/^```c$/ {on = 1; next} /^```$/ {if (on) exit} on' "$src/docs/DETECTORS.md" > "$tmp/middle.c"
grep -q mqp_detector_plugin_get "$tmp/middle.c" || { echo "no plugin in docs/DETECTORS.md"; exit 1; }
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -shared -fPIC $(pkg-config --cflags mqplane) "$tmp/middle.c" \
  -o "$tmp/middle.so"
echo '#include "mqplane/detector.h"' | c++ -x c++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only \
  $(pkg-config --cflags mqplane) -
"$tmp/prefix/bin/mqplane" run --broker mqtt://127.0.0.1:1 --detector "plugin:$tmp/middle.so" \
  --frames 3 --log-level error 2> "$tmp/middle.log" \
  || { echo "the docs' plugin did not run: $(cat "$tmp/middle.log")"; exit 1; }
leaked=$(nm -D --defined-only "$tmp/prefix/lib/libmqplane.so" | awk '{print $3}' \
  | grep -v '^mqp_[a-z]' | grep -v '^_' || true)
if [ -n "$leaked" ]; then
  echo "symbols exported beyond the public API:"; echo "$leaked"; exit 1
fi
# mqplane services finds the deploy/ folder installed beside it, and its scripts run from there.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ws=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
trap '"$tmp/prefix/bin/mqplane" services down --dir "$tmp/svc" > /dev/null 2>&1; rm -rf "$tmp"' EXIT
env -u MQPLANE_DEPLOY_DIR "$tmp/prefix/bin/mqplane" services up --dir "$tmp/svc" --port "$port" \
  --ws-port "$ws" > /dev/null
head -1 "$tmp/svc/mosquitto.conf" | grep -q "from $tmp/prefix/bin/../share/mqplane/deploy/" \
  || { echo "services did not use the installed deploy/: $(head -1 "$tmp/svc/mosquitto.conf")"; exit 1; }
[ -x "$tmp/prefix/share/mqplane/deploy/scripts/make-ca.sh" ] || { echo "scripts not executable"; exit 1; }
[ ! -e "$tmp/prefix/share/mqplane/deploy/secrets" ] || { echo "secrets were installed"; exit 1; }
"$tmp/prefix/bin/mqplane" services down --dir "$tmp/svc" > /dev/null
echo "install, pkg-config, CMake package, the docs' detector plugin and the deploy folder: OK"
