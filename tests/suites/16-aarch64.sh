#!/usr/bin/env bash
# The ARM build (DESIGN.md promises ARM kiosks): cross-compiles the library
# for aarch64 with Debian's gcc-aarch64-linux-gnu (XNNPACK=0) into
# build-aarch64/, checks every object is AArch64, that the x86 ISA files are
# empty there and the NEON index kernels are built, then runs the unit tests
# of the plain-C (and NEON) backends -- index, nn ops, face geometry and
# templates -- under qemu-user (Debian qemu-user).
# Objects only, no shared library or programs: the arm64 -dev packages of
# jansson/sodium/jpeg/png/zlib would need `dpkg --add-architecture arm64`,
# which also upgrades the host's own zlib, libpng, libssl to matching
# versions; so the library compiles against the host's headers, which are
# arch-independent except libjpeg's jconfig.h (its only arch-dependent line
# is WITH_SIMD, which libjpeg-turbo sets on arm64 too) and OpenSSL's
# opensslconf.h/configuration.h (LP64: SIXTY_FOUR_BIT_LONG on both); the
# host's copies are used (compile-only for those); the test binary is
# linked statically from the archive without jansson/jpeg/png (those tests
# are not in it) and with tests/aarch64/crc32_shim.c for zlib's crc32.
# backend_xnnpack.c is compiled (not linked) for aarch64 as well.
# Skips visibly without the toolchain (scripts/setup.sh installs it).
set -uo pipefail
cd "$(dirname "$0")/../.."
pass=0 fail=0 skip=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
XCC=aarch64-linux-gnu-gcc
B=build-aarch64
if ! command -v $XCC >/dev/null; then
  echo "skip aarch64: $XCC absent (scripts/setup.sh installs gcc-aarch64-linux-gnu)"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
mkdir -p $B/host-include $B/qemu
# the host's arch-dependent headers that are the same for any LP64 Linux
jc=$(ls /usr/include/*-linux-gnu/jconfig.h 2>/dev/null | head -n 1)
[ -n "$jc" ] && ln -sf "$jc" $B/host-include/jconfig.h
osc=$(ls -d /usr/include/*-linux-gnu/openssl 2>/dev/null | head -n 1)
[ -n "$osc" ] && ln -sfn "$osc" $B/host-include/openssl
if make -s -j2 CC=$XCC AR=aarch64-linux-gnu-ar XNNPACK=0 BUILD=$B \
     CFLAGS="-O2 -g -I$B/host-include" $B/libshualian.a >$B/build.log 2>&1; then
  ok "cross-compiled libshualian.a for aarch64 (-Werror, XNNPACK=0)"
else
  bad "aarch64 cross-compile"; tail -n 30 $B/build.log
  echo "$pass passed, $fail failed, $skip skipped"; exit 1
fi

# the XNNPACK backend (an ARM build with Debian's arm64 libxnnpack-dev would
# use it): compile only, its headers are arch-independent
if [ -f /usr/include/xnnpack.h ]; then
  $XCC -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -Iinclude -Isrc -DSL_HAVE_XNNPACK=1 \
    -c src/nn/backend_xnnpack.c -o $B/backend_xnnpack.o >>$B/build.log 2>&1 \
    && ok "backend_xnnpack.c compiles for aarch64 (its AVX2 kernels guarded)" \
    || { bad "backend_xnnpack.c for aarch64"; tail -n 20 $B/build.log; }
else
  skip=$((skip + 1)); echo "skip XNNPACK backend compile: /usr/include/xnnpack.h absent"
fi

objs=$(find $B/src -name '*.o')
notarm=$(for o in $objs; do readelf -h "$o" | grep -q 'Machine:.*AArch64' || echo "$o"; done)
[ -z "$notarm" ] && ok "all $(wc -w <<<"$objs") objects are AArch64" || bad "not AArch64: $notarm"
code=$(for o in $(find $B/src -name '*_avx2.o' -o -name '*_avx512.o'); do
         aarch64-linux-gnu-nm --defined-only "$o" | grep -q ' [Tt] ' && echo "$o"; done)
[ -z "$code" ] && ok "x86 ISA files compile to nothing on aarch64" || bad "x86 code in: $code"
aarch64-linux-gnu-nm --defined-only $B/src/index/kernels_neon.o 2>/dev/null | grep -q ' [Tt] ' \
  && ok "NEON index kernels built" || bad "kernels_neon.o missing or empty"

if ! command -v qemu-aarch64 >/dev/null; then
  skip=$((skip + 1)); echo "skip unit tests under qemu: qemu-aarch64 absent (Debian qemu-user)"
else
  units="test_index test_nn_ops test_nn_wino test_face_geometry"
  # index/int8_rank1_agreement takes 150 s emulated: left to the native run
  for u in $units; do grep -ho '^SL_TEST([a-z0-9_]*, *[a-z0-9_]*)' tests/unit/$u.c; done |
    grep -v 'int8_rank1_agreement' | sed 's/^SL_TEST/SL_TEST_ENTRY/' >$B/qemu/tests.def
  built=1
  for f in main $units; do
    $XCC -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Iinclude -Isrc -I$B/qemu \
      -Itests/unit -c tests/unit/$f.c -o $B/qemu/$f.o >>$B/build.log 2>&1 || built=0
  done
  $XCC -std=c17 -O2 -Wall -Wextra -Werror -c tests/aarch64/crc32_shim.c \
    -o $B/qemu/crc32_shim.o >>$B/build.log 2>&1 || built=0
  [ $built = 1 ] && $XCC -static -o $B/qemu/shualian-tests $B/qemu/*.o $B/libshualian.a \
    -lpthread -lm >>$B/build.log 2>&1 || built=0
  if [ $built = 0 ]; then
    bad "aarch64 unit-test binary"; tail -n 20 $B/build.log
  else
    out=$(SL_ROOT=$PWD timeout 300 qemu-aarch64 $B/qemu/shualian-tests 2>&1); rc=$?
    echo "$out" | grep -E '^(FAIL|skip)' | head -n 20
    line=$(tail -n 1 <<<"$out")
    if [ $rc = 0 ] && [[ $line =~ ^([0-9]+)\ passed,\ 0\ failed ]]; then
      ok "unit tests under qemu-aarch64: $line"
    else
      bad "unit tests under qemu-aarch64 (exit $rc): $line"
    fi
  fi
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
