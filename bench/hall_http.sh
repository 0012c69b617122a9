#!/usr/bin/env bash
# bench/hall_http.sh -- `make bench-hall`, the HTTP part: POST
# /v1/halls/{hall}/identify on the demo server (SQLite, the demo library
# of docs/hall.md) with a 640x480 JPEG of 示例丁 (another photo of her
# photo identity, padded to 640x480), 2 server threads / 2 engine
# sessions, wrk with 2 connections for SL_BENCH_SECS (10) s: p50/p99 of
# the whole request (decode, detection, embedding, watchlist check,
# search, capture record with its sealed thumbnail, audit).
#
# One run per library size in SL_HALL_SIZES (default "0 100000 1000000";
# 10M: SL_HALL_SIZES=10000000, alone on the machine, ~6 GB):
#   0  the product server (`shualian serve --demo`): the 2 demo persons;
#   N  `shualian-dev hall serve --persons N` (dev/hall_serve.c): the same
#      server code with N synthetic persons fitted to the real embeddings
#      of SL_HALL_FIT (build/face-eval-dev.cache) added to the demo hall's
#      in-memory library after the demo seeds; its report (fill and IVF
#      build time, bytes per template, in-process search p50/p99 and
#      recall@1 of the search mode against an exact float scan, same run)
#      is merged into the line printed here; 200 real persons (pairs of
#      photos of the cache) are added too: recall on real faces.
# Before timing, each server must still answer "match" with 示例丁 first
# for her photo, and "unknown" for a stranger (Adam_Sandler/1.jpg, in no
# library): otherwise the run goes on (the answers are in the line) and
# the script exits 1 at the end. Server RSS (VmRSS / VmHWM) is read
# after the wrk run. While a large library is filled the script stops
# the server if MemAvailable falls below SL_MIN_AVAIL_MB (3072).
# One JSON line per size on stdout, also appended to SL_BENCH_OUT if set.
set -euo pipefail
S=${S:-build/shualian}
D=${D:-build/shualian-dev}
M=${SL_MODELS:-models}
F=${SL_FACES:-../shared/faces}/dev
SECS=${SL_BENCH_SECS:-10}
SIZES=${SL_HALL_SIZES:-0 100000 1000000}
FIT=${SL_HALL_FIT:-build/face-eval-dev.cache}
PROBES=${SL_HALL_PROBES:-300}
MIN_AVAIL=${SL_MIN_AVAIL_MB:-3072}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 2; }
[ -f "$F/Madonna/4.jpg" ] || { echo "skip: $F/Madonna absent"; exit 0; }
tmp=$(mktemp -d)
pid=
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=; true; }
trap 'stop; rm -rf "$tmp"' EXIT
cat >"$tmp/cfg.json" <<JSON
{ "threads": 2, "engines": 2, "access_log": false,
  "rate": { "default": {"per_s": 1e9, "burst": 1e9}, "engine": {"per_s": 1e9, "burst": 1e9} } }
JSON
convert "$F/Madonna/4.jpg" -resize 480x480 -gravity center -background gray -extent 640x480 -quality 90 "$tmp/q.jpg"
base64 -w0 "$tmp/q.jpg" | jq -Rs '{image: .}' >"$tmp/body.json"
convert "$F/Adam_Sandler/1.jpg" -resize 480x480 -gravity center -background gray -extent 640x480 -quality 90 "$tmp/s.jpg"
base64 -w0 "$tmp/s.jpg" | jq -Rs '{image: .}' >"$tmp/stranger.json"
failed=0
avail_mb() { awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo; }

for N in $SIZES; do
  var=$tmp/var-$N
  rm -f "$tmp/out" "$tmp/err" "$tmp/report.json"
  serve_args=(--config "$tmp/cfg.json" --listen 127.0.0.1:0 --data "$var" --demo --models "$M")
  t0=$(date +%s.%N)
  if [ "$N" = 0 ]; then
    $S serve "${serve_args[@]}" >"$tmp/out" 2>"$tmp/err" &
  else
    $D hall serve --persons "$N" --fit "$FIT" --probes "$PROBES" --report "$tmp/report.json" \
      -- "${serve_args[@]}" >"$tmp/out" 2>"$tmp/err" &
  fi
  pid=$!
  # wait for the port: seconds for the demo, minutes for 10M persons
  while ! grep -q '"listening"' "$tmp/out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "server for N=$N exited:"; tail -5 "$tmp/err"; exit 1
    fi
    if [ "$(avail_mb)" -lt "$MIN_AVAIL" ]; then
      kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
      echo "N=$N stopped: MemAvailable $(avail_mb) MB < $MIN_AVAIL MB"; exit 1
    fi
    sleep 0.5
  done
  t_listen=$(echo "$(date +%s.%N) - $t0" | bc)
  PORT=$(jq -r 'select(.port).port' "$tmp/out")
  B=http://127.0.0.1:$PORT
  C=$var/demo-credentials.json
  H=$(jq -r .hall "$C")
  WHO=$(jq -r '.hall_library.persons[] | select(.name == "示例丁") | .library_person' "$C")
  AUTH="Device $(jq -r .devices.window.id "$C"):$(jq -r .devices.window.key "$C")"
  for _ in $(seq 1 600); do   # /readyz: the cache's catch-up after the fill
    curl -sf "$B/readyz" >/dev/null && break; sleep 0.5
  done
  ident() { curl -sf -H "Authorization: $AUTH" -H 'Content-Type: application/json' \
              --data-binary @"$1" "$B/v1/halls/$H/identify"; }
  [ -f "$tmp/report.json" ] && [ -n "${SL_BENCH_OUT:-}" ] && cp "$tmp/report.json" "$SL_BENCH_OUT.report-$N.json"
  ident "$tmp/body.json" >"$tmp/match.json"
  if ! jq -e --argjson who "$WHO" '.decision == "match" and .candidates[0].person_id == $who' \
       "$tmp/match.json" >/dev/null; then
    echo "N=$N: 示例丁 not identified (recorded; the run goes on and fails at the end):" >&2
    jq -c 'del(.quality)' "$tmp/match.json" >&2
    failed=1
  fi
  ident "$tmp/stranger.json" >"$tmp/unknown.json"
  if ! jq -e '.decision == "unknown"' "$tmp/unknown.json" >/dev/null; then
    echo "N=$N: the stranger was not unknown (recorded):" >&2
    jq -c 'del(.quality)' "$tmp/unknown.json" >&2
    failed=1
  fi
  cat >"$tmp/post.lua" <<LUA
local f = io.open("$tmp/body.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "$AUTH"
LUA
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  wrk -t2 -c2 -d"${SECS}s" --latency -s "$tmp/post.lua" "$B/v1/halls/$H/identify" >"$tmp/wrk.txt"
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  rss=$(awk '/VmRSS/ {print int($2 / 1024)}' /proc/$pid/status)
  hwm=$(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$pid/status)
  stop
  p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.txt")
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt")
  n=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
  errs=$(awk '/Non-2xx/ {print $NF}' "$tmp/wrk.txt")
  [ -f "$tmp/report.json" ] || echo '{}' >"$tmp/report.json"
  line=$(jq -c --arg p50 "$p50" --arg p99 "$p99" --argjson rps "$rps" --argjson n "$n" \
      --argjson errs "${errs:-0}" --argjson persons "$N" --argjson rss "$rss" --argjson hwm "$hwm" \
      --argjson listen_s "$t_listen" --arg lb "$load_before" --arg la "$load_after" \
      --argjson ms "$(jq -c '{decision, first: .candidates[0].person_id, score: .candidates[0].score}' "$tmp/match.json")" \
      --argjson st "$(jq -c "{decision}" "$tmp/unknown.json")" \
      '{bench: "hall identify over HTTP", synthetic_persons: $persons, image: "640x480 JPEG",
        connections: 2, requests: $n, p50: $p50, p99: $p99, req_per_s: $rps, non_2xx: $errs,
        server_rss_mb: $rss, server_peak_rss_mb: $hwm, start_to_listening_s: $listen_s,
        demo_person_match: $ms, stranger: $st,
        load_average_before: $lb, load_average_after: $la, dev_report: .}' "$tmp/report.json")
  echo "$line"
  [ -n "${SL_BENCH_OUT:-}" ] && echo "$line" >>"$SL_BENCH_OUT"
  rm -rf "$var"
done
exit $failed
