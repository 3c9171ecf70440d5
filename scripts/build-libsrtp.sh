#!/usr/bin/env bash
# Builds libsrtp 2 on OpenSSL into a project-local prefix:
#   scripts/build-libsrtp.sh PREFIX [SHARED_PREFIX]
# PREFIX gets the static library Plenary links. SHARED_PREFIX, if given, gets the same build
# as a shared library with Debian's soname, SHARED_PREFIX/lib/libsrtp2.so.1, which the
# benchmark and the Janus driver test load into Janus (LD_LIBRARY_PATH) so that Janus runs
# on the same libsrtp as Plenary (tests/load/servers.mjs). Each is built only if missing.
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

prefix=${1:?usage: build-libsrtp.sh PREFIX [SHARED_PREFIX]}
shared=${2:-}
stamp="$prefix/.libsrtp-openssl"
want_static=1
want_shared=0
[ -f "$stamp" ] && [ -f "$prefix/lib/libsrtp2.a" ] && want_static=0
[ -n "$shared" ] && { [ -f "$shared/.libsrtp-openssl" ] && [ -f "$shared/lib/libsrtp2.so.1" ]; } ||
  want_shared=1
[ -z "$shared" ] && want_shared=0
[ "$want_static" = 0 ] && [ "$want_shared" = 0 ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "build-libsrtp: $* -- falling back to the system libsrtp2 (NSS); SRTP will be slower" >&2
  exit 0
}
fail_shared() {
  echo "build-libsrtp: $* -- no libsrtp2.so.1 for Janus: the Janus driver test and make bench fail" >&2
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
grep -q '^#define OPENSSL 1' crypto/include/config.h || fail "configure did not select OpenSSL"
if [ "$want_static" = 1 ]; then
  make -j"$(nproc)" libsrtp2.a >/dev/null 2>&1 || fail "make failed"
  rm -rf "$prefix/include/srtp2" "$prefix/lib/libsrtp2.a"
  make install >/dev/null 2>&1 || fail "make install failed"
  echo "$(basename "$src") --enable-openssl" > "$stamp"
  echo "build-libsrtp: built $(basename "$src") on OpenSSL in $prefix" >&2
fi
if [ "$want_shared" = 1 ]; then
  # Only for Janus, which does not start without it: a failure here leaves Plenary's
  # build alone, and the Janus driver test fails saying the library is missing.
  make -j"$(nproc)" shared_library >/dev/null 2>&1 || fail_shared "make shared_library failed"
  lib=$(find . -maxdepth 1 -name 'libsrtp2.so.*' -type f | head -n 1)
  [ -n "$lib" ] && readelf -d "$lib" | grep -q 'SONAME.*\[libsrtp2\.so\.1\]' ||
    fail_shared "the shared library has no soname libsrtp2.so.1"
  mkdir -p "$shared/lib"
  install -m 0644 "$lib" "$shared/lib/libsrtp2.so.1"
  echo "$(basename "$src") --enable-openssl, shared" > "$shared/.libsrtp-openssl"
  echo "build-libsrtp: built $(basename "$src") on OpenSSL as $shared/lib/libsrtp2.so.1" >&2
fi
