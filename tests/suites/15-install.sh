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
         usr/include/shualian/status.h usr/share/shualian/systemd/shualian.service \
         usr/share/shualian/nginx/shualian.conf; do
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
# the installed umbrella alone: every public header, C17 -pedantic, and the
# library's version equals the .pc file's (the installed eval.h is gone)
cat > "$stage/umbrella.c" <<'C'
#include <stdio.h>
#include <shualian/shualian.h>
int main(void)
{
    printf("%s %d\n", sl_version(), sl_version_number());
    return 0;
}
C
if cc -std=c17 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags shualian) "$stage/umbrella.c" \
     -o "$stage/umbrella" "$stage/usr/lib/libshualian.a" \
     $(pkg-config --static --libs-only-l shualian | sed 's/-lshualian//') \
   && v=$("$stage/umbrella") && [ "${v% *}" = "$(pkg-config --modversion shualian)" ]; then
  ok "umbrella_header_and_version ($v)"
else
  bad "umbrella_header_and_version (${v:-no output})"
fi
[ ! -e "$stage/usr/include/shualian/eval.h" ] && ok no_evaluation_header || bad no_evaluation_header
# the example program of docs/api.md, built against the installed library
if cc -std=c17 -Wall -Wextra -Werror $(pkg-config --cflags shualian) docs/examples/verify.c \
     -o "$stage/verify" "$stage/usr/lib/libshualian.a" \
     $(pkg-config --static --libs-only-l shualian | sed 's/-lshualian//'); then
  ok api_example_builds
  M=${SL_MODELS:-models}
  if [ -f "$M/fr_feature.onnx" ] && [ -f tests/data/sample1.jpg ]; then
    "$stage/verify" "$M" tests/data/sample1.jpg tests/data/sample2.jpg >"$stage/ex.json"; rc=$?
    build/shualian face verify tests/data/sample1.jpg tests/data/sample2.jpg >"$stage/cli.json" 2>/dev/null
    if [ $rc = 1 ] && cmp -s "$stage/ex.json" "$stage/cli.json"; then ok api_example_equals_face_verify
    else bad "api_example_equals_face_verify (exit $rc)"; fi
  else
    echo "skip install/api_example_runs: models or tests/data absent"
  fi
else
  bad api_example_builds
fi
if man -l "$stage/usr/share/man/man1/shualian.1" >/dev/null 2>&1 || \
   groff -man -Tutf8 "$stage/usr/share/man/man1/shualian.1" >/dev/null 2>&1; then
  ok man_page_renders
else
  echo "skip install/man_page_renders: neither man nor groff installed"
fi
# the deployment files: the unit runs the installed binary with the
# hardening the operations section promises; systemd-analyze checks it
unit=$stage/usr/share/shualian/systemd/shualian.service
if grep -q "^ExecStart=/usr/bin/shualian serve " "$unit" && grep -q '^User=shualian$' "$unit" &&
   grep -q '^ProtectSystem=strict$' "$unit" && grep -q '^NoNewPrivileges=yes$' "$unit" &&
   grep -q '^ReadWritePaths=/var/lib/shualian$' "$unit"; then ok systemd_unit_hardening
else bad systemd_unit_hardening; fi
if command -v systemd-analyze >/dev/null; then
  # verify needs the ExecStart binary at its path: point it at the staged one
  sed "s|^ExecStart=/usr/bin/shualian|ExecStart=$stage/usr/bin/shualian|" "$unit" >"$stage/shualian.service"
  if out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$stage/shualian.service" 2>&1) &&
     ! grep -q . <<<"$out"; then
    ok systemd_analyze_verify
  else bad "systemd_analyze_verify: $out"; fi
else
  echo "skip install/systemd_analyze_verify: systemd-analyze absent"
fi
nx=$stage/usr/share/shualian/nginx/shualian.conf
if grep -q 'proxy_pass http://shualian;' "$nx" && grep -q 'server 127.0.0.1:8080;' "$nx" &&
   grep -q 'proxy_buffering off;' "$nx" && grep -q 'client_max_body_size' "$nx" && grep -q 'ssl_certificate ' "$nx"; then
  ok nginx_example
else bad nginx_example; fi
if command -v nginx >/dev/null; then
  printf 'events {}\nhttp {\n include %s;\n}\n' "$nx" >"$stage/nginx.conf"
  if nginx -t -c "$stage/nginx.conf" 2>&1 | grep -q 'syntax is ok'; then ok nginx_syntax
  else echo "skip install/nginx_syntax: nginx -t needs the certificates"; fi
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
