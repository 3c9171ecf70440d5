#!/usr/bin/env bash
# make fuzz: run every libFuzzer target for a while, on a copy of its corpus so the
# committed corpus only grows by hand (crashes are kept: copy them into the corpus).
#   scripts/fuzz.sh BUILD_DIR SECONDS
set -euo pipefail
build=${1:?build dir}
seconds=${2:-30}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$build/fuzz-runs"
mkdir -p "$out"
status=0
for bin in "$build"/tests/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  what=${name#fuzz_}
  work="$out/$what"
  mkdir -p "$work/corpus" "$work/artifacts"
  [ -d "$top/tests/fuzz/corpus/$what" ] && cp -n "$top/tests/fuzz/corpus/$what"/* "$work/corpus/" 2>/dev/null || true
  echo "== $name ($seconds s)"
  if ! "$bin" -max_total_time="$seconds" -print_final_stats=1 \
       -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1; then
    echo "   FAILED: see $work/log and $work/artifacts/"
    status=1
  fi
  grep -E '^(stat::number_of_executed_units|#[0-9]+ *DONE)' "$work/log" | tail -n 1 || true
done
exit $status
