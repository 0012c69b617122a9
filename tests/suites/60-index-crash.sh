#!/usr/bin/env bash
# SIGKILL durability of the 1:N index: a child adds/removes/compacts and
# reports each acknowledged change on a pipe; the parent kills it at a
# random moment, reopens the index and checks that every acknowledged change
# is there and every template intact (dev/index_crash.c, `shualian-dev index crashtest`).
# Iterations: SL_CRASH_ITERS (default 200; the report used 1000).
set -euo pipefail
make -s -j2 build/shualian-dev
iters=${SL_CRASH_ITERS:-200}
dir=$(mktemp -d /tmp/sl-index-crash.XXXXXX)
trap 'rm -rf "$dir"' EXIT
set +e
out=$(build/shualian-dev index crashtest "$dir/ix" --iters "$iters")
rc=$?
set -e
echo "$out"
passed=$(echo "$out" | sed -n 's/.*"passed": *\([0-9]*\).*/\1/p' | head -n1)
failed=$(echo "$out" | sed -n 's/.*"failed": *\([0-9]*\).*/\1/p' | head -n1)
passed=${passed:-0}
failed=${failed:-1}
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "index-crash: $passed passed, $failed failed"
[ "$failed" = 0 ]
