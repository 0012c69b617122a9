#!/usr/bin/env bash
# bench/gov.sh -- `make bench-gov`: applications created and auto-approved
# per second through HTTP (bench/gov_bench.js: create, request_auth, submit
# with a shared-data fetch and the rules, accept with calendar dates and
# auto-approval), 2 workers, on SQLite and on a throwaway PostgreSQL
# (tests/suites/lib-pg.sh); then calendar arithmetic per second
# (build/gov-cal-bench). SECS=10 by default.
set -uo pipefail
cd "$(dirname "$0")/.."
S=${S:-build/shualian}
SECS=${SECS:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. tests/suites/lib-pg.sh
run() {   # label [db-url]
  local label=$1 db=${2-}
  cat >"$tmp/cfg.json" <<JSON
{ "threads": 2, "rate": { "default": { "per_s": 100000, "burst": 100000 } } }
JSON
  local args=(serve --config "$tmp/cfg.json" --listen 127.0.0.1:0 --data "$tmp/$label" --demo
              --no-models --quiet)
  [ -n "$db" ] && args+=(--db "$db")
  $S "${args[@]}" >"$tmp/$label.out" 2>"$tmp/$label.err" &
  local pid=$!
  for _ in $(seq 1 600); do grep -q '"listening"' "$tmp/$label.out" 2>/dev/null && break; sleep 0.1; done
  local port; port=$(jq -r 'select(.port).port' "$tmp/$label.out")
  printf '%s: ' "$label"
  node bench/gov_bench.js "http://127.0.0.1:$port" "$tmp/$label/demo-credentials.json" "$SECS" 2
  kill -TERM $pid; wait $pid
}
run sqlite
if pg_start; then run postgresql "$PG_URL"; else echo "postgresql: skipped ($PG_SKIP)"; fi
printf 'calendar: '
build/gov-cal-bench
