#!/usr/bin/env bash
# make check: the fast checks, each a script beside this one, then a summary.
#
#   scripts/check/all.sh [--tsan] [BUILD_DIR]   (default build; exports.py reads its objects)
#
# Every check runs even when an earlier one fails, so one run shows everything to fix.
# Each prints "file:line: what is wrong" lines and, last, a one-line summary; this repeats
# those summary lines at the end and exits 1 if any check failed. --tsan adds tsan.sh
# --integration: its own build in build-tsan, then the media and gateway unit tests and
# the integration tests (measured on two cores: 50 s from nothing, 35 s once built).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=build
checks=(format functions includes exports js selftest)
for arg in "$@"; do
  case "$arg" in
    --tsan) checks+=(tsan) ;;
    *) build=$arg ;;
  esac
done

declare -A cmd=(
  [format]="$here/format.sh"
  [functions]="$here/functions.sh"
  [includes]="$here/includes.py"
  [exports]="$here/exports.py $build"
  [js]="$here/js.sh"
  [selftest]="$here/selftest.sh"
  [tsan]="$here/tsan.sh ${TSAN_BUILD:-build-tsan} --integration"
)

failed=0
summary=()
for c in "${checks[@]}"; do
  echo "== $c"
  out=$(${cmd[$c]} 2>&1)
  rc=$?
  [ -n "$out" ] && echo "$out"
  last=$(printf '%s\n' "$out" | tail -n 1)
  if [ "$rc" = 0 ]; then
    summary+=("$(printf '  ok    %-10s %s' "$c" "$last")")
  else
    summary+=("$(printf '  FAIL  %-10s %s' "$c" "$last")")
    failed=$((failed + 1))
  fi
done

echo "== summary"
printf '%s\n' "${summary[@]}"
if [ "$failed" -gt 0 ]; then
  echo "check: $failed of ${#checks[@]} checks failed"
  exit 1
fi
echo "check: all ${#checks[@]} checks passed"
