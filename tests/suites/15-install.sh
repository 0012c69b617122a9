#!/usr/bin/env bash
# `make install` into a staging directory, then build and run a program
# against the installed headers, static library and pkg-config file: the
# public headers must be self-contained and the .pc file correct.
set -uo pipefail
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   install/$1"; }
bad() { fail=$((fail + 1)); echo "FAIL install/$1"; }

if make -s install DESTDIR="$stage" PREFIX=/usr >/dev/null; then ok make_install; else bad make_install; fi
for f in usr/bin/shualian usr/lib/libshualian.a usr/lib/libshualian.so \
         usr/lib/pkgconfig/shualian.pc usr/share/man/man1/shualian.1 \
         usr/include/shualian/status.h; do
  if [ -e "$stage/$f" ]; then ok "file:$f"; else bad "file:$f"; fi
done
cat > "$stage/use.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <shualian/status.h>
int main(void)
{
    return strcmp(sl_status_name(SL_ERR_IMG_TRUNCATED), "img_truncated") != 0;
}
C
export PKG_CONFIG_SYSROOT_DIR=$stage PKG_CONFIG_LIBDIR=$stage/usr/lib/pkgconfig
if cc -std=c17 -Wall -Werror $(pkg-config --cflags shualian) "$stage/use.c" \
     -o "$stage/use" "$stage/usr/lib/libshualian.a" \
     $(pkg-config --static --libs-only-l shualian | sed 's/-lshualian//') \
   && "$stage/use"; then
  ok link_static_via_pkgconfig
else
  bad link_static_via_pkgconfig
fi
if man -l "$stage/usr/share/man/man1/shualian.1" >/dev/null 2>&1 || \
   groff -man -Tutf8 "$stage/usr/share/man/man1/shualian.1" >/dev/null 2>&1; then
  ok man_page_renders
else
  echo "skip install/man_page_renders: neither man nor groff installed"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
