#!/usr/bin/env bash
# ONNX's own backend node tests (Debian package libonnx-testdata) against
# the engine, on every backend built here: each test whose ops we support
# must PASS (within ONNX's default tolerance) or be refused cleanly at load
# -- never a wrong answer, a crash or a hang. Driver: tests/onnx_node/
# (build/onnx-node-test); our own regression cases in ONNX's layout are
# written by tests/onnx_node/make_cases.py and run the same way.
set -uo pipefail
cd "$(dirname "$0")/../.."
make -s -j2 build/onnx-node-test >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
data=${SL_ONNX_NODE_DATA:-/usr/share/libonnx-testdata/data/node}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0
tally() {  # adds the driver's last line to the counters
  local line; line=$(tail -n 1 "$1")
  read -r p _ f _ s _ <<<"$line"
  pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}
if [ -d "$data" ]; then
  timeout 300 build/onnx-node-test --data "$data" > "$tmp/onnx.txt"; rc=$?
  sed -n '/^node tests:/,$p' "$tmp/onnx.txt" | sed '$d'; grep '^FAIL' "$tmp/onnx.txt"
  tally "$tmp/onnx.txt"
  [ $rc -le 1 ] || { echo "FAIL driver exit $rc"; fail=$((fail + 1)); }
else
  echo "skip: $data missing (Debian package libonnx-testdata; scripts/setup.sh)"
  skip=$((skip + 1))
fi
if command -v python3 >/dev/null; then
  python3 tests/onnx_node/make_cases.py "$tmp/cases" &&
    build/onnx-node-test --data "$tmp/cases" --verbose > "$tmp/own.txt"
  grep -E '^(PASS|REFUSED|FAIL)' "$tmp/own.txt"
  tally "$tmp/own.txt"
else
  echo "skip: python3 missing (own cases)"; skip=$((skip + 1))
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
