#!/usr/bin/env bash
# Runs every libFuzzer target in a PLENARY_FUZZ build for a fixed time, on a copy of its
# committed corpus, and fails if any target finds a crash, a leak, undefined behaviour or
# a timeout -- printing the reproducer's path and how to replay and keep it.
#   scripts/fuzz.sh BUILD_DIR SECONDS [PARALLEL]
# make fuzz (FUZZ_SECONDS each) and make test (FUZZ_TEST_SECONDS each) call it; PARALLEL
# targets run at once (default: one per core).
#
# The working corpus of target fuzz_<what> is BUILD_DIR/fuzz-runs/<what>/corpus: seeded
# from tests/fuzz/corpus/<what>/ and kept between runs in the same build dir, so local
# runs keep growing it. The committed corpus grows only by hand: `make fuzz-merge` adds
# the inputs that reach new coverage (CI's clone is thrown away, so nothing else keeps
# what CI's runs found). Next to fuzz_<what>.c, fuzz_<what>.dict is passed as -dict and
# fuzz_<what>.options (one line of libFuzzer flags) is added to the command line.
set -euo pipefail
build=${1:?build dir}
seconds=${2:-30}
parallel=${3:-$(nproc)}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$build/fuzz-runs"
mkdir -p "$out"

run_one() {
  local bin=$1 seconds=$2 top=$3 out=$4
  local name what work src extra=()
  name=$(basename "$bin")
  what=${name#fuzz_}
  work="$out/$what"
  mkdir -p "$work/corpus" "$work/artifacts"
  rm -f "$work/artifacts"/*
  if [ -d "$top/tests/fuzz/corpus/$what" ]; then
    cp -n "$top/tests/fuzz/corpus/$what"/* "$work/corpus/" 2>/dev/null || true
  fi
  src=$(find "$top/tests/fuzz" -name "$name.c" | head -n 1)
  [ -n "$src" ] && [ -f "${src%.c}.dict" ] && extra+=("-dict=${src%.c}.dict")
  # shellcheck disable=SC2207
  [ -n "$src" ] && [ -f "${src%.c}.options" ] && extra+=($(grep -v '^#' "${src%.c}.options"))
  local rc=0
  "$bin" "${extra[@]}" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1 || rc=$?
  local runs
  runs=$(grep -E '^stat::number_of_executed_units' "$work/log" | awk '{print $2}' || true)
  if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
    echo "== $name: FAILED (exit $rc) after ${runs:-?} runs; log: $work/log"
    grep -E 'ERROR:|runtime error:|SUMMARY:|fuzz_[a-z_]*\.c:[0-9]+:' "$work/log" | head -n 5 | sed 's/^/   /'
    for a in "$work/artifacts"/*; do
      [ -e "$a" ] || continue
      echo "   reproducer: $a"
      echo "   replay:     $bin $a"
      echo "   keep it:    cp $a tests/fuzz/corpus/$what/repro-<what-it-found>"
    done
    return 1
  fi
  echo "== $name: ok, ${runs:-?} runs in $seconds s, corpus $(ls "$work/corpus" | wc -l) inputs"
}
export -f run_one

bins=()
for bin in "$build"/tests/fuzz_*; do
  [ -x "$bin" ] && [ -f "$bin" ] && bins+=("$bin")
done
[ ${#bins[@]} -gt 0 ] || { echo "no fuzz targets in $build/tests (PLENARY_FUZZ=ON?)" >&2; exit 1; }
echo "fuzzing ${#bins[@]} targets for $seconds s each, $parallel at a time"
printf '%s\n' "${bins[@]}" |
  xargs -P "$parallel" -I{} bash -c 'run_one "$@"' _ {} "$seconds" "$top" "$out"
