#!/usr/bin/env bash
# make bench: the micro-benchmarks, then the side-by-side load scenarios against Janus
# (tests/load/bench.mjs, which drives the C load tool tests/load/plenary-load). Results go
# under BUILD/bench/; bench.mjs also regenerates docs/benchmarks.md.
#   scripts/bench.sh BUILD_DIR
# BENCH_QUICK=1 makes everything short (about a minute of load runs); bench.mjs lists the
# other BENCH_* knobs. The full run took about 25 minutes on two cores with one run per cell;
# BENCH_REPEAT (3 by default) multiplies that.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$build/bench"
mkdir -p "$out"

# Arguments per micro-benchmark. Debian's NSS libsrtp stops at 2,000 sessions: at 10,000
# creating and destroying them alone takes about ten minutes per run (bench_srtp.c says
# so), and 2,000 already shows its cost growing with the number of sessions. Quick runs
# trim the others too.
bench_args() {
  case "$1:${BENCH_QUICK:-0}" in
    bench_srtp_system:0) echo "--sessions 1,1000,2000" ;;
    bench_srtp_system:1 | bench_srtp:1) echo "--sessions 1,1000" ;;
    bench_mixer:1) echo "--ticks 100" ;;
  esac
}

for bin in "$build"/tests/load/bench_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  args=()
  read -r -a args <<< "$(bench_args "$name")"
  echo "== $name ${args[*]:-}"
  "$bin" "${args[@]}" | tee "$out/$name.txt"
  "$bin" --json "${args[@]}" > "$out/$name.json" 2>/dev/null || true
done
# plenary-load's Janus driver against a real Janus first (it is in make test too), so the
# comparison cannot rot and runs on the terms the benchmark states.
echo "== Janus driver test (tests/load/janus_driver.test.mjs)"
PLENARY_BUILD_DIR="$build" NODE_PATH="$top/tests/node_modules" \
  node --test "$top/tests/load/janus_driver.test.mjs"
if [ -f "$top/tests/load/bench.mjs" ]; then
  echo "== load scenarios (tests/load/bench.mjs; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
  PLENARYD="$build/plenaryd" PLENARY_BUILD_DIR="$build" NODE_PATH="$top/tests/node_modules" \
    node "$top/tests/load/bench.mjs" "$out"
fi
# Issue 17's edges: one owner and two edges over a NATS cluster of its own (docs/scale.md).
echo "== edges (tests/load/edges_bench.mjs)"
PLENARYD="$build/plenaryd" PLENARY_BUILD_DIR="$build" NODE_PATH="$top/tests/node_modules" \
  EDGES_LISTENERS="${EDGES_LISTENERS:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 10 || echo 1000)}" \
  EDGES_REPEAT="${EDGES_REPEAT:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 1 || echo 3)}" \
  EDGES_DURATION="${EDGES_DURATION:-$([ "${BENCH_QUICK:-0}" = 1 ] && echo 3 || echo 20)}" \
  node "$top/tests/load/edges_bench.mjs" "$out"
