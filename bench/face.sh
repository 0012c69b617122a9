#!/usr/bin/env bash
# bench/face.sh -- `make bench-face`: the largest-face pipeline (detect incl.
# resize, landmarks, align, embed, passive liveness), one thread, on the npm
# test photos, ours vs the peer (the npm package's processing on
# onnxruntime-node, bench/peer/face_peer.js), from the same decoded pixels
# (our decoder's RGB dumps). Each number is the median of RUNS runs per
# image; the pair (ours, peer) is measured REPEAT times, back to back, so the
# ratio is taken under the same machine load. Writes the section "face" of
# docs/BENCHMARKS.md (between the markers) and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
REPEAT=${REPEAT:-3}
MODELS=${SL_MODELS:-models}
make -s -j2 build/shualian build/shualian-dev >/dev/null
files=(tests/data/sample*.jpg)
[ -f "${files[0]}" ] || { echo "bench/face.sh: tests/data photos absent" >&2; exit 1; }
[ -f "$MODELS/fr_feature.onnx" ] || { echo "bench/face.sh: models absent ($MODELS)" >&2; exit 1; }
command -v node >/dev/null || { echo "bench/face.sh: node absent (peer)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build/shualian-dev face bench "${files[@]}" --runs 1 --dump "$tmp" --models "$MODELS" >/dev/null
dumps=()
for k in "${!files[@]}"; do dumps+=("$tmp/$k.rgb"); done
sec=$tmp/section.md
{
  echo "<!-- face:begin -->"
  echo "## face"
  echo
  echo "Largest-face pipeline (detect incl. resize to 320x240, 68 landmarks, 5-point"
  echo "alignment, 512-d embedding, passive liveness), **one thread**, median of $RUNS runs"
  echo "per image over the 6 npm test photos (1920 px wide, 3-5 faces), from the same"
  echo "decoded pixels. Peer: the npm package's processing on onnxruntime-node"
  echo "(\`bench/peer/face_peer.js\`, 1 intra-op thread). \`make bench-face\`, $(date -u +%FT%TZ),"
  echo "CPU: $(build/shualian version | jq -r .cpu), load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "The machine is shared (2 cores, several builds at once): compare the ratio"
  echo "within a row, not absolute numbers across rows."
  echo
  echo "Median: mean over the images of each image's median; min: mean of each image's"
  echo "fastest run (the least disturbed by other processes)."
  echo
  echo "| repeat | ours + flip fusion (not default): median / min (ms) | ours, default (no flip): median / min (ms) | peer ORT: median / min (ms) | peer / ours flip (median, min) | peer / ours no flip (median, min) |"
  echo "|---|---:|---:|---:|---:|---:|"
} >"$sec"
for r in $(seq 1 "$REPEAT"); do
  a=$(build/shualian-dev face bench "${files[@]}" --runs "$RUNS" --flip --models "$MODELS")
  b=$(build/shualian-dev face bench "${files[@]}" --runs "$RUNS" --no-flip --models "$MODELS")
  p=$(node bench/peer/face_peer.js "$MODELS" "$RUNS" "${dumps[@]}")
  ma=$(jq .mean_of_medians_ms <<<"$a"); mb=$(jq .mean_of_medians_ms <<<"$b"); mp=$(jq .mean_of_medians_ms <<<"$p")
  na=$(jq '[.images[].min_ms] | add / length' <<<"$a"); nb=$(jq '[.images[].min_ms] | add / length' <<<"$b")
  np=$(jq '[.images[].min_ms] | add / length' <<<"$p")
  r2() { jq -n "$1*100|round/100"; }
  echo "| $r | $(r2 "$ma") / $(r2 "$na") | $(r2 "$mb") / $(r2 "$nb") | $(r2 "$mp") / $(r2 "$np") | $(r2 "$mp/$ma")x, $(r2 "$np/$na")x | $(r2 "$mp/$mb")x, $(r2 "$np/$nb")x |" >>"$sec"
  [ "$r" = 1 ] && echo "$b" >"$tmp/stages.json"
done
{
  echo
  echo "Stages of ours (no flip, repeat 1; median ms per image):"
  echo
  echo "| image | detect | landmarks | align | embed | liveness | total |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  jq -r '.images[] | "| \(.image | split("/") | last) | \(.stages.detect_ms) | \(.stages.landmarks_ms) | \(.stages.align_ms) | \(.stages.embed_ms) | \(.stages.liveness_ms) | \(.median_ms) |"' "$tmp/stages.json"
  echo "<!-- face:end -->"
} >>"$sec"
doc=docs/BENCHMARKS.md
[ -f "$doc" ] || printf '# Benchmarks\n\n' >"$doc"
if grep -q '<!-- face:begin -->' "$doc"; then
  awk -v f="$sec" '/<!-- face:begin -->/{while((getline l < f)>0) print l; skip=1; next}
                   /<!-- face:end -->/{skip=0; next} !skip' "$doc" >"$tmp/doc" && cat "$tmp/doc" >"$doc"
else
  { echo; cat "$sec"; } >>"$doc"
fi
cat "$sec"
