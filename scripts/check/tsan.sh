#!/usr/bin/env bash
# check-tsan: a ThreadSanitizer build, and the tests of the threaded code under it.
#
#   scripts/check/tsan.sh [BUILD_DIR] [--integration]      (default build-tsan)
#
# The media workers and the gateway share rings, peer tables and the mixer across threads
# (STYLE.md habit 13); this runs their unit tests (ctest -L unit -R 'media|gateway') and,
# with --integration, the node integration tests against a TSan plenaryd. Any report fails
# the run (halt_on_error), with both stacks printed by ctest --output-on-failure.
# Suppressions for third-party internals only, each with its reason: tsan.supp.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=build-tsan
integration=0
for arg in "$@"; do
  case "$arg" in
    --integration) integration=1 ;;
    *) dir=$arg ;;
  esac
done
cd "$top"
jobs=${JOBS:-$(nproc)}

t0=$SECONDS
cmake -S . -B "$dir" -DPLENARY_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" -j "$jobs" >/dev/null

# The flood test asserts its latency bound only outside TSan (see flood.test.mjs).
export PLENARY_SANITIZER=thread
export TSAN_OPTIONS="suppressions=$top/scripts/check/tsan.supp halt_on_error=1 second_deadlock_stack=1 history_size=4 ${TSAN_OPTIONS:-}"
labels=(-L unit -R 'media|gateway')
# integration.nats_tls stays in the normal and ASan runs, not here: Debian 12's libnats
# 3.4.1 calls SSL_read on its reader thread and SSL_write on its flusher thread on the
# same SSL object with no lock between them (fixed upstream by nats.c pull request 913),
# and TSan reports that race inside libssl in some runs. A suppression would
# have to name libssl or libcrypto and would hide our own DTLS and lws races with it.
[ "$integration" = 1 ] && labels=(-L 'unit|integration' -R 'media|gateway|integration' -E '^integration\.nats_tls$')
# ctest's progress goes to a log; on a failure, the failing tests' output (the TSan
# report with both stacks) is printed.
start=$SECONDS
log="$dir/tsan-ctest.log"
if (cd "$dir" && ctest --output-on-failure -j "$jobs" "${labels[@]}") >"$log" 2>&1; then
  n=$(grep -oE 'out of [0-9]+' "$log" | grep -oE '[0-9]+' || true)
  echo "tsan: no data race in ${n:-the} tests (ctest ${labels[*]}; build $((start - t0)) s, tests $((SECONDS - start)) s)"
else
  grep -vE '^ +Start |^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed ' "$log"
  echo "tsan: ThreadSanitizer reports or test failures above (ctest log: $log)"
  exit 1
fi
