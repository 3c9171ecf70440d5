#!/usr/bin/env bash
# check: every tracked *.c / *.h is as the repo's .clang-format would write it.
#
#   scripts/check/format.sh [file...]      (default: git ls-files '*.c' '*.h')
#
# Prints "file:line:col: ..." for each place that drifts and exits 1; `make format`
# rewrites them. Needs Debian's clang-format 14: other versions format a few constructs
# differently.
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  # Tracked files that exist: a rename in progress leaves index entries with no file.
  mapfile -t files < <(git ls-files '*.c' '*.h' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
fi

command -v clang-format >/dev/null || { echo "format: clang-format missing (scripts/install-deps.sh check)"; exit 2; }
# One clang-format for all files (a second, not one per file); it reports every drifting
# line as an error and carries on to the next file.
report=$(clang-format --dry-run --Werror "${files[@]}" 2>&1 |
         grep -E '^[^ ]+:[0-9]+:[0-9]+: ' | sed 's/ \[-Wclang-format-violations\]//')
[ -n "$report" ] && echo "$report"
bad=$(printf '%s' "$report" | grep -c . | tr -d ' ')
bad_files=$(printf '%s' "$report" | cut -d: -f1 | sort -u | grep -c .)

if [ "$bad" -gt 0 ]; then
  echo "format: $bad_files of ${#files[@]} files not clang-formatted ($bad places) (fix: make format, or clang-format -i FILE)"
  exit 1
fi
echo "format: ${#files[@]} files clean"
