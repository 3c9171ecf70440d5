#!/usr/bin/env bash
# check: every function in a tracked .c file (product and tests) is short enough to read.
#
#   scripts/check/functions.sh [file...]   (default: git ls-files '*.c')
#
# pmccabe (Debian) measures each function. Limits, after STYLE.md habit 14:
#   MAX_LINES       lines from the opening line to the closing brace       (default 80)
#   MAX_COMPLEXITY  *modified* McCabe complexity: a switch counts once,     (default 20)
#                   not once per case, so a translator such as the lws
#                   protocol callback (`switch (reason)` -> functions) is
#                   not penalised for the number of reasons it routes.
# Prints "file:line: function: N lines / complexity N" per offender and exits 1.
set -uo pipefail
cd "$(dirname "$0")/../.."
MAX_LINES=${MAX_LINES:-80}
MAX_COMPLEXITY=${MAX_COMPLEXITY:-20}

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files '*.c' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
fi
command -v pmccabe >/dev/null || { echo "functions: pmccabe missing (scripts/install-deps.sh check)"; exit 2; }

# pmccabe columns: modified-mccabe traditional-mccabe statements first-line lines file(line): name
pmccabe "${files[@]}" | awk -F'\t' -v maxl="$MAX_LINES" -v maxc="$MAX_COMPLEXITY" '
  {
    n++
    where = $6; name = where; sub(/: .*/, "", where); sub(/^[^:]*\): /, "", name)
    sub(/\(/, ":", where); sub(/\)$/, "", where)
    why = ""
    if ($5 + 0 > maxl) why = $5 " lines (max " maxl ")"
    if ($1 + 0 > maxc) why = why (why == "" ? "" : ", ") "complexity " $1 " (max " maxc ")"
    if (why != "") { print where ": " name ": " why; bad++ }
  }
  END {
    if (bad) { printf "functions: %d of %d functions too long or too complex\n", bad, n; exit 1 }
    printf "functions: %d functions within %d lines and complexity %d\n", n, maxl, maxc
  }'
