#!/usr/bin/env bash
# 90-lic.sh -- issue 14 over HTTP against the real server on 127.0.0.1
# (SQLite, then a throwaway PostgreSQL via lib-pg.sh), fixed test clock:
# the e-signature routes (public key; a signature record checked, every
# kind of bad record answered with its code, a malformed request 422).
# A valid signature's round trip is in the unit tests (gov_lic): no route
# signs yet (signing needs the id branch's consumed verifications).
cd "$(dirname "$0")/../.." || exit 1
. tests/suites/lib.sh
. tests/suites/lib-pg.sh
for t in curl jq; do
  command -v $t >/dev/null || { echo "skip lic: $t absent"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
done

SRV_PID= PORT=
start_server() {   # $1 label, $2 db url (empty: sqlite in the data dir)
  local label=$1 db=$2 data="$tmp/$1"
  mkdir -p "$data"
  echo "2026-12-04T02:00:00Z" > "$tmp/$label.clock"
  local args=(serve --listen 127.0.0.1:0 --data "$data" --no-models --quiet --demo
              --clock "$tmp/$label.clock")
  [ -n "$db" ] && args+=(--db "$db")
  "$S" "${args[@]}" > "$tmp/$label.out" 2> "$tmp/$label.err" &
  SRV_PID=$!
  for _ in $(seq 100); do
    kill -0 $SRV_PID 2>/dev/null || break
    PORT=$(jq -r 'select(.port).port' "$tmp/$label.out" 2>/dev/null)
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  cat "$tmp/$label.err"; return 1
}
stop_server() { [ -n "$SRV_PID" ] && kill $SRV_PID 2>/dev/null && wait $SRV_PID 2>/dev/null; SRV_PID=; }
trap 'stop_server; rm -rf "$tmp"' EXIT

post() { curl -s -o "$tmp/body" -w '%{http_code}' -XPOST -H 'content-type: application/json' \
              "http://127.0.0.1:$PORT$1" --data-binary "$2"; }

H64=$(printf 'ab%.0s' $(seq 32))
rec() {   # $1 sig hex, $2 suite
  printf '{"doc_hash":"%s","verification_id":"ver_1","result":"match","signed_at_ms":1764813600000,"suite":"%s","kid":1,"sig":"%s"}' \
    "$H64" "$2" "$1"
}

suite_tests() {   # $1 label, $2 db url
  local label=$1
  if ! start_server "$label" "$2"; then bad "$label: server starts"; return; fi
  ok "$label: server starts"
  local key; key=$(curl -s "http://127.0.0.1:$PORT/v1/esign/key")
  if jq -e '.suite == "gm" and (.public_key | startswith("gm:1:"))' <<<"$key" >/dev/null; then
    ok "$label: GET /v1/esign/key gives the hall's public key"
  else bad "$label: esign key ($key)"; fi

  # well-formed blob (magic SLS 01, suite gm, kid 1) whose signature is wrong
  local forged="534c530101""00000001"$(printf '11%.0s' $(seq 64))
  local c; c=$(post /v1/esign/verify "{\"signature\":$(rec "$forged" gm)}")
  if [ "$c" = 200 ] && jq -e '.valid == false and .code == "crypto_signature"' "$tmp/body" >/dev/null; then
    ok "$label: a forged signature is not valid (crypto_signature)"
  else bad "$label: forged ($c $(cat "$tmp/body"))"; fi

  c=$(post /v1/esign/verify "{\"signature\":$(rec "$(printf '00%.0s' $(seq 73))" gm)}")
  if [ "$c" = 200 ] && jq -e '.valid == false and .code == "crypto_format"' "$tmp/body" >/dev/null; then
    ok "$label: a blob without the magic is crypto_format"
  else bad "$label: bad magic ($c $(cat "$tmp/body"))"; fi

  # checked before the signature: a blob that alone is crypto_format
  c=$(post /v1/esign/verify "{\"signature\":$(rec "$(printf '00%.0s' $(seq 73))" gm),\"doc_hash\":\"$(printf 'cd%.0s' $(seq 32))\"}")
  if [ "$c" = 200 ] && jq -e '.valid == false and .code == "crypto_signature"' "$tmp/body" >/dev/null; then
    ok "$label: another document's hash is not valid"
  else bad "$label: doc hash ($c $(cat "$tmp/body"))"; fi

  c=$(post /v1/esign/verify '{"signature":{"doc_hash":"x"}}')
  if [ "$c" = 422 ] && jq -e '.code == "esign_format"' "$tmp/body" >/dev/null; then
    ok "$label: a malformed record is 422 esign_format"
  else bad "$label: malformed ($c $(cat "$tmp/body"))"; fi

  c=$(post /v1/esign/verify '{"nosig":1}')
  if [ "${c:0:1}" = 4 ]; then ok "$label: a body without signature is refused ($c)"
  else bad "$label: no signature ($c)"; fi

  # migration 101 made the issue-14 tables on this store
  local tabs
  if [ -z "$2" ]; then
    tabs=$(command -v sqlite3 >/dev/null && sqlite3 "$tmp/$label/shualian.db" \
      "SELECT count(*) FROM sqlite_master WHERE type='table' AND name LIKE 'lic\\_%' ESCAPE '\\'")
  else
    tabs=$("$PG_BIN/psql" -qtA -d "$2" -c "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'lic\\_%'")
  fi
  if [ -z "$tabs" ] && [ -z "$2" ]; then skip=$((skip + 1)); echo "skip $label: sqlite3 absent"
  elif [ "$tabs" = 6 ]; then ok "$label: migration 101 made the 6 lic_ tables"
  else bad "$label: lic tables ($tabs)"; fi

  if curl -s "http://127.0.0.1:$PORT/v1/openapi.json" | jq -e '.paths["/v1/esign/verify"].post' >/dev/null; then
    ok "$label: OpenAPI lists /v1/esign/verify"
  else bad "$label: openapi"; fi
  stop_server
}

suite_tests sqlite ""
if pg_start; then
  suite_tests postgresql "$PG_URL"
else
  skip=$((skip + 1)); echo "skip postgresql: $PG_SKIP"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
