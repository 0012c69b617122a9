#!/usr/bin/env bash
# Seeds the libFuzzer corpus of build-fuzz/fuzz_onnx with the small face
# models (the reader's real inputs). Idempotent. Usage:
#   scripts/fuzz_corpus_onnx.sh [corpus dir, default build-fuzz/corpus/fuzz_onnx]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-fuzz/corpus/fuzz_onnx}
mkdir -p "$dir"
for m in fr_eye fr_age fr_gender fr_landmark; do
  [ -f "models/$m.onnx" ] && cp -f "models/$m.onnx" "$dir/seed-$m.onnx"
done
# a truncated and an empty seed steer it towards the error paths early
if [ -f models/fr_eye.onnx ]; then head -c 4096 models/fr_eye.onnx > "$dir/seed-eye-head"; fi
: > "$dir/seed-empty"
echo "corpus: $dir ($(ls "$dir" | wc -l) files)"
