#!/usr/bin/env bash
# The server store and audit chain against both databases: the unit tests
# of modules store and audit (tests/unit/test_store.c, test_audit.c) run
# once on SQLite (temp files) and once on a real throwaway PostgreSQL 15
# (lib-pg.sh; skipped visibly when the postgresql-15 binaries are absent),
# then `shualian audit verify` black-box on both. Ends with
# "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/suites/lib.sh
. tests/suites/lib-pg.sh
make -s -j2 build/shualian-tests >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
export SL_ROOT=$PWD

# unit LABEL: runs the store and audit unit tests, one pass/fail per test
unit() {
  local label=$1 line
  while IFS= read -r line; do
    case $line in
      "ok   "*)  ok "$label ${line#ok   }" ;;
      "FAIL "*)  bad "$label ${line#FAIL }" ;;
      "skip "*)  skip=$((skip + 1)); echo "skip $label ${line#skip }" ;;
      "  "*)     echo "$line" ;;
    esac
  done < <(build/shualian-tests store audit 2>"$tmp/unit-$label.err")
  grep -q "check failed" "$tmp/unit-$label.err" && grep "check failed" "$tmp/unit-$label.err" | head -20
}

# ---- `shualian audit` black-box: a chain of 250 records made with
# `audit append`, then each kind of tampering done with the database's own
# client; verify must exit 1 and name the record and the kind.
# Dialect hooks: newdb NAME (a fresh copy of the pristine chain; prints its
# URL) and sqlx URL SQL.
INSERT_SQL="INSERT INTO audit_log (seq, at_ms, actor_kind, actor_id, action, object_type,"
INSERT_SQL+=" object_id, id_masked, person_idx, purpose, outcome, request_id, prev, hash)"
INSERT_SQL+=" SELECT 37, at_ms, actor_kind, 'intruder', action, object_type, object_id, id_masked,"
INSERT_SQL+=" person_idx, purpose, outcome, request_id, prev, hash FROM audit_log WHERE seq = 38"
tamper_cases=(
  "edit|37|edited|UPDATE audit_log SET outcome = 'denied' WHERE seq = 37"
  "delete|37|deleted|DELETE FROM audit_log WHERE seq = 37"
  "insert|37|inserted|UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= 37; UPDATE audit_log SET seq = -seq WHERE seq < 0; $INSERT_SQL; UPDATE audit_head SET seq = seq + 1"
  "reorder|37|reordered|UPDATE audit_log SET seq = -1 WHERE seq = 37; UPDATE audit_log SET seq = 37 WHERE seq = 38; UPDATE audit_log SET seq = 38 WHERE seq = -1"
  "truncate|241|truncated|DELETE FROM audit_log WHERE seq > 240"
  "truncate_head|151|truncated|DELETE FROM audit_log WHERE seq > 150; UPDATE audit_head SET seq = 150, hash = (SELECT hash FROM audit_log WHERE seq = 150)"
)

# verify_expect NAME URL WANT_EXIT WANT_SEQ WANT_KIND [extra args]
verify_expect() {
  local name=$1 url=$2 want=$3 seq=$4 kind=$5; shift 5
  local out rc
  out=$("$S" audit verify --db "$url" --keys "$tmp/keys" "$@" 2>/dev/null); rc=$?
  if [ "$rc" = "$want" ] && { [ "$want" = 0 ] && [ "$(jq -r .ok <<<"$out")" = true ] ||
       { [ "$(jq -r .first_bad_record <<<"$out")" = "$seq" ] && [ "$(jq -r .kind <<<"$out")" = "$kind" ]; }; }; then
    ok "$name"
  else
    bad "$name (exit $rc, want $want $kind at $seq): $out"
  fi
}

audit_cli() {
  local label=$1 pristine=$2 c name seq kind sql url
  if ! "$S" audit append --db "$pristine" --keys "$tmp/keys" --action person.read \
       --actor-kind staff --actor-id clerk1 --id-masked '4101**********1234' \
       --count 250 --at 1800000000000 >/dev/null 2>"$tmp/append.err"; then
    bad "$label audit append"; cat "$tmp/append.err"; return
  fi
  ok "$label audit append 250"
  url=$(newdb intact)
  verify_expect "$label audit verify intact" "$url" 0 - -
  verify_expect "$label audit verify --expect 260" "$url" 1 251 truncated --expect 260
  verify_expect "$label audit verify --expect 201:wrong-hash" "$url" 1 201 edited \
    --expect 201:0000000000000000000000000000000000000000000000000000000000000000
  expect "$label audit query by masked id" 0 '"seq":3' -- "$S" audit query --db "$url" \
    --person '4101**********1234' --limit 3
  for c in "${tamper_cases[@]}"; do
    IFS='|' read -r name seq kind sql <<<"$c"
    url=$(newdb "$name")
    if ! sqlx "$url" "$sql" >"$tmp/sqlx.out" 2>&1; then
      bad "$label tamper $name (SQL failed)"; cat "$tmp/sqlx.out"; continue
    fi
    verify_expect "$label audit verify finds $name at $seq" "$url" 1 "$seq" "$kind"
  done
  expect "$label audit verify without keys: usage" 2 '' -- "$S" audit verify --db "$url"
}

SL_TEST_STORE_URL= unit sqlite
if command -v sqlite3 >/dev/null && command -v jq >/dev/null; then
  newdb() { cp "$tmp/pristine.sqlite" "$tmp/$1.sqlite"; echo "sqlite:$tmp/$1.sqlite"; }
  sqlx() { sqlite3 "${1#sqlite:}" "$2"; }
  audit_cli sqlite "sqlite:$tmp/pristine.sqlite"
else
  skip=$((skip + 1)); echo "skip sqlite audit cli: sqlite3 or jq missing"
fi

if pg_start; then
  echo "postgresql: $PG_URL"
  SL_TEST_STORE_URL=$PG_URL unit postgresql
  PSQL=$PG_BIN/psql
  pgdb() { echo "${PG_URL%/postgres}/$1"; }
  newdb() { "$PSQL" -q -d "$PG_URL" -c "CREATE DATABASE $1 TEMPLATE pristine" >/dev/null && pgdb "$1"; }
  sqlx() { "$PSQL" -q -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
  if "$PSQL" -q -d "$PG_URL" -c "CREATE DATABASE pristine" >/dev/null; then
    audit_cli postgresql "$(pgdb pristine)"
  else
    bad "postgresql: cannot create a database"
  fi
else
  skip=$((skip + 1)); echo "skip postgresql: $PG_SKIP"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
