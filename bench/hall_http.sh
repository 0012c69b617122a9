#!/usr/bin/env bash
# bench/hall_http.sh -- `make bench-hall`, the HTTP part: POST
# /v1/halls/{hall}/identify on the demo server (SQLite, the demo library
# of docs/hall.md) with a 640x480 JPEG of 示例丁 (another photo of her
# photo identity, padded to 640x480), 2 server threads / 2 engine
# sessions, wrk with 2 connections for SL_BENCH_SECS (10) s: p50/p99 of
# the whole request (decode, detection, embedding, watchlist check,
# search, capture record with its sealed thumbnail, audit). The library
# search's own cost at 100k..10M persons is the in-process figure of
# hall/ident_scan_cost (same make target); at N persons the HTTP latency
# is this figure plus that search time.
set -euo pipefail
S=${S:-build/shualian}
M=${SL_MODELS:-models}
F=${SL_FACES:-../shared/faces}/dev
SECS=${SL_BENCH_SECS:-10}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 2; }
[ -f "$F/Madonna/4.jpg" ] || { echo "skip: $F/Madonna absent"; exit 0; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
cat >"$tmp/cfg.json" <<JSON
{ "threads": 2, "engines": 2, "access_log": false,
  "rate": { "default": {"per_s": 1e9, "burst": 1e9}, "engine": {"per_s": 1e9, "burst": 1e9} } }
JSON
$S serve --config "$tmp/cfg.json" --listen 127.0.0.1:0 --data "$tmp/var" --demo --models "$M" \
  >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 300); do grep -q '"listening"' "$tmp/out" 2>/dev/null && break; sleep 0.1; done
PORT=$(jq -r 'select(.port).port' "$tmp/out")
B=http://127.0.0.1:$PORT
C=$tmp/var/demo-credentials.json
H=$(jq -r .hall "$C")
AUTH="Device $(jq -r .devices.window.id "$C"):$(jq -r .devices.window.key "$C")"
convert "$F/Madonna/4.jpg" -resize 480x480 -gravity center -background gray -extent 640x480 -quality 90 "$tmp/q.jpg"
base64 -w0 "$tmp/q.jpg" | jq -Rs '{image: .}' >"$tmp/body.json"
curl -sf -H "Authorization: $AUTH" -H 'Content-Type: application/json' --data-binary @"$tmp/body.json" \
  "$B/v1/halls/$H/identify" | jq -e '.decision == "match"' >/dev/null \
  || { echo "identify did not answer match"; exit 1; }
cat >"$tmp/post.lua" <<LUA
local f = io.open("$tmp/body.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "$AUTH"
LUA
wrk -t2 -c2 -d"${SECS}s" --latency -s "$tmp/post.lua" "$B/v1/halls/$H/identify" >"$tmp/wrk.txt"
p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.txt")
rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt")
n=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
errs=$(awk '/Non-2xx/ {print $NF}' "$tmp/wrk.txt")
printf '{"bench":"hall identify over HTTP","image":"640x480 JPEG","library_persons":2,"connections":2,"requests":%s,"p50":"%s","p99":"%s","req_per_s":%s,"non_2xx":%s,"load_average":"%s"}\n' \
  "$n" "$p50" "$p99" "$rps" "${errs:-0}" "$(cut -d' ' -f1-3 /proc/loadavg)"
