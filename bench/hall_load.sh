#!/usr/bin/env bash
# bench/hall_load.sh -- `make bench-hall`, the cache-load part: the portrait
# library's in-memory cache loaded from the store at N persons (issue 13:
# "index load time from the store"; docs/hall.md "Cache load at scale").
#
# For each store in SL_HALL_LOAD_STORES (default "sqlite postgresql"; the
# PostgreSQL is a throwaway one, tests/suites/lib-pg.sh) and each N in
# SL_HALL_LOAD_SIZES (default 100000, ascending; the store grows from one
# size to the next):
#   1. `shualian-dev hall fill --persons N` writes the persons still missing
#      into the demo hall as enrolment writes them (dev/hall_fill.c: one
#      fitted template each, sealed with the data folder's keys, the
#      change-log row), SL_HALL_LOAD_BATCH (20000) a transaction;
#   2. `shualian-dev hall load`: sl__hall_sync on an empty cache, in
#      process, timed (what serve runs at start);
#   3. `shualian serve` on the same data folder/store: start -> /readyz 200,
#      and the server's own log line "hall: cache ready: ... (N ms)".
# One JSON line per (store, N) on stdout, also appended to SL_BENCH_OUT if
# set. The data folders and the PostgreSQL are deleted at the end;
# SL_HALL_LOAD_KEEP=1 keeps (and reuses: the fill adds only what is
# missing) the data folders under SL_HALL_LOAD_DIR, and with
# SL_HALL_LOAD_PG_URL an existing PostgreSQL is used (and kept) instead
# of a throwaway one: a second run measures the load again without the fill.
# 1M persons take ~4 GB on either store; 10M ~40 GB (check df first).
set -euo pipefail
S=${S:-build/shualian}
D=${D:-build/shualian-dev}
M=${SL_MODELS:-models}
SIZES=${SL_HALL_LOAD_SIZES:-100000}
STORES=${SL_HALL_LOAD_STORES:-sqlite postgresql}
BATCH=${SL_HALL_LOAD_BATCH:-20000}
FIT=${SL_HALL_FIT:-build/face-eval-dev.cache}
[ -f "$FIT" ] || FIT=none
base=${SL_HALL_LOAD_DIR:-$(mktemp -d)}
mkdir -p "$base"
pid=
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=; true; }
cleanup() { stop; [ "${SL_HALL_LOAD_KEEP:-0}" = 1 ] || rm -rf "$base"; }
trap cleanup EXIT
. tests/suites/lib-pg.sh
models=()
[ -d "$M" ] && models=(--models "$M")

for store in $STORES; do
  var=$base/var-$store
  [ "${SL_HALL_LOAD_KEEP:-0}" = 1 ] || rm -rf "$var"
  db=()
  if [ "$store" = postgresql ]; then
    if [ -n "${SL_HALL_LOAD_PG_URL:-}" ]; then
      db=(--db "$SL_HALL_LOAD_PG_URL")
    elif pg_start; then
      db=(--db "$PG_URL")
    else
      echo "skip postgresql: $PG_SKIP" >&2; continue
    fi
  fi
  for N in $SIZES; do
    fill=$(nice -n 10 "$D" hall fill --persons "$N" --fit "$FIT" --batch "$BATCH" \
             --data "$var" "${db[@]}" 2>"$base/fill.err" | tail -1) ||
      { echo "fill $store $N failed:"; tail -5 "$base/fill.err"; exit 1; }
    load=$(nice -n 10 "$D" hall load --data "$var" "${db[@]}" 2>"$base/load.err" | tail -1) ||
      { echo "load $store $N failed:"; tail -5 "$base/load.err"; exit 1; }
    # the server: start -> /readyz
    t0=$(date +%s.%N)
    nice -n 10 "$S" serve --listen 127.0.0.1:0 --data "$var" "${db[@]}" "${models[@]}" \
      >"$base/out" 2>"$base/err" &
    pid=$!
    while ! grep -q '"listening"' "$base/out" 2>/dev/null; do
      kill -0 "$pid" 2>/dev/null || { echo "serve $store $N exited:"; tail -5 "$base/err"; exit 1; }
      sleep 0.1
    done
    B=http://127.0.0.1:$(jq -r 'select(.port).port' "$base/out")
    until curl -sf "$B/readyz" >/dev/null; do
      kill -0 "$pid" 2>/dev/null || { echo "serve $store $N exited:"; tail -5 "$base/err"; exit 1; }
      sleep 0.1
    done
    ready_s=$(echo "$(date +%s.%N) - $t0" | bc)
    logged=$(grep -o 'hall: cache ready: .*' "$base/err" | tail -1)
    rss=$(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$pid/status)
    stop
    line=$(jq -nc --arg store "$store" --argjson n "$N" --argjson fill "$fill" --argjson load "$load" \
             --argjson ready "$ready_s" --arg logged "$logged" --argjson rss "$rss" \
             --arg la "$(cut -d' ' -f1-3 /proc/loadavg)" \
             '{bench: "hall cache load from the store", store: $store, persons: $n,
               fill: $fill, load_in_process: $load, serve_start_to_readyz_s: $ready,
               serve_log: $logged, serve_peak_rss_mb: $rss, load_average: $la}')
    echo "$line"
    [ -n "${SL_BENCH_OUT:-}" ] && echo "$line" >>"$SL_BENCH_OUT"
  done
  [ "${SL_HALL_LOAD_KEEP:-0}" = 1 ] || rm -rf "$var"
  [ "$store" = postgresql ] && pg_stop
done
exit 0
