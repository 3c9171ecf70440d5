#!/usr/bin/env bash
# make bench: the micro-benchmarks, then the side-by-side load scenarios against Janus
# (tests/load/bench.mjs) when they are present. Results go under BUILD/bench/.
#   scripts/bench.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$build/bench"
mkdir -p "$out"
for bin in "$build"/tests/load/bench_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  echo "== $name"
  "$bin" | tee "$out/$name.txt"
  "$bin" --json > "$out/$name.json" 2>/dev/null || true
done
if [ -f "$top/tests/load/bench.mjs" ]; then
  PLENARYD="$build/plenaryd" PLENARY_BUILD_DIR="$build" NODE_PATH="$top/tests/node_modules" \
    node "$top/tests/load/bench.mjs" "$out"
fi
