#!/usr/bin/env bash
# Runs every libFuzzer target of a MQP_FUZZ=ON build for a bounded time each, starting from its
# committed corpus (tests/fuzz/corpus/NAME, left as it is: new inputs go to a scratch copy).
# A crash fails the run and leaves its input in BUILD/fuzz-crashes/: add it to the corpus,
# where the normal build runs it as a regression test (ctest -R fuzz_).
#   scripts/fuzz.sh BUILD [SECONDS_PER_TARGET]
set -euo pipefail
build=$1
seconds=${2:-30}
src=$(cd "$(dirname "$0")/.." && pwd)
crashes="$build/fuzz-crashes"
mkdir -p "$crashes"
status=0
IFS=";" read -r -a targets < "$build/tests/fuzz/targets.txt" || true # No newline at its end.
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  cp "$src/tests/fuzz/corpus/$t/"* "$work/"
  # ASan's leak check at exit, and libFuzzer's own limits: an input that takes a second or
  # 2 GB is a defect too.
  if "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=2 -rss_limit_mb=2048 \
       -max_len=8192 -artifact_prefix="$crashes/$t-" -print_final_stats=1 "$work" \
       > "$build/fuzz-$t.log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz-$t.log")
    echo "fuzz $t: clean, $runs inputs in $seconds s, corpus $(ls "$work" | wc -l)"
  else
    echo "fuzz $t: FAILED (see $build/fuzz-$t.log; input in $crashes/)"
    tail -30 "$build/fuzz-$t.log"
    status=1
  fi
  rm -rf "$work"
done
exit $status
