#!/usr/bin/env bash
# Plaintext-leak test (issue 10, "Encryption at rest"): after `serve --demo`
# has stored the demo persons (share/shualian/demo/persons.json: ID numbers,
# names, registry photos) and their templates, look for them at rest: the
# SQLite file and its WAL/SHM, a pg_dump of the PostgreSQL database, and
# the server's logs. None of the persons' ID numbers, names, or a 32-byte
# window of any registry photo may be found (they are stored only sealed,
# looked up by blind index; logs mask numbers). Then `admin rotate-key`
# while serving re-seals every registered column and the persons still open.
set -uo pipefail
. "$(dirname "$0")/lib-serve.sh"
serve_need curl jq python3 sqlite3
SERVE_ARGS=(--threads 2)
PERSONS=share/shualian/demo/persons.json
FACES=${SL_FACES:-../shared/faces}

# the plaintexts: every person's number and name, and windows of every photo
# the demo may have used for them (the first photo of their identity, or the
# fallback samples)
jq -r '.persons[] | .id_number, .name' "$PERSONS" >"$tmp/texts"
: >"$tmp/photos"
for who in $(jq -r '.persons[].photo_identity // empty' "$PERSONS"); do
  ls "$FACES/dev/$who"/*.jpg 2>/dev/null | sort -V | head -1 >>"$tmp/photos"
done
for f in $(jq -r '.fallback_photos[]' "$PERSONS"); do
  [ -f "tests/data/$f" ] && echo "tests/data/$f" >>"$tmp/photos"
done
# scan FILE...: prints what was found (nothing = clean); the needles are
# the texts (UTF-8) and 32-byte windows at 1/3 and 1/2 of each photo
scan() {
  python3 - "$tmp/texts" "$tmp/photos" "$@" <<'PY'
import sys
texts = [l.rstrip('\n') for l in open(sys.argv[1], encoding='utf-8') if l.strip()]
needles = [(t, t.encode()) for t in texts]
for p in (l.strip() for l in open(sys.argv[2]) if l.strip()):
    b = open(p, 'rb').read()
    for frac in (3, 2):
        o = len(b) * (frac - 1) // frac if frac == 2 else len(b) // 3
        needles.append((f"{p}@{o}", b[o:o + 32]))
hay = b''.join(open(f, 'rb').read() for f in sys.argv[3:])
for name, n in needles:
    if n in hay:
        print(name)
PY
}
nwin=$(( $(wc -l <"$tmp/photos") * 2 ))

leak() {   # LABEL
  local L=$1
  serve_stop "$L"
  # the persons and their photos are there, so the scan means something
  local q="SELECT count(*) FROM id_person WHERE photo_sealed IS NOT NULL" n
  if [ "$L" = sqlite ]; then n=$(sqlite3 "$DATA/shualian.db" "$q" 2>/dev/null)
  else n=$(pg_as "$PG_BIN/psql" -qtA -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres -c "$q" 2>/dev/null); fi
  [ "${n:-0}" -ge 1 ] 2>/dev/null && ok "$L: the demo registry holds $n persons with a sealed photo" \
    || bad "$L: no demo persons stored ('$n')"
  if [ "$L" = sqlite ]; then
    [ -s "$DATA/shualian.db" ] || bad "$L: no database file"
    # the numbers are in the file in sealed form only; make sure the scan
    # can see plaintext at all: a copy with one number written in must hit
    local files=("$DATA"/shualian.db*)
    local hits; hits=$(scan "${files[@]}")
    [ -z "$hits" ] && ok "$L: no ID number, name or photo window in ${files[*]##*/} ($(wc -l <"$tmp/texts") texts, $nwin windows)" \
      || bad "$L: plaintext at rest: $(tr '\n' ' ' <<<"$hits")"
    cp "$DATA/shualian.db" "$tmp/canary.db"; head -n 1 "$tmp/texts" >>"$tmp/canary.db"
    [ -n "$(scan "$tmp/canary.db")" ] && ok "$L: the scan finds a planted number (it can fail)" || bad "$L: the scan is blind"
  else
    "$PG_BIN/pg_dump" --format=plain --file="$tmp/pg.sql" "$PG_URL" 2>"$tmp/pg_dump.err" \
      || bad "$L: pg_dump: $(head -c 200 "$tmp/pg_dump.err")"
    local hits; hits=$(scan "$tmp/pg.sql")
    [ -s "$tmp/pg.sql" ] && [ -z "$hits" ] && ok "$L: no ID number, name or photo window in a pg_dump ($(wc -c <"$tmp/pg.sql") bytes)" \
      || bad "$L: plaintext in the dump: $(tr '\n' ' ' <<<"$hits")"
  fi
  local lh; lh=$(scan "$tmp/$L.out" "$tmp/$L.err")
  [ -z "$lh" ] && ok "$L: no ID number, name or photo window in the server's logs" \
    || bad "$L: plaintext in the logs: $(tr '\n' ' ' <<<"$lh")"
  rotate "$L"
}

# key rotation while serving: every sealed column of id/gov/hall is in the
# rekey registry with its module's AD, so the first run re-seals every
# value (a value whose AD did not match would not open: "failed"), the
# second finds them all current, and the persons still open afterwards
rotate() {   # LABEL
  local L=$1 db=
  [ "$L" = pg ] && db=$PG_URL
  SERVE_DEMO=0 serve_start "$L" "$db" || { bad "$L: restart for rotation"; serve_kill "$L"; return; }
  local ad=(--data "$DATA"); [ "$L" = pg ] && ad+=(--db "$PG_URL")
  local r1 r2
  r1=$($S admin "${ad[@]}" rotate-key 2>"$tmp/rot.err"); r2=$($S admin "${ad[@]}" rotate-key 2>>"$tmp/rot.err")
  jq -e '.failed == 0 and .scanned >= 26 and .resealed == .scanned' <<<"$r1" >/dev/null \
    && ok "$L: rotate-key while serving re-seals every sealed value ($r1)" || bad "$L: rotate-key: $r1 $(head -c 300 "$tmp/rot.err")"
  jq -e --argjson a "$r1" '.failed == 0 and .scanned == $a.scanned and .key_id > $a.key_id' <<<"$r2" >/dev/null \
    && ok "$L: a second rotation re-seals them again under the newer key, none fails" || bad "$L: second rotate-key: $r2"
  local ids q="SELECT id FROM id_person" good=0 tot=0 id auth; auth=$(staff admin)
  if [ "$L" = sqlite ]; then ids=$(sqlite3 "$DATA/shualian.db" "$q")
  else ids=$(pg_as "$PG_BIN/psql" -qtA -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres -c "$q"); fi
  for id in $ids; do
    tot=$((tot + 1))
    req GET "/v1/registry/persons/$id?full=1" "$auth"
    [ "$ST" = 200 ] && jq -e --slurpfile P "$PERSONS" \
      '. as $r | [$P[0].persons[] | select(.id_number == $r.id_number and .name == $r.name)] | length == 1' \
      <<<"$BODY" >/dev/null && good=$((good + 1))
  done
  [ $tot -ge 1 ] && [ $good = $tot ] && ok "$L: after rotation all $tot persons' numbers and names open and match persons.json" \
    || { bad "$L: after rotation $good of $tot persons open"; echo "$BODY" | head -c 300; echo; }
  serve_stop "$L"
}

for L in sqlite pg; do
  if [ $L = pg ]; then pg_start || { skip=$((skip + 1)); echo "skip PostgreSQL: $PG_SKIP"; break; }; fi
  if serve_start $L "$([ $L = pg ] && echo "$PG_URL")"; then leak $L
  else bad "$L: server did not start"; serve_kill $L; fi
done
serve_done
