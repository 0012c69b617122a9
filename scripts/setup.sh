#!/usr/bin/env bash
# setup.sh -- make a fresh Debian 12 machine ready to build, run and test
# shualian. Idempotent and non-interactive; run from anywhere, as root or as
# a user with sudo. Steps:
#   1. Debian packages (only those missing are installed)
#   2. the nine ONNX models, from npm faceplugin-face-recognition-js@0.0.1
#      (MIT), into models/, each checked against scripts/models.sha256
#   3. the test photos, from npm @vladmandic/face-api@1.7.15 (MIT, demo/
#      sample1..6.jpg), into tests/data/, checked the same way
#   4. the test-only Node tools (onnxruntime-node, ...) into tests/node_modules
#   5. make (the library, build/shualian and the test binary)
# Nothing it downloads is committed (.gitignore). SL_SETUP_SKIP_APT=1 skips 1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# ---- 1. Debian packages ---------------------------------------------------
# Why each is here: README.md, "Dependencies".
PKGS=(
  build-essential pkg-config git ca-certificates curl
  clang libclang-rt-14-dev              # libFuzzer targets, sanitizers
  libjpeg-dev libpng-dev zlib1g-dev     # image decode/encode (libjpeg-turbo)
  libjansson-dev libsodium-dev
  libssl-dev                            # OpenSSL libcrypto: the gm suite (SM2/SM3/SM4)
  libxnnpack-dev libpthreadpool-dev     # fast NN backend
  libmicrohttpd-dev libsqlite3-dev libpq-dev postgresql
  libqrencode-dev libzbar-dev
  libcairo2-dev libpango1.0-dev fonts-noto-cjk   # printables (src/print): PDF receipts, CJK text
  imagemagick                           # test images made at test time
  jq python3                            # test and bench scripts read JSON
  wrk                                   # make bench-serve: HTTP load generator
  sqlite3                               # tests/suites/89-hall.sh reads the audit chain
  libfaiss-dev                          # the FAISS peer in bench/index.sh
  libonnx-testdata                      # ONNX's own node tests (tests/suites/55-onnx-node.sh)
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user   # aarch64 build test
  nodejs npm                            # test/bench tools only (onnxruntime-node)
  chromium ffmpeg fonts-noto-cjk        # web page tests: browser, fake camera video, CJK glyphs
)
if [ "${SL_SETUP_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$p")
  done
  # Node may come from elsewhere than Debian (e.g. a newer node already on
  # the PATH): then do not ask apt for it.
  if command -v node >/dev/null && command -v npm >/dev/null; then
    missing=("${missing[@]/#nodejs/}"); missing=("${missing[@]/#npm/}")
  fi
  read -r -a missing <<<"${missing[*]}"
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=()
    if [ "$(id -u)" != 0 ]; then
      command -v sudo >/dev/null || die "run as root, or install sudo"
      SUDO=(sudo)
    fi
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "Debian packages: all present"
  fi
fi

# ---- 2-3. models and test photos from npm, checked by sha256 ---------------
check_sums() {   # prints the paths whose sum is wrong or that are missing
  grep -v '^#' scripts/models.sha256 | while read -r sum path; do
    [ -n "$sum" ] || continue
    if [ ! -f "$path" ] || [ "$(sha256sum "$path" | cut -d' ' -f1)" != "$sum" ]; then
      echo "$path"
    fi
  done
}

fetch_pack() {   # fetch_pack SPEC DIR: npm pack SPEC and unpack it into DIR
  local spec=$1 dir=$2
  rm -rf "$dir"; mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$spec" >/dev/null 2>npm.err) \
    || { cat "$dir/npm.err" >&2; die "npm pack $spec failed"; }
  tar -xzf "$dir"/*.tgz -C "$dir"
}

bad=$(check_sums)
if [ -n "$bad" ]; then
  CACHE=$ROOT/build/npm-cache
  mkdir -p models tests/data
  if [[ $bad == *models/* ]]; then
    say "fetching models: npm faceplugin-face-recognition-js@0.0.1"
    fetch_pack faceplugin-face-recognition-js@0.0.1 "$CACHE/models"
    cp "$CACHE"/models/package/model/*.onnx models/
    cp "$CACHE"/models/package/LICENSE models/LICENSE.faceplugin 2>/dev/null || true
  fi
  if [[ $bad == *tests/data/* ]]; then
    say "fetching test photos: npm @vladmandic/face-api@1.7.15"
    fetch_pack @vladmandic/face-api@1.7.15 "$CACHE/faceapi"
    cp "$CACHE"/faceapi/package/demo/sample[1-6].jpg tests/data/
  fi
  bad=$(check_sums)
  [ -z "$bad" ] || die "sha256 mismatch or missing after download: $bad"
  rm -rf "$CACHE"
fi
say "models and test photos: sha256 ok"

# ---- 4. test-only Node tools ----------------------------------------------
# onnxruntime-node's install script would download CUDA parts from outside
# the npm registry; the CPU binaries are inside the package, so skip it.
if [ ! -f tests/node_modules/.setup-ok ] || \
   [ tests/package-lock.json -nt tests/node_modules/.setup-ok ]; then
  say "installing test tools (tests/package.json)"
  (cd tests && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund --silent)
  touch tests/node_modules/.setup-ok
fi

# ---- 5. build ------------------------------------------------------------
say "building"
make -j"$(nproc)" >/dev/null
say "done: build/shualian $(build/shualian version | tr -d '\n')"
