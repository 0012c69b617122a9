#!/usr/bin/env bash
# The store's concurrency tests (threads sharing one connection pool:
# counters, single-use keys, token buckets, pool exhaustion, reconnect)
# under ThreadSanitizer: build-tsan/, on SQLite and, when the
# postgresql-15 binaries are there, on a throwaway PostgreSQL.
set -uo pipefail
cd "$(dirname "$0")/../.."
make -s -j2 SANITIZER=thread build-tsan/shualian-tests >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
export SL_ROOT=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. tests/suites/lib-pg.sh
tests=(store/threads_counter store/threads_once store/bucket store/pool_exhausted
       store/reconnect store/serialization_retry)
pass=0 fail=0 skip=0
run() {
  local line
  while IFS= read -r line; do
    case $line in
      "ok   "*) pass=$((pass + 1)); echo "ok   $1 ${line#ok   }" ;;
      "FAIL "*) fail=$((fail + 1)); echo "FAIL $1 ${line#FAIL }" ;;
      "skip "*) skip=$((skip + 1)); echo "skip $1 ${line#skip }" ;;
    esac
  done < <(build-tsan/shualian-tests "${tests[@]}" 2>"$tmp/err-$1")
  if grep -q "ThreadSanitizer" "$tmp/err-$1"; then
    fail=$((fail + 1)); echo "FAIL $1: ThreadSanitizer report"; grep -A30 "WARNING: ThreadSanitizer" "$tmp/err-$1" | head -40
  fi
}
SL_TEST_STORE_URL= run sqlite
if pg_start; then
  SL_TEST_STORE_URL=$PG_URL run postgresql
else
  skip=$((skip + 1)); echo "skip postgresql: $PG_SKIP"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
