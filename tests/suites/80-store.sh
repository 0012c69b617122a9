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

SL_TEST_STORE_URL= unit sqlite

if pg_start; then
  echo "postgresql: $PG_URL"
  SL_TEST_STORE_URL=$PG_URL unit postgresql
else
  skip=$((skip + 1)); echo "skip postgresql: $PG_SKIP"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
