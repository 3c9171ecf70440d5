#!/usr/bin/env bash
# Builds libsrtp 2 on OpenSSL into a project-local prefix: scripts/build-libsrtp.sh PREFIX
#
# Why: Debian's libsrtp2 is built on NSS, and its per-packet protect cost grows with the
# number of sessions in the process (1.5 us with one, 2.9 us with 1,000, 20 us with 5,000
# measured on these machines), which would sink the encode-once fan-out the mixer exists
# for. Built from the same Debian source package with --enable-openssl it stays ~0.6 us.
#
# The source comes from Debian's own archive through `apt-get source`, with a private
# sources list and a private state directory, so the system's apt configuration is never
# changed. If anything fails the script says so and exits 0: CMake then links the
# system library, and plenaryd warns at start and in /metrics (plenary_srtp_backend).
set -uo pipefail

prefix=${1:?usage: build-libsrtp.sh PREFIX}
stamp="$prefix/.libsrtp-openssl"
[ -f "$stamp" ] && [ -f "$prefix/lib/libsrtp2.a" ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "build-libsrtp: $* -- falling back to the system libsrtp2 (NSS); SRTP will be slower" >&2
  exit 0
}

cd "$work" || fail "no temp dir"
mkdir -p state/lists/partial parts cache/archives/partial
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > parts/src.sources
fi
if [ -f /etc/apt/sources.list ]; then
  sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list > parts/src.list
fi
apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/parts"
          -o "Dir::State::Lists=$work/state/lists" -o "Dir::Cache=$work/cache"
          -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
apt-get "${apt_opts[@]}" -qq update >/dev/null 2>&1 || fail "apt-get update of deb-src failed"
apt-get "${apt_opts[@]}" -qq source libsrtp2 >/dev/null 2>&1 || fail "apt-get source libsrtp2 failed"
src=$(find . -maxdepth 1 -type d -name 'libsrtp2-*' | head -n 1)
[ -n "$src" ] || fail "no source tree"
cd "$src" || fail "no source tree"
./configure -q --enable-openssl --prefix="$prefix" CFLAGS="-O2 -fPIC" >/dev/null 2>&1 ||
  fail "configure failed"
make -j"$(nproc)" libsrtp2.a >/dev/null 2>&1 || fail "make failed"
grep -q '^#define OPENSSL 1' crypto/include/config.h || fail "configure did not select OpenSSL"
rm -rf "$prefix/include/srtp2" "$prefix/lib/libsrtp2.a"
make install >/dev/null 2>&1 || fail "make install failed"
echo "$(basename "$src") --enable-openssl" > "$stamp"
echo "build-libsrtp: built $(basename "$src") on OpenSSL in $prefix" >&2
