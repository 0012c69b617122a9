#!/usr/bin/env bash
# The ONNX engine against ONNX Runtime: all nine face models, real inputs
# (test photos) and random inputs, on every backend built here.
# Tolerance: max|ours - ort| <= 1e-4 * max|ort|; fr_feature cosine >= 0.99999.
set -uo pipefail
cd "$(dirname "$0")/../.."
make -s -j2 build/shualian >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
if ! command -v node >/dev/null || [ ! -d tests/node_modules/onnxruntime-node ]; then
  echo "skip: node or tests/node_modules/onnxruntime-node missing (run scripts/setup.sh)"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
if ! ls models/*.onnx >/dev/null 2>&1; then
  echo "skip: models/*.onnx missing"; echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
backends=$(build/shualian nn info models/fr_eye.onnx | sed -n 's/.*"backends": *"\([a-z,]*\)".*/\1/p')
echo "backends: ${backends:=ref}"
exec node tests/conformance/nn_conformance.js --bin build/shualian --backends "$backends" --photos 2
