#!/usr/bin/env bash
# Durability (issue 10): SIGKILL the server in the middle of a stream of
# acknowledged writes, restart it, and check that every acknowledged write
# is there and `shualian audit verify` passes -- on SQLite (WAL,
# synchronous=FULL) and on the throwaway PostgreSQL (lib-pg.sh).
#
# The writes: tests/serve/writer.js runs 4 loops of POST /v1/halls (the
# hall row and its hall.add audit record in one transaction); a 201 is
# appended to the ack file before the next request, so the ack file is
# exactly what the server acknowledged. One writer runs for the whole test
# on a fixed port, retrying while the server is down. Each iteration waits
# until the stream is flowing, kills the server after a random 0-90 ms,
# snapshots the ack file, runs `audit verify` on the dead server's
# database, restarts (no --demo) and checks the store holds every name of
# the snapshot (read with sqlite3 / psql beside the restarted server).
#
# Iterations: SL_DURABILITY_N (default 200) on SQLite, SL_DURABILITY_N_PG
# (default 50: PostgreSQL restarts cost more; ~3 min for both) on PostgreSQL.
# `audit verify` runs after every SL_DURABILITY_VERIFY_EVERY-th kill (10)
# and the last. The 1,000-iteration figure is in docs/server.md.
set -uo pipefail
. "$(dirname "$0")/lib-serve.sh"
serve_need curl jq node sqlite3
N=${SL_DURABILITY_N:-200}
N_PG=${SL_DURABILITY_N_PG:-50}
VERIFY_EVERY=${SL_DURABILITY_VERIFY_EVERY:-10}
WRITER=tests/serve/writer.js
SERVE_ARGS=(--no-models --quiet --threads 4)
# the test clock stands still: buckets never refill, so make them deep
SERVE_CONFIG='{ "rate": { "default": { "per_s": 1000000, "burst": 1000000000 },
                      "login": { "per_s": 1000, "burst": 100000 } } }'

on_disk() {   # LABEL -> sorted hall names in the store
  local q="SELECT name FROM acct_hall"
  if [ "$1" = sqlite ]; then sqlite3 "$DATA/shualian.db" "$q"
  else pg_as "$PG_BIN/psql" -qtA -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres -c "$q"; fi | LC_ALL=C sort
}

durability() {   # LABEL DB_URL ITERATIONS
  local L=$1 db=$2 n=$3 i k
  SERVE_DEMO=1 SERVE_WAIT_READY=1
  # a fixed port below the kernel's ephemeral range: the writer retries
  # connecting while the server is down, and a client's ephemeral source
  # port equal to a free listening port connects to itself (TCP
  # simultaneous open) and holds it, so the restart could not bind
  local fixed=0 p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { fixed=$p; break; }
  done
  serve_start "$L" "$db" --listen "127.0.0.1:$fixed" || { bad "$L: server did not start"; serve_kill "$L"; return; }
  local auth port=$PORT; auth=$(staff admin)
  [ "$auth" != "Bearer " ] && ok "$L: admin logged in (the session survives restarts)" || { bad "$L: login"; return; }
  # one writer for the whole run, on a fixed port: it retries while the
  # server is down and resumes when it is back
  local ack=$tmp/$L.ack; : >"$ack"
  node $WRITER 127.0.0.1 "$port" "$auth" "w" "$ack" 4 0 persist >"$tmp/$L.writer" &
  local wpid=$!
  SERVE_DEMO=0 SERVE_WAIT_READY=0
  local lost=0 lost_iter=0 vbad=0 nstart=0 nflow=0 t0=$SECONDS
  for i in $(seq 1 "$n"); do
    # the stream is flowing on this server: then SIGKILL after 0-90 ms
    local before; before=$(wc -l <"$ack")
    for k in $(seq 1 500); do
      [ "$(wc -l <"$ack")" -gt "$before" ] && break
      sleep 0.01
    done
    [ "$(wc -l <"$ack")" -gt "$before" ] && nflow=$((nflow + 1))
    sleep "0.0$((RANDOM % 10))"
    serve_kill "$L"
    LC_ALL=C sort "$ack" >"$tmp/acked"          # complete: nothing is acknowledged while it is down
    # the chain on disk after the crash (every VERIFY_EVERY-th kill and the
    # last: a broken chain stays broken, a later restart does not mend it)
    if { [ $((i % VERIFY_EVERY)) = 0 ] || [ "$i" = "$n" ]; } && ! $S audit verify "${DB_ARG[@]}" --keys "$DATA/keys" >"$tmp/verify.out" 2>&1; then
      vbad=$((vbad + 1)); echo "  $L iteration $i: audit verify failed: $(tail -n 2 "$tmp/verify.out")"
    fi
    local tr0=$EPOCHREALTIME
    if ! serve_start "$L" "$db" --listen "127.0.0.1:$port"; then
      nstart=$((nstart + 1)); serve_kill "$L"; n=$i; break
    fi
    local tr1=$EPOCHREALTIME
    # every write acknowledged before the kill is there: read from the
    # database the restarted server runs on (the server itself serves the
    # same rows; a read beside the writer would only be slower)
    on_disk "$L" >"$tmp/have"
    local miss; miss=$(comm -23 "$tmp/acked" "$tmp/have" | wc -l)
    if [ ! -s "$tmp/have" ] || [ "$miss" -gt 0 ]; then
      lost=$((lost + miss)); lost_iter=$((lost_iter + 1))
      echo "  $L iteration $i: $miss acknowledged writes missing"
    fi
    [ -n "${SL_DURABILITY_TRACE:-}" ] && echo "  trace $i: restart $(bc <<<"$tr1 - $tr0") s, check $(bc <<<"$EPOCHREALTIME - $tr1") s"
    [ $((i % 50)) = 0 ] && echo "  $L: $i kills, $(wc -l <"$tmp/acked") acknowledged, $lost lost, $((SECONDS - t0)) s"
  done
  kill -TERM $wpid; wait $wpid
  serve_stop "$L"
  local acked_total; acked_total=$(wc -l <"$ack")
  echo "  $L: $n kills, $acked_total writes acknowledged, $((SECONDS - t0)) s"
  [ $nflow = "$n" ] && ok "$L: writes were flowing at each of $n kills ($acked_total acknowledged)" \
    || bad "$L: writes flowing at only $nflow of $n kills"
  [ $nstart = 0 ] && ok "$L: the server restarted after each SIGKILL" || bad "$L: a restart failed"
  [ $lost = 0 ] && [ $nstart = 0 ] && ok "$L: $n/$n restarts: every acknowledged write present" \
    || bad "$L: $lost acknowledged writes lost in $lost_iter of $n restarts"
  # the comparison can fail: a name never written is reported missing
  { cat "$tmp/acked"; echo "zz-never-written"; } | LC_ALL=C sort >"$tmp/acked.control"
  [ "$(comm -23 "$tmp/acked.control" "$tmp/have" | wc -l)" = 1 ] \
    && ok "$L: control: an acknowledgement with no row is reported missing" || bad "$L: control comparison"
  [ $vbad = 0 ] && ok "$L: audit verify passes after the SIGKILLs (every $VERIFY_EVERY and the last)" \
    || bad "$L: audit verify failed after $vbad kills"
}

durability sqlite "" "$N"
if pg_start; then durability pg "$PG_URL" "$N_PG"
else skip=$((skip + 1)); echo "skip PostgreSQL: $PG_SKIP"; fi
serve_done
