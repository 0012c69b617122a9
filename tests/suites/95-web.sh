#!/usr/bin/env bash
# 95-web.sh -- the web pages (web/) in a real browser: Debian's Chromium
# driven by playwright-core (tests/web/web.cjs), camera = Chromium's fake
# device fed a y4m made here by ffmpeg from a face photo (and a black one),
# against `serve --demo` on SQLite and on a throwaway PostgreSQL. Also the
# static route's headers (CSP without 'unsafe-inline', content types,
# caching) and path safety over curl. Screenshots: build/web-screens/.
cd "$(dirname "$0")/../.." || exit 1
. tests/suites/lib.sh
. tests/suites/lib-pg.sh

shots=build/web-screens; mkdir -p "$shots"
ref=tests/data/sample1.jpg
# the demo persons' photos (alarms, search by image); those steps skip visibly without them
faces=$(cd "${SL_FACES_DIR:-../shared/faces/dev}" 2>/dev/null && pwd)
need=""
[ -x /usr/bin/chromium ] || need+=" chromium"
command -v ffmpeg >/dev/null || need+=" ffmpeg"
node -e "require.resolve('playwright-core');require.resolve('axe-core')" 2>/dev/null \
  || (cd tests && node -e "require.resolve('playwright-core');require.resolve('axe-core')") 2>/dev/null \
  || need+=" playwright-core/axe-core (npm ci in tests)"
[ -f "$ref" ] || need+=" $ref"
if [ -n "$need" ]; then
  echo "skip web: missing$need (scripts/setup.sh installs them)"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi

# the fake camera: 3 s of a live capture of 示例甲 (persons.json: Keanu_Reeves,
# photo 2; the registry holds photo 1), scaled to 300 px high in a 640x480
# frame (the dev photos are 150 px: taller is too blurred to be a usable
# frame); without the photos, the demo's fallback registry photo $ref
live=$faces/Keanu_Reeves/2.jpg; lvf="scale=-2:300:flags=bicubic,pad=640:480:(ow-iw)/2:(oh-ih)/2"
[ -n "$faces" ] && [ -f "$live" ] || { live=$ref; lvf="scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2"; }
ffmpeg -loglevel error -y -loop 1 -i "$live" -t 3 -r 10 -vf "$lvf" \
  -pix_fmt yuv420p "$tmp/face.y4m" && \
ffmpeg -loglevel error -y -f lavfi -i color=c=black:s=640x480:r=10 -t 3 -pix_fmt yuv420p "$tmp/dark.y4m" \
  || { bad "fake camera videos (ffmpeg)"; echo "$pass passed, $fail failed, $skip skipped"; exit 1; }

# the pages from a copy of web/ holding a symlink out of the root
mkdir -p "$tmp/webroot" && cp -r web/. "$tmp/webroot/" && ln -s /etc/passwd "$tmp/webroot/shared/pw.js"
export SL_WEB_DIR=$tmp/webroot

start_server() {   # start_server NAME DBURL -> sets URL, SPID
  local d=$tmp/$1; mkdir -p "$d"
  "$S" serve --demo --quiet --data "$d" --db "$2" --listen 127.0.0.1:0 >"$d/out" 2>"$d/err" &
  SPID=$!
  URL=
  for _ in $(seq 1 300); do
    URL=$(jq -r '.listening // empty' "$d/out" 2>/dev/null | head -1)
    [ -n "$URL" ] && break
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$URL" ] || { cat "$d/err"; return 1; }
  for _ in $(seq 1 300); do
    curl -sf "$URL/readyz" >/dev/null && return 0; sleep 0.2
  done
  return 1
}

headers_checks() {  # headers_checks NAME
  local h
  h=$(curl -sS -D - -o /dev/null "$URL/web/console/index.html")
  if grep -qi '^content-security-policy: .*script-src .self.' <<<"$h" && ! grep -qi 'unsafe-inline' <<<"$h" \
     && grep -qi '^content-type: text/html; charset=utf-8' <<<"$h" && grep -qi '^cache-control: no-cache' <<<"$h"
  then ok "$1: page has a strict CSP (no unsafe-inline), html type, no-cache"; else bad "$1: page headers"; echo "$h"; fi
  h=$(curl -sS -D - -o /dev/null "$URL/web/shared/i18n.js")
  if grep -qi '^content-type: text/javascript' <<<"$h" && grep -qi 'max-age=300' <<<"$h" && grep -qi 'nosniff' <<<"$h"
  then ok "$1: script served as text/javascript, cached 300 s, nosniff"; else bad "$1: script headers"; echo "$h"; fi
  local codes=""
  for p in "/web/..%2f..%2fetc%2fpasswd" "/web/shared/..%2f..%2fMakefile" "/web/.." "/web/shared/.hidden.js" \
           "/web/console/nope.html" "/web/../Makefile" "/web/shared/x.sh" "/web/shared/pw.js"; do
    codes+=" $(curl -s -o "$tmp/body" -w '%{http_code}' --path-as-is "$URL$p")"
    grep -q 'root:' "$tmp/body" && codes+="(LEAK)"
  done
  if ! grep -qv '^ 4[0-9][0-9]\( 4[0-9][0-9]\)*$' <<<"$codes"; then ok "$1: traversal, dot files, unknown types, a symlink out of the root refused ($codes)"
  else bad "$1: path safety ($codes)"; fi
}

run_store() {  # run_store NAME DBURL
  if ! start_server "$1" "$2"; then bad "$1: server start"; return; fi
  headers_checks "$1"
  local out=$shots/$1; mkdir -p "$out"
  (cd tests/web && node web.cjs "$URL" "$tmp/$1/demo-credentials.json" "$PWD/../../$out" \
     "$tmp/face.y4m" "$tmp/dark.y4m" "$PWD/../../$ref" "$faces") >"$tmp/$1.log" 2>&1
  while read -r line; do
    case $line in
      "ok   "*) ok "$1: ${line#ok   }" ;;
      FAIL*)    bad "$1: ${line#FAIL }" ;;
      "skip "*) skip=$((skip + 1)); echo "skip $1: ${line#skip }" ;;
    esac
  done <"$tmp/$1.log"
  grep -q '^browser: all passed' "$tmp/$1.log" || { grep -q '^browser:' "$tmp/$1.log" || { bad "$1: browser run"; tail -5 "$tmp/$1.log"; }; }
  kill -TERM "$SPID"; wait "$SPID" 2>/dev/null
}

run_store sqlite "sqlite:$tmp/sqlite/shualian.db"
if pg_start; then run_store pg "$PG_URL"
else skip=$((skip + 1)); echo "skip pg: $PG_SKIP"; fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
