#!/usr/bin/env bash
# bench/serve.sh -- `make bench-serve`: the server under load, measured in
# one run: GET /healthz req/s (wrk, 1 thread, 32 connections), and
# POST /v1/faces/compare with 2 worker threads / 2 engine sessions
# (wrk, SL_BENCH_CONNS connections, 4: throughput is measured with a
# request always waiting for each worker; with 2 closed-loop connections a
# core idles during each request's audit commit (fsync) and the loopback
# round trip -- 0.84 instead of 0.87 on 2026-12-04) against the in-process engine on the same two
# images (build/bench-verify: sl_face_verify without HTTP, one thread and
# two processes at once, from decoded images and from the JPEG bytes), in
# SL_BENCH_ROUNDS rounds (8) of HTTP then in-process: the ratio per round
# and its median. Prints a JSON summary.
set -euo pipefail
S=${S:-build/shualian}
M=${SL_MODELS:-models}
SECS=${SL_BENCH_SECS:-8}
CONNS=${SL_BENCH_CONNS:-4}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 2; }
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
# the demo seeds (registry templates, licences, the hall library) run
# before the server listens: allow a minute
for _ in $(seq 1 600); do grep -q '"listening"' "$tmp/out" 2>/dev/null && break; sleep 0.1; done
PORT=$(jq -r 'select(.port).port' "$tmp/out")
B=http://127.0.0.1:$PORT
C=$tmp/var/demo-credentials.json
AUTH="Device $(jq -r .devices.window.id "$C"):$(jq -r .devices.window.key "$C")"
# the same two images as tests/suites/70-face-cli.sh's same-person pair
convert tests/data/sample6.jpg -crop 600x600+1290+110 +repage "$tmp/a.jpg"
convert tests/data/sample6.jpg -crop 420x480+1380+220 +repage -resize 70% "$tmp/b.jpg"
printf '{"image_a":"%s","image_b":"%s"}' "$(base64 -w0 "$tmp/a.jpg")" "$(base64 -w0 "$tmp/b.jpg")" >"$tmp/body.json"
cat >"$tmp/post.lua" <<LUA
local f = io.open("$tmp/body.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "$AUTH"
LUA
curl -sf -H "Authorization: $AUTH" -H 'Content-Type: application/json' --data-binary @"$tmp/body.json" \
  "$B/v1/faces/compare" | jq -e '.match == true' >/dev/null
parse() {  # wrk output -> "req/s p50_ms p99_ms"
  awk '/Requests\/sec/ {r=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
       function ms(x) { if (x ~ /us$/) return x/1000; if (x ~ /ms$/) return x+0; if (x ~ /s$/) return x*1000; return x }
       END { printf "%s %.2f %.2f\n", r, ms(p50), ms(p99) }' "$1"
}
wrk -t1 -c32 -d${SECS}s --latency "$B/healthz" >"$tmp/h.txt"
read -r h_rps h_p50 h_p99 < <(parse "$tmp/h.txt")
# Rounds: HTTP (wrk, CONNS connections, RSECS s) then, with the server
# idle, the in-process reference on the same two cores: two processes at
# once from the JPEG bytes (decode + verdict: the work an HTTP request also
# does before the engine), RUNS each. The ratio is taken per round, from
# figures measured seconds apart, and the median of the rounds reported:
# this VM's speed moves by +-20 % within a minute (the in-process pair
# alone read 64-104 /s in one run), so a single pass -- or long steps --
# paired figures taken under different conditions. The decoded-image
# figure (verdict only) is measured once after the rounds.
RUNS=${SL_BENCH_RUNS:-100}
ROUNDS=${SL_BENCH_ROUNDS:-8}
RSECS=${SL_BENCH_ROUND_SECS:-3}
V=build/bench-verify
one=$($V "$M" "$tmp/a.jpg" "$tmp/b.jpg" 60 decoded)
for k in $(seq 1 "$ROUNDS"); do
  wrk -t2 -c${CONNS} -d${RSECS}s --latency -s "$tmp/post.lua" "$B/v1/faces/compare" >"$tmp/c.txt"
  read -r c_rps c_p50 c_p99 < <(parse "$tmp/c.txt")
  errs=$(grep -c 'Non-2xx' "$tmp/c.txt" || true)
  $V "$M" "$tmp/a.jpg" "$tmp/b.jpg" "$RUNS" bytes >"$tmp/v1.bytes" &
  $V "$M" "$tmp/a.jpg" "$tmp/b.jpg" "$RUNS" bytes >"$tmp/v2.bytes"
  wait $!
  jq -n --arg c "$c_rps" --arg p50 "$c_p50" --arg p99 "$c_p99" --arg errs "$errs" \
        --arg load "$(cut -d' ' -f1 /proc/loadavg)" \
        --slurpfile b1 "$tmp/v1.bytes" --slurpfile b2 "$tmp/v2.bytes" \
    '($b1[0].per_s + $b2[0].per_s) as $byt |
     {http: {req_per_s: ($c|tonumber), p50_ms: ($p50|tonumber), p99_ms: ($p99|tonumber),
             non_2xx_lines: ($errs|tonumber)},
      inprocess_2_processes_from_bytes_per_s: $byt,
      http_vs_inprocess_from_bytes: (($c|tonumber) / $byt * 1000 | round / 1000),
      loadavg: ($load|tonumber)}' >"$tmp/round.$k"
done
# one longer HTTP run for the latency figures (p50/p99 over SECS)
wrk -t2 -c${CONNS} -d${SECS}s --latency -s "$tmp/post.lua" "$B/v1/faces/compare" >"$tmp/c.txt"
read -r c_rps c_p50 c_p99 < <(parse "$tmp/c.txt")
$V "$M" "$tmp/a.jpg" "$tmp/b.jpg" "$RUNS" decoded >"$tmp/v1.decoded" &
$V "$M" "$tmp/a.jpg" "$tmp/b.jpg" "$RUNS" decoded >"$tmp/v2.decoded"
wait $!
kill -TERM $pid; wait $pid || true; pid=
jq -s --arg h "$h_rps" --arg hp50 "$h_p50" --arg hp99 "$h_p99" --argjson one "$one" \
      --arg c "$c_rps" --arg p50 "$c_p50" --arg p99 "$c_p99" --arg conns "$CONNS" \
      --slurpfile d1 "$tmp/v1.decoded" --slurpfile d2 "$tmp/v2.decoded" '
  def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                     else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  . as $r |
  {healthz: {req_per_s: ($h|tonumber), p50_ms: ($hp50|tonumber), p99_ms: ($hp99|tonumber), connections: 32},
   compare_inprocess_1_thread: $one,
   rounds: $r,
   compare_http_2_workers: {connections: ($conns|tonumber),
                            req_per_s_rounds_median: ([$r[].http.req_per_s] | median),
                            req_per_s: ($c|tonumber), p50_ms: ($p50|tonumber), p99_ms: ($p99|tonumber),
                            non_2xx_lines: ([$r[].http.non_2xx_lines] | add)},
   compare_inprocess_2_processes: {from_bytes_per_s_rounds_median: ([$r[].inprocess_2_processes_from_bytes_per_s] | median),
                                   decoded_per_s: ($d1[0].per_s + $d2[0].per_s)},
   http_vs_inprocess_from_bytes: ([$r[].http_vs_inprocess_from_bytes] | median),
   http_vs_inprocess_from_bytes_rounds: [$r[].http_vs_inprocess_from_bytes],
   loadavg: [$r[].loadavg]}' "$tmp"/round.*
