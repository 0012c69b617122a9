#!/usr/bin/env bash
# Builds the libFuzzer targets (make fuzz: build-fuzz/fuzz_*) and runs each
# for ${SL_FUZZ_SECONDS:-60} seconds on its corpus (build-fuzz/corpus/<target>,
# seeded by scripts/fuzz_corpus.sh). A target passes when libFuzzer exits 0:
# no crash, sanitizer report, leak, timeout (-timeout=10) or RSS over
# 2048 MB. Crash inputs land in build-fuzz/artifacts/. See docs/fuzzing.md.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${SL_FUZZ_SECONDS:-60}
pass=0 fail=0
if ! command -v clang >/dev/null; then
  echo "clang not installed: cannot build fuzz targets"
  echo "0 passed, 1 failed"
  exit 1
fi
if ! make -s fuzz >/dev/null 2>build-fuzz.log; then
  cat build-fuzz.log; rm -f build-fuzz.log
  echo "0 passed, 1 failed"
  exit 1
fi
rm -f build-fuzz.log
scripts/fuzz_corpus.sh || echo "warning: seed corpus incomplete"
mkdir -p build-fuzz/artifacts
for bin in build-fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  log=build-fuzz/$name.log
  echo "--- $name: ${secs}s, corpus $(ls "$corpus" | wc -l) files"
  "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$name-" \
    "$corpus" >"$log" 2>&1
  rc=$?
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^Done ' "$log" | sed 's/^/    /'
  if [ $rc = 0 ]; then
    pass=$((pass + 1)); echo "ok   $name"
  else
    fail=$((fail + 1)); echo "FAIL $name (exit $rc; log $log)"
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -n 5 | sed 's/^/    /'
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
