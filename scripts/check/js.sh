#!/usr/bin/env bash
# check: the web client's JavaScript is formatted by prettier and clean under eslint.
#
#   scripts/check/js.sh
#
# Both tools are pinned (exact versions) in tests/package.json's devDependencies and
# installed into tests/node_modules by `scripts/install-deps.sh check`. Configuration:
# web-client/.prettierrc.json (width 100 like the C code, single quotes) and
# eslint.config.mjs at the root (eslint's recommended rules, browser globals).
# Fix formatting with: tests/node_modules/.bin/prettier --write 'web-client/**/*.js'
#
# The tests' .mjs files have a config block in eslint.config.mjs but are not checked yet:
# add them to LINT once `eslint tests` is clean.
set -uo pipefail
cd "$(dirname "$0")/../.."
FORMAT=('web-client/**/*.js')
LINT=(web-client)
bin=tests/node_modules/.bin
for tool in prettier eslint; do
  [ -x "$bin/$tool" ] || { echo "js: $bin/$tool missing (scripts/install-deps.sh check)"; exit 2; }
done

rc=0
# prettier --check names the files only; --list-different is the same, quieter.
unformatted=$("$bin/prettier" --list-different "${FORMAT[@]}" 2>&1)
if [ -n "$unformatted" ]; then
  echo "$unformatted" | sed 's/$/:1: not formatted by prettier/'
  echo "js: $(echo "$unformatted" | wc -l) files not formatted by prettier $("$bin/prettier" --version)"
  rc=1
fi
# eslint 9 has no one-line formatter built in: turn its JSON into file:line:col: message.
if ! lint=$("$bin/eslint" --format json --max-warnings 0 "${LINT[@]}"); then
  echo "$lint" | node -e '
    let n = 0;
    for (const f of JSON.parse(require("fs").readFileSync(0, "utf8")))
      for (const m of f.messages) {
        n++;
        const file = require("path").relative(process.cwd(), f.filePath);
        console.log(`${file}:${m.line ?? 0}:${m.column ?? 0}: ${m.message} (${m.ruleId ?? "eslint"})`);
      }
    console.log(`js: ${n} eslint problems`);' 2>/dev/null || echo "$lint"
  rc=1
fi
[ "$rc" = 0 ] && echo "js: web-client formatted (prettier $("$bin/prettier" --version)) and eslint-clean"
exit "$rc"
