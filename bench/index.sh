#!/usr/bin/env bash
# bench/index.sh -- the index benchmark table (`make bench-index`).
# Runs `shualian-dev bench index` for each configuration SL_BENCH_RUNS times
# (default 2; int8 rows only, others once) and the FAISS peer (bench/peer, Debian libfaiss-dev) right
# after each int8 single-thread run at the same N, then prints a markdown
# table of medians over runs with the min..max spread.
#   SL_BENCH_SIZES="100000 1000000 3000000"  SL_BENCH_OUT=bench/out
set -euo pipefail
cd "$(dirname "$0")/.."
make -s -j2 build/shualian-dev
out=${SL_BENCH_OUT:-bench/out}
runs=${SL_BENCH_RUNS:-2}
sizes=${SL_BENCH_SIZES:-"100000 1000000 3000000"}
mkdir -p "$out"
peer=""
if [ -f /usr/include/faiss/IndexFlat.h ]; then
  make -s -C bench/peer faiss_peer && peer=bench/peer/faiss_peer
else
  echo "bench: libfaiss-dev not installed; no same-run FAISS peer" >&2
fi
for n in $sizes; do
  cfgs="int8:1:fitted int8:2:fitted fp16:1:fitted fp32:1:fitted ivf:1:fitted ivf:1:isotropic"
  [ "$n" -ge 3000000 ] && cfgs="int8:1:fitted int8:2:fitted ivf:1:fitted"
  for cfg in $cfgs; do
    IFS=: read -r kind t dist <<<"$cfg"
    nr=1
    [ "$kind" = int8 ] && nr=$runs          # the criteria rows: repeated
    for r in $(seq 1 "$nr"); do
      f="$out/index-$n-$kind-t$t-$dist-r$r.json"
      build/shualian-dev bench index --n "$n" --kind "$kind" --threads "$t" \
        --dist "$dist" --json "$f" >/dev/null
      if [ -n "$peer" ] && [ "$kind:$t:$dist" = "int8:1:fitted" ] && [ "$n" -le 1000000 ]; then
        "$peer" "$n" 40 > "$out/faiss-$n-r$r.json"
      fi
    done
  done
done
python3 bench/index_table.py "$out"
