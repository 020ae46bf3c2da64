#!/usr/bin/env bash
# Runs every test program under valgrind memcheck; fails on any error or definite leak.
set -euo pipefail
build=${1:-build}
status=0
for t in "$build"/tests/unit/test_* "$build"/tests/integration/test_* "$build"/tests/node/test_*; do
  [ -x "$t" ] || continue
  case "$t" in
    *.log) continue ;;
    # Renders and scores thousands of frames: minutes under valgrind; ASan+UBSan cover it.
    */test_motion) echo "valgrind skipped: test_motion (compute-bound, see make sanitize)"; continue ;;
  esac
  if valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite -q \
       "$t" > "$t.valgrind.log" 2>&1; then
    echo "valgrind clean: $(basename "$t")"
  else
    echo "valgrind FAILED: $(basename "$t") (see $t.valgrind.log)"; status=1
  fi
done
exit $status
