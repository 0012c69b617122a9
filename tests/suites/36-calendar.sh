#!/usr/bin/env bash
# 36-calendar.sh -- the working-day calendar from the command line:
# 2019-2026 cross-checked day by day against npm holiday-calendar and
# chinese-days (test tooling), the documented examples, fail-closed
# outside the loaded years, and bad calendar files refused with file:line.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/suites/lib.sh

if [ -d tests/node_modules/chinese-days ] && [ -d tests/node_modules/holiday-calendar ]; then
  out=$(node tests/calendar/crosscheck.js "$S"); rc=$?
  echo "$out" | grep -E '^(ok|FAIL)'
  p=$(echo "$out" | tail -n 1 | sed -nE 's/^([0-9]+) passed.*/\1/p')
  [ "$rc" = 0 ] && [ "${p:-0}" = 8 ] && ok "calendar cross-check 2019-2026" || bad "calendar cross-check"
else
  skip=$((skip + 1)); echo "skip calendar cross-check: tests/node_modules lacks chinese-days/holiday-calendar (run scripts/setup.sh)"
fi

expect "add-working-days across National Day 2019" 0 '"result":{"date":"2019-10-17"' -- $S calendar add-working-days 2019-09-23 15
expect "working-days-between" 0 '"working_days":15' -- $S calendar working-days-between 2019-09-23 2019-10-17
expect "a Sunday that was worked" 0 '"working":true,"name":"国庆节调休"' -- $S calendar day 2019-09-29
expect "a weekday holiday" 0 '"working":false,"name":"春节' -- $S calendar day 2024-02-14
expect "outside the years fails closed" 3 '"code":"calendar_range"' -- $S calendar add-working-days 2026-12-20 15
expect "a date in 2027 fails closed" 3 '"code":"calendar_range"' -- $S calendar day 2027-01-04
expect "impossible date" 3 '"code":"invalid"' -- $S calendar day 2019-02-29
expect "negative count is a usage error" 2 '' -- $S calendar add-working-days 2019-09-23 -1
expect "unknown sub-command" 2 '' -- $S calendar frobnicate
expect "years lists 2019-2026" 0 '"first":2019,"last":2026' -- $S calendar years
printf 'year 2027 test notice\noff  2027-01-01 元旦\nwork 2027-01-05 调休\n' > "$tmp/bad.txt"
expect "a work day on a weekday is refused with file:line" 3 'bad.txt:3: date' -- $S calendar check "$tmp/bad.txt"
printf 'year 2027 test notice\noff  2027-01-01 元旦\n' > "$tmp/good.txt"
expect "a new year's file checks" 0 '"ok":true' -- $S calendar check "$tmp/good.txt"
expect "and can be used" 0 '"working":false' -- $S calendar day 2027-01-01 --file "$tmp/good.txt"

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
