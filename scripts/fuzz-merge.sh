#!/usr/bin/env bash
# make fuzz-merge: adds to each committed corpus (tests/fuzz/corpus/<what>/) the inputs of
# the working corpus (BUILD_DIR/fuzz-runs/<what>/corpus, grown by scripts/fuzz.sh) that
# reach coverage the committed one does not -- libFuzzer's -merge=1, so only a few new
# files per target. Review and commit them like any other change.
#   scripts/fuzz-merge.sh BUILD_DIR
set -euo pipefail
build=${1:?build dir}
top=$(cd "$(dirname "$0")/.." && pwd)
for bin in "$build"/tests/fuzz_*; do
  [ -x "$bin" ] && [ -f "$bin" ] || continue
  name=$(basename "$bin")
  what=${name#fuzz_}
  grown="$build/fuzz-runs/$what/corpus"
  [ -d "$grown" ] || continue
  dest="$top/tests/fuzz/corpus/$what"
  mkdir -p "$dest"
  before=$(ls "$dest" | wc -l)
  "$bin" -merge=1 -detect_leaks=0 "$dest" "$grown" >"$build/fuzz-runs/$what/merge.log" 2>&1
  echo "$what: $before -> $(ls "$dest" | wc -l) inputs"
done
