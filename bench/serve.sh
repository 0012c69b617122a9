#!/usr/bin/env bash
# bench/serve.sh -- `make bench-serve`: the server under load, measured in
# one run: GET /healthz req/s (wrk, 1 thread, 32 connections), and
# POST /v1/faces/compare with 2 worker threads / 2 engine sessions
# (wrk, 2 connections) against the in-process engine on the same two
# images (build/bench-verify: sl_face_verify without HTTP, one thread and
# two processes at once, from decoded images and from the JPEG bytes), in
# SL_BENCH_ROUNDS rounds (3) of HTTP then in-process: the ratio per round
# and its median. Prints a JSON summary.
set -euo pipefail
S=${S:-build/shualian}
M=${SL_MODELS:-models}
SECS=${SL_BENCH_SECS:-8}
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
# Rounds: HTTP (wrk, 2 connections, SECS) then, with the server idle, the
# in-process reference on the same two cores: two processes at once, each
# from the JPEG bytes (decode + verdict: the work an HTTP request also does
# before the engine) and from decoded images (verdict only). The ratio is
# taken per round, from figures measured seconds apart, and the median of
# the rounds reported: on a shared machine the load moves between the
# steps of one long run, which moved a single-pass ratio by +-0.1.
RUNS=${SL_BENCH_RUNS:-200}
ROUNDS=${SL_BENCH_ROUNDS:-3}
V=build/bench-verify
one=$($V "$M" "$tmp/a.jpg" "$tmp/b.jpg" 60 decoded)
for k in $(seq 1 "$ROUNDS"); do
  wrk -t2 -c2 -d${SECS}s --latency -s "$tmp/post.lua" "$B/v1/faces/compare" >"$tmp/c.txt"
  read -r c_rps c_p50 c_p99 < <(parse "$tmp/c.txt")
  errs=$(grep -c 'Non-2xx' "$tmp/c.txt" || true)
  for mode in bytes decoded; do
    $V "$M" "$tmp/a.jpg" "$tmp/b.jpg" "$RUNS" $mode >"$tmp/v1.$mode" &
    $V "$M" "$tmp/a.jpg" "$tmp/b.jpg" "$RUNS" $mode >"$tmp/v2.$mode"
    wait $!
  done
  jq -n --arg c "$c_rps" --arg p50 "$c_p50" --arg p99 "$c_p99" --arg errs "$errs" \
        --arg load "$(cut -d' ' -f1 /proc/loadavg)" \
        --slurpfile b1 "$tmp/v1.bytes" --slurpfile b2 "$tmp/v2.bytes" \
        --slurpfile d1 "$tmp/v1.decoded" --slurpfile d2 "$tmp/v2.decoded" \
    '($b1[0].per_s + $b2[0].per_s) as $byt | ($d1[0].per_s + $d2[0].per_s) as $dec |
     {http: {req_per_s: ($c|tonumber), p50_ms: ($p50|tonumber), p99_ms: ($p99|tonumber),
             non_2xx_lines: ($errs|tonumber)},
      inprocess_2_processes: {from_bytes_per_s: $byt, decoded_per_s: $dec},
      http_vs_inprocess_from_bytes: (($c|tonumber) / $byt * 1000 | round / 1000),
      http_vs_inprocess_decoded: (($c|tonumber) / $dec * 1000 | round / 1000),
      loadavg: ($load|tonumber)}' >"$tmp/round.$k"
done
kill -TERM $pid; wait $pid || true; pid=
jq -s --arg h "$h_rps" --arg hp50 "$h_p50" --arg hp99 "$h_p99" --argjson one "$one" '
  def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                     else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  . as $r |
  {healthz: {req_per_s: ($h|tonumber), p50_ms: ($hp50|tonumber), p99_ms: ($hp99|tonumber), connections: 32},
   compare_inprocess_1_thread: $one,
   rounds: $r,
   compare_http_2_workers: {req_per_s: ([$r[].http.req_per_s] | median),
                            p50_ms: ([$r[].http.p50_ms] | median),
                            p99_ms: ([$r[].http.p99_ms] | median),
                            p99_ms_max: ([$r[].http.p99_ms] | max),
                            non_2xx_lines: ([$r[].http.non_2xx_lines] | add)},
   compare_inprocess_2_processes: {from_bytes_per_s: ([$r[].inprocess_2_processes.from_bytes_per_s] | median),
                                   decoded_per_s: ([$r[].inprocess_2_processes.decoded_per_s] | median)},
   http_vs_inprocess_from_bytes: ([$r[].http_vs_inprocess_from_bytes] | median),
   http_vs_inprocess_decoded: ([$r[].http_vs_inprocess_decoded] | median),
   loadavg: [$r[].loadavg]}' "$tmp"/round.*
