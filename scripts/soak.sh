#!/usr/bin/env bash
# make soak: a long meeting against the real server (tests/load/soak.mjs), watching
# memory and file descriptors for leaks. SOAK_MINUTES (default 10).
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
PLENARYD="$build/plenaryd" NODE_PATH="$top/tests/node_modules" \
  node "$top/tests/load/soak.mjs" "${SOAK_MINUTES:-10}"
