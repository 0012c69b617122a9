#!/usr/bin/env bash
# check.sh -- run every test layer (`make check`). Each tests/suites/NN-*.sh
# is one layer; it prints progress and ends with a line
#   "N passed, N failed[, N skipped]"
# This script adds them up and ends with the same kind of line. A suite that
# exits non-zero without reporting a failure counts as one failure.
# SL_SUITES="10-unit 30-cli" runs only those.
set -uo pipefail
cd "$(dirname "$0")/.."
export SL_ROOT=$PWD

total_p=0 total_f=0 total_s=0
failed_suites=()
for s in tests/suites/[0-9]*.sh; do
  name=$(basename "$s" .sh)
  if [ -n "${SL_SUITES:-}" ] && [[ " $SL_SUITES " != *" $name "* ]]; then
    continue
  fi
  printf '\n=== %s ===\n' "$name"
  log=$(mktemp)
  start=$(date +%s)
  bash "$s" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  rm -f "$log"
  p=0 f=0 sk=0
  if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]; then
    p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} sk=${BASH_REMATCH[4]:-0}
  fi
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    f=1
    echo "suite $name exited with status $rc"
  fi
  [ "$f" = 0 ] || failed_suites+=("$name")
  printf '=== %s: %s passed, %s failed, %s skipped (%ss)\n' "$name" "$p" "$f" "$sk" \
    "$(( $(date +%s) - start ))"
  total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + sk))
done
echo
[ ${#failed_suites[@]} -eq 0 ] || echo "failing suites: ${failed_suites[*]}"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" = 0 ]
