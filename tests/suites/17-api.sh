#!/usr/bin/env bash
# The library's public surface:
#  - libshualian.so exports exactly the functions (and the one data table)
#    declared in include/shualian/*.h: no internal symbol leaks, no declared
#    function is missing (declarations read by the compiler: gcc -aux-info);
#  - every public header compiles on its own;
#  - the product program uses only that surface: cli/ names no sl__
#    internal and `shualian` links and runs against libshualian.so (except
#    the server commands, listed below);
#  - the product carries no development tool (they are in shualian-dev) and
#    its --help lists each command once.
# Evaluation tooling (ROC, metrics, SVG plots, the eval driver, calibration
# building) is internal (src/face/eval_int.h): no export may look like it.
set -uo pipefail
cd "$(dirname "$0")/../.."
make -s -j2 build/libshualian.so build/shualian build/shualian-dev >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
CC=${CC:-cc}

# --- exported == declared ------------------------------------------------
nm -D --defined-only build/libshualian.so | awk 'NF == 3 { print $3 }' |
  grep -v -x -E '_init|_fini|_edata|_end|__bss_start' | sort -u >"$tmp/exported"
for h in include/shualian/*.h; do echo "#include \"${h#include/}\""; done >"$tmp/all.c"
if $CC -std=c17 -D_GNU_SOURCE -Iinclude -fsyntax-only -aux-info "$tmp/aux" "$tmp/all.c"; then
  { grep 'include/shualian/' "$tmp/aux" | grep ' extern ' |
      sed -E 's|^/\*[^*]*\*/ *||; s| \(.*||; s|.*[ *]||'
    grep -h -E '^SL_API extern ' include/shualian/*.h | sed -E 's/\[.*//; s/.*[ *]//'
  } | sort -u >"$tmp/declared"
  extra=$(comm -23 "$tmp/exported" "$tmp/declared")
  missing=$(comm -13 "$tmp/exported" "$tmp/declared")
  [ -z "$extra" ] && ok "no export beyond the public headers ($(wc -l <"$tmp/exported") symbols)" \
    || bad "exported but not declared in include/shualian: $(tr '\n' ' ' <<<"$extra")"
  [ -z "$missing" ] && ok "every declared function is exported ($(wc -l <"$tmp/declared"))" \
    || bad "declared but not exported (SL_API missing?): $(tr '\n' ' ' <<<"$missing")"
else
  bad "public headers do not compile together"
fi

# --- evaluation tooling is not API ----------------------------------------
tooling=$(grep -E '^sl_(eval|metric|roc|plot|kfold|pad_metrics)(_|$)|^sl_calib_(init|add|to_json|save|build)$' "$tmp/exported")
[ -z "$tooling" ] && ok "no evaluation, metrics, plotting or calibration-building export" \
  || bad "evaluation tooling exported: $(tr '\n' ' ' <<<"$tooling") (keep it in src/face/eval_int.h)"
[ ! -e include/shualian/eval.h ] && ! grep -l -E '\bsl_(eval|metric|plot)_|\bsl_roc\b|\bsl_roc_(compute|free)\b' include/shualian/*.h >/dev/null \
  && ok "no public header declares evaluation tooling" \
  || bad "evaluation tooling in include/shualian: $(grep -l -E '\bsl_(eval|metric|plot)_|\bsl_roc\b' include/shualian/*.h | tr '\n' ' ')"

# --- each header on its own -----------------------------------------------
badh=
for h in include/shualian/*.h; do
  echo "#include \"${h#include/}\"" | $CC -std=c17 -Iinclude -Wall -Wextra -Werror \
    -fsyntax-only -x c - 2>/dev/null || badh="$badh $h"
done
[ -z "$badh" ] && ok "every public header compiles on its own" || bad "headers not self-contained:$badh"

# --- the umbrella: shualian.h alone gives every public header ---------------
missing_h=
for h in include/shualian/*.h; do
  b=${h#include/}
  [ "$b" = shualian/shualian.h ] || grep -q -x "#include \"$b\"" include/shualian/shualian.h || missing_h="$missing_h $b"
done
[ -z "$missing_h" ] && ok "shualian.h includes every public header" || bad "shualian.h does not include:$missing_h"
cat >"$tmp/umbrella.c" <<'EOF'
#include "shualian/shualian.h"
int main(void)
{
    sl_face_engine_opts o = sl_face_engine_opts_default();   /* engine.h */
    (void)o;
    return sl_version_number() > 0 && sl_version()[0] ? 0 : 1;
}
EOF
mkdir -p "$tmp/lib"   # the soname, as make install links it
ln -sf "$PWD/build/libshualian.so" "$tmp/lib/libshualian.so.0"
$CC -std=c17 -Iinclude -Wall -Wextra -Werror -pedantic -c "$tmp/umbrella.c" -o "$tmp/umbrella.o" 2>"$tmp/umb.err" \
  && ok "shualian.h alone compiles as C17 (-Wall -Wextra -Werror -pedantic)" \
  || { bad "shualian.h as C17"; head -5 "$tmp/umb.err"; }
if command -v g++ >/dev/null; then
  g++ -x c++ -std=c++17 -Iinclude -Wall -Wextra -Werror -pedantic -c "$tmp/umbrella.c" -o "$tmp/umbrella-cxx.o" 2>"$tmp/umbxx.err" \
    && ok "shualian.h alone compiles as C++17 (-Wall -Wextra -Werror -pedantic)" \
    || { bad "shualian.h as C++17"; head -5 "$tmp/umbxx.err"; }
  # C++ callers link against the C symbols (extern "C" in every header)
  if g++ -o "$tmp/umbrella-cxx" "$tmp/umbrella-cxx.o" -Lbuild -lshualian -Wl,-rpath,"$tmp/lib" 2>"$tmp/umbxx-link.err" \
     && "$tmp/umbrella-cxx"; then
    ok "a C++ program links against libshualian.so and calls the version and engine calls"
  else
    bad "C++ program against libshualian.so"; head -5 "$tmp/umbxx-link.err"
  fi
else
  skip=$((skip + 1)); echo "skip shualian.h as C++ (no g++)"
fi

# --- the library's tools use only the public API ----------------------------
# cli/ (img, nn, face, calib, eval, index, calendar, version) may call only
# what include/shualian/ declares; the server's commands live in app/, the
# composition root that wires the internal modules (docs/architecture.md).
internal=$(grep -ln 'sl__' cli/*.c cli/*.h)
[ -z "$internal" ] && ok "cli/ calls no sl__ internal (the server's commands are in app/: $(grep -o 'sl__[a-z_0-9]*' app/*.c app/*.h | sort -u | wc -l) internals there)" \
  || bad "sl__ in cli/: $(tr '\n' ' ' <<<"$internal")"
objs=$(for f in cli/*.c; do echo "build/${f%.c}.o"; done)
# the server's commands (every cmd_* that app/ defines) are stubbed out
{
  echo '#include <stdio.h>'
  echo 'static int absent(void) { fputs("not in this test build\n", stderr); return 2; }'
  for c in $(grep -ho '^int cmd_[a-z_]*(int argc, char \*\*argv)$' app/*.c | sed 's/^int \(cmd_[a-z_]*\).*/\1/' | sort -u); do
    echo "int $c(int argc, char **argv);"
    echo "int $c(int argc, char **argv) { (void)argc; (void)argv; return absent(); }"
  done
} >"$tmp/server_stub.c"
mkdir -p "$tmp/lib"   # the soname, as make install links it
ln -sf "$PWD/build/libshualian.so" "$tmp/lib/libshualian.so.0"
if $CC -o "$tmp/shualian-so" $objs "$tmp/server_stub.c" -Lbuild -lshualian -ljansson -lm \
     -Wl,-rpath,"$tmp/lib" 2>"$tmp/link.err"; then
  ok "shualian (all but the server commands) links against libshualian.so"
  out=$("$tmp/shualian-so" version) && grep -q '"version"' <<<"$out" \
    && ok "the .so-linked shualian runs (version)" || bad "the .so-linked shualian: $out"
  if [ -f tests/data/sample1.jpg ]; then
    "$tmp/shualian-so" img info tests/data/sample1.jpg | grep -q '"width":1920' \
      && ok "the .so-linked shualian decodes an image" || bad "the .so-linked img info"
  fi
  if [ -f models/fr_feature.onnx ] && [ -f tests/data/sample1.jpg ]; then
    cmp -s <("$tmp/shualian-so" face quality tests/data/sample1.jpg) \
           <(build/shualian face quality tests/data/sample1.jpg) \
      && ok "the .so-linked face quality prints what build/shualian prints" \
      || bad "the .so-linked face quality differs"
  fi
else
  bad "shualian does not link against libshualian.so; internal symbols used: $(grep -o "undefined reference to \`[a-z_0-9]*'" "$tmp/link.err" | sort -u | sed "s/undefined reference to //; s/[\`']//g" | tr '\n' ' ')"
fi

# --- development tools are in shualian-dev, not in the product ------------
help=$(build/shualian --help)
dups=$(awk '/^  [a-z]/ { print $1 }' <<<"$help" | sort | uniq -d)
[ -z "$dups" ] && ok "shualian --help lists each command once" || bad "listed twice: $dups"
for c in "bench index --n 10" "index crashtest $tmp/ix" "nn fma" "nn hold x.onnx" "nn dump x.onnx" "img bench x.jpg" \
         "eval --faces $tmp" "calib build --genuine g.txt --impostor i.txt --out c.json"; do
  build/shualian $c >/dev/null 2>&1; rc=$?
  [ $rc = 2 ] && ok "not in the product: shualian $c (usage error)" || bad "shualian $c: exit $rc, want 2"
done
for c in bench img index nn face eval calib; do
  build/shualian-dev $c --help >/dev/null 2>&1 && ok "shualian-dev $c --help" || bad "shualian-dev $c --help"
done
nm build/shualian | grep -q -E ' [Tt] (bench_index|sub_crashtest|cmd_fma|cmd_hold|img_bench)$' \
  && bad "a dev-tool function is linked into build/shualian" || ok "no dev-tool function in build/shualian"
# the engine's run-time calibration (load, validate, decide) needs none of
# the evaluation tooling: the static link of the product pulls none of it in
tl=$(nm build/shualian | grep -E ' [Tt] sl__(roc_|metric_|plot_|eval_|calib_(init|add|to_json|save)$)' | awk '{print $3}')
[ -z "$tl" ] && ok "no evaluation tooling linked into build/shualian (metrics, ROC, plots, calibration building)" \
  || bad "evaluation tooling linked into build/shualian: $(tr '\n' ' ' <<<"$tl")"

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
