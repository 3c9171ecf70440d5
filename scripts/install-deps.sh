#!/usr/bin/env bash
# Installs what Plenary needs on a Debian 12 machine, and nothing that is already there.
#
#   scripts/install-deps.sh [build] [test] [bench] [check]
#
#   build  compilers, libraries (libnats-dev for --nats among them) and the OpenSSL-backed
#          libsrtp (always included)
#   test   cmocka, Node.js and npm packages, Debian's chromium for browser tests; nginx,
#          openssl, systemd-analyze (systemd) and /bin/kill (procps) for the deployment
#          tests (tests/integration/deploy*.test.mjs run their own nginx, never the system's)
#          and Debian's firefox-esr and iproute2 for the Firefox browser tests (which run
#          plenaryd in a network namespace of their own, `ip netns`), and nftables for
#          the ICE-TCP browser test (which drops UDP to plenaryd's media ports on loopback)
#          and Debian's coturn (turnserver) for the TURN tests, which run their own in the
#          foreground with a configuration in a temporary directory, never the system service
#          and Debian's faketime (libfaketime) for the token-expiry test, which moves plenaryd's
#          wall clock, and Debian's ffmpeg for the RTP venue test (a desk's tone in over
#          RTP, the mix-minus out, and the recording decoded)
#          and Debian's janus (the system the benchmark measures against), whose driver test
#          (tests/load/janus_driver.test.mjs) runs it in a network namespace on the shared
#          OpenSSL libsrtp built below
#          and Debian's nats-server for the JetStream log test (tests/integration/
#          nats_log.test.mjs), which runs its own three-node cluster on loopback ports
#   bench  espeak-ng, which with ffmpeg (test group) renders the continuous speech of the
#          benchmark's mixing rows (tests/load/bench.mjs)
#   check  what `make check` runs: clang-format (14, Debian's), pmccabe, python3, and the
#          npm packages of tests/ (prettier and eslint are its devDependencies)
#
# Idempotent and quiet: when everything is present it prints nothing and takes well
# under a second. apt-get runs only for packages that are missing, so a developer's
# machine is never upgraded behind their back.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
want_test=0
want_bench=0
want_check=0
for arg in "$@"; do
  case "$arg" in
    build) ;;
    test) want_test=1 ;;
    bench) want_test=1; want_bench=1 ;;
    check) want_check=1 ;;
    *) echo "install-deps: unknown group '$arg' (build, test, bench, check)" >&2; exit 2 ;;
  esac
done

pkgs=(build-essential cmake pkg-config clang dpkg-dev
      libwebsockets-dev libopus-dev libsrtp2-dev libjansson-dev libssl-dev libogg-dev zlib1g-dev
      libcmocka-dev opus-tools tzdata libnats-dev)
if [ "$want_test" = 1 ]; then
  pkgs+=(chromium libclang-rt-14-dev nginx openssl systemd procps firefox-esr iproute2 nftables coturn
        faketime janus ffmpeg nats-server)
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi
if [ "$want_bench" = 1 ]; then
  pkgs+=(espeak-ng)
fi
if [ "$want_check" = 1 ]; then
  pkgs+=(clang-format pmccabe python3 binutils git)
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q >/dev/null
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts coturn's system service on install. The tests run their own coturn; a
  # TURN relay on every interface with the stock configuration is nothing to leave running.
  if [[ " ${missing[*]} " == *" coturn "* ]] && [ -d /run/systemd/system ]; then
    as_root systemctl disable --now coturn >/dev/null 2>&1 || true
  fi
fi

# libsrtp on OpenSSL, in a project-local prefix (see scripts/build-libsrtp.sh for why); with
# the test group also as the shared libsrtp2.so.1 that Janus is run with.
if [ "$want_test" = 1 ]; then
  "$top/scripts/build-libsrtp.sh" "$top/build/deps" "$top/build/deps/janus"
else
  "$top/scripts/build-libsrtp.sh" "$top/build/deps"
fi

if [ "$want_test" = 1 ] || [ "$want_check" = 1 ]; then
  # npm packages for the integration and browser tests and the JavaScript checks;
  # reinstalled only when the lock file changes, never a browser download (playwright-core
  # drives Debian's chromium, puppeteer-core Debian's firefox-esr).
  stamp="$top/tests/node_modules/.plenary-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$top/tests/package-lock.json" "$stamp"; then
    echo "install-deps: npm ci in tests/" >&2
    (cd "$top/tests" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$top/tests/package-lock.json" "$stamp"
  fi
fi
