#!/usr/bin/env bash
# The layers, checked: each folder includes only its own headers and those of the layers below.
#   include/mqplane  the public API: standard C headers and its own, nothing else
#   src/util         the helpers layer: its own headers
#   src/lib          libmqplane: its own, src/util, the public API
#   src/node         the node: its own, src/util, the public API (never src/lib)
#   src/cli          the executable: its own, src/node, src/util, the public API (never src/lib)
#   tests/layering.sh SOURCE_DIR
set -euo pipefail
cd "$1"
bad=0
allowed() { # folder -> folders whose headers it may include with "..."
  case $1 in
    src/util) echo "src/util" ;;
    src/lib) echo "src/lib src/util" ;;
    src/node) echo "src/node src/util" ;;
    src/cli) echo "src/cli src/node src/util" ;;
  esac
}
for dir in src/util src/lib src/node src/cli; do
  for f in "$dir"/*.[ch] "$dir"/*.cpp; do
    [ -e "$f" ] || continue
    while IFS= read -r h; do
      case $h in mqplane/*) [ -e "include/$h" ] && continue ;; esac
      ok=0
      for a in $(allowed "$dir"); do [ -e "$a/$h" ] && ok=1; done
      if [ $ok = 0 ]; then
        where=$(ls src/*/"$h" 2>/dev/null | head -1 || true)
        echo "$f includes \"$h\"${where:+ ($where)}: not a header of its layer or of those below" >&2
        bad=1
      fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
  done
done
std='assert.h|complex.h|ctype.h|errno.h|fenv.h|float.h|inttypes.h|iso646.h|limits.h|locale.h|math.h|setjmp.h|signal.h|stdalign.h|stdarg.h|stdatomic.h|stdbool.h|stddef.h|stdint.h|stdio.h|stdlib.h|stdnoreturn.h|string.h|tgmath.h|threads.h|time.h|uchar.h|wchar.h|wctype.h'
for f in include/mqplane/*.h; do
  while IFS= read -r h; do
    if ! [[ $h =~ ^($std)$ ]]; then
      echo "$f includes <$h>: the public API includes standard C headers only" >&2
      bad=1
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\([^>]*\)>.*/\1/p' "$f")
  while IFS= read -r h; do
    [[ $h == mqplane/* && -e include/$h ]] || { echo "$f includes \"$h\": not a public header" >&2; bad=1; }
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
[ $bad = 0 ] && echo "layering: every include is of its layer or below"
exit $bad
