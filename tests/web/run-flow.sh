#!/usr/bin/env bash
# run-flow.sh FLOW.cjs [sqlite|pg] -- one browser flow (tests/web/flows/)
# alone against `build/shualian serve --demo`, the way 95-web.sh runs them
# all (same fake cameras, same helpers), without web.cjs's own steps: a
# throwaway copy of web.cjs that skips every step before the flows and loads
# only FLOW. For the engineer working on one flow; 95-web.sh stays the test.
cd "$(dirname "$0")/../.." || exit 1
flow=${1:?usage: tests/web/run-flow.sh FLOW.cjs [sqlite|pg]}; store=${2:-sqlite}
. tests/suites/lib.sh
. tests/suites/lib-pg.sh
faces=$(cd "${SL_FACES_DIR:-../shared/faces/dev}" 2>/dev/null && pwd)
ref=tests/data/sample1.jpg
ffmpeg -loglevel error -y -loop 1 -i "$ref" -t 3 -r 10 \
  -vf "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2" -pix_fmt yuv420p "$tmp/face.y4m"
ffmpeg -loglevel error -y -f lavfi -i color=c=black:s=640x480:r=10 -t 3 -pix_fmt yuv420p "$tmp/dark.y4m"
if [ "$store" = pg ]; then pg_start || { echo "skip pg: $PG_SKIP"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }; db=$PG_URL
else db="sqlite:$tmp/shualian.db"; fi
"$S" serve --demo --quiet --data "$tmp" --db "$db" --listen 127.0.0.1:0 >"$tmp/out" 2>"$tmp/err" & spid=$!
url=; for _ in $(seq 1 300); do url=$(jq -r '.listening // empty' "$tmp/out" 2>/dev/null | head -1); [ -n "$url" ] && break; sleep 0.1; done
for _ in $(seq 1 300); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.2; done
only=tests/web/.only-$$.cjs; mkdir -p "$tmp/flows" build/web-screens/flow
cp "tests/web/flows/$(basename "$flow")" "$tmp/flows/"
sed -e "s|^async function step(name, fn) {|let inFlows = false;\nasync function step(name, fn) { if (!inFlows) return;|" \
    -e "s|const fdir = path.join(__dirname, 'flows');|inFlows = true; const fdir = '$tmp/flows';|" tests/web/web.cjs >"$only"
# the copied flow requires nothing relative; run from tests/web for node_modules
(cd tests/web && node "$(basename "$only")" "$url" "$tmp/demo-credentials.json" "$PWD/../../build/web-screens/flow" \
   "$tmp/face.y4m" "$tmp/dark.y4m" "$PWD/../../$ref" "$faces") | tee "$tmp/log"
rm -f "$only"; kill -TERM "$spid"; wait "$spid" 2>/dev/null
p=$(grep -c '^ok ' "$tmp/log"); f=$(grep -c '^FAIL' "$tmp/log"); s=$(grep -c '^skip ' "$tmp/log")
echo "$p passed, $f failed, $s skipped"; [ "$f" = 0 ]
