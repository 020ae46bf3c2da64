#!/usr/bin/env bash
# Runs every test program under valgrind memcheck; fails on any error or definite leak.
set -euo pipefail
build=${1:-build}
status=0
# test_opencv finds the plugins as the node does, and reads what tests/models/make_all.sh made
# (CTest's fixture makes them; a valgrind run on its own makes them here).
export MQPLANE_DETECTOR_DIR="$build/src/detectors"
if [ -x "$build/tests/node/test_opencv" ] && [ ! -e "$build/tests/node/models/person.bgr" ]; then
  "$(dirname "$0")/../tests/models/make_all.sh" "$build/tests/node/models" > /dev/null
fi
for t in "$build"/tests/unit/test_* "$build"/tests/integration/test_* "$build"/tests/node/test_*; do
  [ -x "$t" ] || continue
  case "$t" in
    *.log) continue ;;
    # Renders and scores thousands of frames: minutes under valgrind; ASan+UBSan cover it.
    */test_motion) echo "valgrind skipped: test_motion (compute-bound, see make sanitize)"; continue ;;
    # A million messages and 200 clients: hours under valgrind; ASan+UBSan run it.
    */test_faults) echo "valgrind skipped: test_faults (a scale test, see make sanitize)"; continue ;;
  esac
  if valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite -q \
       "$t" > "$t.valgrind.log" 2>&1; then
    echo "valgrind clean: $(basename "$t")"
  else
    echo "valgrind FAILED: $(basename "$t") (see $t.valgrind.log)"; status=1
  fi
done
exit $status
