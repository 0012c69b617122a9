#!/usr/bin/env bash
# bench/img.sh -- img module timings: JPEG decode of the test photos, resize
# 1920x1280 -> 320x240 (and -> 960x640), warp to 112x112 (and 320x240),
# fast path vs the reference, with the CPU's kernels and with the plain-C
# kernels (SL_CPU_DISABLE=avx512,avx2). Each number is the median of
# RUNS runs (default 50) inside one process (`shualian-dev img bench`); the
# whole set is repeated REPEAT times (default 3) because the machine is
# shared and timings are noisy: compare ratios within one repeat.
# Output: a markdown table per repeat (paste into docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-50}
REPEAT=${REPEAT:-3}
make -s -j2 build/shualian build/shualian-dev >/dev/null
files=(tests/data/sample*.jpg)
[ -f "${files[0]}" ] || { echo "bench/img.sh: tests/data photos absent" >&2; exit 1; }
echo "img bench: $(build/shualian version | jq -r .cpu), runs=$RUNS, $(date -u +%FT%TZ)"
for r in $(seq 1 "$REPEAT"); do
  fast=$(build/shualian-dev img bench --runs "$RUNS" "${files[@]}")
  plain=$(SL_CPU_DISABLE=avx512,avx2 build/shualian-dev img bench --runs "$RUNS" "${files[0]}")
  echo
  echo "repeat $r (kernels: $(jq -r .kernels <<<"$fast") vs $(jq -r .kernels <<<"$plain"))"
  echo
  echo "| operation | fast path (us) | plain-C kernels (us) | reference (us) | ref / fast |"
  echo "|---|---:|---:|---:|---:|"
  for op in resize_320x240 resize_960x640 warp_112x112 warp_320x240; do
    f=$(jq ".${op}_us" <<<"$fast"); p=$(jq ".${op}_us" <<<"$plain")
    ref=$(jq ".${op}_ref_us" <<<"$fast")
    echo "| $op | $f | $p | $ref | $(jq -n "$ref / $f * 10 | round / 10")x |"
  done
  echo
  echo "| decode (RGB) | size | median (ms) |"
  echo "|---|---|---:|"
  jq -r '.decode[] | "| \(.file | split("/") | last) | \(.width)x\(.height) | \(.median_us / 1000 * 100 | round / 100) |"' <<<"$fast"
done
