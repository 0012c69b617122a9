#!/usr/bin/env bash
# Backup and restore while writing (issue 10, "Operations"): a backup taken
# while a writer streams acknowledged writes (tests/serve/writer.js: POST
# /v1/halls, row + audit record in one transaction) is restored into a
# fresh data dir; the server starts on it, `audit verify` passes, and every
# write acknowledged before the backup started is present.
#   SQLite: `shualian admin backup DEST` (the online backup API) against
#           the live database; restore = DEST as DATA/shualian.db + the key
#           file.
#   PostgreSQL: the documented procedure (docs/store.md): pg_dump
#           --format=custom while writing, pg_restore into a new database.
set -uo pipefail
. "$(dirname "$0")/lib-serve.sh"
serve_need curl jq node
WRITER=tests/serve/writer.js
SERVE_ARGS=(--no-models --quiet --threads 4)
SERVE_CONFIG='{ "rate": { "default": { "per_s": 1000000, "burst": 1000000000 },
                      "login": { "per_s": 1000, "burst": 100000 } } }'

halls() {   # -> sorted hall names of the current node
  req GET /v1/halls "$1"
  jq -r '.halls[].name' <<<"$BODY" 2>/dev/null | sort
}
wait_acks() {   # FILE N: until FILE has at least N lines (10 s at most)
  local k
  for k in $(seq 1 1000); do [ "$(wc -l <"$1")" -ge "$2" ] && return 0; sleep 0.01; done
  return 1
}

backup_restore() {   # LABEL DB_URL
  local L=$1 db=$2 auth ack=$tmp/$1.ack
  serve_start "$L" "$db" || { bad "$L: server did not start"; serve_kill "$L"; return; }
  auth=$(staff admin)
  : >"$ack"
  node $WRITER 127.0.0.1 "$PORT" "$auth" "b" "$ack" 4 0 persist >/dev/null &
  local wpid=$!
  wait_acks "$ack" 50 || bad "$L: the writer did not get going"
  sort "$ack" >"$tmp/$L.before"          # acknowledged before the backup starts
  local n_before; n_before=$(wc -l <"$tmp/$L.before")
  local fresh=$tmp/$L-restored rdb=
  mkdir -p "$fresh"; chmod 700 "$fresh"
  if [ "$L" = sqlite ]; then
    expect "$L: admin backup of the live database while writing" 0 '"backup"' -- \
      $S admin --data "$DATA" backup "$tmp/$L.backup.db"
  else
    if "$PG_BIN/pg_dump" --format=custom --file="$tmp/$L.dump" "$PG_URL" 2>"$tmp/pg_dump.err"; then
      ok "$L: pg_dump --format=custom while writing"
    else bad "$L: pg_dump: $(head -c 300 "$tmp/pg_dump.err")"; fi
  fi
  local n_during; n_during=$(wc -l <"$ack")
  wait_acks "$ack" $((n_during + 20)) || true   # writes went on after the backup
  kill -TERM $wpid; wait $wpid
  serve_stop "$L"
  local n_total; n_total=$(wc -l <"$ack")
  [ "$n_total" -gt "$n_before" ] && ok "$L: writes ran before ($n_before), during and after the backup ($n_total in all)" \
    || bad "$L: the writer stalled ($n_before before, $n_total in all)"
  # restore into a fresh data dir (the key file travels with the backup)
  cp "$DATA/keys" "$fresh/keys"
  if [ "$L" = sqlite ]; then
    cp "$tmp/$L.backup.db" "$fresh/shualian.db"
  else
    rdb=${PG_URL%/*}/restored
    pg_as "$PG_BIN/psql" -q -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres -c 'CREATE DATABASE restored' >/dev/null \
      && "$PG_BIN/pg_restore" --no-owner --dbname="$rdb" "$tmp/$L.dump" 2>"$tmp/pg_restore.err" \
      && ok "$L: pg_restore into a new database" || bad "$L: pg_restore: $(head -c 300 "$tmp/pg_restore.err")"
  fi
  local rargs=(--db "${rdb:-sqlite:$fresh/shualian.db}" --keys "$fresh/keys")
  expect "$L: audit verify on the restored copy" 0 '"ok":true' -- $S audit verify "${rargs[@]}"
  SERVE_DEMO=0 SERVE_DATA=$fresh serve_start "${L}_restored" "$rdb" \
    || { bad "$L: server did not start on the restored copy"; serve_kill "${L}_restored"; return; }
  ok "$L: server starts on the restored data dir"
  halls "$auth" >"$tmp/$L.have"
  local miss; miss=$(comm -23 "$tmp/$L.before" "$tmp/$L.have" | wc -l)
  [ "$miss" = 0 ] && [ "$n_before" -gt 0 ] \
    && ok "$L: all $n_before writes acknowledged before the backup are in the restored copy (the session too)" \
    || bad "$L: $miss of $n_before writes acknowledged before the backup are missing (status $ST)"
  local n_have; n_have=$(grep -c '^b-' "$tmp/$L.have")
  [ "$n_have" -le "$n_total" ] && ok "$L: the copy is a snapshot: $n_have of $n_total writes" \
    || bad "$L: $n_have writes in the copy, more than were made"
  req POST /v1/halls "$auth" '{"name":"after-restore"}'
  check "$L: the restored server takes writes" 201
  serve_stop "${L}_restored"
  expect "$L: audit verify after writing on the restored copy" 0 '"ok":true' -- $S audit verify "${rargs[@]}"
}

backup_restore sqlite ""
if pg_start; then backup_restore pg "$PG_URL"
else skip=$((skip + 1)); echo "skip PostgreSQL: $PG_SKIP"; fi
serve_done
