#!/usr/bin/env bash
# check: the checks catch what they are for. In a scratch clone of the working tree, one
# deliberate violation at a time, each of which its check must refuse:
#   format    a mis-formatted line in queue/stats.c
#   includes  rooms/ including a media header (a module that may not depend on media),
#             media/wire/ including a layer above it, gateway/ naming a private header
#   functions a function of 90 lines
#   build     queue/ including a rooms header: not on its include path, so no compile
# A check that passes its violation has stopped working, and this fails.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git clone -q --no-hardlinks "$top" "$scratch/tree" 2>/dev/null || { echo "selftest: cannot clone $top"; exit 2; }
# The clone has what is committed; take the working tree's scripts so what is tested is
# what runs.
cp -r "$top/scripts/check/." "$scratch/tree/scripts/check/"
tree=$scratch/tree
failed=0

expect_refused() { # name, check command (run in the tree); the tree is reset afterwards
  local name=$1
  shift
  if (cd "$tree" && "$@") >"$scratch/out" 2>&1; then
    echo "selftest: $name: the check passed a deliberate violation"
    failed=$((failed + 1))
  else
    echo "selftest: $name: refused ($(grep -m1 -E 'error|includes:|format:|functions:' "$scratch/out"))"
  fi
  git -C "$tree" checkout -q -- . && git -C "$tree" clean -qfd
}

# The untouched files must pass, or a refusal below would prove nothing.
if ! (cd "$tree" && scripts/check/format.sh queue/stats.c &&
  scripts/check/includes.py rooms/hum.c media/wire/rtp.c gateway/msg.c &&
  scripts/check/functions.sh) >"$scratch/out" 2>&1; then
  cat "$scratch/out"
  echo "selftest: the checks refuse the untouched tree"
  exit 1
fi

sed -i '0,/^{$/s//{ int   badly_formatted ;/' "$tree/queue/stats.c"
expect_refused format scripts/check/format.sh queue/stats.c

sed -i '0,/^#include "rooms/s//#include "media\/media.h"\n#include "rooms/' "$tree/rooms/hum.c"
expect_refused "includes (rooms -> media)" scripts/check/includes.py rooms/hum.c

sed -i '0,/^#include "media/s//#include "media\/net\/net.h"\n#include "media/' "$tree/media/wire/rtp.c"
expect_refused "includes (wire -> net, upward)" scripts/check/includes.py media/wire/rtp.c

sed -i '0,/^#include "gateway/s//#include "rooms\/room_internal.h"\n#include "gateway/' "$tree/gateway/msg.c"
expect_refused "includes (gateway -> a rooms private header)" scripts/check/includes.py gateway/msg.c

{
  echo 'int selftest_long(int x);'
  echo 'int selftest_long(int x)'
  echo '{'
  for i in $(seq 1 88); do echo "	x += $i;"; done
  echo '	return x;'
  echo '}'
} >>"$tree/queue/stats.c"
expect_refused functions scripts/check/functions.sh

# The build's own boundary (plenary_module): another module's private header is not on a
# module's include path at all.
cmake -S "$tree" -B "$scratch/build" -DPLENARY_TESTS=OFF >/dev/null 2>&1 ||
  { echo "selftest: cannot configure the scratch tree"; exit 2; }
cmake --build "$scratch/build" --target plenary_queue >/dev/null 2>&1 ||
  { echo "selftest: the untouched queue does not build"; exit 2; }
sed -i '0,/^#include "queue/s//#include "rooms\/room_internal.h"\n#include "queue/' "$tree/queue/names.c"
expect_refused "build (queue -> a rooms private header)" cmake --build "$scratch/build" --target plenary_queue

if [ "$failed" -gt 0 ]; then
  echo "selftest: $failed deliberate violations got through"
  exit 1
fi
echo "selftest: format, includes, functions and the build each refused their deliberate violations"
