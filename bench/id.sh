#!/usr/bin/env bash
# bench/id.sh -- `make bench-id` (issue 11), on SQLite and on a throwaway
# PostgreSQL (tests/suites/lib-pg.sh) when one can be started:
#   1. registry import rate: `shualian registry import` of N rows (N=200)
#      with photos (the demo persons' registry photos, reused: the registry
#      is keyed by document), wall time including the engine load, batches
#      of 50;
#   2. verification through HTTP, 2 workers, SECS seconds (10) each
#      (bench/id_bench.js): the window first visit (identity code + one
#      640x480 capture -> 1:1 with the registry template), and the Contract
#      session (POST /v1/verifications + five 640x480 frames) when the
#      server has it;
#   3. identity codes issued and checked per second (build/idcode-bench).
# Needs node, jq, ImageMagick convert and ../shared/faces (SL_FACES).
set -uo pipefail
cd "$(dirname "$0")/.."
S=${S:-build/shualian}
SECS=${SECS:-10}
N=${N:-200}
M=${SL_MODELS:-models}
FACES=${SL_FACES:-../shared/faces}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. tests/suites/lib-pg.sh
[ -d "$FACES/dev" ] || { echo "bench-id: needs $FACES/dev (SL_FACES)"; exit 1; }
photo() { ls "$FACES/dev/$1" | sort -n | sed -n "$(( ${2:-0} + 1 ))p" | sed "s|^|$FACES/dev/$1/|"; }
ck() {
  local s=$1 w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) c=10X98765432 i sum=0
  for i in $(seq 0 16); do sum=$((sum + ${s:$i:1} * ${w[$i]})); done
  echo "$s${c:$((sum % 11)):1}"
}
convert "$(photo Keanu_Reeves 1)" -resize 480x480 -gravity center -background '#808080' \
  -extent 640x480 "$tmp/frame.jpg"
mkdir -p "$tmp/photos"
who=(Keanu_Reeves Kate_Winslet Madonna Ben_Affleck Tina_Fey Jerry_Seinfeld)
for w in "${who[@]}"; do cp "$(photo "$w")" "$tmp/photos/$w.jpg"; done
{
  echo "id_type,id_number,name,photo"
  for i in $(seq 0 $((N - 1))); do
    echo "resident_id,$(ck "330106$((1970 + i / 1000))0101$(printf %03d $((i % 1000)))"),bench$i,${who[$((i % 6))]}.jpg"
  done
} >"$tmp/persons.csv"
run() {   # label [db-url]
  local label=$1 db=${2-}
  cat >"$tmp/cfg.json" <<JSON
{ "threads": 2, "rate": { "default": { "per_s": 100000, "burst": 100000 },
           "verify": { "per_s": 100000, "burst": 100000 } } }
JSON
  local args=(serve --config "$tmp/cfg.json" --listen 127.0.0.1:0 --data "$tmp/$label" --demo
              --models "$M" --quiet)
  [ -n "$db" ] && args+=(--db "$db")
  SL_FACES=$FACES $S "${args[@]}" >"$tmp/$label.out" 2>"$tmp/$label.err" &
  local pid=$!
  for _ in $(seq 1 300); do grep -q '"listening"' "$tmp/$label.out" 2>/dev/null && break; sleep 0.1; done
  local port; port=$(jq -r 'select(.port).port' "$tmp/$label.out")
  local imp=(registry import --csv "$tmp/persons.csv" --photos "$tmp/photos" --data "$tmp/$label"
             --models "$M" --report "$tmp/$label-import.json")
  [ -n "$db" ] && imp+=(--db "$db")
  local t0 t1; t0=$(date +%s.%N)
  $S "${imp[@]}" 2>/dev/null
  t1=$(date +%s.%N)
  jq -c --arg t "$(echo "$t1 - $t0" | bc)" --arg n "$N" \
    '{store: "'"$label"'", import_rows: ($n|tonumber), accepted, rejected_count, seconds: ($t|tonumber),
      persons_per_s: ((.accepted / ($t|tonumber)) * 10 | round / 10)}' "$tmp/$label-import.json"
  node bench/id_bench.js "http://127.0.0.1:$port" "$tmp/$label/demo-credentials.json" "$tmp/frame.jpg" \
    "$SECS" 2 "$tmp/persons.csv" | sed "s/^{/{\"store\":\"$label\",/"
  kill -TERM $pid; wait $pid
}
run sqlite
if pg_start; then trap 'pg_stop; rm -rf "$tmp"' EXIT; run postgresql "$PG_URL"
else echo "postgresql: skipped ($PG_SKIP)"; fi
make -s build/idcode-bench >/dev/null && build/idcode-bench
